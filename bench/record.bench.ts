// Recorder benchmark (issue 21): each workload alone and under each recorder, interleaved round
// by round so all see the same machine. Workloads run on CPU1; recorders are not pinned (as a
// user runs them) unless --pin-recorder puts them on CPU0. Needs root; perf (linux-perf) and
// trace-cmd rows only where those are installed.
//   npm run bench:record [-- --rounds 3 --keep --pin-recorder --workloads w1,w2,w3]
//   npm run bench:record -- --paced 1000000,1500000,2000000,3000000 [--seconds 5 --rounds 3]
//   ... --baseline DIR: also flightrec (defaults) as built in checkout DIR (before/after in one run)
// Recorders: flightrec (syscall,proc tables, and the defaults), bare BPF (bench/bare: one 64 B
// ring record per syscall, discarded — the kernel side's limit), perf record (raw_syscalls, and
// the same tracepoints as flightrec's default tables), trace-cmd record (raw_syscalls).
// Default mode, for W1 (2M getppid), W2 (50k file create/write/unlink), W3 (2k fork+exec):
// medians of the workload loop's slowdown against running alone and that over bare BPF's,
// events/s stored, lost events, bytes per syscall and per event on disk, recorder CPU ms per
// million rows and peak RSS (where the recorder reports them).
// --paced: getppid at each fixed rate for --seconds on CPU1 (bench/workloads/paced_storm.c);
// medians of the rate achieved and of what flightrec (defaults), bare BPF and trace-cmd lost.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/paths.js';
import { type Workload, onCpu1, pacedStorm, timing, workloads } from './workloads.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    'pin-recorder': { type: 'boolean', default: false },
    /** Comma-separated getppid rates (calls/s): run the paced measure instead of W1–W3. */
    paced: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    /** Which of W1–W3 to run (comma-separated keys), all by default. */
    workloads: { type: 'string', default: 'w1,w2,w3' },
    /** A checkout whose build (dist/, native/build/) runs as "flightrec baseline", with the defaults. */
    baseline: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const rates = values.paced?.split(',').map(Number);
if (!(rounds >= 1)) throw new Error(`--rounds must be at least 1, not ${values.rounds}`);
if (!(seconds > 0)) throw new Error(`--seconds must be positive, not ${values.seconds}`);
if (rates?.some((r) => !(r > 0 && Number.isInteger(r)))) throw new Error(`--paced takes positive integer rates, not ${values.paced}`);
const ROOT = packageRoot();
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const BARE = join(ROOT, 'native', 'build', 'bare', 'bare');
const BASELINE_CLI = values.baseline === undefined ? undefined : join(values.baseline, 'dist', 'src', 'cli', 'main.js');
if (BASELINE_CLI && !existsSync(BASELINE_CLI)) throw new Error(`--baseline: ${BASELINE_CLI} is missing: build that checkout first`);
const scratch = mkdtempSync(join(tmpdir(), 'flightrec-bench-'));
/** How a recorder command starts: on CPU0 with --pin-recorder, wherever the scheduler puts it otherwise. */
const RECORDER_CPU = values['pin-recorder'] ? ['taskset', '-c', '0'] : [];

const WORKLOADS = workloads(scratch).filter((w) => values.workloads.split(',').includes(w.key));
if (WORKLOADS.length === 0) throw new Error(`--workloads takes w1, w2 or w3, comma-separated, not ${values.workloads}`);

/** One run. `events` are what the recorder stored (or, for bare BPF, received); `lost` in its own unit. */
interface Sample {
  loopNs: number; ops: number; events?: number; syscalls?: number; lost?: number; bytes?: number;
  rssBytes?: number; cpuMs?: number;
}

const TRACING_PROGRAMS = new Set(['tracing', 'raw_tracepoint', 'tracepoint', 'kprobe', 'perf_event']);
/** Names of the BPF tracing programs seen loaded before a run since the last report. */
const otherTracers = new Set<string>();

