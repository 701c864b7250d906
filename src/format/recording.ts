// Opens a recording directory for reading. Sealed segments are read as the manifest
// describes them (size checked before, SHA-256 checked as the bytes stream by); the
// segments after the last sealed one are a crash's unsealed tail, read up to their last
// complete batch.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import type { RecordBatch as RecordBatchHeader } from 'apache-arrow/ipc/metadata/message';
import { SCHEMAS } from '../schema/arrow.generated.js';
import { TABLE_NAMES, type TableName } from '../schema/tables.js';
import { RecordingError } from './errors.js';
import { readManifest, segmentDirName, type Manifest, type SegmentEntry } from './manifest.js';
import { mergeTables, type Run } from './merge.js';
import { TableFile, type TornTail } from './table-file.js';

export interface SegmentRef {
  readonly index: number;
  readonly path: string;
  /** The manifest entry; absent for an unsealed segment. */
  readonly entry: SegmentEntry | undefined;
}

export interface TornReport extends TornTail {
  readonly file: string;
}

export class Recording {
  /** Torn tails met while reading unsealed segments. */
  readonly torn: TornReport[] = [];

  private constructor(readonly dir: string, readonly manifest: Manifest) {}

  static open(dir: string): Recording {
    let st;
    try {
      st = statSync(dir);
    } catch (err) {
      throw new RecordingError(`no such recording (${(err as NodeJS.ErrnoException).code ?? err})`, { file: dir, cause: err });
    }
    if (!st.isDirectory()) throw new RecordingError('not a flightrec recording: a recording is a directory', { file: dir });
    return new Recording(dir, readManifest(dir));
  }

  /** Sealed segments in manifest order, then unsealed segment directories in index order. */
  segments(): SegmentRef[] {
    const sealed = this.manifest.segments.map((e) => ({ index: e.index, path: join(this.dir, 'segments', e.dir), entry: e }));
    const last = sealed.at(-1)?.index ?? 0;
    return [...sealed, ...this.unsealedIndexes().filter((i) => i > last).map((index) => ({ index, path: join(this.dir, 'segments', segmentDirName(index)), entry: undefined }))];
  }

  /** Indexes of segment directories on disk that the manifest does not list. */
  unsealedIndexes(): number[] {
    const listed = new Set(this.manifest.segments.map((s) => s.dir));
    let names: string[];
    try {
      names = readdirSync(join(this.dir, 'segments'));
    } catch {
      return [];
    }
    return names.filter((n) => /^\d{6}$/.test(n) && !listed.has(n)).map(Number).sort((a, b) => a - b);
  }

  /** Tables with at least one file in any segment. */
  tables(): TableName[] {
    const found = new Set<string>();
    for (const s of this.segments()) {
      if (s.entry) Object.keys(s.entry.tables).forEach((t) => found.add(t));
      else for (const t of TABLE_NAMES) if (fileExists(join(s.path, `${t}.arrow`))) found.add(t);
    }
    return TABLE_NAMES.filter((t) => found.has(t));
  }

  /** Every record batch of one table, segment by segment. */
  *batches(table: TableName): Generator<RecordBatch> {
    for (const seg of this.segments()) yield* this.read(seg, table, (f) => f.recordBatches());
  }

  /** The batches of one table file of a segment as IPC metadata and compressed bodies (for transcoding), checked as batches() checks them. */
  rawBatches(seg: SegmentRef, table: TableName): Generator<{ readonly header: RecordBatchHeader; readonly body: Buffer }> {
    return this.read(seg, table, (f) => f.rawBatches());
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
  private *read<T>(seg: SegmentRef, table: TableName, take: (f: TableFile) => Iterable<T>): Generator<T> {
    const path = join(seg.path, `${table}.arrow`);
    if (!seg.entry) {
      if (!fileExists(path)) return;
      const f = new TableFile(path, SCHEMAS[table]);
      try {
        yield* take(f);
      } finally {
        f.close();
      }
      if (f.torn) this.torn.push({ file: path, ...f.torn });
      return;
    }
    const entry = seg.entry.tables[table];
    if (!entry) return;
    const size = fileSize(path);
    if (size === undefined) throw new RecordingError('missing: the manifest lists it; run `flightrec verify`', { file: path });
    if (size !== entry.bytes) throw new RecordingError(`is ${size} bytes but the manifest says ${entry.bytes}: modified or truncated; run \`flightrec verify\``, { file: path });
    const f = new TableFile(path, SCHEMAS[table], { hash: true, size });
    try {
      yield* take(f);
      if (f.torn) throw new RecordingError(`sealed file ends in a torn message (${f.torn.reason})`, { file: path, offset: f.torn.offset });
      if (f.digest() !== entry.sha256) throw new RecordingError('does not match its SHA-256 in the manifest: modified after sealing; run `flightrec verify`', { file: path });
    } finally {
      f.close();
    }
  }
}

export function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

function fileExists(path: string): boolean {
  return fileSize(path) !== undefined;
}
