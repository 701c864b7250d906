// The cache transcoder takes table files as untrusted: what a batch body gives is checked
// before it becomes a Parquet page, and text DuckDB would refuse is made readable.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatchStreamWriter, Utf8, makeData } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { Analysis } from '../../src/analyze/session.js';
import { RecordingWriter, makeBatch } from '../../src/index.js';
import { SyntheticClock, SyscallWorkload, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { tempDir } from '../helpers.js';
import { bufferOffset, splitStream } from '../format/ipc.js';

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
});
