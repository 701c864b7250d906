// Min/max statistics of a column chunk, computed from the PLAIN values the cache writes (never
// taken from the recording), so DuckDB can skip row groups a filter cannot match. Encoded as
// Parquet's min_value/max_value: little-endian values for ints, the bytes for strings, ordered
// as the column's logical type is (unsigned ints unsigned, strings bytewise).

/** The bounds of a chunk's present values; absent when it has none. */
export interface Bounds {
  readonly min: Uint8Array;
  readonly max: Uint8Array;
}

/** A view of `b` as 32-bit words, copied when it is not 4-byte aligned. */
const words = (b: Uint8Array, n: number): Uint32Array => {
  const a = b.byteOffset % 4 === 0 ? b : b.slice(0, n * 4);
  return new Uint32Array(a.buffer, a.byteOffset, n);
};

/** Bounds of `n` PLAIN INT32 values (4 bytes each). */
export function int32Bounds(values: Uint8Array, n: number, signed: boolean): Bounds | undefined {
  if (n === 0) return undefined;
  const w = words(values, n);
  let lo = 0;
  let hi = 0;
  if (signed) {
    const s = new Int32Array(w.buffer, w.byteOffset, n);
    for (let i = 1; i < n; i++) {
      const v = s[i]!;
      if (v < s[lo]!) lo = i;
      else if (v > s[hi]!) hi = i;
    }
  } else {
    for (let i = 1; i < n; i++) {
      const v = w[i]!;
      if (v < w[lo]!) lo = i;
      else if (v > w[hi]!) hi = i;
    }
  }
  return { min: values.slice(lo * 4, lo * 4 + 4), max: values.slice(hi * 4, hi * 4 + 4) };
}

/** Bounds of `n` PLAIN INT64 values (8 bytes each), compared as (high word, low word) to stay off BigInt. */
export function int64Bounds(values: Uint8Array, n: number, signed: boolean): Bounds | undefined {
  if (n === 0) return undefined;
  const w = words(values, n * 2);
  const s = new Int32Array(w.buffer, w.byteOffset, n * 2);
  const high = signed ? s : w;
  let lo = 0;
  let hi = 0;
  for (let i = 1; i < n; i++) {
    const h = high[2 * i + 1]!;
    const l = w[2 * i]!;
    const hLo = high[2 * lo + 1]!;
    if (h < hLo || (h === hLo && l < w[2 * lo]!)) lo = i;
    else {
      const hHi = high[2 * hi + 1]!;
      if (h > hHi || (h === hHi && l > w[2 * hi]!)) hi = i;
    }
  }
  return { min: values.slice(lo * 8, lo * 8 + 8), max: values.slice(hi * 8, hi * 8 + 8) };
}

/** Bytewise bounds of some byte strings (a dictionary's entries). */
export function bytesBounds(values: readonly Uint8Array[]): Bounds | undefined {
  if (values.length === 0) return undefined;
  let min = values[0]!;
  let max = values[0]!;
  for (const v of values) {
    if (Buffer.compare(v, min) < 0) min = v;
    else if (Buffer.compare(v, max) > 0) max = v;
  }
  return { min, max };
}
