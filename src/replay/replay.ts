// Deterministic replay: the tables the detectors need, merged into the total order (ts, seq)
// as stored, through the same runtime the live tap uses. The same recording and detectors
// give the same alerts, in the same order, on every run and every machine.
import { alertRows } from '../detect/alert.js';
import type { Detector } from '../detect/api.js';
import type { Heartbeat } from '../detect/heartbeat.js';
import { makeCursor } from '../detect/cursor.js';
import { containersOf, DetectorRuntime, usersOf, type Alert, type DetectorFailure } from '../detect/runtime.js';
import type { Options } from '../detect/load.js';
import { UsageError } from '../format/errors.js';
import type { Recording } from '../format/recording.js';
import { keptSegments } from '../format/manifest.js';

export interface ReplayProgress {
  readonly events: number;
  /** Rows of the needed tables in sealed segments (unsealed ones are not counted ahead). */
  readonly total: number;
}

export interface ReplayResult {
  readonly alerts: Alert[];
  readonly failures: readonly DetectorFailure[];
  /** Events handed to at least one detector. */
  readonly events: number;
}

/** The account table's rows. */
function* accounts(rec: Recording): Generator<{ kind: string; id: number; name: string }> {
  const c = makeCursor('account');
  for (const b of rec.batches('account')) {
    c.bind(b);
    for (let r = 0; r < b.numRows; r++) {
      c.row = r;
      yield { kind: c.kind, id: c.id, name: c.name };
    }
  }
}

/** The cgroup table's rows. */
function* cgroups(rec: Recording): Generator<{ id: bigint; container_id: string | null }> {
  const c = makeCursor('cgroup');
  for (const b of rec.batches('cgroup')) {
    c.bind(b);
    for (let r = 0; r < b.numRows; r++) {
      c.row = r;
      yield { id: c.id, container_id: c.container_id };
    }
  }
}

/** The runtime for a recording: its architecture, sampling rate, user names and containers; bad detectors are refused here. */
export function runtimeFor(rec: Recording, detectors: readonly Detector[], options: Options = {}, heartbeat?: Heartbeat): DetectorRuntime {
  const manifest = rec.manifest;
  const hz = (manifest.source as { sample_hz?: unknown } | undefined)?.sample_hz;
  try {
    return new DetectorRuntime(detectors, {
      arch: manifest.host.arch, options, users: usersOf(accounts(rec)), containerOf: ((m) => (id: bigint) => m.get(id))(containersOf(cgroups(rec))), ...(typeof hz === 'number' ? { sampleHz: hz } : {}), ...(heartbeat ? { heartbeat } : {}),
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Replays a recording in this thread: for detectors the caller trusts (the CLI runs them under a watchdog, supervised.ts). */
export function replay(rec: Recording, detectors: readonly Detector[], options: Options = {}, onProgress?: (p: ReplayProgress) => void): ReplayResult {
  return replayWith(rec, runtimeFor(rec, detectors, options), onProgress);
}

/** Replays a recording through a runtime made for it. */
export function replayWith(rec: Recording, runtime: DetectorRuntime, onProgress?: (p: ReplayProgress) => void): ReplayResult {
  const total = keptSegments(rec.manifest).reduce((a, s) => a + runtime.tables.reduce((b, t) => b + (s.tables[t]?.rows ?? 0), 0), 0);
  const alerts: Alert[] = [];
  let runs = 0;
  for (const run of rec.merged(runtime.tables)) {
    runtime.process(run);
    const raised = runtime.take();
    for (const a of raised) alerts.push(a);
    if (onProgress && (++runs & 1023) === 0) onProgress({ events: runtime.events, total });
  }
  for (const a of runtime.finish()) alerts.push(a);
  onProgress?.({ events: runtime.events, total });
  return { alerts, failures: runtime.failures, events: runtime.events };
}

/** The alerts a live `record --detect` stored in the recording. */
export function storedAlerts(rec: Recording): Alert[] {
  return [...alertRows(rec.batches('alert'))];
}