/** The BPF tracing programs loaded now, by name. */
function tracingPrograms(): string[] {
  const r = spawnSync('bpftool', ['prog', 'show', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) return [];
  return (JSON.parse(r.stdout) as Array<{ type: string; name?: string }>).filter((p) => TRACING_PROGRAMS.has(p.type)).map((p) => p.name ?? p.type);
}

/** Between runs none of the loaded tracing programs is ours: another recorder on the machine
 * (a session's, a test's left running) adds its cost to every figure, `alone` included. The
 * last run's own are freed by the kernel a moment after its recorder exits: waited for, up to
 * 3 s, before anything still loaded is taken for another tracer. */
function noteOtherTracers(): void {
  let names = tracingPrograms();
  for (let waited = 0; names.length > 0 && waited < 3000; waited += 100) {
    spawnSync('sleep', ['0.1']);
    names = tracingPrograms();
  }
  for (const n of names) otherTracers.add(n);
}

/** A warning line if other tracers ran during the runs since the last one. */
function reportOtherTracers(): void {
  if (otherTracers.size > 0) console.log(`  warning: other BPF tracing programs were loaded during these runs (${[...otherTracers].slice(0, 8).join(', ')}${otherTracers.size > 8 ? ', ...' : ''}): every figure includes their cost`);
  otherTracers.clear();
}

function run(cmd: string[]): { stdout: string; stderr: string } {
  // Each run starts with nothing dirty: the writeback of the previous run's output (a perf.data
  // of W1 is hundreds of MB) would otherwise land in this one's time, the file churn's most.
  spawnSync('sync');
  noteOtherTracers();
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status}: ${r.stderr.slice(-1000)}`);
  return r;
}

let runs = 0;
/** A fresh output path in the scratch directory. */
const outPath = (label: string, w: Workload): string => join(scratch, `${label}-${w.key}-${runs++}`);

function alone(w: Workload): Sample {
  return timing(run(onCpu1(w)).stderr);
}

/** flightrec (this build, or `cli`'s) with the default tables, or only the given ones. */
function flightrec(w: Workload, tables?: string, cli = CLI): Sample {
  const out = outPath('fr', w);
  const summaryFile = `${out}.json`;
  const only = tables ? ['--tables', tables] : [];
  const { stderr } = run([...RECORDER_CPU, process.execPath, cli, 'record', '-q', ...only, '-o', out, '--summary-json', summaryFile, '--', ...onCpu1(w)]);
  const s = JSON.parse(readFileSync(summaryFile, 'utf8')) as {
    stats: { rows: Record<string, number>; lost: number }; bytes_written: number; peak_rss_bytes: number; cpu_user_ms: number; cpu_system_ms: number;
  };
  const events = Object.entries(s.stats.rows).filter(([t]) => t !== 'gap').reduce((a, [, n]) => a + n, 0);
  if (!values.keep) rmSync(out, { recursive: true, force: true });
  return {
    ...timing(stderr), events, syscalls: s.stats.rows.syscall ?? 0, lost: s.stats.lost, bytes: s.bytes_written,
    rssBytes: s.peak_rss_bytes, cpuMs: s.cpu_user_ms + s.cpu_system_ms,
  };
}

/** bench/bare: stores nothing, so no bytes; its summary line follows the workload's on stderr. */
function bare(w: Workload): Sample {
  const { stderr } = run([...RECORDER_CPU, BARE, '--', ...onCpu1(w)]);
  const m = /^\{"recorder":"bare".*\}$/m.exec(stderr);
  if (!m) throw new Error(`no summary line from bare: ${stderr.slice(-500)}`);
  const s = JSON.parse(m[0]) as { records: number; lost: number; cpu_user_ms: number; cpu_system_ms: number; peak_rss_bytes: number };
  return { ...timing(stderr), events: s.records, syscalls: s.records, lost: s.lost, rssBytes: s.peak_rss_bytes, cpuMs: s.cpu_user_ms + s.cpu_system_ms };
}

/** The tracepoints flightrec's default tables use besides raw_syscalls. */
const MORE_TRACEPOINTS = ['sched:sched_process_fork', 'sched:sched_process_exec', 'sched:sched_process_exit',
  'sock:inet_sock_set_state', 'block:block_rq_issue', 'block:block_rq_complete'];

function perf(w: Workload, tracepoints = ['raw_syscalls:*']): Sample {
  const out = `${outPath('perf', w)}.data`;
  const { stderr } = run([...RECORDER_CPU, 'perf', 'record', '-q', ...tracepoints.flatMap((e) => ['-e', e]), '-o', out, '--', ...onCpu1(w)]);
  const stats = execFileSync('perf', ['report', '-i', out, '--stats'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const count = (re: RegExp): number => Number(re.exec(stats)?.[1] ?? 0);
  const events = count(/^\s*SAMPLE events:\s+(\d+)/m);
  const lost = count(/^\s*LOST events:\s+(\d+)/m) + count(/^\s*LOST_SAMPLES events:\s+(\d+)/m);
  const bytes = statSync(out).size;
  if (!values.keep) rmSync(out, { force: true });
  // perf stores enter and exit as two samples: a syscall is one of each (the other
  // tracepoints are rare next to them, so this is close for the wider event set too).
  return { ...timing(stderr), events, syscalls: events / 2, lost, bytes };
}

/** trace-cmd leaves these off after `-d`; every tracefs mount gets them back on. */
function restoreTracing(): void {
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[2] === 'tracefs').map((l) => l.split(' ')[1]!);
  for (const m of mounts) {
    for (const f of ['tracing_on', 'options/function-trace']) {
      if (existsSync(join(m, f))) writeFileSync(join(m, f), '1');
    }
  }
}

/** trace-cmd record of raw_syscalls; on this kernel it needs `-d --no-filter` (DESIGN.md). */
function traceCmd(w: Workload): Sample {
  const out = `${outPath('trace', w)}.dat`;
  let r;
  try {
    r = run([...RECORDER_CPU, 'trace-cmd', 'record', '-e', 'raw_syscalls', '-d', '--no-filter', '-o', out, '--', ...onCpu1(w)]);
  } finally {
    restoreTracing();
  }
  // Its per-CPU buffer statistics, printed as it ends: events read out, and those overwritten or dropped.
  const text = `${r.stdout}\n${r.stderr}`;
  const sum = (re: RegExp): number => [...text.matchAll(re)].reduce((a, m) => a + Number(m[1]), 0);
  const read = [...text.matchAll(/^read events:\s+(\d+)/gm)];
  if (read.length === 0) console.error(`trace-cmd printed no buffer statistics: its events and losses are unknown (${text.slice(-300)})`);
  const events = read.length > 0 ? sum(/^read events:\s+(\d+)/gm) : NaN;
  const lost = read.length > 0 ? sum(/^overrun:\s+(\d+)/gm) + sum(/^commit overrun:\s+(\d+)/gm) + sum(/^dropped events:\s+(\d+)/gm) : NaN;
  const bytes = statSync(out).size;
  if (!values.keep) rmSync(out, { force: true });
  return { ...timing(r.stderr), events, syscalls: events / 2, lost, bytes };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function fmt(n: number, digits = 1): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(digits)}k` : n.toFixed(digits);
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(`  ${r.map((c, i) => c.padStart(widths[i]!)).join('  ')}`);
}

