// One column of one Arrow batch as a Parquet data page. A fixed-width column without nulls
// is laid out the same in both formats, so its zstd frame from the Arrow body becomes the
// page as it is; narrow ints (Parquet has no 8- or 16-bit type), strings (Parquet
// interleaves lengths, and dictionary-encodes those with few distinct values), lists and
// columns with nulls are decoded and re-encoded. Min/max bounds of the values written
// (parquet-stats.ts) go with every int column that is decoded, with those copied as stored
// when the writer asks (the columns that follow time), and with dictionary-encoded strings.
//
// What a body gives is checked before it becomes a page, as the Arrow reader checks its
// batches (format/batch-check.ts): a page DuckDB cannot read would make every query over the
// table fail. Strings that are not valid UTF-8 (which DuckDB refuses) have the bad bytes
// replaced by U+FFFD, as the Arrow reader's TextDecoder shows them.
//
// A column the batch's file lacks (added in a later schema version) is a page of levels
// only: one run saying every row is null.
import { isUtf8 } from 'node:buffer';
import { Type, type DataType, type Field } from 'apache-arrow';
import { offsetsProblem } from '../format/batch-check.js';
import { zstdEncode } from '../format/codec.js';
import { MAX_BUFFER_BYTES, MAX_LIST_ITEMS, MAX_STRING_BYTES } from '../format/limits.js';
import type { BodyReader, Scratch } from './ipc-body.js';
import { dictionaryOf } from './parquet-dictionary.js';
import { intInfo, type Leaf } from './parquet-schema.js';
import { bytesBounds, int32Bounds, int64Bounds, type Bounds } from './parquet-stats.js';

/** Value encodings of a data page. */
export const ENCODING = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8 } as const;

/** What a column contributes to one row group. */
export interface Page {
  readonly values: Uint8Array;
  readonly compressed: boolean;
  readonly rawValueBytes: number;
  readonly levelCount: number;
  readonly nulls: number;
  readonly def: Uint8Array;
  readonly rep: Uint8Array;
  /** PLAIN, or RLE_DICTIONARY with `dictionary` its dictionary page. */
  readonly encoding: number;
  readonly dictionary?: { readonly values: Uint8Array; readonly rawBytes: number; readonly count: number };
  /** Bounds of the present values, when the column's type has them written. */
  readonly bounds?: Bounds;
}

/** One RLE run of the RLE/bit-packing hybrid encoding: `count` times `level`, appended to `out`. */
function levelRun(out: number[], count: number, level: number): void {
  let v = count << 1;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v, level); // bit width of our levels is at most 2: one byte holds the value
}

/** RLE/bit-packing hybrid encoding of levels, as RLE runs (levels come in long runs here). */
function encodeLevels(levels: Uint8Array, count: number, max: number): Uint8Array {
  if (max === 0) return new Uint8Array(0);
  const out: number[] = [];
  for (let i = 0; i < count;) {
    const v = levels[i]!;
    let j = i + 1;
    while (j < count && levels[j] === v) j++;
    levelRun(out, j - i, v);
    i = j;
  }
  return Uint8Array.from(out);
}

