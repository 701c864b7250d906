// One column of one Arrow batch as a PLAIN Parquet data page. A fixed-width column without
// nulls is laid out the same in both formats, so its zstd frame from the Arrow body becomes
// the page as it is; narrow ints (Parquet has no 8- or 16-bit type), strings (Parquet
// interleaves lengths), lists and columns with nulls are decoded and re-encoded.
import { Type, type DataType, type Field } from 'apache-arrow';
import { zstdDecode, zstdEncode } from '../format/codec.js';
import { RecordingError } from '../format/errors.js';
import type { BodyReader } from './ipc-body.js';
import { intInfo } from './parquet-schema.js';

/** What a column contributes to one row group. */
export interface Page {
  readonly values: Uint8Array;
  readonly compressed: boolean;
  readonly rawValueBytes: number;
  readonly levelCount: number;
  readonly nulls: number;
  readonly def: Uint8Array;
  readonly rep: Uint8Array;
}

/** RLE/bit-packing hybrid encoding of levels, as RLE runs (levels come in long runs here). */
function encodeLevels(levels: Uint8Array, count: number, max: number): Uint8Array {
  if (max === 0) return new Uint8Array(0);
  const out: number[] = [];
  const varint = (v: number): void => {
    while (v >= 0x80) {
      out.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(v);
  };
  for (let i = 0; i < count;) {
    const v = levels[i]!;
    let j = i + 1;
    while (j < count && levels[j] === v) j++;
    varint((j - i) << 1);
    out.push(v); // bit width of our levels is at most 2: one byte holds the value
    i = j;
  }
  return Uint8Array.from(out);
}

const bit = (bits: Uint8Array, i: number): boolean => ((bits[i >> 3]! >> (i & 7)) & 1) === 1;

/** Values of a fixed-width or boolean column, nulls left out, in Parquet's PLAIN layout. */
function plainFixed(t: DataType, values: Uint8Array, validity: Uint8Array | undefined, n: number): Uint8Array {
  if (t.typeId === Type.Bool) {
    const out = new Uint8Array(Math.ceil(n / 8));
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (validity && !bit(validity, i)) continue;
      if (bit(values, i)) out[k >> 3]! |= 1 << (k & 7);
      k++;
    }
    return out.subarray(0, Math.ceil(k / 8));
  }
  const width = t.typeId === Type.FixedSizeBinary ? (t as unknown as { byteWidth: number }).byteWidth : intInfo(t).bits / 8;
  const wide = t.typeId === Type.Int && width < 4;
  const outWidth = wide ? 4 : width;
  const out = new Uint8Array(n * outWidth);
  const view = new DataView(out.buffer);
  const src = new DataView(values.buffer, values.byteOffset, values.byteLength);
  const signed = t.typeId === Type.Int && intInfo(t).signed;
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (validity && !bit(validity, i)) continue;
    if (wide) {
      const v = width === 1 ? (signed ? src.getInt8(i) : src.getUint8(i)) : (signed ? src.getInt16(i * 2, true) : src.getUint16(i * 2, true));
      view.setInt32(k * 4, v, true);
    } else out.set(values.subarray(i * width, (i + 1) * width), k * width);
    k++;
  }
  return out.subarray(0, k * outWidth);
}

/** PLAIN byte arrays: a 4-byte length before each value; nulls left out. */
function plainBytes(offsets: Int32Array, data: Uint8Array, validity: Uint8Array | undefined, from: number, to: number): Uint8Array {
  const out = Buffer.allocUnsafe((to - from) * 4 + (offsets[to]! - offsets[from]!));
  let p = 0;
  for (let i = from; i < to; i++) {
    if (validity && !bit(validity, i)) continue;
    const a = offsets[i]!;
    const len = offsets[i + 1]! - a;
    out.writeUInt32LE(len, p);
    p += 4;
    if (len > 24) out.set(data.subarray(a, a + len), p);
    else for (let j = 0; j < len; j++) out[p + j] = data[a + j]!;
    p += len;
  }
  return out.subarray(0, p);
}

const int32s = (b: Uint8Array): Int32Array => {
  const copy = b.byteOffset % 4 === 0 ? b : b.slice();
  return new Int32Array(copy.buffer, copy.byteOffset, copy.byteLength >> 2);
};

function isFixed(t: DataType): boolean {
  return t.typeId === Type.Int || t.typeId === Type.Bool || t.typeId === Type.FixedSizeBinary;
}

/** Levels of a top-level column: def 1 where the value is present. */
function flatLevels(validity: Uint8Array | undefined, n: number, nullable: boolean): { def: Uint8Array; nulls: number } {
  if (!nullable) return { def: new Uint8Array(0), nulls: 0 };
  const levels = new Uint8Array(n).fill(1);
  let nulls = 0;
  if (validity) {
    for (let i = 0; i < n; i++) {
      if (!bit(validity, i)) {
        levels[i] = 0;
        nulls++;
      }
    }
  }
  return { def: encodeLevels(levels, n, 1), nulls };
}

