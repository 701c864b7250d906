// One recording session as a state machine: starting → recording → stopping → finishing →
// sealed, or failed; one method per transition, and the rest kept in fields said once below.
import { rmSync } from 'node:fs';
import type { RecordBatch } from 'apache-arrow';
import { RecordingError } from '../format/errors.js';
import { isPruned, type Manifest } from '../format/manifest.js';
import { compressionLevel } from '../format/codec.js';
import { RecordingWriter } from '../format/recording-writer.js';
import { DEFAULT_TABLES, type TableName } from '../schema/tables.js';
import { DEFAULTS } from './defaults.js';
import { recordBatchFromNative } from './arrow.js';
import type { LiveDetection } from './live.js';
import { kernelBtfPath, kernelVariant, planFor, withoutFeatures } from './kernel.js';
import { loadAddon, type Addon, type KernelFeatures, type NativeBatch, type NativeMessage, type NativeSession, type NativeStats } from './native.js';
import { explainLoadError, preflight } from './preflight.js';
import { accountBatch, readAccounts } from './accounts.js';
import { cgroupBatch, resolveCgroups } from './cgroups.js';
import { StatusWriter, recordingState } from './status.js';
import { anyAlive, cgroup2Root, describeTarget, type Target } from './target.js';
import { takeMarks } from './marks.js';
import { LaunchedCommand } from './launched-command.js';
import { contextBatch, ProcessContext } from '../replay/process-context.js';
import type { RecordOptions, RecordResult, StopReason } from './session.js';

/**
 * - starting: the programs are loaded; the recording, the targets and the held command are made,
 *   then the programs attach. A failure undoes all of it (→ failed).
 * - recording: batches are written; the timers watch the target and the duration.
 * - stopping: the programs are detached; the consumer hands over what is left, then the end.
 *   (The end may also come while recording, if the consumer fails.)
 * - finishing: live detection finishes what it was handed; the recording is sealed (→ sealed),
 *   or its manifest cannot be written (→ failed).
 */
type State = 'starting' | 'recording' | 'stopping' | 'finishing' | 'sealed' | 'failed';

type SignalListener = readonly [NodeJS.Signals, (sig: NodeJS.Signals) => void];

export class Recorder {
  private state: State = 'starting';
  private readonly addon: Addon;
  private readonly btfPath: string;
  private readonly features: KernelFeatures;
  private readonly tables: TableName[];
  private readonly unavailable: Readonly<Record<string, string>>;
  private readonly cgroupRoot: string;
  private readonly ringBytes: number;
  private readonly sampleHz: number;
  /**
   * With pruning, each segment starts with who the live processes are (the first, which has
   * the /proc snapshot, may be deleted): their last proc rows, renumbered. With incidents too:
   * an incident then reads who they are from the segment it starts in, not from every one before.
   */
  private readonly context: ProcessContext | undefined;
  private readonly session: NativeSession;
  private readonly startedAt: bigint;
  /** Resolved by the consumer's last message. */
  readonly ended: Promise<void>;
  private end!: () => void;

  // Made while starting.
  private writer: RecordingWriter | undefined;
  private live: LiveDetection | undefined;
  private child: LaunchedCommand | undefined;
  private snapshot: RecordResult['snapshot'];
  private readonly signals: readonly SignalListener[];
  // Made once recording.
  private status: StatusWriter | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

  /** Why the recording stopped (or will, once a launched command has had its moment). */
  private reason: StopReason = 'target exited';
  /** Stop signals received: the first waits for the command, a second does not. */
  private signalled = 0;
  /** The first failure to write: the recording stops; what was written is kept. */
  private failure: RecordingError | undefined;
  /** Rows handed over after the failure, not written. */
  private dropped = 0;

  /** Loads the programs for the tables this kernel can record (→ starting). */
  constructor(private readonly opts: RecordOptions) {
    this.ringBytes = opts.ringBytes ?? DEFAULTS.ringBytes;
    this.sampleHz = opts.sampleHz ?? DEFAULTS.sampleHz;
    preflight();
    this.addon = loadAddon();
    this.btfPath = kernelBtfPath();
    this.features = withoutFeatures(this.addon.probeKernel(this.btfPath));
    ({ tables: this.tables, unavailable: this.unavailable } = planFor(this.features, opts.tables ?? DEFAULT_TABLES));
    this.cgroupRoot = cgroup2Root() ?? '/sys/fs/cgroup';
    this.context = opts.keep || opts.incidents ? new ProcessContext() : undefined;
    this.ended = new Promise<void>((r) => { this.end = r; });
    this.session = this.load();
    this.startedAt = process.hrtime.bigint();
    const { onHangup } = opts;
    this.signals = [['SIGINT', this.onSignal], ['SIGTERM', this.onSignal], ['SIGHUP', onHangup ? () => onHangup() : this.onSignal]];
  }

