// A DuckDB session over recordings: per-table views over their Parquet caches (or over an
// exported fleet directory), the derived views, and the macros. Queries run in an embedded,
// in-memory DuckDB; nothing is copied into it. Once the views exist the session is confined
// to them (sandbox.ts) unless the caller allows files.
//
// DuckDB reaches every file through a directory flightrec holds open (confined-dir.ts): the
// cache entries as /proc/self/fd/<cache dir>/<entry>, the files of a fleet export as
// /proc/self/fd/<fleet dir>/host=H/date=D/table=T/<file>, listed here without following
// links. No path of the user's reaches DuckDB, so nothing in one is read as a glob pattern,
// and a confined session allows exactly these paths (DuckDB resolves them to the real files
// when they are allowed and again when they are opened).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBPreparedStatement, DuckDBResultReader } from '@duckdb/node-api';
import { duckdb } from './duckdb.js';
import { ConfinedDir } from '../format/confined-dir.js';
import { RecordingError, UsageError } from '../format/errors.js';
import { wallOffset } from '../format/host.js';
import { keptSegments } from '../format/manifest.js';
import { RecordingDir } from '../format/recording-dir.js';
import { maxTs, minTs } from '../format/summary.js';
import { MACRO_DDL, RAW_COLUMNS, VIEW_COLUMNS, VIEW_DDL } from '../schema/sql.generated.js';
import { SYSCALL_ARG_KINDS, SYSCALL_NAMES } from '../schema/syscalls.generated.js';
import { TABLE_NAMES, type TableName } from '../schema/tables.js';
import { buildCache, type CacheProgress, type CachedRecording } from './cache.js';
import { ident, lit } from './literals.js';
import { eachPartition } from './partitions.js';
import { SESSION_SETTINGS, SqlRefused, checkStatement, confine, spillTo, withHint, type FileAccess } from './sandbox.js';
import { DERIVED_MACROS, DERIVED_VIEWS, META_COLUMNS } from './views.js';

export { ident, lit };

/** A recording opened for querying. */
export interface Source {
  readonly rec: RecordingDir;
  /** The value of the `recording` column for its rows. */
  readonly name: string;
  readonly cached: CachedRecording;
}

/** What flightrec itself writes through DuckDB, as /proc/self/fd/<fd> of what it holds open. */
export interface Writes {
  /** Files: a `-f parquet` output's temp file. */
  readonly files?: readonly string[];
  /** Directories written below: an export's staging directory. */
  readonly dirs?: readonly string[];
}

export interface SessionOptions {
  /** What the SQL may open besides the recordings: nothing (the default), or any file (`--allow-files`). */
  readonly files?: FileAccess;
  /**
   * Makes what flightrec will write through DuckDB and says where it is: called once the
   * recordings are open and before the session is confined (a confined session's
   * configuration cannot change after), so a recording that is refused leaves nothing made.
   */
  readonly writes?: () => Writes;
}

export interface OpenOptions extends SessionOptions {
  /** Cache directory (one recording only), default $XDG_CACHE_HOME/flightrec/<recording id>. */
  readonly cache?: string;
  /** Read damaged recordings without what is damaged (see RecordingDir.open). */
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
  return [...VIEW_COLUMNS[table]];
}

