// Replay benchmark: a synthetic recording of N rows (bench/mixed-recording.ts) replayed
// through every built-in detector (anomaly with a baseline learned from a separate 1M-row
// recording of the same shape), the way `flightrec replay` runs them: on a detection thread
// under the watchdog (--in-process: in the calling thread, as replay() does for trusted
// callers). The replay runs in its own process, pinned to one CPU with taskset (the inflate
// workers share that CPU), and again unpinned. Prints JSON.
//   npm run bench:replay [-- --rows 10000000 --runs 3 --keep --in-process]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDetectors, loadOptions } from '../src/detect/load.js';
import { Recording } from '../src/format/recording.js';
import { replay, type ReplayResult } from '../src/replay/replay.js';
import { superviseReplay } from '../src/replay/supervised.js';
import { writeMixedRecording } from './mixed-recording.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    runs: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
    replay: { type: 'string' },
    baseline: { type: 'string' },
  },
});

if (values.replay !== undefined) {
  // In process, loading is left out of the time (as before the watchdog); supervised, the
  // thread's start and its loading of the detectors are in it.
  const set = values['in-process'] ? await loadDetectors(['builtin'], { baseline: values.baseline! }) : undefined;
  const rec = values['in-process'] ? Recording.open(values.replay) : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let r: ReplayResult;
  let detectors: number;
  let ready = t0;
  if (set && rec) {
    r = replay(rec, set.detectors, set.options);
    detectors = set.detectors.length;
  } else {
    const s = await superviseReplay({ dir: values.replay, specs: ['builtin'], options: loadOptions({ baseline: values.baseline! }), onReady: () => { ready = performance.now(); } });
    r = s;
    detectors = s.detectors.length;
  }
  const end = performance.now();
  const s = (end - t0) / 1000;
  // Both threads' CPU: process.cpuUsage() counts the whole process.
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({
    detectors, events: r.events, alerts: r.alerts.length, failures: r.failures.length, seconds: +s.toFixed(3),
    events_per_s: Math.round(r.events / s), thread_start_s: +((ready - t0) / 1000).toFixed(3), detect_events_per_s: Math.round(r.events / ((end - ready) / 1000)), cpu_s: +((cpu.user + cpu.system) / 1e6).toFixed(3), peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
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
  const args = [process.argv[1]!, '--replay', dir, '--baseline', baseline, ...(values['in-process'] ? ['--in-process'] : [])];
  const r = pinned ? spawnSync('taskset', ['-c', '1', process.execPath, ...args], { encoding: 'utf8' }) : spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, number>;
};
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const result: Record<string, unknown> = { rows: Number(values.rows), path: values['in-process'] ? 'in-process' : 'supervised' };
for (const pinned of [true, false]) {
  const runs = Array.from({ length: Number(values.runs) }, () => once(pinned));
  result[pinned ? 'one_cpu' : 'all_cpus'] = {
    events: runs[0]!.events, alerts: runs[0]!.alerts, failures: runs[0]!.failures,
    events_per_s_median: median(runs.map((r) => r.events_per_s!)), events_per_s: runs.map((r) => r.events_per_s),
    // Supervised: the detection thread's start and loading, and the rate once it runs.
    thread_start_s: runs.map((r) => r.thread_start_s), detect_events_per_s_median: median(runs.map((r) => r.detect_events_per_s!)),
    seconds: runs.map((r) => r.seconds), peak_rss_mb_max: Math.max(...runs.map((r) => r.peak_rss_mb!)),
  };
}
console.log(JSON.stringify(result, null, 2));
if (!values.keep) rmSync(root, { recursive: true });
else console.error(`kept ${root}`);
