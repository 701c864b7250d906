// Flight-recorder benchmark (issue 20): `record --all --keep-size 256M --detect --incidents`
// with the CLI's defaults otherwise, as a user runs it, for ten minutes under a mixed workload
// (file churn, fork+exec, bursts of syscalls, a shell loop reading files). Prints, every 30 s,
// the recording directory's size, the recorder's CPU % (all its threads) and RSS; at the end
// the pruning cost per segment, the incident written for a `flightrec mark` half-way (its
// --pre is 60 s) and what the recorder lost.
//   npm run bench:ring [-- --minutes 10 --keep-size 256M --pre 60s --segment-size SIZE]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/paths.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'keep-size': { type: 'string', default: '256M' },
    pre: { type: 'string', default: '60s' },
    /** The CLI's default unless given (a short trial run wants smaller segments). */
    'segment-size': { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const CLI = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
const WORK = join(packageRoot(), 'native', 'build', 'workloads');
const MiB = 1024 * 1024;
/** Clock ticks per second, the unit of /proc/PID/stat's CPU times. */
const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** Bytes of the regular files below `path`. */
function bytesBelow(path: string): number {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 0;
  }
  if (st.isFile()) return st.size;
  if (!st.isDirectory()) return 0;
  let names: string[] = [];
  try {
    names = readdirSync(path);
  } catch { /* gone */ }
  return names.reduce((n, name) => n + bytesBelow(join(path, name)), 0);
}

/** CPU seconds (user + system, all threads) and RSS of a process. */
function usage(pid: number): { cpuS: number; rssBytes: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(f[11]) + Number(f[12])) / TICK;
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuS, rssBytes: Number(rss?.[1] ?? 0) * 1024 };
  } catch {
    return undefined;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** The mixed workload: each part a shell loop in its own process group. */
function workload(scratch: string): ChildProcess[] {
  mkdirSync(join(scratch, 'churn'));
  const loops = [
    `while :; do ${join(WORK, 'file_churn')} 2000 ${join(scratch, 'churn')} >/dev/null; sleep 0.5; done`,
    `while :; do ${join(WORK, 'fork_exec')} 100 >/dev/null; sleep 0.5; done`,
    `while :; do ${join(WORK, 'syscall_storm')} 200000 >/dev/null; sleep 5; done`,
    'while :; do cat /etc/hostname /etc/os-release >/dev/null; sleep 0.05; done',
  ];
  return loops.map((l) => spawn('sh', ['-c', l], { stdio: 'ignore', detached: true }));
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'flightrec-ring-bench-'));
  const rec = join(root, 'ring');
  const incidents = join(root, 'incidents');
  const summaryFile = join(root, 'summary.json');
  const loops = workload(root);
  const recorder = spawn(process.execPath, [CLI, 'record', '-q', '-o', rec, '--all', '--keep-size', values['keep-size']!, '--detect',
    '--incidents', incidents, '--pre', values.pre!,
    ...(values['segment-size'] !== undefined ? ['--segment-size', values['segment-size']] : []), '--duration', `${minutes}m`, '--summary-json', summaryFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  recorder.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const ended = new Promise<number | null>((r) => recorder.once('exit', (code) => r(code)));
  console.log(`ring bench: record --all --keep-size ${values['keep-size']} --detect --incidents (--pre ${values.pre}) for ${minutes} min, mixed workload; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  console.log('   t   disk MiB   CPU %   RSS MiB');
  const cpu: number[] = [];
  const rss: number[] = [];
  let disk = 0;
  let marked = false;
  let last = usage(recorder.pid!);
  const t0 = Date.now();
  for (let s = 1; ; s++) {
    const done = await Promise.race([ended.then(() => true), sleep(1000).then(() => false)]);
    if (done) break;
    const u = usage(recorder.pid!);
    if (!u || !last) continue;
    cpu.push((u.cpuS - last.cpuS) * 100);
    rss.push(u.rssBytes);
    last = u;
    const d = bytesBelow(rec);
    disk = Math.max(disk, d);
    if (s % 30 === 0) console.log(`${String(s).padStart(4)}   ${(d / MiB).toFixed(1).padStart(8)}   ${median(cpu.slice(-30)).toFixed(1).padStart(5)}   ${(u.rssBytes / MiB).toFixed(0).padStart(7)}`);
    if (!marked && Date.now() - t0 >= (minutes * 60_000) / 2) {
      marked = true;
      const m = spawnSync(process.execPath, [CLI, 'mark', rec, '--note', 'bench'], { encoding: 'utf8' });
      if (m.status !== 0) console.log(`mark failed: ${m.stderr}`);
    }
  }
  for (const l of loops) try { process.kill(-l.pid!, 'SIGKILL'); } catch { /* gone */ }
  const code = await ended;
  if (code !== 0 || !existsSync(summaryFile)) throw new Error(`the recorder exited with ${code}: ${stderr}`);
  const sum = JSON.parse(readFileSync(summaryFile, 'utf8')) as {
    bytes_written: number; bytes_kept: number; pruned_segments: number; pruning_ms: { total: number; max: number }; peak_rss_bytes: number;
    stats: { lost: number; rows: Record<string, number> }; incidents: Array<{ path: string; reason: string; rows: number; ms: number; triggers: number; peak_rss_bytes: number }>;
  };
  const rows = Object.values(sum.stats.rows).reduce((a, b) => a + b, 0);
  console.log(`disk: at most ${(disk / MiB).toFixed(1)} MiB (keep ${values['keep-size']} + the open segment + manifest); ${(sum.bytes_written / MiB).toFixed(0)} MiB written, ${(sum.bytes_kept / MiB).toFixed(0)} MiB kept`);
  console.log(`recorder: CPU median ${median(cpu).toFixed(1)} %, p90 ${[...cpu].sort((a, b) => a - b)[Math.floor(cpu.length * 0.9)]!.toFixed(1)} %; RSS median ${(median(rss) / MiB).toFixed(0)} MiB, peak ${(sum.peak_rss_bytes / MiB).toFixed(0)} MiB`);
  console.log(`rows: ${rows} (${(rows / (minutes * 60)).toFixed(0)}/s), lost ${sum.stats.lost}`);
  console.log(`pruning: ${sum.pruned_segments} segments, ${sum.pruned_segments > 0 ? (sum.pruning_ms.total / sum.pruned_segments).toFixed(1) : '-'} ms per segment (longest pass ${sum.pruning_ms.max.toFixed(1)} ms)`);
  for (const i of sum.incidents) console.log(`incident (${i.reason}, ${i.triggers} trigger${i.triggers === 1 ? '' : 's'}, --pre ${values.pre}): ${i.rows} rows written in ${(i.ms / 1000).toFixed(2)} s by a process of peak RSS ${(i.peak_rss_bytes / MiB).toFixed(0)} MiB`);
  rmSync(root, { recursive: true, force: true });
}

await main();
