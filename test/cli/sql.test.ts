import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCursor } from '../../src/detect/cursor.js';
import { Recording } from '../../src/format/recording.js';
import { CLI, ROOT, cli, cliWith, tempDir } from '../helpers.js';
import { FIXTURE } from '../format/older.js';

describe('flightrec sql, shell and notebook on a synthetic recording', () => {
  let dir: string;
  beforeAll(() => {
    dir = join(tempDir(), 'rec');
    expect(cli('demo', '-o', dir).code).toBe(0);
  });

  it('prints a table by default and each format on request', () => {
    const q = 'SELECT kind, count(*) AS n FROM proc GROUP BY kind ORDER BY kind';
    const table = cli('sql', dir, q);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^kind\s+n$/);
    const json = JSON.parse(cli('sql', dir, q, '-f', 'json').stdout) as Array<{ kind: string; n: string }>;
    expect(json.map((r) => r.kind)).toEqual(['exec', 'exit', 'fork', 'snapshot']);
    expect(json.reduce((s, r) => s + Number(r.n), 0)).toBe(100);
    expect(cli('sql', dir, q, '-f', 'jsonl').stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(json);
    expect(cli('sql', dir, q, '-f', 'csv').stdout.split('\n')[0]).toBe('kind,n');

    const work = tempDir();
    const arrow = join(work, 'out.arrow');
    expect(cli('sql', dir, 'SELECT pid, argv, time FROM proc ORDER BY seq', '-f', 'arrow', '-o', arrow).code).toBe(0);
    const t = tableFromIPC(readFileSync(arrow));
    expect(t.numRows).toBe(100);
    expect(String(t.schema.fields.find((f) => f.name === 'time')!.type)).toBe('Timestamp<NANOSECOND>');

    const parquet = join(work, 'out.parquet');
    expect(cli('sql', dir, 'SELECT * FROM syscalls WHERE name = \'read\'', '-f', 'parquet', '-o', parquet).code).toBe(0);
    // Reading a file of one's own takes --allow-files.
    const back = cli('sql', dir, '--allow-files', `SELECT count(*) = (SELECT count(*) FROM syscalls WHERE name = 'read') AS same FROM '${parquet}'`, '-f', 'csv');
    expect(back.stdout).toBe('same\ntrue\n');
  });

  it('gives one-line errors: malformed SQL, an unknown table, not a recording, a bad format', () => {
    const bad = cli('sql', dir, 'SELEC 1');
    expect([bad.code, bad.stderr]).toEqual([1, 'flightrec: SQL: Parser Error: syntax error at or near "SELEC" (line 1)\n']);
    const unknown = cli('sql', dir, 'SELECT * FROM nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^flightrec: SQL: Catalog Error: Table with name nope does not exist!.*\n$/);
    const notOne = cli('sql', tempDir(), 'SELECT 1');
    expect(notOne.code).toBe(1);
    expect(notOne.stderr).toMatch(/^flightrec: not a flightrec recording: .*manifest\.json does not exist\n$/);
    const format = cli('sql', dir, 'SELECT 1', '-f', 'xml');
    expect([format.code, format.stderr]).toEqual([2, 'flightrec: unknown --format xml: use one of table, csv, json, jsonl, parquet, arrow\n']);
    const noQuery = cli('sql', dir);
    expect([noQuery.code, noQuery.stderr]).toEqual([2, 'flightrec: give the query after the recording: flightrec sql <recording> "<query>"\n']);
    for (const r of [bad, unknown, notOne, format, noQuery]) expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('shell: dot commands, statements across lines, errors that do not end the session', () => {
    const input = ['.tables', '.timer on', 'SELECT count(*) AS n', 'FROM proc;', 'SELECT * FROM nope;', '.schema gap', 'SELECT 42 AS answer;', '.quit', ''].join('\n');
    const r = spawnSync(process.execPath, [CLI, 'shell', dir], { input, encoding: 'utf8', env: { ...process.env, FLIGHTREC_HISTORY: join(tempDir(), 'h') } });
    // Piped input runs as a script: the failed statement is said on stderr and fails the run.
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/process_tree\s+view/);
    expect(r.stdout).toMatch(/\n\s*100\n\(1 row\)\ntime: \d+\.\d{3} s\n/);
    expect(r.stderr).toMatch(/^flightrec: line 5: SQL: Catalog Error: Table with name nope does not exist![^\n]*\n$/);
    expect(r.stdout).toMatch(/gap\s+lost\s+UBIGINT/);
    expect(r.stdout).toMatch(/\n\s*42\n/);
  });

  it('notebook run: results under each cell, and a failing cell named', () => {
    const work = tempDir();
    const nb = join(work, 'nb.md');
    writeFileSync(nb, '# t\n\nprose\n\n```sql\nSELECT count(*) AS n FROM proc;\n```\n\nmore\n\n```sql\nSELECT * FROM nope;\n```\n');
    const r = cli('notebook', 'run', nb, dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^flightrec: ${nb}: cell 2 \\(line 11\\): SQL: Catalog Error: Table with name nope does not exist!.*\\n$`));
    writeFileSync(nb, '# t\n\n```sql\nSELECT count(*) AS n FROM proc;\n```\n\nend\n');
    const out = join(work, 'out.md');
    expect(cli('notebook', 'run', nb, dir, '-o', out).code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('```\n\n<!-- flightrec:result -->\n```text\n  n\n---\n100\n(1 row)\n```\n<!-- /flightrec:result -->\n\nend\n');
    // Running a notebook that holds results replaces them.
    expect(cli('notebook', 'run', out, dir).stdout).toBe(text);
  });
});

describe('flightrec sql on a recording of an older schema version', () => {
  /** Rows of a query over the schema-1 fixture, as `-f json` gives them. */
  function query(sql: string): Array<Record<string, unknown>> {
    const r = cli('sql', FIXTURE, sql, '-f', 'json');
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
  }

  /** Rows per label of an enum column, as the Arrow reader gives them. */
  function labelCounts(table: 'proc' | 'file', column: 'kind' | 'op'): Array<Record<string, unknown>> {
    const n = new Map<string, number>();
    const rec = Recording.open(FIXTURE);
    const e = makeCursor(table);
    for (const b of rec.batches(table)) {
      e.bind(b);
      for (e.row = 0; e.row < b.numRows; e.row++) {
        const label = (e as unknown as Record<string, string>)[column]!;
        n.set(label, (n.get(label) ?? 0) + 1);
      }
    }
    rec.close();
    return [...n].sort(([a], [b]) => a.localeCompare(b)).map(([label, count]) => ({ [column]: label, n: String(count) }));
  }

  it('gives the columns added since as NULL and the enums by the labels the file was written with', () => {
    const proc = query('SELECT cwd, start_ts, kthread FROM proc');
    expect(proc).toHaveLength(185);
    expect(proc.every((r) => r.cwd === null && r.start_ts === null && r.kthread === null)).toBe(true);
    const file = query('SELECT abs_path FROM file');
    expect(file).toHaveLength(221);
    expect(file.every((r) => r.abs_path === null)).toBe(true);
    expect(query('SELECT op, count(*) AS n FROM file GROUP BY op ORDER BY op')).toEqual(labelCounts('file', 'op'));
    expect(query('SELECT kind, count(*) AS n FROM proc GROUP BY kind ORDER BY kind')).toEqual(labelCounts('proc', 'kind'));
    expect(query("SELECT count(*) AS n FROM file WHERE op = 'open' AND path <> ''")[0]!.n).not.toBe('0');
  });
});

describe('flightrec sql: one time format, one clock per recording', () => {
  // Two real recordings, each with its own clock (the fixtures were recorded one after the other).
  const a = join(ROOT, 'fixtures', 'benign', 'rec');
  const b = join(ROOT, 'fixtures', 'reverse-shell', 'rec');
  const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

  it('JSON, JSON Lines and CSV give times as RFC 3339 UTC with nine digits; a table as people read them, zone written', () => {
    const q = 'SELECT time, [time] AS times FROM proc ORDER BY seq LIMIT 5';
    const json = JSON.parse(cli('sql', a, q, '-f', 'json').stdout) as Array<{ time: string; times: string[] }>;
    expect(json).toHaveLength(5);
    for (const r of json) {
      expect(r.time).toMatch(ISO);
      expect(r.times).toEqual([r.time]);
    }
    expect(cli('sql', a, q, '-f', 'jsonl').stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(json);
    const csv = cli('sql', a, 'SELECT time FROM proc ORDER BY seq LIMIT 5', '-f', 'csv').stdout.trim().split('\n');
    expect(csv).toEqual(['time', ...json.map((r) => r.time)]);
    const table = cli('sql', a, 'SELECT time FROM proc ORDER BY seq LIMIT 5').stdout.split('\n').slice(2, 7);
    expect(table).toEqual(json.map((r) => r.time.replace('T', ' ')));
    const paris = cliWith({ TZ: 'Europe/Paris' }, 'sql', '--tz', 'local', a, 'SELECT time FROM proc ORDER BY seq LIMIT 1');
    // The fixtures were recorded in November: Paris is an hour east of UTC.
    const utc = new Date(json[0]!.time.slice(0, 23) + 'Z');
    expect(paris.stdout.split('\n')[2]).toBe(`${new Date(utc.getTime() + 3_600_000).toISOString().slice(0, 19).replace('T', ' ')}${json[0]!.time.slice(19, 29)}+01:00`);
    const bad = cli('sql', '--tz', 'Mars', a, 'SELECT 1');
    expect([bad.code, bad.stderr]).toEqual([2, 'flightrec: --tz Mars: give UTC or local\n']);
  });

  it('wall(ts, recording) and ts_of(text, recording) use each recording\'s clock; the one-argument forms refuse two clocks in one line', () => {
    const rows = JSON.parse(cli('sql', a, b, `SELECT recording, count(*) AS n,
        count(*) FILTER (WHERE wall(ts, recording) = time) AS walls,
        count(*) FILTER (WHERE ts_of(strftime(time, '%Y-%m-%d %H:%M:%S.') || lpad((epoch_ns(time) % 1000000000)::VARCHAR, 9, '0') || 'Z', recording) = ts) AS back
      FROM proc GROUP BY recording ORDER BY recording`, '-f', 'json').stdout) as Array<{ n: string; walls: string; back: string }>;
    expect(rows).toHaveLength(2);
    for (const r of rows) expect([r.walls, r.back]).toEqual([r.n, r.n]);
    for (const [q, call] of [['SELECT wall(ts) FROM proc', 'wall(ts)'], ["SELECT ts_of('2026-11-21T21:44:31Z')", 'ts_of(text)']] as const) {
      const r = cli('sql', a, b, q);
      expect([r.code, r.stderr]).toEqual([1, `flightrec: SQL: Invalid Input Error: ${call}: 2 recordings with their own clocks are open: give the recording, ${call.replace(')', ', recording)')}, or use the time column\n`]);
    }
    // One recording: one clock, and the one-argument forms answer.
    const one = cli('sql', a, 'SELECT count(*) FILTER (WHERE wall(ts) = time AND ts_of(time::VARCHAR) = ts) = count(*) AS ok FROM proc', '-f', 'csv');
    expect(one.stdout).toBe('ok\ntrue\n');
    const garbage = cli('sql', a, "SELECT ts_of('yesterday')");
    expect(garbage.stderr).toBe('flightrec: SQL: Invalid Input Error: ts_of(yesterday): not a time; give one as flightrec prints it, such as 2026-12-01T14:21:39.898788670Z\n');
  });
});
