// Checks a decoded record batch against its table's declaration before anything uses it.
// apache-arrow takes buffers as the file gives them: an offset past its buffer, a null in a
// column that has none or an enum code without a label would otherwise surface later as
// garbage, a RangeError inside a detector, or a slice copying the bad batch into a recording
// that verifies but cannot be read. Bounded strings and lists are held to limits here too.
import { DataType, type Data, type Field, type RecordBatch, type Schema } from 'apache-arrow';
import { MAX_BUFFER_BYTES, MAX_LIST_ITEMS, MAX_STRING_BYTES } from './limits.js';

/**
 * Offsets of `count` variable-length values into `limit` items: what is wrong with them,
 * or undefined. They must start at or past 0, never go back, end within `limit`, and
 * give no value more than `maxItem` items.
 */
export function offsetsProblem(offsets: Int32Array, count: number, limit: number, maxItem: number, what: string): string | undefined {
  if (count === 0) return undefined;
  if (offsets.length < count + 1) return `${what}: ${offsets.length} offsets for ${count} values`;
  let prev = offsets[0]!;
  if (prev < 0) return `${what}: offset ${prev} is negative`;
  for (let i = 1; i <= count; i++) {
    const o = offsets[i]!;
    if (o < prev) return `${what}: offsets go backwards at value ${i - 1}`;
    if (o - prev > maxItem) return `${what}: value ${i - 1} holds ${o - prev} items (limit ${maxItem})`;
    prev = o;
  }
  if (prev > limit) return `${what}: offsets run to ${prev}, past the ${limit} there are`;
  return undefined;
}

function dataProblem(field: Field, data: Data, length: number, what: string): string | undefined {
  if (data.length !== length) return `${what} has ${data.length} values, expected ${length}`;
  if (data.nullCount > 0) {
    if (!field.nullable) return `${what} has nulls but is not nullable`;
    if ((data.nullBitmap?.byteLength ?? 0) < Math.ceil(length / 8)) return `${what}: its validity bitmap is too short`;
  }
  const t = field.type as DataType;
  if (DataType.isInt(t) || DataType.isFixedSizeBinary(t)) {
    const per = DataType.isFixedSizeBinary(t) ? t.byteWidth : 1;
    if ((data.values as ArrayLike<unknown>).length < length * per) return `${what}: values buffer too short for ${length} values`;
    const labels = field.metadata.get('flightrec.enum')?.split(',');
    if (labels) {
      const codes = data.values as Uint8Array;
      for (let i = 0; i < length; i++) if (codes[i]! >= labels.length && !(data.nullCount > 0 && !data.getValid(i))) return `${what}: code ${codes[i]} at row ${i} has no label`;
    }
    return undefined;
  }
  if (DataType.isBool(t)) return (data.values as Uint8Array).byteLength < Math.ceil(length / 8) ? `${what}: values buffer too short for ${length} values` : undefined;
  if (DataType.isUtf8(t) || DataType.isBinary(t)) {
    return offsetsProblem(data.valueOffsets as Int32Array, length, (data.values as Uint8Array).byteLength, DataType.isUtf8(t) ? MAX_STRING_BYTES : MAX_BUFFER_BYTES, what);
  }
  if (DataType.isList(t)) {
    const child = data.children[0];
    if (!child) return `${what}: list without values`;
    return offsetsProblem(data.valueOffsets as Int32Array, length, child.length, MAX_LIST_ITEMS, what)
      ?? dataProblem(t.children[0]!, child, child.length, `${what} values`);
  }
  return `${what}: type ${t} is not one flightrec writes`;
}

/** What is wrong with a decoded batch against its table's declared schema (not the file's own), or undefined. */
export function batchProblem(batch: RecordBatch, schema: Schema): string | undefined {
  for (const [i, field] of schema.fields.entries()) {
    const column = batch.getChildAt(i);
    if (!column) return `column ${field.name} is missing`;
    for (const data of column.data) {
      const why = dataProblem(field, data, data.length, `column ${field.name}`);
      if (why) return why;
    }
    if (column.length !== batch.numRows) return `column ${field.name} has ${column.length} values, the batch ${batch.numRows}`;
  }
  return undefined;
}
