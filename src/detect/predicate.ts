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
  return (batch) => select(batch, tests);
}

function select(batch: RecordBatch, tests: readonly Test[]): Int32Array {
  const out = new Int32Array(batch.numRows);
  let n = 0;
  for (let i = 0; i < tests.length; i++) {
    const t = tests[i]!;
    const d = batch.data.children[t.index]!;
    const pass = rowTest(t, d.values as ArrayLike<number | bigint> & Uint8Array, d.offset);
    let kept = 0;
    if (i === 0) {
      for (let r = 0; r < batch.numRows; r++) if (pass(r)) out[kept++] = r;
    } else {
      for (let k = 0; k < n; k++) if (pass(out[k]!)) out[kept++] = out[k]!;
    }
    n = kept;
  }
  return tests.length === 0 ? out.map((_, i) => i) : out.subarray(0, n);
}

function rowTest(t: Test, values: ArrayLike<number | bigint> & Uint8Array, offset: number): (row: number) => boolean {
  if (t.bool !== undefined) {
    const want = t.bool;
    return (r) => (((values[(offset + r) >> 3]! >> ((offset + r) & 7)) & 1) === 1) === want;
  }
  if (t.table) {
    const lookup = t.table;
    return (r) => {
      const v = values[offset + r] as number;
      return v < 4096 && v >= 0 && lookup[v] === 1;
    };
  }
  const set = t.set!;
  return (r) => set.has(values[offset + r]!);
}
