// Builds a table's RecordBatch from column arrays. Fixed-width columns given as typed arrays
// are wrapped without copying (the native recorder hands its column buffers over this way);
// strings, lists and bytes go through Arrow builders. A column added in a later schema
// version may be left out, as a reader leaves it out of an older file: it is then all null.
import {
  Data, DataType, RecordBatch, Struct, makeData, vectorFromArray, type Field, type Int,
} from 'apache-arrow';
import { SCHEMAS } from '../schema/arrow.generated.js';
import type { TableName } from '../schema/tables.js';
import { addedSince } from './stored-schema.js';

type TypedArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;
/** Column values: a typed array, a JS array, or ready Arrow data (taken as is). */
export type ColumnValues = TypedArray | ReadonlyArray<unknown> | Data;

const ARRAY_TYPES = {
  Int8: Int8Array, Uint8: Uint8Array, Int16: Int16Array, Uint16: Uint16Array,
  Int32: Int32Array, Uint32: Uint32Array, Int64: BigInt64Array, Uint64: BigUint64Array,
} as const;

/** The typed array that holds the values of an Arrow integer type. */
export function intArrayType(type: Int): (typeof ARRAY_TYPES)[keyof typeof ARRAY_TYPES] {
  return ARRAY_TYPES[`${type.isSigned ? 'Int' : 'Uint'}${type.bitWidth}` as keyof typeof ARRAY_TYPES];
}

/** Bytes of zeros a null column of `n` values of `type` views (nullColumn). */
export function nullColumnBytes(type: DataType, n: number): number {
  if (DataType.isInt(type)) return n * type.bitWidth / 8;
  if (DataType.isFixedSizeBinary(type)) return n * type.byteWidth;
  if (DataType.isUtf8(type) || DataType.isBinary(type) || DataType.isList(type)) return (n + 1) * 4;
  return Math.ceil(n / 8); // Bool, and every validity bitmap
}

/**
 * `n` nulls of `type` without touching rows: the validity bitmap, offsets and values are all
 * views of `zeros` (at least nullColumnBytes long), which the caller may share between columns.
 */
export function nullColumn(type: DataType, n: number, zeros: ArrayBuffer = new ArrayBuffer(nullColumnBytes(type, n))): Data {
  const base = { type, offset: 0, length: n, nullCount: n, nullBitmap: new Uint8Array(zeros, 0, Math.ceil(n / 8)) };
  if (DataType.isInt(type)) return makeData({ ...base, data: new (intArrayType(type))(zeros, 0, n) } as never);
  if (DataType.isBool(type)) return makeData({ ...base, data: new Uint8Array(zeros, 0, Math.ceil(n / 8)) } as never);
  if (DataType.isFixedSizeBinary(type)) return makeData({ ...base, data: new Uint8Array(zeros, 0, n * type.byteWidth) } as never);
  if (DataType.isUtf8(type) || DataType.isBinary(type)) return makeData({ ...base, valueOffsets: new Int32Array(zeros, 0, n + 1), data: new Uint8Array(0) } as never);
  if (DataType.isList(type)) return makeData({ ...base, valueOffsets: new Int32Array(zeros, 0, n + 1), child: nullColumn(type.children[0]!.type, 0, zeros) } as never);
  throw new Error(`no null column for Arrow type ${type}`);
}

function enumCodes(field: Field, values: ReadonlyArray<unknown>): Uint8Array {
  const labels = field.metadata.get('flightrec.enum')!.split(',');
  return Uint8Array.from(values, (v) => {
    const code = typeof v === 'number' ? v : labels.indexOf(String(v));
    if (code < 0 || code >= labels.length) throw new Error(`${field.name}: '${String(v)}' is not one of ${labels.join(', ')}`);
    return code;
  });
}

function columnData(field: Field, values: ColumnValues, length: number): Data {
  if (values instanceof Data) {
    if (values.length !== length) throw new Error(`column ${field.name} has ${values.length} values, expected ${length}`);
    return values;
  }
  if (values.length !== length) throw new Error(`column ${field.name} has ${values.length} values, expected ${length}`);
  const type = field.type as DataType;
  if (!ArrayBuffer.isView(values) && (values as ReadonlyArray<unknown>).includes(null)) {
    // Nulls need a validity bitmap: let the builder make one.
    if (!field.nullable) throw new Error(`column ${field.name} is not nullable`);
    const labels = field.metadata.get('flightrec.enum')?.split(',');
    const mapped = (values as ReadonlyArray<unknown>).map((v) => (v === null || labels === undefined ? v : enumCodes(field, [v])[0]));
    return vectorFromArray(mapped, type).data[0]!;
  }
  if (DataType.isInt(type)) {
    const Ctor = intArrayType(type);
    let arr: TypedArray;
    if (values instanceof Ctor) arr = values;
    else if (field.metadata.has('flightrec.enum') && !ArrayBuffer.isView(values)) arr = enumCodes(field, values as ReadonlyArray<unknown>);
    else arr = (Ctor as unknown as { from(v: ArrayLike<unknown>, f: (x: unknown) => unknown): TypedArray }).from(values as ArrayLike<unknown>, type.bitWidth === 64 ? (x) => BigInt(x as bigint) : (x) => Number(x));
    return makeData({ type, length, nullCount: 0, data: arr } as never);
  }
  return vectorFromArray(ArrayBuffer.isView(values) ? Array.from(values as ArrayLike<unknown>) : (values as unknown[]), type).data[0]!;
}

/** A batch of `table` from one array per column (each of the same length): all columns, or all but some added in a later schema version. */
export function makeBatch(table: TableName, columns: Readonly<Record<string, ColumnValues>>): RecordBatch {
  const schema = SCHEMAS[table];
  const first = columns[schema.fields[0]!.name];
  const length = first ? first.length : 0;
  const children = schema.fields.map((f) => {
    const v = columns[f.name];
    if (v) return columnData(f, v, length);
    if (addedSince(f) === undefined) throw new Error(`table ${table}: column ${f.name} missing`);
    return nullColumn(f.type as DataType, length);
  });
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
}
