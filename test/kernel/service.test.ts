// flightrec as a service (issue 20): SIGHUP opens --alerts-out again and the recording goes on;
// `flightrec status` shows the running recorder; --max-memory bounds what it uses.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecorderStatus } from '../../src/record/status.js';
import { CLI, cli, tempDir } from '../helpers.js';
import { INSTALLED, commandWords, parsedExecStart, unitSettings } from '../contrib/unit.js';
import { kernelAvailable, killStarted, track } from './kernel.js';

const run = kernelAvailable();
afterEach(killStarted);

/** Waits for `ok`, polling every 50 ms; fails naming `what` after `ms`. */
async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  for (let waited = 0; !ok(); waited += 50) {
    if (waited > ms) throw new Error(`waited ${ms} ms for ${what}`);
    await sleep(50);
  }
}

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));

describe.runIf(run)('flightrec as a service', () => {
  it('on SIGHUP opens --alerts-out again and goes on recording; `status` shows it; SIGTERM seals it', async () => {
    const work = tempDir();
    const dir = join(work, 'rec');
    const alerts = join(work, 'alerts.jsonl');
    const go = join(work, 'go');
    const rec = track(spawn(process.execPath, [CLI, 'record', '-q', '-o', dir, '--detect', '--alerts-out', alerts, '--',
      'sh', '-c', `cat /etc/shadow > /dev/null; until [ -e ${go} ]; do sleep 0.05; done; cat /etc/gshadow > /dev/null; exec sleep 1000`],
    { stdio: ['ignore', 'ignore', 'pipe'] }));
    let stderr = '';
    rec.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    try {
      await until('the first alert', () => lines(alerts).length > 0);
      // The running recorder, as `status` shows it.
      let status: RecorderStatus[] = [];
      await until('a status with the first segment\'s rows', () => {
        const r = cli('status', dir, '--json');
        status = r.code === 0 ? JSON.parse(r.stdout) as RecorderStatus[] : [];
        return status.length === 1 && status[0]!.rates.interval_ms > 0;
      });
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { id: string };
      expect(status[0]).toMatchObject({ pid: rec.pid, recording: { path: dir, id: manifest.id }, target: expect.stringMatching(/^command sh -c /), incidents: null });
      expect(status[0]!.rss_bytes).toBeGreaterThan(10 * 2 ** 20);
      expect(status[0]!.disk.open_bytes).toBeGreaterThan(0);
      const text = cli('status');
      expect(text.stdout).toContain(`recording   ${dir}`);
      expect(text.stdout).toMatch(new RegExp(`recorder    pid ${rec.pid}, up \\d+s`));

      // logrotate: move the file away, then SIGHUP.
      renameSync(alerts, `${alerts}.1`);
      rec.kill('SIGHUP');
      await until('the file opened again', () => existsSync(alerts));
      writeFileSync(go, '');
      await until('the second alert', () => lines(alerts).length > 0);
      expect(rec.exitCode).toBeNull();
      expect(lines(`${alerts}.1`).map((l) => JSON.parse(l).title)).toEqual([expect.stringMatching(/opened \/etc\/shadow for reading$/)]);
      expect(lines(alerts).map((l) => JSON.parse(l).title)).toEqual([expect.stringMatching(/opened \/etc\/gshadow for reading$/)]);

      rec.kill('SIGTERM');
      const code = await exited(rec);
      expect(code, stderr).toBe(143); // the command's: SIGTERM
    } finally {
      if (rec.exitCode === null) rec.kill('SIGKILL');
    }
    expect(stderr).toBe('');
    const verify = cli('verify', dir);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    // Gone from `status` once it has ended.
    const after = cli('status', dir);
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/no recorder is running for it/);
  }, 120_000);

  it.each([[[] as string[], '320M'], [['--detect'], '592M']])('with --max-memory stays below it: record --all %j', (flags, max) => {
    const work = tempDir();
    const summary = join(work, 'summary.json');
    const r = cli('record', '-q', '--all', '--duration', '3s', '--max-memory', max, ...flags, '-o', join(work, 'rec'), '--summary-json', summary);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(summary, 'utf8')) as { peak_rss_bytes: number; memory_estimate: { total_bytes: number } };
    const bound = Number.parseInt(max, 10) * 2 ** 20;
    expect(s.memory_estimate.total_bytes).toBeLessThanOrEqual(bound);
    expect(s.peak_rss_bytes).toBeGreaterThan(0);
    expect(s.peak_rss_bytes).toBeLessThan(bound);
    console.log(`record --all ${flags.join(' ')} --max-memory ${max}: estimate ${(s.memory_estimate.total_bytes / 2 ** 20).toFixed(1)} MiB, peak RSS ${(s.peak_rss_bytes / 2 ** 20).toFixed(1)} MiB`);
  }, 60_000);

  it('as the systemd unit runs it: each start seals what the last run left, crashed or stopped, and keeps it as ring.previous', async () => {
    const state = tempDir();
    const logs = tempDir();
    const here = (w: string): string => w.replaceAll('/var/lib/flightrec', state).replaceAll('/var/log/flightrec', logs).replaceAll(INSTALLED, `${process.execPath} ${CLI}`);
    const [, , script] = commandWords(unitSettings().get('ExecStartPre')![0]!);
    const { words } = await parsedExecStart();
    const ring = join(state, 'ring');
    const previous = join(state, 'ring.previous');
    const idOf = (dir: string): string => (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { id: string }).id;
    /** ExecStartPre, then ExecStart until `flightrec status` shows the recorder. */
    const start = async (): Promise<{ rec: ChildProcess; stderr: () => string }> => {
      const pre = spawnSync('/bin/sh', ['-c', here(script!)], { encoding: 'utf8' });
      expect(pre.status, pre.stderr).toBe(0);
      expect(existsSync(ring)).toBe(false);
      const rec = track(spawn(process.execPath, [CLI, ...words.map(here)], { stdio: ['ignore', 'ignore', 'pipe'] }));
      let stderr = '';
      rec.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
      await until('the recorder in `flightrec status`', () => rec.exitCode === null && existsSync(join(ring, 'manifest.json')) && cli('status', ring).code === 0);
      return { rec, stderr: () => stderr };
    };

    const first = await start();
    const firstId = idOf(ring);
    first.rec.kill('SIGKILL'); // a crash
    await exited(first.rec);

    const second = await start();
    // The crashed run's recording, sealed.
    expect(idOf(previous)).toBe(firstId);
    expect(cli('verify', previous).code).toBe(0);
    const secondId = idOf(ring);
    second.rec.kill('SIGTERM'); // systemctl stop
    expect(await exited(second.rec), second.stderr()).toBe(0);
    expect(cli('verify', ring).code).toBe(0);

    const third = await start();
    // A clean stop's recording replaces the one before.
    expect(idOf(previous)).toBe(secondId);
    expect(cli('verify', previous).code).toBe(0);
    third.rec.kill('SIGTERM');
    expect(await exited(third.rec), third.stderr()).toBe(0);
  }, 120_000);
});
