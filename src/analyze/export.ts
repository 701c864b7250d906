// Export for the fleet: every table of recordings as hive-partitioned Parquet,
// `<dir>/host=<host>/date=<YYYY-MM-DD>/table=<table>/<recording id>_<n>.parquet`, with the
// columns of the SQL views (enums as labels, addresses as text, `time`, `recording`), so
// DuckDB, Spark, Trino or ClickHouse read it without flightrec. `table=recordings` holds one
// row per recording exported.
//
// DuckDB writes into a private staging directory made inside the export directory (through
// its fd, see confined-dir.ts) before the session is confined: a confined session
// (sandbox.ts) lets DuckDB write below that directory and nowhere else. The files are then
// made 0600 and renamed into the partition directories, which are made 0700 and never
// followed if they are links. The staging directory goes on every exit path. Names come
// from the recording's validated id and from DuckDB's partition values, which it escapes
// ('/' becomes %2F, '*' %2A).
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, renameSync } from 'node:fs';
import { ConfinedDir, ioError, processGone } from '../format/confined-dir.js';
import { TABLE_NAMES } from '../schema/tables.js';
import { eachPartition } from './partitions.js';
import { RECORDINGS_COLUMNS, ident, lit, viewColumns, type Analysis } from './session.js';

export interface ExportSummary {
  readonly recording: string;
  readonly rows: number;
  readonly tables: number;
}

/** Files an earlier export of this recording wrote; they are replaced, not added to. */
function removePrevious(out: ConfinedDir, id: string): void {
  eachPartition(out, (_, d) => {
    for (const f of d.list()) if (f.startsWith(`${id}_`) && f.endsWith('.parquet') && d.stat(f)?.isFile()) d.unlink(f);
  });
}

/** Moves what DuckDB wrote in `stage` into `out`, each file private. */
function moveIn(stage: ConfinedDir, out: ConfinedDir): void {
  eachPartition(stage, (names, from) => {
    let to = out;
    const opened: ConfinedDir[] = [];
    try {
      for (const n of names) opened.push(to = to.subdir(n, { create: true }));
      for (const f of from.list()) {
        const file = from.openFile(f);
        try {
          fchmodSync(file.fd, 0o600);
        } finally {
          closeSync(file.fd);
        }
        try {
          renameSync(from.at(f), to.at(f));
        } catch (err) {
          throw ioError('move into place', to.display(f), err);
        }
      }
    } finally {
      for (const d of opened) d.close();
    }
  });
}

/** `.flightrec-export-<pid>-<random>`: a staging directory, and the process that made it. */
const STAGE = /^\.flightrec-export-(\d+)-[0-9a-f]+$/;

/**
 * Where an export goes: the export directory, opened (made when missing) with the staging
 * directories of killed exports removed, and a new private staging directory inside it.
 * Made before the session is confined (SessionOptions.writes), which then lets DuckDB write
 * below `stagePath` only.
 */
export class ExportTarget {
  private constructor(private readonly out: ConfinedDir, private readonly stage: ConfinedDir, private readonly stageName: string) {}

  static open(dir: string): ExportTarget {
    const out = ConfinedDir.open(dir, { create: true });
    const stageName = `.flightrec-export-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      for (const f of out.list()) {
        const m = STAGE.exec(f);
        if (m && processGone(Number(m[1]))) out.removeTree(f);
      }
      return new ExportTarget(out, out.mkdir(stageName), stageName);
    } catch (err) {
      out.removeTree(stageName);
      out.close();
      throw err;
    }
  }

  /** The staging directory as DuckDB writes it: through its fd, no name of the user's in it. */
  get stagePath(): string {
    return `/proc/self/fd/${this.stage.fd}`;
  }

  /** Replaces what earlier exports of `ids` wrote with what is staged. */
  commit(ids: readonly string[]): void {
    for (const id of ids) removePrevious(this.out, id);
    moveIn(this.stage, this.out);
  }

  /** Removes the staging directory (and whatever is still in it). */
  close(): void {
    this.stage.close();
    this.out.removeTree(this.stageName);
    this.out.close();
  }
}

/** Writes the recordings of `a` into `target`; the caller closes the target. */
export async function exportParquet(a: Analysis, target: ExportTarget): Promise<ExportSummary[]> {
  const to = lit(target.stagePath);
  const summaries: ExportSummary[] = [];
  for (const s of a.sources) {
    const id = s.rec.manifest.id;
    const copy = (select: string, table: string): Promise<void> => a.run(`COPY (${select}) TO ${to} (FORMAT parquet, COMPRESSION zstd,
      PARTITION_BY (host, date, "table"), OVERWRITE_OR_IGNORE true, FILENAME_PATTERN ${lit(`${id}_${table}_{i}`)})`);
    let rows = 0;
    let tables = 0;
    for (const t of TABLE_NAMES) {
      if (!s.cached.files.has(t)) continue;
      await copy(`SELECT ${viewColumns(t).map(ident).join(', ')}, CAST(time AS DATE) AS date, ${lit(t)} AS "table" FROM main.${t} WHERE recording = ${lit(s.name)}`, t);
      rows += Number((await a.query(`SELECT count(*) FROM raw.${t} WHERE recording = ${lit(s.name)}`)).getRows()[0]![0]);
      tables++;
    }
    await copy(`SELECT ${RECORDINGS_COLUMNS.map(ident).join(', ')}, coalesce(CAST(make_timestamp_ns((first_ts + wall_offset_ns)::BIGINT) AS DATE), DATE '1970-01-01') AS date,
      'recordings' AS "table" FROM recordings WHERE recording = ${lit(s.name)}`, 'recordings');
    summaries.push({ recording: s.name, rows, tables });
  }
  // Only once every file is written: an export that fails leaves the previous one as it was.
  target.commit(a.sources.map((s) => s.rec.manifest.id));
  return summaries;
}
