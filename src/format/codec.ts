// ZSTD body compression for Arrow IPC, registered with apache-arrow's codec registry so
// the files are standard compressed IPC. Decoding is bounded: a frame must declare its
// content size, and a size over the limit is refused before anything is allocated.
import { CompressionType, compressionRegistry } from 'apache-arrow';
import { Compressor, Decompressor } from 'zstd-napi';
import { MAX_BUFFER_BYTES } from './limits.js';

export { MAX_BUFFER_BYTES } from './limits.js';

const ZSTD_MAGIC = 0xfd2fb528;

export class FrameError extends Error {}

/**
 * Walk one zstd frame's headers (RFC 8878 §3.1.1) without decompressing: returns the declared
 * content size. Throws FrameError unless `buf` is exactly one frame with a content size.
 */
export function zstdFrameContentSize(buf: Uint8Array): number {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const need = (n: number, at: number): void => {
    if (at + n > buf.byteLength) throw new FrameError(`zstd frame truncated at byte ${at}`);
  };
  need(5, 0);
  if (view.getUint32(0, true) !== ZSTD_MAGIC) throw new FrameError('not a zstd frame (bad magic)');
  const fhd = buf[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const checksum = (fhd >> 2) & 1;
  const dictFlag = fhd & 3;
  if ((fhd >> 3) & 1) throw new FrameError('zstd frame header has the reserved bit set');
  let at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][dictFlag]!;
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (fcsBytes === 0) throw new FrameError('zstd frame does not declare its content size');
  need(fcsBytes, at);
  let size: number;
  switch (fcsBytes) {
    case 1: size = buf[at]!; break;
    case 2: size = view.getUint16(at, true) + 256; break;
    case 4: size = view.getUint32(at, true); break;
    default: {
      const big = view.getBigUint64(at, true);
      size = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
    }
  }
  at += fcsBytes;
  for (;;) {
    need(3, at);
    const h = buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16);
    const last = h & 1;
    const type = (h >> 1) & 3;
    const blockSize = h >>> 3;
    if (type === 3) throw new FrameError(`zstd block of reserved type at byte ${at}`);
    at += 3 + (type === 1 ? 1 : blockSize);
    if (last) break;
  }
  at += checksum ? 4 : 0;
  if (at !== buf.byteLength) throw new FrameError(`zstd frame ends at byte ${at} of a ${buf.byteLength}-byte buffer`);
  return size;
}

let compressor: Compressor | undefined;
let decompressor: Decompressor | undefined;
// Level 1: measured faster to write and smaller than 3 on syscall-shaped rows (bench/format.bench.ts).
let level = 1;
/** Uncompressed bytes handed to `encode` since the last `takeEncodedBytes()`. */
let encodedBytes = 0;

export function takeEncodedBytes(): number {
  const n = encodedBytes;
  encodedBytes = 0;
  return n;
}

export function setCompressionLevel(l: number): void {
  level = l;
  compressor?.setParameters({ compressionLevel: level });
}

/**
 * Decompress one zstd frame, bounded: the size the frame declares is checked against the
 * limit before anything is allocated, and the output must be exactly that size.
 */
export function zstdDecode(data: Uint8Array): Uint8Array {
  const size = zstdFrameContentSize(data);
  if (size > MAX_BUFFER_BYTES) throw new FrameError(`zstd frame claims ${size} bytes (limit ${MAX_BUFFER_BYTES})`);
  decompressor ??= new Decompressor();
  const out = decompressor.decompress(data);
  if (out.byteLength !== size) throw new FrameError(`zstd frame declared ${size} bytes but held ${out.byteLength}`);
  return out;
}

/**
 * Buffers decompressed ahead of time (by the inflate workers), keyed by the compressed
 * frame's position: apache-arrow hands `decode` a view into the message body, and a view
 * at a prepared position gets the prepared output instead of decompressing again.
 */
let prepared: { buffer: ArrayBufferLike; outs: Map<number, Uint8Array> } | undefined;

/** Offer the decompressed frames of one message body; `outs` is keyed by absolute byte offset in `body.buffer`. */
export function providePrepared(body: Uint8Array, outs: Map<number, Uint8Array>): void {
  prepared = { buffer: body.buffer, outs };
}

function takePrepared(data: Uint8Array): Uint8Array | undefined {
  if (prepared?.buffer !== data.buffer) return undefined;
  const out = prepared.outs.get(data.byteOffset);
  prepared.outs.delete(data.byteOffset);
  if (prepared.outs.size === 0) prepared = undefined;
  return out;
}

/** One zstd frame at the configured level. */
export function zstdEncode(data: Uint8Array): Uint8Array {
  if (!compressor) {
    compressor = new Compressor();
    compressor.setParameters({ compressionLevel: level });
  }
  return compressor.compress(data);
}

export function registerZstd(): void {
  if (compressionRegistry.get(CompressionType.ZSTD)) return;
  compressionRegistry.set(CompressionType.ZSTD, {
    encode(data: Uint8Array): Uint8Array {
      encodedBytes += data.byteLength;
      return zstdEncode(data);
    },
    decode(data: Uint8Array): Uint8Array {
      return takePrepared(data) ?? zstdDecode(data);
    },
  });
}
