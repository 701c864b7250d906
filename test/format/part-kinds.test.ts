// The kind of each buffer of a table's batches (src/format/part-kinds.ts): one per buffer
// apache-arrow lays out, in its order, for every table; kinds from the declaration.
import { DataType } from 'apache-arrow';
import { VectorAssembler } from 'apache-arrow/visitor/vectorassembler';
import { describe, expect, it } from 'vitest';
import { type PartKind, partKinds } from '../../src/format/part-kinds.js';
import { SCHEMAS } from '../../src/schema/arrow.generated.js';
import { TABLE_NAMES, type TableName } from '../../src/schema/tables.js';
import { SyntheticClock, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';

describe('partKinds', () => {
  it('gives a kind to every buffer a batch of each table has, as the sink gets them', () => {
    for (const table of TABLE_NAMES) {
      const rand = rng(7);
      const batch = batchFromRows(table, syntheticRows(table, 50, new SyntheticClock(rand), rand));
      expect(partKinds(SCHEMAS[table]), table).toHaveLength(VectorAssembler.assemble(batch).buffers.length);
    }
  });

  it('takes time-following columns, widths, strings, lists and fixed binaries from the declaration', () => {
    /** The kinds of each column's buffers (validity, offsets, values, a list's child's). */
    const byColumn = (table: TableName): Record<string, PartKind[]> => {
      const kinds = [...partKinds(SCHEMAS[table])];
      const count = (t: DataType): number => (DataType.isUtf8(t) || DataType.isBinary(t) ? 3 : DataType.isList(t) ? 2 + count(t.children[0]!.type) : 2);
      return Object.fromEntries(SCHEMAS[table].fields.map((f) => [f.name, kinds.splice(0, count(f.type))]));
    };
    const syscall = byColumn('syscall');
    expect(syscall.ts).toEqual(['bitmap', 'time']);
    expect(syscall.seq).toEqual(['bitmap', 'time']);
    expect(syscall.pid).toEqual(['bitmap', 'time']);
    expect(syscall.cpu).toEqual(['bitmap', 'small']);
    expect(syscall.nr).toEqual(['bitmap', 'small']);
    expect(syscall.comm).toEqual(['bitmap', 'offsets', 'text']);
    expect(syscall.arg0).toEqual(['bitmap', 'wide']);
    expect(syscall.ret).toEqual(['bitmap', 'wide']);
    expect(syscall.returned).toEqual(['bitmap', 'bitmap']);
    const proc = byColumn('proc');
    expect(proc.kind).toEqual(['bitmap', 'small']);
    expect(proc.ppid).toEqual(['bitmap', 'time']);
    expect(proc.argv).toEqual(['bitmap', 'offsets', 'bitmap', 'offsets', 'text']);
    expect(byColumn('net').saddr).toEqual(['bitmap', 'fixed']);
  });
});
