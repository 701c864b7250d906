// A recording session: load the BPF programs, select the target in the kernel, drain batches
// into a recording, stop on the target's exit, a signal, the duration or an error, and seal.
import { rmSync } from 'node:fs';
import type { RecordBatch } from 'apache-arrow';
import { RecordingError, UsageError } from '../format/errors.js';
import { isPruned, type Manifest } from '../format/manifest.js';
import type { Retention } from '../format/prune.js';
import { compressionLevel } from '../format/codec.js';
import { RecordingWriter } from '../format/recording-writer.js';
import { DEFAULT_TABLES, type TableName } from '../schema/tables.js';
import { DEFAULTS } from './defaults.js';
import { recordBatchFromNative } from './arrow.js';
import type { LiveDetection } from './live.js';
import { kernelBtfPath, kernelVariant, planFor, withoutFeatures } from './kernel.js';
import { loadAddon, type Addon, type NativeMessage, type NativeSession, type NativeStats } from './native.js';
import { explainLoadError, preflight } from './preflight.js';
import { accountBatch, readAccounts, type Account } from './accounts.js';
import { cgroupBatch, resolveCgroups } from './cgroups.js';
import { StatusWriter, recordingState } from './status.js';
import { anyAlive, cgroup2Root, describeTarget, type Target } from './target.js';
import type { IncidentWritten, Incidents } from './incidents.js';
import { takeMarks } from './marks.js';
import { contextBatch, ProcessContext } from '../replay/process-context.js';

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

/**
 * What SIGUSR1 does now: ask the recording under way for an incident. The listener stays once
 * added, as a no-op between recordings: without one, Node's own SIGUSR1 opens its inspector to
 * anyone on the host able to signal a root process.
 */
let onUsr1: (() => void) | undefined;
let usr1Listened = false;
function handleUsr1(handler: (() => void) | undefined): void {
  if (handler && !usr1Listened) {
    process.on('SIGUSR1', () => onUsr1?.());
    usr1Listened = true;
  }
  onUsr1 = handler;
}

export function checkRingBytes(n: number): void {
  if (!Number.isInteger(n) || n < 4096 || (n & (n - 1)) !== 0 || n > 2 ** 30) {
    throw new UsageError(`ring size ${n} is not a power of two between 4096 and 1073741824 bytes`);
  }
}

function exitOf(status: number): { code: number | null; signal: number | null } {
  const signal = status & 0x7f;
  return signal === 0 ? { code: (status >> 8) & 0xff, signal: null } : { code: null, signal };
}

/** The processes a snapshot covers: every one (but the recorder), the given ones and those
 * below them, or those in the cgroup. */
function coveredProcesses(addon: Addon, target: Exclude<Target, { kind: 'command' }>): number[] {
  if (target.kind === 'all') return addon.allProcesses();
  if (target.kind === 'pids') return addon.processTree(target.pids);
  return addon.cgroupProcesses(target.path);
}

