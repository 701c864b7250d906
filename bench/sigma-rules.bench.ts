// Sigma rules over a big recording, the way users run them: `flightrec replay` with the
// built-in detectors alone, then with every supported rule of fixtures/sigma beside them
// (--sigma), and `flightrec hunt` with the same rules as SQL (its first run builds the query
// cache; the next ones find it). Runs interleaved, medians printed as JSON, with the ratio the
// issue sets a target for (replay with the rules at least half as fast as without).
//   npm run bench:sigma-rules [-- --rows 10000000 --runs 3 --keep]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeMixedRecording } from './mixed-recording.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    runs: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
  },
});

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const RULES = join(ROOT, 'fixtures', 'sigma');
const rows = Number(values.rows);
const root = mkdtempSync(join(tmpdir(), 'flightrec-bench-'));
const dir = join(root, 'rec');
const cache = join(root, 'cache');
writeMixedRecording(dir, rows);

/** Seconds one CLI run takes, wall clock, as a user would see it. */
function timed(...args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const runs = { builtin: [] as number[], builtin_and_sigma: [] as number[], sigma_only: [] as number[], hunt: [] as number[] };
const huntCold = timed('hunt', dir, '--sigma', RULES, '--cache', cache, '-f', 'csv', '-o', join(root, 'cold.csv'));
for (let i = 0; i < Number(values.runs); i++) {
  runs.builtin.push(timed('replay', dir, '-f', 'jsonl', '-o', join(root, 'a.jsonl')));
  runs.builtin_and_sigma.push(timed('replay', dir, '--sigma', RULES, '-f', 'jsonl', '-o', join(root, 'b.jsonl')));
  runs.sigma_only.push(timed('replay', dir, '--detectors', 'sigma', '--sigma', RULES, '-f', 'jsonl', '-o', join(root, 'c.jsonl')));
  runs.hunt.push(timed('hunt', dir, '--sigma', RULES, '--cache', cache, '-f', 'csv', '-o', join(root, 'hunt.csv')));
}
const m = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)]));
console.log(JSON.stringify({
  rows,
  seconds: runs,
  median_s: m,
  rows_per_s: { builtin: Math.round(rows / m.builtin!), builtin_and_sigma: Math.round(rows / m.builtin_and_sigma!), sigma_only: Math.round(rows / m.sigma_only!) },
  replay_speed_with_sigma_vs_without: +(m.builtin! / m.builtin_and_sigma!).toFixed(3),
  hunt_s: { cold_cache: +huntCold.toFixed(2), warm_median: +m.hunt!.toFixed(2) },
}, null, 2));
if (!values.keep) rmSync(root, { recursive: true });
else console.error(`kept ${root}`);
