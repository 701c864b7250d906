// The native table sink (native/table_sink.h, src/format/table-sink.ts): its messages are Arrow's,
// and plain (uncompressed) and ZSTD batches share a file and read back through every reader.
// A write that fails is crash.test.ts's.
import { spawnSync } from 'node:child_process';
import { openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Message, RecordBatch, RecordBatchStreamWriter } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { Recording, SCHEMAS, TableFile, type TableName } from '../../src/index.js';
import { TableSink, compressPart } from '../../src/format/table-sink.js';
import { compressionLevel, zstdDecode } from '../../src/format/codec.js';
import { SyntheticClock, SyscallWorkload, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { ROOT, cli, tempDir } from '../helpers.js';
import { splitStream } from './ipc.js';

/** A table file written by the sink: each batch plain (level null) or ZSTD. */
function sinkFile(table: TableName, batches: ReadonlyArray<readonly [RecordBatch, number | null]>): string {
  const path = join(tempDir(), `${table}.arrow`);
  const sink = new TableSink(openSync(path, 'wx'), path, `${table}.arrow`, SCHEMAS[table]);
  for (const [b, level] of batches) sink.append(b, level);
  sink.end();
  return path;
}

function decoded(message: Buffer): { header: ReturnType<Message['header']>; body: Buffer } {
  const metaLen = message.readInt32LE(4);
  const msg = Message.decode(message.subarray(8, 8 + metaLen));
  return { header: msg.header(), body: message.subarray(8 + metaLen) };
}

/** What a record batch header says, as plain values. */
function layout(header: unknown): unknown {
  const h = header as { length: number; nodes: Array<{ length: number; nullCount: number }>; buffers: Array<{ offset: number; length: number }>; compression: unknown };
  return {
    length: h.length, compression: h.compression,
    nodes: h.nodes.map((n) => [n.length, n.nullCount]), buffers: h.buffers.map((b) => [b.offset, b.length]),
  };
}

/** Every column of a batch as comparable values: typed arrays as bytes, others as arrays. */
function columns(table: TableName, b: RecordBatch): unknown[] {
  return SCHEMAS[table].fields.map((_, i) => {
    const values = b.getChildAt(i)!.toArray() as unknown;
    return ArrayBuffer.isView(values) ? Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64') : Array.from(values as ArrayLike<unknown>);
  });
}

function procBatch(seed: number): RecordBatch {
  const rand = rng(seed);
  return batchFromRows('proc', syntheticRows('proc', 200, new SyntheticClock(rand), rand));
}

describe('native table sink', () => {
  it('writes a plain message whose body is byte for byte what Arrow\'s uncompressed writer writes', () => {
    for (const [table, batch] of [['syscall', new SyscallWorkload(3).batch(1000)], ['proc', procBatch(4)]] as const) {
      const b = new RecordBatch(SCHEMAS[table], batch.data);
      const ours = splitStream(readFileSync(sinkFile(table, [[b, null]])));
      const arrows = splitStream(RecordBatchStreamWriter.writeAll([b]).toUint8Array(true));
      expect(ours.schema.equals(arrows.schema), table).toBe(true);
      expect(ours.batches).toHaveLength(1);
      const [mine, theirs] = [decoded(ours.batches[0]!), decoded(arrows.batches[0]!)];
      expect(layout(mine.header), table).toEqual(layout(theirs.header));
      expect(mine.body.equals(theirs.body), table).toBe(true);
      expect(ours.end.equals(arrows.end)).toBe(true);
    }
  });

  it('reads plain and ZSTD batches of one file back equal through TableFile, small and on the read-ahead path', () => {
    for (const rows of [1000, 65_536]) {
      const work = new SyscallWorkload(rows);
      const written = Array.from({ length: 6 }, () => work.batch(rows));
      const path = sinkFile('syscall', written.map((b, i) => [b, i % 2 === 0 ? null : compressionLevel()]));
      if (rows > 1000) expect(statSync(path).size).toBeGreaterThan(4 * 1024 * 1024);
      const msgs = splitStream(readFileSync(path)).batches.map((m) => decoded(m).header as unknown as { compression: unknown });
      expect(msgs.map((h) => h.compression !== null)).toEqual([false, true, false, true, false, true]);
      const f = new TableFile(path, SCHEMAS.syscall);
      const read = [...f.recordBatches()];
      f.close();
      expect(read.map((b) => b.numRows)).toEqual(written.map((b) => b.numRows));
      read.forEach((b, i) => expect(columns('syscall', b), `${rows} rows, batch ${i}`).toEqual(columns('syscall', written[i]!)));
    }
  });

  it('compresses one part as the sink does (compressPart, for the levels bench), or copies it stored', () => {
    const src = Uint8Array.from({ length: 100_000 }, (_, i) => i % 251);
    const dst = new Uint8Array(200_000);
    for (const level of [-5, 1, 3]) {
      const n = compressPart(dst, src, level);
      expect(n, `level ${level}`).toBeLessThan(src.byteLength);
      expect(Buffer.from(zstdDecode(dst.subarray(0, n))).equals(src), `level ${level}`).toBe(true);
    }
    dst.fill(0);
    expect(compressPart(dst, src, null)).toBe(src.byteLength);
    expect(Buffer.from(dst.subarray(0, src.byteLength)).equals(src)).toBe(true);
    expect(() => compressPart(new Uint8Array(10), src, 1)).toThrow(/dst is smaller than the bound/);
  });

  it('a recording holding a mixed file: seal takes it in, sql reads it, verify passes', () => {
    const dir = join(tempDir(), 'rec');
    // A writer that sealed one segment and died while the second, written plain and ZSTD
    // alternately, was open.
    const script = `
      import { mkdirSync, openSync } from 'node:fs';
      import { RecordingWriter } from ${JSON.stringify(join(ROOT, 'dist/src/index.js'))};
      import { TableSink } from ${JSON.stringify(join(ROOT, 'dist/src/format/table-sink.js'))};
      import { SCHEMAS } from ${JSON.stringify(join(ROOT, 'dist/src/schema/arrow.generated.js'))};
      import { SyscallWorkload } from ${JSON.stringify(join(ROOT, 'dist/src/testing/synthetic.js'))};
      const work = new SyscallWorkload(8);
      const w = RecordingWriter.create(${JSON.stringify(dir)});
      w.append('syscall', work.batch(1000));
      w.sealSegment();
      mkdirSync(${JSON.stringify(join(dir, 'segments', '000002'))}, { mode: 0o700 });
      const path = ${JSON.stringify(join(dir, 'segments', '000002', 'syscall.arrow'))};
      const sink = new TableSink(openSync(path, 'wx', 0o600), path, 'syscall.arrow', SCHEMAS.syscall);
      for (let i = 0; i < 4; i++) sink.append(work.batch(1000), i % 2 === 0 ? null : 1);
      sink.end();
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const seal = cli('seal', dir);
    expect(seal.code, seal.stderr).toBe(0);
    const verify = cli('verify', dir);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const rec = Recording.open(dir);
    expect(rec.manifest.segments.map((s) => s.tables.syscall?.batches)).toEqual([1, 4]);
    const sum = [...rec.batches('syscall')].reduce((n, b) => {
      const arg0 = b.getChild('arg0')!;
      for (let i = 0; i < b.numRows; i++) n += arg0.get(i) as bigint;
      return n;
    }, 0n);
    const sql = cli('sql', dir, 'SELECT count(*) AS n, sum(arg0) AS s FROM syscall', '-f', 'csv');
    expect(sql.code, sql.stderr).toBe(0);
    expect(sql.stdout.trim().split('\n')).toEqual(['n,s', `5000,${sum}`]);
  });
});
