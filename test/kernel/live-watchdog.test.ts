// record --detect with a detector that loops forever, on the real kernel: the recorder still
// ends on SIGTERM within 2 s with nothing it attached left behind, and a detector the watchdog
// stops is named in the summary while the others' stored alerts still equal their replay.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CLI, cli, tempDir } from '../helpers.js';
import { WORKLOADS, attachedPrograms, kernelAvailable, loadedPrograms, recorderAttached, type Program } from './kernel.js';

const run = kernelAvailable();

/** A detector file that loops forever on the first syscall it is given. */
function spinner(): string {
  const f = join(tempDir(), 'spinner.mjs');
  writeFileSync(f, "export default { name: 'spinner', version: '1', description: 'loops forever', tables: { syscall: {} }, create: () => ({ syscall: () => { for (;;); } }) };\n");
  return f;
}

describe.runIf(run)('record --detect under the watchdog', () => {
  it('ends on SIGTERM within 2 s while a detector loops, and leaves none of its programs attached', async () => {
    const dir = join(tempDir(), 'rec');
    const child = spawn(process.execPath, [CLI, 'record', '-o', dir, '--detect', '--detectors', spinner(), 'builtin', '--', 'sleep', '60'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    const attached = new Set((await recorderAttached(child.pid!)).map((p) => p.id));
    // sleep's first syscalls reach the detectors within a batch time (250 ms) of being recorded; then it loops for good.
    await sleep(1500);
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    const took = Date.now() - t0;
    expect(took, stderr).toBeLessThanOrEqual(2000);
    expect(code, stderr).toBe(128 + 15); // the command's: sleep ended by the signal
    expect(stderr).toMatch(/\(stopped: signal; the command killed by signal 15\)/);
    expect(stderr).toMatch(/ {2}live {6}live detection did not finish before the recorder stopped: .* not run through the detectors live \(flightrec replay runs them\)/);
    expect(attachedPrograms(child.pid!)).toEqual([]);
    // The kernel frees programs once their last reference goes.
    let left: Program[] = [];
    for (let i = 0; i < 50; i++) {
      left = loadedPrograms().filter((p) => attached.has(p.id));
      if (left.length === 0) break;
      await sleep(100);
    }
    expect(left).toEqual([]);
    const verified = cli('verify', dir);
    expect(verified.code, verified.stderr).toBe(0);
  });

  it('names a detector the watchdog stopped, keeps the command\'s exit code, and the others\' alerts equal their replay', () => {
    const acts = join(WORKLOADS, 'acts');
    const dir = join(tempDir(), 'rec');
    const r = cli('record', '-o', dir, '--detect', '--detectors', spinner(), 'builtin', '--detector-timeout', '2', '--',
      'sh', '-c', `${acts} reverse-shell; sleep 3; ${acts} scan; cat /etc/shadow > /dev/null; exit 3`);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^ {2}detector {2}spinner took more than 2 s on one batch of events at seq \d+; it was stopped, the others went on$/m);
    const replayed = cli('replay', dir, '--detectors', 'builtin', '-f', 'jsonl', '--check-stored');
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stderr).toMatch(/the \d+ stored live alerts equal the replay's/);
    const detectors = replayed.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).detector as string);
    expect(detectors).toEqual(expect.arrayContaining(['reverse-shell', 'port-scan', 'sensitive-files']));
  });
});
