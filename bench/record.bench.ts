// Recorder benchmark: each workload alone, under `flightrec record` (syscall and proc
// tables only, and the default tables) and under `perf record` (raw_syscalls, and the same
// tracepoints as the default tables), interleaved round by round so all see the same
// machine. Workloads run on CPU1, recorders on CPU0. Needs root and linux-perf.
//   npm run bench:record [-- --rounds 3 --keep]
// Prints, per workload and recorder, medians: the workload loop's slowdown against running
// alone, events/s stored, lost events, bytes per syscall on disk, recorder peak RSS.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/paths.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const ROOT = packageRoot();
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const WORK = join(ROOT, 'native', 'build', 'workloads');
const scratch = mkdtempSync(join(tmpdir(), 'flightrec-bench-'));

interface Workload { name: string; argv: string[] }
const WORKLOADS: Workload[] = [
  { name: 'W1 syscall storm (2M getppid)', argv: [join(WORK, 'syscall_storm'), '2000000'] },
  { name: 'W2 file churn (50k create/write/unlink)', argv: [join(WORK, 'file_churn'), '50000', scratch] },
  { name: 'W3 fork+exec storm (2k)', argv: [join(WORK, 'fork_exec'), '2000'] },
];

interface Sample { loopNs: number; events?: number; syscalls?: number; lost?: number; bytes?: number; rssBytes?: number; wallMs?: number }

/** The workload's own timing line ({"workload":..,"ops":..,"loop_ns":..}) from its stderr. */
function loopNs(stderr: string): number {
  const m = /\{"workload":[^}]*"loop_ns":(\d+)\}/.exec(stderr);
  if (!m) throw new Error(`no timing line in: ${stderr.slice(-500)}`);
  return Number(m[1]);
}

function run(cmd: string, args: string[]): string {
  // Each run starts with nothing dirty: the writeback of the previous run's output (a perf.data
  // of W1 is hundreds of MB) would otherwise land in this one's time, the file churn's most.
  spawnSync('sync');
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-1000)}`);
  return r.stderr;
}

function native(w: Workload): Sample {
  return { loopNs: loopNs(run('taskset', ['-c', '1', ...w.argv])) };
}

/** flightrec with the default tables, or only the given ones. */
function flightrec(w: Workload, round: number, tables?: string): Sample {
  const out = join(scratch, `fr-${round}`);
  const summaryFile = join(scratch, `fr-${round}.json`);
  const t0 = Date.now();
  const only = tables ? ['--tables', tables] : [];
  const stderr = run('taskset', ['-c', '0', process.execPath, CLI, 'record', '-q', ...only, '-o', out, '--summary-json', summaryFile, '--', 'taskset', '-c', '1', ...w.argv]);
  const wallMs = Date.now() - t0;
  const s = JSON.parse(readFileSync(summaryFile, 'utf8')) as { stats: { rows: Record<string, number>; lost: number }; bytes_written: number; peak_rss_bytes: number };
  const events = Object.entries(s.stats.rows).filter(([t]) => t !== 'gap').reduce((a, [, n]) => a + n, 0);
  if (!values.keep) rmSync(out, { recursive: true, force: true });
  return { loopNs: loopNs(stderr), events, syscalls: s.stats.rows.syscall ?? 0, lost: s.stats.lost, bytes: s.bytes_written, rssBytes: s.peak_rss_bytes, wallMs };
}

/** The tracepoints flightrec's default tables use besides raw_syscalls. */
const MORE_TRACEPOINTS = ['sched:sched_process_fork', 'sched:sched_process_exec', 'sched:sched_process_exit',
  'sock:inet_sock_set_state', 'block:block_rq_issue', 'block:block_rq_complete'];

function perf(w: Workload, round: number, tracepoints = ['raw_syscalls:*']): Sample {
  const out = join(scratch, `perf-${round}.data`);
  const t0 = Date.now();
  const stderr = run('taskset', ['-c', '0', 'perf', 'record', '-q', ...tracepoints.flatMap((e) => ['-e', e]), '-o', out, '--', 'taskset', '-c', '1', ...w.argv]);
  const wallMs = Date.now() - t0;
  const stats = execFileSync('perf', ['report', '-i', out, '--stats'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const count = (re: RegExp): number => Number(re.exec(stats)?.[1] ?? 0);
  const events = count(/^\s*SAMPLE events:\s+(\d+)/m);
  const lost = count(/^\s*LOST events:\s+(\d+)/m) + count(/^\s*LOST_SAMPLES events:\s+(\d+)/m);
  const bytes = statSync(out).size;
  if (!values.keep) rmSync(out, { force: true });
  // perf stores enter and exit as two samples: a syscall is one of each (the other
  // tracepoints are rare next to them, so this is close for the wider event set too).
  return { loopNs: loopNs(stderr), events, syscalls: events / 2, lost, bytes, wallMs };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function fmt(n: number, digits = 1): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(digits)}k` : n.toFixed(digits);
}

