// Query results as Arrow IPC (`sql -f arrow`): apart from results.ts so that apache-arrow loads
// only when this format is asked for.
import {
  Binary, Bool, DateDay, type DataType, Float64, Int16, Int32, Int64, Int8, List, Field, TimestampNanosecond,
  Uint16, Uint32, Uint64, Uint8, Utf8, Vector, makeData, tableToIPC, vectorFromArray, Table as ArrowTable,
} from 'apache-arrow';
import type {
  DuckDBBlobValue, DuckDBDateValue, DuckDBListType, DuckDBListValue, DuckDBResultReader, DuckDBType, DuckDBValue,
} from '@duckdb/node-api';
import { duckdb } from './duckdb.js';
import { timestampNanos } from './results.js';

const { DuckDBTypeId } = duckdb;

/** A result as an Arrow IPC stream or file. */
export function arrowIpc(r: DuckDBResultReader, kind: 'stream' | 'file'): Uint8Array {
  return tableToIPC(toArrow(r), kind);
}

/** DuckDB's type as an Arrow type; types without a close match travel as text. */
function arrowType(t: DuckDBType): DataType {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN: return new Bool();
    case DuckDBTypeId.TINYINT: return new Int8();
    case DuckDBTypeId.SMALLINT: return new Int16();
    case DuckDBTypeId.INTEGER: return new Int32();
    case DuckDBTypeId.BIGINT: return new Int64();
    case DuckDBTypeId.UTINYINT: return new Uint8();
    case DuckDBTypeId.USMALLINT: return new Uint16();
    case DuckDBTypeId.UINTEGER: return new Uint32();
    case DuckDBTypeId.UBIGINT: return new Uint64();
    case DuckDBTypeId.FLOAT: case DuckDBTypeId.DOUBLE: return new Float64();
    case DuckDBTypeId.BLOB: return new Binary();
    case DuckDBTypeId.DATE: return new DateDay();
    case DuckDBTypeId.TIMESTAMP: case DuckDBTypeId.TIMESTAMP_NS: case DuckDBTypeId.TIMESTAMP_MS: case DuckDBTypeId.TIMESTAMP_S:
      return new TimestampNanosecond();
    case DuckDBTypeId.LIST: return new List(new Field('item', arrowType((t as DuckDBListType).valueType), true));
    default: return new Utf8();
  }
}

function arrowValue(v: DuckDBValue, t: DataType): unknown {
  if (v === null) return null;
  if (t instanceof List) return (v as DuckDBListValue).items.map((x) => arrowValue(x, t.children[0]!.type));
  if (t instanceof Binary) return (v as DuckDBBlobValue).bytes;
  if (t instanceof DateDay) return new Date((v as DuckDBDateValue).days * 86_400_000);
  if (t instanceof TimestampNanosecond) return timestampNanos(v) ?? null;
  if (t instanceof Utf8) return String(v);
  return v;
}

/** Nanosecond timestamps built directly: apache-arrow's builder takes milliseconds and would drop the nanoseconds. */
function timestamps(values: readonly unknown[]): Vector {
  const nanos = new BigInt64Array(values.length);
  const valid = new Uint8Array(Math.ceil(values.length / 8));
  let nulls = 0;
  values.forEach((v, i) => {
    if (v === null) nulls++;
    else {
      nanos[i] = v as bigint;
      valid[i >> 3]! |= 1 << (i & 7);
    }
  });
  return new Vector([makeData({ type: new TimestampNanosecond(), length: values.length, nullCount: nulls, data: nanos, nullBitmap: valid })]);
}

function toArrow(r: DuckDBResultReader): ArrowTable {
  const types = r.columnTypes().map(arrowType);
  const columns = r.getColumns();
  const vectors = Object.fromEntries(r.columnNames().map((name, i) => {
    const values = columns[i]!.map((v) => arrowValue(v, types[i]!));
    return [name, types[i] instanceof TimestampNanosecond ? timestamps(values) : vectorFromArray(values, types[i]!)];
  }));
  return new ArrowTable(vectors);
}
