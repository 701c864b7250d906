// The buffers of one Arrow IPC record batch body, taken in the order the format lays them
// out (per field: validity, then offsets and values as its type has them), each as stored
// (a zstd frame or raw bytes) or decoded.
import type { RecordBatch as RecordBatchHeader } from 'apache-arrow/ipc/metadata/message';
import { FrameError, zstdDecode, zstdDecodeInto } from '../format/codec.js';
import { RecordingError } from '../format/errors.js';

/** A buffer as the body stores it: a zstd frame declaring `rawLength` bytes, or those bytes. */
export interface Stored {
  readonly bytes: Uint8Array;
  readonly frame: boolean;
  readonly rawLength: number;
}

/**
 * One buffer reused for decoded bytes that are read and dropped, sized to the largest asked
 * for (a size the reader has held to MAX_BUFFER_BYTES).
 */
export class Scratch {
  private buf = new Uint8Array(0);

  /** A view of `n` bytes, valid until the next call. */
  bytes(n: number): Uint8Array {
    if (this.buf.byteLength < n) this.buf = new Uint8Array(n);
    return this.buf.subarray(0, n);
  }
}

/** The buffers of one batch body, taken in the order Arrow IPC lays them out. */
export class BodyReader {
  private node = 0;
  private buffer = 0;

  constructor(private readonly header: RecordBatchHeader, private readonly body: Buffer, private readonly file: string) {}

  nextNode(): { length: number; nullCount: number } {
    const n = this.header.nodes[this.node++];
    if (!n) this.corrupt('fewer field nodes than columns');
    return { length: Number(n.length), nullCount: Number(n.nullCount) };
  }

  /** The next buffer as stored: a zstd frame, or raw bytes. */
  nextStored(): Stored {
    const b = this.header.buffers[this.buffer++];
    if (!b) this.corrupt('fewer buffers than columns need');
    const bytes = this.body.subarray(Number(b.offset), Number(b.offset) + Number(b.length));
    if (this.header.compression === null || bytes.length === 0) return { bytes, frame: false, rawLength: bytes.length };
    const declared = Number(bytes.readBigInt64LE(0));
    if (declared === -1) return { bytes: bytes.subarray(8), frame: false, rawLength: bytes.length - 8 };
    return { bytes: bytes.subarray(8), frame: true, rawLength: declared };
  }

  nextDecoded(): Uint8Array {
    return this.decoded(this.nextStored());
  }

  /** A stored buffer's bytes; a frame that is not what it declares is a corrupt batch. */
  decoded(s: Stored): Uint8Array {
    if (!s.frame) return s.bytes;
    try {
      return zstdDecode(s.bytes);
    } catch (err) {
      if (err instanceof FrameError) this.corrupt(err.message);
      throw err;
    }
  }

  /** decoded(), into `scratch` (grown as needed) rather than a new buffer: for bytes only looked at. */
  decodedInto(s: Stored, scratch: Scratch): Uint8Array {
    if (!s.frame) return s.bytes;
    try {
      return zstdDecodeInto(s.bytes, scratch.bytes(s.rawLength));
    } catch (err) {
      if (err instanceof FrameError) this.corrupt(err.message);
      throw err;
    }
  }

  /** Throws a one-line error naming the file. */
  corrupt(what: string): never {
    throw new RecordingError(`corrupt Arrow batch: ${what}`, { file: this.file });
  }
}

