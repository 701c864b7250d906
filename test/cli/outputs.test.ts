// What flightrec writes where the user asks: created new or renamed into place, never
// written through a link found there, private (0600 files, 0700 directories), and only
// where asked: an empty path or a non-empty directory is refused.
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RecordingWriter, TABLE_NAMES } from '../../src/index.js';
import { SyntheticClock, SyscallWorkload, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { cli, snapshot, tempDir } from '../helpers.js';

/** A small recording of every table: 2,000 syscall rows, 100 of each other table. */
function small(dir: string): void {
  const w = RecordingWriter.create(dir);
  w.append('syscall', new SyscallWorkload(7).batch(2000));
  const rand = rng(7);
  const clock = new SyntheticClock(rand);
  for (const t of TABLE_NAMES.filter((x) => x !== 'syscall')) w.append(t, batchFromRows(t, syntheticRows(t, 100, clock, rand)));
  w.close();
}

describe('outputs', () => {
  let rec: string;
  beforeAll(() => {
    rec = join(tempDir(), 'rec');
    small(rec);
  });

  it('-o replaces a link planted at the name instead of writing through it, and is 0600', () => {
    const base = tempDir();
    const outside = join(base, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'target'), 'precious');
    const before = snapshot(outside);
    const cases: Array<[string, string[]]> = [
      ['out.csv', ['sql', rec, 'SELECT 1 AS x', '-f', 'csv']],
      ['out.parquet', ['sql', rec, 'SELECT 1 AS x', '-f', 'parquet']],
      ['out.arrow', ['sql', rec, 'SELECT 1 AS x', '-f', 'arrow']],
      ['alerts.jsonl', ['replay', rec, '-f', 'jsonl']],
      ['nb.md', ['notebook', 'run', 'process-tree', rec]],
    ];
    for (const [name, args] of cases) {
      const out = join(base, name);
      symlinkSync(join(outside, 'target'), out);
      const r = cli(...args, '-o', out);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(lstatSync(out).isFile(), name).toBe(true);
      expect(statSync(out).mode & 0o777, name).toBe(0o600);
    }
    expect(readFileSync(join(base, 'out.csv'), 'utf8')).toBe('x\n1\n');
    // Reading a file of the user's takes --allow-files: the SQL sees only the recordings otherwise.
    expect(cli('sql', rec, '--allow-files', `SELECT x FROM '${join(base, 'out.parquet')}'`, '-f', 'csv').stdout).toBe('x\n1\n');
    expect(snapshot(outside)).toEqual(before);
    expect(readdirSync(base).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a failed query leaves the output as it was and no temp file; one a killed run left goes next time', () => {
    const base = tempDir();
    const out = join(base, 'out.csv');
    writeFileSync(out, 'old');
    expect(cli('sql', rec, 'SELECT * FROM nope', '-f', 'csv', '-o', out).code).toBe(1);
    expect(cli('sql', rec, 'SELECT * FROM nope', '-f', 'parquet', '-o', out).code).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('old');
    expect(readdirSync(base)).toEqual(['out.csv']);
    const gone = spawnSync('true').pid!;
    writeFileSync(join(base, `.out.csv.${gone}.0123456789ab.tmp`), 'half');
    expect(cli('sql', rec, 'SELECT 2 AS y', '-f', 'csv', '-o', out).code).toBe(0);
    expect(readdirSync(base)).toEqual(['out.csv']);
  });

  it('export: files 0600 in 0700 partitions, replaced on export again, no staging left, a planted partition link refused', () => {
    const base = tempDir();
    const out = join(base, 'fleet');
    expect(cli('export', rec, '--parquet', out).code).toBe(0);
    const files: string[] = [];
    const walk = (d: string): void => {
      expect(statSync(d).mode & 0o777, d).toBe(0o700);
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else files.push(join(d, e.name));
      }
    };
    walk(out);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    const gone = spawnSync('true').pid!;
    mkdirSync(join(out, `.flightrec-export-${gone}-0123456789ab`));
    expect(cli('export', rec, '--parquet', out).code).toBe(0);
    expect(readdirSync(out)).toEqual(readdirSync(out).filter((n) => n.startsWith('host=')));
    expect(cli('sql', '--fleet', out, 'SELECT count(*) AS n FROM proc', '-f', 'csv').stdout).toBe('n\n100\n');

    const outside = join(base, 'outside');
    mkdirSync(outside);
    const planted = join(base, 'planted');
    mkdirSync(planted);
    const host = readdirSync(out)[0]!;
    symlinkSync(outside, join(planted, host));
    const before = snapshot(outside);
    const r = cli('export', rec, '--parquet', planted);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`flightrec: ${join(planted, host)}: is a symbolic link, not a directory: refused (flightrec does not follow links here)\n`);
    expect(snapshot(outside)).toEqual(before);
    expect(readdirSync(planted)).toEqual([host]);
  });

  it('a recording goes only where asked: an empty -o and a non-empty directory are refused, an empty one made private', () => {
    const r = cli('record', '-o', '', '--', 'true');
    expect([r.code, r.stderr]).toEqual([2, 'flightrec: -o needs a directory to create the recording in (an empty path would mean the current directory)\n']);
    expect(cli('demo', '-o', '').stderr).toMatch(/^flightrec: "": give a directory to write the recording to/);
    const full = tempDir();
    writeFileSync(join(full, 'x'), '');
    expect(cli('demo', '-o', full).stderr).toBe(`flightrec: ${full}: already exists and is not empty: choose a new output directory\n`);
    const empty = join(tempDir(), 'open');
    mkdirSync(empty);
    chmodSync(empty, 0o777);
    RecordingWriter.create(empty).close();
    expect(statSync(empty).mode & 0o777).toBe(0o700);
  });
});
