// Native batches become Arrow record batches without copying: each column's buffers are
// wrapped as they are.
import { DataType, List, RecordBatch, makeData, type Data, type Field } from 'apache-arrow';
import { intArrayType, makeBatch } from '../format/batch.js';
import { SCHEMAS } from '../schema/arrow.generated.js';
import type { NativeBatch, NativeColumn } from './native.js';

const EMPTY = new ArrayBuffer(0);

function columnData(field: Field, c: NativeColumn, length: number): Data {
  const type = field.type as DataType;
  const nulls = { nullCount: c.nullCount, nullBitmap: c.validity ? new Uint8Array(c.validity) : undefined };
  const data = c.data ?? EMPTY;
  if (DataType.isInt(type)) {
    const Ctor = intArrayType(type);
    return makeData({ type, length, ...nulls, data: new Ctor(data, 0, length) } as never);
  }
  if (DataType.isBool(type) || DataType.isFixedSizeBinary(type)) return makeData({ type, length, ...nulls, data: new Uint8Array(data) } as never);
  if (DataType.isUtf8(type)) {
    return makeData({ type, length, ...nulls, valueOffsets: new Int32Array(c.offsets!), data: new Uint8Array(data) } as never);
  }
  if (DataType.isList(type)) {
    const itemType = (type as List).children[0]!.type;
    const offsets = new Int32Array(c.offsets!);
    const items = offsets[length]!;
    const child = makeData({ type: itemType, length: items, nullCount: 0, valueOffsets: new Int32Array(c.childOffsets!), data: new Uint8Array(data) } as never);
    return makeData({ type, length, ...nulls, valueOffsets: offsets, child } as never);
  }
  throw new Error(`${field.name}: the native recorder does not fill ${String(type)} columns`);
}

export function recordBatchFromNative(b: NativeBatch): RecordBatch {
  const schema = SCHEMAS[b.table];
  const columns: Record<string, Data> = {};
  schema.fields.forEach((f, i) => { columns[f.name] = columnData(f, b.columns[i]!, b.rows); });
  return makeBatch(b.table, columns);
}
