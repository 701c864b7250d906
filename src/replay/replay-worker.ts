// The detection thread of a supervised replay (supervised.ts): loads the detectors, replays
// the recording through them with detector code marked on the heartbeat, and posts what it
// found. Without a recording it only loads them and says which they are.
import { parentPort, workerData } from 'node:worker_threads';
import type { Heartbeat } from '../detect/heartbeat.js';
import type { Alert, DetectorFailure } from '../detect/runtime.js';
import { loadInThread, type DetectorInfo, type DetectorRequest } from '../detect/thread-detectors.js';
import { toThreadError, type ThreadError } from '../detect/thread-error.js';
import { UsageError } from '../format/errors.js';
import { Recording } from '../format/recording.js';
import { replayWith, runtimeFor } from './replay.js';

export interface ReplayRequest extends DetectorRequest {
  /** The recording; none: load the detectors and say which they are. */
  readonly dir?: string;
  readonly allowDamaged?: boolean;
  /** Post progress (every 1024 runs): only when someone shows it, as each post wakes the supervisor. */
  readonly progress?: boolean;
}

export type ReplayMessage =
  | { readonly kind: 'ready'; readonly info: readonly DetectorInfo[]; readonly skipped: readonly string[] }
  | { readonly kind: 'progress'; readonly events: number; readonly total: number }
  | { readonly kind: 'done'; readonly alerts: Alert[]; readonly failures: readonly DetectorFailure[]; readonly events: number }
  | { readonly kind: 'refused'; readonly error: ThreadError };

const { heartbeat, ...request } = workerData as ReplayRequest & { heartbeat: Heartbeat };
const post = (m: ReplayMessage): void => parentPort!.postMessage(m);

try {
  const loaded = await loadInThread(heartbeat, request);
  if (loaded.detectors.length === 0 && request.only === undefined && !request.exclude?.length) throw new UsageError('no detectors to run');
  post({ kind: 'ready', info: loaded.info, skipped: loaded.skipped });
  if (request.dir !== undefined) {
    const rec = Recording.open(request.dir, { allowDamaged: request.allowDamaged === true });
    try {
      const r = replayWith(rec, runtimeFor(rec, loaded.detectors, request.options, heartbeat), request.progress ? (p) => post({ kind: 'progress', ...p }) : undefined);
      post({ kind: 'done', alerts: r.alerts, failures: r.failures, events: r.events });
    } finally {
      rec.close();
    }
  }
} catch (err) {
  post({ kind: 'refused', error: toThreadError(err) });
}
