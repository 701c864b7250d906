// Arrow IPC streams taken apart and put together again, to make the hostile table files the
// bound and corruption tests need (many batches, bombs, bad offsets) in a few milliseconds.
import { Message } from 'apache-arrow';

export interface Messages {
  readonly schema: Buffer;
  /** Each record batch message: prefix, metadata and body. */
  readonly batches: Buffer[];
  readonly end: Buffer;
}

/** The messages of a complete stream. */
export function splitStream(bytes: Uint8Array): Messages {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const metaLen = buf.readInt32LE(at + 4);
    if (metaLen === 0) break;
    const msg = Message.decode(buf.subarray(at + 8, at + 8 + metaLen));
    const end = at + 8 + metaLen + Number(msg.bodyLength);
    out.push(buf.subarray(at, end));
    at = end;
  }
  return { schema: out[0]!, batches: out.slice(1), end: buf.subarray(at) };
}

/** File offset (within `message`) of buffer `index` of a record batch message's body. */
export function bufferOffset(message: Buffer, index: number): { offset: number; length: number } {
  const metaLen = message.readInt32LE(4);
  const msg = Message.decode(message.subarray(8, 8 + metaLen));
  if (!msg.isRecordBatch()) throw new Error('not a record batch');
  const b = msg.header().buffers[index]!;
  return { offset: 8 + metaLen + Number(b.offset), length: Number(b.length) };
}