const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

interface Recorder { name: string; run: (w: Workload) => Sample }
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const perfWorks = spawnSync('perf', ['--version']).status === 0;
const baseline: Recorder[] = BASELINE_CLI ? [{ name: 'flightrec baseline', run: (w) => flightrec(w, undefined, BASELINE_CLI) }] : [];
/** trace-cmd installed, and able to trace here (a kernel without the function tracer refuses the
 * ftrace filter it resets, and trace-cmd then records nothing): the reason it cannot, if not. */
function traceCmdProblem(): string | undefined {
  if (!has('trace-cmd')) return 'trace-cmd is not installed (apt-get install trace-cmd)';
  const out = join(scratch, 'trace-probe.dat');
  const r = spawnSync('trace-cmd', ['record', '-e', 'raw_syscalls', '-d', '--no-filter', '-o', out, '--', 'true'], { encoding: 'utf8' });
  restoreTracing();
  rmSync(out, { force: true });
  if (r.status === 0) return undefined;
  return `trace-cmd cannot trace on this kernel (${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-2).join(' ').replace(/\s+/g, ' ')})`;
}
const traceCmdWhyNot = traceCmdProblem();
const traceCmdWorks = traceCmdWhyNot === undefined;
if (!perfWorks) console.log('perf is not installed (apt-get install linux-perf): no perf rows');
if (traceCmdWhyNot) console.log(`${traceCmdWhyNot}: no trace-cmd rows`);
if (!existsSync(BARE)) throw new Error(`${BARE} is missing: run npm run build`);

