// Arrow IPC batches to Parquet without decoding them: one row group per batch, one PLAIN
// page per column. A fixed-width column without nulls is laid out the same in both formats,
// so its zstd frame from the Arrow body becomes the Parquet page as it is; only narrow ints
// (Parquet has no 8- or 16-bit type), strings (Parquet interleaves lengths), lists and
// columns with nulls are decoded and re-encoded. This is what makes the query cache cheap
// to build: most bytes are copied, not decompressed and compressed again.
import { closeSync, openSync, writeSync } from 'node:fs';
import { Type, type DataType, type Field, type Schema } from 'apache-arrow';
import type { RecordBatch as RecordBatchHeader } from 'apache-arrow/ipc/metadata/message';
import { zstdDecode, zstdEncode } from '../format/codec.js';
import { RecordingError } from '../format/errors.js';
import { binary, bool, encodeStruct, i32, i64, i8, list, struct, type ThriftStruct, type ThriftValue } from './thrift.js';

const MAGIC = Buffer.from('PAR1');
const PHYSICAL = { BOOLEAN: 0, INT32: 1, INT64: 2, BYTE_ARRAY: 6, FIXED_LEN_BYTE_ARRAY: 7 } as const;
const CONVERTED = { UTF8: 0, LIST: 3, UINT_8: 11, UINT_16: 12, UINT_32: 13, UINT_64: 14, INT_8: 15, INT_16: 16, INT_32: 17, INT_64: 18 } as const;
const REPETITION = { REQUIRED: 0, OPTIONAL: 1, REPEATED: 2 } as const;
const CODEC = { UNCOMPRESSED: 0, ZSTD: 6 } as const;
const ENCODING = { PLAIN: 0, RLE: 3 } as const;
const DATA_PAGE_V2 = 3;

/** A leaf column of the Parquet schema, for one top-level Arrow field. */
interface Leaf {
  readonly path: readonly string[];
  readonly physical: number;
  readonly maxDef: number;
  readonly maxRep: number;
}

/** What a column contributes to one row group. */
interface Page {
  readonly values: Uint8Array;
  readonly compressed: boolean;
  readonly rawValueBytes: number;
  readonly levelCount: number;
  readonly nulls: number;
  readonly def: Uint8Array;
  readonly rep: Uint8Array;
}

interface ColumnWritten {
  readonly meta: ThriftStruct;
}

function intInfo(t: DataType): { bits: number; signed: boolean } {
  const x = t as unknown as { bitWidth: number; isSigned: boolean };
  return { bits: x.bitWidth, signed: x.isSigned };
}

/** The schema element of a leaf type (name and repetition added by the caller). */
function leafType(t: DataType): ThriftStruct {
  switch (t.typeId) {
    case Type.Int: {
      const { bits, signed } = intInfo(t);
      const converted = signed ? { 8: CONVERTED.INT_8, 16: CONVERTED.INT_16, 32: CONVERTED.INT_32, 64: CONVERTED.INT_64 }[bits]
        : { 8: CONVERTED.UINT_8, 16: CONVERTED.UINT_16, 32: CONVERTED.UINT_32, 64: CONVERTED.UINT_64 }[bits];
      return [
        [1, i32(bits === 64 ? PHYSICAL.INT64 : PHYSICAL.INT32)],
        [6, i32(converted!)],
        [10, struct([[10, struct([[1, i8(bits)], [2, bool(signed)]])]])],
      ];
    }
    case Type.Bool: return [[1, i32(PHYSICAL.BOOLEAN)]];
    case Type.Utf8: return [[1, i32(PHYSICAL.BYTE_ARRAY)], [6, i32(CONVERTED.UTF8)], [10, struct([[1, struct([])]])]];
    case Type.Binary: return [[1, i32(PHYSICAL.BYTE_ARRAY)]];
    case Type.FixedSizeBinary: return [[1, i32(PHYSICAL.FIXED_LEN_BYTE_ARRAY)], [2, i32((t as unknown as { byteWidth: number }).byteWidth)]];
    default: throw new Error(`no Parquet mapping for Arrow type ${t}`);
  }
}

function element(name: string, repetition: number, fields: ThriftStruct): ThriftValue {
  const all: Array<readonly [number, ThriftValue | undefined]> = [[3, i32(repetition)], [4, binary(name)], ...fields];
  return struct(all.sort((a, b) => a[0] - b[0])); // thrift wants ascending field ids
}

/** Parquet schema elements and leaves for an Arrow schema of flat columns and lists of flat values. */
function parquetSchema(schema: Schema): { elements: ThriftValue[]; leaves: Leaf[] } {
  const elements: ThriftValue[] = [struct([[4, binary('schema')], [5, i32(schema.fields.length)]])];
  const leaves: Leaf[] = [];
  for (const f of schema.fields) {
    const rep = f.nullable ? REPETITION.OPTIONAL : REPETITION.REQUIRED;
    if (f.type.typeId === Type.List) {
      const child = (f.type as unknown as { children: Field[] }).children[0]!;
      elements.push(element(f.name, rep, [[5, i32(1)], [6, i32(CONVERTED.LIST)], [10, struct([[3, struct([])]])]]));
      elements.push(element('list', REPETITION.REPEATED, [[5, i32(1)]]));
      elements.push(element('element', child.nullable ? REPETITION.OPTIONAL : REPETITION.REQUIRED, leafType(child.type)));
      leaves.push({ path: [f.name, 'list', 'element'], physical: physicalOf(child.type), maxRep: 1, maxDef: (f.nullable ? 1 : 0) + 1 + (child.nullable ? 1 : 0) });
    } else {
      elements.push(element(f.name, rep, leafType(f.type)));
      leaves.push({ path: [f.name], physical: physicalOf(f.type), maxRep: 0, maxDef: f.nullable ? 1 : 0 });
    }
  }
  return { elements, leaves };
}

