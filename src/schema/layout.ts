// The C layout of kernel records: what bpf/events.h declares and what every decoder of
// ring-buffer records assumes. Offsets follow the C rules for natural alignment; the
// generator emits _Static_asserts from this, and a test compiles them.
import type { Column, Table } from './types.js';

export type CType = '__u8' | '__u16' | '__u32' | '__u64' | '__s32' | '__s64' | 'char' | 'struct fr_var';

export interface CField {
  readonly name: string;
  readonly ctype: CType;
  /** Array length for char/byte arrays; 1 otherwise. */
  readonly count: number;
  readonly offset: number;
  readonly size: number;
  /** The table column this field carries, if any (framing fields have none). */
  readonly column?: Column;
}

export interface RecordLayout {
  readonly table: Table;
  readonly struct: string;
  readonly fields: readonly CField[];
  readonly size: number;
  /** Upper bound of the variable tail (strings and argv) following the fixed record. */
  readonly tailMax: number;
}

/** A variable-length value in the record tail: `off` from the record start, `len` bytes. */
export const VAR_SIZE = 4;

/** The record header every kernel record starts with; its columns come first in every table. */
const HEADER_FIELDS: ReadonlyArray<[string, CType, number]> = [
  ['ts', '__u64', 1], ['seq', '__u64', 1], ['pid', '__u32', 1], ['tid', '__u32', 1],
  ['comm', 'char', 16], ['cpu', '__u16', 1],
  /** total record size, tail included */
  ['size', '__u16', 1],
  /** table id */
  ['table', '__u8', 1],
  /** reserved for per-record flags */
  ['flags', '__u8', 1],
  ['_pad', '__u16', 1],
];
export const HEADER_COLUMNS = ['ts', 'seq', 'cpu', 'pid', 'tid', 'comm'];

function scalar(ctype: CType): { size: number; align: number } {
  switch (ctype) {
    case '__u8': case 'char': return { size: 1, align: 1 };
    case '__u16': case 'struct fr_var': return { size: ctype === '__u16' ? 2 : VAR_SIZE, align: 2 };
    case '__u32': case '__s32': return { size: 4, align: 4 };
    case '__u64': case '__s64': return { size: 8, align: 8 };
  }
}

function ctypeOf(c: Column): { ctype: CType; count: number; tail: number } {
  const t = c.type;
  switch (t.kind) {
    case 'int': {
      const ctype = `__${t.signed ? 's' : 'u'}${t.bits}` as CType;
      if (ctype === '__s8' as CType || ctype === '__s16' as CType) throw new Error(`${c.name}: no C type for ${ctype}`);
      return { ctype, count: 1, tail: 0 };
    }
    case 'bool': case 'enum': return { ctype: '__u8', count: 1, tail: 0 };
    case 'bytes': return { ctype: '__u8', count: t.width, tail: 0 };
    case 'string': return t.inline ? { ctype: 'char', count: t.max, tail: 0 } : { ctype: 'struct fr_var', count: 1, tail: t.max };
    case 'strings': return { ctype: 'struct fr_var', count: 1, tail: t.max };
    case 'blob': case 'u64s': throw new Error(`${c.name}: ${t.kind} columns cannot be filled by the kernel`);
  }
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

function place(specs: ReadonlyArray<{ name: string; ctype: CType; count: number; column?: Column }>, start: number): { fields: CField[]; end: number } {
  const fields: CField[] = [];
  let off = start;
  for (const s of specs) {
    const { size, align: a } = scalar(s.ctype);
    off = align(off, a);
    fields.push({ name: s.name, ctype: s.ctype, count: s.count, offset: off, size: size * s.count, column: s.column });
    off += size * s.count;
  }
  return { fields, end: off };
}

export function headerLayout(): { fields: readonly CField[]; size: number } {
  const { fields, end } = place(HEADER_FIELDS.map(([name, ctype, count]) => ({ name, ctype, count })), 0);
  return { fields, size: align(end, 8) };
}

export function recordLayout(table: Table): RecordLayout {
  if (table.source !== 'kernel') throw new Error(`table ${table.name} is not filled by the kernel`);
  const header = headerLayout();
  const body = table.columns.filter((c) => !HEADER_COLUMNS.includes(c.name));
  let tailMax = 0;
  const specs = body.map((c) => {
    const { ctype, count, tail } = ctypeOf(c);
    tailMax += tail;
    return { name: c.name, ctype, count, column: c };
  });
  // Widest first, stable: no padding holes and a layout that does not depend on declaration order.
  specs.sort((a, b) => scalar(b.ctype).align - scalar(a.ctype).align);
  const { fields, end } = place(specs, header.size);
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  // Only the header's own columns: a table column may share a name with framing (file.flags is not hdr.flags).
  const headerFields = header.fields.map((f) => ({ ...f, column: HEADER_COLUMNS.includes(f.name) ? byName.get(f.name) : undefined }));
  return { table, struct: `fr_${table.name}_event`, fields: [...headerFields, ...fields], size: align(end, 8), tailMax };
}
