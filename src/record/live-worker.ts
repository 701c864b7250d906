// The detection thread of `record --detect` (live.ts). Batches arrive as the recorder hands
// them over and are queued per table; at each flush mark (every row up to a watermark handed
// over) the queued rows are merged into the total order (ts, seq) and run through the
// detectors, exactly as replay runs them, and the alerts go back to be stored.
// A thread started after another was stopped (its culprit left out) first catches up: it
// replays from the recording on disk the rows the stopped one had been given, and keeps only
// the alerts of events after the last ones stored, so the detectors that went on carry the
// state a replay would give them.
import { parentPort, workerData } from 'node:worker_threads';
import type { RecordBatch } from 'apache-arrow';
import type { EventTable } from '../detect/api.js';
import type { Heartbeat } from '../detect/heartbeat.js';
import { DetectorRuntime, type Alert, type DetectorFailure } from '../detect/runtime.js';
import { resolveCgroups, type CgroupInfo } from './cgroups.js';
import { loadInThread, type DetectorInfo, type DetectorRequest } from '../detect/thread-detectors.js';
import { toThreadError, type ThreadError } from '../detect/thread-error.js';
import { unpackBatch, type PackedBatch } from '../format/batch-transfer.js';
import { UsageError } from '../format/errors.js';
import { mergeTables, type Run } from '../format/merge.js';
import { Recording } from '../format/recording.js';

/** An event's place in the total order. */
export interface Position {
  readonly ts: bigint;
  readonly seq: bigint;
}

export interface LiveRequest extends DetectorRequest {
  /** Architecture and CPU sampling rate of the recording being made. */
  readonly arch: string;
  readonly sampleHz?: number;
  /** User names by uid, from the account rows the recording stores. */
  readonly users: ReadonlyMap<number, string>;
  /** The cgroup2 mount, where the containers of alerts' processes are looked up. */
  readonly cgroupRoot?: string;
  /** Replay these first, from the recording on disk. */
  readonly catchUp?: {
    readonly dir: string;
    /** Rows per table, from the start of the recording. */
    readonly rows: Readonly<Record<string, number>>;
    /** Alerts of events up to here are stored already. */
    readonly after: Position | undefined;
  };
}

/** end: the recording stopped and every flush mark was answered: the summaries of open alert groups. */
export type LiveInput = { readonly kind: 'batch'; readonly batch: PackedBatch } | { readonly kind: 'flush' } | { readonly kind: 'end' };

export type LiveMessage =
  /** The detectors loaded (the heartbeat's indexes are theirs); then, once they started, ready. */
  | { readonly kind: 'loaded'; readonly info: readonly DetectorInfo[] }
  | { readonly kind: 'ready'; readonly tables: readonly EventTable[] }
  /** A flush mark handled (or the catch-up done): the alerts, the rows run, and where they ended. */
  | { readonly kind: 'flushed'; readonly catchUp: boolean; readonly alerts: readonly Alert[]; readonly rows: number; readonly late: number; readonly failures: readonly DetectorFailure[]; readonly last: Position | undefined; readonly cgroups: readonly CgroupInfo[] }
  | { readonly kind: 'refused'; readonly error: ThreadError };

const { heartbeat, ...request } = workerData as LiveRequest & { heartbeat: Heartbeat };
const post = (m: LiveMessage): void => parentPort!.postMessage(m);

let runtime: DetectorRuntime;
let last: Position | undefined;
let reported = 0;
let queued = new Map<EventTable, RecordBatch[]>();

/**
 * The container of a cgroup, looked up when an alert's process is in it: the cgroup table is
 * written at stop, when the cgroup may be gone. What was looked up goes with the alerts, into
 * the cgroup table before them, so a replay finds the same container.
 */
const containers = new Map<bigint, string | undefined>();
let resolved: CgroupInfo[] = [];
function containerOf(id: bigint): string | undefined {
  if (!containers.has(id)) {
    const info = request.cgroupRoot === undefined ? undefined : resolveCgroups([id], request.cgroupRoot)[0];
    containers.set(id, info?.container?.id);
    if (info) resolved.push(info);
  }
  return containers.get(id);
}

/** The cgroups looked up since the last message. */
function newCgroups(): CgroupInfo[] {
  const out = resolved;
  resolved = [];
  return out;
}

/** Runs merged runs through the detectors; counts rows that came after later ones were run. */
function run(runs: Iterable<Run>): { rows: number; late: number } {
  let rows = 0;
  let late = 0;
  for (const r of runs) {
    const ts = r.batch.getChild('ts')!.get(r.start) as bigint;
    const seq = r.batch.getChild('seq')!.get(r.start) as bigint;
    if (last && (ts < last.ts || (ts === last.ts && seq < last.seq))) late += r.end - r.start;
    runtime.process(r);
    rows += r.end - r.start;
    last = { ts: r.batch.getChild('ts')!.get(r.end - 1) as bigint, seq: r.batch.getChild('seq')!.get(r.end - 1) as bigint };
  }
  return { rows, late };
}

function newFailures(): DetectorFailure[] {
  const f = runtime.failures.slice(reported);
  reported = runtime.failures.length;
  return f;
}

/** The first `rows` rows of a table's batches. */
function* firstRows(batches: Iterable<RecordBatch>, rows: number): Generator<RecordBatch> {
  let left = rows;
  for (const b of batches) {
    if (left <= 0) return;
    yield b.numRows <= left ? b : b.slice(0, left);
    left -= b.numRows;
  }
}

function catchUp(c: NonNullable<LiveRequest['catchUp']>): void {
  const rec = Recording.open(c.dir);
  try {
    const { rows } = run(mergeTables(runtime.tables.map((table) => ({ table, batches: firstRows(rec.batches(table), c.rows[table] ?? 0) }))));
    const after = c.after;
    const alerts = runtime.take().filter((a) => !after || a.ts > after.ts || (a.ts === after.ts && a.seq > after.seq));
    post({ kind: 'flushed', catchUp: true, alerts, rows, late: 0, failures: newFailures(), last, cgroups: newCgroups() });
  } finally {
    rec.close();
  }
}

function flush(): void {
  const sources = [...queued].map(([table, batches]) => ({ table, batches }));
  queued = new Map();
  const { rows, late } = run(mergeTables(sources));
  post({ kind: 'flushed', catchUp: false, alerts: runtime.take(), rows, late, failures: newFailures(), last, cgroups: newCgroups() });
}

try {
  const loaded = await loadInThread(heartbeat, request);
  if (loaded.detectors.length === 0 && !request.exclude?.length) throw new UsageError('no detectors to run');
  post({ kind: 'loaded', info: loaded.info });
  try {
    runtime = new DetectorRuntime(loaded.detectors, { arch: request.arch, options: request.options, users: request.users, containerOf, heartbeat, ...(request.sampleHz !== undefined ? { sampleHz: request.sampleHz } : {}) });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  post({ kind: 'ready', tables: runtime.tables });
  if (request.catchUp) catchUp(request.catchUp);
  parentPort!.on('message', (m: LiveInput) => {
    if (m.kind === 'flush') return flush();
    if (m.kind === 'end') return post({ kind: 'flushed', catchUp: false, alerts: runtime.finish(), rows: 0, late: 0, failures: newFailures(), last, cgroups: newCgroups() });
    const list = queued.get(m.batch.table as EventTable) ?? [];
    list.push(unpackBatch(m.batch));
    queued.set(m.batch.table as EventTable, list);
  });
} catch (err) {
  post({ kind: 'refused', error: toThreadError(err) });
}
