// A writer for Thrift's compact protocol: just what Parquet's page headers and footer need.
// Structs are written as arrays of [field id, value] so field order is explicit.

export type ThriftValue =
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'i8'; readonly v: number }
  | { readonly t: 'i32'; readonly v: number }
  | { readonly t: 'i64'; readonly v: number | bigint }
  | { readonly t: 'binary'; readonly v: string | Uint8Array }
  | { readonly t: 'list'; readonly elem: 'i32' | 'binary' | 'struct'; readonly v: readonly ThriftValue[] }
  | { readonly t: 'struct'; readonly v: ThriftStruct };

/** Fields in ascending id order; undefined values are left out (optional fields). */
export type ThriftStruct = ReadonlyArray<readonly [number, ThriftValue | undefined]>;

export const bool = (v: boolean): ThriftValue => ({ t: 'bool', v });
export const i8 = (v: number): ThriftValue => ({ t: 'i8', v });
export const i32 = (v: number): ThriftValue => ({ t: 'i32', v });
export const i64 = (v: number | bigint): ThriftValue => ({ t: 'i64', v });
export const binary = (v: string | Uint8Array): ThriftValue => ({ t: 'binary', v });
export const struct = (v: ThriftStruct): ThriftValue => ({ t: 'struct', v });
export const list = (elem: 'i32' | 'binary' | 'struct', v: readonly ThriftValue[]): ThriftValue => ({ t: 'list', elem, v });

const TYPE = { bool: 1, i8: 3, i32: 5, i64: 6, binary: 8, list: 9, struct: 12 } as const;

export class CompactWriter {
  private buf = Buffer.allocUnsafe(256);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  private byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }

  private varint(v: bigint): void {
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  private zigzag(v: number | bigint): void {
    const b = BigInt(v);
    this.varint(b >= 0n ? b << 1n : ((-b) << 1n) - 1n);
  }

  private bytes(v: string | Uint8Array): void {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    this.varint(BigInt(b.length));
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  private value(v: ThriftValue): void {
    switch (v.t) {
      case 'bool': return this.byte(v.v ? 1 : 2); // only inside lists; fields carry it in the header
      case 'i8': return this.byte(v.v & 0xff);
      case 'i32': case 'i64': return this.zigzag(v.v);
      case 'binary': return this.bytes(v.v);
      case 'list': {
        const n = v.v.length;
        this.byte(n < 15 ? (n << 4) | TYPE[v.elem] : 0xf0 | TYPE[v.elem]);
        if (n >= 15) this.varint(BigInt(n));
        for (const e of v.v) this.value(e);
        return;
      }
      case 'struct':
        this.struct(v.v);
        return;
    }
  }

  struct(fields: ThriftStruct): this {
    let last = 0;
    for (const [id, v] of fields) {
      if (v === undefined) continue;
      const type = v.t === 'bool' ? (v.v ? 1 : 2) : TYPE[v.t];
      const delta = id - last;
      if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
      else {
        this.byte(type);
        this.zigzag(id);
      }
      last = id;
      if (v.t !== 'bool') this.value(v);
    }
    this.byte(0);
    return this;
  }

  take(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

export function encodeStruct(fields: ThriftStruct): Buffer {
  return new CompactWriter().struct(fields).take();
}