mkdirSync(scratch, { recursive: true });
const perfWorks = spawnSync('perf', ['--version']).status === 0;
if (!perfWorks) console.error('perf is not installed (apt-get install linux-perf): comparing against running alone only');
console.log(`flightrec recorder benchmark: ${rounds} rounds, medians; workloads on CPU1, recorders on CPU0`);
for (const w of WORKLOADS) {
  const samples: Record<string, Sample[]> = { alone: [], 'flightrec syscall,proc': [], 'flightrec default': [], 'perf raw_syscalls': [], 'perf same tracepoints': [] };
  for (let r = 0; r < rounds; r++) {
    samples.alone!.push(native(w));
    samples['flightrec syscall,proc']!.push(flightrec(w, r, 'syscall,proc'));
    samples['flightrec default']!.push(flightrec(w, r));
    if (perfWorks) {
      samples['perf raw_syscalls']!.push(perf(w, r));
      samples['perf same tracepoints']!.push(perf(w, r, ['raw_syscalls:*', ...MORE_TRACEPOINTS]));
    }
  }
  const alone = median(samples.alone!.map((s) => s.loopNs));
  console.log(`\n${w.name}: alone ${(alone / 1e6).toFixed(1)} ms`);
  const rows = [['recorder', 'slowdown', 'events/s stored', 'lost', 'B/syscall', 'B/event', 'peak RSS']];
  for (const [name, ss] of Object.entries(samples)) {
    if (name === 'alone' || ss.length === 0) continue;
    const m = (f: (s: Sample) => number): number => median(ss.map(f));
    const slowdown = m((s) => s.loopNs) / alone;
    rows.push([
      name,
      `${slowdown.toFixed(2)}x`,
      `${fmt(m((s) => s.events! / (s.loopNs / 1e9)))}/s`,
      String(m((s) => s.lost!)),
      m((s) => s.syscalls!) > 0 ? m((s) => s.bytes! / s.syscalls!).toFixed(1) : '-',
      m((s) => s.bytes! / s.events!).toFixed(1),
      name.startsWith('flightrec') ? `${(m((s) => s.rssBytes!) / 2 ** 20).toFixed(0)} MiB` : '-',
    ]);
  }
  const slowdown = (name: string): number => median(samples[name]!.map((s) => s.loopNs)) / alone;
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(`  ${r.map((c, i) => c.padStart(widths[i]!)).join('  ')}`);
  // The measure: the slowdown with the default tables over that with syscall,proc.
  // (A ratio of added overheads means nothing where one of them is within noise of zero.)
  console.log(`  default tables vs syscall,proc: slowdown ${(slowdown('flightrec default') / slowdown('flightrec syscall,proc')).toFixed(2)}x`);
}
if (!values.keep) rmSync(scratch, { recursive: true, force: true });