export async function record(opts: RecordOptions): Promise<RecordResult> {
  const ringBytes = opts.ringBytes ?? DEFAULTS.ringBytes;
  const sampleHz = opts.sampleHz ?? DEFAULTS.sampleHz;
  checkRingBytes(ringBytes);
  preflight();
  const addon = loadAddon();
  const btfPath = kernelBtfPath();
  const features = withoutFeatures(addon.probeKernel(btfPath));
  const { tables, unavailable } = planFor(features, opts.tables ?? DEFAULT_TABLES);
  const target = opts.target;
  const cgroupRoot = cgroup2Root() ?? '/sys/fs/cgroup';

  let writer: RecordingWriter | undefined;
  let live: LiveDetection | undefined;
  let snapshot: RecordResult['snapshot'];
  let finishing = false;
  let failure: RecordingError | undefined;
  let dropped = 0;
  // With pruning, each segment starts with who the live processes are (the first, which has
  // the /proc snapshot, may be deleted): their last proc rows, renumbered. With incidents too:
  // an incident then reads who they are from the segment it starts in, not from every one before.
  const context = opts.keep || opts.incidents ? new ProcessContext() : undefined;
  let ended!: () => void;
  const end = new Promise<void>((r) => { ended = r; });

  const onMessage = (b: NativeMessage): void => {
    if (b.kind === 'end') return ended();
    if (b.kind === 'flushed') {
      if (!failure) live?.flushed();
      return;
    }
    if (failure || !writer) {
      dropped += b.rows;
      return;
    }
    try {
      const batch = recordBatchFromNative(b);
      writer.append(b.table, batch);
      context?.add(b.table, batch);
      live?.batch(b.table, batch);
    } catch (err) {
      failure = writeFailure(err, opts.out);
      stop('error');
    }
  };

  let session: NativeSession;
  try {
    session = new addon.Session({
      mode: target.kind === 'command' ? 'pids' : target.kind,
      ringBytes,
      batchRows: opts.batchRows ?? DEFAULTS.batchRows,
      batchMs: opts.batchMs ?? DEFAULTS.batchMs,
      drainMs: opts.drainMs ?? DEFAULTS.drainMs,
      holdMs: DEFAULTS.holdMs,
      synced: opts.live !== undefined,
      // A launched command is recorded from its exec; the others from a snapshot of /proc.
      snapshot: target.kind !== 'command',
      tables,
      sampleHz,
      ...(target.kind === 'cgroup' ? { cgroupPath: target.path } : {}),
      btfPath,
      features,
      debug: opts.debug ?? false,
    }, onMessage);
  } catch (err) {
    throw explainLoadError(err as Error);
  }

  let child: { pid: number; gate: number } | undefined;
  let reason: StopReason = 'target exited';
  let stopping = false;
  const timers: NodeJS.Timeout[] = [];
  const started = process.hrtime.bigint();
  const elapsedMs = (): number => Number(process.hrtime.bigint() - started) / 1e6;
  let exitStatus: number | null = null;

  function stop(why: StopReason): void {
    if (stopping) return;
    stopping = true;
    reason = why;
    session.stop();
  }

  function reapChild(): void {
    if (child && exitStatus === null) exitStatus = addon.reap(child.pid);
  }

  /** Ends the recording for `why`; a launched command still running gets `sig` and a moment
   * to exit first, so its last events are recorded. */
  function endWithCommand(sig: NodeJS.Signals, why: StopReason): void {
    if (!child || exitStatus !== null) return stop(why);
    try { process.kill(child.pid, sig); } catch { /* already gone */ }
    reason = why;
    timers.push(setTimeout(() => stop(why), DEFAULTS.graceMs));
  }

  // SIGUSR1 asks for an incident (a mark leaves its note first).
  const onMark = (): void => {
    const incidents = opts.incidents;
    if (!incidents) return opts.report?.('SIGUSR1: this recorder makes no incident recordings (no --incidents); ignored');
    const marks = takeMarks(process.pid, (file, problem) => opts.report?.(`${file}: not a mark request (${problem}); removed`));
    if (marks.length === 0) incidents.trigger({ reason: 'signal', ts: process.hrtime.bigint() });
    for (const m of marks) incidents.trigger({ reason: 'mark', ts: m.ts, note: m.note });
  };
  let signalled = 0;
  // A second signal does not wait for the command; once recording has stopped, a signal stops waiting for live detection.
  const onSignal = (sig: NodeJS.Signals): void => {
    if (finishing) return live?.abort();
    return ++signalled === 1 ? endWithCommand(sig, 'signal') : stop('signal');
  };
  const { onHangup } = opts;
  const signals: ReadonlyArray<readonly [NodeJS.Signals, (sig: NodeJS.Signals) => void]> =
    [['SIGINT', onSignal], ['SIGTERM', onSignal], ['SIGHUP', onHangup ? () => onHangup() : onSignal]];

  try {
    const accounts = opts.accounts ?? readAccounts();
    writer = RecordingWriter.create(opts.out, {
      sealInBackground: true,
      queueBytes: opts.queueBytes ?? DEFAULTS.queueBytes,
      maxSegmentBytes: opts.maxSegmentBytes,
      maxSegmentMs: opts.maxSegmentMs,
      ...(opts.keep ? { keep: opts.keep } : {}),
      // Each segment has the host's accounts, so user names outlive the segments pruned.
      carried: () => {
        const batches: Array<[TableName, RecordBatch]> = [['account', accountBatch(accounts, process.hrtime.bigint())]];
        const proc = context && contextBatch(context, (n) => session.reserveSeqs(n));
        if (proc) batches.push(['proc', proc]);
        return batches;
      },
      commandLine: opts.commandLine,
      targets: describeTarget(target),
      probes: session.programs(),
      source: {
        kind: 'kernel', libbpf: addon.libbpfVersion, ring_bytes: ringBytes, tables,
        ...(tables.includes('sample') ? { sample_hz: sampleHz } : {}),
        ...(Object.keys(unavailable).length > 0 ? { unavailable_tables: unavailable } : {}),
        kernel_features: kernelVariant(features),
        ...(opts.live ? { live_detectors: opts.live.detectors().map((d) => ({ name: d.name, version: d.version })) } : {}),
        ...(context ? { process_context: 'every segment' } : {}),
        ...(opts.incidents ? { incidents: opts.incidents.manifestJson } : {}),
      },
    });
    writer.openSegment(); // now, with the accounts as they are at the start
    opts.incidents?.attach({
      recording: opts.out, writer, clock: writer.current.clock, nowTs: () => process.hrtime.bigint(),
      lateNs: BigInt((opts.batchMs ?? DEFAULTS.batchMs) + DEFAULTS.holdMs + (opts.drainMs ?? DEFAULTS.drainMs) + 1000) * 1_000_000n,
    });
    live = opts.live?.attach(writer, (err) => {
      failure ??= writeFailure(err, opts.out);
      stop('error');
    });
    // The consumer queues its batches to the writer thread; only the tables live detection reads,
    // and proc when each segment starts with the processes' context, come here first.
    session.writeTo(writer.batchWriter.native, [...(live?.wantedTables ?? []), ...(context ? ['proc'] : [])], compressionLevel());
    // The processes given, and every one already below them: their children are targets too.
    if (target.kind === 'pids') for (const pid of addon.processTree(target.pids)) session.addTarget(pid);
    // The processes running when recording starts are read from /proc twice: here, for those
    // that end before the second read, and once the programs are attached, for those that
    // started in between (the kernel sees everything after that).
    let snapshotMs = 0;
    const takeSnapshot = (attached: boolean): number => {
      if (target.kind === 'command') return 0;
      const t0 = performance.now();
      const pids = coveredProcesses(addon, target);
      if (target.kind === 'pids' && attached) for (const pid of pids) session.addTarget(pid);
      session.snapshot(pids, cgroupRoot);
      snapshotMs += performance.now() - t0;
      return pids.length;
    };
    takeSnapshot(false);
    if (target.kind === 'command') {
      const env = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`);
      child = addon.spawnHeld(target.file, target.argv, env);
      session.addTarget(child.pid);
    }
    // Listened to before the programs attach: a signal that comes as soon as they are
    // attached (a test or a script that waits for them) is handled once this code is done.
    for (const [s, on] of signals) process.on(s, on);
    handleUsr1(onMark);
    try {
      session.start();
    } catch (err) {
      throw explainLoadError(err as Error);
    }
    if (target.kind !== 'command') snapshot = { processes: takeSnapshot(true), ms: snapshotMs };
  } catch (err) {
    for (const [s, on] of signals) process.off(s, on);
    handleUsr1(undefined);
    session.close();
    if (child) {
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
      addon.reap(child.pid);
    }
    if (writer) {
      writer.close();
      rmSync(opts.out, { recursive: true, force: true }); // nothing was recorded
    }
    throw err;
  }

  if (child) addon.release(child.gate);
  // For `flightrec status`, while recording.
  const status = new StatusWriter(() => ({ ...recordingState(writer!, session.stats(), target), ...(opts.incidents ? { incidents: opts.incidents.status() } : {}) }), opts.report);
  status.start();
  if (opts.durationMs !== undefined) {
    timers.push(setTimeout(() => endWithCommand('SIGTERM', 'duration'), opts.durationMs));
  }
  // The target's end: the launched command reaped, or every given pid gone.
  timers.push(setInterval(() => {
    if (stopping) return;
    if (child) {
      reapChild();
      if (exitStatus !== null) stop(reason);
    } else if (target.kind === 'pids' && !anyAlive(target.pids)) stop('target exited');
    try {
      writer?.tick();
    } catch (err) {
      failure ??= writeFailure(err, opts.out);
      stop('error');
    }
    opts.incidents?.tick();
  }, 10));
  if (opts.onProgress) {
    const report = opts.onProgress;
    timers.push(setInterval(() => report({ elapsedMs: elapsedMs(), stats: session.stats(), bytesWritten: writer?.bytesWritten ?? 0 }), opts.progressMs ?? 500));
  }

  await end;
  for (const t of timers) clearTimeout(t);
  status.stop();
  const stats = session.stats();
  const cgroupIds = session.cgroupIds().map(BigInt);
  session.close();
  reapChild();
  // The programs are detached; live detection runs what it was handed, briefly after a signal.
  finishing = true;
  await live?.finish(signalled > 0 ? DEFAULTS.detectGraceMs : undefined);
  for (const [s, on] of signals) process.off(s, on);
  if (!failure && cgroupIds.length > 0) {
    try {
      // Those live detection wrote with its alerts are there already.
      const left = cgroupIds.filter((id) => !live?.cgroups.has(id));
      if (left.length > 0) writer.append('cgroup', cgroupBatch(resolveCgroups(left, cgroupRoot), process.hrtime.bigint()));
    } catch (err) {
      failure = writeFailure(err, opts.out);
    }
  }

  let manifest: Manifest;
  try {
    manifest = writer.close();
  } catch (err) {
    failure ??= writeFailure(err, opts.out);
    throw failure;
  } finally {
    handleUsr1(undefined);
  }
  // Those whose window had not passed are written now, cut short at the recording's end.
  await opts.incidents?.finish();
  dropped += writer.batchWriter.stats().rowsNotWritten;
  if (failure && dropped > 0) {
    failure = new RecordingError(`${failure.message}; ${dropped} later rows were not written`);
  }
  const usage = process.resourceUsage();
  return {
    manifest,
    stats,
    elapsedMs: elapsedMs(),
    bytesWritten: writer.bytesWritten,
    bytesKept: writer.bytesKept,
    prunedSegments: manifest.segments.filter(isPruned).length,
    pruning: { totalMs: writer.pruning.totalMs, maxMs: writer.pruning.maxMs },
    reason: failure ? 'error' : reason,
    ...(exitStatus !== null ? { exit: exitOf(exitStatus) } : {}),
    peakRssBytes: usage.maxRSS * 1024,
    cpuUserMs: usage.userCPUTime / 1000,
    cpuSystemMs: usage.systemCPUTime / 1000,
    unavailable,
    ...(failure ? { error: failure } : {}),
    ...(live ? { live } : {}),
    ...(snapshot ? { snapshot } : {}),
    ...(opts.incidents ? { incidents: opts.incidents.written } : {}),
  };
}

function writeFailure(err: unknown, out: string): RecordingError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return new RecordingError(`the disk is full: recording stopped; what was written before is kept`, { file: out, cause: err });
  if (err instanceof RecordingError) return err;
  return new RecordingError(`writing the recording failed (${code ?? (err as Error).message}): recording stopped; what was written before is kept`, { file: out, cause: err });
}
