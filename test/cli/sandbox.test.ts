// SQL from the user or a notebook cannot reach the analyst's machine: each attack ends within
// 20 s with a one-line error (or a correct result), and no file outside the recording, its
// cache and the requested output changes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
  let before: Record<string, string>;

  /** The CLI run from an empty working directory with an empty HOME, bounded to 20 s. */
  function run(...args: string[]): CliResult {
    const started = Date.now();
    const r = spawnSync(process.execPath, [CLI, ...args], {
      cwd, encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache'), FLIGHTREC_HISTORY: join(root, 'history') },
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

  beforeAll(() => {
    root = tempDir();
    rec = join(root, 'rec');
    cwd = join(root, 'cwd');
    home = join(root, 'home');
    mkdirSync(cwd);
    mkdirSync(home);
    secret = join(root, 'secret');
    writeFileSync(secret, 'TOPSECRET\n', { mode: 0o600 });
    const demo = spawnSync(process.execPath, [CLI, 'demo', '-o', rec], { encoding: 'utf8' });
    expect(demo.status, demo.stderr).toBe(0);
    writeFileSync(`${secret}.csv`, 'TOPSECRET\n', { mode: 0o600 });
    expect(run('sql', rec, 'SELECT 1').code).toBe(0); // builds the cache
  });

  // Each case starts from an empty working directory and HOME, so one that fails leaves no trace in the next.
  beforeEach(() => {
    for (const d of [cwd, home]) {
      rmSync(d, { recursive: true, force: true });
      mkdirSync(d);
    }
    before = snapshot(root);
  });

  /** Nothing changed but what `allowed` names (and the recording's cache, which queries may fill). */
  function expectUnchanged(...allowed: string[]): void {
    const now = snapshot(root);
    const keep = (p: string): boolean => !allowed.includes(p) && !p.startsWith(join(rec, 'cache'));
    expect(Object.fromEntries(Object.entries(now).filter(([p]) => keep(p)))).toEqual(Object.fromEntries(Object.entries(before).filter(([p]) => keep(p))));
    expect(readdirSync(cwd)).toEqual([]);
    expect(readdirSync(home)).toEqual([]);
  }

  it('COPY ... TO writes nothing', () => {
    const target = join(root, 'x.csv');
    expectRefused(run('sql', rec, `COPY (SELECT 1) TO '${target}'`), /^flightrec: SQL: /);
    expectRefused(run('sql', rec, "COPY (SELECT 1) TO 'here.csv'"), /^flightrec: SQL: /);
    expectRefused(run('sql', rec, `SELECT 1; COPY (SELECT 1) TO '${target}' (FORMAT parquet)`), /^flightrec: SQL: /);
    expect(existsSync(target)).toBe(false);
    expectUnchanged();
  });

  it('read_text, read_csv, glob and read_blob of other files are refused', () => {
    for (const q of ["SELECT * FROM read_text('/etc/shadow')", `SELECT * FROM read_text('${secret}')`, `SELECT * FROM read_csv('${secret}')`,
      `SELECT * FROM read_blob('${secret}')`, `SELECT * FROM '${secret}.csv'`, `SELECT * FROM glob('${root}/*')`]) {
      const r = run('sql', rec, q);
      expectRefused(r, /^flightrec: SQL: Permission Error: /);
      expect(r.stdout + r.stderr).not.toContain('TOPSECRET');
    }
    expectUnchanged();
  });

  it('ATTACH creates no file; EXPORT DATABASE writes none; INSTALL and LOAD are refused without trying the network', () => {
    const db = join(root, 'attached.duckdb');
    expectRefused(run('sql', rec, `ATTACH '${db}' AS x`), /^flightrec: SQL: /);
    expectRefused(run('sql', rec, `ATTACH '${db}' AS x; CREATE TABLE x.t AS SELECT 1`), /^flightrec: SQL: /);
    expect(existsSync(db)).toBe(false);
    expect(existsSync(`${db}.wal`)).toBe(false);
    const exported = join(root, 'exported');
    expectRefused(run('sql', rec, `EXPORT DATABASE '${exported}'`), /^flightrec: SQL: /);
    expect(existsSync(exported)).toBe(false);
    for (const q of ['INSTALL httpfs', 'LOAD httpfs', 'FORCE INSTALL httpfs', "INSTALL httpfs FROM 'http://127.0.0.1:9/'"]) {
      expectRefused(run('sql', rec, q), /^flightrec: SQL: INSTALL and LOAD bring in extensions/);
    }
    const autoload = run('sql', rec, "SELECT * FROM read_xlsx('x.xlsx')");
    expect([autoload.code, autoload.stderr.trimEnd().split('\n').length]).toEqual([1, 1]);
    expectUnchanged();
  });

  it('the files behind the views are read, never written: COPY, PREPARE/EXECUTE and EXPLAIN ANALYZE onto a cache file are refused', () => {
    const cache = readdirSync(join(rec, 'cache')).filter((f) => f.endsWith('.parquet')).map((f) => join(rec, 'cache', f));
    const entry = cache[0]!;
    const was = snapshot(join(rec, 'cache'));
    const copy = `COPY (SELECT 1 AS x) TO '${entry}' (FORMAT parquet, USE_TMP_FILE false)`;
    for (const q of [copy, `EXPLAIN ANALYZE ${copy}`, `PREPARE p AS ${copy}; EXECUTE p`, `ATTACH '${entry}' AS z`]) {
      expectRefused(run('sql', rec, q), /^flightrec: SQL: /);
    }
    expect(snapshot(join(rec, 'cache'))).toEqual(was);
    expect(run('sql', rec, 'SELECT count(*) AS n FROM proc', '-f', 'csv').stdout).toBe('n\n100\n');
    expectUnchanged();
  });

  it('settings stay locked: external access cannot be switched back on', () => {
    expectRefused(run('sql', rec, 'SET enable_external_access = true'), /locked/);
    expectRefused(run('sql', rec, 'RESET lock_configuration'), /locked/);
    expectRefused(run('sql', rec, `SET allowed_directories = ['/']`), /locked|Cannot change/);
    expectUnchanged();
  });

  it('the same inside a notebook cell: the cell is named, nothing is written', () => {
    const nb = join(root, 'evil.md');
    const target = join(root, 'from-notebook.csv');
    writeFileSync(nb, `# looks harmless\n\n\`\`\`sql\nSELECT count(*) FROM proc;\n\`\`\`\n\n\`\`\`sql\nCOPY (SELECT * FROM proc) TO '${target}';\n\`\`\`\n`);
    const r = run('notebook', 'run', nb, rec);
    expectRefused(r, /^flightrec: .*evil\.md: cell 2 \(line 7\): SQL: Permission Error: /);
    expect(existsSync(target)).toBe(false);
    writeFileSync(nb, `\`\`\`sql\nSELECT content FROM read_text('${secret}');\n\`\`\`\n`);
    const read = run('notebook', 'run', nb, rec);
    expectRefused(read, /cell 1 \(line 1\): SQL: Permission Error/);
    expect(read.stdout + read.stderr).not.toContain('TOPSECRET');
    expectUnchanged(nb);
  });

  it('what queries may do still works: views, several statements, in-memory tables, EXPLAIN ANALYZE of a query', () => {
    const r = run('sql', rec, "CREATE TABLE t AS SELECT pid FROM proc; SET VARIABLE k = 'exec'; SELECT count(*) AS n FROM proc WHERE kind = getvariable('k') AND pid IN (SELECT pid FROM t)", '-f', 'csv');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^n\n\d+\n$/);
    expect(run('sql', rec, 'EXPLAIN ANALYZE SELECT count(*) FROM timeline').code).toBe(0);
    expectUnchanged();
  });

  it('flightrec writes the outputs it is asked for: -f parquet to a file and to a pipe, and every other format', () => {
    const out = join(root, 'out.parquet');
    const q = "SELECT pid, comm FROM proc WHERE kind = 'exec' ORDER BY seq";
    expect(run('sql', rec, q, '-f', 'parquet', '-o', out).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const piped = spawnSync(process.execPath, [CLI, 'sql', rec, q, '-f', 'parquet'], { cwd, encoding: 'buffer', timeout: 20_000 });
    expect(piped.status).toBe(0);
    expect(piped.stdout.equals(readFileSync(out))).toBe(true);
    for (const f of ['csv', 'json', 'jsonl', 'arrow', 'table']) expect(run('sql', rec, q, '-f', f, '-o', join(root, `out.${f}`)).code).toBe(0);
    expectUnchanged(out, ...['csv', 'json', 'jsonl', 'arrow', 'table'].map((f) => join(root, `out.${f}`)));
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
    expect(Object.keys(files).length).toBeGreaterThan(5);
    const q = run('sql', '--fleet', fleet, 'SELECT count(*) AS n FROM proc', '-f', 'csv');
    expect([q.code, q.stdout]).toEqual([0, 'n\n100\n']);
    expect(run('sql', '--fleet', fleet, 'SELECT count(*) AS n FROM processes', '-f', 'csv').code).toBe(0);
    const one = Object.keys(files).find((f) => f.includes('table=proc'))!;
    expectRefused(run('sql', '--fleet', fleet, `COPY (SELECT 1 AS x) TO '${one}' (FORMAT parquet, USE_TMP_FILE false)`), /^flightrec: SQL: COPY/);
    expectRefused(run('sql', '--fleet', fleet, `COPY (SELECT 1 AS x) TO '${fleet}/planted.parquet'`), /^flightrec: SQL: /);
    expect(snapshot(fleet)).toEqual(files);
    expectUnchanged(...Object.keys(files));
  });
});
