// Opens a recording directory for reading. The directory is held open and every file below
// it is reached without following links (confined-dir.ts). Before anything is read, the
// segment list on disk is checked against the manifest (damage.ts): a damaged recording is
// refused, or with `allowDamaged` read without what is damaged. Sealed segments are read as
// the manifest describes them (size checked before, SHA-256 checked as the bytes stream by);
// the segments after the last sealed one are a crash's unsealed tail, read up to their last
// complete batch.
import { closeSync } from 'node:fs';
import type { RecordBatch } from 'apache-arrow';
import { SCHEMAS } from '../schema/arrow.generated.js';
import { TABLE_NAMES, type TableName } from '../schema/tables.js';
import { ConfinedDir } from './confined-dir.js';
import { inspect, type Damage } from './damage.js';
import { RecordingError } from './errors.js';
import { readManifestIn, segmentDirName, type Manifest, type SegmentEntry } from './manifest.js';
import { mergeTables, type Run } from './merge.js';
import { TableFile, type RawBatch, type TornTail } from './table-file.js';

export interface SegmentRef {
  readonly index: number;
  /** The segment's directory name. */
  readonly name: string;
  /** Its path, for messages. */
  readonly path: string;
  /** The manifest entry; absent for an unsealed segment. */
  readonly entry: SegmentEntry | undefined;
}

export interface TornReport extends TornTail {
  readonly file: string;
}

export interface OpenOptions {
  /** Read a damaged recording without what is damaged instead of refusing it. */
  readonly allowDamaged?: boolean;
}

export class Recording {
  /** Torn tails met while reading unsealed segments. */
  readonly torn: TornReport[] = [];

  private constructor(
    readonly dir: string,
    private readonly root: ConfinedDir,
    readonly manifest: Manifest,
    /** manifest.json as read. */
    readonly manifestBytes: Buffer,
    /** What is wrong with the directory against the manifest (empty unless opened with allowDamaged). */
    readonly damage: readonly Damage[],
    private readonly unsealed: readonly number[],
  ) {}

  static open(dir: string, opts: OpenOptions = {}): Recording {
    let root: ConfinedDir;
    try {
      root = ConfinedDir.open(dir);
    } catch (err) {
      if (err instanceof RecordingError && err.reason === 'no such directory') throw new RecordingError('no such recording (ENOENT)', { file: dir, cause: err });
      if (err instanceof RecordingError && err.reason === 'is not a directory') throw new RecordingError('not a flightrec recording: a recording is a directory', { file: dir, cause: err });
      throw err;
    }
    try {
      const { manifest, bytes } = readManifestIn(root);
      const { damage, unsealed } = inspect(root, manifest);
      if (damage.length > 0 && !opts.allowDamaged) {
        const d = damage[0]!;
        throw new RecordingError(`${d.message}; run \`flightrec verify\`, or pass --allow-damaged to read what is intact`, { file: d.file });
      }
      return new Recording(dir, root, manifest, bytes, damage, unsealed);
    } catch (err) {
      root.close();
      throw err;
    }
  }

  /** Releases the directory; reading after this fails. */
  close(): void {
    this.root.close();
  }

  /** Whether a segment (or one table file of it) is left out of this damaged recording. */
  leftOut(seg: string, table?: TableName): boolean {
    return this.damage.some((d) => d.skip?.segment === seg && (d.skip.table === undefined || d.skip.table === table));
  }

  private ref(index: number, entry: SegmentEntry | undefined): SegmentRef {
    const name = segmentDirName(index);
    return { index, name, path: this.root.display(`segments/${name}`), entry };
  }

  /** Sealed segments in manifest order, then unsealed segment directories in index order; damaged ones left out. */
  segments(): SegmentRef[] {
    const sealed = this.manifest.segments.filter((e) => !this.leftOut(e.dir)).map((e) => this.ref(e.index, e));
    return [...sealed, ...this.unsealed.filter((i) => !this.leftOut(segmentDirName(i))).map((i) => this.ref(i, undefined))];
  }

  /** Indexes of the unsealed segments after the last sealed one. */
  unsealedIndexes(): number[] {
    return [...this.unsealed];
  }

  /** Tables with at least one file in any segment. */
  tables(): TableName[] {
    const found = new Set<string>();
    for (const s of this.segments()) {
      if (s.entry) {
        Object.keys(s.entry.tables).forEach((t) => found.add(t));
        continue;
      }
      const dir = this.segmentDir(s);
      try {
        for (const t of TABLE_NAMES) if (!this.leftOut(s.name, t) && dir.stat(`${t}.arrow`)?.isFile()) found.add(t);
      } finally {
        dir.close();
      }
    }
    return TABLE_NAMES.filter((t) => found.has(t));
  }

  /** A segment's directory, reached without following links; the caller closes it. */
  segmentDir(seg: SegmentRef): ConfinedDir {
    const segments = this.root.subdir('segments');
    try {
      return segments.subdir(seg.name);
    } finally {
      segments.close();
    }
  }

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

  /** Every record batch of one table, segment by segment. */
  *batches(table: TableName): Generator<RecordBatch> {
    for (const seg of this.segments()) yield* this.read(seg, table, (f) => f.recordBatches());
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