/** One column of one batch as a Parquet page. */
export function columnPage(field: Field, body: BodyReader, rows: number): Page {
  const t = field.type;
  const node = body.nextNode();
  if (node.length !== rows) throw new RecordingError(`corrupt Arrow batch: column ${field.name} has ${node.length} rows, the batch ${rows}`);
  const validityStored = body.nextStored();
  const validity = node.nullCount > 0 && validityStored.bytes.length > 0
    ? (validityStored.frame ? zstdDecode(validityStored.bytes) : validityStored.bytes) : undefined;
  if (validity && !field.nullable) throw new RecordingError(`corrupt Arrow batch: nulls in non-nullable column ${field.name}`);
  if (isFixed(t)) {
    const values = body.nextStored();
    const { def, nulls } = flatLevels(validity, rows, field.nullable);
    const narrow = t.typeId === Type.Int && intInfo(t).bits < 32;
    if (!validity && !narrow) {
      // The Arrow buffer is already the PLAIN page.
      return { values: values.bytes, compressed: values.frame, rawValueBytes: values.rawLength, levelCount: rows, nulls: 0, def, rep: new Uint8Array(0) };
    }
    const raw = plainFixed(t, values.frame ? zstdDecode(values.bytes) : values.bytes, validity, rows);
    return packed(raw, rows, nulls, def, new Uint8Array(0));
  }
  if (t.typeId === Type.Utf8 || t.typeId === Type.Binary) {
    const offsets = int32s(body.nextDecoded());
    const data = body.nextDecoded();
    const { def, nulls } = flatLevels(validity, rows, field.nullable);
    return packed(plainBytes(offsets, data, validity, 0, rows), rows, nulls, def, new Uint8Array(0));
  }
  if (t.typeId === Type.List) return listPage(field, body, rows, validity);
  throw new Error(`no Parquet mapping for Arrow type ${t}`);
}

function packed(raw: Uint8Array, levelCount: number, nulls: number, def: Uint8Array, rep: Uint8Array): Page {
  const z = zstdEncode(raw);
  return { values: z, compressed: true, rawValueBytes: raw.length, levelCount, nulls, def, rep };
}

/** A list column: repetition and definition levels per element, values of the present elements. */
function listPage(field: Field, body: BodyReader, rows: number, validity: Uint8Array | undefined): Page {
  const child = (field.type as unknown as { children: Field[] }).children[0]!;
  const offsets = int32s(body.nextDecoded());
  const cnode = body.nextNode();
  const cvalidStored = body.nextStored();
  const cvalid = cnode.nullCount > 0 && cvalidStored.bytes.length > 0 ? (cvalidStored.frame ? zstdDecode(cvalidStored.bytes) : cvalidStored.bytes) : undefined;
  const listDef = field.nullable ? 1 : 0; // def of an empty list
  const elemDef = listDef + 1 + (child.nullable ? 1 : 0); // def of a present element
  const defs: number[] = [];
  const reps: number[] = [];
  let nulls = 0;
  for (let r = 0; r < rows; r++) {
    if (validity && !bit(validity, r)) {
      defs.push(0); reps.push(0); nulls++;
      continue;
    }
    const a = offsets[r]!;
    const b = offsets[r + 1]!;
    if (a === b) {
      defs.push(listDef); reps.push(0); nulls++;
      continue;
    }
    for (let e = a; e < b; e++) {
      const present = !cvalid || bit(cvalid, e);
      defs.push(present ? elemDef : elemDef - 1);
      reps.push(e === a ? 0 : 1);
      if (!present) nulls++;
    }
  }
  const first = offsets[0]!;
  const last = offsets[rows]!;
  let raw: Uint8Array;
  if (child.type.typeId === Type.Utf8 || child.type.typeId === Type.Binary) {
    const coff = int32s(body.nextDecoded());
    const data = body.nextDecoded();
    raw = plainBytes(coff, data, cvalid, first, last);
  } else {
    const values = body.nextDecoded();
    const width = intInfo(child.type).bits / 8;
    raw = plainFixed(child.type, values.subarray(first * width, last * width), cvalid ? sliceBits(cvalid, first, last) : undefined, last - first);
  }
  const n = defs.length;
  return packed(raw, n, nulls, encodeLevels(Uint8Array.from(defs), n, elemDef), encodeLevels(Uint8Array.from(reps), n, 1));
}

function sliceBits(bits: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((to - from) / 8));
  for (let i = from; i < to; i++) if (bit(bits, i)) out[(i - from) >> 3]! |= 1 << ((i - from) & 7);
  return out;
}

