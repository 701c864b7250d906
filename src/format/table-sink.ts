// One table file, written by the native sink (native/table_sink.h) on the calling thread: a
// batch is flattened here into its buffers (apache-arrow's own VectorAssembler, which handles
// slices, offsets and bools as Arrow's writer does) and encoded, compressed, written with one
// writev and hashed natively before append returns. So a crash loses at most the batch being
// written, and sealing does not re-read. Recordings are written through the same sink by the
// writer thread (batch-writer.ts); this is the sink alone, for its tests and benchmark.
import { DataType, RecordBatchStreamWriter, type RecordBatch, type Schema } from 'apache-arrow';
import { VectorAssembler } from 'apache-arrow/visitor/vectorassembler';
import { requireAddon } from '../native-addon.js';
import { compressionLevel } from './codec.js';
import type { TableEntry } from './manifest.js';

/** The IPC end-of-stream marker: continuation, then a zero metadata length (the native sink ends files with it). */
export const END_OF_STREAM = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

interface NativeTableSink {
  /** `nodes`: (length, null count) pairs; `level`: zstd level, or null for a plain (uncompressed) message. */
  append(rows: number, nodes: Float64Array, parts: readonly ArrayBufferView[], level: number | null): void;
  /** Its first and last ts: decimal text, null without a ts column or rows. */
  end(): { bytes: number; sha256: string; first_ts: string | null; last_ts: string | null };
  readonly bytes: number;
  readonly batches: number;
  readonly rows: number;
  readonly rawBytes: number;
}

interface NativeTableSinkClass {
  new (fd: number, path: string, schema: Uint8Array, tsPart: number): NativeTableSink;
  compressPart(dst: Uint8Array, src: Uint8Array, level: number | null): number;
}

const native = (): NativeTableSinkClass => (requireAddon() as { TableSink: NativeTableSinkClass }).TableSink;

/**
 * One buffer as the sink compresses a part of a batch (its libzstd, one reused context) into
 * `dst` (at least zstd's bound for `src`), or copies it when `level` is null: the bytes
 * written, without the sink's framing. For bench/levels.bench.ts.
 */
export function compressPart(dst: Uint8Array, src: Uint8Array, level: number | null): number {
  return native().compressPart(dst, src, level);
}

const schemaMessages = new WeakMap<Schema, Uint8Array>();

/** The schema's framed IPC message, as apache-arrow's stream writer writes it. */
export function schemaMessage(schema: Schema): Uint8Array {
  let m = schemaMessages.get(schema);
  if (!m) {
    // A writer reset to a schema writes the schema message alone; finish() adds the end marker.
    const bytes = new RecordBatchStreamWriter().reset(undefined, schema).finish().toUint8Array(true);
    m = bytes.slice(0, bytes.byteLength - END_OF_STREAM.length);
    schemaMessages.set(schema, m);
  }
  return m;
}

/** A batch's field nodes, as (length, null count) pairs, and its body buffers, in schema order. */
export function flatten(batch: RecordBatch): { nodes: Float64Array; parts: ArrayBufferView[] } {
  const { nodes, buffers } = VectorAssembler.assemble(batch);
  const pairs = new Float64Array(nodes.length * 2);
  nodes.forEach((n, i) => {
    pairs[2 * i] = n.length;
    pairs[2 * i + 1] = n.nullCount;
  });
  return { nodes: pairs, parts: buffers };
}

/** The body buffers a column of `type` has in a flattened batch (validity first; a list's child after its own). */
function bufferCount(type: DataType): number {
  if (DataType.isUtf8(type) || DataType.isBinary(type)) return 3;
  if (DataType.isList(type)) return 2 + bufferCount(type.children[0]!.type);
  return 2;
}

/** Which body buffer of a flattened batch of `schema` holds the ts column's values; -1 without one. */
export function tsPart(schema: Schema): number {
  let at = 0;
  for (const f of schema.fields) {
    if (f.name === 'ts') return at + 1;
    at += bufferCount(f.type);
  }
  return -1;
}

export class TableSink {
  private readonly sink: NativeTableSink;

  /** Takes over `fd`, a new empty file (`path` names it in errors), whose stream has `schema`. */
  constructor(fd: number, path: string, readonly file: string, schema: Schema) {
    const Native = native();
    this.sink = new Native(fd, path, schemaMessage(schema), tsPart(schema));
  }

  get bytes(): number {
    return this.sink.bytes;
  }

  get batches(): number {
    return this.sink.batches;
  }

  /** Writes `batch` (of the file's schema) as one message: ZSTD at `level`, or plain when null. */
  append(batch: RecordBatch, level: number | null = compressionLevel()): void {
    const { nodes, parts } = flatten(batch);
    this.sink.append(batch.numRows, nodes, parts, level);
  }

  /** Ends the stream, fsyncs and closes the file: its manifest entry. */
  end(): TableEntry {
    const { bytes, sha256, first_ts, last_ts } = this.sink.end();
    return {
      file: this.file, rows: this.sink.rows, batches: this.sink.batches,
      first_ts, last_ts, bytes, raw_bytes: this.sink.rawBytes, sha256,
    };
  }
}
