// flightrec shell as a person uses it: at a real terminal (a pseudo-terminal driven by
// scripts/pty_shell.py, as Node has no pty module) with Ctrl-C, Ctrl-D and TAB; with piped
// input as a script; and the dot commands `flightrec sql` takes in place of a query.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Analysis } from '../../src/analyze/session.js';
import { Completions } from '../../src/cli/shell.js';
import { RecordingWriter, TABLE_NAMES } from '../../src/index.js';
import { SyntheticClock, SyscallWorkload, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { CLI, ROOT, cli, tempDir } from '../helpers.js';

const DRIVER = join(ROOT, 'test', 'cli', 'scripts', 'pty_shell.py');

/** Runs for hours unless interrupted. */
const ENDLESS = 'SELECT sum(a.range * b.range) AS s FROM range(1000000) a, range(1000000) b';

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';

/** A small recording of every table: 200 syscall rows, 30 of each other table. */
function small(dir: string): void {
  const w = RecordingWriter.create(dir);
  w.append('syscall', new SyscallWorkload(5).batch(200));
  const rand = rng(5);
  const clock = new SyntheticClock(rand);
  for (const t of TABLE_NAMES.filter((x) => x !== 'syscall')) w.append(t, batchFromRows(t, syntheticRows(t, 30, clock, rand)));
  w.close();
}

type Step = { send: string } | { expect: string; timeout?: number } | { exit: true; timeout?: number };

/** A regular expression matching `s` as it is. */
const literally = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The prompt, shown anew. */
const PROMPT: Step = { expect: literally('flightrec> ') };

/** A result the table mode shows: the column name, its rule and the one value, and the row count. */
const oneRow = (column: string, value: string): Step => ({ expect: `${literally(column)}\\r*\\n-+\\r*\\n *${literally(value)}\\r*\\n\\(1 row\\)` });

/** What was typed, echoed by the shell: the terminal shows it, so the shell has taken it. */
const echoed = (typed: string): Step => ({ expect: literally(typed) });

/**
 * Runs `flightrec shell REC` at a pseudo-terminal, 120 columns wide, through the steps: each
 * `expect` waits (30 s at most unless told) for output after what the previous one matched.
 */
function atTerminal(rec: string, steps: Step[]): { output: string; status: number | null } {
  const plan = {
    argv: [process.execPath, CLI, 'shell', rec], cols: 120, rows: 40, steps,
    env: { ...process.env, TERM: 'xterm', FLIGHTREC_HISTORY: join(tempDir(), 'history') },
  };
  const r = spawnSync('python3', [DRIVER], { input: JSON.stringify(plan), encoding: 'utf8', timeout: 240_000, maxBuffer: 64 * 1024 * 1024 });
  expect(r.status, `pty driver: ${r.error?.message ?? ''} ${r.stderr}`).toBe(0);
  const out = JSON.parse(r.stdout) as { ok: boolean; failed: number | null; output: string; status: number | null };
  expect(out.ok, `step ${out.failed} (${JSON.stringify(steps[out.failed ?? 0])}) not met; the terminal showed:\n${out.output}`).toBe(true);
  return out;
}

/** `flightrec shell REC` with `input` piped in. */
function piped(rec: string, input: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'shell', rec], {
    input, encoding: 'utf8', timeout: 60_000, env: { ...process.env, FLIGHTREC_HISTORY: join(tempDir(), 'history') },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('flightrec shell', () => {
  let rec: string;
  beforeAll(() => {
    rec = join(tempDir(), 'rec');
    small(rec);
    // The query cache, built once here rather than inside a test's time.
    expect(cli('sql', rec, 'SELECT 1').code).toBe(0);
  });

  it('at a terminal: Ctrl-C stops a long query, and the shell answers the next one', () => {
    const r = atTerminal(rec, [
      PROMPT,
      { send: `${ENDLESS};\r` },
      { expect: 'b;\\r*\\n' },
      { send: CTRL_C },
      { expect: 'error: interrupted', timeout: 20 },
      PROMPT,
      { send: 'SELECT 6 * 7 AS answer;\r' },
      oneRow('answer', '42'),
      { send: CTRL_D },
      { exit: true },
    ]);
    expect(r.status).toBe(0);
  }, 120_000);

  it('at a terminal: Ctrl-C at the prompt clears the line and the statement begun, and the shell stays', () => {
    const r = atTerminal(rec, [
      PROMPT,
      { send: 'SELECT 1 AS one' },
      echoed('AS one'),
      { send: CTRL_C },
      PROMPT,
      { send: 'SELECT 2 AS two;\r' },
      oneRow('two', '2'),
      PROMPT,
      { send: 'SELECT 3 AS three\r' },
      { expect: literally('...> ') },
      { send: CTRL_C },
      PROMPT,
      { send: 'SELECT 4 AS four;\r' },
      oneRow('four', '4'),
      PROMPT,
      { send: '.quit\r' },
      { exit: true },
    ]);
    expect(r.status).toBe(0);
    expect(r.output).not.toContain('error');
  }, 120_000);

  it('at a terminal: TAB completes tables, views, columns and dot commands', () => {
    // TAB completes only as a key of its own (a pasted tab stays a tab), so each is sent once the shell shows what came before.
    const r = atTerminal(rec, [
      PROMPT,
      { send: 'SELECT * FROM proce' },
      echoed('FROM proce'),
      { send: '\t' },
      { expect: '(?<=FROM proce)ss' }, // what processes, process_tree and process_lifecycle share
      { send: '\t' },
      { expect: 'process_lifecycle +process_tree +processes' }, // a second TAB lists them
      { send: CTRL_C },
      PROMPT,
      { send: 'SELECT count(*) AS n FROM processe' },
      echoed('FROM processe'),
      { send: '\t' },
      { expect: '(?<=FROM processe)s' },
      { send: ';\r' },
      { expect: '\\(1 row\\)' },
      PROMPT,
      { send: 'SELECT args_te' },
      echoed('args_te'),
      { send: '\t' },
      { expect: '(?<=args_te)xt' },
      { send: ' FROM syscalls LIMIT 0;\r' },
      { expect: 'args_text[^\\n]*\\r*\\n-[^\\n]*\\r*\\n\\(0 rows\\)' },
      PROMPT,
      { send: '.ta' },
      echoed('.ta'),
      { send: '\t' },
      { expect: '(?<=[.]ta)bles' },
      { send: '\r' },
      { expect: 'processes +view' },
      { send: CTRL_D },
      { exit: true },
    ]);
    expect(r.status).toBe(0);
    expect(r.output).not.toContain('error');
  }, 120_000);

  it('completes from the names of the session', async () => {
    const a = await Analysis.open([rec]);
    try {
      const c = await Completions.of(a);
      expect(c.complete('SELECT * FROM proc')).toEqual([['proc', 'process_lifecycle', 'process_tree', 'processes'], 'proc']);
      expect(c.complete('select * from PROCESSE')).toEqual([['processes'], 'PROCESSE']);
      // `t.` completes the columns of t, or of every table when t is not one (an alias).
      expect(c.complete('SELECT processes.pp')).toEqual([['processes.ppid'], 'processes.pp']);
      expect(c.complete('SELECT p.dura')).toEqual([['p.duration_ns'], 'p.dura']);
      expect(c.complete('.ta')).toEqual([['.tables'], '.ta']);
      expect(c.complete('.mode js')).toEqual([['json', 'jsonl'], 'js']);
      expect(c.complete('.schema sysc')).toEqual([['syscall', 'syscall_names', 'syscalls'], 'sysc']);
      expect(c.complete('SELECT ')).toEqual([[], '']);
      // A table made in the session after the start is not among them: the names are read once.
      await a.query('CREATE TABLE mine_later AS SELECT 1 AS x');
      expect(c.complete('SELECT * FROM mine_')).toEqual([[], 'mine_']);
    } finally {
      a.close();
    }
  });

  it('.mode, .maxrows, .output and .read', () => {
    const work = tempDir();
    const out = join(work, 'out.jsonl');
    writeFileSync(join(work, 'target'), 'precious');
    symlinkSync(join(work, 'target'), out);
    const script = join(work, 'q.sql');
    // Its last statement has no `;`: the end of the file ends it.
    writeFileSync(script, 'SELECT 7 AS seven;\n.mode csv\nSELECT 8 AS eight\n');
    const r = piped(rec, [
      '.mode csv', "SELECT 1 AS a, 'x,y' AS b;",
      '.mode table', '.maxrows 3', 'SELECT * FROM range(10) t(n);',
      `.output ${out}`, '.mode jsonl', 'SELECT 42 AS answer;', 'SELECT 43 AS answer;', '.output',
      '.mode table', `.read ${script}`,
      'SELECT 9 AS nine;', '.maxrows 0', '.mode', '.mode table', 'SELECT * FROM range(4) t(n);', '',
    ].join('\n'));
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe([
      'a,b', '1,"x,y"',
      'n', '-', '0', '1', '2', '(10 rows, 7 not shown)',
      'seven', '-----', '    7', '(1 row)',
      'eight', '8',
      'nine', '9', // .read's .mode stays, as in the DuckDB shell
      'current output mode: csv',
      'n', '-', '0', '1', '2', '3', '(4 rows)', '',
    ].join('\n'));
    // .output writes as `sql -o` does: the link planted at the name is replaced, not written through.
    expect(readFileSync(out, 'utf8')).toBe('{"answer":42}\n{"answer":43}\n');
    expect(lstatSync(out).isFile()).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(work, 'target'), 'utf8')).toBe('precious');
  }, 120_000);

  it('a file .read runs cannot name files (it may be someone else\'s, as a notebook may); .read takes only a regular file', () => {
    const work = tempDir();
    const planted = join(work, 'planted');
    const script = join(work, 'hostile.sql');
    writeFileSync(script, `.output ${planted}\nSELECT 1 AS one;\n.read ${script}\n.read /dev/zero\n`);
    const r = piped(rec, [`.read ${script}`, '.read /dev/zero', `.read ${work}`, 'SELECT 2 AS two;', ''].join('\n'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('one\n---\n  1\n(1 row)\ntwo\n---\n  2\n(1 row)\n');
    expect(r.stderr).toBe([
      `flightrec: ${script}: line 1: a file .read runs cannot name files: give .output and .read at the prompt`,
      `flightrec: ${script}: line 3: a file .read runs cannot name files: give .output and .read at the prompt`,
      `flightrec: ${script}: line 4: a file .read runs cannot name files: give .output and .read at the prompt`,
      'flightrec: line 2: .read /dev/zero: not a regular file',
      `flightrec: line 3: .read ${work}: not a regular file`,
      '',
    ].join('\n'));
    expect(existsSync(planted)).toBe(false);
  }, 120_000);

  it('piped input: results only, no banner or prompt; each error one line on stderr, and exit 1', () => {
    const ok = piped(rec, 'SELECT 42 AS x;\n');
    expect(ok).toEqual({ code: 0, stdout: ' x\n--\n42\n(1 row)\n', stderr: '' });

    const missing = join(tempDir(), 'no', 'such', 'dir', 'out.csv');
    const bad = piped(rec, ['SELECT * FROM nope;', '.bogus', `.output ${missing}`, '.maxrows many', 'SELECT 1 AS y;', '', 'SELECT 2', 'AS z'].join('\n'));
    expect(bad.code).toBe(1);
    // After the failed .output, results go to stdout; the last statement ends with the input.
    expect(bad.stdout).toBe('y\n-\n1\n(1 row)\nz\n-\n2\n(1 row)\n');
    const errors = bad.stderr.split('\n');
    expect(errors).toHaveLength(5);
    expect(errors[0]).toMatch(/^flightrec: line 1: SQL: Catalog Error: Table with name nope does not exist!/);
    expect(errors[1]).toBe('flightrec: line 2: unknown command .bogus: .help lists them');
    expect(errors[2]).toMatch(new RegExp(`^flightrec: line 3: .*${literally(join('no', 'such'))}`));
    expect(errors[3]).toBe('flightrec: line 4: usage: .maxrows N');
    expect(errors[4]).toBe('');
  }, 120_000);

  it('piped input: Ctrl-C (SIGINT) stops the query and the script, as in sqlite3', async () => {
    const child = spawn(process.execPath, [CLI, 'shell', rec], { env: { ...process.env, FLIGHTREC_HISTORY: join(tempDir(), 'history') } });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const ended = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // stdin stays open: the shell must end without its end.
    child.stdin.write(`SELECT 'ready' AS r;\n${ENDLESS};\nSELECT 5 AS five;\n`);
    // Once `ready` is out the shell is running the long query (it takes the next line at once).
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('ready')) resolve();
    }));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await ended;
    clearTimeout(timer);
    child.stdin.destroy();
    expect([code, stderr]).toEqual([1, 'flightrec: line 2: interrupted\n']);
    expect(stdout).toBe('r\n-----\nready\n(1 row)\n');
  }, 120_000);
});

