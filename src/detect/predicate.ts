// Column predicates of a detector's table needs, compiled against the schema and the
// recording's architecture, and applied to whole batches: the rows that pass, as indexes.
import { DataType, type RecordBatch } from 'apache-arrow';
import { SCHEMAS } from '../schema/arrow.generated.js';
import { SYSCALL_NAMES } from '../schema/syscalls.generated.js';
import type { EventTable, Where } from './api.js';

/** The syscall names of an architecture, by name. */
const byName = new Map<string, Map<string, number>>();

export function syscallNumbers(arch: string): Map<string, number> {
  let m = byName.get(arch);
  if (!m) {
    const names = (SYSCALL_NAMES as Record<string, Record<number, string>>)[arch] ?? {};
    m = new Map(Object.entries(names).map(([nr, name]) => [name, Number(nr)]));
    byName.set(arch, m);
  }
  return m;
}

export function syscallName(arch: string, nr: number): string {
  return (SYSCALL_NAMES as Record<string, Record<number, string>>)[arch]?.[nr] ?? `syscall_${nr}`;
}

interface Test {
  readonly index: number;
  /** Small non-negative values: a lookup table; otherwise a set. */
  readonly table?: Uint8Array;
  readonly set?: Set<number | bigint>;
  readonly bool?: boolean;
}

/** The rows of a batch that pass, as indexes: valid until the selection is called again. */
export type Selection = (batch: RecordBatch) => Int32Array;

/**
 * Compiles `where` for `table` on `arch`. Throws an Error naming the column or value that
 * does not fit the schema; syscall names the architecture lacks simply match nothing.
 */
export function compileWhere(table: EventTable, where: Where, arch: string): Selection {
  const schema = SCHEMAS[table];
  const tests: Test[] = [];
  for (const [name, values] of Object.entries(where)) {
    const index = schema.fields.findIndex((f) => f.name === name);
    if (index < 0) throw new Error(`table ${table} has no column '${name}'`);
    const field = schema.fields[index]!;
    const type = field.type as DataType;
    if (!Array.isArray(values) || values.length === 0) throw new Error(`where.${name} must be a non-empty list of values`);
    const labels = field.metadata.get('flightrec.enum')?.split(',');
    if (DataType.isBool(type)) {
      if (!values.every((v) => typeof v === 'boolean')) throw new Error(`where.${name}: ${name} is a boolean column`);
      if (values.includes(true) && values.includes(false)) continue;
      tests.push({ index, bool: values[0] as boolean });
      continue;
    }
    if (!DataType.isInt(type)) throw new Error(`where.${name}: only integer, enum and boolean columns can be filtered (${name} is ${String(type)})`);
    const nums: (number | bigint)[] = [];
    for (const v of values) {
      if (labels) {
        const code = labels.indexOf(String(v));
        if (code < 0) throw new Error(`where.${name}: '${String(v)}' is not one of ${labels.join(', ')}`);
        nums.push(code);
      } else if (typeof v === 'string' && table === 'syscall' && name === 'nr') {
        const nr = syscallNumbers(arch).get(v);
        if (nr === undefined && !syscallNumbers('x86_64').has(v) && !syscallNumbers('arm64').has(v)) throw new Error(`where.nr: no syscall named '${v}'`);
        if (nr !== undefined) nums.push(nr);
      } else if (typeof v === 'number' && Number.isInteger(v)) {
        nums.push(type.bitWidth === 64 ? BigInt(v) : v);
      } else {
        throw new Error(`where.${name}: ${JSON.stringify(v)} is not an integer`);
      }
    }
    const small = nums.every((n) => typeof n === 'number' && n >= 0 && n < 4096);
    if (small) {
      const lookup = new Uint8Array(4096);
      for (const n of nums) lookup[n as number] = 1;
      tests.push({ index, table: lookup });
    } else {
      tests.push({ index, set: new Set(nums) });
    }
  }
  // One index buffer for every batch: a fresh one per batch would be garbage the size of the
  // batch, outside the JavaScript heap, and each such allocation brings the next full GC nearer.
  let out = new Int32Array(0);
  return (batch) => {
    if (out.length < batch.numRows) out = new Int32Array(batch.numRows);
    return select(batch, tests, out);
  };
}

function select(batch: RecordBatch, tests: readonly Test[], out: Int32Array): Int32Array {
  let n = -1; // -1: every row still passes, and out is not filled yet
  for (const t of tests) {
    const d = batch.data.children[t.index]!;
    n = t.table ? byLookup(out, n, batch.numRows, t.table, d.values as Uint32Array, d.offset)
      : t.set ? bySet(out, n, batch.numRows, t.set, d.values as BigUint64Array, d.offset)
        : byBit(out, n, batch.numRows, t.bool!, d.values as Uint8Array, d.offset);
  }
  if (n < 0) { // no test left (a boolean column asked for both values)
    for (let r = 0; r < batch.numRows; r++) out[r] = r;
    return out.subarray(0, batch.numRows);
  }
  return out.subarray(0, n);
}

// Each filter keeps the rows that pass, in place, and returns how many did: of rows[0..n), or
// of every row of the batch when n is -1 (the first filter reads the column straight through).

function byLookup(rows: Int32Array, n: number, all: number, lookup: Uint8Array, values: Uint32Array, offset: number): number {
  let kept = 0;
  if (n < 0) {
    for (let r = 0; r < all; r++) {
      const v = values[offset + r]!;
      if (v < 4096 && lookup[v] === 1) rows[kept++] = r;
    }
    return kept;
  }
  for (let k = 0; k < n; k++) {
    const r = rows[k]!;
    const v = values[offset + r]!;
    if (v < 4096 && lookup[v] === 1) rows[kept++] = r;
  }
  return kept;
}

function bySet(rows: Int32Array, n: number, all: number, set: Set<number | bigint>, values: ArrayLike<number | bigint>, offset: number): number {
  let kept = 0;
  const count = n < 0 ? all : n;
  for (let k = 0; k < count; k++) {
    const r = n < 0 ? k : rows[k]!;
    if (set.has(values[offset + r]!)) rows[kept++] = r;
  }
  return kept;
}

function byBit(rows: Int32Array, n: number, all: number, want: boolean, bits: Uint8Array, offset: number): number {
  let kept = 0;
  const count = n < 0 ? all : n;
  for (let k = 0; k < count; k++) {
    const r = n < 0 ? k : rows[k]!;
    const b = offset + r;
    if ((((bits[b >> 3]! >> (b & 7)) & 1) === 1) === want) rows[kept++] = r;
  }
  return kept;
}
