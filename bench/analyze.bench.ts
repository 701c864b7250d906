// Analyze benchmark: a synthetic recording of N rows (syscalls, plus a process tree with
// its files and connections), then: the query cache built from cold (ingest rows/s) and
// five typical queries once cached (median of --runs). Prints JSON.
//   npm run bench:analyze [-- --rows 50000000 --runs 5 --keep]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
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
  },
});
const total = Number(values.rows);
const runs = Number(values.runs);
// Writing the recording and querying it run in separate processes, so the peak RSS
// reported is the analysis's own.
if (values.analyze === undefined) {
  const dir = join(mkdtempSync(join(tmpdir(), 'flightrec-bench-')), 'rec');
  writeMixedRecording(dir, total);
  const child = spawnSync(process.execPath, [process.argv[1]!, '--analyze', dir, '--runs', String(runs)], { stdio: 'inherit' });
  if (!values.keep) rmSync(join(dir, '..'), { recursive: true });
  process.exit(child.status ?? 1);
}

const dir = values.analyze;
const rec = Recording.open(dir);
const manifest = rec.manifest;
rec.close();
const rows = manifest.segments.reduce((n, s) => n + Object.values(s.tables).reduce((m, t) => m + t.rows, 0), 0);
// Beside the recording rather than in the user's cache, and emptied: ingest from cold.
const cache = join(dir, '..', 'cache');
rmSync(cache, { recursive: true, force: true });
const t0 = performance.now();
const a = await Analysis.open([dir], { cache });
const ingestS = (performance.now() - t0) / 1000;

// The subtree under one process halfway down.
const subtree = ROOT + 7;
const QUERIES: Record<string, string> = {
  top_processes_by_syscalls: 'SELECT pid, any_value(comm) AS comm, count(*) AS syscalls FROM syscall GROUP BY pid ORDER BY syscalls DESC LIMIT 10',
  exec_tree_of_pid: `SELECT pid, ppid, depth, exe, argv FROM descendants(${subtree}) ORDER BY path`,
  connections_by_remote_host: 'SELECT remote_addr, count(*) AS connections, sum(bytes_sent) AS sent, sum(bytes_received) AS received FROM connections GROUP BY remote_addr ORDER BY sent DESC LIMIT 20',
  files_written_by_tree: `SELECT f.path, sum(f.bytes_written) AS written FROM file_activity f JOIN descendants(${subtree}) d USING (recording, pid) WHERE f.written GROUP BY f.path ORDER BY written DESC LIMIT 20`,
  // Buckets on the integer epoch: time_bucket() on 50M timestamps costs about 0.6 s more here.
  events_per_second: 'SELECT make_timestamp_ns(sec * 1000000000) AS second, count(*) AS events FROM (SELECT epoch_ns(time) // 1000000000 AS sec FROM timeline) GROUP BY sec ORDER BY sec',
};
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
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

console.log(JSON.stringify({
  rows, tables: TABLE_NAMES.filter((t) => manifest.segments.some((s) => s.tables[t])), segments: manifest.segments.length,
  ingest_s: +ingestS.toFixed(2), ingest_rows_per_s: Math.round(rows / ingestS),
  queries,
  peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
}, null, 2));
