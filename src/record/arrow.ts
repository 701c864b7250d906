// Native batches become Arrow record batches without copying: each column's buffers are
// wrapped as they are.
import { DataType, List, RecordBatch, makeData, type Data, type Field } from 'apache-arrow';
import { makeBatch } from '../format/batch.js';
import { SCHEMAS } from '../schema/arrow.generated.js';
import type { NativeBatch, NativeColumn } from './native.js';

const EMPTY = new ArrayBuffer(0);

type IntArray = typeof Int8Array | typeof Uint8Array | typeof Int16Array | typeof Uint16Array | typeof Int32Array
  | typeof Uint32Array | typeof BigInt64Array | typeof BigUint64Array;

function intArray(type: DataType): IntArray {
  const t = type as unknown as { isSigned: boolean; bitWidth: number };
  switch (t.bitWidth) {
    case 8: return t.isSigned ? Int8Array : Uint8Array;
    case 16: return t.isSigned ? Int16Array : Uint16Array;
    case 32: return t.isSigned ? Int32Array : Uint32Array;
    default: return t.isSigned ? BigInt64Array : BigUint64Array;
  }
}

function columnData(field: Field, c: NativeColumn, length: number): Data {
  const type = field.type as DataType;
  const nulls = { nullCount: c.nullCount, nullBitmap: c.validity ? new Uint8Array(c.validity) : undefined };
  const data = c.data ?? EMPTY;
  if (DataType.isInt(type)) {
    const Ctor = intArray(type);
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
