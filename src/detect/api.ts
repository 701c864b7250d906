// The detector API. A detector is a pure function of the ordered event stream and its own
// state: it declares the tables (and column predicates) it needs, and its handlers receive
// those events in the recording's total order (ts, seq) through a cursor, and raise alerts
// through a sink. Time is event time only: no wall clock, no randomness, no I/O. The same
// detector runs live (`record --detect`) and in replay, and must give the same alerts.
import type { Rows } from '../schema/rows.generated.js';
import { SEVERITIES } from '../schema/tables.js';

/** Tables a detector may read: every event table (alerts are its output, not its input). */
export type EventTable = Exclude<keyof Rows, 'alert'>;

export { SEVERITIES };
export type Severity = (typeof SEVERITIES)[number];

/**
 * The current event of a table. One cursor per table is moved from row to row (no object per
 * event): read what you need inside the handler, copy what you keep. Columns read as the
 * generated row types say (u64 as bigint, enums as labels, strings decoded when read), plus
 * `ns`: the event time as a number of nanoseconds, for windows and rates (exact below 2^53).
 */
export type Event<T extends keyof Rows> = Readonly<Rows[T]> & { readonly ns: number };

/**
 * Column predicates, applied to whole batches before a handler sees a row: each listed column
 * must hold one of the listed values. Enum columns take labels; the syscall table's `nr` takes
 * syscall names (resolved for the recording's architecture) or numbers.
 */
export type Where = Readonly<Record<string, ReadonlyArray<number | string | boolean>>>;

export interface TableNeeds {
  /** Columns the handler reads (checked against the schema; all columns are readable). */
  readonly columns?: readonly string[];
  readonly where?: Where;
}

/** The other end of a connection, as the alert names it. */
export interface Endpoint {
  /** Its address as text (addressText of the net row's family and address). */
  readonly address: string;
  readonly port: number;
  /** It connected to this process (an accept), rather than this process to it. */
  readonly inbound?: boolean;
}

/** Evidence keys the runtime writes: the process context, the remote endpoint, the group and the tags. */
export const RUNTIME_EVIDENCE = ['process', 'remote', 'group', 'tags'] as const;

export interface AlertInput {
  readonly severity: Severity;
  /** One line. */
  readonly title: string;
  /** JSON-serialisable facts (bigints are written as strings); the keys of RUNTIME_EVIDENCE are the runtime's. */
  readonly evidence?: Readonly<Record<string, unknown>>;
  /** The process the alert is about; default: the current event's pid. */
  readonly pid?: number;
  /** Seqs of earlier events the alert rests on (the current event is the trigger). */
  readonly related?: readonly bigint[];
  /** Tags of this alert, when they are not the detector's (see Detector.tags). */
  readonly tags?: readonly string[];
  /** The remote end of the connection the alert is about, if it is about one (the runtime adds its DNS name). */
  readonly remote?: Endpoint;
  /**
   * What happened, for grouping: alerts of one detector and kind about one process tree are
   * grouped (the first is raised, the rest counted into a summary). Default: the title.
   */
  readonly kind?: string;
}

export interface DetectorContext {
  /** Options given for this detector (`--config` file, or the `options` argument of replay). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Architecture of the recording ('x86_64', 'arm64'). */
  readonly arch: string;
  /** CPU samples per second per CPU the recording was made with; undefined without CPU samples. */
  readonly sampleHz: number | undefined;
  /** Syscall number of a name on the recording's architecture, or -1 where it has none (open on arm64). */
  syscall(name: string): number;
  /** Syscall name of a number on the recording's architecture. */
  syscallName(nr: number): string;
  /** The name of a uid on the recorded host (its account table), or undefined when it has none. */
  userName(uid: number): string | undefined;
  /** Raise an alert about the current event. */
  alert(a: AlertInput): void;
}

export type Handlers = { readonly [T in EventTable]?: (e: Event<T>) => void };

export interface Detector {
  /** Lower-case words joined by '-': the detector's name in alerts. */
  readonly name: string;
  readonly version: string;
  /** One paragraph for `replay --list` and the README. */
  readonly description: string;
  readonly tables: { readonly [T in EventTable]?: TableNeeds };
  /**
   * Tags its alerts carry in their evidence (`evidence.tags`), in Sigma's form: MITRE ATT&CK
   * tactics and techniques as `attack.execution`, `attack.t1059.004`, so coverage can be
   * counted across built-in detectors and Sigma rules alike.
   */
  readonly tags?: readonly string[];
  create(ctx: DetectorContext): Handlers;
}

/** Identity function that type-checks a detector declaration. */
export function defineDetector(d: Detector): Detector {
  return d;
}
