// Runs detectors over runs of events in the total order (ts, seq). A run is consecutive rows
// of one batch (src/format/merge.ts); each detector that needs the run's table sees the rows
// that pass its predicates, through that table's cursor. Alerts come out in the order of the
// events that raised them, then of the detectors, whatever the run boundaries were: so live
// detection (batches as they arrive) and replay (batches as stored) agree.
// Every alert gets the context of its process and remote endpoint (alert-context.ts), and
// repeats are grouped (alert-groups.ts); the runtime reads the proc and dns tables for that
// whatever the detectors need, one row at a time, so an alert sees the process as of its event.
// Whatever detector code runs is marked on a heartbeat (heartbeat.ts): which detector, and
// the seq of the event it handles, so a thread supervising this one can name a detector that
// does not come back.
import type { RecordBatch } from 'apache-arrow';
import { u64Halves, type Run } from '../format/merge.js';
import type { AlertRow } from '../schema/rows.generated.js';
import { RUNTIME_EVIDENCE, SEVERITIES, type AlertInput, type Detector, type DetectorContext, type Event, type EventTable, type Handlers } from './api.js';
import { AlertContext, type ProcessContext, type RemoteContext } from './alert-context.js';
import { AlertGroups, type Group } from './alert-groups.js';
import { checkDetector, checkTags } from './check.js';
import { makeCursor, type Cursor } from './cursor.js';
import { IDLE, PHASE, RUNNING, SEQ_HI, SEQ_LO, STARTING, TICK, WHO, enter, leave, unwatchedHeartbeat, type Heartbeat } from './heartbeat.js';
import { compileWhere, syscallName, syscallNumbers, type Selection } from './predicate.js';

export type Alert = AlertRow;

const NONE: Alert[] = [];
const NO_SUBSCRIBERS: Subscriber[] = [];

/** A detector that threw: it is stopped there, the others go on. */
export interface DetectorFailure {
  readonly detector: string;
  /** The seq of the event it was handling (undefined when it failed to start). */
  readonly seq: bigint | undefined;
  readonly message: string;
}

interface Subscriber {
  readonly slot: Slot;
  readonly handler: (e: never) => void;
  readonly select: Selection | undefined;
  /** The selection of the batch last seen, and how far into it the runs have come. */
  batch: RecordBatch | undefined;
  rows: Int32Array;
  pos: number;
}

interface Slot {
  readonly index: number;
  readonly detector: Detector;
  stopped: boolean;
}

export interface RuntimeOptions {
  /** Architecture of the recording the events come from. */
  readonly arch: string;
  /** The recording's CPU sampling rate, when it has CPU samples. */
  readonly sampleHz?: number;
  /** Options per detector name. */
  readonly options?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Where to publish which detector runs (a supervisor watches it); by default nobody watches. */
  readonly heartbeat?: Heartbeat;
  /** The recorded host's user names by uid (usersOf() of its account table). */
  readonly users?: ReadonlyMap<number, string>;
  /** The container a cgroup id is, from the recording's cgroup table (containersOf()) or, live, as the recorder resolves it. */
  readonly containerOf?: (cgroupId: bigint) => string | undefined;
}

/** Container ids by cgroup id, from cgroup rows (the first row of an id counts). */
export function containersOf(cgroups: Iterable<{ readonly id: bigint; readonly container_id: string | null }>): Map<bigint, string> {
  const out = new Map<bigint, string>();
  for (const c of cgroups) if (c.container_id !== null && !out.has(c.id)) out.set(c.id, c.container_id);
  return out;
}

/** What an alert is made of before it is grouped: the summary of a group is made from its first. */
interface AlertParts {
  readonly ts: bigint;
  readonly seq: bigint;
  readonly pid: number;
  readonly slot: Slot;
  readonly severity: Alert['severity'];
  readonly title: string;
  readonly evidence: Readonly<Record<string, unknown>> | undefined;
  readonly process: ProcessContext;
  readonly remote: RemoteContext | undefined;
  readonly tags: readonly string[] | undefined;
  readonly related: bigint[];
}

