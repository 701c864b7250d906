// ZSTD body compression for Arrow IPC: the level the writers use (the native sink, table-sink.ts;
// parquet pages), and decoding, registered with apache-arrow's codec registry for its reader.
// Decoding is bounded: a frame must declare its content size, and a size over the limit is
// refused before anything is allocated.
import { CompressionType, compressionRegistry } from 'apache-arrow';
import { Compressor, Decompressor } from 'zstd-napi';
import zstd from 'zstd-napi/binding.js';
import { MAX_BUFFER_BYTES } from './limits.js';

export { MAX_BUFFER_BYTES } from './limits.js';

const ZSTD_MAGIC = 0xfd2fb528;

export class FrameError extends Error {}

/**
 * The content size one zstd frame declares, read by libzstd (ZSTD_getFrameContentSize and
 * ZSTD_findFrameCompressedSize, which walks the block headers) without decompressing.
 * Throws FrameError unless `buf` is exactly one frame with a content size.
 */
export function zstdFrameContentSize(buf: Uint8Array): number {
  // Skippable frames have their own magic: libzstd would give them a size of 0.
  if (buf.byteLength < 4 || new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0, true) !== ZSTD_MAGIC) throw new FrameError('not a zstd frame (bad magic)');
  let size: number | null;
  let length: number;
  try {
    size = zstd.getFrameContentSize(buf);
    length = zstd.findFrameCompressedSize(buf);
  } catch (err) {
    throw new FrameError(`zstd frame unreadable: ${(err as Error).message}`, { cause: err });
  }
  if (size === null) throw new FrameError('zstd frame does not declare its content size');
  if (length !== buf.byteLength) throw new FrameError(`zstd frame ends at byte ${length} of a ${buf.byteLength}-byte buffer`);
  return Math.min(size, Number.MAX_SAFE_INTEGER);
}

let compressor: Compressor | undefined;
let decompressor: Decompressor | undefined;
// Level 1: measured faster to write and smaller than 3 on syscall-shaped rows (bench/format.bench.ts).
let level = 1;

/** The zstd level batches and pages are written at. */
export function compressionLevel(): number {
  return level;
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

let dctx: InstanceType<typeof zstd.DCtx> | undefined;

/**
 * zstdDecode into `out`, which must be exactly the size the frame declares: for a caller that
 * only reads the values (the query cache's min/max statistics) and reuses one buffer, since a
 * fresh buffer per frame cost more in page faults than the decompression itself (measured on
 * 351 MB of syscall columns: 560 to 1010 ms allocating, 310 ms into one buffer).
 */
export function zstdDecodeInto(data: Uint8Array, out: Uint8Array): Uint8Array {
  const size = zstdFrameContentSize(data);
  if (size !== out.byteLength) throw new FrameError(`zstd frame declares ${size} bytes, ${out.byteLength} expected`);
  dctx ??= new zstd.DCtx();
  let n: number;
  try {
    n = dctx.decompress(out, data);
  } catch (err) {
    throw new FrameError(`zstd frame unreadable: ${(err as Error).message}`, { cause: err });
  }
  if (n !== size) throw new FrameError(`zstd frame declared ${size} bytes but held ${n}`);
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
    decode(data: Uint8Array): Uint8Array {
      return takePrepared(data) ?? zstdDecode(data);
    },
  });
}
