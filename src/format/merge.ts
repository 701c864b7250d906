// Merges the tables of a recording into the one total order (ts, seq). Memory is bounded:
// one decoded batch per table at a time. Output is runs of consecutive rows of one batch,
// so consumers work on column slices instead of per-row objects.
import type { RecordBatch } from 'apache-arrow';
import type { TableName } from '../schema/tables.js';

export interface Run {
  readonly table: TableName;
  readonly batch: RecordBatch;
  /** Rows [start, end) of `batch`, in (ts, seq) order. */
  readonly start: number;
  readonly end: number;
}

interface Cursor {
  readonly table: TableName;
  readonly source: Iterator<RecordBatch>;
  batch: RecordBatch;
  /** ts and seq as 32-bit halves (little-endian: low, high): compared without making bigints. */
  ts: Uint32Array;
  seq: Uint32Array;
  rows: number;
  row: number;
}

/** A u64 column of a batch as 32-bit halves (little-endian: low, high), read without bigints. */
export function u64Halves(batch: RecordBatch, name: string): Uint32Array {
  const data = batch.getChild(name)!.data[0]!;
  const v = data.values as BigUint64Array;
  return new Uint32Array(v.buffer, v.byteOffset + data.offset * 8, data.length * 2);
}

function advance(c: Omit<Cursor, 'batch' | 'ts' | 'seq' | 'rows' | 'row'> & Partial<Cursor>): Cursor | undefined {
  for (;;) {
    const next = c.source.next();
    if (next.done) return undefined;
    const batch = next.value;
    if (batch.numRows === 0) continue;
    return Object.assign(c, { batch, ts: u64Halves(batch, 'ts'), seq: u64Halves(batch, 'seq'), rows: batch.numRows, row: 0 });
  }
}

/** Whether row i of a comes before row j of b in (ts, seq). */
function before(a: Cursor, i: number, b: Cursor, j: number): boolean {
  let x = a.ts[2 * i + 1]!;
  let y = b.ts[2 * j + 1]!;
  if (x !== y) return x < y;
  x = a.ts[2 * i]!;
  y = b.ts[2 * j]!;
  if (x !== y) return x < y;
  x = a.seq[2 * i + 1]!;
  y = b.seq[2 * j + 1]!;
  if (x !== y) return x < y;
  return a.seq[2 * i]! < b.seq[2 * j]!;
}

/**
 * First row index in [c.row, rows) that is not before row j of o; rows are sorted by (ts, seq).
 * Galloping from c.row: runs are mostly short where tables interleave, so this looks at a few
 * rows instead of halving the whole rest of the batch.
 */
function firstNotBefore(c: Cursor, o: Cursor, j: number): number {
  let lo = c.row;
  let step = 1;
  while (lo + step < c.rows && before(c, lo + step, o, j)) {
    lo += step;
    step *= 2;
  }
  // Rows up to lo are before; the answer is in (lo, min(lo + step, rows)].
  let hi = Math.min(lo + step, c.rows);
  lo += 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(c, mid, o, j)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function* mergeTables(sources: ReadonlyArray<{ table: TableName; batches: Iterable<RecordBatch> }>): Generator<Run> {
  const cursors: Cursor[] = [];
  for (const s of sources) {
    const c = advance({ table: s.table, source: s.batches[Symbol.iterator]() });
    if (c) cursors.push(c);
  }
  while (cursors.length > 0) {
    // Few tables: a linear scan beats a heap.
    let best = 0;
    for (let i = 1; i < cursors.length; i++) {
      const a = cursors[i]!;
      const b = cursors[best]!;
      if (before(a, a.row, b, b.row)) best = i;
    }
    const c = cursors[best]!;
    // The run ends where the first of the other tables' next rows comes in.
    let next = -1;
    for (let i = 0; i < cursors.length; i++) {
      if (i === best) continue;
      const o = cursors[i]!;
      if (next < 0 || before(o, o.row, cursors[next]!, cursors[next]!.row)) next = i;
    }
    let end = next < 0 ? c.rows : firstNotBefore(c, cursors[next]!, cursors[next]!.row);
    // Guard against unsorted input: always make progress.
    end = Math.max(end, c.row + 1);
    yield { table: c.table, batch: c.batch, start: c.row, end };
    c.row = end;
    if (c.row >= c.rows && !advance(c)) cursors.splice(best, 1);
  }
}
