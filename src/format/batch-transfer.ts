// Record batches handed to another thread: each Arrow buffer copied once into a buffer of its
// own, which is transferred (not copied again) with the message, and the batch put back
// together there from the table's schema. The sender keeps its batch (the recording writer may
// still hold it); a copy costs a memcpy of the batch's bytes, no per-row work.
import { Data, RecordBatch, Struct, type DataType } from 'apache-arrow';
import { SCHEMAS } from '../schema/arrow.generated.js';
import type { TableName } from '../schema/tables.js';

type View = ArrayBufferView & { readonly buffer: ArrayBuffer };

export interface PackedData {
  readonly offset: number;
  readonly length: number;
  readonly nullCount: number;
  readonly offsets: View | undefined;
  readonly values: View | undefined;
  readonly validity: View | undefined;
  readonly children: readonly PackedData[];
}

export interface PackedBatch {
  readonly table: TableName;
  readonly data: PackedData;
}

function copy(v: ArrayBufferView | undefined, transfer: ArrayBuffer[]): View | undefined {
  if (!v || v.byteLength === 0) return undefined;
  // A typed array of the same kind over a buffer of its own (a Buffer's slice() would share memory).
  const Kind = (Buffer.isBuffer(v) ? Uint8Array : v.constructor) as new (from: ArrayBufferView) => View;
  const own = new Kind(v);
  transfer.push(own.buffer);
  return own;
}

function pack(d: Data, transfer: ArrayBuffer[]): PackedData {
  return {
    offset: d.offset, length: d.length, nullCount: d.nullCount,
    offsets: copy(d.valueOffsets as ArrayBufferView | undefined, transfer),
    values: copy(d.values as ArrayBufferView | undefined, transfer),
    validity: copy(d.nullBitmap, transfer),
    children: d.children.map((c) => pack(c, transfer)),
  };
}

/** A batch of `table` as a message, and the buffers to transfer with it. */
export function packBatch(table: TableName, batch: RecordBatch): { packed: PackedBatch; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  return { packed: { table, data: pack(batch.data, transfer) }, transfer };
}

function unpack(type: DataType, p: PackedData): Data {
  const children = p.children.map((c, i) => unpack(type.children[i]!.type as DataType, c));
  return new Data(type, p.offset, p.length, p.nullCount, { 0: p.offsets, 1: p.values, 2: p.validity } as never, children);
}

/** The batch a packBatch() message carries. */
export function unpackBatch(p: PackedBatch): RecordBatch {
  const schema = SCHEMAS[p.table];
  return new RecordBatch(schema, unpack(new Struct(schema.fields), p.data) as Data<Struct>);
}
