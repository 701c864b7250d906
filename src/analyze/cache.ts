// The query cache of a recording: each table file of each segment transcoded once to a
// Parquet file that DuckDB scans. A sealed segment's entry is named by the SHA-256 the
// manifest gives its file, so a segment sealed again with other bytes gets a new entry; an
// entry also remembers the identity of the file it came from (size, inode, mtime, ctime),
// and a file whose identity changed is transcoded again before its entry is served: a file
// modified after sealing is refused (the recording's reader checks it while transcoding),
// never served stale. Unsealed segments (a recording
// still being written, or a crash's tail) are transcoded up to their last complete batch
// and redone when their file grows.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, type BigIntStats } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { RecordingError } from '../format/errors.js';
import type { Recording, SegmentRef } from '../format/recording.js';
import { SCHEMAS } from '../schema/arrow.generated.js';
import { TABLE_NAMES, type TableName } from '../schema/tables.js';
import { ParquetWriter } from './parquet.js';

/** Bumped when the transcoding changes, so old entries are not read as new ones. */
const CACHE_VERSION = 1;

export interface CacheProgress {
  /** Table files transcoded so far, of `total` that needed it. */
  readonly done: number;
  readonly total: number;
  readonly rows: number;
  readonly file: string;
}

export interface CacheOptions {
  /** Where the cache lives; default `<recording>/cache`, or a per-user directory when the recording is read-only. */
  readonly dir?: string;
  readonly onProgress?: (p: CacheProgress) => void;
}

export interface CachedRecording {
  readonly dir: string;
  /** Parquet files per table, in segment order; tables without rows are absent. */
  readonly files: ReadonlyMap<TableName, readonly string[]>;
  /** Table files transcoded by this call (0: everything came from the cache). */
  readonly built: number;
  readonly rows: number;
}

/** What an entry remembers about the file it was made from. */
interface Identity {
  readonly size: string;
  readonly ino: string;
  readonly mtimeNs: string;
  readonly ctimeNs: string;
}

interface EntryMeta {
  readonly version: number;
  readonly source: string;
  readonly sha256: string | null;
  readonly identity: Identity;
  readonly rows: number;
}

/** A file's identity now; undefined when it is not there. */
function identityOf(path: string): Identity | undefined {
  let st: BigIntStats;
  try {
    st = statSync(path, { bigint: true });
  } catch {
    return undefined;
  }
  return { size: String(st.size), ino: String(st.ino), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs) };
}

const sameIdentity = (a: Identity, b: Identity): boolean =>
  a.size === b.size && a.ino === b.ino && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;

/** The cache directory of a recording: beside its segments if writable, else per user. */
export function cacheDir(rec: Recording, dir?: string): string {
  const want = dir ?? join(rec.dir, 'cache');
  try {
    mkdirSync(want, { recursive: true, mode: 0o700 });
    const probe = join(want, `.probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
    return want;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (dir !== undefined || !['EACCES', 'EROFS', 'EPERM'].includes(code ?? '')) {
      throw new RecordingError(`cannot use the query cache directory (${code ?? err}): give a writable one with --cache DIR`, { file: want, cause: err });
    }
  }
  // A recording on a read-only medium: a cache per user, keyed by the recording's id.
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return cacheDir(rec, join(base, 'flightrec', rec.manifest.id));
}

/** Brings the cache up to date with the recording and returns its Parquet files per table. */
export function buildCache(rec: Recording, opts: CacheOptions = {}): CachedRecording {
  const dir = cacheDir(rec, opts.dir);
  const jobs: Array<{ seg: SegmentRef; table: TableName; source: string; name: string }> = [];
  for (const seg of rec.segments()) {
    for (const table of TABLE_NAMES) {
      const entry = seg.entry?.tables[table];
      const source = join(seg.path, `${table}.arrow`);
      if (seg.entry ? !entry : identityOf(source) === undefined) continue;
      jobs.push({ seg, table, source, name: `${basename(seg.path)}-${table}-${entry ? entry.sha256.slice(0, 32) : 'unsealed'}` });
    }
  }

  const files = new Map<TableName, string[]>();
  const stale = jobs.filter((j) => !fresh(dir, j.name, j.source));
  let done = 0;
  let rows = 0;
  for (const j of jobs) {
    if (stale.includes(j)) {
      const n = transcode(rec, j.seg, j.table, dir, j.name);
      rows += n;
      opts.onProgress?.({ done: ++done, total: stale.length, rows, file: j.source });
    }
    const meta = readMeta(dir, j.name);
    if (meta && meta.rows > 0) {
      const list = files.get(j.table) ?? [];
      list.push(join(dir, `${j.name}.parquet`));
      files.set(j.table, list);
    }
  }
  removeUnused(dir, new Set(jobs.map((j) => j.name)));
  return { dir, files, built: stale.length, rows };
}

function readMeta(dir: string, name: string): EntryMeta | undefined {
  try {
    const meta = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as EntryMeta;
    return meta.version === CACHE_VERSION ? meta : undefined;
  } catch {
    return undefined;
  }
}

function writeMeta(dir: string, name: string, meta: EntryMeta): void {
  const tmp = join(dir, `.${name}.json.${process.pid}`);
  writeFileSync(tmp, JSON.stringify(meta), { mode: 0o600 });
  renameSync(tmp, join(dir, `${name}.json`));
}

/** Whether an entry can be served as it is: its source is the very file it was made from. */
function fresh(dir: string, name: string, source: string): boolean {
  const meta = readMeta(dir, name);
  const identity = identityOf(source);
  return meta !== undefined && identity !== undefined && sameIdentity(identity, meta.identity) && identityOf(join(dir, `${name}.parquet`)) !== undefined;
}

/** Transcodes one table file into the cache, through the recording's checked reader (a sealed file must hash to what the manifest says). */
function transcode(rec: Recording, seg: SegmentRef, table: TableName, dir: string, name: string): number {
  const source = join(seg.path, `${table}.arrow`);
  const identity = identityOf(source); // before reading: a change while reading shows next time
  const sha256 = seg.entry?.tables[table]?.sha256 ?? null;
  const tmp = join(dir, `.${name}.parquet.${process.pid}`);
  const writer = new ParquetWriter(tmp, SCHEMAS[table], { 'flightrec.table': table, 'flightrec.source': source, 'flightrec.sha256': sha256 ?? '' });
  let rows: number;
  try {
    for (const { header, body } of rec.rawBatches(seg, table)) writer.writeBatch(header, body, source);
    rows = writer.close();
  } catch (err) {
    writer.abandon();
    rmSync(tmp, { force: true });
    throw err;
  }
  if (identity === undefined) throw new RecordingError('disappeared while it was read', { file: source });
  renameSync(tmp, join(dir, `${name}.parquet`));
  writeMeta(dir, name, { version: CACHE_VERSION, source, sha256, identity, rows });
  return rows;
}

/** Entries of segments or hashes the recording no longer has. */
function removeUnused(dir: string, used: ReadonlySet<string>): void {
  for (const f of readdirSync(dir)) {
    const m = /^(\d{6}-[a-z]+-[0-9a-z]+)\.(parquet|json)$/.exec(f);
    if (m && !used.has(m[1]!)) rmSync(join(dir, f), { force: true });
  }
}
