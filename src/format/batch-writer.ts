// The write path of a recording, on its own thread (native/writer.h): segments opened and sealed
// and batches appended here are queued, in order, and encoded, compressed, hashed and written
// there, so the JavaScript thread only flattens a batch and copies its buffers. The recorder's
// consumer thread queues its batches to the same writer (session.ts), straight from the kernel's
// records; one queue keeps every producer's batches of a file in the order given.
import type { RecordBatch } from 'apache-arrow';
import { requireAddon } from '../native-addon.js';
import { SCHEMAS } from '../schema/arrow.generated.js';
import type { TableName } from '../schema/tables.js';
import type { ConfinedDir } from './confined-dir.js';
import { MAX_BATCHES_PER_FILE } from './limits.js';
import type { TableEntry } from './manifest.js';
import { flatten, schemaMessage, tsPart } from './table-sink.js';

/** A segment the writer thread has sealed: each table file's manifest entry. */
export interface SealedSegment {
  readonly name: string;
  readonly tables: Record<string, TableEntry>;
}

export interface WriterStats {
  /** Bytes written to segments whose entries are not taken yet, the open one included. */
  readonly unsealedBytes: number;
  /** Bytes written to the open segment. */
  readonly openBytes: number;
  /** The most batches a file of the open segment has, written or queued. */
  readonly openMaxBatches: number;
  /** Bytes of batches waiting to be written. */
  readonly queuedBytes: number;
  /** Rows given after a write failed, not written. */
  readonly rowsNotWritten: number;
}

/** The addon's Writer (native/writer_js.cc). */
export interface NativeWriter {
  open(dirFd: number, name: string, display: string): void;
  append(table: string, rows: number, nodes: Float64Array, parts: readonly ArrayBufferView[], level: number | null): void;
  seal(): void;
  drain(): void;
  takeSealed(): SealedSegment[];
  check(): void;
  stats(): WriterStats;
  close(): void;
}

/** What JavaScript producers other than the recorder may have queued: they wait for each batch anyway. */
const QUEUE_BYTES = 64 * 1024 * 1024;

export class BatchWriter {
  readonly native: NativeWriter;

  /** `queueBytes`: batches queued and not yet written, at most; a producer waits for room beyond it. */
  constructor(queueBytes = QUEUE_BYTES) {
    const { Writer } = requireAddon() as { Writer: new (o: object) => NativeWriter };
    const tables = Object.fromEntries(Object.entries(SCHEMAS).map(([name, schema]) => [name, { schema: schemaMessage(schema), tsPart: tsPart(schema) }]));
    this.native = new Writer({ tables, maxBatchesPerFile: MAX_BATCHES_PER_FILE, budgetBytes: queueBytes });
  }

  /** Batches from now on go to a new segment named `name`, in `dir` (new and empty; the caller still closes it). */
  open(dir: ConfinedDir, name: string): void {
    this.native.open(dir.fd, name, dir.path);
  }

  /** Queues `batch` (of the table's declared schema): ZSTD at `level`, or plain when null. */
  append(table: TableName, batch: RecordBatch, level: number | null): void {
    const { nodes, parts } = flatten(batch);
    this.native.append(table, batch.numRows, nodes, parts, level);
  }

  /** The open segment is sealed once what was queued before is written (see takeSealed). */
  seal(): void {
    this.native.seal();
  }

  /** Waits for everything queued so far to be written. */
  drain(): void {
    this.native.drain();
  }

  /** Segments sealed since the last call, in order. */
  takeSealed(): SealedSegment[] {
    return this.native.takeSealed();
  }

  /** Throws the write failure, if one happened (its errno's name as `code`). */
  check(): void {
    this.native.check();
  }

  stats(): WriterStats {
    return this.native.stats();
  }

  /** Ends the thread once its queue is done. */
  close(): void {
    this.native.close();
  }
}
