// Replay benchmark: a synthetic recording of N rows (bench/mixed-recording.ts) replayed
// through every built-in detector (anomaly with a baseline learned from a separate 1M-row
// recording of the same shape). The replay runs in its own process, pinned to one CPU with
// taskset (the inflate workers share that CPU), and again unpinned. Prints JSON.
//   npm run bench:replay [-- --rows 10000000 --runs 3 --keep]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDetectors } from '../src/detect/load.js';
import { Recording } from '../src/format/recording.js';
import { replay } from '../src/replay/replay.js';
import { writeMixedRecording } from './mixed-recording.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    runs: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    replay: { type: 'string' },
    baseline: { type: 'string' },
  },
});

if (values.replay !== undefined) {
  const set = await loadDetectors(['builtin'], { baseline: values.baseline! });
  const rec = Recording.open(values.replay);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = replay(rec, set.detectors, set.options);
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({
    detectors: set.detectors.length, events: r.events, alerts: r.alerts.length, failures: r.failures.length, seconds: +s.toFixed(3),
    events_per_s: Math.round(r.events / s), cpu_s: +((cpu.user + cpu.system) / 1e6).toFixed(3), peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  }));
  process.exit(0);
}

const root = mkdtempSync(join(tmpdir(), 'flightrec-bench-'));
const dir = join(root, 'rec');
const clean = join(root, 'clean');
writeMixedRecording(dir, Number(values.rows));
writeMixedRecording(clean, 1_000_000);
const baseline = join(root, 'baseline.json');
const learn = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'src', 'cli', 'main.js'), 'baseline', 'learn', clean, '-o', baseline], { encoding: 'utf8' });
if (learn.status !== 0) throw new Error(learn.stderr);

const once = (pinned: boolean): Record<string, number> => {
  const args = [process.argv[1]!, '--replay', dir, '--baseline', baseline];
  const r = pinned ? spawnSync('taskset', ['-c', '1', process.execPath, ...args], { encoding: 'utf8' }) : spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, number>;
};
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const result: Record<string, unknown> = { rows: Number(values.rows) };
for (const pinned of [true, false]) {
  const runs = Array.from({ length: Number(values.runs) }, () => once(pinned));
  result[pinned ? 'one_cpu' : 'all_cpus'] = {
    events: runs[0]!.events, alerts: runs[0]!.alerts, failures: runs[0]!.failures,
    events_per_s_median: median(runs.map((r) => r.events_per_s!)), events_per_s: runs.map((r) => r.events_per_s),
    seconds: runs.map((r) => r.seconds), peak_rss_mb_max: Math.max(...runs.map((r) => r.peak_rss_mb!)),
  };
}
console.log(JSON.stringify(result, null, 2));
if (!values.keep) rmSync(root, { recursive: true });
else console.error(`kept ${root}`);