  private load(): NativeSession {
    const { opts, ringBytes } = this;
    const target = opts.target;
    try {
      return new this.addon.Session({
        mode: target.kind === 'command' ? 'pids' : target.kind,
        ringBytes,
        batchRows: opts.batchRows ?? DEFAULTS.batchRows,
        batchMs: opts.batchMs ?? DEFAULTS.batchMs,
        drainMs: opts.drainMs ?? DEFAULTS.drainMs,
        holdMs: DEFAULTS.holdMs,
        synced: opts.live !== undefined,
        // A launched command is recorded from its exec; the others from a snapshot of /proc.
        snapshot: target.kind !== 'command',
        tables: this.tables,
        sampleHz: this.sampleHz,
        ...(target.kind === 'cgroup' ? { cgroupPath: target.path } : {}),
        btfPath: this.btfPath,
        features: this.features,
        debug: opts.debug ?? false,
      }, this.onMessage);
    } catch (err) {
      throw explainLoadError(err as Error);
    }
  }

  /** starting → recording: the recording opened, the targets selected, the programs attached,
   * the command released. On a failure, everything done so far is undone (→ failed) and it throws. */
  start(): void {
    const { opts, session } = this;
    const target = opts.target;
    try {
      const writer = this.createWriter();
      opts.incidents?.attach({
        recording: opts.out, writer, clock: writer.current.clock, nowTs: () => process.hrtime.bigint(),
        lateNs: BigInt((opts.batchMs ?? DEFAULTS.batchMs) + DEFAULTS.holdMs + (opts.drainMs ?? DEFAULTS.drainMs) + 1000) * 1_000_000n,
      });
      this.live = opts.live?.attach(writer, (err) => {
        this.fail(err);
        this.stop('error');
      });
      // The consumer queues its batches to the writer thread; only the tables live detection
      // reads, and proc when each segment starts with the processes' context, come here first.
      session.writeTo(writer.batchWriter.native, [...(this.live?.wantedTables ?? []), ...(this.context ? ['proc'] : [])], compressionLevel());
      // The processes given, and every one already below them: their children are targets too.
      if (target.kind === 'pids') for (const pid of this.addon.processTree(target.pids)) session.addTarget(pid);
      // The processes running when recording starts are read from /proc twice: here, for those
      // that end before the second read, and once the programs are attached, for those that
      // started in between (the kernel sees everything after that).
      const first = this.takeSnapshot(false);
      if (target.kind === 'command') {
        this.child = LaunchedCommand.spawnHeld(this.addon, target.file, target.argv);
        session.addTarget(this.child.pid);
      }
      // Listened to before the programs attach: a signal that comes as soon as they are
      // attached (a test or a script that waits for them) is handled once this code is done.
      for (const [s, on] of this.signals) process.on(s, on);
      handleUsr1(this.onMark);
      try {
        session.start();
      } catch (err) {
        throw explainLoadError(err as Error);
      }
      if (target.kind !== 'command') {
        const second = this.takeSnapshot(true);
        this.snapshot = { processes: second.processes, ms: first.ms + second.ms };
      }
    } catch (err) {
      this.abandon();
      throw err;
    }
    this.state = 'recording';
    this.child?.release();
    // For `flightrec status`, while recording.
    this.status = new StatusWriter(() => ({ ...recordingState(this.writer!, session.stats(), target), ...(opts.incidents ? { incidents: opts.incidents.status() } : {}) }), opts.report);
    this.status.start();
    if (opts.durationMs !== undefined) this.timers.push(setTimeout(() => this.endWithCommand('SIGTERM', 'duration'), opts.durationMs));
    this.timers.push(setInterval(() => this.tick(), 10));
    if (opts.onProgress) {
      const report = opts.onProgress;
      this.timers.push(setInterval(() => report({ elapsedMs: this.elapsedMs(), stats: session.stats(), bytesWritten: this.writer?.bytesWritten ?? 0 }), opts.progressMs ?? 500));
    }
  }

