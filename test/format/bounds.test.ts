// Bounded work: what a table file may cost to read is bounded by its size and by limits,
// each with a one-line error naming the file, and a batch that does not fit its table's
// declaration is refused before anything (a slice) can copy it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatchStreamWriter } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { MAX_BATCHES_PER_FILE, MAX_EXPANSION } from '../../src/format/limits.js';
import { Recording, RecordingWriter, SCHEMAS, TableFile, makeBatch } from '../../src/index.js';
import { SyntheticClock, SyscallWorkload, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { cliWithin, tempDir } from '../helpers.js';
import { bufferOffset, splitStream } from './ipc.js';
import { unsealedWith } from './older.js';

/** One table file of a fresh recording, as written. */
function written(table: 'gap' | 'syscall' | 'proc', batch: Parameters<RecordingWriter['append']>[1]): Buffer {
  const dir = join(tempDir(), 'rec');
  const w = RecordingWriter.create(dir);
  w.append(table, batch);
  w.close();
  return readFileSync(join(dir, 'segments', '000001', `${table}.arrow`));
}

describe('bounded work', () => {
  it(`refuses a file that decompresses to more than ${MAX_EXPANSION} times its size`, () => {
    // A million rows of zeros compress about 20,000:1; eight such batches pass the small-file floor.
    const n = 1 << 20;
    const zeros = (): BigUint64Array => new BigUint64Array(n);
    const m = splitStream(written('gap', makeBatch('gap', { ts: zeros(), seq: zeros(), cpu: new Uint16Array(n), lost: zeros(), first_ts: zeros(), last_ts: zeros() })));
    const bomb = Buffer.concat([m.schema, ...Array.from({ length: 8 }, () => m.batches[0]!), m.end]);
    const { dir, file } = unsealedWith('gap', bomb);
    const f = new TableFile(file, SCHEMAS.gap);
    expect(() => f.scan()).toThrow(new RegExp(`^${file} at offset \\d+: corrupt Arrow stream: decompresses to more than \\d+ bytes, ${MAX_EXPANSION} times the file's size`));
    f.close();
    const r = cliWithin(20_000, 'info', dir);
    expect([r.code, r.timedOut]).toEqual([1, false]);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(file);
  });

  it(`refuses a file of more than ${MAX_BATCHES_PER_FILE} batches quickly, in info and sql alike`, () => {
    const m = splitStream(written('syscall', new SyscallWorkload(3).batch(1)));
    const many = Buffer.concat([m.schema, ...Array.from({ length: 2 * MAX_BATCHES_PER_FILE }, () => m.batches[0]!)]);
    const { dir, file } = unsealedWith('syscall', many);
    // Quickly means at the limit, not after the whole file: the refusal names where it stopped.
    // (Wall time only guards against a hang: on a busy machine it says little about the work.)
    const limit = m.schema.length + (MAX_BATCHES_PER_FILE + 1) * m.batches[0]!.length;
    for (const args of [['info', dir], ['sql', dir, 'SELECT count(*) FROM syscall', '--cache', join(tempDir(), 'cache')]]) {
      const r = cliWithin(50_000, ...args);
      expect([r.code, r.timedOut], r.stderr).toEqual([1, false]);
      const refused = new RegExp(`^flightrec: ${file} at offset (\\d+): corrupt Arrow stream: more than ${MAX_BATCHES_PER_FILE} record batches in one file`).exec(r.stderr);
      expect(refused, r.stderr).not.toBeNull();
      expect(Number(refused![1])).toBeLessThanOrEqual(limit);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it(`starts a new segment before any file holds ${MAX_BATCHES_PER_FILE} batches`, () => {
    const dir = join(tempDir(), 'rec');
    const w = RecordingWriter.create(dir);
    const one = new SyscallWorkload(4).batch(1);
    for (let i = 0; i <= MAX_BATCHES_PER_FILE; i++) w.append('syscall', one);
    const m = w.close();
    expect(m.segments.map((s) => s.tables.syscall!.batches)).toEqual([MAX_BATCHES_PER_FILE, 1]);
  });
});

describe('batches that do not fit their table', () => {
  /** An uncompressed proc stream (so buffers can be edited in place) and where buffer `index` of its batch lies. */
  function procStream(index: number): { bytes: Buffer; at: number } {
    const rand = rng(5);
    const batch = batchFromRows('proc', syntheticRows('proc', 20, new SyntheticClock(rand), rand));
    const bytes = Buffer.from(RecordBatchStreamWriter.writeAll([batch]).toUint8Array(true));
    const m = splitStream(bytes);
    const schemaLen = m.schema.length;
    return { bytes, at: schemaLen + bufferOffset(m.batches[0]!, index).offset };
  }

  const cases: Array<[string, number, (b: Buffer, at: number) => void, RegExp]> = [
    // proc buffers: ts 0-1, seq 2-3, cpu 4-5, pid 6-7, tid 8-9, comm 10-12 (validity, offsets, data), kind 13-14.
    ['a string offset past its data', 11, (b, at) => b.writeInt32LE(b.readInt32LE(at + 4 * 20) + 100, at + 4 * 20), /column comm: offsets run to \d+, past the \d+ there are/],
    ['a string over the limit', 11, (b, at) => b.writeInt32LE(1 << 30, at + 4 * 20), /column comm: value 19 holds \d+ items \(limit 1048576\)/],
    ['string offsets that go backwards', 11, (b, at) => b.writeInt32LE(-5, at + 4 * 3), /column comm: offsets go backwards at value 2/],
    ['an enum code without a label', 14, (b, at) => b.writeUInt8(77, at + 2), /column kind: code 77 at row 2 has no label/],
  ];
  for (const [what, index, spoil, message] of cases) {
    it(`${what}: refused by readers, and slice copies nothing`, () => {
      const { bytes, at } = procStream(index);
      spoil(bytes, at);
      const { dir, file } = unsealedWith('proc', bytes);
      expect(() => [...Recording.open(dir).batches('proc')]).toThrow(message);
      const out = join(tempDir(), 'cut');
      const r = cliWithin(20_000, 'slice', dir, '--from', '0', '-o', out);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^flightrec: ${file} at offset \\d+: corrupt Arrow stream: `));
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(cliWithin(20_000, 'info', out).stderr).toMatch(/no such recording/);
    });
  }
});
