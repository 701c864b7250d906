// Snapshot benchmark: how long `record --all` takes to read /proc for the processes running
// when it starts, as the recorder reports it (--summary-json), with this machine's own
// processes and with 1,000 and 3,000 more sleeping ones. Needs root.
//   npm run bench:snapshot [-- --rounds 5]
// Prints, per population, the median processes read and milliseconds, and per 1,000 processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/paths.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
const CLI = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
const scratch = mkdtempSync(join(tmpdir(), 'flightrec-bench-snapshot-'));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function once(): { processes: number; ms: number } {
  const out = join(scratch, 'rec');
  const summary = join(scratch, 'summary.json');
  rmSync(out, { recursive: true, force: true });
  const r = spawnSync('node', [CLI, 'record', '--all', '--tables', 'proc', '--duration', '0.5', '-q', '-o', out, '--summary-json', summary], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`record exited ${r.status}: ${r.stderr}`);
  const s = JSON.parse(readFileSync(summary, 'utf8')) as { snapshot: { processes: number; ms: number } };
  return s.snapshot;
}

const sleepers: ChildProcess[] = [];
try {
  for (const extra of [0, 1000, 3000]) {
    while (sleepers.length < extra) sleepers.push(spawn('sleep', ['3600'], { stdio: 'ignore' }));
    const runs = Array.from({ length: rounds }, once);
    const processes = median(runs.map((x) => x.processes));
    const ms = median(runs.map((x) => x.ms));
    console.log(`+${String(extra).padStart(4)} sleeping: ${processes} processes, snapshot ${ms.toFixed(1)} ms (median of ${rounds}), ${(ms / processes * 1000).toFixed(1)} ms per 1,000`);
  }
} finally {
  for (const s of sleepers) s.kill();
  rmSync(scratch, { recursive: true, force: true });
}
