// Startup benchmark: how long each command takes from exec to exit on a small recording
// (mixed tables, 20,000 rows), median and fastest of --runs, beside Node's own start. `sql` is timed with its query
// cache warm (one run first builds it), as an analyst meets it after the first query. Prints JSON.
//   npm run bench:startup [-- --runs 10]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLI } from '../test/helpers.js';
import { writeMixedRecording } from './mixed-recording.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const runs = Number(values.runs);

const base = mkdtempSync(join(tmpdir(), 'flightrec-bench-'));
const rec = join(base, 'rec');
const cache = join(base, 'cache');
writeMixedRecording(rec, 20_000);

// `node -e 0` is the floor: what starting Node costs on this machine, before flightrec does anything.
const commands: Readonly<Record<string, readonly string[]>> = {
  'node -e 0': ['-e', '0'],
  '--version': ['--version'],
  '--help': ['--help'],
  info: ['info', rec],
  verify: ['verify', rec],
  sql: ['sql', '--cache', cache, rec, 'SELECT count(*) FROM syscall'],
};

function timeOnce(args: readonly string[]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args[0] === '-e' ? args : [CLI, ...args], { encoding: 'utf8' });
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`flightrec ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return s;
}

const results: Record<string, { median_s: number; min_s: number }> = {};
try {
  for (const [name, args] of Object.entries(commands)) {
    timeOnce(args); // warm: the file cache, and the query cache of `sql`
    const times = Array.from({ length: runs }, () => timeOnce(args)).sort((a, b) => a - b);
    const mid = times.length / 2;
    const median = times.length % 2 === 1 ? times[Math.floor(mid)]! : (times[mid - 1]! + times[mid]!) / 2;
    results[name] = { median_s: Number(median.toFixed(3)), min_s: Number(times[0]!.toFixed(3)) };
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
console.log(JSON.stringify({ runs, node: process.version, results }, null, 2));
