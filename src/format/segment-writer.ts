// Writes one segment: a directory holding one Arrow IPC stream per table (table-sink.ts).
import { RecordBatch, type Schema } from 'apache-arrow';
import type { ConfinedDir } from './confined-dir.js';
import type { TableEntry } from './manifest.js';
import { schemaMismatch } from './stored-schema.js';
import { TableSink } from './table-sink.js';

export class SegmentWriter {
  private readonly tables = new Map<string, TableSink>();
  private readonly dir: ConfinedDir;

  /** Makes directory `name` in `segments` (one already there is refused) and writes into it. */
  constructor(segments: ConfinedDir, name: string, readonly openedAt: string) {
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
      w = new TableSink(this.dir.createFile(file), this.dir.display(file), file, schema);
      this.tables.set(table, w);
    }
    w.append(batch);
  }

  /** End every stream, fsync, and return the manifest entries of the tables. */
  seal(): Record<string, TableEntry> {
    const out: Record<string, TableEntry> = {};
    for (const [name, w] of [...this.tables].sort((a, b) => a[0].localeCompare(b[0]))) out[name] = w.end();
    this.dir.fsync();
    this.dir.close();
    return out;
  }
}
