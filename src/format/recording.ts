// Reads a recording's tables; RecordingDir (recording-dir.ts) opens it and checks its segment
// list against the manifest. Sealed segments are read as the manifest describes them (size
// checked before, SHA-256 checked as the bytes stream by); the segments after the last sealed
// one are a crash's unsealed tail, read up to their last complete batch.
import { closeSync } from 'node:fs';
import type { RecordBatch } from 'apache-arrow';
import { SCHEMAS } from '../schema/arrow.generated.js';
import type { TableName } from '../schema/tables.js';
import { RecordingError } from './errors.js';
import { mergeTables, type Run } from './merge.js';
import { RecordingDir, type SegmentRef, type TornReport } from './recording-dir.js';
import { TableFile, type RawBatch } from './table-file.js';

export { RecordingDir, type OpenOptions, type SegmentRef, type TornReport } from './recording-dir.js';

export class Recording extends RecordingDir {
  /** Torn tails met while reading unsealed segments. */
  readonly torn: TornReport[] = [];

  /**
   * One table file of a segment opened as a TableFile (the caller closes it), or undefined
   * when the segment has none. A sealed file is opened for hashing (others when `hash`), its size checked.
   */
  tableFile(seg: SegmentRef, table: TableName, opts: { hash?: boolean } = {}): TableFile | undefined {
    if (this.leftOut(seg.name, table)) return undefined;
    if (seg.entry && !seg.entry.tables[table]) return undefined;
    const dir = this.segmentDir(seg);
    try {
      const name = `${table}.arrow`;
      const file = seg.entry ? dir.openFile(name) : dir.openFileIfExists(name);
      if (!file) return undefined;
      const entry = seg.entry?.tables[table];
      if (entry && file.size !== entry.bytes) {
        closeSync(file.fd);
        throw new RecordingError(`is ${file.size} bytes but the manifest says ${entry.bytes}: modified or truncated; run \`flightrec verify\``, { file: file.path });
      }
      return new TableFile(file.path, SCHEMAS[table], { file, hash: entry !== undefined || opts.hash === true });
    } finally {
      dir.close();
    }
  }

  /** Every record batch of one table, segment by segment (of all, or of those given). */
  *batches(table: TableName, segments: readonly SegmentRef[] = this.segments()): Generator<RecordBatch> {
    for (const seg of segments) yield* this.read(seg, table, (f) => f.recordBatches());
  }

  /**
   * The batches of one table file of a segment as IPC metadata and compressed bodies (for
   * transcoding), with how the file's columns map onto the declaration, checked as batches()
   * checks them; `done` gets the SHA-256 of the whole file as read (for a sealed file, the
   * one the manifest gives).
   */
  rawBatches(seg: SegmentRef, table: TableName, done?: (sha256: string) => void): Generator<RawBatch> {
    return this.read(seg, table, (f) => f.rawBatches(), done);
  }

  /** All tables (or the given ones) in the total order (ts, seq). */
  merged(tables: readonly TableName[] = this.tables()): Generator<Run> {
    return mergeTables(tables.map((table) => ({ table, batches: this.batches(table) })));
  }

  /**
   * What `take` reads from one table file of a segment. A sealed file is read as the
   * manifest describes it (size checked before, SHA-256 as the bytes stream by, no torn
   * tail); an unsealed one up to its last complete batch, its torn tail reported.
   */
  private *read<T>(seg: SegmentRef, table: TableName, take: (f: TableFile) => Iterable<T>, done?: (sha256: string) => void): Generator<T> {
    const f = this.tableFile(seg, table, { hash: done !== undefined });
    if (!f) return;
    try {
      yield* take(f);
      if (!seg.entry) {
        if (f.torn) this.torn.push({ file: f.path, ...f.torn });
        done?.(f.digest());
        return;
      }
      if (f.torn) throw new RecordingError(`sealed file ends in a torn message (${f.torn.reason})`, { file: f.path, offset: f.torn.offset });
      const sha256 = f.digest();
      if (sha256 !== seg.entry.tables[table]!.sha256) throw new RecordingError('does not match its SHA-256 in the manifest: modified after sealing; run `flightrec verify`', { file: f.path });
      done?.(sha256);
    } finally {
      f.close();
    }
  }
}