/** DuckDB reads a path with one of these as a glob pattern, even in a list of files. */
const GLOB = /[*?[]/;

/**
 * The Parquet files of a fleet export per table, as DuckDB is to read them:
 * /proc/self/fd/<fleet fd>/host=H/date=D/table=T/F.parquet. Listed, not globbed: only
 * directories and regular files are taken, never a link, and no name DuckDB would take for
 * a pattern (export never writes one: DuckDB escapes partition values).
 */
function fleetFiles(fleet: ConfinedDir): Map<string, string[]> {
  const files = new Map<string, string[]>();
  eachPartition(fleet, (names, d) => {
    if (names.some((n) => GLOB.test(n))) return;
    const table = names[2]!.slice('table='.length);
    for (const f of d.list().sort()) {
      if (!f.endsWith('.parquet') || GLOB.test(f) || !d.stat(f)?.isFile()) continue;
      files.set(table, [...(files.get(table) ?? []), `/proc/self/fd/${fleet.fd}/${[...names, f].join('/')}`]);
    }
  });
  return files;
}

export class Analysis {
  /** Directories DuckDB reads through /proc/self/fd paths: open until close(). */
  private readonly held: ConfinedDir[] = [];

  /** Whether the session is confined (sandbox.ts): then every statement is checked before it runs. */
  private confined = false;

  /** Set by interrupt() until the next SQL text: what is left of the running one does not run. */
  private interrupted = false;

  /**
   * Views, macros and tables not created yet, by name, in the order they are to be created:
   * created when a SQL text names them (defineUsed), since creating them all when the session
   * opens took most of a short query's time (0.8 s of 1.2 s for the derived views on a small
   * recording; 30 ms of `sql`'s 0.27 s start for the macros, syscall_names and empty tables).
   */
  private readonly deferred = new Map<string, { readonly ddl: string; readonly named: RegExp }>();

  readonly con: DuckDBConnection;

  /** DuckDB's spill directory, the session's own: removed on close. */
  private readonly tempDir = mkdtempSync(join(tmpdir(), 'flightrec-sql-'));

  private constructor(private readonly duck: DuckDB, readonly sources: readonly Source[]) {
    this.con = duck.con;
    for (const s of sources) this.held.push(s.cached.dir);
  }

  /** Opens recordings, bringing their caches up to date first. */
  static async open(dirs: readonly string[], opts: OpenOptions = {}): Promise<Analysis> {
    if (dirs.length === 0) throw new UsageError('give at least one recording');
    if (opts.cache !== undefined && dirs.length > 1) throw new UsageError('--cache names the cache of one recording; query several recordings without it');
    const names = recordingNames(dirs);
    const sources: Source[] = [];
    // DuckDB starts on its own thread while the recordings and their caches are opened.
    const starting = startDuckDB();
    starting.catch(() => undefined); // awaited below, or closed if a recording is refused first
    let a: Analysis | undefined;
    try {
      for (const [i, dir] of dirs.entries()) {
        const rec = RecordingDir.open(dir, { allowDamaged: opts.allowDamaged === true });
        const name = names[i]!;
        // The same recording twice (by id, so a copy counts too) would count every row twice.
        const twin = sources.find((s) => s.rec.manifest.id === rec.manifest.id);
        if (twin) {
          rec.close();
          throw new UsageError(`${dir} is the same recording as ${twin.rec.dir} (id ${rec.manifest.id}): give each recording once`);
        }
        try {
          const cached = await buildCache(rec, { ...(opts.cache !== undefined ? { dir: opts.cache } : {}), ...(opts.onProgress ? { onProgress: (p) => opts.onProgress!({ ...p, recording: name }) } : {}) });
          sources.push({ rec, name, cached });
        } catch (err) {
          rec.close();
          throw err;
        }
      }
      a = new Analysis(await starting, sources);
      await a.defineBase();
      await a.defineRecordings(sources);
      await a.confineTo(sources.flatMap((s) => [...s.cached.files.values()].flat()), opts);
      return a;
    } catch (err) {
      if (a) a.close();
      else {
        void starting.then(closeDuckDB, () => undefined);
        for (const s of sources) {
          s.rec.close();
          s.cached.dir.close();
        }
      }
      throw err;
    }
  }

  /**
   * Opens a directory written by `flightrec export --parquet`. Its path is taken literally
   * and held open; DuckDB reads the files listed below its fd (fleetFiles), so a `*` in the
   * user's path pulls in nothing else.
   */
  static async openFleet(dir: string, opts: SessionOptions = {}): Promise<Analysis> {
    const fleet = ConfinedDir.open(dir);
    let a: Analysis | undefined;
    try {
      const files = fleetFiles(fleet);
      if (!files.has('recordings')) throw new RecordingError('not a flightrec export: no host=*/date=*/table=recordings/*.parquet inside; write one with `flightrec export --parquet`', { file: dir });
      a = new Analysis(await startDuckDB(), []);
      a.held.push(fleet);
      await a.defineBase();
      await a.defineFleet(files);
      // `recordings` is a table by now: only the views' files are read from here on.
      await a.confineTo(TABLE_NAMES.flatMap((t) => files.get(t) ?? []), opts);
      return a;
    } catch (err) {
      if (a) a.close();
      else fleet.close();
      if (err instanceof RecordingError || err instanceof UsageError) throw err;
      throw new RecordingError(`cannot read the fleet directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file: dir, cause: err });
    }
  }

  private async defineFleet(files: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const scan = (t: string): string => `read_parquet([${files.get(t)!.map(lit).join(', ')}], hive_partitioning = true, hive_types = {'host': VARCHAR, 'date': DATE, 'table': VARCHAR})`;
    await this.con.run(`CREATE TABLE recordings AS SELECT ${RECORDINGS_COLUMNS.map(ident).join(', ')} FROM ${scan('recordings')}`);
    await this.defineRecordingMacros();
    for (const t of TABLE_NAMES) {
      if (files.has(t)) await this.con.run(`CREATE VIEW main.${t} AS SELECT ${viewColumns(t).map(ident).join(', ')} FROM ${scan(t)}`);
      else this.emptyTable(t);
    }
    this.defineDerived();
  }

  /** The spill directory and the raw schema; the generated macros and the syscall names, deferred. */
  private async defineBase(): Promise<void> {
    await spillTo(this.con, this.tempDir);
    await this.con.run('CREATE SCHEMA raw');
    for (const sql of MACRO_DDL) this.defer(macroName(sql), sql);
    const names = Object.entries(SYSCALL_NAMES).flatMap(([arch, t]) => Object.entries(t).map(([nr, name]) => `(${lit(arch)}, ${nr}, ${lit(name)})`));
    this.defer('syscall_names', `CREATE TABLE syscall_names (${META_COLUMNS.syscall_names}); INSERT INTO syscall_names VALUES ${names.join(', ')}`);
  }

  private async defineRecordings(sources: readonly Source[]): Promise<void> {
    await this.con.run(`CREATE TABLE recordings (${META_COLUMNS.recordings})`);
    for (const s of sources) {
      const m = s.rec.manifest;
      const kept = keptSegments(m);
      const sealed = kept.flatMap((seg) => Object.values(seg.tables));
      const first = sealed.reduce<string | null>((a, t) => minTs(a, t.first_ts), null);
      const last = sealed.reduce<string | null>((a, t) => maxTs(a, t.last_ts), null);
      await this.con.run(`INSERT INTO recordings VALUES (${[
        lit(s.name), lit(m.host.hostname), lit(m.id), lit(m.host.arch), lit(m.host.kernel_release), lit(m.host.boot_id),
        `[${m.command_line.map(lit).join(', ')}]::VARCHAR[]`, lit(JSON.stringify(m.targets)), lit(m.recorder_version),
        lit(m.created_at), m.closed_at === null ? 'NULL' : lit(m.closed_at), String(wallOffset(s.rec.manifest.clock)), String(kept.length),
        first ?? 'NULL', last ?? 'NULL', String(m.writer_pid),
      ].join(', ')})`);
    }
    await this.defineRecordingMacros();
    for (const t of TABLE_NAMES) {
      const parts = sources.filter((s) => s.cached.files.has(t)).map((s) =>
        `SELECT *, ${wallOffset(s.rec.manifest.clock)}::BIGINT AS wall_offset_ns, ${lit(s.name)} AS recording, ${lit(s.rec.manifest.host.hostname)} AS host ` +
        `FROM read_parquet([${s.cached.files.get(t)!.map(lit).join(', ')}])`);
      if (parts.length === 0) this.emptyTable(t);
      else {
        await this.con.run(`CREATE VIEW raw.${t} AS ${parts.join(' UNION ALL ')}`);
        this.defer(t, VIEW_DDL[t]);
      }
    }
    this.defineDerived();
  }

  /** A path in the session's own scratch directory (DuckDB's temp directory, removed on close). */
  scratchFile(name: string): string {
    return join(this.tempDir, name);
  }

  /** Once the views exist: confines the session to the files behind them, unless files are allowed. */
  private async confineTo(read: readonly string[], opts: SessionOptions): Promise<void> {
    const writes = opts.writes?.() ?? {};
    if (opts.files === 'all') return;
    await confine(this.con, {
      read, within: this.held.map((d) => `/proc/self/fd/${d.fd}`), writeFiles: writes.files ?? [], writeDirs: writes.dirs ?? [], tempDir: this.tempDir,
    });
    this.confined = true;
  }

  /** A table no source has rows of: an empty view with the same columns, made with the view over it. */
  private emptyTable(t: TableName): void {
    this.defer(t, [
      `CREATE TABLE raw.empty_${t} (${RAW_COLUMNS[t]}, wall_offset_ns BIGINT, recording VARCHAR, host VARCHAR)`,
      `CREATE VIEW raw.${t} AS SELECT * FROM raw.empty_${t}`,
      VIEW_DDL[t],
    ].join(';\n'));
  }

  /** Defers `ddl` (one or more statements) until a SQL text names `name`; one deferred before under the name is replaced, keeping its place. */
  private defer(name: string, ddl: string): void {
    this.deferred.set(name, { ddl, named: new RegExp(`\\b${name}\\b`, 'i') });
  }

  /**
   * Creates the deferred views and macros a SQL text may use: those it names (in strings too,
   * as query_table('timeline') does), and those they name in turn; every one when the text
   * looks into the catalog, which lists them.
   */
  private async defineUsed(sql: string, all = CATALOG.test(sql)): Promise<void> {
    if (this.deferred.size === 0) return;
    const wanted = new Set<string>();
    const visit = (text: string): void => {
      for (const [name, d] of this.deferred) {
        if (!wanted.has(name) && d.named.test(text)) {
          wanted.add(name);
          visit(d.ddl);
        }
      }
    };
    if (all) for (const name of this.deferred.keys()) wanted.add(name);
    else visit(sql);
    for (const [name, d] of [...this.deferred]) {
      if (!wanted.has(name)) continue;
      this.deferred.delete(name);
      await this.con.run(d.ddl);
    }
  }

  /**
   * `syscall_name(recording, nr)`: the name of a syscall number on the architecture of the
   * recording a row comes from, as a lookup in a constant list (a join on 50M rows costs
   * more than the rest of most queries); `syscall_arg_kinds(recording, nr)` and
   * `syscall_fd_arg(recording, nr)` (how its arguments read, for args_text) and
   * `recording_arch(recording)`, which the flag macros of the views use, the same way.
   */
  private async defineSyscallName(): Promise<void> {
    const rows = (await this.query('SELECT DISTINCT recording, arch FROM recordings ORDER BY recording')).getRowsJson() as string[][];
    const byArch = new Map<string, string[]>();
    for (const [recording, arch] of rows) byArch.set(arch!, [...(byArch.get(arch!) ?? []), recording!]);
    const lookup = <T>(tables: Readonly<Record<string, Readonly<Record<number, T>>>>, sql: (v: T) => string | null = (v) => lit(String(v))) => (arch: string): string => {
      const table = tables[arch] ?? {};
      const max = Math.max(-1, ...Object.keys(table).map(Number));
      return `[${Array.from({ length: max + 1 }, (_, i) => (table[i] === undefined ? 'NULL' : sql(table[i]!) ?? 'NULL')).join(', ')}][nr + 1]`;
    };
    const arches = [...byArch.keys()];
    const perArch = (value: (arch: string) => string): string => (arches.length <= 1 ? value(arches[0] ?? 'x86_64')
      : `CASE ${arches.map((a) => `WHEN recording IN (${byArch.get(a)!.map(lit).join(', ')}) THEN ${value(a)}`).join(' ')} END`);
    this.defer('syscall_name', `CREATE MACRO syscall_name(recording, nr) AS coalesce(${perArch(lookup(SYSCALL_NAMES))}, 'syscall_' || nr)`);
    // A call without known kinds (an arch-specific prototype) shows its first three registers.
    this.defer('syscall_arg_kinds', `CREATE MACRO syscall_arg_kinds(recording, nr) AS coalesce(${perArch(lookup(SYSCALL_ARG_KINDS))}, 'uuu')`);
    // Which argument (1-6) is a call's first fd or directory fd: a constant per call, not
    // searched for in its kinds on every row.
    const fdArg = (kinds: string): string | null => {
      const i = kinds.search(/[fd]/);
      return i < 0 ? null : String(i + 1);
    };
    this.defer('syscall_fd_arg', `CREATE MACRO syscall_fd_arg(recording, nr) AS ${perArch(lookup(SYSCALL_ARG_KINDS, fdArg))}`);
    // In place of the generated one (MACRO_DDL's, for one architecture).
    this.defer('recording_arch', `CREATE OR REPLACE MACRO recording_arch(recording) AS ${perArch(lit)}`);
  }

  /**
   * The clock macros, from the `recordings` table: `wall(ts, recording)`, a recording's ts as
   * wall-clock time (TIMESTAMP_NS, UTC), and its inverse `ts_of(text, recording)`, which reads
   * a time as any command prints it (RFC 3339 or with a space for the T; `Z`, an offset or no
   * zone, which is UTC; up to nine fraction digits) and gives the ts it is in that recording.
   * Each recording has its own clock; the one-argument forms take the clock all the open
   * recordings share, and refuse when they do not share one.
   */
  private async defineClocks(): Promise<void> {
    const rows = (await this.query('SELECT DISTINCT recording, wall_offset_ns FROM recordings ORDER BY recording')).getRowsJson() as string[][];
    const offsets = new Set(rows.map(([, off]) => off!));
    const unknown = `error('no recording named ' || coalesce(recording, 'NULL') || ' is open (see the recordings table)')`;
    this.defer('wall_offset', `CREATE MACRO wall_offset(recording) AS ${rows.length === 0 ? unknown : `CASE ${rows.map(([r, off]) => `WHEN recording = ${lit(r!)} THEN ${off}::BIGINT`).join(' ')} ELSE ${unknown} END`}`);
    // Refused as a whole: in an expression, DuckDB would fold an error() argument away to NULL.
    const shared = (call: string, f: (off: string) => string): string => (offsets.size === 1 ? f(`${[...offsets][0]}::BIGINT`)
      : `error('${call}: ${rows.length} recordings with their own clocks are open: give the recording, ${call.replace(')', ', recording)')}, or use the time column')`);
    // DuckDB's cast to TIMESTAMP_NS reads every form flightrec prints, offsets included, exactly to the nanosecond.
    const parsed = `CASE WHEN try_cast(text AS TIMESTAMP_NS) IS NULL AND text IS NOT NULL
      THEN error('ts_of(' || text || '): not a time; give one as flightrec prints it, such as 2026-12-01T14:21:39.898788670Z')
      ELSE epoch_ns(try_cast(text AS TIMESTAMP_NS)) END`;
    this.defer('wall', `CREATE MACRO wall(ts) AS ${shared('wall(ts)', (off) => `make_timestamp_ns(ts::BIGINT + ${off})`)}, `
      + '(ts, recording) AS make_timestamp_ns(ts::BIGINT + wall_offset(recording))');
    this.defer('ts_of', `CREATE MACRO ts_of(text) AS ${shared('ts_of(text)', (off) => `${parsed} - ${off}`)}, (text, recording) AS ${parsed} - wall_offset(recording)`);
  }

  /**
   * The macros made from the `recordings` table (clocks, syscall names), deferred: before the
   * views over the tables, which use them and are created after them (in deferral order).
   */
  private async defineRecordingMacros(): Promise<void> {
    await this.defineClocks();
    await this.defineSyscallName();
  }

  private defineDerived(): void {
    for (const [name, , sql] of DERIVED_VIEWS) this.defer(name, `CREATE VIEW ${name} AS ${sql}`);
    for (const sql of DERIVED_MACROS) this.defer(macroName(sql), sql);
  }

  /**
   * Runs the statements of a SQL text; the result is the last one's. DuckDB's errors become
   * one-line SQL errors; a text interrupt() stopped fails with Interrupted.
   */
  async query(sql: string): Promise<DuckDBResultReader> {
    try {
      return await sqlErrors(async () => {
        const last = await this.runLeading(sql);
        this.stopIfInterrupted();
        return this.untilDone(last.runAndReadAll());
      });
    } catch (err) {
      throw this.interrupted && !(err instanceof Interrupted) ? new Interrupted({ cause: err }) : err;
    }
  }

  /**
   * Interrupts the statement running on the connection (Ctrl-C in the shell) and keeps the
   * rest of its query()'s text from running. DuckDB forgets an interrupt that comes between
   * two statements, so the session checks between them too.
   */
  interrupt(): void {
    this.interrupted = true;
    this.con.interrupt();
  }

  private stopIfInterrupted(): void {
    if (this.interrupted) throw new Interrupted();
  }

  /**
   * Waits for a statement run, repeating an interrupt until it ends: one given after the last
   * check but before DuckDB began the statement (still queued for its thread, on a busy host)
   * would be forgotten, and the statement would run to its end.
   */
  private async untilDone<T>(running: Promise<T>): Promise<T> {
    const again = setInterval(() => {
      if (this.interrupted) this.con.interrupt();
    }, 100);
    try {
      return await running;
    } finally {
      clearInterval(again);
    }
  }

  /** Runs all statements but the last, a query, and returns its text (for `COPY (...) TO`). */
  async runAllButLast(sql: string): Promise<string> {
    const texts = splitStatements(sql);
    const last = await sqlErrors(() => this.runLeading(sql, (count) => {
      if (texts.length !== count) throw new UsageError('cannot tell where the last statement starts: give this output format one query');
    }));
    if (last.statementType !== duckdb.StatementType.SELECT) throw new UsageError('this output format writes the result of a query: end the SQL with a SELECT');
    return texts.at(-1)!;
  }

  /** Runs one statement of ours (not the user's); errors are SQL errors too. */
  async run(sql: string): Promise<void> {
    await sqlErrors(async () => {
      await this.defineUsed(sql);
      await this.con.run(sql);
    });
  }

  /** Runs every statement of a SQL text but the last, which it returns prepared. */
  private async runLeading(sql: string, check?: (count: number) => void): Promise<DuckDBPreparedStatement> {
    this.interrupted = false;
    const statements = await this.con.extractStatements(sql);
    if (statements.count === 0) throw new UsageError('the SQL text has no statement');
    check?.(statements.count);
    await this.defineUsed(sql);
    const prepare = async (i: number): Promise<DuckDBPreparedStatement> => {
      this.stopIfInterrupted();
      let p: DuckDBPreparedStatement;
      try {
        p = await statements.prepare(i);
      } catch (err) {
        // A name the text does not spell out (built from strings): every view, and once more.
        if (this.deferred.size === 0 || !/Catalog Error/.test((err as Error).message)) throw err;
        await this.defineUsed('', true);
        p = await (await this.con.extractStatements(sql)).prepare(i);
      }
      if (this.confined) checkStatement(p.statementType, sql);
      return p;
    };
    for (let i = 0; i < statements.count - 1; i++) {
      const p = await prepare(i);
      this.stopIfInterrupted();
      await this.untilDone(p.run());
    }
    return prepare(statements.count - 1);
  }

  close(): void {
    closeDuckDB(this.duck);
    rmSync(this.tempDir, { recursive: true, force: true });
    for (const s of this.sources) s.rec.close();
    for (const d of this.held) d.close();
  }
}

/** The name a `CREATE [OR REPLACE] MACRO name(...)` statement creates. */
const macroName = (sql: string): string => /MACRO (\w+)/.exec(sql)![1]!;

/** An in-memory DuckDB and its connection. */
interface DuckDB {
  readonly instance: DuckDBInstance;
  readonly con: DuckDBConnection;
}

async function startDuckDB(): Promise<DuckDB> {
  const instance = await duckdb.DuckDBInstance.create(':memory:', SESSION_SETTINGS);
  try {
    return { instance, con: await instance.connect() };
  } catch (err) {
    instance.closeSync();
    throw err;
  }
}

function closeDuckDB({ instance, con }: DuckDB): void {
  con.closeSync();
  instance.closeSync();
}

/** SQL that reads the catalog (which lists every view and macro): all deferred ones are created first. */
const CATALOG = /information_schema|duckdb_\w+|\b(show|describe|summarize|pragma)\b|pragma_\w+|sqlite_master/i;

/** Column names of the `recordings` table. */
export const RECORDINGS_COLUMNS = META_COLUMNS.recordings.split(',').map((c) => c.trim().split(/\s+/)[0]!);

/** Runs `f`; a DuckDB error from it becomes a one-line SQL error, a usage error stays one. */
async function sqlErrors<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw err instanceof UsageError || err instanceof SqlRefused || err instanceof Interrupted ? err : sqlError(err);
  }
}

/** A DuckDB error as a one-line error that names it as SQL's. */
export function sqlError(err: unknown): Error {
  const msg = ((err as Error)?.message ?? String(err))
    .replace(/^Failed to extract statements: /, '')
    .replace(/\s*Candidate functions:[\s\S]*?(?=LINE \d+:|$)/, ' ')
    .replace(/\s*LINE (\d+):[\s\S]*$/, ' (line $1)');
  return new SqlError(withHint(msg.replace(/\s*\n\s*/g, ' ').trim()));
}

export class SqlError extends RecordingError {
  constructor(message: string) {
    super(`SQL: ${message}`);
  }
}

/** A query stopped by Analysis.interrupt(). */
export class Interrupted extends RecordingError {
  constructor(where: { cause?: unknown } = {}) {
    super('interrupted', where);
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
