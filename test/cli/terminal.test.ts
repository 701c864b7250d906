// What the CLI shows a person, on a recording whose names hold terminal escape sequences:
// every human-readable output escapes them; JSON, JSON Lines and CSV keep the exact bytes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readdirSync, symlinkSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, tempDir, type CliResult } from '../helpers.js';
import { CONTROL, HOSTILE, HOSTILE_SHOWN, hostileRecording } from './hostile.js';

/** The CLI, bounded: every case must end within 20 s. */
function run(...args: string[]): CliResult {
  const started = Date.now();
  const r = cli(...args);
  expect(Date.now() - started).toBeLessThan(20_000);
  return r;
}

/** Output a terminal shows safely: no control characters, and the hostile value escaped. */
function expectEscaped(text: string): void {
  expect(text).toContain(HOSTILE_SHOWN);
  expect(text).not.toMatch(CONTROL);
}

describe('human-readable output of a hostile recording is escaped', () => {
  let rec: string;
  beforeAll(() => {
    rec = join(tempDir(), 'rec');
    hostileRecording(rec);
  });

  it('sql: the table escapes; json, jsonl and csv keep the exact bytes', () => {
    const q = 'SELECT comm, filename, argv FROM proc ORDER BY seq';
    const table = run('sql', rec, q);
    expect(table.code, table.stderr).toBe(0);
    expectEscaped(table.stdout);
    expect(table.stdout).toContain(`--title=${HOSTILE_SHOWN}\\r\\n`);
    expect(table.stdout.trim().split('\n')).toHaveLength(6);

    const json = JSON.parse(run('sql', rec, q, '-f', 'json').stdout) as Array<{ comm: string; argv: string[] }>;
    expect(json.map((r) => r.comm)).toEqual([HOSTILE, HOSTILE, HOSTILE]);
    expect(json[0]!.argv[1]).toBe(`--title=${HOSTILE}\r\n`);
    const jsonl = run('sql', rec, q, '-f', 'jsonl').stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(jsonl).toEqual(json);
    const csv = run('sql', rec, 'SELECT comm, filename FROM proc', '-f', 'csv').stdout;
    expect(csv).toBe(`comm,filename\n${`${HOSTILE},/tmp/${HOSTILE}\n`.repeat(3)}`);
  });

  it('sql: an error quoting a recorded value is one escaped line', () => {
    const r = run('sql', rec, 'SELECT CAST(comm AS INTEGER) FROM proc');
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toEqual([expect.stringMatching(/^flightrec: SQL: Conversion Error: /), '']);
    expectEscaped(r.stderr);
  });

  it('shell and notebook run escape their results', () => {
    const shell = spawnSync(process.execPath, [CLI, 'shell', rec], {
      input: 'SELECT comm FROM proc LIMIT 1;\nSELECT CAST(comm AS INT) FROM proc;\n', encoding: 'utf8', timeout: 20_000,
      env: { ...process.env, FLIGHTREC_HISTORY: join(tempDir(), 'h') },
    });
    expect(shell.status, shell.stderr).toBe(1);
    expectEscaped(shell.stdout);
    expect(shell.stderr.split('\n')).toEqual([expect.stringMatching(/^flightrec: line 2: SQL: Conversion Error: .*\\x1b\]0;pwned/), '']);
    expect(shell.stderr).not.toMatch(CONTROL);

    const nb = join(tempDir(), 'nb.md');
    const fd = openSync(nb, 'w');
    writeSync(fd, `# notes ${HOSTILE}\n\n\`\`\`sql\nSELECT path FROM file;\n\`\`\`\n`);
    closeSync(fd);
    const r = run('notebook', 'run', nb, rec);
    expect(r.code, r.stderr).toBe(0);
    expectEscaped(r.stdout);
    expect(r.stdout).toContain(`# notes ${HOSTILE_SHOWN}\n`);
  });

  it('replay: the alert table escapes; jsonl keeps the exact title', () => {
    const table = run('replay', rec, '--detectors', 'dangerous-exec');
    expect(table.code, table.stderr).toBe(0);
    expectEscaped(table.stdout);
    const alerts = run('replay', rec, '--detectors', 'dangerous-exec', '-f', 'jsonl').stdout.trim().split('\n').map((l) => JSON.parse(l) as { title: string; evidence: { filename: string } });
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts[0]!.evidence.filename).toBe(`/tmp/${HOSTILE}`);
    expect(alerts.some((a) => a.title.includes(HOSTILE))).toBe(true);
  });

  it('info escapes the command line and probes; --json keeps them', () => {
    const r = run('info', rec);
    expect(r.code, r.stderr).toBe(0);
    expectEscaped(r.stdout);
    expect(r.stdout).toContain(`flightrec record -- /tmp/${HOSTILE_SHOWN}`);
    const json = JSON.parse(run('info', rec, '--json').stdout) as { command_line: string[] };
    expect(json.command_line.at(-1)).toBe(`/tmp/${HOSTILE}`);
  });

  it('verify and errors name a hostile path escaped, on one line each', () => {
    const dir = join(tempDir(), `rec${HOSTILE}`);
    hostileRecording(dir);
    const seg = join(dir, 'segments', readdirSync(join(dir, 'segments'))[0]!, 'proc.arrow');
    const fd = openSync(seg, 'r+');
    writeSync(fd, Buffer.from([0xff]), 0, 1, 200);
    closeSync(fd);
    const v = run('verify', dir);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/^flightrec: verify failed: /);
    expectEscaped(v.stderr);
    const missing = run('info', join(dir, `nope${HOSTILE}`));
    expect(missing.code).toBe(1);
    expect(missing.stderr.split('\n')).toHaveLength(2);
    expectEscaped(missing.stderr);
  });

  it('the reading side\'s one-line errors and the --allow-damaged report escape a hostile name', () => {
    // A file nobody listed among the segments, its name a forged second line.
    const dir = join(tempDir(), 'rec');
    hostileRecording(dir);
    const forged = `x${HOSTILE}\nflightrec: all good`;
    writeFileSync(join(dir, 'segments', forged), '');
    const refused = run('info', dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr.split('\n')).toHaveLength(2);
    expectEscaped(refused.stderr);
    const damaged = run('info', dir, '--allow-damaged');
    expect(damaged.stderr.split('\n')).toEqual([expect.stringMatching(/^flightrec: .* is damaged, read anyway \(--allow-damaged\): .*\\nflightrec: all good/), '']);
    expectEscaped(damaged.stderr);

    // A cache directory that cannot be made (under a regular file), and an export into a planted link.
    const base = tempDir();
    writeFileSync(join(base, `file${HOSTILE}`), '');
    const cache = run('sql', rec, 'SELECT 1', '--cache', join(base, `file${HOSTILE}`, 'c'));
    expect(cache.code).toBe(1);
    expect(cache.stderr.split('\n')).toEqual([expect.stringMatching(/cannot use it as the query cache/), '']);
    expectEscaped(cache.stderr);
    const out = join(base, `fleet${HOSTILE}`);
    mkdirSync(out);
    const host = run('sql', rec, 'SELECT host FROM recordings', '-f', 'csv').stdout.split('\n')[1]!;
    symlinkSync(base, join(out, `host=${host}`));
    const exported = run('export', rec, '--parquet', out);
    expect(exported.code).toBe(1);
    expect(exported.stderr.split('\n')).toEqual([expect.stringMatching(/is a symbolic link, not a directory: refused/), '']);
    expectEscaped(exported.stderr);
  });
});
