// The kind of each buffer ("part") of a table's record batches, in the order Arrow IPC lays
// them out, from the table's declaration: what a zstd level per part would be chosen by.
// bench/levels.bench.ts measures every kind at every level on recordings of W1-W3. Measured
// 2026-12-02: no level per kind beat level 1 everywhere on all three at no more bytes beyond
// the noise, so the sink writes every part at one level (codec.ts compressionLevel).
import { DataType, type Field, type Int, type Schema } from 'apache-arrow';
import { TABLE_NAMES, followingTime } from '../schema/tables.js';

/**
 * - time: integers that follow time (ts, seq, pids: `Column.followsTime`)
 * - small: other integers of up to 32 bits, enum codes
 * - wide: other 64-bit integers (arguments, return values, latencies, addresses, lengths)
 * - offsets: offsets of strings, binaries and lists
 * - text: the bytes of strings and binaries
 * - fixed: fixed-size binaries (network addresses)
 * - bitmap: validity bitmaps and bools
 */
export const PART_KINDS = ['time', 'small', 'wide', 'offsets', 'text', 'fixed', 'bitmap'] as const;
export type PartKind = (typeof PART_KINDS)[number];

const kindsBySchema = new WeakMap<Schema, readonly PartKind[]>();

/** The kind of every buffer of a batch of `schema`: per field its validity, then its offsets and values, then its child's. */
export function partKinds(schema: Schema): readonly PartKind[] {
  let kinds = kindsBySchema.get(schema);
  if (kinds) return kinds;
  const table = schema.metadata.get('flightrec.table');
  const timely = table !== undefined && (TABLE_NAMES as readonly string[]).includes(table) ? followingTime(table) : new Set<string>();
  const out: PartKind[] = [];
  const field = (f: Field, top: boolean): void => {
    out.push('bitmap');
    const t = f.type as DataType;
    if (DataType.isInt(t)) out.push(top && timely.has(f.name) ? 'time' : (t as Int).bitWidth <= 32 ? 'small' : 'wide');
    else if (DataType.isBool(t)) out.push('bitmap');
    else if (DataType.isUtf8(t) || DataType.isBinary(t)) out.push('offsets', 'text');
    else if (DataType.isFixedSizeBinary(t)) out.push('fixed');
    else if (DataType.isList(t)) {
      out.push('offsets');
      field(t.children[0]!, false);
    } else throw new Error(`column '${f.name}' has a type (${String(t)}) no table declares`);
  };
  for (const f of schema.fields) field(f, true);
  kinds = out;
  kindsBySchema.set(schema, kinds);
  return kinds;
}
