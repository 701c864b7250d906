// A file written under an older schema version reads as the declaration: every stored value
// as it was written, the columns added since null, whoever reads it (batches, the detectors'
// cursor).
import { readFileSync } from 'node:fs';
import { Field, RecordBatchReader, Schema, type RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { makeCursor } from '../../src/detect/cursor.js';
import { BatchWidener } from '../../src/format/batch-widener.js';
import { storedSchema, type StoredSchema } from '../../src/format/stored-schema.js';
import { Recording, SCHEMAS, TableFile, registerZstd, type TableName } from '../../src/index.js';
import { SCHEMA_VERSION } from '../../src/schema/tables.js';
import { SyntheticClock, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { FIXTURE, fixtureFile, narrowed, storedSchemaOf, streamOf, unsealedWith } from './older.js';

/** Every value of a batch's column, as apache-arrow gives it. */
const values = (b: RecordBatch, name: string): unknown[] => [...b.getChild(name)!].map((v) => (v !== null && typeof v === 'object' && 'toArray' in v ? [...(v as { toArray(): Iterable<unknown> }).toArray()] : v));

function accepted(found: Schema, declared: Schema): StoredSchema {
  const s = storedSchema(found, declared);
  if ('refused' in s) throw new Error(s.refused);
  return s;
}

/** proc as a later version might declare it: argv (a list of strings) added in version 2 too. */
const PROC_ARGV_ADDED = new Schema(SCHEMAS.proc.fields.map((f) => (f.name === 'argv' ? new Field(f.name, f.type, true, new Map([...f.metadata, ['flightrec.since', '2']])) : f)), SCHEMAS.proc.metadata);

describe('reading a file of an older schema version', () => {
  for (const [table, added] of [['proc', ['cwd', 'start_ts', 'kthread', 'loginuid']], ['file', ['abs_path']]] as const) {
    it(`${table} of a schema-1 fixture: the declared columns, the stored values as written, ${added.join(', ')} null`, () => {
      registerZstd();
      const raw = [...RecordBatchReader.from(readFileSync(fixtureFile(table)))];
      const rec = Recording.open(FIXTURE);
      const read = [...rec.batches(table as TableName)];
      rec.close();
      expect(read.map((b) => b.numRows)).toEqual(raw.map((b) => b.numRows));
      expect(read.reduce((n, b) => n + b.numRows, 0)).toBeGreaterThan(100);
      for (const [i, b] of read.entries()) {
        expect(b.schema.fields.map((f) => f.name)).toEqual(SCHEMAS[table].fields.map((f) => f.name));
        expect(b.schema.metadata.get('flightrec.schema_version')).toBe(String(SCHEMA_VERSION));
        for (const f of raw[i]!.schema.fields) expect(values(b, f.name), f.name).toEqual(values(raw[i]!, f.name));
        for (const name of added) {
          expect(b.getChild(name)!.nullCount, name).toBe(b.numRows);
          expect(values(b, name).every((v) => v === null), name).toBe(true);
        }
      }
    });
  }

  it('gives detectors the added columns as null and the kinds by their labels', () => {
    const rec = Recording.open(FIXTURE);
    const e = makeCursor('proc');
    const kinds = new Set<string>();
    for (const b of rec.batches('proc')) {
      e.bind(b);
      for (e.row = 0; e.row < b.numRows; e.row++) {
        expect([e.cwd, e.start_ts, e.kthread, e.loginuid]).toEqual([null, null, null, null]);
        kinds.add(e.kind);
      }
    }
    rec.close();
    expect([...kinds].sort()).toEqual(['exec', 'exit', 'fork']);
  });

  it('a list column added since is null too, on every row, over empty values', () => {
    const rand = rng(8);
    const rows = syntheticRows('proc', 50, new SyntheticClock(rand), rand).map((r) => ({ ...r, kind: 'exec' }));
    const v1 = new Schema(storedSchemaOf(fixtureFile('proc')).fields.filter((f) => f.name !== 'argv'));
    const { file } = unsealedWith('proc', streamOf(v1, [narrowed(batchFromRows('proc', rows), v1)]));
    const f = new TableFile(file, PROC_ARGV_ADDED);
    const [b] = [...f.recordBatches()];
    f.close();
    expect(values(b!, 'argv')).toEqual(rows.map(() => null));
    expect(values(b!, 'filename')).toEqual(rows.map((r) => r.filename));
    const e = makeCursor('proc');
    e.bind(b!);
    for (e.row = 0; e.row < b!.numRows; e.row++) expect([e.argv, e.cwd]).toEqual([null, null]);
  });

  it('makes the null columns once per batch length, over one zeroed buffer', () => {
    const stored = accepted(storedSchemaOf(fixtureFile('proc')), SCHEMAS.proc);
    const w = new BatchWidener(SCHEMAS.proc, stored);
    const rand = rng(9);
    const clock = new SyntheticClock(rand);
    const batch = (n: number): RecordBatch => narrowed(batchFromRows('proc', syntheticRows('proc', n, clock, rand)), storedSchemaOf(fixtureFile('proc')));
    const cwd = (b: RecordBatch) => b.getChild('cwd')!.data[0]!;
    const [a, b, c] = [w.widen(batch(100)), w.widen(batch(100)), w.widen(batch(300))];
    expect(cwd(b)).toBe(cwd(a));
    expect(cwd(c)).not.toBe(cwd(a));
    expect(cwd(c).length).toBe(300);
    expect(b.getChild('start_ts')!.data[0]!.values.buffer).toBe(cwd(b).valueOffsets.buffer);
  });
});
