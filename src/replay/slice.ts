// Cuts a smaller recording out of a big one: the rows of some processes (or a process tree)
// within a time range, every table, in the same order, with the source's host and clock so
// that times and replays read the same. The slice's manifest names its source and the hashes
// of the source segments it was cut from.
import { rmSync } from 'node:fs';
import type { RecordBatch } from 'apache-arrow';
import { makeCursor } from '../detect/cursor.js';
import { makeBatch, type ColumnValues } from '../format/batch.js';
import { UsageError } from '../format/errors.js';
import { RecordingWriter } from '../format/recording-writer.js';
import type { Recording } from '../format/recording.js';
import { SCHEMAS } from '../schema/arrow.generated.js';
import type { TableName } from '../schema/tables.js';

export interface SliceFilter {
  /** Keep rows of these pids. */
  readonly pids?: readonly number[];
  /** Keep rows of these pids and of every process forked from them (in the recording). */
  readonly trees?: readonly number[];
  /** ts bounds, inclusive. */
  readonly from?: bigint;
  readonly to?: bigint;
}

export interface SliceResult {
  readonly rows: number;
  readonly pids: readonly number[] | null;
}

/** The pids of the trees rooted at `roots`, following fork rows in order. */
export function treePids(rec: Recording, roots: readonly number[]): Set<number> {
  const pids = new Set(roots);
  const e = makeCursor('proc');
  for (const b of rec.batches('proc')) {
    e.bind(b);
    for (e.row = 0; e.row < b.numRows; e.row++) if (e.kind === 'fork' && pids.has(e.ppid)) pids.add(e.pid);
  }
  return pids;
}

/** Rows of `batch` at `rows`, as a new batch of `table`. */
function gather(table: TableName, batch: RecordBatch, rows: readonly number[]): RecordBatch {
  const columns: Record<string, ColumnValues> = {};
  for (const f of SCHEMAS[table].fields) {
    const v = batch.getChild(f.name)!;
    columns[f.name] = rows.map((r) => {
      const x = v.get(r) as unknown;
      if (x !== null && typeof x === 'object' && 'toArray' in (x as object) && !(x instanceof Uint8Array)) return Array.from((x as { toArray(): ArrayLike<unknown> }).toArray());
      return x;
    });
  }
  return makeBatch(table, columns);
}

export function slice(rec: Recording, out: string, filter: SliceFilter, commandLine: readonly string[]): SliceResult {
  if (!filter.pids && !filter.trees && filter.from === undefined && filter.to === undefined) {
    throw new UsageError('say what to keep: --pid, --tree, --from or --to');
  }
  let pids: Set<number> | undefined;
  if (filter.pids || filter.trees) {
    pids = new Set(filter.pids ?? []);
    if (filter.trees) for (const p of treePids(rec, filter.trees)) pids.add(p);
  }
  const m = rec.manifest;
  const writer = RecordingWriter.create(out, {
    derivedFrom: m,
    commandLine,
    source: {
      ...m.source,
      slice_of: {
        id: m.id,
        path: rec.dir,
        segments: rec.segments().map((s) => ({
          index: s.index,
          tables: s.entry ? Object.fromEntries(Object.entries(s.entry.tables).map(([t, e]) => [t, e.sha256])) : 'unsealed',
        })),
        filter: {
          ...(pids ? { pids: [...pids].sort((a, b) => a - b) } : {}),
          ...(filter.from !== undefined ? { from_ts: filter.from.toString() } : {}),
          ...(filter.to !== undefined ? { to_ts: filter.to.toString() } : {}),
        },
      },
    },
  });
  let rows = 0;
  let processRows = 0;
  try {
    for (const table of rec.tables()) {
      const hasPid = SCHEMAS[table].fields.some((f) => f.name === 'pid');
      for (const b of rec.batches(table)) {
        const ts = b.getChild('ts')!.data[0]!;
        const tsv = (ts.values as BigUint64Array).subarray(ts.offset, ts.offset + ts.length);
        const pidCol = hasPid ? b.getChild('pid')! : undefined;
        const keep: number[] = [];
        for (let r = 0; r < b.numRows; r++) {
          const t = tsv[r]!;
          if (filter.from !== undefined && t < filter.from) continue;
          if (filter.to !== undefined && t > filter.to) continue;
          // Rows of no process (gaps, Intel PT) stay when their time is kept: losses must show.
          if (pids && pidCol && !pids.has(pidCol.get(r) as number)) continue;
          keep.push(r);
        }
        if (keep.length === 0) continue;
        writer.append(table, keep.length === b.numRows ? b : gather(table, b, keep));
        rows += keep.length;
        if (pidCol) processRows += keep.length;
      }
    }
    // An empty slice (or one of gap rows only, when no process asked for is in the recording) is a mistake, not a fixture.
    if (pids ? processRows === 0 : rows === 0) {
      throw new UsageError(pids
        ? `nothing to slice: no rows of process${pids.size === 1 ? '' : 'es'} ${[...pids].sort((a, b) => a - b).join(', ')} in ${rec.dir}${filter.from !== undefined || filter.to !== undefined ? ' in that time range' : ''}; nothing was written`
        : `nothing to slice: no rows of ${rec.dir} in that time range; nothing was written`);
    }
  } catch (err) {
    writer.close();
    rmSync(out, { recursive: true, force: true }); // half a slice would mislead
    throw err;
  }
  writer.close();
  return { rows, pids: pids ? [...pids].sort((a, b) => a - b) : null };
}
