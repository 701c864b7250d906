// A recording directory opened for what its manifest and directory listing tell, without
// reading a table file: the directory is held open and every file below it is reached without
// following links (confined-dir.ts), and the segment list on disk is checked against the manifest
// (damage.ts) first: a damaged recording is refused, or with `allowDamaged` opened without what is
// damaged. Recording (recording.ts) adds the reading of tables; this part loads no Arrow, so
// `verify` and `info` of a sealed recording start without it.
import { TABLE_NAMES, type TableName } from '../schema/tables.js';
import { ConfinedDir } from './confined-dir.js';
import { inspect, type Damage } from './damage.js';
import { RecordingError } from './errors.js';
import { isPruned, readManifestIn, segmentDirName, type Manifest, type SegmentEntry } from './manifest.js';
import type { TornTail } from './table-file.js';

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

export class RecordingDir {
  /** Use open(). */
  constructor(
    readonly dir: string,
    protected readonly root: ConfinedDir,
    readonly manifest: Manifest,
    /** manifest.json as read. */
    readonly manifestBytes: Buffer,
    /** What is wrong with the directory against the manifest (empty unless opened with allowDamaged). */
    readonly damage: readonly Damage[],
    private readonly unsealed: readonly number[],
  ) {}

  /** Opens `dir` as this class (RecordingDir, or Recording to read its tables). */
  static open<T extends RecordingDir>(this: new (...args: ConstructorParameters<typeof RecordingDir>) => T, dir: string, opts: OpenOptions = {}): T {
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
      return new this(dir, root, manifest, bytes, damage, unsealed);
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

  /**
   * Sealed segments in manifest order, then unsealed segment directories in index order; pruned
   * and damaged ones left out (what a crash left of a pruned one is never read).
   */
  segments(): SegmentRef[] {
    const sealed = this.manifest.segments.filter((e) => !isPruned(e) && !this.leftOut(e.dir)).map((e) => this.ref(e.index, e));
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

  /** The `segments` directory, reached without following links; the caller closes it. */
  segmentsDir(): ConfinedDir {
    return this.root.subdir('segments');
  }

  /** A segment's directory, reached without following links; the caller closes it. */
  segmentDir(seg: SegmentRef): ConfinedDir {
    const segments = this.segmentsDir();
    try {
      return segments.subdir(seg.name);
    } finally {
      segments.close();
    }
  }
}
