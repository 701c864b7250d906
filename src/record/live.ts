// The live detector tap of `record --detect`, on the recording's side. Detection runs on a
// worker thread (live-worker.ts) under a watchdog; this side never waits for it. Each batch
// of a table the detectors need is copied to the thread as the recorder hands it over, and
// each flush mark follows; the alerts come back per mark, in order, and go into the
// recording's alert table and to the sinks, as they did when detection ran on this thread.
//
// The thread is bounded, not the recording: once it is more than a bound of events behind,
// live detection stops (said in one line) and the recording goes on. A detector that overruns
// a budget is stopped and named, and a new thread without it catches up from the recording
// on disk (see live-worker.ts), so the others go on with the state a replay would give them.
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { alertBatch } from '../detect/alert.js';
import type { DetectorBudgets, DetectorStop } from '../detect/budgets.js';
import { culpritOf } from '../detect/culprit.js';
import { DetectorThread, type ThreadEnd } from '../detect/detector-thread.js';
import type { Options } from '../detect/load.js';
import { usersOf, type Alert, type DetectorFailure } from '../detect/runtime.js';
import type { Account } from './accounts.js';
import { cgroupBatch, type CgroupInfo } from './cgroups.js';
import type { AlertSink } from '../detect/sinks.js';
import type { DetectorInfo } from '../detect/thread-detectors.js';
import { fromThreadError } from '../detect/thread-error.js';
import { packBatch } from '../format/batch-transfer.js';
import { RecordingError } from '../format/errors.js';
import type { RecordingWriter } from '../format/recording-writer.js';
import { packageRoot } from '../paths.js';
import type { TableName } from '../schema/tables.js';
import type { LiveInput, LiveMessage, LiveRequest, Position } from './live-worker.js';

export interface LiveOptions {
  /** As --detectors takes them, and their options. */
  readonly specs: readonly string[] | undefined;
  readonly options: Options;
  /** Of the recording about to be made. */
  readonly arch: string;
  readonly sampleHz?: number;
  /** The host's accounts, which the recording stores (record()'s `accounts`): detectors name uids by them. */
  readonly accounts: readonly Account[];
  /** The cgroup2 mount: alerts name the container of their process. */
  readonly cgroupRoot?: string;
  readonly budgets: DetectorBudgets;
  /** Live detection stops once this many events handed to it wait to be run. */
  readonly backlogRows: number;
  readonly sinks: readonly AlertSink[];
  /** Says something in one line now (on stderr). */
  readonly report: (line: string) => void;
}

export { DEFAULT_BACKLOG_ROWS } from './defaults.js';

/** The detection thread, compiled: under the test runner the sources are TypeScript, the thread is not. */
const script = (): string => join(packageRoot(), 'dist', 'src', 'record', 'live-worker.js');

type State = 'starting' | 'running' | 'ended';

export class LiveDetection {
  /** Alerts stored so far. */
  alerts = 0;
  /** Rows that arrived after rows later in the order were already run (their alerts may differ from replay's). */
  late = 0;
  /** Detectors that threw (stopped there, as in replay). */
  readonly failures: DetectorFailure[] = [];
  /** Detectors the watchdog stopped. */
  readonly stopped: DetectorStop[] = [];
  /** Cgroups written to the recording with alerts (the recorder writes the others at stop). */
  readonly cgroups = new Set<bigint>();
  /** Why live detection ended before the recording did, if it did. */
  ended: string | undefined;

  private state: State = 'starting';
  private thread!: DetectorThread<LiveInput, LiveMessage>;
  private info: readonly DetectorInfo[] | undefined;
  private tables = new Set<string>();
  private writer: RecordingWriter | undefined;
  private onWriteError: (err: unknown) => void = () => undefined;
  /** Rows handed over per table since the recording began, and as of the last flush mark. */
  private rowsIn = new Map<string, number>();
  private rowsAtFlush: Record<string, number> = {};
  /** Batches handed over since the last flush mark: a new thread is given them again. */
  private group: Array<{ table: TableName; batch: RecordBatch }> = [];
  /** The current thread: rows posted and run, flush marks posted and answered, catching up. */
  private posted = 0;
  private processed = 0;
  private marks = 0;
  private answered = 0;
  private catchingUp = false;
  /** The last event whose alerts are stored. */
  private stored: Position | undefined;
  private waiter: (() => void) | undefined;

