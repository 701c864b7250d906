// Big table files are decompressed ahead on worker threads (src/format/inflate-pool.ts).
// These tests read files large enough to take that path and check that it changes nothing:
// same rows, interleaved readers kept apart, early stops and corrupt frames handled.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatchStreamWriter, type RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { Recording, RecordingError, RecordingWriter, SCHEMAS, TableFile } from '../../src/index.js';
import { SyscallWorkload } from '../../src/testing/synthetic.js';
import { tempDir } from '../helpers.js';

const ROWS = 400_000;
const BATCH = 16_384;

/** A recording whose one syscall file is well over the read-ahead threshold, and what was written; `close: false` leaves it open after sealing that file. */
function bigRecording(seed: number, close = true): { dir: string; written: RecordBatch[] } {
  const dir = join(tempDir(), 'rec');
  const work = new SyscallWorkload(seed);
  const w = RecordingWriter.create(dir);
  const written: RecordBatch[] = [];
  for (let done = 0; done < ROWS; done += BATCH) {
    const b = work.batch(Math.min(BATCH, ROWS - done));
    written.push(b);
    w.append('syscall', b);
  }
  if (close) w.close();
  else w.sealSegment();
  return { dir, written };
}

/** Every column of a batch as comparable values: typed arrays as bytes, others as arrays. */
function columns(b: RecordBatch): unknown[] {
  return SCHEMAS.syscall.fields.map((_, i) => {
    const values = b.getChildAt(i)!.toArray() as unknown;
    return ArrayBuffer.isView(values) ? Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64') : Array.from(values as ArrayLike<unknown>);
  });
}

function syscallFile(dir: string): string {
  return join(dir, 'segments', '000001', 'syscall.arrow');
}

describe('read-ahead decompression', () => {
  it('reads a big file back exactly, batch by batch', () => {
    const { dir, written } = bigRecording(1);
    expect(statSync(syscallFile(dir)).size).toBeGreaterThan(4 * 1024 * 1024);
    const read = [...Recording.open(dir).batches('syscall')];
    expect(read.map((b) => b.numRows)).toEqual(written.map((b) => b.numRows));
    read.forEach((b, i) => expect(columns(b), `batch ${i}`).toEqual(columns(written[i]!)));
  });

  it('keeps interleaved readers apart and survives a reader that stops early', () => {
    const a = bigRecording(2);
    const b = bigRecording(3);
    // A reader abandoned after one batch leaves jobs queued behind it.
    const early = Recording.open(a.dir).batches('syscall');
    expect(early.next().value!.numRows).toBe(BATCH);
    early.return(undefined);
    const ra = Recording.open(a.dir).batches('syscall');
    const rb = Recording.open(b.dir).batches('syscall');
    for (let i = 0; i < a.written.length; i++) {
      expect(columns(ra.next().value!), `a ${i}`).toEqual(columns(a.written[i]!));
      expect(columns(rb.next().value!), `b ${i}`).toEqual(columns(b.written[i]!));
    }
    expect(ra.next().done).toBe(true);
    expect(rb.next().done).toBe(true);
  });

  it('keeps the bodies of batches stored uncompressed (their columns are views into them)', () => {
    const { dir, written } = bigRecording(5, false);
    // An unsealed segment written by another Arrow writer, without compression.
    const seg = join(dir, 'segments', '000002');
    mkdirSync(seg);
    writeFileSync(join(seg, 'syscall.arrow'), RecordBatchStreamWriter.writeAll(written).toUint8Array(true));
    expect(statSync(join(seg, 'syscall.arrow')).size).toBeGreaterThan(4 * 1024 * 1024);
    const read = [...Recording.open(dir).batches('syscall')];
    expect(read).toHaveLength(2 * written.length);
    // Compared after reading all: a reused body would show in the earlier batches.
    read.forEach((b, i) => expect(columns(b), `batch ${i}`).toEqual(columns(written[i % written.length]!)));
  });

  it('names the file when a zstd frame is corrupt inside', () => {
    const { dir } = bigRecording(4);
    const path = syscallFile(dir);
    const bytes = readFileSync(path);
    // Garble the middle of the file: inside some batch body, past its frame headers.
    bytes.fill(0x55, bytes.length >> 1, (bytes.length >> 1) + 4096);
    writeFileSync(path, bytes);
    // Read the file directly: through the recording the sealed hash would also object, but only at the end.
    const file = new TableFile(path, SCHEMAS.syscall);
    try {
      expect(() => {
        for (const _ of file.recordBatches()) { /* read until the bad batch */ }
      }).toThrow(RecordingError);
    } finally {
      file.close();
    }
  });
});
