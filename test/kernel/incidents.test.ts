// Incident recordings on the real kernel (record --incidents): a live alert, `flightrec mark`
// and SIGUSR1 each make one sealed recording of the window around the trigger, with the events
// from before it, the processes' context, the trigger, and the source's id and segment hashes;
// replaying it gives the alert again. And a ring recorder's kept segments say who the processes
// started before them are, once the segment with the /proc snapshot is pruned.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { isPruned, parseManifest, type Manifest } from '../../src/format/manifest.js';
import { runDir } from '../../src/record/run-dir.js';
import { CLI, cli, tempDir } from '../helpers.js';
import { kernelAvailable, killStarted, track } from './kernel.js';

const run = kernelAvailable();
afterEach(killStarted);

const manifestOf = (dir: string): Manifest => parseManifest(readFileSync(join(dir, 'manifest.json'), 'utf8'), 'manifest.json');

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));

/**
 * A recorder of `target` started in the background, its stderr kept; resolves once its programs
 * run (its status file for `flightrec status` is written then). Each test records its own
 * processes only: whatever else runs on the host does not decide what it records or how fast.
 */
async function startRecorder(dir: string, args: readonly string[], target: readonly string[]): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = track(spawn(process.execPath, [CLI, 'record', '-o', dir, ...args, ...target], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  for (let waited = 0; !existsSync(join(runDir(), `${child.pid}.json`)); waited += 100) {
    expect(child.exitCode, stderr).toBeNull();
    expect(waited, `the recorder did not start: ${stderr}`).toBeLessThan(30_000);
    await sleep(100);
  }
  return { child, stderr: () => stderr };
}

/** A process making a few syscalls ten times a second until killed, in its own process group. */
const busy = (): ChildProcess => track(spawn('sh', ['-c', 'while :; do cat /etc/hostname >/dev/null; sleep 0.1; done'], { stdio: 'ignore', detached: true }), true);

type Triggers = Array<Record<string, unknown>>;
const triggersOf = (incident: string): Triggers => (manifestOf(incident).source!.incident as { triggers: Triggers }).triggers;

/** The incident recordings in `dir` once `n` are sealed (their manifests closed) of those `mine` picks by their triggers. */
async function incidentsIn(dir: string, n: number, child: ChildProcess, stderr: () => string, mine: (t: Triggers) => boolean = () => true): Promise<string[]> {
  for (let waited = 0; ; waited += 200) {
    const names = existsSync(dir) ? readdirSync(dir).sort() : [];
    const sealed = names.filter((name) => existsSync(join(dir, name, 'manifest.json')) && manifestOf(join(dir, name)).state === 'closed' && mine(triggersOf(join(dir, name))));
    if (sealed.length >= n) return sealed;
    expect(child.exitCode === null || child.exitCode === 0, stderr()).toBe(true);
    expect(waited, `no incident in ${dir} within 60 s: ${stderr()}`).toBeLessThan(60_000);
    await sleep(200);
  }
}

const sqlRows = (rec: string, query: string): Array<Record<string, unknown>> => {
  const r = cli('sql', rec, query, '-f', 'json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
};

interface Derived { derived: { kind: string; of_id: string; triggers: Array<{ reason: string; time: string; what: string | null }> } }

/** Checks what every incident recording holds: it verifies, names its source and that source's segments by their hashes. */
function checkIncident(incident: string, source: string): Derived['derived'] {
  const verify = cli('verify', incident);
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  const m = manifestOf(incident);
  const of = m.source!.slice_of as { id: string; segments: Array<{ index: number; tables: Record<string, string> }> };
  const src = manifestOf(source);
  expect(of.id).toBe(src.id);
  expect(of.segments.length).toBeGreaterThan(0);
  for (const s of of.segments) {
    const entry = src.segments.find((e) => e.index === s.index)!;
    expect(Object.fromEntries(Object.entries(entry.tables).map(([t, e]) => [t, e.sha256]))).toEqual(s.tables);
  }
  const info = JSON.parse(cli('info', '--json', incident).stdout) as Derived;
  expect(info.derived.kind).toBe('incident');
  expect(info.derived.of_id).toBe(src.id);
  return info.derived;
}

describe.runIf(run)('incident recordings (record --incidents)', () => {
  it('a live alert makes one with the events from --pre before it, and replaying it gives the alert', async () => {
    const root = tempDir();
    const rec = join(root, 'ring');
    const incidents = join(root, 'incidents');
    // A program of its own name, to find its exec in the incident.
    const marker = join(root, `marker-${process.pid}`);
    copyFileSync('/bin/true', marker);
    // The script is the recording's target: it runs the marker, waits 3 s, reads the shadow file
    // and outlives the --post window. Only the detector of the shadow read: a program run from
    // /tmp is a warning of another.
    const { child, stderr } = await startRecorder(rec, ['--keep-size', '8M', '--segment-size', '1M', '--detect', '--detectors', 'sensitive-files', '-q',
      '--incidents', incidents, '--pre', '5s', '--post', '2s', '--trigger-severity', 'warning'],
    ['--', 'sh', '-c', `${marker} first; sleep 3; cat /etc/shadow >/dev/null; sleep 6`]);
    expect(await exited(child), stderr()).toBe(0);
    const ours = (t: Triggers): boolean => t.some((x) => x.title === 'cat opened /etc/shadow for reading');
    const [name] = await incidentsIn(incidents, 1, child, stderr, ours);

    expect(readdirSync(incidents).filter((n) => ours(triggersOf(join(incidents, n))))).toEqual([name]);
    expect(name).toMatch(/^\d{8}T\d{6}\.\d{3}Z-alert-sensitive-files$/);
    const incident = join(incidents, name!);
    const derived = checkIncident(incident, rec);
    expect(derived.triggers).toContainEqual(expect.objectContaining({ reason: 'alert', what: 'cat opened /etc/shadow for reading' }));

    const [exec] = sqlRows(incident, `SELECT ts::VARCHAR AS ts FROM proc WHERE kind = 'exec' AND filename = '${marker}'`);
    const [open] = sqlRows(incident, "SELECT ts::VARCHAR AS ts, comm FROM file WHERE path = '/etc/shadow' AND op = 'open'");
    expect(exec, 'the marker\'s exec, 3 s before the trigger').toBeDefined();
    expect(open).toMatchObject({ comm: 'cat' });
    const before = Number(BigInt(open!.ts as string) - BigInt(exec!.ts as string)) / 1e9;
    expect(before).toBeGreaterThan(2.9);
    expect(before).toBeLessThan(5);
    // The processes alive at the window's start are named: the shell that ran the script is.
    const [shell] = sqlRows(incident, `SELECT exe, running_at_start FROM processes WHERE pid = (SELECT pid FROM proc WHERE filename = '${marker}' AND kind = 'exec')`);
    expect(shell).toMatchObject({ exe: marker });

    const replay = cli('replay', incident, '-f', 'jsonl', '--detectors', 'sensitive-files');
    expect(replay.code, replay.stderr).toBe(0);
    const alerts = replay.stdout.trim().split('\n').map((l) => JSON.parse(l) as { detector: string; title: string });
    expect(alerts.filter((a) => a.detector === 'sensitive-files').map((a) => a.title)).toContain('cat opened /etc/shadow for reading');
  }, 180_000);

  it('`flightrec mark` and SIGUSR1 make one each, the mark with its note', async () => {
    const root = tempDir();
    const rec = join(root, 'rec');
    const incidents = join(root, 'incidents');
    const target = busy();
    const { child, stderr } = await startRecorder(rec, ['-q', '--incidents', incidents, '--pre', '2s', '--post', '1s'], ['--pid', String(target.pid)]);
    let both: string[];
    try {
      const mark = cli('mark', rec, '--note', 'odd login on web-3');
      expect(mark.code, mark.stderr).toBe(0);
      expect(mark.stdout).toContain(`recorder ${child.pid}`);
      const [first] = await incidentsIn(incidents, 1, child, stderr);
      expect(first).toMatch(/-mark$/);
      child.kill('SIGUSR1');
      both = await incidentsIn(incidents, 2, child, stderr);
      child.kill('SIGTERM');
      expect(await exited(child), stderr()).toBe(0);
    } finally {
      process.kill(-target.pid!, 'SIGKILL');
    }
    const first = both.find((n) => n.endsWith('-mark'))!;

    const second = both.find((n) => n !== first)!;
    expect(second).toMatch(/-signal$/);
    expect(checkIncident(join(incidents, first!), rec).triggers).toEqual([expect.objectContaining({ reason: 'mark', what: 'odd login on web-3' })]);
    expect(checkIncident(join(incidents, second), rec).triggers).toEqual([expect.objectContaining({ reason: 'signal', what: null })]);
    // Each has the rows of its window.
    for (const n of both) expect(Number(sqlRows(join(incidents, n), 'SELECT count(*) AS n FROM syscall')[0]!.n)).toBeGreaterThan(0);

    // A closed recording has no recorder to ask.
    const late = cli('mark', rec);
    expect(late.code).not.toBe(0);
    expect(late.stderr.trim().split('\n')).toHaveLength(1);
    expect(late.stderr).toContain('is closed');
  }, 180_000);

  it('a mark of a recording made without --incidents is refused', async () => {
    const rec = join(tempDir(), 'rec');
    const target = busy();
    const { child, stderr } = await startRecorder(rec, ['-q'], ['--pid', String(target.pid)]);
    const mark = cli('mark', rec);
    child.kill('SIGTERM');
    expect(await exited(child), stderr()).toBe(0);
    process.kill(-target.pid!, 'SIGKILL');
    expect(mark.code).not.toBe(0);
    expect(mark.stderr).toContain('without --incidents');
  }, 120_000);
});

describe.runIf(run)('a ring recorder\'s kept segments', () => {
  it('say who the processes running before them are, once the first segment is pruned', async () => {
    const rec = join(tempDir(), 'ring');
    // Running before the recording: known from the /proc snapshot in the first segment only.
    const sleeper = track(spawn('sleep', ['600.25'], { stdio: 'ignore' }));
    try {
      // The churn is recorded with the sleeper (both targets), and fills segments of 256 KiB.
      const churn = track(spawn('sh', ['-c', 'while :; do ls -R /usr/share >/dev/null; done'], { stdio: 'ignore', detached: true }), true);
      const { child, stderr } = await startRecorder(rec, ['-q', '--keep-size', '2M', '--segment-size', '256K'], ['--pid', String(sleeper.pid), String(churn.pid)]);
      try {
        for (let waited = 0; !manifestOf(rec).segments.some((s) => s.index === 1 && isPruned(s)); waited += 200) {
          expect(waited, `segment 1 was not pruned within 60 s: ${stderr()}`).toBeLessThan(60_000);
          await sleep(200);
        }
      } finally {
        process.kill(-churn.pid!, 'SIGKILL');
      }
      child.kill('SIGTERM');
      expect(await exited(child), stderr()).toBe(0);
    } finally {
      sleeper.kill('SIGKILL');
    }
    expect(manifestOf(rec).source!.process_context).toBe('every segment');
    const [p] = sqlRows(rec, `SELECT exe, argv, running_at_start FROM processes WHERE pid = ${sleeper.pid}`);
    expect(p).toMatchObject({ exe: '/usr/bin/sleep', argv: ['sleep', '600.25'], running_at_start: true });
    // The context rows are numbered like every other row: no seq twice.
    const [dups] = sqlRows(rec, 'SELECT count(*) - count(DISTINCT seq) AS n FROM proc');
    expect(Number(dups!.n)).toBe(0);
    expect(cli('verify', rec).code).toBe(0);
  }, 180_000);
});