  private constructor(private readonly o: LiveOptions) {}

  /** Loads the detectors on a detection thread: a detector that cannot run is refused here, before recording starts. */
  static async start(o: LiveOptions): Promise<LiveDetection> {
    const live = new LiveDetection(o);
    await new Promise<void>((resolve, reject) => live.launch(undefined, resolve, reject));
    return live;
  }

  /** The recording exists: alerts go into it. `onWriteError` gets a failure to write them. */
  attach(writer: RecordingWriter, onWriteError: (err: unknown) => void): this {
    this.writer = writer;
    this.onWriteError = onWriteError;
    return this;
  }

  /** The tables the detectors read: only their batches need to reach JavaScript. */
  get wantedTables(): ReadonlySet<string> {
    return this.tables;
  }

  /** The detectors running now. */
  detectors(): readonly DetectorInfo[] {
    return this.info ?? [];
  }

  batch(table: TableName, batch: RecordBatch): void {
    if (this.state === 'ended' || !this.tables.has(table) || batch.numRows === 0) return;
    this.rowsIn.set(table, (this.rowsIn.get(table) ?? 0) + batch.numRows);
    this.group.push({ table, batch });
    this.send(table, batch);
    if (this.posted - this.processed > this.o.backlogRows) {
      this.end(`live detection fell more than ${this.o.backlogRows.toLocaleString('en-US')} events behind the recording and was stopped; the recording goes on (flightrec replay runs the detectors over it)`, true);
    }
  }

  /** Every row up to a watermark has been handed over: the thread runs what it was given. */
  flushed(): void {
    if (this.state === 'ended') return;
    this.rowsAtFlush = Object.fromEntries(this.rowsIn);
    this.group = [];
    this.marks++;
    this.thread.post({ kind: 'flush' });
  }

  /**
   * Waits until every flush mark is answered and stops the thread. Given `graceMs` (the
   * recorder is stopping on a signal) or cut short by abort(), what is not run by then is not
   * run live, and that is said.
   */
  async finish(graceMs?: number): Promise<void> {
    if (this.state === 'ended') return;
    await this.settle(graceMs);
    // The thread may have ended meanwhile (an overrun with nobody to blame).
    if ((this.state as State) === 'ended') return;
    if (this.settled()) {
      // The events ended: one more mark, answered with the summaries of the alert groups still open (as replay ends).
      this.marks++;
      this.thread.post({ kind: 'end' });
      await this.settle(graceMs);
      if ((this.state as State) === 'ended') return;
      this.state = 'ended';
      await this.thread.stop();
      return;
    }
    const left = this.posted - this.processed;
    this.end(`live detection did not finish before the recorder stopped: ${left > 0 ? `the last ${left.toLocaleString('en-US')} events were` : 'the events already recorded were'} not run through the detectors live (flightrec replay runs them)`, false);
  }

