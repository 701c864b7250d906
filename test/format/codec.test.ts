// The bounds zstdFrameContentSize puts on a buffer before anything is decompressed: exactly
// one zstd frame, declaring its content size. Written against the hand-written header walker
// and kept when libzstd's own functions replaced it.
import { Compressor } from 'zstd-napi';
import { describe, expect, it } from 'vitest';
import { zstdFrameContentSize } from '../../src/index.js';

function frame(size: number, opts: { checksum?: boolean; contentSize?: boolean } = {}): Buffer {
  const c = new Compressor();
  c.setParameters({ compressionLevel: 1, checksumFlag: opts.checksum ?? false, contentSizeFlag: opts.contentSize ?? true });
  const src = Buffer.alloc(size);
  for (let i = 0; i < size; i++) src[i] = (i * 2654435761) >>> 27; // some of it compressible, none of it a single run
  return c.compress(src);
}

describe('zstdFrameContentSize', () => {
  it('gives the declared size of one frame: empty, one byte, every content-size width, several blocks, with a checksum', () => {
    for (const size of [0, 1, 255, 256, 65535, 65792, 300_000]) {
      expect(zstdFrameContentSize(frame(size))).toBe(size);
      expect(zstdFrameContentSize(frame(size, { checksum: true }))).toBe(size);
    }
  });

  it('refuses anything but exactly one frame with a content size', () => {
    const f = frame(1000, { checksum: true });
    expect(() => zstdFrameContentSize(f.subarray(0, f.length - 1))).toThrow();
    expect(() => zstdFrameContentSize(f.subarray(0, 3))).toThrow();
    expect(() => zstdFrameContentSize(Buffer.concat([f, Buffer.from([0])]))).toThrow(/ends at byte/);
    expect(() => zstdFrameContentSize(Buffer.concat([f, f]))).toThrow(/ends at byte/);
    expect(() => zstdFrameContentSize(Buffer.from('not a frame at all'))).toThrow(/bad magic/);
    const skippable = Buffer.alloc(12);
    skippable.writeUInt32LE(0x184d2a50, 0);
    skippable.writeUInt32LE(4, 4);
    expect(() => zstdFrameContentSize(skippable)).toThrow(/bad magic/);
    expect(() => zstdFrameContentSize(frame(1000, { contentSize: false }))).toThrow(/does not declare its content size/);
    const reserved = Buffer.from(f);
    reserved[4]! |= 1 << 3;
    expect(() => zstdFrameContentSize(reserved)).toThrow();
  });
});
