// Dictionary encoding of a string column chunk: comm, exe, path and the like repeat a few
// values over many rows, so the chunk becomes a dictionary page (the distinct values, PLAIN)
// and indices into it (RLE_DICTIONARY, bit-packed). Columns with many distinct values stay
// PLAIN: past a bound the dictionary would cost more than it saves.
import { isUtf8 } from 'node:buffer';

/** Distinct values at most, as a share of the present values and absolutely. */
const MAX_SHARE = 0.5;
const MAX_ENTRIES = 1 << 16;
const MAX_DICTIONARY_BYTES = 1 << 20;

export interface Dictionary {
  /** The distinct values, valid UTF-8 when the column is text. */
  readonly entries: Uint8Array[];
  /** The dictionary page body: PLAIN byte arrays. */
  readonly plain: Uint8Array;
  /** The data page values: bit width, then the indices of the present values as one bit-packed run. */
  readonly indices: Uint8Array;
}

const bit = (bits: Uint8Array, i: number): boolean => ((bits[i >> 3]! >> (i & 7)) & 1) === 1;

/** A dictionary of rows [0, rows), or undefined when the column has too many distinct values to gain from one. */
export function dictionaryOf(offsets: Int32Array, data: Uint8Array, validity: Uint8Array | undefined, rows: number, utf8: boolean): Dictionary | undefined {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const index = new Map<string, number>();
  const codes = new Uint32Array(rows);
  const entries: Uint8Array[] = [];
  let bytes = 0;
  let present = 0;
  for (let i = 0; i < rows; i++) {
    if (validity && !bit(validity, i)) continue;
    const a = offsets[i]!;
    const b = offsets[i + 1]!;
    const key = buf.toString('latin1', a, b);
    let code = index.get(key);
    if (code === undefined) {
      code = entries.length;
      let value: Uint8Array = buf.subarray(a, b);
      if (utf8 && !isUtf8(value)) value = Buffer.from(Buffer.from(value).toString('utf8')); // as the Arrow reader shows it
      entries.push(value);
      index.set(key, code);
      bytes += 4 + value.length;
      if (entries.length > MAX_ENTRIES || bytes > MAX_DICTIONARY_BYTES) return undefined;
    }
    codes[present++] = code;
  }
  if (present === 0 || entries.length > present * MAX_SHARE) return undefined;
  const plain = Buffer.allocUnsafe(bytes);
  let p = 0;
  for (const e of entries) {
    plain.writeUInt32LE(e.length, p);
    plain.set(e, p + 4);
    p += 4 + e.length;
  }
  return { entries, plain, indices: bitPacked(codes.subarray(0, present), Math.max(1, 32 - Math.clz32(entries.length - 1))) };
}

/** Bit width, then one bit-packed run of the RLE/bit-packing hybrid encoding, padded to a multiple of 8 values. */
function bitPacked(codes: Uint32Array, width: number): Uint8Array {
  const groups = Math.ceil(codes.length / 8);
  const header: number[] = [width];
  let v = (groups << 1) | 1;
  while (v >= 0x80) {
    header.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  header.push(v);
  const out = new Uint8Array(header.length + groups * width);
  out.set(header);
  let at = header.length;
  let acc = 0;
  let held = 0;
  for (let i = 0; i < codes.length; i++) {
    acc |= codes[i]! << held; // width <= 17, held < 8: fits in 32 bits
    held += width;
    while (held >= 8) {
      out[at++] = acc & 0xff;
      acc >>>= 8;
      held -= 8;
    }
  }
  if (held > 0) out[at] = acc & 0xff;
  return out;
}