  /** Waits until every flush mark is answered, at most graceMs when given, or until abort(). */
  private async settle(graceMs?: number): Promise<void> {
    if (this.settled()) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.waiter = resolve;
      if (graceMs !== undefined) timer = setTimeout(resolve, graceMs);
    });
    clearTimeout(timer);
    this.waiter = undefined;
  }

  /** Stops waiting in finish() now (a second signal). */
  abort(): void {
    this.waiter?.();
  }

  /** Stops the thread, saying nothing (the recording did not happen). */
  async close(): Promise<void> {
    if (this.state === 'ended') return;
    this.state = 'ended';
    await this.thread.stop();
  }

  private settled(): boolean {
    return this.state === 'running' && !this.catchingUp && this.answered === this.marks;
  }

  private send(table: TableName, batch: RecordBatch): void {
    const { packed, transfer } = packBatch(table, batch);
    this.posted += batch.numRows;
    this.thread.post({ kind: 'batch', batch: packed }, transfer);
  }

  /**
   * A detection thread without the stopped detectors. Started (`ready`) before the recording
   * exists, it only loads them; later it first catches up on what the recording holds.
   */
  private launch(catchUp: LiveRequest['catchUp'], ready?: () => void, refuse?: (err: Error) => void): void {
    const request: LiveRequest = {
      specs: this.o.specs, options: this.o.options, arch: this.o.arch, users: usersOf(this.o.accounts), ...(this.o.cgroupRoot !== undefined ? { cgroupRoot: this.o.cgroupRoot } : {}), exclude: this.stopped.map((s) => s.detector),
      ...(this.o.sampleHz !== undefined ? { sampleHz: this.o.sampleHz } : {}), ...(catchUp ? { catchUp } : {}),
    };
    this.posted = 0;
    this.processed = 0;
    this.marks = 0;
    this.answered = 0;
    this.catchingUp = catchUp !== undefined;
    this.info = undefined;
    const thread: DetectorThread<LiveInput, LiveMessage> = new DetectorThread(script(), request, this.o.budgets, {
      message: (m) => {
        if (thread !== this.thread) return;
        if (m.kind === 'loaded') this.info = m.info;
        else if (m.kind === 'ready') {
          this.tables = new Set(m.tables);
          if (this.state === 'starting') this.state = 'running';
          ready?.();
        } else if (m.kind === 'flushed') {
          this.answer(m);
        } else if (refuse && this.state === 'starting') {
          refuse(fromThreadError(m.error));
        } else {
          this.end(`live detection stopped: ${fromThreadError(m.error).message}`, true);
        }
      },
      end: (e) => {
        if (thread === this.thread) this.overran(e, ready, refuse);
      },
    });
    this.thread = thread;
    // What was handed over since the last flush mark goes to the new thread again, after its catch-up.
    for (const g of catchUp ? this.group : []) this.send(g.table, g.batch);
  }

  private answer(m: Extract<LiveMessage, { kind: 'flushed' }>): void {
    if (m.catchUp) this.catchingUp = false;
    else {
      this.answered++;
      this.processed += m.rows;
    }
    this.late += m.late;
    // A thread that caught up met again the throws the one before it had reported.
    for (const f of m.failures) if (!this.failures.some((x) => x.detector === f.detector)) this.failures.push(f);
    if (m.last) this.stored = m.last;
    if (m.alerts.length > 0) this.store(m.alerts, m.cgroups);
    if (this.waiter && this.settled()) this.waiter();
  }

  private store(alerts: readonly Alert[], cgroups: readonly CgroupInfo[]): void {
    if (!this.writer) return;
    this.alerts += alerts.length;
    try {
      // The cgroups the alerts name containers from, before them: a replay reads the same.
      const fresh = cgroups.filter((c) => !this.cgroups.has(c.id));
      if (fresh.length > 0) this.writer.append('cgroup', cgroupBatch(fresh, process.hrtime.bigint()));
      for (const c of fresh) this.cgroups.add(c.id);
      this.writer.append('alert', alertBatch(alerts));
    } catch (err) {
      this.end('live detection stopped: its alerts could not be written', false);
      this.onWriteError(err);
      return;
    }
    for (const s of this.o.sinks) s.write(alerts, this.writer.current);
  }

  /** A thread overran a budget or ended: leave its culprit out and go on without it. */
  private overran(e: ThreadEnd, ready?: () => void, refuse?: (err: Error) => void): void {
    let culprit: DetectorStop | undefined;
    try {
      culprit = culpritOf(e, this.info, this.o.specs, this.o.budgets);
    } catch (err) {
      if (refuse && this.state === 'starting') return refuse(err as Error);
      return this.end(`live detection stopped: ${(err as Error).message}`, true);
    }
    if (!culprit) {
      const why = e.reason === 'crash' ? `its thread ended (${e.message})` : e.reason === 'memory' ? `it ran out of the ${this.o.budgets.memoryMb} MiB detector memory budget` : 'it stopped making progress';
      if (refuse && this.state === 'starting') return refuse(new RecordingError(`live detection could not start: ${why}`));
      return this.end(`live detection stopped: ${why} while no detector ran`, true);
    }
    this.stopped.push(culprit);
    if (this.info && this.info.length <= 1) return this.end('live detection stopped: every detector was stopped', false);
    // The new thread catches up by reading the recording: what was given to the writer is written first.
    try {
      this.writer?.flushWrites();
    } catch (err) {
      this.end('live detection stopped: the recording could not be written', false);
      return this.onWriteError(err);
    }
    this.launch(this.writer ? { dir: this.writer.dir, rows: this.rowsAtFlush, after: this.stored } : undefined, ready, refuse);
  }

  private end(why: string, say: boolean): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.ended = why;
    if (say) this.o.report(why);
    void this.thread.stop();
    this.waiter?.();
  }
}
