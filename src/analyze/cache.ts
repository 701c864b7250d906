// The query cache of a recording: each table file of each segment transcoded once to a
// Parquet file that DuckDB scans. It lives outside the recording, in
// $XDG_CACHE_HOME/flightrec/<recording id> (or where --cache says), so a query never writes
// into evidence and a read-only recording needs nothing else.
//
// The cache directory is held open and every entry is reached through it (confined-dir.ts):
// entries are written as temp files and renamed in, and DuckDB is given
// /proc/self/fd/<dir fd>/<entry>, a path with no glob characters that resolves in that
// directory only. An entry is served only after checking it (cache-entry.ts). A sealed
// segment's entry is named by the SHA-256 the manifest gives its file; unsealed segments (a
// recording still being written, or a crash's tail) are transcoded up to their last complete
// batch and redone when their file changes.
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfinedDir, isOrphanTemp } from '../format/confined-dir.js';
import { RecordingError } from '../format/errors.js';
import type { RecordingDir, SegmentRef } from '../format/recording-dir.js';
import { TABLE_NAMES, type TableName } from '../schema/tables.js';
import { servable } from './cache-entry.js';

export interface CacheProgress {
  /** Table files transcoded so far, of `total` that needed it. */
  readonly done: number;
  readonly total: number;
  readonly rows: number;
  readonly file: string;
}

export interface CacheOptions {
  /** Where the cache lives; default defaultCacheDir() of the recording's id. */
  readonly dir?: string;
  readonly onProgress?: (p: CacheProgress) => void;
}

export interface CachedRecording {
  /** The cache directory, held open while the files are queried. */
  readonly dir: ConfinedDir;
  /** Parquet files per table as DuckDB is to read them, in segment order; tables without rows are absent. */
  readonly files: ReadonlyMap<TableName, readonly string[]>;
  /** Table files transcoded by this call (0: everything came from the cache). */
  readonly built: number;
  readonly rows: number;
}

/** Where a recording's cache lives unless told: per user, keyed by the recording's (validated) id. */
export function defaultCacheDir(id: string): string {
  const xdg = process.env.XDG_CACHE_HOME;
  // The XDG spec has relative values ignored.
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(base, 'flightrec', id);
}

/** Opens (making it when missing) the cache directory; the last component is never followed. */
function openCacheDir(rec: RecordingDir, dir: string | undefined): ConfinedDir {
  const path = dir ?? defaultCacheDir(rec.manifest.id);
  try {
    const parent = ConfinedDir.open(dirname(resolve(path)), { create: true });
    try {
      return parent.subdir(basename(resolve(path)), { create: true });
    } finally {
      parent.close();
    }
  } catch (err) {
    const why = err instanceof RecordingError ? err.reason : (err as Error).message;
    throw new RecordingError(`cannot use it as the query cache (${why}): give another with --cache DIR`, { file: path, cause: err });
  }
}

const ENTRY = /^(\d{6}-[a-z]+-[0-9a-z]+)\.(parquet|json)$/;

/** Temp files of processes that are gone (killed while building), and entries the recording no longer has. */
function sweep(dir: ConfinedDir, used: ReadonlySet<string>): void {
  for (const f of dir.list()) {
    const entry = ENTRY.exec(f);
    if (isOrphanTemp(f) || (entry && !used.has(entry[1]!))) dir.unlink(f);
  }
}

/** Brings the cache up to date with the recording and returns its Parquet files per table. */
export async function buildCache(rec: RecordingDir, opts: CacheOptions = {}): Promise<CachedRecording> {
  const dir = openCacheDir(rec, opts.dir);
  try {
    return await fill(rec, dir, opts);
  } catch (err) {
    dir.close();
    const code = (err as RecordingError).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new RecordingError(`cannot write the query cache: ${(err as RecordingError).reason}; free some space, or put the cache elsewhere with --cache DIR`, { file: dir.path, cause: err });
    }
    throw err;
  }
}

async function fill(rec: RecordingDir, dir: ConfinedDir, opts: CacheOptions): Promise<CachedRecording> {
  const jobs: Array<{ seg: SegmentRef; table: TableName; name: string }> = [];
  for (const seg of rec.segments()) {
    for (const table of TABLE_NAMES) {
      if (rec.leftOut(seg.name, table)) continue;
      const entry = seg.entry?.tables[table];
      if (seg.entry && !entry) continue;
      jobs.push({ seg, table, name: `${seg.name}-${table}-${entry ? entry.sha256.slice(0, 32) : 'unsealed'}` });
    }
  }
  sweep(dir, new Set(jobs.map((j) => j.name)));

  const sourceStat = (seg: SegmentRef, table: TableName) => {
    const d = rec.segmentDir(seg);
    try {
      return d.stat(`${table}.arrow`);
    } finally {
      d.close();
    }
  };
  const rowsOf = new Map<string, number>();
  const stale: typeof jobs = [];
  for (const j of jobs) {
    const st = sourceStat(j.seg, j.table);
    if (!j.seg.entry && st === undefined) continue; // an unsealed segment without this table
    const meta = servable(dir, j.name, st, j.seg.entry?.tables[j.table]?.sha256);
    if (meta) rowsOf.set(j.name, meta.rows);
    else stale.push(j);
  }
  let done = 0;
  let rows = 0;
  // Only what is stale is read: the reader (and Arrow) loads then, on the recording opened again to read its tables.
  const build = stale.length > 0 ? await import('./cache-build.js') : undefined;
  const reading = build?.Recording.open(rec.dir, { allowDamaged: rec.damage.length > 0 });
  try {
    for (const j of stale) {
      const n = build!.transcode(reading!, j.seg, j.table, dir, j.name);
      rowsOf.set(j.name, n);
      rows += n;
      opts.onProgress?.({ done: ++done, total: stale.length, rows, file: join(j.seg.path, `${j.table}.arrow`) });
    }
  } finally {
    reading?.close();
  }
  const files = new Map<TableName, string[]>();
  for (const j of jobs) {
    if ((rowsOf.get(j.name) ?? 0) === 0) continue;
    const list = files.get(j.table) ?? [];
    list.push(`/proc/self/fd/${dir.fd}/${j.name}.parquet`);
    files.set(j.table, list);
  }
  return { dir, files, built: stale.length, rows };
}
