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
import { wallOffset } from '../format/host.js';
import type { Recording, SegmentRef } from '../format/recording.js';
import { SCHEMAS } from '../schema/arrow.generated.js';
import { table as tableOf, type TableName } from '../schema/tables.js';
import { ProcessContext, procBatch, valueOf, type ProcRow } from './process-context.js';

export interface SliceFilter {
  /** Keep rows of these pids. */
  readonly pids?: readonly number[];
  /** Keep rows of these pids and of every process forked from them (in the recording). */
  readonly trees?: readonly number[];
  /** ts bounds, inclusive. */
  readonly from?: bigint;
  readonly to?: bigint;
  /** Only sealed segments: the recording is being written (an incident), and its open segment is not proved by a hash yet. */
  readonly sealedOnly?: boolean;
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

/**
 * What a slice starting at `from` needs to say who its processes are: for each process alive
 * then whose fork, exec or snapshot row lies before the slice, a snapshot row made from the
 * last of them and the directories it changed to since, at `from`. It keeps that row's seq,
 * which is unique in the source and not in the slice. `segments` are those to read it from.
 */
function identitiesAt(rec: Recording, segments: readonly SegmentRef[], from: bigint, keep: (pid: number) => boolean): ProcRow[] {
  const context = new ProcessContext();
  for (const b of rec.batches('proc', segments)) context.add('proc', b, from);
  if (rec.tables().includes('file')) for (const b of rec.batches('file', segments)) context.add('file', b, from);
  return context.rows(from).filter((r) => keep(r.pid as number));
}

/** A second: how far a segment's opening (a wall time) may be off on the clock of ts. */
const OPENED_SLACK_NS = 1_000_000_000n;

/** What a slice of [from, to] reads, segment by segment. */
interface SliceSegments {
  /** Per table, the segments with rows of it in the window: each table is in (ts, seq) order across segments. */
  readonly rows: (table: TableName) => SegmentRef[];
  /** The segments to read the processes' context at `from` from. */
  readonly context: SegmentRef[];
  /** All of them (the slice names them with their hashes). */
  readonly read: SegmentRef[];
}

/**
 * The segments a slice reads: for each table those whose rows of it reach into the window (and
 * unsealed ones), and those that say who its processes are at `from`: every one with proc or
 * file rows before it or, in a recording whose segments each start with the processes' context
 * (`process_context` in its source, record --keep-size), from the last opened before `from` on.
 */
function segmentsFor(rec: Recording, filter: SliceFilter): SliceSegments {
  const { from, to } = filter;
  const all = filter.sealedOnly ? rec.segments().filter((s) => s.entry) : rec.segments();
  const range = (s: SegmentRef, table: string): { first: bigint; last: bigint } | undefined => {
    const t = s.entry?.tables[table];
    return t && t.first_ts !== null && t.last_ts !== null ? { first: BigInt(t.first_ts), last: BigInt(t.last_ts) } : undefined;
  };
  const rows = (table: TableName): SegmentRef[] => all.filter((s) => {
    if (!s.entry) return true;
    const r = range(s, table);
    return r !== undefined && (from === undefined || r.last >= from) && (to === undefined || r.first <= to);
  });
  let context: SegmentRef[] = [];
  if (from !== undefined) {
    context = all.filter((s) => !s.entry || ['proc', 'file'].some((t) => (range(s, t)?.first ?? from) < from));
    if (rec.manifest.source?.process_context === 'every segment') {
      // A segment's context says how the processes were when it opened: the last opened before
      // `from` is where the context at `from` starts, and those opened after it say too much.
      // (Opening is a wall time: a margin for the clock mapping.)
      // A time that does not parse (any writer may have made the manifest) says nothing: kept.
      const offset = wallOffset(rec.manifest.clock);
      const opened = (s: SegmentRef): bigint | undefined => {
        const ms = Date.parse(s.entry!.opened_at);
        return Number.isFinite(ms) ? BigInt(ms) * 1_000_000n - offset : undefined;
      };
      const start = context.filter((s) => s.entry && (opened(s) ?? from) <= from - OPENED_SLACK_NS).at(-1);
      context = context.filter((s) => !s.entry || ((!start || s.index >= start.index) && (opened(s) ?? from) <= from + OPENED_SLACK_NS));
    }
  }
  const wanted = new Set(context.map((s) => s.index));
  for (const t of rec.tables()) if (tableOf(t).context !== true) for (const s of rows(t)) wanted.add(s.index);
  return { rows, context, read: all.filter((s) => wanted.has(s.index)) };
}

/** Rows of `batch` at `rows`, as a new batch of `table`. */
function gather(table: TableName, batch: RecordBatch, rows: readonly number[]): RecordBatch {
  const columns: Record<string, ColumnValues> = {};
  for (const f of SCHEMAS[table].fields) {
    const v = batch.getChild(f.name)!;
    columns[f.name] = rows.map((r) => valueOf(v.get(r)));
  }
  return makeBatch(table, columns);
}

export function slice(rec: Recording, out: string, filter: SliceFilter, commandLine: readonly string[], extraSource: Record<string, unknown> = {}): SliceResult {
  if (!filter.pids && !filter.trees && filter.from === undefined && filter.to === undefined) {
    throw new UsageError('say what to keep: --pid, --tree, --from or --to');
  }
  let pids: Set<number> | undefined;
  if (filter.pids || filter.trees) {
    pids = new Set(filter.pids ?? []);
    if (filter.trees) for (const p of treePids(rec, filter.trees)) pids.add(p);
  }
  const m = rec.manifest;
  const segments = segmentsFor(rec, filter);
    const writer = RecordingWriter.create(out, {
    derivedFrom: m,
    commandLine,
    source: {
      ...m.source,
      slice_of: {
        id: m.id,
        path: rec.dir,
        segments: segments.read.map((s) => ({
          index: s.index,
          tables: s.entry ? Object.fromEntries(Object.entries(s.entry.tables).map(([t, e]) => [t, e.sha256])) : 'unsealed',
        })),
        filter: {
          ...(pids ? { pids: [...pids].sort((a, b) => a - b) } : {}),
          ...(filter.from !== undefined ? { from_ts: filter.from.toString() } : {}),
          ...(filter.to !== undefined ? { to_ts: filter.to.toString() } : {}),
        },
      },
      ...extraSource,
    },
  });
  let rows = 0;
  let processRows = 0;
  try {
    // A slice from a time on says who its processes were then, so it reads on its own.
    if (filter.from !== undefined) {
      const ids = identitiesAt(rec, segments.context, filter.from, (pid) => !pids || pids.has(pid));
      if (ids.length > 0) {
        writer.append('proc', procBatch(ids));
        rows += ids.length;
      }
    }
    for (const table of rec.tables()) {
      const hasPid = SCHEMAS[table].fields.some((f) => f.name === 'pid');
      const whole = tableOf(table).context === true;
      for (const b of rec.batches(table, whole ? segments.read : segments.rows(table))) {
        if (whole) {
          writer.append(table, b);
          rows += b.numRows;
          continue;
        }
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
