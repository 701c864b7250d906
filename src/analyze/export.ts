// Export for the fleet: every table of recordings as hive-partitioned Parquet,
// `<dir>/host=<host>/date=<YYYY-MM-DD>/table=<table>/<recording id>_<n>.parquet`, with the
// columns of the SQL views (enums as labels, addresses as text, `time`, `recording`), so
// DuckDB, Spark, Trino or ClickHouse read it without flightrec. `table=recordings` holds one
// row per recording exported.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RecordingError } from '../format/errors.js';
import { TABLE_NAMES } from '../schema/tables.js';
import { RECORDINGS_COLUMNS, ident, lit, viewColumns, type Analysis } from './session.js';

export interface ExportSummary {
  readonly recording: string;
  readonly rows: number;
  readonly tables: number;
}

/** Files an earlier export of this recording wrote; they are replaced, not added to. */
function removePrevious(dir: string, id: string): void {
  const walk = (d: string, depth: number): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory() && depth < 3) walk(p, depth + 1);
      else if (e.isFile() && depth === 3 && e.name.startsWith(`${id}_`) && e.name.endsWith('.parquet')) rmSync(p);
    }
  };
  walk(dir, 0);
}

export async function exportParquet(a: Analysis, dir: string): Promise<ExportSummary[]> {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new RecordingError(`cannot create the export directory (${(err as NodeJS.ErrnoException).code ?? err})`, { file: dir, cause: err });
  }
  const out: ExportSummary[] = [];
  for (const s of a.sources) {
    const id = s.rec.manifest.id;
    removePrevious(dir, id);
    const copy = (select: string, table: string): Promise<void> => a.run(`COPY (${select}) TO ${lit(resolve(dir))} (FORMAT parquet, COMPRESSION zstd,
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
    out.push({ recording: s.name, rows, tables });
  }
  return out;
}
