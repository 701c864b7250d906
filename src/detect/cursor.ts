// A cursor over the rows of one table's record batches: one object per table, moved from
// row to row, whose column getters read the Arrow buffers in place. Built once per table
// from the schema, so every column of every table reads the same way.
import { DataType, type Data, type Field, type RecordBatch } from 'apache-arrow';
import { intArrayType } from '../format/batch.js';
import { SCHEMAS } from '../schema/arrow.generated.js';
import type { Rows } from '../schema/rows.generated.js';
import type { Event } from './api.js';

const utf8 = new TextDecoder();

/** Where the cursor is: set `row` within the bound batch. */
export interface CursorControl {
  row: number;
  bind(batch: RecordBatch): void;
}

export type Cursor<T extends keyof Rows> = Event<T> & CursorControl;

interface Columns {
  /** Per column: the values (typed array or bytes), its offsets, its validity bitmap and bit offset. */
  values: unknown[];
  offsets: (Int32Array | undefined)[];
  childOffsets: (Int32Array | undefined)[];
  validity: (Uint8Array | undefined)[];
  bitOffset: number[];
  /** ts as 32-bit halves, for `ns` without a bigint. */
  ts32: Uint32Array;
}

function isValid(c: Columns, i: number, row: number): boolean {
  const v = c.validity[i];
  if (v === undefined) return true;
  const bit = c.bitOffset[i]! + row;
  return (v[bit >> 3]! & (1 << (bit & 7))) !== 0;
}

type Getter = (this: { row: number; c: Columns }) => unknown;

/**
 * A getter compiled on its own: V8 keeps type feedback per function literal, so getters made
 * from one literal would share it, and a load that sees Uint8Array, Uint32Array and
 * BigUint64Array alike is slow. Each hot getter gets a literal (and feedback) of its own.
 */
function ownSite(body: string, i: number): Getter {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('i', body)(i) as Getter;
}

function getter(field: Field, i: number): Getter {
  const type = field.type as DataType;
  const labels = field.metadata.get('flightrec.enum')?.split(',');
  const nullable = field.nullable;
  let read: Getter;
  if (labels) {
    read = function () { return labels[(this.c.values[i] as Uint8Array)[this.row]!]; };
  } else if (DataType.isInt(type)) {
    read = ownSite('return function () { return this.c.values[i][this.row]; }', i);
  } else if (DataType.isBool(type)) {
    read = function () {
      const bit = this.c.bitOffset[i]! + this.row;
      return ((this.c.values[i] as Uint8Array)[bit >> 3]! & (1 << (bit & 7))) !== 0;
    };
  } else if (DataType.isFixedSizeBinary(type)) {
    const w = type.byteWidth;
    read = function () { return (this.c.values[i] as Uint8Array).subarray(this.row * w, this.row * w + w); };
  } else if (DataType.isUtf8(type)) {
    read = function () {
      const o = this.c.offsets[i]!;
      return utf8.decode((this.c.values[i] as Uint8Array).subarray(o[this.row]!, o[this.row + 1]!));
    };
  } else if (DataType.isBinary(type)) {
    read = function () {
      const o = this.c.offsets[i]!;
      return (this.c.values[i] as Uint8Array).subarray(o[this.row]!, o[this.row + 1]!);
    };
  } else if (DataType.isList(type) && DataType.isUtf8(type.children[0]!.type)) {
    read = function () {
      const o = this.c.offsets[i]!;
      const so = this.c.childOffsets[i]!;
      const bytes = this.c.values[i] as Uint8Array;
      const out: string[] = [];
      for (let k = o[this.row]!; k < o[this.row + 1]!; k++) out.push(utf8.decode(bytes.subarray(so[k]!, so[k + 1]!)));
      return out;
    };
  } else if (DataType.isList(type)) {
    read = function () {
      const o = this.c.offsets[i]!;
      return Array.from((this.c.values[i] as BigUint64Array).subarray(o[this.row]!, o[this.row + 1]!));
    };
  } else {
    throw new Error(`${field.name}: no cursor reader for ${String(type)}`);
  }
  if (!nullable) return read;
  return function () { return isValid(this.c, i, this.row) ? read.call(this) : null; };
}

/** The typed view of a column's values, from its row offset on. */
function columnValues(field: Field, d: Data): { values: unknown; offsets?: Int32Array; childOffsets?: Int32Array } {
  const type = field.type as DataType;
  if (DataType.isInt(type)) {
    const Ctor = intArrayType(type);
    const v = d.values as InstanceType<typeof Ctor>;
    return { values: new Ctor(v.buffer, v.byteOffset + d.offset * Ctor.BYTES_PER_ELEMENT, d.length) };
  }
  if (DataType.isBool(type)) return { values: d.values };
  if (DataType.isFixedSizeBinary(type)) return { values: (d.values as Uint8Array).subarray(d.offset * type.byteWidth) };
  if (DataType.isUtf8(type) || DataType.isBinary(type)) return { values: d.values, offsets: (d.valueOffsets as Int32Array).subarray(d.offset) };
  const child = d.children[0]!;
  const offsets = (d.valueOffsets as Int32Array).subarray(d.offset);
  if (DataType.isUtf8(child.type)) return { values: child.values, offsets, childOffsets: (child.valueOffsets as Int32Array).subarray(child.offset) };
  return { values: (child.values as BigUint64Array).subarray(child.offset), offsets };
}

const prototypes = new Map<keyof Rows, object>();

function prototypeOf(table: keyof Rows): object {
  let proto = prototypes.get(table);
  if (proto) return proto;
  const schema = SCHEMAS[table];
  proto = {
    bind(this: { c: Columns; row: number }, batch: RecordBatch): void {
      const c: Columns = { values: [], offsets: [], childOffsets: [], validity: [], bitOffset: [], ts32: new Uint32Array(0) };
      schema.fields.forEach((f, i) => {
        const d = batch.data.children[i]!;
        const v = columnValues(f, d);
        c.values.push(v.values);
        c.offsets.push(v.offsets);
        c.childOffsets.push(v.childOffsets);
        c.validity.push(d.nullCount > 0 ? d.nullBitmap : undefined);
        c.bitOffset.push(d.offset);
      });
      const ts = c.values[0] as BigUint64Array;
      c.ts32 = new Uint32Array(ts.buffer, ts.byteOffset, ts.length * 2);
      this.c = c;
      this.row = 0;
    },
  };
  schema.fields.forEach((f, i) => Object.defineProperty(proto, f.name, { get: getter(f, i), enumerable: true }));
  Object.defineProperty(proto, 'ns', {
    get: ownSite('return function () { return this.c.ts32[2 * this.row] + this.c.ts32[2 * this.row + 1] * 4294967296; }', 0),
    enumerable: true,
  });
  prototypes.set(table, proto);
  return proto;
}

export function makeCursor<T extends keyof Rows>(table: T): Cursor<T> {
  const c = Object.create(prototypeOf(table)) as Cursor<T> & { c: unknown };
  c.row = 0;
  c.c = undefined;
  return c;
}
