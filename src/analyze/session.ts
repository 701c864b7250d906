// A DuckDB session over recordings: per-table views over their Parquet caches (or over an
// exported fleet directory), the derived views, and the macros. Queries run in an embedded,
// in-memory DuckDB; nothing is copied into it.
import { readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { DuckDBConnection, DuckDBInstance, type DuckDBPreparedStatement, type DuckDBResultReader } from '@duckdb/node-api';
import { ConfinedDir } from '../format/confined-dir.js';
import { RecordingError, UsageError } from '../format/errors.js';
import { wallOffset } from '../format/host.js';
import { Recording } from '../format/recording.js';
import { maxTs, minTs } from '../format/summary.js';
import { MACRO_DDL, RAW_COLUMNS, VIEW_DDL } from '../schema/sql.generated.js';
import { SYSCALL_NAMES } from '../schema/syscalls.generated.js';
import { TABLES, TABLE_NAMES, type TableName } from '../schema/tables.js';
import { buildCache, type CacheProgress, type CachedRecording } from './cache.js';
import { DERIVED_MACROS, DERIVED_VIEWS, META_COLUMNS } from './views.js';

/** A SQL string literal. */
export const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** A recording opened for querying. */
export interface Source {
  readonly rec: Recording;
  /** The value of the `recording` column for its rows. */
  readonly name: string;
  readonly cached: CachedRecording;
}

export interface OpenOptions {
  /** Cache directory (one recording only), default beside the recording. */
  readonly cache?: string;
  /** Read damaged recordings without what is damaged (see Recording.open). */
  readonly allowDamaged?: boolean;
  readonly onProgress?: (p: CacheProgress & { recording: string }) => void;
}

/** Names for the `recording` column: the directory's name, or its path where two names clash. */
function recordingNames(dirs: readonly string[]): string[] {
  const names = dirs.map((d) => basename(resolve(d)));
  return names.map((n, i) => (names.indexOf(n) === names.lastIndexOf(n) ? n : resolve(dirs[i]!)));
}

/** Column names of a table's view, in order. */
export function viewColumns(table: TableName): string[] {
  return [...TABLES.find((t) => t.name === table)!.columns.map((c) => c.name), 'time', 'recording', 'host'];
}

/** A SQL identifier. */
export const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export class Analysis {
  /** Directories DuckDB reads through /proc/self/fd paths: open until close(). */
  private readonly held: ConfinedDir[] = [];

  private constructor(private readonly instance: DuckDBInstance, readonly con: DuckDBConnection, readonly sources: readonly Source[]) {
    for (const s of sources) this.held.push(s.cached.dir);
  }

  /** Opens recordings, bringing their caches up to date first. */
  static async open(dirs: readonly string[], opts: OpenOptions = {}): Promise<Analysis> {
    if (dirs.length === 0) throw new UsageError('give at least one recording');
    if (opts.cache !== undefined && dirs.length > 1) throw new UsageError('--cache names the cache of one recording; query several recordings without it');
    const names = recordingNames(dirs);
    const sources: Source[] = [];
    try {
      for (const [i, dir] of dirs.entries()) {
        const rec = Recording.open(dir, { allowDamaged: opts.allowDamaged === true });
        const name = names[i]!;
        try {
          const cached = buildCache(rec, { ...(opts.cache !== undefined ? { dir: opts.cache } : {}), ...(opts.onProgress ? { onProgress: (p) => opts.onProgress!({ ...p, recording: name }) } : {}) });
          sources.push({ rec, name, cached });
        } catch (err) {
          rec.close();
          throw err;
        }
      }
      const a = await Analysis.connect(sources);
      await a.defineRecordings(sources);
      return a;
    } catch (err) {
      for (const s of sources) {
        s.rec.close();
        s.cached.dir.close();
      }
      throw err;
    }
  }

  /**
   * Opens a directory written by `flightrec export --parquet`. Its path is taken literally:
   * DuckDB globs below /proc/self/fd/<fd of the directory>, so a `*` in the user's path
   * pulls in nothing else.
   */
  static async openFleet(dir: string): Promise<Analysis> {
    const fleet = ConfinedDir.open(dir);
    const base = `/proc/self/fd/${fleet.fd}`;
    let a: Analysis | undefined;
    try {
      const tables = new Set<string>();
      for (const h of readdirSync(base).filter((x) => x.startsWith('host='))) {
        for (const d of readdirSync(join(base, h))) for (const t of readdirSync(join(base, h, d))) tables.add(t.replace(/^table=/, ''));
      }
      if (!tables.has('recordings')) throw new RecordingError('not a flightrec export: no host=*/date=*/table=recordings/ inside; write one with `flightrec export --parquet`', { file: dir });
      a = await Analysis.connect([]);
      a.held.push(fleet);
      await a.defineFleet(base, tables);
      return a;
    } catch (err) {
      if (a) a.close();
      else fleet.close();
      if (err instanceof RecordingError || err instanceof UsageError) throw err;
      throw new RecordingError(`cannot read the fleet directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file: dir, cause: err });
    }
  }

  private async defineFleet(base: string, tables: ReadonlySet<string>): Promise<void> {
    const glob = (t: string): string => lit(join(base, 'host=*', 'date=*', `table=${t}`, '*.parquet'));
    const hive = `hive_partitioning = true, hive_types = {'host': VARCHAR, 'date': DATE, 'table': VARCHAR}`;
    await this.con.run(`CREATE TABLE recordings AS SELECT ${RECORDINGS_COLUMNS.map(ident).join(', ')} FROM read_parquet(${glob('recordings')}, ${hive})`);
    for (const t of TABLE_NAMES) {
      if (tables.has(t)) await this.con.run(`CREATE VIEW main.${t} AS SELECT ${viewColumns(t).map(ident).join(', ')} FROM read_parquet(${glob(t)}, ${hive})`);
      else await this.emptyTable(t);
    }
    await this.con.run(`CREATE MACRO wall(ts) AS error('wall(ts) needs a single recording: use the time column')`);
    await this.defineDerived();
  }

  private static async connect(sources: readonly Source[]): Promise<Analysis> {
    const instance = await DuckDBInstance.create(':memory:');
    const con = await instance.connect();
    const a = new Analysis(instance, con, sources);
    await con.run('CREATE SCHEMA raw');
    for (const sql of MACRO_DDL) await con.run(sql);
    await con.run(`CREATE TABLE syscall_names (${META_COLUMNS.syscall_names})`);
    const names = Object.entries(SYSCALL_NAMES).flatMap(([arch, t]) => Object.entries(t).map(([nr, name]) => `(${lit(arch)}, ${nr}, ${lit(name)})`));
    await con.run(`INSERT INTO syscall_names VALUES ${names.join(', ')}`);
    return a;
  }

  private async defineRecordings(sources: readonly Source[]): Promise<void> {
    await this.con.run(`CREATE TABLE recordings (${META_COLUMNS.recordings})`);
    for (const s of sources) {
      const m = s.rec.manifest;
      const sealed = m.segments.flatMap((seg) => Object.values(seg.tables));
      const first = sealed.reduce<string | null>((a, t) => minTs(a, t.first_ts), null);
      const last = sealed.reduce<string | null>((a, t) => maxTs(a, t.last_ts), null);
      await this.con.run(`INSERT INTO recordings VALUES (${[
        lit(s.name), lit(m.host.hostname), lit(m.id), lit(m.host.arch), lit(m.host.kernel_release), lit(m.host.boot_id),
        `[${m.command_line.map(lit).join(', ')}]::VARCHAR[]`, lit(JSON.stringify(m.targets)), lit(m.recorder_version),
        lit(m.created_at), m.closed_at === null ? 'NULL' : lit(m.closed_at), String(wallOffset(s.rec.manifest.clock)), String(m.segments.length),
        first ?? 'NULL', last ?? 'NULL', String(m.writer_pid),
      ].join(', ')})`);
    }
    for (const t of TABLE_NAMES) {
      const parts = sources.filter((s) => s.cached.files.has(t)).map((s) =>
        `SELECT *, ${wallOffset(s.rec.manifest.clock)}::BIGINT AS wall_offset_ns, ${lit(s.name)} AS recording, ${lit(s.rec.manifest.host.hostname)} AS host ` +
        `FROM read_parquet([${s.cached.files.get(t)!.map(lit).join(', ')}])`);
      if (parts.length === 0) await this.emptyTable(t);
      else {
        await this.con.run(`CREATE VIEW raw.${t} AS ${parts.join(' UNION ALL ')}`);
        await this.con.run(VIEW_DDL[t]);
      }
    }
    const clocks = new Set(sources.map((s) => wallOffset(s.rec.manifest.clock)));
    await this.con.run(clocks.size === 1
      ? `CREATE MACRO wall(ts) AS make_timestamp_ns(ts::BIGINT + ${[...clocks][0]})`
      : `CREATE MACRO wall(ts) AS error('wall(ts) needs a single recording: use the time column')`);
    await this.defineDerived();
  }

  /** A table no source has rows of: an empty view with the same columns. */
  private async emptyTable(t: TableName): Promise<void> {
    await this.con.run(`CREATE TABLE raw.empty_${t} (${RAW_COLUMNS[t]}, wall_offset_ns BIGINT, recording VARCHAR, host VARCHAR)`);
    await this.con.run(`CREATE VIEW raw.${t} AS SELECT * FROM raw.empty_${t}`);
    await this.con.run(VIEW_DDL[t]);
  }

  /**
   * `syscall_name(recording, nr)`: the name of a syscall number on the architecture of the
   * recording a row comes from, as a lookup in a constant list (a join on 50M rows costs
   * more than the rest of most queries).
   */
  private async defineSyscallName(): Promise<void> {
    const rows = (await this.query('SELECT DISTINCT recording, arch FROM recordings ORDER BY recording')).getRowsJson() as string[][];
    const byArch = new Map<string, string[]>();
    for (const [recording, arch] of rows) byArch.set(arch!, [...(byArch.get(arch!) ?? []), recording!]);
    const lookup = (arch: string): string => {
      const table = (SYSCALL_NAMES as Record<string, Record<number, string>>)[arch] ?? {};
      const max = Math.max(-1, ...Object.keys(table).map(Number));
      return `[${Array.from({ length: max + 1 }, (_, i) => (table[i] === undefined ? 'NULL' : lit(table[i]))).join(', ')}][nr + 1]`;
    };
    const arches = [...byArch.keys()];
    const name = arches.length <= 1 ? lookup(arches[0] ?? 'x86_64')
      : `CASE ${arches.map((a) => `WHEN recording IN (${byArch.get(a)!.map(lit).join(', ')}) THEN ${lookup(a)}`).join(' ')} END`;
    await this.run(`CREATE MACRO syscall_name(recording, nr) AS coalesce(${name}, 'syscall_' || nr)`);
  }

  private async defineDerived(): Promise<void> {
    await this.defineSyscallName();
    for (const [name, , sql] of DERIVED_VIEWS) await this.con.run(`CREATE VIEW ${name} AS ${sql}`);
    for (const sql of DERIVED_MACROS) await this.con.run(sql);
  }

  /** Runs the statements of a SQL text; the result is the last one's. DuckDB's errors become one-line SQL errors. */
  async query(sql: string): Promise<DuckDBResultReader> {
    return sqlErrors(async () => (await this.runLeading(sql)).runAndReadAll());
  }

  /** Runs all statements but the last and returns the last one's text (for `COPY (...) TO`). */
  async runAllButLast(sql: string): Promise<string> {
    const texts = splitStatements(sql);
    await sqlErrors(() => this.runLeading(sql, (count) => {
      if (texts.length !== count) throw new UsageError('cannot tell where the last statement starts: give this output format one query');
    }));
    return texts.at(-1)!;
  }

  /** Runs one statement of ours (not the user's); errors are SQL errors too. */
  async run(sql: string): Promise<void> {
    await sqlErrors(() => this.con.run(sql));
  }

  /** Runs every statement of a SQL text but the last, which it returns prepared. */
  private async runLeading(sql: string, check?: (count: number) => void): Promise<DuckDBPreparedStatement> {
    const statements = await this.con.extractStatements(sql);
    if (statements.count === 0) throw new UsageError('the SQL text has no statement');
    check?.(statements.count);
    for (let i = 0; i < statements.count - 1; i++) await (await statements.prepare(i)).run();
    return statements.prepare(statements.count - 1);
  }

  close(): void {
    this.con.closeSync();
    this.instance.closeSync();
    for (const s of this.sources) s.rec.close();
    for (const d of this.held) d.close();
  }
}

/** Column names of the `recordings` table. */
export const RECORDINGS_COLUMNS = META_COLUMNS.recordings.split(',').map((c) => c.trim().split(/\s+/)[0]!);

/** Runs `f`; a DuckDB error from it becomes a one-line SQL error, a usage error stays one. */
async function sqlErrors<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw err instanceof UsageError ? err : sqlError(err);
  }
}

/** A DuckDB error as a one-line error that names it as SQL's. */
export function sqlError(err: unknown): Error {
  const msg = ((err as Error)?.message ?? String(err))
    .replace(/^Failed to extract statements: /, '')
    .replace(/\s*Candidate functions:[\s\S]*?(?=LINE \d+:|$)/, ' ')
    .replace(/\s*LINE (\d+):[\s\S]*$/, ' (line $1)');
  return new SqlError(msg.replace(/\s*\n\s*/g, ' ').trim());
}

export class SqlError extends RecordingError {
  constructor(message: string) {
    super(`SQL: ${message}`);
  }
}

/** Splits SQL text at top-level semicolons (outside quotes and comments). */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === ';') {
      out.push(sql.slice(start, i));
      start = ++i;
    } else i++;
  }
  out.push(sql.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0 && !/^(--[^\n]*\n?|\/\*[\s\S]*?\*\/|\s)*$/.test(s));
}
