// A recording session's public face: its options, its result, and record(), which runs one
// Recorder (recorder.ts) from loading the BPF programs to the sealed recording.
import { UsageError, type RecordingError } from '../format/errors.js';
import type { Manifest } from '../format/manifest.js';
import type { Retention } from '../format/prune.js';
import type { TableName } from '../schema/tables.js';
import { DEFAULTS } from './defaults.js';
import type { LiveDetection } from './live.js';
import type { NativeStats } from './native.js';
import type { Account } from './accounts.js';
import type { Target } from './target.js';
import type { IncidentWritten, Incidents } from './incidents.js';
import { Recorder } from './recorder.js';

export interface RecordOptions {
  readonly out: string;
  readonly target: Target;
  /** Stop after this long (a launched command is then sent SIGTERM). */
  readonly durationMs?: number;
  /** Ring buffer size in bytes: a power of two, at least one page. */
  readonly ringBytes?: number;
  /** Batches queued for the writer thread, at most (default DEFAULTS.queueBytes). */
  readonly queueBytes?: number;
  /** A table's rows go to the writer once this many wait... */
  readonly batchRows?: number;
  /** ...or once the oldest has waited this long. */
  readonly batchMs?: number;
  /** The consumer drains the ring at least this often. */
  readonly drainMs?: number;
  readonly maxSegmentBytes?: number;
  readonly maxSegmentMs?: number;
  /** Prune the oldest sealed segments beyond these bounds while recording. */
  readonly keep?: Retention;
  /** Tables to record (default DEFAULT_TABLES). */
  readonly tables?: readonly TableName[];
  /** CPU samples per second per CPU (the sample table). */
  readonly sampleHz?: number;
  readonly debug?: boolean;
  readonly commandLine?: readonly string[];
  /** Called every progressMs while recording. */
  readonly onProgress?: (p: Progress) => void;
  readonly progressMs?: number;
  /** Run detectors on the batches as they are written (started before; attached once the recording exists). */
  readonly live?: LiveDetection;
  /** The host's users and groups to store (default: read now); live detection names uids by the same. */
  readonly accounts?: readonly Account[];
  /** Incident recordings (--incidents): triggered by live alerts (its sink), SIGUSR1 and `flightrec mark`. */
  readonly incidents?: Incidents;
  /** Called on SIGHUP (a service reloading: reopen the files appended to); without it SIGHUP stops the recording as SIGINT and SIGTERM do. */
  readonly onHangup?: () => void;
  /** Says something to the person recording in one line. */
  readonly report?: (line: string) => void;
}

export interface Progress {
  readonly elapsedMs: number;
  readonly stats: NativeStats;
  readonly bytesWritten: number;
}

export type StopReason = 'target exited' | 'signal' | 'duration' | 'error';

export interface RecordResult {
  readonly manifest: Manifest;
  readonly stats: NativeStats;
  readonly elapsedMs: number;
  readonly bytesWritten: number;
  /** Bytes of the segments kept (all of them unless --keep-size or --keep-time pruned some). */
  readonly bytesKept: number;
  /** Segments pruned to stay within --keep-size/--keep-time. */
  readonly prunedSegments: number;
  /** What pruning cost: milliseconds of all passes and of the longest (a pass writes the manifest and deletes). */
  readonly pruning: { readonly totalMs: number; readonly maxMs: number };
  readonly reason: StopReason;
  /** The launched command's exit: its code, or the signal that ended it. */
  readonly exit?: { readonly code: number | null; readonly signal: number | null };
  /** Peak resident set of the recorder, bytes. */
  readonly peakRssBytes: number;
  /** CPU time the recorder used, all its threads (not the launched command's), ms. */
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  /** Tables asked for that this kernel cannot record, and why (also in the manifest). */
  readonly unavailable: Readonly<Record<string, string>>;
  /** What stopped the recording early, if something went wrong (the recording is still sealed). */
  readonly error?: RecordingError;
  /** The live detectors, when --detect was on. */
  readonly live?: LiveDetection;
  /** The /proc snapshot of the processes running at start (--pid, --cgroup, --all). */
  readonly snapshot?: { readonly processes: number; readonly ms: number };
  /** The incident recordings made (--incidents). */
  readonly incidents?: readonly IncidentWritten[];
}

export { DEFAULTS };

export function checkRingBytes(n: number): void {
  if (!Number.isInteger(n) || n < 4096 || (n & (n - 1)) !== 0 || n > 2 ** 30) {
    throw new UsageError(`ring size ${n} is not a power of two between 4096 and 1073741824 bytes`);
  }
}

/** Records until the target exits, a signal, the duration or an error, and seals the recording
 * (src/record/recorder.ts has the states it goes through). */
export async function record(opts: RecordOptions): Promise<RecordResult> {
  checkRingBytes(opts.ringBytes ?? DEFAULTS.ringBytes);
  const recorder = new Recorder(opts);
  recorder.start();
  await recorder.ended;
  return recorder.finish();
}