/** User names by uid from account rows; a uid with several names gets the least, as SQL's min(name). */
export function usersOf(accounts: Iterable<{ readonly kind: string; readonly id: number; readonly name: string }>): Map<number, string> {
  const users = new Map<number, string>();
  for (const a of accounts) {
    if (a.kind !== 'user') continue;
    const had = users.get(a.id);
    if (had === undefined || a.name < had) users.set(a.id, a.name);
  }
  return users;
}

/** A thrown value as a bounded one-line message (it may be anything a detector throws). */
function messageOf(err: unknown): string {
  let m: string;
  try {
    m = String((err as Error)?.message ?? err);
  } catch {
    m = 'a value that cannot be shown';
  }
  return m.length > 500 ? `${m.slice(0, 500)}...` : m;
}

/**
 * An alert from its parts: the detector's evidence, then the runtime's keys (RUNTIME_EVIDENCE)
 * in a fixed order: its process, the remote endpoint, the group a summary stands for, its tags.
 */
function alertOf(p: AlertParts, group?: { readonly g: Group<AlertParts>; readonly ts: bigint; readonly seq: bigint }): Alert {
  const evidence = {
    ...p.evidence,
    process: p.process,
    ...(p.remote ? { remote: p.remote } : {}),
    ...(group ? { group: { count: group.g.count, first_ts: p.ts, last_ts: group.g.lastTs, pids: group.g.pids } } : {}),
    ...(p.tags && p.tags.length > 0 ? { tags: p.tags } : {}),
  };
  const d = p.slot.detector;
  return {
    ts: group ? group.ts : p.ts, seq: group ? group.seq : p.seq, pid: p.pid, detector: d.name, version: d.version, severity: p.severity,
    title: group ? `${p.title} (${group.g.count} alerts from this process tree)` : p.title,
    evidence: JSON.stringify(evidence, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)),
    related_seqs: group ? group.g.seqs : p.related,
  };
}

export class DetectorRuntime {
  /** The tables the detectors need, in schema order. */
  readonly tables: EventTable[];
  readonly failures: DetectorFailure[] = [];
  /** Events handed to at least one detector. */
  events = 0;
  private readonly subscribers = new Map<EventTable, Subscriber[]>();
  private readonly cursors = new Map<EventTable, { cursor: Cursor<EventTable>; batch: RecordBatch | undefined; seq: Uint32Array }>();
  private pending: Array<{ alert: Alert; order: number }> = [];
  private raised = 0;
  /** The detector handling an event, and the cursor on that event: where alert() takes ts, seq and pid from. */
  private currentSlot: Slot | undefined;
  private currentCursor: Cursor<EventTable> | undefined;
  private readonly beat: Heartbeat;
  private ticks = 0;
  private readonly alertContext: AlertContext;
  private readonly groups = new AlertGroups<AlertParts>();

  /** Checks every detector (throwing an Error that names the first bad one) and starts them. */
  constructor(detectors: readonly Detector[], opts: RuntimeOptions) {
    const names = new Set<string>();
    for (const d of detectors) {
      checkDetector(d);
      if (names.has(d.name)) throw new Error(`detector ${d.name} is given twice`);
      names.add(d.name);
    }
    this.beat = opts.heartbeat ?? unwatchedHeartbeat();
    this.alertContext = new AlertContext((uid) => opts.users?.get(uid), opts.containerOf ?? (() => undefined));
    // The alert context reads processes and DNS answers whatever the detectors read.
    const needed = new Set<EventTable>(detectors.length > 0 ? ['proc', 'dns'] : []);
    detectors.forEach((detector, index) => {
      // Predicates and create() read the detector's own objects: its code, marked as running.
      enter(this.beat, STARTING, index);
      try {
        this.start(detector, index, opts, needed);
      } finally {
        leave(this.beat);
      }
    });
    this.tables = [...needed].sort();
    for (const t of this.tables) this.cursors.set(t, { cursor: makeCursor(t) as Cursor<EventTable>, batch: undefined, seq: new Uint32Array(0) });
  }

