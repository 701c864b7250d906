// What SQL typed by the user or read from a notebook may do. Queries reach the recordings
// only: once the views exist, DuckDB's external access is switched off with exactly the
// Parquet files behind the views allowed (views are bound again at every query, so their
// files must stay readable), and its configuration is locked so no statement can switch it
// back. The files are named through directories flightrec holds open
// (/proc/self/fd/<fd>/...); DuckDB keeps each allowed path with its links resolved, and
// resolves a path again before it opens it; what it keeps allowed is checked to lie inside
// those directories. DuckDB lets a statement write any file it may read, so statements that
// write or bring in code (COPY, EXPORT, ATTACH, INSTALL/LOAD, and PREPARE/EXECUTE and
// EXPLAIN ANALYZE, which would run them) are refused before they run. `--allow-files`
// leaves DuckDB's file access as it is, for a user running their own SQL on their own
// files.
import { realpathSync } from 'node:fs';
import type { DuckDBConnection, StatementType as Statement } from '@duckdb/node-api';
import { duckdb } from './duckdb.js';

const { StatementType } = duckdb;
import { RecordingError } from '../format/errors.js';

/** What SQL may open besides the recordings: nothing, or every file the user can (`--allow-files`). */
export type FileAccess = 'recordings' | 'all';

export interface Grant {
  /** Files DuckDB reads for the views: cache entries, or the files of a fleet export, as /proc/self/fd/<dir fd>/... paths below `within`. */
  readonly read: readonly string[];
  /** The directories flightrec holds for the views (the recordings' caches, or a fleet export) as /proc/self/fd/<fd>. */
  readonly within: readonly string[];
  /** Files flightrec itself writes through DuckDB (a `-f parquet` output's temp file, as /proc/self/fd/<fd>). */
  readonly writeFiles: readonly string[];
  /** Directories flightrec itself writes below through DuckDB (an export's staging directory, likewise). */
  readonly writeDirs: readonly string[];
  /** The session's spill directory (spillTo), which DuckDB allows by itself. */
  readonly tempDir: string;
}

const str = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const list = (xs: readonly string[]): string => `[${xs.map(str).join(', ')}]`;

/** Settings every session's DuckDB is created with: no query fetches or loads an extension by itself. */
export const SESSION_SETTINGS: Readonly<Record<string, string>> = {
  autoinstall_known_extensions: 'false', autoload_known_extensions: 'false', allow_community_extensions: 'false',
};

/** Spills go to the session's own directory (DuckDB's default is `.tmp` in the current directory). */
export async function spillTo(con: DuckDBConnection, tempDir: string): Promise<void> {
  await con.run(`SET temp_directory = ${str(tempDir)}`);
}

/** Switches DuckDB's file access off but for the grant, and locks the configuration. */
export async function confine(con: DuckDBConnection, grant: Grant): Promise<void> {
  // A directory is allowed by DuckDB for what lies inside it; COPY ... PARTITION_BY opens the directory itself too.
  await con.run(`SET allowed_paths = ${list([...grant.read, ...grant.writeFiles, ...grant.writeDirs])}`);
  await con.run(`SET allowed_directories = ${list(grant.writeDirs)}`);
  await con.run('SET allow_persistent_secrets = false');
  await con.run('SET enable_external_access = false');
  await checkAllowed(con, grant);
  await con.run('SET lock_configuration = true');
}

/**
 * DuckDB keeps an allowed path with its links resolved as they are when it is allowed (and
 * resolves a path again before opening it, so a link put in place later leads nowhere).
 * A link put in place of a listed file before that would allow whatever it points to, so
 * every path DuckDB now allows must lie inside a directory held for the views, or be one of
 * flightrec's own outputs or its spill directory.
 */
async function checkAllowed(con: DuckDBConnection, grant: Grant): Promise<void> {
  const real = (p: string): string => realpathSync.native(p);
  const inside = grant.within.map((d) => `${real(d)}/`);
  const outputs = new Set([...grant.writeFiles, ...grant.writeDirs].map(real));
  const dirs = new Set([...grant.writeDirs, grant.tempDir].map((d) => `${real(d)}/`));
  const [paths, directories] = (await con.runAndReadAll("SELECT current_setting('allowed_paths'), current_setting('allowed_directories')")).getRowsJson()[0] as [string[], string[]];
  const stray = [...paths.filter((p) => !outputs.has(p) && !inside.some((d) => p.startsWith(d))), ...directories.filter((d) => !dirs.has(d))];
  if (stray.length > 0) {
    throw new RecordingError(`${stray[0]}: would be readable by the SQL, outside the recordings' caches and flightrec's outputs (a link put in place of a file while the session opened?): refused`);
  }
}

/** Statements that only read, compute, or change the in-memory session. */
const ALLOWED = new Set<Statement>([
  StatementType.SELECT, StatementType.INSERT, StatementType.UPDATE, StatementType.DELETE, StatementType.MERGE_INTO,
  StatementType.CREATE, StatementType.ALTER, StatementType.DROP, StatementType.CREATE_FUNC, StatementType.TRANSACTION,
  StatementType.ANALYZE, StatementType.VACUUM, StatementType.VARIABLE_SET, StatementType.SET, StatementType.PRAGMA,
  StatementType.CALL, StatementType.RELATION, StatementType.EXPLAIN,
]);

const WHAT: Partial<Record<Statement, string>> = {
  [StatementType.COPY]: 'COPY reads and writes files',
  [StatementType.EXPORT]: 'EXPORT DATABASE writes files',
  [StatementType.ATTACH]: 'ATTACH opens database files',
  [StatementType.DETACH]: 'DETACH changes the attached databases',
  [StatementType.COPY_DATABASE]: 'COPY FROM DATABASE writes database files',
  [StatementType.LOAD]: 'INSTALL and LOAD bring in extensions',
  [StatementType.EXTENSION]: 'extension statements bring in extensions',
  [StatementType.UPDATE_EXTENSIONS]: 'UPDATE EXTENSIONS fetches extensions',
  [StatementType.PREPARE]: 'PREPARE and EXECUTE can run any statement',
  [StatementType.EXECUTE]: 'PREPARE and EXECUTE can run any statement',
};

/** What to do instead, said after every refusal. */
export const INSTEAD = 'flightrec\'s SQL sees only the recordings: save a result with -o FILE, or give --allow-files to let the SQL use other files';

/** Refuses a statement of a confined session that could write, run or load something; `sql` is its text. */
export function checkStatement(type: Statement, sql: string): void {
  // EXPLAIN ANALYZE runs the statement it explains: refused when a keyword of a statement that writes or loads
  // appears anywhere in the text (a false alarm refuses a harmless query; nothing dangerous gets through).
  if (type === StatementType.EXPLAIN && /\banaly[sz]e\b/i.test(sql) && /\b(copy|export|import|attach|detach|install|load|prepare|execute|update)\b/i.test(sql)) {
    throw new SqlRefused(`EXPLAIN ANALYZE would run that statement, and ${INSTEAD}`);
  }
  if (ALLOWED.has(type)) return;
  throw new SqlRefused(`${WHAT[type] ?? `${StatementType[type] ?? 'this'} statements are not allowed`}, and ${INSTEAD}`);
}

/** A statement refused by the sandbox: one line saying what to do. */
export class SqlRefused extends RecordingError {
  constructor(message: string) {
    super(`SQL: ${message}`);
  }
}

/** DuckDB's own refusals of a confined session, with what to do added. */
export function withHint(message: string): string {
  return /disabled by configuration|disabled through configuration|configuration has been locked/.test(message) ? `${message} (${INSTEAD})` : message;
}
