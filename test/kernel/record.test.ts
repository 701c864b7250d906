import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import stringWidth from 'string-width';
import { CLI, ROOT, cli, tempDir } from '../helpers.js';
import { WORKLOADS, kernelAvailable, loadedPrograms, record, recorderAttached, type Program } from './kernel.js';

const run = kernelAvailable();

// What every kernel must record the same is in scenarios.ts; these are the recorder's own ways.
describe.runIf(run)('flightrec record on the real kernel', () => {
  it('loads while its thread keeps being signalled (a profiler\'s SIGPROF every 50 µs)', () => {
    // The verifier gives up with EAGAIN when a signal is pending; the loader blocks them.
    const work = tempDir();
    for (let i = 0; i < 3; i++) {
      const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', join(work, 'prof'),
        CLI, 'record', '-q', '-o', join(work, `rec${i}`), '--', 'true'], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
    }
  });

  it('leaves no BPF program attached and a readable recording when SIGKILLed', async () => {
    const dir = join(tempDir(), 'rec');
    const child = spawn(process.execPath, [CLI, 'record', '-q', '-o', dir, '--', join(WORKLOADS, 'syscall_storm'), '1000000000'], { stdio: 'ignore' });
    const attached = new Set((await recorderAttached(child.pid!)).map((p) => p.id));
    await sleep(1500);
    child.kill('SIGKILL');
    await new Promise((res) => child.once('exit', res));
    spawn('pkill', ['-f', 'syscall_storm 1000000000']);
    // The kernel frees a dead process's programs once their last reference goes.
    let left: Program[] = [];
    for (let i = 0; i < 200; i++) {
      left = loadedPrograms().filter((p) => attached.has(p.id));
      if (left.length === 0) break;
      await sleep(100);
    }
    expect(left).toEqual([]);
    expect(existsSync(join(dir, 'manifest.json'))).toBe(true);
    const info = cli('info', dir);
    expect(info.code, info.stderr).toBe(0);
    expect(cli('verify', dir).code).toBe(3); // intact, but not sealed
    expect(cli('seal', dir).code).toBe(0);
    expect(cli('verify', dir).code).toBe(0);
    expect((JSON.parse(cli('info', '--json', dir).stdout) as { rows: number }).rows).toBeGreaterThan(0);
  });

  it('on a 60-column terminal the progress line stays one line, and shows the kernel\'s event rate', () => {
    const dir = join(tempDir(), 'rec');
    const r = spawnSync('python3', [join(ROOT, 'test', 'scripts', 'pty_run.py'), '60', '24', '--', process.execPath, CLI, 'record', '-o', dir, '--duration', '2',
      '--', join(WORKLOADS, 'syscall_storm'), '1000000000'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toContain('(stopped: duration');
    // Each progress line is written over the last (\r, erase line); the summary follows the last erase.
    const writes = r.stdout.split('\r\x1b[K');
    const progress = writes.slice(1, -1);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (const line of progress) {
      expect(line).not.toMatch(/[\r\n]/);
      expect(stringWidth(line)).toBeLessThanOrEqual(59);
      expect(line).toMatch(/^recording \d+\.\d s · \d+(\.\d+)?[kM]? events\/s · lost \d+/);
    }
    expect(progress.some((l) => !l.includes(' 0 events/s'))).toBe(true);
    expect(writes.at(-1)).toMatch(/^flightrec: recorded /);
  });

  it('--duration stops the recording after that long', async () => {
    const dir = join(tempDir(), 'rec');
    const t0 = Date.now();
    const r = record(dir, ['--duration', '1'], ['sleep', '30']);
    expect(r.code, r.stderr).not.toBe(0); // the command got SIGTERM
    expect(Date.now() - t0).toBeLessThan(25_000);
    expect(cli('verify', dir).code).toBe(0);
  });
});

describe.runIf(run)('flightrec record refuses clearly', () => {
  it('without root', () => {
    const dir = join(tempDir(), 'rec');
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all',
      process.execPath, CLI, 'record', '-o', dir, '--', 'true'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^flightrec: flightrec record needs root .*: run it with sudo$/);
    expect(existsSync(dir)).toBe(false);
  });

  it('with no target, two targets, an unknown command or a bad ring size', () => {
    const dir = join(tempDir(), 'rec');
    expect(cli('record', '-o', dir).stderr).toMatch(/nothing to record/);
    expect(cli('record', '-o', dir, '--all', '--', 'true').stderr).toMatch(/exactly one target/);
    const nf = cli('record', '-o', dir, '--', 'no-such-command-here');
    expect(nf.code).toBe(2);
    expect(nf.stderr.trim()).toBe('flightrec: no-such-command-here: command not found in PATH');
    const ring = cli('record', '-o', dir, '--ring-size', '5000', '--', 'true');
    expect(ring.code).toBe(2);
    expect(ring.stderr).toMatch(/not a power of two/);
    expect(cli('record', '-o', dir, '--pid', '999999999').stderr).toMatch(/no such process/);
    expect(existsSync(dir)).toBe(false);
  });
});