  /** Compiles a detector's predicates, creates its state and subscribes its handlers. */
  private start(detector: Detector, index: number, opts: RuntimeOptions, needed: Set<EventTable>): void {
    const slot: Slot = { index, detector, stopped: false };
    const selects = new Map<EventTable, Selection | undefined>();
    for (const [table, needs] of Object.entries(detector.tables) as [EventTable, { where?: Record<string, never[]> }][]) {
      try {
        selects.set(table, needs?.where && Object.keys(needs.where).length > 0 ? compileWhere(table, needs.where, opts.arch) : undefined);
      } catch (err) {
        throw new Error(`detector ${detector.name}: ${(err as Error).message}`);
      }
    }
    let handlers: Handlers;
    try {
      handlers = detector.create(this.context(slot, opts));
    } catch (err) {
      throw new Error(`detector ${detector.name} failed to start: ${messageOf(err)}`);
    }
    for (const [table, handler] of Object.entries(handlers) as [EventTable, (e: never) => void][]) {
      if (typeof handler !== 'function') continue;
      if (!selects.has(table)) throw new Error(`detector ${detector.name} handles table ${table} but does not declare it in tables`);
      needed.add(table);
      const list = this.subscribers.get(table) ?? [];
      list.push({ slot, handler, select: selects.get(table), batch: undefined, rows: new Int32Array(0), pos: 0 });
      this.subscribers.set(table, list);
    }
  }

  private context(slot: Slot, opts: RuntimeOptions): DetectorContext {
    const numbers = syscallNumbers(opts.arch);
    return {
      options: opts.options?.[slot.detector.name] ?? {},
      arch: opts.arch,
      sampleHz: opts.sampleHz,
      syscall: (name) => numbers.get(name) ?? -1,
      syscallName: (nr) => syscallName(opts.arch, nr),
      userName: (uid) => opts.users?.get(uid),
      alert: (a) => this.raise(slot, a),
    };
  }

  private raise(slot: Slot, a: AlertInput): void {
    if (this.currentSlot !== slot) throw new Error('alert() called outside an event handler');
    const e = this.currentCursor as unknown as { ts: bigint; seq: bigint; pid?: number };
    // Checked here, in the detector's call: a malformed alert stops its detector, not the writer of the alert table.
    const severity = a.severity;
    if (!(SEVERITIES as readonly string[]).includes(severity)) throw new Error(`alert severity must be one of ${SEVERITIES.join(', ')}`);
    const pid = a.pid ?? e.pid ?? 0;
    if (!Number.isInteger(pid) || pid < 0 || pid > 0xffffffff) throw new Error('alert pid must be a process id');
    if (a.tags !== undefined) checkTags(a.tags, 'alert');
    const evidence = a.evidence;
    if (evidence) for (const k of RUNTIME_EVIDENCE) if (Object.hasOwn(evidence, k)) throw new Error(`alert evidence key ${k} is the runtime's (${RUNTIME_EVIDENCE.join(', ')})`);
    const title = String(a.title);
    const parts = (): AlertParts => ({
      ts: e.ts, seq: e.seq, pid, slot, severity, title, evidence, process: this.alertContext.process(pid),
      remote: a.remote ? this.alertContext.remote(a.remote) : undefined, tags: a.tags ?? slot.detector.tags,
      related: [...(a.related ?? [])].map((x) => BigInt.asUintN(64, BigInt(x))),
    });
    const kind = a.kind === undefined ? title : String(a.kind);
    const g = this.groups.add(`${slot.index}\0${kind}`, pid, e.ts, e.seq, (p) => this.alertContext.parentOf(p), parts);
    if (g.count === 1) this.pending.push({ order: this.raised++, alert: alertOf(g.first) });
  }

  /** The summaries of groups that closed, at (ts, seq). */
  private summarize(groups: readonly Group<AlertParts>[], at?: { ts: bigint; seq: bigint }): void {
    for (const g of groups) this.pending.push({ order: this.raised++, alert: alertOf(g.first, { g, ts: at?.ts ?? g.lastTs, seq: at?.seq ?? g.lastSeq }) });
  }

