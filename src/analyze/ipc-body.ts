// The buffers of one Arrow IPC record batch body, taken in the order the format lays them
// out (per field: validity, then offsets and values as its type has them), each as stored
// (a zstd frame or raw bytes) or decoded.
import type { RecordBatch as RecordBatchHeader } from 'apache-arrow/ipc/metadata/message';
import { zstdDecode } from '../format/codec.js';
import { RecordingError } from '../format/errors.js';

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

  /** Throws a one-line error naming the file. */
  corrupt(what: string): never {
    throw new RecordingError(`corrupt Arrow batch: ${what}`, { file: this.file });
  }
}

