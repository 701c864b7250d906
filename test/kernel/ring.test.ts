// A ring recorder (record --all --keep-size) on the real kernel under steady file churn: the
// directory stays within its bound the whole time, what is kept verifies and is what SQL
// counts, and a recorder killed with SIGKILL at any moment leaves a recording that seal and
// verify make whole, never listing a pruned segment as present.
import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isPruned, keptSegments, parseManifest, type Manifest } from '../../src/format/manifest.js';
import { Recording } from '../../src/format/recording.js';
import { CLI, cli, tempDir } from '../helpers.js';
import { WORKLOADS, kernelAvailable, killStarted, track } from './kernel.js';

const run = kernelAvailable();
afterEach(killStarted);
const MiB = 1024 * 1024;

/** Bytes of the regular files below `path` (a file deleted while walked counts 0). */
function fileBytes(path: string): number {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 0;
  }
  if (st.isFile()) return st.size;
  if (!st.isDirectory()) return 0;
  let names: string[];
  try {
    names = readdirSync(path);
  } catch {
    return 0;
  }
  return names.reduce((n, name) => n + fileBytes(join(path, name)), 0);
}

/**
 * The recording directory's bytes apart from the newest segment (the open one, or the one just
 * sealed whose pruning is under way) and the manifest (with its temp while it is replaced).
 */
function sample(dir: string): { total: number; sealed: number } {
  let segments: string[];
  try {
    segments = readdirSync(join(dir, 'segments')).sort();
  } catch {
    return { total: 0, sealed: 0 };
  }
  const sizes = segments.map((s) => fileBytes(join(dir, 'segments', s)));
  const manifests = readdirSync(dir).filter((f) => f.includes('manifest.json')).reduce((n, f) => n + fileBytes(join(dir, f)), 0);
  const all = sizes.reduce((n, x) => n + x, 0);
  return { total: all + manifests, sealed: all - (sizes.at(-1) ?? 0) };
}

const manifestOf = (dir: string): Manifest | undefined => {
  try {
    return parseManifest(readFileSync(join(dir, 'manifest.json'), 'utf8'), 'manifest.json');
  } catch {
    return undefined;
  }
};

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));

describe.runIf(run)('a ring recorder (record --all --keep-size)', () => {
  let churn: ChildProcess;
  beforeAll(() => {
    // Steady file churn, as a shell would make it: batches of create/write/close/unlink.
    const where = join(tempDir(), 'churn');
    mkdirSync(where);
    churn = spawn('sh', ['-c', `while :; do ${join(WORKLOADS, 'file_churn')} 2000 ${where} >/dev/null; done`], { stdio: 'ignore', detached: true });
  });
  afterAll(() => {
    if (churn.pid) process.kill(-churn.pid, 'SIGKILL');
  });

  it('stays within --keep-size plus the open segment and the manifest, verifies, and SQL counts the kept window', async () => {
    const dir = join(tempDir(), 'rec');
    const keep = 8 * MiB;
    const child = track(spawn(process.execPath, [CLI, 'record', '-q', '-o', dir, '--all', '--keep-size', '8M', '--segment-size', '1M', '--duration', '20s'], { stdio: ['ignore', 'ignore', 'pipe'] }));
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const samples: Array<{ total: number; sealed: number }> = [];
    const timer = setInterval(() => samples.push(sample(dir)), 100);
    const code = await exited(child);
    clearInterval(timer);
    expect(code, stderr).toBe(0);

    expect(samples.length).toBeGreaterThan(100);
    // Every sealed segment but the newest is within the bound at every sample.
    const worst = Math.max(...samples.map((s) => s.sealed));
    expect(worst).toBeLessThanOrEqual(keep);
    console.log(`ring: ${samples.length} samples, directory at most ${(Math.max(...samples.map((s) => s.total)) / MiB).toFixed(2)} MiB, sealed segments but the newest at most ${(worst / MiB).toFixed(2)} MiB`);

    const m = manifestOf(dir)!;
    const pruned = m.segments.filter(isPruned);
    expect(pruned.length).toBeGreaterThan(0);
    expect(readdirSync(join(dir, 'segments')).sort()).toEqual(keptSegments(m).map((s) => s.dir));
    const verify = cli('verify', dir);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    const info = JSON.parse(cli('info', '--json', dir).stdout) as { pruned: Array<{ index: number; rows: number }>; tables: Array<{ table: string; rows: number }> };
    expect(info.pruned.map((p) => p.index)).toEqual(pruned.map((s) => s.index));
    const keptRows = keptSegments(m).reduce((n, s) => n + (s.tables.file?.rows ?? 0), 0);
    const prunedRows = pruned.reduce((n, s) => n + (s.tables.file?.rows ?? 0), 0);
    expect(prunedRows).toBeGreaterThan(0);
    expect(info.tables.find((t) => t.table === 'file')!.rows).toBe(keptRows);
    const sql = cli('sql', dir, 'SELECT count(*) AS n FROM file', '-f', 'csv');
    expect(sql.code, sql.stderr).toBe(0);
    expect(Number(sql.stdout.split('\n')[1])).toBe(keptRows);
  }, 120_000);

  it('killed with SIGKILL at random moments while pruning, leaves a recording seal and verify make whole', async () => {
    let leftovers = 0;
    for (let i = 0; i < 20; i++) {
      const dir = join(tempDir(), `rec${i}`);
      const child = track(spawn(process.execPath, [CLI, 'record', '-q', '-o', dir, '--all', '--keep-size', '1M', '--segment-size', '256K'], { stdio: 'ignore' }));
      // Once it prunes, kill it up to a second later: pruning runs at every 256 KiB sealed.
      for (let waited = 0; !manifestOf(dir)?.segments.some(isPruned); waited += 20) {
        expect(waited, `iteration ${i}: nothing pruned within 30 s`).toBeLessThan(30_000);
        expect(child.exitCode, `iteration ${i}: the recorder exited`).toBeNull();
        await sleep(20);
      }
      await sleep(Math.floor(Math.random() * 1000));
      child.kill('SIGKILL');
      await exited(child);

      const listed = manifestOf(dir)!;
      const prunedDirs = new Set(listed.segments.filter(isPruned).map((s) => s.dir));
      // Before seal: readers open it and list no pruned segment as present.
      const rec = Recording.open(dir);
      try {
        expect(rec.damage, `iteration ${i}`).toEqual([]);
        expect(rec.segments().filter((s) => prunedDirs.has(s.name)), `iteration ${i}`).toEqual([]);
      } finally {
        rec.close();
      }
      expect(cli('info', dir).code, `iteration ${i}`).toBe(0);
      const before = cli('verify', dir);
      expect(before.code, `iteration ${i}: ${before.stdout}${before.stderr}`).toBe(3);
      const seal = cli('seal', dir);
      expect(seal.code, `iteration ${i}: ${seal.stderr}`).toBe(0);
      if (seal.stdout.includes('pruned segment')) leftovers++;
      const after = cli('verify', dir);
      expect(after.code, `iteration ${i}: ${after.stdout}${after.stderr}`).toBe(0);
      const m = manifestOf(dir)!;
      // Seal changes no pruning and leaves exactly the kept segments on disk.
      expect(m.segments.filter(isPruned).map((s) => s.dir), `iteration ${i}`).toEqual([...prunedDirs]);
      expect(readdirSync(join(dir, 'segments')).sort(), `iteration ${i}`).toEqual(keptSegments(m).map((s) => s.dir));
    }
    console.log(`ring kill -9: 20 kills, ${leftovers} left files of a pruned segment for seal to remove`);
  }, 300_000);
});