  /** Hands one run of events to the detectors that need its table. */
  process(run: Run): void {
    const table = run.table as EventTable;
    const c = this.cursors.get(table);
    if (!c) return;
    if (c.batch !== run.batch) {
      c.cursor.bind(run.batch);
      c.batch = run.batch;
      c.seq = u64Halves(run.batch, 'seq');
    }
    const subs = this.subscribers.get(table) ?? NO_SUBSCRIBERS;
    if (table !== 'proc' && table !== 'dns') return this.handle(run.batch, run.start, run.end, subs, c.cursor, c.seq);
    // One row at a time, so an alert raised on a row sees the process (and names) as of that row.
    const cursor = c.cursor;
    for (let r = run.start; r < run.end; r++) {
      cursor.row = r;
      if (table === 'dns') this.alertContext.dns(cursor as unknown as Event<'dns'>);
      else {
        const e = cursor as unknown as Event<'proc'>;
        // A snapshot of a process already known is no event: each segment of a ring recording
        // starts with one of every live process (record --keep-size), which live detection never saw.
        if (e.kind === 'snapshot' && this.alertContext.procs.get(e.pid) !== undefined) continue;
        this.alertContext.procBefore(e);
      }
      if (subs.length > 0) this.handle(run.batch, r, r + 1, subs, cursor, c.seq);
      if (table !== 'proc') continue;
      cursor.row = r;
      const e = cursor as unknown as Event<'proc'>;
      if (e.kind !== 'exit') continue;
      this.alertContext.procAfter(e);
      this.summarize(this.groups.closeRoot(e.pid), { ts: e.ts, seq: e.seq });
    }
  }

  /** The run's rows through each subscriber's handler. */
  private handle(batch: RecordBatch, start: number, end: number, subs: readonly Subscriber[], cursor: Cursor<EventTable>, seq: Uint32Array): void {
    if (subs.length === 0) return;
    const beat = this.beat;
    this.events += end - start;
    // The tick moves with every run, so a supervisor sees progress even when every detector has stopped.
    beat[TICK] = this.ticks = (this.ticks + 1) | 0;
    beat[PHASE] = RUNNING;
    for (const s of subs) {
      if (s.slot.stopped) continue;
      this.currentSlot = s.slot;
      this.currentCursor = cursor;
      beat[WHO] = s.slot.index;
      beat[TICK] = this.ticks = (this.ticks + 1) | 0;
      const handler = s.handler as (e: unknown) => void;
      try {
        if (!s.select) {
          for (let r = start; r < end; r++) {
            cursor.row = r;
            beat[SEQ_LO] = seq[2 * r]!;
            beat[SEQ_HI] = seq[2 * r + 1]!;
            handler(cursor);
          }
          continue;
        }
        if (s.batch !== batch) {
          s.batch = batch;
          s.rows = s.select(batch);
          s.pos = 0;
        }
        const rows = s.rows;
        let p = s.pos;
        while (p < rows.length && rows[p]! < start) p++;
        for (; p < rows.length && rows[p]! < end; p++) {
          const r = rows[p]!;
          cursor.row = r;
          beat[SEQ_LO] = seq[2 * r]!;
          beat[SEQ_HI] = seq[2 * r + 1]!;
          handler(cursor);
        }
        s.pos = p;
      } catch (err) {
        s.slot.stopped = true;
        this.failures.push({ detector: s.slot.detector.name, seq: (cursor as unknown as { seq: bigint }).seq, message: messageOf(err) });
      }
    }
    beat[PHASE] = IDLE;
    beat[WHO] = -1;
    this.currentSlot = undefined;
  }

  /** The events ended (the recording stopped, or replay reached its end): the summaries of the groups still open. */
  finish(): readonly Alert[] {
    this.summarize(this.groups.closeAll());
    return this.take();
  }

  /** The alerts raised since the last call, in event order, then detector order. */
  take(): readonly Alert[] {
    if (this.pending.length === 0) return NONE;
    const out = this.pending.sort((a, b) => {
      const x = a.alert;
      const y = b.alert;
      if (x.ts !== y.ts) return x.ts < y.ts ? -1 : 1;
      if (x.seq !== y.seq) return x.seq < y.seq ? -1 : 1;
      return a.order - b.order;
    }).map((p) => p.alert);
    this.pending = [];
    return out;
  }
}
