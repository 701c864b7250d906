// Who each live process is as of some time: its last fork, exec or snapshot row, and the
// directory it changed to since. A slice starting at a time (slice.ts) starts with it, and so
// does each segment of a recording whose oldest segments may be pruned (record --keep-size,
// --keep-time), as proc rows of kind snapshot: what a reader of that part alone needs to say
// who ran what, where.
import type { RecordBatch } from 'apache-arrow';
import { makeCursor } from '../detect/cursor.js';
import { makeBatch, type ColumnValues } from '../format/batch.js';
import { SCHEMAS } from '../schema/arrow.generated.js';

/** Column values of one proc row, as makeBatch takes them. */
export type ProcRow = Record<string, unknown>;

/** A value as makeBatch takes it: lists as arrays. */
export function valueOf(x: unknown): unknown {
  if (x !== null && typeof x === 'object' && 'toArray' in (x as object) && !(x instanceof Uint8Array)) return Array.from((x as { toArray(): ArrayLike<unknown> }).toArray());
  return x;
}

/** Row `r` of `batch` as column values. */
export function rowOf(batch: RecordBatch, r: number): ProcRow {
  const row: ProcRow = {};
  for (const f of batch.schema.fields) row[f.name] = valueOf(batch.getChild(f.name)!.get(r));
  return row;
}

export class ProcessContext {
  /** Each live process's last fork, exec or snapshot row. */
  private readonly last = new Map<number, ProcRow>();
  /** Where each changed to last, and when (a file batch may come before the proc batch of an older row). */
  private readonly cwd = new Map<number, { readonly ts: bigint; readonly path: string }>();
  private readonly proc = makeCursor('proc');
  private readonly file = makeCursor('file');
  /** The ts of the latest proc row taken. */
  lastProcTs: bigint | undefined;

  /** Processes known alive. */
  get size(): number {
    return this.last.size;
  }

  /** Takes the rows of a proc or file batch (others are ignored) older than `before`, in order. */
  add(table: string, batch: RecordBatch, before?: bigint): void {
    if (table === 'proc') {
      const e = this.proc;
      e.bind(batch);
      for (e.row = 0; e.row < batch.numRows; e.row++) {
        const ts = e.ts;
        if (before !== undefined && ts >= before) break;
        this.lastProcTs = ts;
        if (e.kind === 'exit') {
          this.last.delete(e.pid);
          this.cwd.delete(e.pid);
        } else {
          this.last.set(e.pid, rowOf(batch, e.row));
        }
      }
    } else if (table === 'file') {
      // Where each had gone since (chdir and fchdir rows that succeeded).
      const f = this.file;
      f.bind(batch);
      for (f.row = 0; f.row < batch.numRows; f.row++) {
        if (before !== undefined && f.ts >= before) break;
        if (f.op === 'chdir' && f.ret === 0n) this.cwd.set(f.pid, { ts: f.ts, path: f.abs_path ?? f.path });
      }
    }
  }

  /**
   * A snapshot row at `ts` for each live process, in the order of the rows they were made from;
   * each keeps that row's seq unless `seqFrom` numbers them afresh.
   */
  rows(ts: bigint, seqFrom?: bigint): ProcRow[] {
    const rows = [...this.last.values()].sort((a, b) => (a.seq as bigint) < (b.seq as bigint) ? -1 : 1);
    return rows.map((r, i) => {
      const cwd = this.cwd.get(r.pid as number);
      return {
        ...r, ts, kind: 'snapshot',
        ...(seqFrom !== undefined ? { seq: seqFrom + BigInt(i) } : {}),
        ...(cwd && cwd.ts > (r.ts as bigint) ? { cwd: cwd.path } : {}),
      };
    });
  }
}

/**
 * The context a new segment starts with (record --keep-size/--keep-time): a snapshot row for each
 * live process at the latest proc row's time, numbered from `reserve(n)`; undefined when none is known.
 */
export function contextBatch(context: ProcessContext, reserve: (n: number) => bigint): RecordBatch | undefined {
  if (context.lastProcTs === undefined || context.size === 0) return undefined;
  return procBatch(context.rows(context.lastProcTs, reserve(context.size)));
}

/** Proc rows as one batch. */
export function procBatch(rows: readonly ProcRow[]): RecordBatch {
  return makeBatch('proc', Object.fromEntries(SCHEMAS.proc.fields.map((f) => [f.name, rows.map((r) => r[f.name])])) as Record<string, ColumnValues>);
}