function physicalOf(t: DataType): number {
  return (leafType(t)[0]![1] as { v: number }).v;
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

/** The buffers of one batch body, taken in the order Arrow IPC lays them out. */
class BodyReader {
  private node = 0;
  private buffer = 0;

  constructor(private readonly header: RecordBatchHeader, private readonly body: Buffer, private readonly file: string) {}

  nextNode(): { length: number; nullCount: number } {
    const n = this.header.nodes[this.node++];
    if (!n) this.corrupt('fewer field nodes than columns');
    return { length: Number(n.length), nullCount: Number(n.nullCount) };
  }

  /** The next buffer as stored: a zstd frame, or raw bytes. */
  nextStored(): { bytes: Uint8Array; frame: boolean; rawLength: number } {
    const b = this.header.buffers[this.buffer++];
    if (!b) this.corrupt('fewer buffers than columns need');
    const bytes = this.body.subarray(Number(b.offset), Number(b.offset) + Number(b.length));
    if (this.header.compression === null || bytes.length === 0) return { bytes, frame: false, rawLength: bytes.length };
    const declared = Number(bytes.readBigInt64LE(0));
    if (declared === -1) return { bytes: bytes.subarray(8), frame: false, rawLength: bytes.length - 8 };
    return { bytes: bytes.subarray(8), frame: true, rawLength: declared };
  }

  nextDecoded(): Uint8Array {
    const s = this.nextStored();
    return s.frame ? zstdDecode(s.bytes) : s.bytes;
  }

  private corrupt(what: string): never {
    throw new RecordingError(`corrupt Arrow batch: ${what}`, { file: this.file });
  }
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
function columnPage(field: Field, body: BodyReader, rows: number): Page {
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

/** Writes one Parquet file from batches of one Arrow schema. */
export class ParquetWriter {
  private readonly fd: number;
  private offset = 0;
  private readonly leaves: Leaf[];
  private readonly elements: ThriftValue[];
  private readonly rowGroups: ThriftValue[] = [];
  private rows = 0;
  private closed = false;

  constructor(readonly path: string, private readonly schema: Schema, private readonly meta: Readonly<Record<string, string>> = {}) {
    ({ elements: this.elements, leaves: this.leaves } = parquetSchema(schema));
    this.fd = openSync(path, 'w', 0o600);
    this.write(MAGIC);
  }

  private write(b: Uint8Array): void {
    let done = 0;
    while (done < b.length) done += writeSync(this.fd, b, done, b.length - done);
    this.offset += b.length;
  }

  /** One record batch, still as its IPC metadata and compressed body. */
  writeBatch(header: RecordBatchHeader, body: Buffer, file: string): void {
    const rows = Number(header.length);
    if (rows === 0) return;
    const reader = new BodyReader(header, body, file);
    const columns: ThriftValue[] = [];
    let total = 0;
    this.schema.fields.forEach((field, i) => {
      const page = columnPage(field, reader, rows);
      const written = this.writePage(this.leaves[i]!, page, rows);
      total += written.uncompressed;
      columns.push(struct([[2, i64(written.start)], [3, struct(written.meta)]]));
    });
    this.rowGroups.push(struct([[1, list('struct', columns)], [2, i64(total)], [3, i64(rows)]]));
    this.rows += rows;
  }

  private writePage(leaf: Leaf, page: Page, rows: number): ColumnWritten & { start: number; uncompressed: number } {
    const levels = page.rep.length + page.def.length;
    const header = encodeStruct([
      [1, i32(DATA_PAGE_V2)],
      [2, i32(levels + page.rawValueBytes)],
      [3, i32(levels + page.values.length)],
      [8, struct([
        [1, i32(page.levelCount)], [2, i32(page.nulls)], [3, i32(rows)], [4, i32(ENCODING.PLAIN)],
        [5, i32(page.def.length)], [6, i32(page.rep.length)], [7, bool(page.compressed)],
      ])],
    ]);
    const start = this.offset;
    this.write(header);
    this.write(page.rep);
    this.write(page.def);
    this.write(page.values);
    const uncompressed = header.length + levels + page.rawValueBytes;
    return {
      start,
      uncompressed,
      meta: [
        [1, i32(leaf.physical)],
        [2, list('i32', [i32(ENCODING.PLAIN), i32(ENCODING.RLE)])],
        [3, list('binary', leaf.path.map((p) => binary(p)))],
        [4, i32(CODEC.ZSTD)],
        [5, i64(page.levelCount)],
        [6, i64(uncompressed)],
        [7, i64(this.offset - start)],
        [9, i64(start)],
      ],
    };
  }

  /** Footer, and the file closed. Returns the rows written. */
  close(): number {
    try {
      const footer = encodeStruct([
        [1, i32(1)],
        [2, list('struct', this.elements)],
        [3, i64(this.rows)],
        [4, list('struct', this.rowGroups)],
        [5, list('struct', Object.entries(this.meta).map(([k, v]) => struct([[1, binary(k)], [2, binary(v)]])))],
        [6, binary('flightrec')],
      ]);
      this.write(footer);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(footer.length);
      this.write(len);
      this.write(MAGIC);
    } finally {
      this.abandon();
    }
    return this.rows;
  }

  /** Closes the file, without a footer unless close() wrote it (the caller removes it). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
