// The vocabulary of table declarations. Every generated artefact (bpf/events.h, Arrow
// schemas, DuckDB DDL, TypeScript row types) is derived from values of these types.

export type IntBits = 8 | 16 | 32 | 64;

export type ColumnType =
  | { readonly kind: 'int'; readonly bits: IntBits; readonly signed: boolean }
  | { readonly kind: 'bool' }
  /** A closed set of labels, stored as a u8 code (index into labels); `since`: the schema
   * version that added each label (1: from the start), never decreasing, so codes stay put. */
  | { readonly kind: 'enum'; readonly labels: readonly string[]; readonly since: readonly number[] }
  /** Bounded UTF-8. `inline` strings live in the fixed record (comm); others in its tail. */
  | { readonly kind: 'string'; readonly max: number; readonly inline: boolean }
  /** Bounded list of strings (argv), NUL-separated in the record tail. */
  | { readonly kind: 'strings'; readonly max: number }
  /** Fixed-width bytes; `address`: an IPv4/IPv6 address (16 bytes) read with the row's family
   * column `family` (`family` unless said otherwise). */
  | { readonly kind: 'bytes'; readonly width: number; readonly address: boolean; readonly family?: string }
  /** Variable-length bytes, filled in user space (never in a BPF record). */
  | { readonly kind: 'blob' }
  /** A list of u64 values, filled in user space. */
  | { readonly kind: 'u64s' };

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  readonly doc: string;
  /** Null where the column does not apply to the row (filename of a fork); decoders derive it from the row's kind. */
  readonly nullable?: boolean;
  /** The schema version that added the column (absent: there from the start). A file written
   * before lacks it, and readers give it as nulls, so such a column is always nullable. */
  readonly since?: number;
  /** Names for the number, as extra view columns next to it (src/schema/decode.ts). */
  readonly decode?: Decode;
  /** Values that follow time (ts, seq, pids as the kernel hands them out), so the rows of one
   * stretch of a recording hold a narrow range of them: the query cache bounds them per row
   * group, and a filter on them skips the rest (analyze/parquet-pages.ts). */
  readonly followsTime?: boolean;
}

/**
 * How a number column reads in SQL, by a table of names from vendored headers: `errno` adds
 * `errno` (the name of a negative return), `wait_status` turns `exit_code` into the code and
 * adds `exit_signal` and `exit_status`; the others add `<column>_name` (a value) or
 * `<column>_text` (flags). `when`: only on rows whose `op` has one of these labels.
 */
export interface Decode {
  readonly as: 'errno' | 'wait_status' | 'signal' | 'family' | 'tcp_state' | 'dns_type' | 'dns_rcode' | 'open_flags' | 'prot' | 'mmap_flags';
  readonly when?: readonly string[];
}

export interface Table {
  readonly name: string;
  readonly doc: string;
  /** `kernel`: a BPF program fills a record of this table; `user`: written by user space only. */
  readonly source: 'kernel' | 'user';
  /** Small stable number carried in every BPF record header. */
  readonly id: number;
  readonly columns: readonly Column[];
  /** It describes the recording's context (accounts, cgroups), not events: a slice keeps it whole. */
  readonly context?: boolean;
}

export const u8 = { kind: 'int', bits: 8, signed: false } as const;
export const u16 = { kind: 'int', bits: 16, signed: false } as const;
export const u32 = { kind: 'int', bits: 32, signed: false } as const;
export const u64 = { kind: 'int', bits: 64, signed: false } as const;
export const i32 = { kind: 'int', bits: 32, signed: true } as const;
export const i64 = { kind: 'int', bits: 64, signed: true } as const;
export const bool = { kind: 'bool' } as const;
export const blob = { kind: 'blob' } as const;
export const u64s = { kind: 'u64s' } as const;
/** Enum labels added in schema version `since`, after every label of the versions before. */
export interface AddedLabels {
  readonly since: number;
  readonly labels: readonly string[];
}
export const addedLabels = (since: number, ...labels: string[]): AddedLabels => ({ since, labels });
/** An enum of labels there from the start, then those later versions added (addedLabels). */
export const enumOf = (...labels: ReadonlyArray<string | AddedLabels>): ColumnType => {
  const each = labels.flatMap((l) => (typeof l === 'string' ? [[l, 1] as const] : l.labels.map((x) => [x, l.since] as const)));
  return { kind: 'enum', labels: each.map(([l]) => l), since: each.map(([, v]) => v) };
};
export const str = (max: number): ColumnType => ({ kind: 'string', max, inline: false });
export const inlineStr = (max: number): ColumnType => ({ kind: 'string', max, inline: true });
export const strs = (max: number): ColumnType => ({ kind: 'strings', max });
export const bytes = (width: number): ColumnType => ({ kind: 'bytes', width, address: false });
/** An IPv4 (first 4 bytes) or IPv6 address, shown as text in SQL, of the family in the row's column `family`. */
export const addressIn = (family: string): ColumnType => ({ kind: 'bytes', width: 16, address: true, family });
/** An address of the family in the row's `family` column. */
export const address: ColumnType = addressIn('family');

export function column(name: string, type: ColumnType, doc: string, nullable = false): Column {
  return { name, type, doc, nullable };
}

/** A nullable column added in schema version `since`. */
export function added(since: number, name: string, type: ColumnType, doc: string): Column {
  return { name, type, doc, nullable: true, since };
}

/** The column, its values following time (`Column.followsTime`). */
export function followsTime(c: Column): Column {
  return { ...c, followsTime: true };
}

/** The column, read in SQL through a table of names as well. */
export function decoded(c: Column, as: Decode['as'], when?: readonly string[]): Column {
  return { ...c, decode: when ? { as, when } : { as } };
}
