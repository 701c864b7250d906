// One table's file in a segment: an Arrow IPC stream of ZSTD-compressed record batches.
// Reading treats the file as untrusted: every message header is checked against the file
// size and the limits below before its bytes reach apache-arrow, and a message cut short
// by a crash ends the stream as a "torn tail" instead of failing. A file written under an
// older schema version is read as the declaration, the columns added since null
// (stored-schema.ts).
import { createHash, type Hash } from 'node:crypto';
import { closeSync, readSync } from 'node:fs';
import {
  CompressionType, Message, MessageHeader, RecordBatchReader, type RecordBatch, type Schema,
} from 'apache-arrow';
import type { RecordBatch as RecordBatchHeader } from 'apache-arrow/ipc/metadata/message';
import { batchProblem } from './batch-check.js';
import { BatchWidener } from './batch-widener.js';
import { providePrepared, registerZstd, zstdFrameContentSize } from './codec.js';
import { ConfinedDir, type OpenFile } from './confined-dir.js';
import { RecordingError } from './errors.js';
import { inflatePool, type InflatePool, type InflateTicket } from './inflate-pool.js';
import {
  EXPANSION_FLOOR_BYTES, MAX_BATCHES_PER_FILE, MAX_BATCH_BYTES, MAX_BATCH_ROWS, MAX_BUFFER_BYTES, MAX_EXPANSION, MAX_METADATA_BYTES,
} from './limits.js';
import { storedSchema, type StoredSchema } from './stored-schema.js';

export { MAX_BATCH_BYTES, MAX_BATCH_ROWS } from './limits.js';
const CONTINUATION = 0xffffffff;
/** Files at least this big are decompressed ahead on the inflate workers; smaller ones are not worth a thread. */
const READ_AHEAD_MIN_BYTES = 4 * 1024 * 1024;

/** One validated message: its prefix and metadata, and for a record batch its body. */
interface Frame {
  /** File offset of the message. */
  readonly at: number;
  readonly head: Buffer;
  readonly body?: Buffer;
  readonly header?: RecordBatchHeader;
  /** [offset, length] in `body` of each zstd frame (the compressed buffers). */
  readonly zstd?: ReadonlyArray<readonly [number, number]>;
}

/** A frame read ahead, and its job in the inflate pool if it has zstd frames. */
interface ReadAhead {
  readonly frame: Frame;
  readonly ticket: InflateTicket | undefined;
}

/**
 * Reusable shared buffers for the bodies of batches read ahead: inflate workers read them in
 * place (no copy), and a slot is handed out again `slots` batches later, when apache-arrow
 * has long decoded the batch that used it. A batch with buffers stored uncompressed keeps
 * its body (arrow's columns are views into it), so its slot is given up.
 */
class BodyArena {
  private readonly slots: Array<Buffer | undefined>;
  private next = 0;

  constructor(size: number) {
    this.slots = new Array<Buffer | undefined>(size);
  }

  take(n: number): Buffer {
    const i = this.next++ % this.slots.length;
    let slot = this.slots[i];
    if (!slot || slot.byteLength < n) this.slots[i] = slot = Buffer.from(new SharedArrayBuffer(n + (n >> 2)));
    return slot.subarray(0, n);
  }

  /** The last body taken stays with its batch. */
  keepLast(): void {
    this.slots[(this.next - 1) % this.slots.length] = undefined;
  }
}

/** Whether a batch's decoded columns are views into its body: it has buffers stored uncompressed. */
function keepsBody(header: RecordBatchHeader, zstd: readonly unknown[]): boolean {
  return header.compression === null || zstd.length < header.buffers.filter((b) => b.length > 0).length;
}

export interface TornTail {
  /** Offset of the first byte after the last complete message. */
  readonly offset: number;
  readonly bytes: number;
  readonly reason: string;
}

export interface ScanSummary {
  readonly rows: number;
  readonly batches: number;
  /** Offset just past the last complete message (schema or batch). */
  readonly completeBytes: number;
  /** The stream's end-of-stream marker was present: the file was closed cleanly. */
  readonly ended: boolean;
  readonly torn: TornTail | undefined;
}

/** A batch as stored: IPC metadata, still-compressed body, and how the file's columns map onto the declaration. */
export interface RawBatch {
  readonly header: RecordBatchHeader;
  readonly body: Buffer;
  readonly stored: StoredSchema;
}

/** Sequential, validating reader of one IPC stream file. */
export class TableFile {
  private readonly fd: number;
  private readonly size: number;
  private offset = 0;
  private readonly hash: Hash | undefined;
  rows = 0;
  batches = 0;
  /** Sum of the batches' buffers after decompression. */
  rawBytes = 0;
  ended = false;
  torn: TornTail | undefined;
  /** Offset of the message last handed to apache-arrow, for errors while decoding it. */
  private decoding = 0;
  /** Where batch bodies go when reading ahead. */
  private arena: BodyArena | undefined;
  /** The file's schema as accepted, once its first message is read. */
  private stored: StoredSchema | undefined;

