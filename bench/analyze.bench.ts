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
import { RecordingWriter } from '../src/format/recording-writer.js';
import { Recording } from '../src/format/recording.js';
import { TABLE_NAMES } from '../src/schema/tables.js';
import { SyscallWorkload, batchFromRows, rng } from '../src/testing/synthetic.js';

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
/** The synthetic process tree: pids ROOT.. ROOT + PROCESSES - 1. */
const ROOT = 10_000;
const PROCESSES = 2000;
// Writing the recording and querying it run in separate processes, so the peak RSS
// reported is the analysis's own.
if (values.analyze === undefined) {
  const dir = join(mkdtempSync(join(tmpdir(), 'flightrec-bench-')), 'rec');
  generate(dir);
  const child = spawnSync(process.execPath, [process.argv[1]!, '--analyze', dir, '--runs', String(runs)], { stdio: 'inherit' });
  if (!values.keep) rmSync(join(dir, '..'), { recursive: true });
  process.exit(child.status ?? 1);
}

const dir = values.analyze;
const manifest = Recording.open(dir).manifest;
const rows = manifest.segments.reduce((n, s) => n + Object.values(s.tables).reduce((m, t) => m + t.rows, 0), 0);
rmSync(join(dir, 'cache'), { recursive: true, force: true }); // ingest from cold
const t0 = performance.now();
const a = await Analysis.open([dir]);
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

function generate(dir: string): void {

  // A tree of processes under ROOT, each forking, exec'ing, writing files and connecting out.
    const FILE_ROWS = Math.min(1_000_000, Math.floor(total / 50));
  const NET_ROWS = Math.min(500_000, Math.floor(total / 100));
  const rand = rng(5);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const w = RecordingWriter.create(dir, { targets: { synthetic: true } });
  const work = new SyscallWorkload(1);
  let ts = 5_000_000_000n;
  let seq = 1n << 40n; // after the syscall workload's seqs
  const header = (pid: number, comm: string): Record<string, unknown> => {
    ts += 1000n;
    return { ts, seq: seq++, cpu: 0, pid, tid: pid, comm };
  };

  const proc: Record<string, unknown>[] = [];
  const parent = new Map<number, number>();
  for (let i = 0; i < PROCESSES; i++) {
    const pid = ROOT + i;
    const ppid = i === 0 ? 1 : ROOT + Math.floor(rand() * i);
    parent.set(pid, ppid);
    const id = { ppid, uid: 1000, gid: 1000, euid: 1000, cgroup_id: 1n, argv_truncated: false };
    proc.push({ ...header(pid, 'sh'), kind: 'fork', ...id, filename: null, argv: null, exit_code: null });
    const exe = pick(['/usr/bin/curl', '/usr/bin/python3', '/bin/sh', '/usr/bin/tar', '/usr/bin/make']);
    proc.push({ ...header(pid, exe.slice(exe.lastIndexOf('/') + 1)), kind: 'exec', ...id, filename: exe, argv: [exe, '-x', String(i)], exit_code: null });
  }
  for (let i = 0; i < PROCESSES; i++) proc.push({ ...header(ROOT + i, 'sh'), kind: 'exit', ppid: parent.get(ROOT + i), uid: 1000, gid: 1000, euid: 1000, cgroup_id: 1n, filename: null, argv: null, argv_truncated: false, exit_code: 0 });
  w.append('proc', batchFromRows('proc', proc));

  const paths = Array.from({ length: 1000 }, (_, i) => `/srv/data/${i % 37}/file-${i}.bin`);
  for (let done = 0; done < FILE_ROWS; done += 65536) {
    const n = Math.min(65536, FILE_ROWS - done);
    w.append('file', batchFromRows('file', Array.from({ length: n }, () => {
      const pid = ROOT + Math.floor(rand() * PROCESSES);
      const close = rand() < 0.5;
      return {
        ...header(pid, 'tar'), op: close ? 'close' : 'open', path: pick(paths), path2: null, dirfd: -100, fd: 3 + Math.floor(rand() * 10),
        flags: close ? 0 : 65, mode: 0o644, owner: 0, group: 0, bytes_read: 0n, bytes_written: close ? BigInt(Math.floor(rand() * 1e6)) : 0n, ret: close ? 0n : 3n,
      };
    })));
  }
  const v4 = (i: number): Uint8Array => Uint8Array.from([10, 0, (i >> 8) & 255, i & 255, ...new Array<number>(12).fill(0)]);
  const hosts = Array.from({ length: 200 }, (_, i) => v4(i));
  const local = v4(9999);
  for (let done = 0; done < NET_ROWS; done += 65536) {
    const n = Math.min(65536, NET_ROWS - done);
    w.append('net', batchFromRows('net', Array.from({ length: n }, (_, k) => {
      const pid = ROOT + Math.floor(rand() * PROCESSES);
      const close = k % 2 === 1;
      return {
        ...header(pid, 'curl'), op: close ? 'close' : 'connect', family: 2, proto: 6, saddr: local, sport: 30000 + ((done + k) >> 1) % 30000,
        daddr: pick(hosts), dport: pick([443, 80, 8443]), unix_path: null, old_state: 0, new_state: 0, fd: 5,
        bytes_sent: close ? BigInt(Math.floor(rand() * 1e5)) : 0n, bytes_received: close ? BigInt(Math.floor(rand() * 1e6)) : 0n, ret: 0n,
      };
    })));
  }
  const syscalls = total - proc.length - FILE_ROWS - NET_ROWS;
  for (let done = 0; done < syscalls; done += 65536) w.append('syscall', work.batch(Math.min(65536, syscalls - done)));
  w.close();
}