/** `rows` nulls of a nullable column: level 0 (the value, or the list, is null) on every row, and no values. */
export function nullPage(leaf: Leaf, rows: number): Page {
  if (leaf.maxDef === 0) throw new Error(`column ${leaf.path[0]} is not nullable: it cannot be left out of a file`);
  const run = (): Uint8Array => {
    const out: number[] = [];
    levelRun(out, rows, 0);
    return Uint8Array.from(out);
  };
  return { values: new Uint8Array(0), compressed: false, rawValueBytes: 0, levelCount: rows, nulls: rows, def: run(), rep: leaf.maxRep > 0 ? run() : new Uint8Array(0), encoding: ENCODING.PLAIN };
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

/** Whether each value in [from, to) is valid UTF-8 on its own: all the bytes are, and no value starts inside a character. */
function wellFormed(offsets: Int32Array, data: Uint8Array, from: number, to: number): boolean {
  const end = offsets[to]!;
  if (!isUtf8(data.subarray(offsets[from]!, end))) return false;
  for (let i = from; i < to; i++) {
    const o = offsets[i]!;
    if (o < end && (data[o]! & 0xc0) === 0x80) return false;
  }
  return true;
}

/** PLAIN byte arrays, each value made valid UTF-8 (bad bytes become U+FFFD); nulls left out. */
function plainText(offsets: Int32Array, data: Uint8Array, validity: Uint8Array | undefined, from: number, to: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = from; i < to; i++) {
    if (validity && !bit(validity, i)) continue;
    const raw = data.subarray(offsets[i]!, offsets[i + 1]!);
    const value = isUtf8(raw) ? raw : Buffer.from(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(value.byteLength);
    parts.push(len, value);
  }
  return Buffer.concat(parts);
}

/** PLAIN byte arrays: a 4-byte length before each value; nulls left out. */
function plainBytes(offsets: Int32Array, data: Uint8Array, validity: Uint8Array | undefined, from: number, to: number, utf8: boolean): Uint8Array {
  if (utf8 && !wellFormed(offsets, data, from, to)) return plainText(offsets, data, validity, from, to);
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

/** Bytes `n` values of a fixed-width type take. */
function fixedBytes(t: DataType, n: number): number {
  if (t.typeId === Type.Bool) return Math.ceil(n / 8);
  return n * (t.typeId === Type.FixedSizeBinary ? (t as unknown as { byteWidth: number }).byteWidth : intInfo(t).bits / 8);
}

/** A validity bitmap for `n` values, when `nullCount` says there is one. */
function validityOf(body: BodyReader, nullCount: number, n: number, what: string): Uint8Array | undefined {
  const stored = body.nextStored();
  if (nullCount === 0) return undefined;
  const bits = body.decoded(stored);
  if (bits.length < Math.ceil(n / 8)) body.corrupt(`${what}: validity bitmap too short for ${n} values`);
  return bits;
}

/** How a column is written. */
export interface PageOptions {
  /** Reused for values decoded only to bound them. */
  readonly scratch: Scratch;
  /** Whether an int column copied as it is stored is decoded for its bounds. */
  readonly bound: boolean;
}

/** One column of one batch as a Parquet page. */
export function columnPage(field: Field, body: BodyReader, rows: number, opts: PageOptions): Page {
  const t = field.type;
  const what = `column ${field.name}`;
  const node = body.nextNode();
  if (node.length !== rows) body.corrupt(`${what} has ${node.length} rows, the batch ${rows}`);
  const validity = validityOf(body, node.nullCount, rows, what);
  if (validity && !field.nullable) body.corrupt(`${what} has nulls but is not nullable`);
  if (isFixed(t)) {
    const values = body.nextStored();
    if (values.rawLength < fixedBytes(t, rows)) body.corrupt(`${what}: values buffer too short for ${rows} values`);
    const { def, nulls } = flatLevels(validity, rows, field.nullable);
    const narrow = t.typeId === Type.Int && intInfo(t).bits < 32;
    if (!validity && !narrow) {
      // The Arrow buffer is already the PLAIN page (the reader has held its frame to the size
      // the body declares); an int column's is decoded for its bounds when asked.
      const bounds = t.typeId === Type.Int && opts.bound ? fixedBounds(t, body.decodedInto(values, opts.scratch), rows) : undefined;
      return { values: values.bytes, compressed: values.frame, rawValueBytes: values.rawLength, levelCount: rows, nulls: 0, def, rep: new Uint8Array(0), encoding: ENCODING.PLAIN, bounds };
    }
    const decoded = body.decodedInto(values, opts.scratch);
    if (decoded.length < fixedBytes(t, rows)) body.corrupt(`${what}: values buffer holds ${decoded.length} bytes, too few for ${rows} values`);
    const labels = field.metadata.get('flightrec.enum')?.split(',');
    if (labels) {
      for (let i = 0; i < rows; i++) if (decoded[i]! >= labels.length && !(validity && !bit(validity, i))) body.corrupt(`${what}: code ${decoded[i]} at row ${i} has no label`);
    }
    const plain = plainFixed(t, decoded, validity, rows);
    return { ...packed(plain, rows, nulls, def, new Uint8Array(0)), bounds: fixedBounds(t, plain, rows - nulls) };
  }
  if (t.typeId === Type.Utf8 || t.typeId === Type.Binary) {
    const offsets = int32s(body.nextDecoded());
    const data = body.nextDecoded();
    const utf8 = t.typeId === Type.Utf8;
    const bad = offsetsProblem(offsets, rows, data.length, utf8 ? MAX_STRING_BYTES : MAX_BUFFER_BYTES, what);
    if (bad) body.corrupt(bad);
    const { def, nulls } = flatLevels(validity, rows, field.nullable);
    const dict = dictionaryOf(offsets, data, validity, rows, utf8);
    if (dict) {
      const indices = zstdEncode(dict.indices);
      return {
        values: indices, compressed: true, rawValueBytes: dict.indices.length, levelCount: rows, nulls, def, rep: new Uint8Array(0), encoding: ENCODING.RLE_DICTIONARY,
        dictionary: { values: zstdEncode(dict.plain), rawBytes: dict.plain.length, count: dict.entries.length },
        bounds: utf8 ? bytesBounds(dict.entries) : undefined,
      };
    }
    return packed(plainBytes(offsets, data, validity, 0, rows, utf8), rows, nulls, def, new Uint8Array(0));
  }
  if (t.typeId === Type.List) return listPage(field, body, rows, validity);
  return body.corrupt(`${what}: type ${t} is not one flightrec writes`);
}

function packed(raw: Uint8Array, levelCount: number, nulls: number, def: Uint8Array, rep: Uint8Array): Page {
  const z = zstdEncode(raw);
  return { values: z, compressed: true, rawValueBytes: raw.length, levelCount, nulls, def, rep, encoding: ENCODING.PLAIN };
}

/** Bounds of `n` PLAIN values of an int column (as Parquet lays them out: 8- and 16-bit widened to 32); none for other types. */
function fixedBounds(t: DataType, plain: Uint8Array, n: number): Bounds | undefined {
  if (t.typeId !== Type.Int) return undefined;
  const { bits, signed } = intInfo(t);
  return bits === 64 ? int64Bounds(plain, n, signed) : int32Bounds(plain, n, signed || bits < 32);
}

/** A list column: repetition and definition levels per element, values of the present elements. */
function listPage(field: Field, body: BodyReader, rows: number, validity: Uint8Array | undefined): Page {
  const child = (field.type as unknown as { children: Field[] }).children[0]!;
  const what = `column ${field.name}`;
  const offsets = int32s(body.nextDecoded());
  const cnode = body.nextNode();
  const listBad = offsetsProblem(offsets, rows, cnode.length, MAX_LIST_ITEMS, what);
  if (listBad) body.corrupt(listBad);
  const cvalid = validityOf(body, cnode.nullCount, cnode.length, `${what} values`);
  if (cvalid && !child.nullable) body.corrupt(`${what} values have nulls but are not nullable`);
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
    const utf8 = child.type.typeId === Type.Utf8;
    const bad = offsetsProblem(coff, cnode.length, data.length, utf8 ? MAX_STRING_BYTES : MAX_BUFFER_BYTES, `${what} values`);
    if (bad) body.corrupt(bad);
    raw = plainBytes(coff, data, cvalid, first, last, utf8);
  } else {
    const values = body.nextDecoded();
    if (values.length < fixedBytes(child.type, cnode.length)) body.corrupt(`${what} values: buffer too short for ${cnode.length} values`);
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

