// Two builds of flightrec side by side: this checkout and another one (--base DIR, a checkout
// with dist/ and native/build/ built), interleaved round by round so both see the same machine.
// Measures the program load time (`record -- true`, wall clock) and the workloads W1-W3 alone
// and under each build's recorder with the default tables, both tuned (recorder on CPU0,
// workload on CPU1) and as a user runs it (nothing pinned). Needs root.
//   npm run bench:builds -- --base ../flightrec-before [--rounds 5]
// Prints medians: load time, and per workload the loop's slowdown against running alone, lost
// events and bytes per event on disk, with the ratio of this build to the base.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/paths.js';

const { values } = parseArgs({ options: { base: { type: 'string' }, rounds: { type: 'string', default: '5' } } });
if (!values.base) throw new Error('--base DIR: a checkout of the build to compare with (dist/ and native/build/ built)');
const rounds = Number(values.rounds);
const BUILDS = { base: resolve(values.base), this: packageRoot() } as const;
for (const dir of Object.values(BUILDS)) {
  if (!existsSync(join(dir, 'dist', 'src', 'cli', 'main.js'))) throw new Error(`${dir} is not built: run npm run build there`);
}
const cli = (build: string): string => join(build, 'dist', 'src', 'cli', 'main.js');
const WORK = join(BUILDS.this, 'native', 'build', 'workloads');
const scratch = mkdtempSync(join(tmpdir(), 'flightrec-builds-'));

const WORKLOADS = [
  { name: 'W1 syscall storm (2M getppid)', argv: [join(WORK, 'syscall_storm'), '2000000'] },
  { name: 'W2 file churn (50k create/write/unlink)', argv: [join(WORK, 'file_churn'), '50000', scratch] },
  { name: 'W3 fork+exec storm (2k)', argv: [join(WORK, 'fork_exec'), '2000'] },
];

function run(argv: string[]): { stderr: string; ms: number } {
  spawnSync('sync'); // the previous run's writeback must not land in this one
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr.slice(-1000)}`);
  return { stderr: r.stderr, ms };
}

/** The workload's own timing line ({"workload":..,"loop_ns":..}) from its stderr. */
function loopNs(stderr: string): number {
  const m = /\{"workload":[^}]*"loop_ns":(\d+)\}/.exec(stderr);
  if (!m) throw new Error(`no timing line in: ${stderr.slice(-500)}`);
  return Number(m[1]);
}

interface Recorded { loopNs: number; lost: number; bytesPerEvent: number }

function recordWith(build: string, argv: string[], pinned: boolean): Recorded {
  const out = join(scratch, 'rec');
  const summary = join(scratch, 'summary.json');
  const recorder = [process.execPath, cli(build), 'record', '-q', '-o', out, '--summary-json', summary, '--'];
  const r = run(pinned ? ['taskset', '-c', '0', ...recorder, 'taskset', '-c', '1', ...argv] : [...recorder, ...argv]);
  const s = JSON.parse(readFileSync(summary, 'utf8')) as { stats: { rows: Record<string, number>; lost: number }; bytes_written: number };
  const events = Object.entries(s.stats.rows).filter(([t]) => t !== 'gap').reduce((a, [, n]) => a + n, 0);
  rmSync(out, { recursive: true, force: true });
  return { loopNs: loopNs(r.stderr), lost: s.stats.lost, bytesPerEvent: s.bytes_written / events };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

console.log(`flightrec, this build (${BUILDS.this}) against ${BUILDS.base}: ${rounds} rounds, interleaved, medians`);

const load: Record<keyof typeof BUILDS, number[]> = { base: [], this: [] };
for (let r = 0; r < rounds; r++) {
  for (const [name, dir] of Object.entries(BUILDS) as Array<[keyof typeof BUILDS, string]>) {
    load[name].push(run([process.execPath, cli(dir), 'record', '-q', '-o', join(scratch, 'true'), '--', 'true']).ms);
    rmSync(join(scratch, 'true'), { recursive: true, force: true });
  }
}
console.log(`\nrecord -- true (load, attach, record, seal): base ${median(load.base).toFixed(0)} ms, this ${median(load.this).toFixed(0)} ms (${(median(load.this) / median(load.base)).toFixed(2)}x)`);

for (const w of WORKLOADS) {
  for (const pinned of [true, false]) {
    const alone: number[] = [];
    const rec: Record<keyof typeof BUILDS, Recorded[]> = { base: [], this: [] };
    for (let r = 0; r < rounds; r++) {
      alone.push(loopNs(run(pinned ? ['taskset', '-c', '1', ...w.argv] : w.argv).stderr));
      for (const [name, dir] of Object.entries(BUILDS) as Array<[keyof typeof BUILDS, string]>) rec[name].push(recordWith(dir, w.argv, pinned));
    }
    const a = median(alone);
    const slow = (name: keyof typeof BUILDS): number => median(rec[name].map((s) => s.loopNs)) / a;
    const m = (name: keyof typeof BUILDS, f: (s: Recorded) => number): number => median(rec[name].map(f));
    console.log(`\n${w.name}, ${pinned ? 'recorder on CPU0, workload on CPU1' : 'nothing pinned'}: alone ${(a / 1e6).toFixed(0)} ms`);
    for (const name of ['base', 'this'] as const) {
      console.log(`  ${name.padEnd(4)}  slowdown ${slow(name).toFixed(2)}x  lost ${m(name, (s) => s.lost)}  ${m(name, (s) => s.bytesPerEvent).toFixed(1)} B/event`);
    }
    console.log(`  this/base slowdown ${(slow('this') / slow('base')).toFixed(3)}`);
  }
}
rmSync(scratch, { recursive: true, force: true });
