// Export for the fleet: every table of recordings as hive-partitioned Parquet,
// `<dir>/host=<host>/date=<YYYY-MM-DD>/table=<table>/<recording id>_<n>.parquet`, with the
// columns of the SQL views (enums as labels, addresses as text, `time`, `recording`), so
// DuckDB, Spark, Trino or ClickHouse read it without flightrec. `table=recordings` holds one
// row per recording exported.
//
// DuckDB writes into a private staging directory made inside the export directory (through
// its fd, see confined-dir.ts); the files are then made 0600 and renamed into the partition
// directories, which are made 0700 and never followed if they are links. The staging
// directory goes on every exit path. Names come from the recording's validated id and from
// DuckDB's partition values, which it escapes ('/' becomes %2F).
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, renameSync } from 'node:fs';
import { ConfinedDir, ioError, processGone } from '../format/confined-dir.js';
import { TABLE_NAMES } from '../schema/tables.js';
import { RECORDINGS_COLUMNS, ident, lit, viewColumns, type Analysis } from './session.js';

export interface ExportSummary {
  readonly recording: string;
  readonly rows: number;
  readonly tables: number;
}

const PARTITIONS = ['host=', 'date=', 'table='] as const;

/** Each partition directory three levels down (host=, date=, table=), without following links. */
function eachPartition(dir: ConfinedDir, visit: (names: readonly string[], d: ConfinedDir) => void, depth = 0, names: readonly string[] = []): void {
  for (const name of dir.list()) {
    if (!name.startsWith(PARTITIONS[depth]!) || !dir.stat(name)?.isDirectory()) continue;
    const sub = dir.subdir(name);
    try {
      if (depth === PARTITIONS.length - 1) visit([...names, name], sub);
      else eachPartition(sub, visit, depth + 1, [...names, name]);
    } finally {
      sub.close();
    }
  }
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

export async function exportParquet(a: Analysis, dir: string): Promise<ExportSummary[]> {
  const out = ConfinedDir.open(dir, { create: true });
  const stageName = `.flightrec-export-${process.pid}-${randomBytes(6).toString('hex')}`;
  let stage: ConfinedDir | undefined;
  try {
    // Staging directories of exports killed before they could remove them.
    for (const f of out.list()) {
      const m = STAGE.exec(f);
      if (m && processGone(Number(m[1]))) out.removeTree(f);
    }
    stage = out.mkdir(stageName);
    const target = lit(`/proc/self/fd/${stage.fd}`);
    const summaries: ExportSummary[] = [];
    for (const s of a.sources) {
      const id = s.rec.manifest.id;
      const copy = (select: string, table: string): Promise<void> => a.run(`COPY (${select}) TO ${target} (FORMAT parquet, COMPRESSION zstd,
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
    for (const s of a.sources) removePrevious(out, s.rec.manifest.id);
    moveIn(stage, out);
    return summaries;
  } finally {
    stage?.close();
    out.removeTree(stageName);
    out.close();
  }
}
