import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { Recording, RecordingWriter, SCHEMAS, TABLE_NAMES, verifyRecording, type TableName } from '../../src/index.js';
import { SyntheticClock, SyscallWorkload, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { tempDir } from '../helpers.js';

/** Rows of a read batch as plain values comparable with the synthetic input. */
export function rowsOf(table: TableName, batch: RecordBatch): Record<string, unknown>[] {
  const fields = SCHEMAS[table].fields;
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < batch.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (const [c, f] of fields.entries()) {
      let v: unknown = batch.getChildAt(c)!.get(i);
      const labels = f.metadata.get('flightrec.enum')?.split(',');
      if (labels && typeof v === 'number') v = labels[v];
      else if (v !== null && typeof v === 'object' && 'toArray' in v && !(v instanceof Uint8Array)) v = Array.from((v as { toArray(): ArrayLike<unknown> }).toArray());
      row[f.name] = v;
    }
    out.push(row);
  }
  return out;
}

describe('recording format round trip', () => {
  it('reads back every table exactly, including nulls, unicode, lists and empty batches', () => {
    const dir = join(tempDir(), 'rec');
    const rand = rng(42);
    const clock = new SyntheticClock(rand);
    const written = new Map<TableName, Record<string, unknown>[]>();
    const w = RecordingWriter.create(dir, { maxSegmentBytes: 4096 });
    for (let round = 0; round < 3; round++) {
      for (const t of TABLE_NAMES) {
        const rows = syntheticRows(t, round === 1 ? 0 : 50, clock, rand);
        w.append(t, batchFromRows(t, rows));
        written.set(t, [...(written.get(t) ?? []), ...rows]);
      }
    }
    w.close();
    const rec = Recording.open(dir);
    expect(rec.manifest.segments.length).toBeGreaterThan(1);
    expect(rec.tables()).toEqual(TABLE_NAMES);
    for (const t of TABLE_NAMES) {
      const read = [...rec.batches(t)].flatMap((b) => rowsOf(t, b));
      expect(read, t).toEqual(written.get(t));
    }
    // Nulls and unicode were really exercised.
    const procs = written.get('proc')!;
    expect(procs.some((r) => r.argv === null)).toBe(true);
    expect(procs.some((r) => String(r.comm).includes('λ') || String(r.filename).includes('😀'))).toBe(true);
  });

  it('merges all tables into one (ts, seq) order', () => {
    const dir = join(tempDir(), 'rec');
    const rand = rng(7);
    const clock = new SyntheticClock(rand);
    const w = RecordingWriter.create(dir);
    // Interleave tables so the merge has real work: batches of each table overlap in time.
    const parts: Array<[TableName, Record<string, unknown>[]]> = [];
    for (const t of ['syscall', 'proc', 'file'] as TableName[]) parts.push([t, []]);
    for (let i = 0; i < 600; i++) parts[i % 3]![1].push(...syntheticRows(parts[i % 3]![0], 1, clock, rand));
    for (const [t, rows] of parts) {
      w.append(t, batchFromRows(t, rows.slice(0, 100)));
      w.append(t, batchFromRows(t, rows.slice(100)));
    }
    w.close();
    const seen: bigint[] = [];
    const tables = new Set<string>();
    for (const run of Recording.open(dir).merged()) {
      const seq = run.batch.getChild('seq')!;
      for (let i = run.start; i < run.end; i++) seen.push(seq.get(i) as bigint);
      tables.add(run.table);
    }
    expect(seen.length).toBe(600);
    expect(seen).toEqual([...seen].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(seen).size).toBe(600);
    expect(tables.size).toBe(3);
  });

  it('rotates segments by time, chains them, and keeps files private', () => {
    const dir = join(tempDir(), 'rec');
    let now = 0;
    const w = RecordingWriter.create(dir, { maxSegmentMs: 1000, now: () => now });
    const work = new SyscallWorkload(3);
    for (let i = 0; i < 4; i++) {
      w.append('syscall', work.batch(1000));
      now += 1500;
      w.tick();
    }
    w.close();
    const rec = Recording.open(dir);
    expect(rec.manifest.segments.map((s) => s.dir)).toEqual(['000001', '000002', '000003', '000004']);
    expect([...rec.batches('syscall')].reduce((n, b) => n + b.numRows, 0)).toBe(4000);
    expect(verifyRecording(dir).ok).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'segments', '000001')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'manifest.json')).mode & 0o777).toBe(0o600);
    for (const f of readdirSync(join(dir, 'segments', '000001'))) expect(statSync(join(dir, 'segments', '000001', f)).mode & 0o777).toBe(0o600);
  });

  it('writes standard compressed IPC: each buffer prefix holds the uncompressed length', () => {
    const dir = join(tempDir(), 'rec');
    const w = RecordingWriter.create(dir);
    w.append('syscall', new SyscallWorkload(1).batch(5000));
    w.close();
    const rec = Recording.open(dir);
    const entry = rec.manifest.segments[0]!.tables.syscall!;
    // raw_bytes is the sum of the prefixes the reader validated against each zstd frame.
    expect(entry.raw_bytes).toBeGreaterThan(entry.bytes);
    expect([...rec.batches('syscall')][0]!.numRows).toBe(5000);
  });
});
