// Dictionary encoding of a string column chunk: comm, exe, path and the like repeat a few
// values over many rows, so the chunk becomes a dictionary page (the distinct values, PLAIN)
// and indices into it (RLE_DICTIONARY, bit-packed). Columns with many distinct values stay
// PLAIN: past a bound the dictionary would cost more than it saves.
//
// Hand-written hashing over the Arrow buffers rather than a Map of strings: making a JS string
// of every value to key a Map took 660 ms of a 5.2 s cache build over 5M rows (comm alone),
// more than writing the column PLAIN; hashing the bytes where they lie takes a fraction of it.
import { isUtf8 } from 'node:buffer';

/** Distinct values at most, as a share of the present values and absolutely. */
const MAX_SHARE = 0.5;
const MAX_ENTRIES = 1 << 16;
const MAX_DICTIONARY_BYTES = 1 << 20;
/**
 * The first values looked at before hashing the rest: a column whose SAMPLE first values are
 * nearly all distinct (paths of a tree walk, argv) is left PLAIN at once. A stricter share
 * misjudges a prefix: 1024 draws from 1000 paths are 63% distinct.
 */
const SAMPLE = 1024;
const SAMPLE_SHARE = 7 / 8;

export interface Dictionary {
  /** The distinct values, valid UTF-8 when the column is text. */
  readonly entries: Uint8Array[];
  /** The dictionary page body: PLAIN byte arrays. */
  readonly plain: Uint8Array;
  /** The data page values: bit width, then the indices of the present values as one bit-packed run. */
  readonly indices: Uint8Array;
}

const bit = (bits: Uint8Array, i: number): boolean => ((bits[i >> 3]! >> (i & 7)) & 1) === 1;

/** FNV-1a of data[a, b). */
function hashOf(data: Uint8Array, a: number, b: number): number {
  let h = 0x811c9dc5;
  for (let i = a; i < b; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  return h >>> 0;
}

function sameBytes(data: Uint8Array, a: number, b: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (data[a + i] !== data[b + i]) return false;
  return true;
}

/** Distinct values of one chunk, as offsets into its data buffer, in an open-addressing table. */
class Distinct {
  /** Slot: code + 1, 0 when empty. */
  private slots = new Int32Array(1024);
  starts = new Int32Array(256);
  ends = new Int32Array(256);
  private hashes = new Uint32Array(256);
  count = 0;
  bytes = 0;

  constructor(private readonly data: Uint8Array) {}

  /** The code of data[a, b), added when new. */
  codeOf(a: number, b: number): number {
    const data = this.data;
    const h = hashOf(data, a, b);
    const mask = this.slots.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const slot = this.slots[s]!;
      if (slot === 0) {
        this.slots[s] = this.add(a, b, h) + 1;
        return this.count - 1;
      }
      const c = slot - 1;
      if (this.hashes[c] !== h) continue;
      const ca = this.starts[c]!;
      if (this.ends[c]! - ca !== b - a) continue;
      if (sameBytes(data, a, ca, b - a)) return c;
    }
  }

  private add(a: number, b: number, h: number): number {
    const c = this.count++;
    if (c === this.starts.length) {
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
      this.hashes = grow(this.hashes);
    }
    this.starts[c] = a;
    this.ends[c] = b;
    this.hashes[c] = h;
    this.bytes += 4 + b - a;
    if (this.count * 2 > this.slots.length) this.rehash();
    return c;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    const mask = this.slots.length - 1;
    for (let c = 0; c < this.count; c++) {
      let s = this.hashes[c]! & mask;
      while (this.slots[s] !== 0) s = (s + 1) & mask;
      this.slots[s] = c + 1;
    }
  }
}

function grow<T extends Int32Array | Uint32Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

/** A dictionary of rows [0, rows), or undefined when the column has too many distinct values to gain from one. */
export function dictionaryOf(offsets: Int32Array, data: Uint8Array, validity: Uint8Array | undefined, rows: number, utf8: boolean): Dictionary | undefined {
  const distinct = new Distinct(data);
  const codes = new Uint16Array(rows); // MAX_ENTRIES codes fit
  let present = 0;
  // A thread's events come in runs: a value equal to the one before skips the hashing.
  let prevA = 0;
  let prevB = -1;
  let prev = 0;
  for (let i = 0; i < rows; i++) {
    if (validity && !bit(validity, i)) continue;
    const a = offsets[i]!;
    const b = offsets[i + 1]!;
    let code: number;
    if (b - a === prevB - prevA && sameBytes(data, a, prevA, b - a)) code = prev;
    else code = prev = distinct.codeOf(a, b);
    prevA = a;
    prevB = b;
    if (distinct.count > MAX_ENTRIES || distinct.bytes > MAX_DICTIONARY_BYTES) return undefined;
    codes[present++] = code;
    if (present === SAMPLE && distinct.count > SAMPLE * SAMPLE_SHARE) return undefined;
  }
  if (present === 0 || distinct.count > present * MAX_SHARE) return undefined;
  const entries: Uint8Array[] = [];
  let bytes = 0;
  for (let c = 0; c < distinct.count; c++) {
    let value: Uint8Array = data.subarray(distinct.starts[c]!, distinct.ends[c]!);
    if (utf8 && !isUtf8(value)) value = Buffer.from(Buffer.from(value).toString('utf8')); // as the Arrow reader shows it
    entries.push(value);
    bytes += 4 + value.length;
  }
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
function bitPacked(codes: Uint16Array, width: number): Uint8Array {
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
    acc |= codes[i]! << held; // width <= 16, held < 8: fits in 32 bits
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
