// Analyze benchmark: a synthetic recording of N rows (syscalls, plus a process tree with
// its files and connections), then: the query cache built from cold (ingest rows/s, cache
// bytes) and typical queries once cached (median of --runs): five of an investigation, a
// time window over 1% of the recording and one pid. With --baseline, another build's
// dist/ (e.g. a checkout of the previous commit, built) does the same on the same recording
// in the same run, first, so the two can be read side by side. Prints JSON.
//   npm run bench:analyze [-- --rows 50000000 --runs 5 --keep --baseline ../before/dist]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { Analysis } from '../src/analyze/session.js';
import { Recording } from '../src/format/recording.js';
import { TABLE_NAMES } from '../src/schema/tables.js';
import { ROOT, writeMixedRecording } from './mixed-recording.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '50000000' },
    runs: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
    analyze: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const total = Number(values.rows);
const runs = Number(values.runs);
// Writing the recording and querying it run in separate processes, so the peak RSS
// reported is the analysis's own.
if (values.analyze === undefined) {
  const dir = join(mkdtempSync(join(tmpdir(), 'flightrec-bench-')), 'rec');
  writeMixedRecording(dir, total);
  const baseline = values.baseline === undefined ? [] : ['--baseline', resolve(values.baseline)];
  const child = spawnSync(process.execPath, [process.argv[1]!, '--analyze', dir, '--runs', String(runs), ...baseline], { stdio: 'inherit' });
  if (!values.keep) rmSync(join(dir, '..'), { recursive: true });
  process.exit(child.status ?? 1);
}

const dir = values.analyze;
const rec = Recording.open(dir);
const manifest = rec.manifest;
rec.close();
const rows = manifest.segments.reduce((n, s) => n + Object.values(s.tables).reduce((m, t) => m + t.rows, 0), 0);
const syscallTs = manifest.segments.flatMap((s) => (s.tables.syscall ? [s.tables.syscall] : []));
const firstTs = BigInt(syscallTs[0]!.first_ts!);
const lastTs = BigInt(syscallTs[syscallTs.length - 1]!.last_ts!);
const windowFrom = firstTs + (lastTs - firstTs) / 2n;
const windowTo = windowFrom + (lastTs - firstTs) / 100n;

const PID = 4100;
// The subtree under one process halfway down.
const subtree = ROOT + 7;
const QUERIES: Record<string, string> = {
  top_processes_by_syscalls: 'SELECT pid, any_value(comm) AS comm, count(*) AS syscalls FROM syscall GROUP BY pid ORDER BY syscalls DESC LIMIT 10',
  exec_tree_of_pid: `SELECT pid, ppid, depth, exe, argv FROM descendants(${subtree}) ORDER BY path`,
  connections_by_remote_host: 'SELECT remote_addr, count(*) AS connections, sum(bytes_sent) AS sent, sum(bytes_received) AS received FROM connections GROUP BY remote_addr ORDER BY sent DESC LIMIT 20',
  files_written_by_tree: `SELECT f.path, sum(f.bytes_written) AS written FROM file_activity f JOIN descendants(${subtree}) d USING (recording, pid) WHERE f.written GROUP BY f.path ORDER BY written DESC LIMIT 20`,
  // Buckets on the integer epoch: time_bucket() on 50M timestamps costs about 0.6 s more here.
  events_per_second: 'SELECT make_timestamp_ns(sec * 1000000000) AS second, count(*) AS events FROM (SELECT epoch_ns(time) // 1000000000 AS sec FROM timeline) GROUP BY sec ORDER BY sec',
  time_window_1pct: `SELECT nr, count(*) AS calls, sum(latency_ns) AS latency FROM syscall WHERE ts BETWEEN ${windowFrom} AND ${windowTo} GROUP BY nr ORDER BY calls DESC`,
  // The synthetic syscall workload has its 8 pids in every batch: no row group can be skipped here.
  pid_eq: `SELECT count(*) AS calls, min(ts), max(ts) FROM syscall WHERE pid = ${PID}`,
};
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

interface Opened {
  query(sql: string): Promise<{ currentRowCount: number }>;
  close(): void;
}

/** Cache built from cold by one build's Analysis, then the queries. */
async function measure(open: (dirs: string[], opts: { cache: string }) => Promise<Opened>, cache: string): Promise<object> {
  rmSync(cache, { recursive: true, force: true });
  const t0 = performance.now();
  const a = await open([dir], { cache });
  const ingestS = (performance.now() - t0) / 1000;
  const cacheBytes = readdirSync(cache).filter((f) => f.endsWith('.parquet')).reduce((n, f) => n + statSync(join(cache, f)).size, 0);
  const queries: Record<string, { median_s: number; runs_s: number[]; rows: number }> = {};
  for (const [name, sql] of Object.entries(QUERIES)) {
    const times: number[] = [];
    let n = 0;
    for (let i = 0; i < runs; i++) {
      const s = performance.now();
      n = (await a.query(sql)).currentRowCount;
      times.push((performance.now() - s) / 1000);
    }
    queries[name] = { median_s: +median(times).toFixed(3), runs_s: times.map((t) => +t.toFixed(3)), rows: n };
  }
  a.close();
  const syscallRowGroups = await rowGroups(cache);
  rmSync(cache, { recursive: true, force: true });
  return { ingest_s: +ingestS.toFixed(2), ingest_rows_per_s: Math.round(rows / ingestS), cache_bytes: cacheBytes, syscall_row_groups: syscallRowGroups, queries };
}

/**
 * The cache's syscall row groups, and those the window and pid queries cannot skip: whose
 * bounds (by parquet_metadata) meet the filter, or that have none. DuckDB reports no row
 * groups read; test/analyze/pruning.test.ts shows it skips the others.
 */
async function rowGroups(cache: string): Promise<object> {
  const files = readdirSync(cache).filter((f) => /^\d+-syscall-.*\.parquet$/.test(f)).map((f) => `'${join(cache, f)}'`);
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    const meeting = (column: string, lo: bigint | number, hi: bigint | number): string =>
      `count(*) FILTER (path_in_schema = '${column}' AND (stats_min_value IS NULL OR NOT (TRY_CAST(stats_max_value AS UBIGINT) < ${lo} OR TRY_CAST(stats_min_value AS UBIGINT) > ${hi})))`;
    const [row] = (await con.runAndReadAll(`SELECT count(*) FILTER (path_in_schema = 'ts'), ${meeting('ts', windowFrom, windowTo)}, ${meeting('pid', PID, PID)}
      FROM parquet_metadata([${files.join(', ')}])`)).getRows();
    const [total, windowRead, pidRead] = row!.map(Number);
    return { total, time_window_1pct_read: windowRead, pid_eq_read: pidRead };
  } finally {
    con.closeSync();
  }
}

// Beside the recording rather than in the user's cache, and emptied: ingest from cold.
const results: Record<string, object> = {};
if (values.baseline !== undefined) {
  const before = (await import(join(values.baseline, 'src', 'analyze', 'session.js'))) as { Analysis: { open: (dirs: string[], opts: { cache: string }) => Promise<Opened> } };
  results.baseline = { dist: values.baseline, ...(await measure((d, o) => before.Analysis.open(d, o), join(dir, '..', 'cache-baseline'))) };
}
results.this_build = await measure((d, o) => Analysis.open(d, o), join(dir, '..', 'cache'));

console.log(JSON.stringify({
  rows, tables: TABLE_NAMES.filter((t) => manifest.segments.some((s) => s.tables[t])), segments: manifest.segments.length,
  time_window: [String(windowFrom), String(windowTo)],
  ...results,
  peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
}, null, 2));
