// The cache transcoder takes table files as untrusted: what a batch body gives is checked
// before it becomes a Parquet page, and text DuckDB would refuse is made readable. A file of
// an older schema version becomes a Parquet file of the declaration, nulls where it lacks a
// column.
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Field, RecordBatchStreamWriter, Schema, Utf8, makeData } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ParquetWriter } from '../../src/analyze/parquet.js';
import { Analysis } from '../../src/analyze/session.js';
import { RecordingWriter, SCHEMAS, TableFile, makeBatch } from '../../src/index.js';
import { SyntheticClock, SyscallWorkload, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { tempDir } from '../helpers.js';
import { bufferOffset, splitStream } from '../format/ipc.js';
import { fixtureFile, narrowed, storedSchemaOf, streamOf } from '../format/older.js';

/** Utf8 data from raw byte strings, valid UTF-8 or not. */
function rawUtf8(values: readonly Buffer[]): ReturnType<typeof makeData<Utf8>> {
  const offsets = new Int32Array(values.length + 1);
  values.forEach((v, i) => { offsets[i + 1] = offsets[i]! + v.length; });
  return makeData({ type: new Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data: Buffer.concat(values) });
}

describe('the cache transcoder on hostile batches', () => {
  it('invalid UTF-8 in a string column does not make queries over it fail', async () => {
    const dir = join(tempDir(), 'rec');
    const w = RecordingWriter.create(dir);
    const base = new SyscallWorkload(6).batch(4);
    const comm = rawUtf8([Buffer.from('ok'), Buffer.from([0x61, 0xff, 0x62]), Buffer.from([0xc3]), Buffer.from([0xa9, 0x7a])]);
    const columns = Object.fromEntries(base.schema.fields.map((f, i) => [f.name, f.name === 'comm' ? comm : base.getChildAt(i)!.data[0]!]));
    w.append('syscall', makeBatch('syscall', columns));
    w.close();
    const a = await Analysis.open([dir], { cache: join(tempDir(), 'cache') });
    try {
      const r = await a.query('SELECT comm FROM syscall ORDER BY seq');
      expect(r.getRowsJson().map((row) => row[0])).toEqual(['ok', 'a\uFFFDb', '\uFFFD', '\uFFFDz']);
      expect(Number((await a.query("SELECT count(*) FROM syscall WHERE comm LIKE '%o%'")).getRows()[0]![0])).toBe(1);
    } finally {
      a.close();
    }
  });

  it('string offsets past their data are a one-line error naming the file, not an internal error', async () => {
    const dir = join(tempDir(), 'rec');
    const w = RecordingWriter.create(dir);
    w.append('syscall', new SyscallWorkload(2).batch(10));
    w.sealSegment();
    const rand = rng(3);
    const bytes = Buffer.from(RecordBatchStreamWriter.writeAll([batchFromRows('proc', syntheticRows('proc', 20, new SyntheticClock(rand), rand))]).toUint8Array(true));
    const m = splitStream(bytes);
    const at = m.schema.length + bufferOffset(m.batches[0]!, 11).offset; // comm's offsets
    bytes.writeInt32LE(bytes.readInt32LE(at + 80) + 100, at + 80);
    mkdirSync(join(dir, 'segments', '000002'), { mode: 0o700 });
    const file = join(dir, 'segments', '000002', 'proc.arrow');
    writeFileSync(file, bytes, { mode: 0o600 });
    await expect(Analysis.open([dir], { cache: join(tempDir(), 'cache') })).rejects.toThrow(`${file}: corrupt Arrow batch: column comm: offsets run to`);
  });

  it('a values frame holding other than the body declares is a one-line error, whether the column is decoded for its bounds or copied', async () => {
    // ts is decoded for its bounds, arg0 copied as stored, where DuckDB would fail on every read of a page that lies.
    for (const [column, index] of [['ts', 1], ['arg0', 16]] as const) {
      const source = join(tempDir(), 'source');
      const s = RecordingWriter.create(source);
      s.append('syscall', new SyscallWorkload(3).batch(100));
      s.close();
      const bytes = readFileSync(join(source, 'segments', '000001', 'syscall.arrow'));
      const m = splitStream(bytes);
      const at = m.schema.length + bufferOffset(m.batches[0]!, index).offset; // the uncompressed length before the frame
      bytes.writeBigInt64LE(bytes.readBigInt64LE(at) + 8n, at);
      // As the tail of a recording still being written: an unsealed segment, read without a hash to hold it to.
      const dir = join(tempDir(), 'rec');
      const w = RecordingWriter.create(dir);
      w.append('syscall', new SyscallWorkload(2).batch(10));
      w.sealSegment();
      mkdirSync(join(dir, 'segments', '000002'), { mode: 0o700 });
      const file = join(dir, 'segments', '000002', 'syscall.arrow');
      writeFileSync(file, bytes, { mode: 0o600 });
      await expect(Analysis.open([dir], { cache: join(tempDir(), 'cache') }), column).rejects.toThrow(/^\S+syscall\.arrow at offset \d+: corrupt Arrow stream: buffer claims \d+ bytes, its zstd frame \d+$/);
    }
  });
});

describe('the cache transcoder on a file of an older schema version', () => {
  it('writes each column the file lacks as a page of nulls, a list column too', async () => {
    // proc as a later version might declare it: argv, a list of strings, added in version 2 too.
    const declared = new Schema(SCHEMAS.proc.fields.map((f) => (f.name === 'argv' ? new Field(f.name, f.type, true, new Map([...f.metadata, ['flightrec.since', '2']])) : f)), SCHEMAS.proc.metadata);
    const v1 = new Schema(storedSchemaOf(fixtureFile('proc')).fields.filter((f) => f.name !== 'argv'));
    const rand = rng(12);
    const clock = new SyntheticClock(rand);
    const batches = [40, 0, 70].map((n) => narrowed(batchFromRows('proc', syntheticRows('proc', n, clock, rand).map((r) => ({ ...r, kind: 'fork' }))), v1));
    const dir = tempDir();
    const source = join(dir, 'proc.arrow');
    writeFileSync(source, streamOf(v1, batches));
    const out = join(dir, 'proc.parquet');
    const writer = new ParquetWriter(openSync(out, 'w'), out, declared);
    const f = new TableFile(source, declared);
    for (const { header, body, stored } of f.rawBatches()) writer.writeBatch(header, body, stored, source);
    f.close();
    expect(writer.close()).toBe(110);

    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      const types = (await con.runAndReadAll(`SELECT typeof(argv), typeof(cwd), typeof(start_ts), typeof(kthread) FROM read_parquet('${out}') LIMIT 1`)).getRows();
      expect(types).toEqual([['VARCHAR[]', 'VARCHAR', 'UBIGINT', 'BOOLEAN']]);
      const counts = (await con.runAndReadAll(`SELECT count(*), count(argv), count(cwd), count(start_ts), count(kthread) FROM read_parquet('${out}')`)).getRows();
      expect(counts).toEqual([[110n, 0n, 0n, 0n, 0n]]);
      const filenames = (await con.runAndReadAll(`SELECT filename FROM read_parquet('${out}') ORDER BY seq`)).getRows().map((row) => row[0]);
      expect(filenames).toEqual(batches.flatMap((b) => [...b.getChild('filename')!]));
    } finally {
      con.closeSync();
    }
  });
});