  /** The recording, with its first segment opened now, with the accounts as they are at the start. */
  private createWriter(): RecordingWriter {
    const { opts, context, session, tables, unavailable } = this;
    const accounts = opts.accounts ?? readAccounts();
    const writer = RecordingWriter.create(opts.out, {
      // Segments enter the manifest once the writer thread has sealed them: rotation never waits.
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
      targets: describeTarget(opts.target),
      probes: session.programs(),
      source: {
        kind: 'kernel', libbpf: this.addon.libbpfVersion, ring_bytes: this.ringBytes, tables,
        ...(tables.includes('sample') ? { sample_hz: this.sampleHz } : {}),
        ...(Object.keys(unavailable).length > 0 ? { unavailable_tables: unavailable } : {}),
        kernel_features: kernelVariant(this.features),
        ...(opts.live ? { live_detectors: opts.live.detectors().map((d) => ({ name: d.name, version: d.version })) } : {}),
        ...(context ? { process_context: 'every segment' } : {}),
        ...(opts.incidents ? { incidents: opts.incidents.manifestJson } : {}),
      },
    });
    this.writer = writer; // closed and removed if starting fails from here on
    writer.openSegment();
    return writer;
  }

  /** The processes running now, read from /proc (not for a launched command): before the programs
   * attach, and after, when the pids found are also made targets. */
  private takeSnapshot(attached: boolean): { processes: number; ms: number } {
    const target = this.opts.target;
    if (target.kind === 'command') return { processes: 0, ms: 0 };
    const t0 = performance.now();
    const pids = coveredProcesses(this.addon, target);
    if (target.kind === 'pids' && attached) for (const pid of pids) this.session.addTarget(pid);
    this.session.snapshot(pids, this.cgroupRoot);
    return { processes: pids.length, ms: performance.now() - t0 };
  }

  /** starting → failed: undoes what starting did; nothing was recorded. */
  private abandon(): void {
    this.state = 'failed';
    for (const [s, on] of this.signals) process.off(s, on);
    handleUsr1(undefined);
    this.session.close();
    this.child?.kill();
    if (this.writer) {
      this.writer.close();
      rmSync(this.opts.out, { recursive: true, force: true });
    }
  }

  /** What the consumer thread hands over: batches; with live detection, a mark that every row up
   * to a watermark was handed over; last, the end. */
  private readonly onMessage = (m: NativeMessage): void => {
    if (m.kind === 'end') return this.end();
    if (m.kind === 'flushed') {
      if (!this.failure) this.live?.flushed();
      return;
    }
    this.onBatch(m);
  };

  /** A batch of a table live detection reads (or proc, kept as process context): written, kept,
   * handed to live detection; after a failure to write, counted as not written. The other
   * tables' batches go from the consumer to the writer thread without coming here. */
  private onBatch(b: NativeBatch): void {
    if (this.failure || !this.writer) {
      this.dropped += b.rows;
      return;
    }
    try {
      const batch = recordBatchFromNative(b);
      this.writer.append(b.table, batch);
      this.context?.add(b.table, batch);
      this.live?.batch(b.table, batch);
    } catch (err) {
      this.fail(err);
      this.stop('error');
    }
  }

  /** Every 10 ms while recording: the target's end (the launched command reaped, or every given
   * pid gone), segment rotation, incidents' windows. */
  private tick(): void {
    if (this.state !== 'recording') return;
    const target = this.opts.target;
    if (this.child) {
      if (this.child.reap()) this.stop(this.reason);
    } else if (target.kind === 'pids' && !anyAlive(target.pids)) this.stop('target exited');
    try {
      this.writer?.tick();
    } catch (err) {
      // A write failure on the writer thread.
      this.fail(err);
      this.stop('error');
    }
    this.opts.incidents?.tick();
  }

  /** recording → stopping: the programs detach; the consumer hands over what is left, then the end. */
  private stop(why: StopReason): void {
    if (this.state !== 'recording') return;
    this.state = 'stopping';
    this.reason = why;
    this.session.stop();
  }

  /** Stops for `why`; a launched command still running gets `sig` and a moment to exit first,
   * so its last events are recorded. */
  private endWithCommand(sig: NodeJS.Signals, why: StopReason): void {
    if (!this.child || this.child.ended) return this.stop(why);
    this.child.signal(sig);
    this.reason = why;
    this.timers.push(setTimeout(() => this.stop(why), DEFAULTS.graceMs));
  }

