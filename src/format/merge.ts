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
  ts: BigUint64Array;
  seq: BigUint64Array;
  row: number;
}

function u64Column(batch: RecordBatch, name: string): BigUint64Array {
  const data = batch.getChild(name)!.data[0]!;
  return (data.values as BigUint64Array).subarray(data.offset, data.offset + data.length);
}

function advance(c: Omit<Cursor, 'batch' | 'ts' | 'seq' | 'row'> & Partial<Cursor>): Cursor | undefined {
  for (;;) {
    const next = c.source.next();
    if (next.done) return undefined;
    const batch = next.value;
    if (batch.numRows === 0) continue;
    return Object.assign(c, { batch, ts: u64Column(batch, 'ts'), seq: u64Column(batch, 'seq'), row: 0 });
  }
}

const before = (ts: bigint, seq: bigint, ts2: bigint, seq2: bigint): boolean => ts < ts2 || (ts === ts2 && seq < seq2);

/** First row index in [lo, n) whose key is not before (ts, seq); rows are sorted by (ts, seq). */
function firstNotBefore(c: Cursor, ts: bigint, seq: bigint): number {
  let lo = c.row;
  let hi = c.ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(c.ts[mid]!, c.seq[mid]!, ts, seq)) lo = mid + 1;
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
      if (before(a.ts[a.row]!, a.seq[a.row]!, b.ts[b.row]!, b.seq[b.row]!)) best = i;
    }
    const c = cursors[best]!;
    let end = c.ts.length;
    for (let i = 0; i < cursors.length; i++) {
      if (i === best) continue;
      const o = cursors[i]!;
      end = Math.min(end, firstNotBefore(c, o.ts[o.row]!, o.seq[o.row]!));
    }
    // Guard against unsorted input: always make progress.
    end = Math.max(end, c.row + 1);
    yield { table: c.table, batch: c.batch, start: c.row, end };
    c.row = end;
    if (c.row >= c.ts.length && !advance(c)) cursors.splice(best, 1);
  }
}
