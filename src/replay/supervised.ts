// Replay under a watchdog, as the CLI runs it. Detection runs on a worker thread
// (replay-worker.ts) with a heap limited to the memory budget, marking which detector runs on a
// heartbeat; this thread only waits and watches. A detector that does not come back within
// the time budget, runs out of memory (memoryCulprits decides who) or ends the thread is
// stopped and named, and the replay runs again from the start without it. The alerts are those
// of the last run, which saw every event with the remaining detectors: exactly what a replay
// without the stopped ones gives, on every run and every machine where the same ones stop.
import { join } from 'node:path';
import { DEFAULT_BUDGETS, overrun, type DetectorBudgets, type DetectorStop } from '../detect/budgets.js';
import { culpritOf } from '../detect/culprit.js';
import { DetectorThread, type ThreadEnd } from '../detect/detector-thread.js';
import type { Options } from '../detect/load.js';
import type { DetectorInfo } from '../detect/thread-detectors.js';
import { fromThreadError } from '../detect/thread-error.js';
import { RecordingError, UsageError } from '../format/errors.js';
import { packageRoot } from '../paths.js';
import { memoryCulprits } from './culprits.js';
import type { ReplayProgress, ReplayResult } from './replay.js';
import type { ReplayMessage, ReplayRequest } from './replay-worker.js';

export interface SupervisedReplayOptions {
  readonly dir: string;
  readonly allowDamaged?: boolean;
  /** As --detectors takes them. */
  readonly specs: readonly string[] | undefined;
  readonly options: Options;
  readonly budgets?: DetectorBudgets;
  /** The detectors loaded, the first time. */
  readonly onReady?: (info: readonly DetectorInfo[]) => void;
  /** Progress of the run whose alerts count; `without`: the detectors stopped so far. */
  readonly onProgress?: (p: ReplayProgress & { readonly without: readonly string[] }) => void;
}

export interface SupervisedReplay extends ReplayResult {
  /** Detectors the watchdog stopped, in the order found; none of their alerts are in `alerts`. */
  readonly stopped: readonly DetectorStop[];
  /** The detectors of the run whose alerts these are. */
  readonly detectors: readonly DetectorInfo[];
}

/** The replay thread, compiled: under the test runner the sources are TypeScript, the thread is not. */
const script = (): string => join(packageRoot(), 'dist', 'src', 'replay', 'replay-worker.js');

/** No progress for this long while no detector runs: the thread itself is stuck. */
const idleLimitMs = (b: DetectorBudgets): number => Math.max(60_000, 6 * b.timeoutMs);

type Attempt =
  | { readonly kind: 'done'; readonly info: readonly DetectorInfo[]; readonly skipped: readonly string[]; readonly result: ReplayResult }
  | { readonly kind: 'overrun'; readonly end: ThreadEnd; readonly info: readonly DetectorInfo[] | undefined };

/** One detection thread from start to end. A refusal (a bad detector, a bad recording) rejects. */
function attempt(request: ReplayRequest, budgets: DetectorBudgets, onProgress?: (p: ReplayProgress) => void, onReady?: (info: readonly DetectorInfo[]) => void): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    let info: readonly DetectorInfo[] | undefined;
    let skipped: readonly string[] = [];
    const thread: DetectorThread<never, ReplayMessage> = new DetectorThread(script(), request, budgets, {
      message(m) {
        if (m.kind === 'progress') return onProgress?.(m);
        if (m.kind === 'ready') {
          info = m.info;
          skipped = m.skipped;
          onReady?.(info);
          if (request.dir !== undefined) return;
          void thread.stop();
          return resolve({ kind: 'done', info, skipped, result: { alerts: [], failures: [], events: 0 } });
        }
        void thread.stop();
        if (m.kind === 'done') resolve({ kind: 'done', info: info ?? [], skipped, result: { alerts: m.alerts, failures: m.failures, events: m.events } });
        else reject(fromThreadError(m.error));
      },
      end: (end) => resolve({ kind: 'overrun', end, info }),
    }, { idleLimitMs: idleLimitMs(budgets) });
  });
}

/** An overrun that names no detector: the thread failed on its own account. */
function unexplained(end: ThreadEnd, budgets: DetectorBudgets): RecordingError {
  if (end.reason === 'crash') return new RecordingError(`the detection thread failed while no detector ran: ${end.message}`);
  if (end.reason === 'time') return new RecordingError(`detection made no progress for ${idleLimitMs(budgets) / 1000} s while no detector ran`);
  return new RecordingError(`detection ran out of the ${budgets.memoryMb} MiB detector memory budget while no detector ran: raise --detector-memory`);
}

/** Runs the detectors `o.specs` names over the recording, stopping and leaving out those that overrun a budget. */
export async function superviseReplay(o: SupervisedReplayOptions): Promise<SupervisedReplay> {
  const budgets = o.budgets ?? DEFAULT_BUDGETS;
  const base: ReplayRequest = { dir: o.dir, allowDamaged: o.allowDamaged === true, specs: o.specs, options: o.options };
  const stopped: DetectorStop[] = [];
  let onReady = o.onReady;
  for (;;) {
    const without = stopped.map((s) => s.detector);
    const a = await attempt({ ...base, exclude: without, progress: o.onProgress !== undefined }, budgets, o.onProgress ? (p) => o.onProgress!({ ...p, without }) : undefined, (info) => {
      onReady?.(info);
      onReady = undefined;
    });
    if (a.kind === 'done') return { ...a.result, stopped, detectors: a.info };
    const suspect = culpritOf(a.end, a.info, o.specs, budgets);
    let found: DetectorStop[];
    if (a.end.reason !== 'memory') {
      if (!suspect) throw unexplained(a.end, budgets);
      found = [suspect];
    } else {
      if (!a.info) throw unexplained(a.end, budgets);
      found = await memoryCulprits(a.info.map((d) => d.name), suspect?.detector, async (group) => {
        const g = await attempt({ ...base, only: group }, budgets);
        return g.kind === 'done' ? { fits: true } : { fits: false, stop: culpritOf(g.end, g.info, o.specs, budgets) };
      }, (name) => ({ detector: name, reason: 'memory', seq: undefined, starting: false, what: overrun('memory', budgets, 'running') }));
      if (found.length === 0) {
        throw new RecordingError(`the detectors ran out of the ${budgets.memoryMb} MiB detector memory budget together, though none does alone: raise --detector-memory`);
      }
    }
    stopped.push(...found);
  }
}

/** The detectors `specs` name, loaded on a detection thread (a detector file is never run on this one). */
export async function listDetectors(specs: readonly string[] | undefined, options: Options, budgets: DetectorBudgets = DEFAULT_BUDGETS): Promise<{ info: readonly DetectorInfo[]; skipped: readonly string[] }> {
  const a = await attempt({ specs, options }, budgets);
  if (a.kind === 'done') return { info: a.info, skipped: a.skipped };
  const c = culpritOf(a.end, a.info, specs, budgets);
  throw c ? new UsageError(`detector ${c.detector} ${c.what}`) : unexplained(a.end, budgets);
}