  /** SIGINT, SIGTERM (and SIGHUP without onHangup). A second signal does not wait for the command;
   * once the recording has ended, a signal stops waiting for live detection. */
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    if (this.state === 'finishing') return this.live?.abort();
    return ++this.signalled === 1 ? this.endWithCommand(sig, 'signal') : this.stop('signal');
  };

  /** SIGUSR1 asks for an incident (a mark leaves its note first). */
  private readonly onMark = (): void => {
    const { incidents, report } = this.opts;
    if (!incidents) return report?.('SIGUSR1: this recorder makes no incident recordings (no --incidents); ignored');
    const marks = takeMarks(process.pid, (file, problem) => report?.(`${file}: not a mark request (${problem}); removed`));
    if (marks.length === 0) incidents.trigger({ reason: 'signal', ts: process.hrtime.bigint() });
    for (const m of marks) incidents.trigger({ reason: 'mark', ts: m.ts, note: m.note });
  };

  /** The end arrived (stopping → finishing → sealed, or failed if the manifest cannot be written):
   * the session closed, live detection finished, the cgroups named, the recording sealed. */
  async finish(): Promise<RecordResult> {
    const { opts, session } = this;
    const writer = this.writer!;
    for (const t of this.timers) clearTimeout(t);
    this.status?.stop();
    const stats = session.stats();
    const cgroupIds = session.cgroupIds().map(BigInt);
    session.close();
    this.child?.reap();
    // The programs are detached; live detection runs what it was handed, briefly after a signal.
    this.state = 'finishing';
    await this.live?.finish(this.signalled > 0 ? DEFAULTS.detectGraceMs : undefined);
    for (const [s, on] of this.signals) process.off(s, on);
    if (!this.failure && cgroupIds.length > 0) {
      try {
        // Those live detection wrote with its alerts are there already.
        const left = cgroupIds.filter((id) => !this.live?.cgroups.has(id));
        if (left.length > 0) writer.append('cgroup', cgroupBatch(resolveCgroups(left, this.cgroupRoot), process.hrtime.bigint()));
      } catch (err) {
        this.fail(err);
      }
    }
    let manifest: Manifest;
    try {
      manifest = writer.close();
    } catch (err) {
      this.state = 'failed';
      this.fail(err);
      throw this.failureSaid(writer)!;
    } finally {
      handleUsr1(undefined);
    }
    this.state = 'sealed';
    // Those whose window had not passed are written now, cut short at the recording's end.
    await opts.incidents?.finish();
    return this.result(manifest, stats, writer);
  }

  private result(manifest: Manifest, stats: NativeStats, writer: RecordingWriter): RecordResult {
    const { opts, live, snapshot } = this;
    const failure = this.failureSaid(writer);
    const exit = this.child?.exit();
    const usage = process.resourceUsage();
    return {
      manifest,
      stats,
      elapsedMs: this.elapsedMs(),
      bytesWritten: writer.bytesWritten,
      bytesKept: writer.bytesKept,
      prunedSegments: manifest.segments.filter(isPruned).length,
      pruning: { totalMs: writer.pruning.totalMs, maxMs: writer.pruning.maxMs },
      reason: failure ? 'error' : this.reason,
      ...(exit ? { exit } : {}),
      peakRssBytes: usage.maxRSS * 1024,
      cpuUserMs: usage.userCPUTime / 1000,
      cpuSystemMs: usage.systemCPUTime / 1000,
      unavailable: this.unavailable,
      ...(failure ? { error: failure } : {}),
      ...(live ? { live } : {}),
      ...(snapshot ? { snapshot } : {}),
      ...(opts.incidents ? { incidents: opts.incidents.written } : {}),
    };
  }

  private elapsedMs(): number {
    return Number(process.hrtime.bigint() - this.startedAt) / 1e6;
  }

  /** The failure, if there was one, with how many rows given after it were not written. */
  private failureSaid(writer: RecordingWriter): RecordingError | undefined {
    const dropped = this.dropped + writer.batchWriter.stats().rowsNotWritten;
    if (!this.failure || dropped === 0) return this.failure;
    return new RecordingError(`${this.failure.message}; ${dropped} later rows were not written`, { cause: this.failure.cause });
  }

  /** Keeps the first failure to write (as one line naming the recording) and returns it. */
  private fail(err: unknown): RecordingError {
    return this.failure ??= writeFailure(err, this.opts.out);
  }
}

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

/** The processes a snapshot covers: every one (but the recorder), the given ones and those
 * below them, or those in the cgroup. */
function coveredProcesses(addon: Addon, target: Exclude<Target, { kind: 'command' }>): number[] {
  if (target.kind === 'all') return addon.allProcesses();
  if (target.kind === 'pids') return addon.processTree(target.pids);
  return addon.cgroupProcesses(target.path);
}

function writeFailure(err: unknown, out: string): RecordingError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return new RecordingError(`the disk is full: recording stopped; what was written before is kept`, { file: out, cause: err });
  if (err instanceof RecordingError) return err;
  return new RecordingError(`writing the recording failed (${code ?? (err as Error).message}): recording stopped; what was written before is kept`, { file: out, cause: err });
}