describe('flightrec sql takes the dot commands answered by a query', () => {
  let rec: string;
  beforeAll(() => {
    rec = join(tempDir(), 'rec');
    small(rec);
  });

  it('.tables and .schema, in any format; the shell\'s other commands refused in one line', () => {
    const tables = cli('sql', rec, '.tables');
    expect(tables.code, tables.stderr).toBe(0);
    expect(tables.stdout).toMatch(/^name +kind +holds\n/);
    expect(tables.stdout).toMatch(/\nprocesses +view +one row per process/);
    expect(tables.stdout).toMatch(/\nproc +table +/);
    const like = cli('sql', rec, '.tables proc%', '-f', 'csv');
    expect(like.stdout.split('\n').map((l) => l.split(',')[0])).toEqual(['name', 'proc', 'process_lifecycle', 'process_tree', 'processes', '']);
    const schema = cli('sql', rec, '.schema gap', '-f', 'jsonl');
    expect(schema.code, schema.stderr).toBe(0);
    expect(schema.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)[3]).toEqual({ table: 'gap', column: 'lost', type: 'UBIGINT' });
    const mode = cli('sql', rec, '.mode csv');
    expect([mode.code, mode.stderr]).toEqual([2, 'flightrec: .mode: flightrec sql takes .tables [pattern] or .schema [pattern] in place of a query; the other dot commands are flightrec shell\'s\n']);
  }, 120_000);
});
