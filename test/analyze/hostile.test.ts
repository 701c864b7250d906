// The query cache against a hostile recording: it lives outside the recording, writes
// nothing into it or through links planted in it, serves only entries that check out, and
// takes recording paths literally. Each command ends within 20 s with one line or a correct
// result, and nothing outside the recording, the cache and the requested output changes.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecordingWriter } from '../../src/index.js';
import { SyscallWorkload } from '../../src/testing/synthetic.js';
import { cliWithin, inMountNamespace, snapshot, tempDir, type TimedResult } from '../helpers.js';

const run = (...args: string[]): TimedResult => cliWithin(20_000, ...args);

/** A closed recording of `rows` syscall rows in two segments. */
function recording(dir: string, rows = 1000): void {
  const w = RecordingWriter.create(dir);
  const work = new SyscallWorkload(12);
  w.append('syscall', work.batch(rows / 2));
  w.sealSegment();
  w.append('syscall', work.batch(rows / 2));
  w.close();
}

const count = (r: TimedResult): number => {
  expect([r.code, r.timedOut], r.stderr).toEqual([0, false]);
  return Number(r.stdout.trim().split('\n').at(-1));
};

const COUNT = 'SELECT count(*) AS n FROM syscall';

describe('the query cache against hostile recordings', () => {
  it('lives outside the recording: a query changes nothing in it, and a planted cache link is never followed', () => {
    const base = tempDir();
    const rec = join(base, 'rec');
    recording(rec);
    // What the old cache wrote into and cleaned: a link from <recording>/cache to a directory of the analyst's.
    const victim = join(base, 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, '000001-syscall-0123456789abcdef0123456789abcdef.parquet'), 'keep me');
    symlinkSync(victim, join(rec, 'cache'));
    const before = snapshot(base);
    expect(count(run('sql', rec, COUNT, '-f', 'csv'))).toBe(1000);
    expect(count(run('sql', rec, COUNT, '-f', 'csv'))).toBe(1000);
    expect(snapshot(base)).toEqual(before);
    expect(readdirSync(join(process.env.XDG_CACHE_HOME!, 'flightrec')).length).toBeGreaterThan(0);
  });

  it('a forged Parquet file in the cache is not served: it is built again', () => {
    const base = tempDir();
    const rec = join(base, 'rec');
    recording(rec);
    const cache = join(base, 'cache');
    expect(count(run('sql', rec, COUNT, '-f', 'csv', '--cache', cache))).toBe(1000);
    const entry = readdirSync(cache).find((f) => f.startsWith('000001-syscall-') && f.endsWith('.parquet'))!;
    // A real Parquet file of the same table with other rows, in its place.
    const other = join(base, 'other');
    recording(other, 20);
    const otherCache = join(base, 'other-cache');
    expect(count(run('sql', other, COUNT, '-f', 'csv', '--cache', otherCache))).toBe(20);
    const forged = readdirSync(otherCache).find((f) => f.startsWith('000001-syscall-') && f.endsWith('.parquet'))!;
    cpSync(join(otherCache, forged), join(cache, entry));
    expect(count(run('sql', rec, COUNT, '-f', 'csv', '--cache', cache))).toBe(1000);
    // And garbage in its place.
    writeFileSync(join(cache, entry), 'PAR1 not really');
    expect(count(run('sql', rec, COUNT, '-f', 'csv', '--cache', cache))).toBe(1000);
  });

  it('takes paths literally: a * in a recording or cache path pulls in no sibling', () => {
    const base = tempDir();
    const star = join(base, 'rec*');
    recording(star);
    // A sibling the glob would match, holding a copy (same id, same cache entry names) and its cache.
    cpSync(star, join(base, 'recX'), { recursive: true });
    const cache = join(base, 'c*');
    expect(count(run('sql', star, COUNT, '-f', 'csv', '--cache', cache))).toBe(1000);
    cpSync(cache, join(base, 'cX'), { recursive: true });
    expect(count(run('sql', star, COUNT, '-f', 'csv', '--cache', cache))).toBe(1000);
    expect(count(run('sql', star, COUNT, '-f', 'csv'))).toBe(1000);
  });

  it("'../' in the manifest id: sql and export refuse it, writing neither outside the export directory nor the cache", () => {
    const base = tempDir();
    const rec = join(base, 'rec');
    recording(rec);
    const manifest = join(rec, 'manifest.json');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/"id": "[^"]+"/, '"id": "../../../escaped"'));
    const before = snapshot(base);
    for (const args of [['sql', rec, COUNT], ['export', rec, '--parquet', join(base, 'fleet')]]) {
      const r = run(...args);
      expect([r.code, r.timedOut]).toEqual([1, false]);
      expect(r.stderr).toBe(`flightrec: ${manifest}: field 'id' has the wrong type or value\n`);
    }
    expect(snapshot(base)).toEqual(before);
    expect(existsSync(join(process.env.XDG_CACHE_HOME!, 'escaped'))).toBe(false);
  });

  it('a read-only recording is queried with its cache elsewhere', () => {
    const base = tempDir();
    const rec = join(base, 'rec');
    recording(rec);
    const r = inMountNamespace(`mount --bind "${rec}" "${rec}"; mount -o remount,bind,ro "${rec}"
      "$NODE" "$FLIGHTREC" sql "${rec}" "${COUNT}" -f csv`);
    if (!r) return;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('n\n1000\n');
  });

  it('a full disk under the cache is one line, and leaves no temp file', () => {
    const base = tempDir();
    const rec = join(base, 'rec');
    recording(rec, 20_000);
    const cache = join(base, 'small');
    mkdirSync(cache);
    const r = inMountNamespace(`mount -t tmpfs -o size=64k tmpfs "${cache}"
      dd if=/dev/zero of="${cache}/fill" bs=4k 2>/dev/null || true
      code=0; "$NODE" "$FLIGHTREC" sql "${rec}" "${COUNT}" --cache "${cache}/c" || code=$?
      echo "exit $code"; ls -A "${cache}/c"`);
    if (!r) return;
    expect(r.stdout.split('\n')[0]).toBe('exit 1');
    expect(r.stdout.split('\n').slice(1).filter(Boolean)).toEqual([]);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^flightrec: ${cache}/c: cannot write the query cache: .*the disk is full \\(ENOSPC\\); free some space, or put the cache elsewhere with --cache DIR`));
  });
});
