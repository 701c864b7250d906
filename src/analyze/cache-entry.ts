// One entry of the query cache: `<name>.parquet` and `<name>.json`, which says what the
// Parquet file was made from (the source file's path, identity and SHA-256) and what it
// must be (its own size and SHA-256, recorded when it was written). An entry is served only
// when its source is still the very file it was made from and the Parquet file still
// hashes to what was recorded; anything else (a forged or damaged file, an entry of another
// version or made under other table declarations) is built again.
import { closeSync, type Stats } from 'node:fs';
import { ConfinedDir } from '../format/confined-dir.js';
import { RecordingError } from '../format/errors.js';
import { sha256Of } from '../format/hash.js';
import { SCHEMA_VERSION } from '../schema/tables.js';

/**
 * Bumped when the transcoding or the entry changes, so old entries are not read as new ones.
 * 3: entries have the declared columns of their schema version (`schema_version`), those a
 * file lacks as nulls. 4: min/max statistics and dictionary-encoded strings, which DuckDB
 * trusts for skipping row groups: an older entry has none and would be scanned whole.
 */
export const CACHE_VERSION = 4;

/** What an entry remembers about the file it was made from. */
export interface Identity {
  readonly dev: string;
  readonly ino: string;
  readonly size: string;
  readonly mtimeMs: string;
  readonly ctimeMs: string;
}

export interface EntryMeta {
  readonly version: number;
  /** The table declarations' version the entry's columns are: a newer one adds columns the views read. */
  readonly schema_version: number;
  readonly source: string;
  readonly source_identity: Identity;
  readonly source_sha256: string;
  readonly rows: number;
  readonly parquet_bytes: number;
  readonly parquet_sha256: string;
}

export function identityOf(st: Stats): Identity {
  return { dev: String(st.dev), ino: String(st.ino), size: String(st.size), mtimeMs: String(st.mtimeMs), ctimeMs: String(st.ctimeMs) };
}

const sameIdentity = (a: Identity, b: Identity): boolean =>
  a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

const isHash = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

export function readMeta(dir: ConfinedDir, name: string): EntryMeta | undefined {
  try {
    const m = JSON.parse(dir.readFile(`${name}.json`, 64 * 1024).toString('utf8')) as EntryMeta;
    const ok = m.version === CACHE_VERSION && m.schema_version === SCHEMA_VERSION && isHash(m.source_sha256) && isHash(m.parquet_sha256)
      && Number.isSafeInteger(m.rows) && Number.isSafeInteger(m.parquet_bytes) && typeof m.source_identity === 'object' && m.source_identity !== null;
    return ok ? m : undefined;
  } catch (err) {
    if (err instanceof RecordingError || err instanceof SyntaxError) return undefined; // missing, not a file, not JSON: build again
    throw err;
  }
}

export function writeMeta(dir: ConfinedDir, name: string, meta: EntryMeta): void {
  dir.replaceFile(`${name}.json`, JSON.stringify(meta));
}

/**
 * The entry's rows when it can be served as it is: its source has the identity (and, when
 * sealed, the SHA-256) it was made from, and the Parquet file hashes to what was recorded.
 */
export function servable(dir: ConfinedDir, name: string, source: Stats | undefined, sha256: string | undefined): EntryMeta | undefined {
  const meta = readMeta(dir, name);
  if (!meta || !source || !sameIdentity(identityOf(source), meta.source_identity)) return undefined;
  if (sha256 !== undefined && meta.source_sha256 !== sha256) return undefined;
  let file;
  try {
    file = dir.openFile(`${name}.parquet`);
  } catch (err) {
    if (err instanceof RecordingError) return undefined;
    throw err;
  }
  try {
    return file.size === meta.parquet_bytes && sha256Of(file) === meta.parquet_sha256 ? meta : undefined;
  } finally {
    closeSync(file.fd);
  }
}
