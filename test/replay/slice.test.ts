// A slice of a recording written under an older schema version is a recording of the current
// one: its files carry the declaration, the columns added since null, and it verifies.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { makeBatch, type ColumnValues } from '../../src/format/batch.js';
import type { RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { Recording, RecordingWriter, SCHEMAS, slice, verifyRecording } from '../../src/index.js';
import { SyscallWorkload } from '../../src/testing/synthetic.js';
import { SCHEMA_VERSION } from '../../src/schema/tables.js';
import { cli, tempDir } from '../helpers.js';
import { FIXTURE, fixtureFile, storedSchemaOf } from '../format/older.js';

/** Every row of a table as its values, in order. */
function rows(dir: string, table: 'proc' | 'file'): unknown[][] {
  const rec = Recording.open(dir);
  const out = [...rec.batches(table)].flatMap((b: RecordBatch) => [...b].map((r) => SCHEMAS[table].fields.map((f) => {
    const v = r[f.name] as unknown;
    return v !== null && typeof v === 'object' && 'toArray' in v ? [...(v as { toArray(): Iterable<unknown> }).toArray()] : v;
  })));
  rec.close();
  return out;
}

describe('slice of a schema-1 recording', () => {
  it('whole batches and gathered rows alike: written under the current schema, verified, read back the same', () => {
    const src = Recording.open(FIXTURE);
    const everything = join(tempDir(), 'all');
    const whole = slice(src, everything, { from: 0n }, ['test']);
    const exec = 1; // kind code
    const pid = rows(FIXTURE, 'proc').filter((r) => r[6] === exec).at(-1)![3] as number;
    const some = join(tempDir(), 'some');
    const part = slice(src, some, { pids: [pid] }, ['test']);
    src.close();
    expect(part.rows).toBeGreaterThan(0);
    expect(part.rows).toBeLessThan(whole.rows);

    for (const dir of [everything, some]) {
      const report = verifyRecording(dir);
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect(cli('verify', dir).code).toBe(0);
      for (const table of ['proc', 'file'] as const) {
        const stored = storedSchemaOf(fixtureFile(table, dir));
        expect(stored.metadata.get('flightrec.schema_version')).toBe(String(SCHEMA_VERSION));
        expect(stored.fields.map((f) => f.name)).toEqual(SCHEMAS[table].fields.map((f) => f.name));
      }
    }
    // Every row kept as it was, the columns added since null.
    expect(rows(everything, 'proc')).toEqual(rows(FIXTURE, 'proc'));
    expect(rows(everything, 'file')).toEqual(rows(FIXTURE, 'file'));
    const cwd = SCHEMAS.proc.fields.findIndex((f) => f.name === 'cwd');
    expect(rows(some, 'proc').every((r) => r[cwd] === null)).toBe(true);
  });
});

describe('slice of a large recording', () => {
  it('writes batches read through the inflate pool (files over 4 MiB, buffers in shared memory)', () => {
    const dir = join(tempDir(), 'big');
    const w = RecordingWriter.create(dir);
    const work = new SyscallWorkload(3);
    // Random arguments: zstd cannot shrink them, so they are stored raw in the compressed
    // messages, and read back as views of the body the inflate pool's arena holds.
    while (w.openSegmentBytes < 6 * 1024 * 1024) {
      const b = work.batch(65536);
      const random = new BigUint64Array(randomBytes(65536 * 8).buffer);
      w.append('syscall', makeBatch('syscall', Object.fromEntries(SCHEMAS.syscall.fields.map((f) => [f.name, f.name === 'arg0' ? random : [...b.getChild(f.name)!]])) as Record<string, ColumnValues>));
    }
    w.close();
    const src = Recording.open(dir);
    const all = [...src.batches('syscall')];
    const first = all[0]!.getChild('ts')!.get(0) as bigint;
    const out = join(tempDir(), 'cut');
    // From the second row on: every batch is gathered (a new batch) or passed whole (as read).
    const r = slice(src, out, { from: first + 1n }, ['test']);
    src.close();
    expect(r.rows).toBe(all.reduce((n, b) => n + b.numRows, 0) - 1);
    expect(verifyRecording(out).ok).toBe(true);
  });
});