  /** Decompressed bytes this file may hold, from its size (see MAX_EXPANSION). */
  private readonly maxRawBytes: number;

  /**
   * `file`: already opened (and checked to be a regular file); without it `path` is opened
   * here, its last component not followed, and anything but a regular file refused.
   */
  constructor(readonly path: string, private readonly schema: Schema, opts: { hash?: boolean; file?: OpenFile } = {}) {
    const file = opts.file ?? ConfinedDir.openFileAt(path);
    this.fd = file.fd;
    this.size = file.size;
    this.hash = opts.hash ? createHash('sha256') : undefined;
    this.maxRawBytes = Math.max(EXPANSION_FLOOR_BYTES, this.size * MAX_EXPANSION);
  }

  close(): void {
    closeSync(this.fd);
  }

  /** SHA-256 of the bytes read so far (all of them once `messages()` is exhausted). */
  digest(): string {
    if (!this.hash) throw new Error('TableFile opened without hashing');
    if (this.offset < this.size) this.read(this.size - this.offset);
    return this.hash.digest('hex');
  }

  get completeBytes(): number {
    return this.torn ? this.torn.offset : this.offset;
  }

  private read(n: number, arena?: BodyArena): Buffer {
    const buf = arena ? arena.take(n) : Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const r = readSync(this.fd, buf, got, n - got, this.offset + got);
      if (r === 0) break;
      got += r;
    }
    if (got !== n) throw new RecordingError(`file changed while reading (short read of ${n} bytes)`, { file: this.path, offset: this.offset });
    this.hash?.update(buf);
    this.offset += n;
    return buf;
  }

  private tear(reason: string, at = this.offset): void {
    this.torn = { offset: at, bytes: this.size - at, reason };
  }

  private corrupt(what: string, at: number): never {
    throw new RecordingError(`corrupt Arrow stream: ${what}`, { file: this.path, offset: at });
  }

  /** The raw bytes of each validated message, which is what apache-arrow's stream reader consumes. */
  *messages(): Generator<Uint8Array> {
    for (const frame of this.frames()) {
      this.decoding = frame.at;
      yield frame.head;
      if (frame.body) yield frame.body;
    }
  }

  private *frames(): Generator<Frame> {
    let first = true;
    while (this.offset < this.size) {
      const at = this.offset;
      if (this.size - at < 8) return this.tear('message prefix cut short', at);
      const prefix = this.read(8);
      if (prefix.readUInt32LE(0) !== CONTINUATION) this.corrupt('missing continuation marker', at);
      const metaLen = prefix.readInt32LE(4);
      if (metaLen === 0) {
        this.ended = true;
        if (this.offset !== this.size) this.corrupt(`${this.size - this.offset} bytes after end-of-stream`, this.offset);
        return;
      }
      if (metaLen < 0 || metaLen > MAX_METADATA_BYTES || metaLen % 8 !== 0) this.corrupt(`metadata length ${metaLen}`, at);
      if (at + 8 + metaLen > this.size) return this.tear('message metadata cut short', at);
      const meta = this.read(metaLen);
      let msg: Message;
      let header: unknown;
      try {
        msg = Message.decode(meta);
        // apache-arrow decodes the header on each header() call: once here, where a bad one is a corrupt message.
        header = msg.header();
      } catch (err) {
        this.corrupt(`undecodable message metadata (${(err as Error).message})`, at);
      }
      const bodyLen = msg.bodyLength;
      if (!Number.isSafeInteger(bodyLen) || bodyLen < 0 || bodyLen > MAX_BATCH_BYTES) this.corrupt(`body length ${bodyLen}`, at);
      if (first) {
        if (!msg.isSchema() || bodyLen !== 0) this.corrupt('stream does not start with a schema', at);
        const stored = storedSchema(header as Schema, this.schema);
        if ('refused' in stored) throw new RecordingError(stored.refused, { file: this.path, offset: at });
        this.stored = stored;
        first = false;
        yield { at, head: Buffer.concat([prefix, meta]) };
        continue;
      }
      if (!msg.isRecordBatch()) this.corrupt(`unexpected ${MessageHeader[msg.headerType]} message`, at);
      if (at + 8 + metaLen + bodyLen > this.size) return this.tear('record batch body cut short', at);
      if (this.batches >= MAX_BATCHES_PER_FILE) this.corrupt(`more than ${MAX_BATCHES_PER_FILE} record batches in one file (flightrec starts a new segment before that)`, at);
      const batch = header as RecordBatchHeader;
      const body = this.read(bodyLen, this.arena);
      const zstd = this.checkBatch(batch, body, at);
      if (this.arena && keepsBody(batch, zstd)) this.arena.keepLast();
      this.rows += batch.length;
      this.batches++;
      yield { at, head: Buffer.concat([prefix, meta]), body, header: batch, zstd };
    }
    if (first) this.tear('empty file', 0);
  }

  /** Check a batch's buffers against its body and the limits; returns where its zstd frames are. */
  private checkBatch(header: RecordBatchHeader, body: Buffer, at: number): Array<[number, number]> {
    const frames: Array<[number, number]> = [];
    if (header.length < 0 || header.length > MAX_BATCH_ROWS) this.corrupt(`batch of ${header.length} rows`, at);
    const compressed = header.compression !== null;
    if (compressed && header.compression.type !== CompressionType.ZSTD) this.corrupt('compression other than ZSTD', at);
    let total = 0;
    for (const { offset, length } of header.buffers) {
      if (offset < 0 || length < 0 || offset + length > body.byteLength) this.corrupt(`buffer [${offset}, +${length}) outside the ${body.byteLength}-byte body`, at);
      if (!compressed || length === 0) { total += length; continue; }
      if (length < 8) this.corrupt(`compressed buffer of ${length} bytes`, at);
      const declared = Number(body.readBigInt64LE(offset));
      if (declared === -1) { total += length - 8; continue; }
      if (declared < 0 || declared > MAX_BUFFER_BYTES) this.corrupt(`buffer claims ${declared} uncompressed bytes (limit ${MAX_BUFFER_BYTES})`, at);
      let frame: number;
      try {
        frame = zstdFrameContentSize(body.subarray(offset + 8, offset + length));
      } catch (err) {
        this.corrupt((err as Error).message, at);
      }
      if (frame !== declared) this.corrupt(`buffer claims ${declared} bytes, its zstd frame ${frame}`, at);
      total += declared;
      frames.push([offset + 8, length - 8]);
    }
    if (total > MAX_BATCH_BYTES) this.corrupt(`batch decompresses to ${total} bytes (limit ${MAX_BATCH_BYTES})`, at);
    if (this.rawBytes + total > this.maxRawBytes) {
      this.corrupt(`decompresses to more than ${this.maxRawBytes} bytes, ${MAX_EXPANSION} times the file's size: not a flightrec recording`, at);
    }
    this.rawBytes += total;
    return frames;
  }

  /** Decode the validated stream into record batches of the table's declaration, each checked against it. */
  *recordBatches(): Generator<RecordBatch> {
    registerZstd();
    const reader = RecordBatchReader.from(this.size >= READ_AHEAD_MIN_BYTES ? this.readAhead() : this.messages());
    let widener: BatchWidener | undefined;
    try {
      for (const read of reader) {
        // The reader has read the schema message before it gives a batch.
        widener ??= new BatchWidener(this.schema, this.stored!);
        const batch = widener.widen(read);
        const why = batchProblem(batch, this.stored!.checked);
        if (why) this.corrupt(why, this.decoding);
        yield batch;
      }
    } catch (err) {
      if (err instanceof RecordingError) throw err;
      throw new RecordingError(`cannot decode record batch: ${(err as Error).message}`, { file: this.path, offset: this.decoding, cause: err });
    }
  }

  /**
   * messages(), with each batch body handed to the inflate pool a few batches before
   * apache-arrow reaches it; its outputs are then offered to the codec in place of decoding.
   */
  private *readAhead(): Generator<Uint8Array> {
    const pool = inflatePool();
    const queue: ReadAhead[] = [];
    // A slot is reused after the queue's batches and the one arrow decodes last.
    this.arena = new BodyArena(pool.depth + 2);
    try {
      for (const frame of this.frames()) {
        queue.push({ frame, ticket: frame.zstd?.length ? pool.submit(frame.body!, frame.zstd) : undefined });
        if (queue.length > pool.depth) yield* this.release(pool, queue.shift()!);
      }
      while (queue.length > 0) yield* this.release(pool, queue.shift()!);
    } finally {
      // Stopped early (an error, or the caller stopped reading): tickets still out are
      // settled, so the workers' answers to them do not reach the next reader.
      for (const { ticket } of queue) if (ticket) pool.abandon(ticket);
    }
  }

  private *release(pool: InflatePool, { frame, ticket }: ReadAhead): Generator<Uint8Array> {
    this.decoding = frame.at;
    yield frame.head;
    if (!frame.body) return;
    if (ticket) {
      const outs = pool.collect(ticket);
      const base = frame.body.byteOffset;
      providePrepared(frame.body, new Map(frame.zstd!.map(([offset], i) => [base + offset, outs[i]!])));
    }
    yield frame.body;
  }

  /** Each validated record batch as its metadata and its still-compressed body, for transcoding without decoding. */
  *rawBatches(): Generator<RawBatch> {
    for (const { header, body } of this.frames()) if (header && body) yield { header, body, stored: this.stored! };
  }

  /** Validate the whole file without decoding batches. */
  scan(): ScanSummary {
    for (const _ of this.messages()) { /* validation happens while iterating */ }
    return { rows: this.rows, batches: this.batches, completeBytes: this.completeBytes, ended: this.ended, torn: this.torn };
  }
}
