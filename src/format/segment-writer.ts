// Writes one segment: a directory holding one Arrow IPC stream per table. Each batch is
// written with one write(2) as soon as it is appended, so a crash loses at most the batch
// being written; hashes are computed as the bytes go out, so sealing does not re-read.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fsyncSync, writeSync } from 'node:fs';
import { CompressionType, Message, RecordBatch, RecordBatchStreamWriter, type Schema } from 'apache-arrow';
import { registerZstd, takeEncodedBytes, zstdFrameContentSize } from './codec.js';
import type { ConfinedDir } from './confined-dir.js';
import type { TableEntry } from './manifest.js';
import { schemaMismatch } from './stored-schema.js';
import { TsRange } from './ts-range.js';

/** The IPC end-of-stream marker: continuation, then a zero metadata length. */
export const END_OF_STREAM = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/**
 * apache-arrow 21 writes the compressed length into each compressed buffer's 8-byte prefix,
 * where the Arrow format requires the uncompressed length (fixed upstream in arrow-js PR 470,
 * not yet released); other Arrow readers reject such files. Rewrite the prefixes in place.
 */
function fixLengthPrefixes(message: Uint8Array): void {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const metaLen = view.getInt32(4, true);
  const msg = Message.decode(message.subarray(8, 8 + metaLen));
  if (!msg.isRecordBatch()) return;
  const bodyStart = 8 + metaLen;
  for (const { offset, length } of msg.header().buffers) {
    if (length < 8) continue;
    const at = bodyStart + offset;
    if (view.getBigInt64(at, true) === -1n) continue;
    const frame = message.subarray(at + 8, at + length);
    view.setBigInt64(at, BigInt(zstdFrameContentSize(frame)), true);
  }
}

/** A batch as IPC stream bytes: [schema message, batch message]. */
function encode(batch: RecordBatch): { schema: Uint8Array; message: Uint8Array; rawBytes: number } {
  takeEncodedBytes();
  const bytes = RecordBatchStreamWriter.writeAll([batch], { compressionType: CompressionType.ZSTD }).toUint8Array(true);
  const rawBytes = takeEncodedBytes();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const schemaEnd = 8 + view.getInt32(4, true);
  const message = bytes.subarray(schemaEnd, bytes.byteLength - END_OF_STREAM.length);
  fixLengthPrefixes(message);
  return { schema: bytes.subarray(0, schemaEnd), message, rawBytes };
}

class TableFileWriter {
  private readonly fd: number;
  private readonly hash: Hash = createHash('sha256');
  rows = 0;
  batches = 0;
  bytes = 0;
  rawBytes = 0;
  readonly ts = new TsRange();
  private started = false;

  constructor(dir: ConfinedDir, readonly file: string) {
    this.fd = dir.createFile(file);
  }

  private put(buf: Uint8Array): void {
    let off = 0;
    while (off < buf.byteLength) off += writeSync(this.fd, buf, off, buf.byteLength - off);
    this.hash.update(buf);
    this.bytes += buf.byteLength;
  }

  append(batch: RecordBatch): void {
    const { schema, message, rawBytes } = encode(batch);
    // The schema goes out with the first batch, in the same write, so no file is ever schema-only.
    this.put(this.started ? message : Buffer.concat([schema, message]));
    this.started = true;
    this.rows += batch.numRows;
    this.batches++;
    this.rawBytes += rawBytes;
    this.ts.add(batch);
  }

  seal(): TableEntry {
    this.put(END_OF_STREAM);
    fsyncSync(this.fd);
    closeSync(this.fd);
    return {
      file: this.file, rows: this.rows, batches: this.batches,
      first_ts: this.ts.firstString, last_ts: this.ts.lastString,
      bytes: this.bytes, raw_bytes: this.rawBytes, sha256: this.hash.digest('hex'),
    };
  }
}

export class SegmentWriter {
  private readonly tables = new Map<string, TableFileWriter>();
  private readonly dir: ConfinedDir;

  /** Makes directory `name` in `segments` (one already there is refused) and writes into it. */
  constructor(segments: ConfinedDir, name: string, readonly openedAt: string) {
    registerZstd();
    this.dir = segments.mkdir(name);
  }

  /** Bytes written to this segment so far. */
  get bytes(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.bytes;
    return n;
  }

  /** The most batches any one table file of this segment holds. */
  get maxBatches(): number {
    let n = 0;
    for (const t of this.tables.values()) n = Math.max(n, t.batches);
    return n;
  }

  append(table: string, schema: Schema, batch: RecordBatch): void {
    const mismatch = batch.schema === schema ? undefined : schemaMismatch(batch.schema, schema);
    if (mismatch) throw new Error(`batch for table ${table} does not have the table's schema: ${mismatch}`);
    // The file's schema is the declaration's, metadata and all: its schema version is what readers go by.
    if (batch.schema !== schema) batch = new RecordBatch(schema, batch.data);
    let w = this.tables.get(table);
    if (!w) {
      const file = `${table}.arrow`;
      w = new TableFileWriter(this.dir, file);
      this.tables.set(table, w);
    }
    w.append(batch);
  }

  /** End every stream, fsync, and return the manifest entries of the tables. */
  seal(): Record<string, TableEntry> {
    const out: Record<string, TableEntry> = {};
    for (const [name, w] of [...this.tables].sort((a, b) => a[0].localeCompare(b[0]))) out[name] = w.seal();
    this.dir.fsync();
    this.dir.close();
    return out;
  }
}
