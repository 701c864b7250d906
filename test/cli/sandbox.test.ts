// SQL from the user or a notebook cannot reach the analyst's machine: each attack ends within
// 20 s with a one-line error (or a correct result), and no file outside the recording, its
// cache ($XDG_CACHE_HOME/flightrec/<id>) and the requested output changes. (Variants of each attack: test/analyze/sandbox.test.ts.)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RecordingWriter } from '../../src/format/recording-writer.js';
import { SyntheticClock, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { CLI, tempDir, type CliResult } from '../helpers.js';

/** Every file under a directory with its size, mtime and hash. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = statSync(p);
        out[p] = `${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
      }
    }
  };
  walk(dir);
  return out;
}

describe('SQL and notebooks are confined to the recordings', () => {
  let root: string;
  let rec: string;
  let cwd: string;
  let home: string;
  let secret: string;
  let cache: string;
  let before: Record<string, string>;

  /** The CLI run from an empty working directory with an empty HOME, bounded to 20 s. */
  function run(...args: string[]): CliResult {
    const started = Date.now();
    const r = spawnSync(process.execPath, [CLI, ...args], {
      cwd, encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: home, XDG_CACHE_HOME: join(root, 'xdg-cache'), FLIGHTREC_HISTORY: join(root, 'history') },
    });
    expect(Date.now() - started).toBeLessThan(20_000);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** A refusal: exit 1 and one line naming what to do. */
  function expectRefused(r: CliResult, pattern: RegExp): void {
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--allow-files/);
  }

  /** Nothing changed but what `allowed` names (and the recording's cache, which queries may fill). */
  function expectUnchanged(...allowed: string[]): void {
    const now = snapshot(root);
    const keep = (p: string): boolean => !allowed.includes(p) && !p.startsWith(join(root, 'xdg-cache'));
    expect(Object.fromEntries(Object.entries(now).filter(([p]) => keep(p)))).toEqual(Object.fromEntries(Object.entries(before).filter(([p]) => keep(p))));
    expect(readdirSync(cwd)).toEqual([]);
    expect(readdirSync(home)).toEqual([]);
  }

  beforeAll(() => {
    root = tempDir();
    rec = join(root, 'rec');
    cwd = join(root, 'cwd');
    home = join(root, 'home');
    mkdirSync(cwd);
    mkdirSync(home);
    secret = join(root, 'secret');
    writeFileSync(secret, 'TOPSECRET\n', { mode: 0o600 });
    const w = RecordingWriter.create(rec);
    const rand = rng(4);
    const clock = new SyntheticClock(rand);
    for (const t of ['proc', 'file', 'net'] as const) w.append(t, batchFromRows(t, syntheticRows(t, 100, clock, rand)));
    w.close();
    expect(run('sql', rec, 'SELECT 1').code).toBe(0); // builds the cache
    const caches = readdirSync(join(root, 'xdg-cache', 'flightrec'));
    expect(caches).toHaveLength(1);
    cache = join(root, 'xdg-cache', 'flightrec', caches[0]!);
  });

  // Each case starts from an empty working directory and HOME, so one that fails leaves no trace in the next.
  beforeEach(() => {
    for (const d of [cwd, home]) {
      rmSync(d, { recursive: true, force: true });
      mkdirSync(d);
    }
    before = snapshot(root);
  });

  it('COPY ... TO writes nothing', () => {
    const target = join(root, 'x.csv');
    expectRefused(run('sql', rec, `COPY (SELECT 1) TO '${target}'`), /^flightrec: SQL: /);
    expectRefused(run('sql', rec, "SELECT 1; COPY (SELECT * FROM proc) TO 'here.csv'"), /^flightrec: SQL: /);
    expect(existsSync(target)).toBe(false);
    expectUnchanged();
  });

  it("read_text('/etc/shadow') and read_csv of the user's files are refused", () => {
    for (const q of ["SELECT * FROM read_text('/etc/shadow')", `SELECT * FROM read_csv('${secret}')`]) {
      const r = run('sql', rec, q);
      expectRefused(r, /^flightrec: SQL: Permission Error: /);
      expect(r.stdout + r.stderr).not.toMatch(/TOPSECRET|root:/);
    }
    expectUnchanged();
  });

  it('ATTACH creates no file; EXPORT DATABASE writes none; INSTALL is refused without trying the network', () => {
    const db = join(root, 'attached.duckdb');
    expectRefused(run('sql', rec, `ATTACH '${db}' AS x; CREATE TABLE x.t AS SELECT 1`), /^flightrec: SQL: ATTACH opens database files/);
    expect(existsSync(db)).toBe(false);
    const exported = join(root, 'exported');
    expectRefused(run('sql', rec, `EXPORT DATABASE '${exported}'`), /^flightrec: SQL: /);
    expect(existsSync(exported)).toBe(false);
    expectRefused(run('sql', rec, "INSTALL httpfs FROM 'http://127.0.0.1:9/'"), /^flightrec: SQL: INSTALL and LOAD bring in extensions/);
    expectUnchanged();
  });

  it('the files behind the views are read, never written', () => {
    // DuckDB allows a cache entry by its real path too: only flightrec's statement checks keep it from being written.
    const entry = readdirSync(cache).filter((f) => f.endsWith('.parquet')).map((f) => join(cache, f))[0]!;
    const was = snapshot(cache);
    const copy = `COPY (SELECT 1 AS x) TO '${entry}' (FORMAT parquet, USE_TMP_FILE false)`;
    expectRefused(run('sql', rec, copy), /^flightrec: SQL: COPY reads and writes files/);
    expectRefused(run('sql', rec, `EXPLAIN ANALYZE ${copy}`), /^flightrec: SQL: EXPLAIN ANALYZE would run that statement/);
    expect(snapshot(cache)).toEqual(was);
    expect(run('sql', rec, 'SELECT count(*) AS n FROM proc', '-f', 'csv').stdout).toBe('n\n100\n');
    expectUnchanged();
  });

  it('settings stay locked: external access cannot be switched back on', () => {
    expectRefused(run('sql', rec, 'SET enable_external_access = true'), /locked/);
    expectUnchanged();
  });

  it('the same inside a notebook cell: the cell is named, nothing is read or written', () => {
    const nb = join(root, 'evil.md');
    const target = join(root, 'from-notebook.csv');
    writeFileSync(nb, `# looks harmless\n\n\`\`\`sql\nSELECT count(*) FROM proc;\n\`\`\`\n\n\`\`\`sql\nCOPY (SELECT * FROM proc) TO '${target}';\n\`\`\`\n`);
    expectRefused(run('notebook', 'run', nb, rec), /^flightrec: .*evil\.md: cell 2 \(line 7\): SQL: Permission Error: /);
    expect(existsSync(target)).toBe(false);
    writeFileSync(nb, `\`\`\`sql\nSELECT content FROM read_text('${secret}');\n\`\`\`\n`);
    const read = run('notebook', 'run', nb, rec);
    expectRefused(read, /cell 1 \(line 1\): SQL: Permission Error/);
    expect(read.stdout + read.stderr).not.toContain('TOPSECRET');
    expectUnchanged(nb);
  });

  it('what queries may do still works: views, several statements, in-memory tables, variables', () => {
    const r = run('sql', rec, "CREATE TABLE t AS SELECT pid FROM proc; SET VARIABLE k = 'exec'; SELECT count(*) AS n FROM proc WHERE kind = getvariable('k') AND pid IN (SELECT pid FROM t)", '-f', 'csv');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^n\n\d+\n$/);
    expectUnchanged();
  });

  it('flightrec writes the outputs it is asked for: -f parquet to a file (0600) and to a pipe', () => {
    const out = join(root, 'out.parquet');
    const q = "SELECT pid, comm FROM proc WHERE kind = 'exec' ORDER BY seq";
    expect(run('sql', rec, q, '-f', 'parquet', '-o', out).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const piped = spawnSync(process.execPath, [CLI, 'sql', rec, q, '-f', 'parquet'], { cwd, encoding: 'buffer', timeout: 20_000 });
    expect(piped.status).toBe(0);
    expect(piped.stdout.equals(readFileSync(out))).toBe(true);
    expectUnchanged(out);
  });

  it('--allow-files lets the user COPY to and read files they name', () => {
    const mine = join(root, 'mine.csv');
    const r = run('sql', rec, '--allow-files', `COPY (SELECT count(*) AS n FROM proc) TO '${mine}'`);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(mine, 'utf8')).toBe('n\n100\n');
    expect(run('sql', rec, '--allow-files', `SELECT content FROM read_text('${secret}')`, '-f', 'csv').stdout).toBe('content\n"TOPSECRET\n"\n');
    const nb = join(root, 'mine.md');
    const fromNotebook = join(root, 'from-my-notebook.csv');
    writeFileSync(nb, `\`\`\`sql\nCOPY (SELECT 1 AS one) TO '${fromNotebook}';\n\`\`\`\n`);
    expect(run('notebook', 'run', nb, rec, '--allow-files').code).toBe(0);
    expect(readFileSync(fromNotebook, 'utf8')).toBe('one\n1\n');
    expectUnchanged(mine, nb, fromNotebook);
  });

  it('export and sql --fleet work confined; the fleet files are not writable from SQL', () => {
    const fleet = join(root, 'fleet');
    const e = run('export', rec, '--parquet', fleet);
    expect(e.code, e.stderr).toBe(0);
    const files = snapshot(fleet);
    expect(Object.keys(files).length).toBe(4);
    const q = run('sql', '--fleet', fleet, 'SELECT count(*) AS n FROM proc', '-f', 'csv');
    expect([q.code, q.stdout]).toEqual([0, 'n\n100\n']);
    const one = Object.keys(files).find((f) => f.includes('table=proc'))!;
    expectRefused(run('sql', '--fleet', fleet, `COPY (SELECT 1 AS x) TO '${one}' (FORMAT parquet, USE_TMP_FILE false)`), /^flightrec: SQL: COPY/);
    expect(snapshot(fleet)).toEqual(files);
    expectUnchanged(...Object.keys(files));
  });
});