function fixedWorkloads(): void {
  const recorders: Recorder[] = [
    { name: 'flightrec syscall,proc', run: (w) => flightrec(w, 'syscall,proc') },
    { name: 'flightrec default', run: (w) => flightrec(w) },
    ...baseline,
    { name: 'bare BPF', run: bare },
    ...(perfWorks ? [{ name: 'perf raw_syscalls', run: (w: Workload) => perf(w) }, { name: 'perf same tracepoints', run: (w: Workload) => perf(w, ['raw_syscalls:*', ...MORE_TRACEPOINTS]) }] : []),
    ...(traceCmdWorks ? [{ name: 'trace-cmd raw_syscalls', run: traceCmd }] : []),
  ];
  for (const w of WORKLOADS) {
    const aloneNs: number[] = [];
    const samples = new Map<Recorder, Sample[]>(recorders.map((r) => [r, []]));
    for (let round = 0; round < rounds; round++) {
      aloneNs.push(alone(w).loopNs);
      for (const r of recorders) samples.get(r)!.push(r.run(w));
    }
    const base = median(aloneNs);
    const slowdown = (ss: Sample[]): number => median(ss.map((s) => s.loopNs)) / base;
    const named = (name: string): Sample[] => samples.get(recorders.find((r) => r.name === name)!)!;
    const bareSlowdown = slowdown(named('bare BPF'));
    console.log(`\n${w.name}: alone ${(base / 1e6).toFixed(1)} ms; load ${load()}`);
    const rows = [['recorder', 'slowdown', '÷ bare BPF', 'events/s stored', 'lost', 'B/syscall', 'B/event', 'CPU ms/M rows', 'peak RSS']];
    for (const [r, ss] of samples) {
      const m = (f: (s: Sample) => number | undefined): number | undefined => (ss.every((s) => f(s) !== undefined) ? median(ss.map((s) => f(s)!)) : undefined);
      const shown = (x: number | undefined, f: (x: number) => string): string => (x === undefined || Number.isNaN(x) ? '-' : f(x));
      const bytes = m((s) => s.bytes);
      rows.push([
        r.name,
        `${slowdown(ss).toFixed(2)}x`,
        `${(slowdown(ss) / bareSlowdown).toFixed(2)}x`,
        shown(m((s) => s.events! / (s.loopNs / 1e9)), (x) => `${fmt(x)}/s`),
        shown(m((s) => s.lost), (x) => String(x)),
        shown(bytes !== undefined ? m((s) => (s.syscalls! > 0 ? s.bytes! / s.syscalls! : NaN)) : undefined, (x) => x.toFixed(1)),
        shown(bytes !== undefined ? m((s) => s.bytes! / s.events!) : undefined, (x) => x.toFixed(1)),
        shown(m((s) => (s.cpuMs === undefined ? undefined : s.cpuMs / (s.events! / 1e6))), (x) => x.toFixed(0)),
        shown(m((s) => s.rssBytes), (x) => `${(x / 2 ** 20).toFixed(0)} MiB`),
      ]);
    }
    printTable(rows);
    reportOtherTracers();
    // The slowdown with the default tables over that with syscall,proc.
    // (A ratio of added overheads means nothing where one of them is within noise of zero.)
    console.log(`  default tables vs syscall,proc: slowdown ${(slowdown(named('flightrec default')) / slowdown(named('flightrec syscall,proc'))).toFixed(2)}x`);
  }
}

function paced(rates: number[]): void {
  const recorders: Recorder[] = [
    { name: 'flightrec default', run: (w) => flightrec(w) },
    ...baseline,
    { name: 'bare BPF', run: bare },
    ...(traceCmdWorks ? [{ name: 'trace-cmd raw_syscalls', run: traceCmd }] : []),
  ];
  const rows = [['rate/s', 'recorder', 'achieved/s', 'lost', 'lost %']];
  for (const rate of rates) {
    const w = pacedStorm(rate, seconds);
    const samples = new Map<Recorder, Sample[]>(recorders.map((r) => [r, []]));
    for (let round = 0; round < rounds; round++) for (const r of recorders) samples.get(r)!.push(r.run(w));
    for (const [r, ss] of samples) {
      // What it should have stored: a row per call for flightrec and bare BPF, two events for trace-cmd.
      const perCall = r.name.startsWith('trace-cmd') ? 2 : 1;
      rows.push([
        fmt(rate, 0), r.name,
        `${(median(ss.map((s) => s.ops / (s.loopNs / 1e9))) / 1e6).toFixed(3)}M`,
        String(median(ss.map((s) => s.lost!))),
        `${median(ss.map((s) => (100 * s.lost!) / (perCall * s.ops))).toFixed(2)}%`,
      ]);
    }
  }
  console.log(`\nload ${load()}`);
  printTable(rows);
  reportOtherTracers();
}

mkdirSync(scratch, { recursive: true });
const where = values['pin-recorder'] ? 'recorders on CPU0' : 'recorders not pinned';
console.log(`flightrec recorder benchmark: ${rounds} round${rounds === 1 ? '' : 's'}, medians; workloads on CPU1, ${where}; load ${load()}`);
if (rates) {
  console.log(`paced getppid for ${seconds} s at ${rates.map((r) => fmt(r, 0)).join(', ')} calls/s`);
  paced(rates);
} else {
  fixedWorkloads();
}
if (values.keep) console.log(`\nrecordings and traces kept in ${scratch}`);
else rmSync(scratch, { recursive: true, force: true });
