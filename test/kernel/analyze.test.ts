// SQL over a real recording of a scripted workload: the derived views answer with exactly
// what the script did, an export answers the same, and every shipped notebook runs.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cli, cliWith, tempDir } from '../helpers.js';
import { kernelAvailable, record } from './kernel.js';
import { TABLE_NAMES, table } from '../../src/schema/tables.js';
import type { ConnectOutcomes } from './scenarios.js';
import { parseNotebook } from '../../src/analyze/notebook.js';
import { isoTime } from '../../src/text/time.js';

const run = kernelAvailable();
const SCRIPTS = join(ROOT, 'test', 'kernel', 'scripts');
const SENT = 40_000;
const ECHOED = 1_234;
const WRITTEN = 5_000;
// The interpreter itself: a python3 found on PATH may be a version manager's shim, a shell
// script whose own children would join the tree.
const PYTHON = realpathSync(execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim());

function sqlJson(args: string[]): Array<Record<string, unknown>> {
  const r = cli('sql', ...args, '-f', 'json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
}

/** The SQL of the shipped triage notebook's cells, each under the heading it follows, in order. */
function triageCells(): Array<{ heading: string; sql: string }> {
  const { lines, cells } = parseNotebook(readFileSync(join(ROOT, 'notebooks', 'triage.md'), 'utf8'));
  return cells.map((c) => ({ heading: lines.slice(0, c.line).filter((l) => l.startsWith('## ')).at(-1)?.slice(3) ?? '', sql: c.sql }));
}

/** The rows of the triage cell under `heading` (its first), as `sql -f json` gives them. */
function triage(dir: string, heading: string): Array<Record<string, unknown>> {
  return sqlJson([dir, triageCells().find((c) => c.heading === heading)!.sql]);
}

describe.runIf(run)('SQL over a real recording', () => {
  let work: string;
  let dir: string;
  let ports: { server_port: number; client_port: number };

  beforeAll(() => {
    work = tempDir();
    dir = join(work, 'rec');
    // Every command forks (dash runs the last command of -c in place, so each list ends in exit).
    const script = [
      `sh -c '/bin/true; cat /etc/hostname > /dev/null; exit 0'`,
      `head -c ${WRITTEN} /dev/zero > "$1/a.txt"`,
      `mv "$1/a.txt" "$1/b.txt"`,
      `rm "$1/b.txt"`,
      `"$3" "$2/tcp_pair.py" 4 ${SENT} ${ECHOED} > "$1/ports.json"`,
      'exit 0',
    ].join('\n');
    const r = record(dir, [], ['sh', '-c', script, 'sh', work, SCRIPTS, PYTHON]);
    expect(r.code, r.stderr).toBe(0);
    ports = JSON.parse(readFileSync(join(work, 'ports.json'), 'utf8')) as typeof ports;
  });

  it('process_tree is the exact tree the script made', () => {
    const rows = sqlJson([dir, 'SELECT pid, ppid, depth, path, exe FROM process_tree ORDER BY path']);
    const name = new Map(rows.map((r) => [r.pid as number, basename(String(r.exe))]));
    const tree = rows.map((r) => `${'  '.repeat(r.depth as number)}${(r.path as number[]).map((p) => name.get(p)).join('/')}`);
    expect(tree.map((t) => t.trim()).sort()).toEqual([
      'sh', 'sh/head', 'sh/mv', `sh/${basename(PYTHON)}`, 'sh/rm', 'sh/sh', 'sh/sh/cat', 'sh/sh/true',
    ]);
    // descendants() of the nested shell: itself, true and cat.
    const nested = rows.find((r) => (r.depth as number) === 1 && name.get(r.pid as number) === 'sh')!;
    const below = sqlJson([dir, `SELECT exe FROM descendants(${nested.pid as number}) ORDER BY exe`]).map((r) => basename(String(r.exe)));
    expect(below.sort()).toEqual(['cat', 'sh', 'true']);
  });

  it('connections shows the TCP connection from both ends with its bytes', () => {
    const rows = sqlJson([dir, `SELECT direction, local_addr, local_port, remote_addr, remote_port, bytes_sent, bytes_received, closed
      FROM connections WHERE ${ports.client_port} IN (local_port, remote_port) ORDER BY direction`]);
    expect(rows).toEqual([
      { direction: 'inbound', local_addr: '127.0.0.1', local_port: ports.server_port, remote_addr: '127.0.0.1', remote_port: ports.client_port, bytes_sent: String(ECHOED), bytes_received: String(SENT), closed: true },
      { direction: 'outbound', local_addr: '127.0.0.1', local_port: ports.client_port, remote_addr: '127.0.0.1', remote_port: ports.server_port, bytes_sent: String(SENT), bytes_received: String(ECHOED), closed: true },
    ]);
  });

  it('file_activity shows the files the script touched: written, renamed, removed', () => {
    const rows = sqlJson([dir, `SELECT path, list_sort(list_distinct(flatten(list(ops)))) AS ops, sum(bytes_written) AS written, bool_or(removed) AS removed
      FROM file_activity WHERE path IN ('${work}/a.txt', '${work}/b.txt') GROUP BY path ORDER BY path`]);
    expect(rows).toEqual([
      { path: `${work}/a.txt`, ops: ['close', 'open', 'rename'], written: String(WRITTEN), removed: true },
      { path: `${work}/b.txt`, ops: ['rename_to', 'unlink'], written: '0', removed: true },
    ]);
  });

  // Each of 4 sql calls and 7 slices is a process of its own: slow on a busy machine, not stuck.
  it('the time sql prints for an event, in a table or CSV, given to slice --from and --to, selects that event', { timeout: 240_000 }, () => {
    const q = `SELECT time, seq FROM proc WHERE kind = 'exec' AND filename LIKE '%/head'`;
    const table = cli('sql', dir, q);
    expect(table.stderr).toBe('');
    const [, , row] = table.stdout.split('\n');
    const [, shown, seq] = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}Z)\s+(\d+)$/.exec(row!)!;
    const csv = cli('sql', dir, q, '-f', 'csv').stdout.split('\n')[1]!;
    expect(csv).toBe(`${shown!.replace(' ', 'T')},${seq}`);
    const paris = cliWith({ TZ: 'Europe/Paris' }, 'sql', '--tz', 'local', dir, q).stdout.split('\n')[2]!.split(/\s\s+/)[0]!;
    expect(paris).toMatch(/[+-]\d\d:\d\d$/);
    // Each printed form, and the time alone as both ends: the slice holds the event (by its seq, kept from the source).
    for (const [i, [flags, time]] of ([
      [['--from'], shown!], [['--from'], csv.split(',')[0]!], [['--from'], paris], [['--to'], shown!], [['--from', '--to'], csv.split(',')[0]!],
    ] as const).entries()) {
      const out = join(work, `at-${i}`);
      const s = cli('slice', dir, ...flags.flatMap((f) => [f, time]), '-o', out);
      expect(s.code, s.stderr).toBe(0);
      expect(sqlJson([out, `SELECT seq, time FROM proc WHERE kind = 'exec' AND seq = ${seq}`]), `${flags.join(' ')} ${time}`)
        .toEqual([{ seq, time: csv.split(',')[0] }]);
    }
    // A nanosecond later the event is out of a --from slice, a nanosecond earlier out of a --to one.
    const ns = BigInt(sqlJson([dir, `SELECT epoch_ns(time) AS ns FROM proc WHERE seq = ${seq}`])[0]!.ns as string);
    expect(isoTime(ns)).toBe(csv.split(',')[0]);
    for (const [flag, time] of [['--from', isoTime(ns + 1n)], ['--to', isoTime(ns - 1n)]] as const) {
      const out = join(work, `past${flag}`);
      expect(cli('slice', dir, flag, time, '-o', out).code).toBe(0);
      expect(sqlJson([out, `SELECT seq FROM proc WHERE kind = 'exec' AND seq = ${seq}`]), `${flag} ${time}`).toEqual([]);
    }
  });

  // 26 queries, each a process of its own: slow on a busy machine, not stuck.
  it('answers the same from its hive-partitioned Parquet export', { timeout: 240_000 }, () => {
    const out = join(work, 'fleet');
    const e = cli('export', dir, '--parquet', out);
    expect(e.stderr).toBe('');
    expect(e.code).toBe(0);
    const host = readdirSync(out)[0]!;
    expect(host).toMatch(/^host=/);
    expect(readdirSync(join(out, host, readdirSync(join(out, host))[0]!))).toEqual(expect.arrayContaining(['table=proc', 'table=recordings', 'table=syscall']));
    for (const q of [...TABLE_NAMES.map((t) => `SELECT * FROM ${t} ORDER BY ${table(t).context ? 'ALL' : 'seq'}`), 'SELECT * FROM processes ORDER BY pid', 'SELECT * FROM connections ORDER BY first_ts, pid']) {
      const here = cli('sql', dir, q, '-f', 'jsonl');
      const there = cli('sql', '--fleet', out, q, '-f', 'jsonl');
      expect(there.stderr, q).toBe('');
      expect(there.stdout, q).toBe(here.stdout);
    }
  });

  it('triage leads with the alerts, then what ran with its parents, the files changed with their bytes (no /dev/null), the connections', () => {
    expect([...new Set(triageCells().map((c) => c.heading))]).toEqual(
      ['Alerts', 'The recording', 'What ran', 'What it changed', 'What it contacted', 'Processes by activity', 'Row counts per table']);
    expect(triage(dir, 'Alerts')).toEqual([]); // recorded without --detect: the cell runs, and is empty
    const ran = triage(dir, 'What ran');
    const of = (exe: string): Record<string, unknown> => ran.find((r) => basename(String(r.exe)) === exe)!;
    expect([of('cat').command_line, basename(String(of('cat').parent_exe)), of('cat').parent_command_line])
      .toEqual(['cat /etc/hostname', 'sh', "sh -c /bin/true; cat /etc/hostname > /dev/null; exit 0"]);
    expect([of('head').command_line, basename(String(of('head').parent_exe))]).toEqual([`head -c ${WRITTEN} /dev/zero`, 'sh']);
    expect(of('head').ppid).toBe(of('mv').ppid);
    // cat's output went to /dev/null, opened for writing: in file_activity, not in triage.
    expect(sqlJson([dir, "SELECT count(*) AS n FROM file_activity WHERE path = '/dev/null' AND written"])[0]!.n).not.toBe('0');
    const changed = triage(dir, 'What it changed');
    expect(changed.filter((r) => String(r.path).startsWith('/dev/') || /^(pipe|socket):/.test(String(r.path)))).toEqual([]);
    // The shell opens a redirection's file itself before it forks the command (dash does), which writes and closes it.
    const flags = (r: Record<string, unknown>): string => ['created', 'truncated', 'removed'].filter((k) => r[k] === true).join('+') || '-';
    expect(changed.filter((r) => String(r.path).startsWith(work)).map((r) =>
      `${String(r.comm)} ${String(r.path).slice(work.length + 1)} ${String(r.bytes_written)} ${flags(r)} ${(r.ops as string[]).join(',')}`).sort()).toEqual([
      `head a.txt ${WRITTEN} - close`,
      'mv a.txt 0 removed rename',
      'mv b.txt 0 - rename_to',
      'rm b.txt 0 removed unlink',
      'sh a.txt 0 created+truncated open',
      // python's bytes to the stdout it inherited are in an io row without a path (the fd was opened before the fork).
      expect.stringMatching(/^sh ports\.json \d+ created\+truncated open$/),
    ]);
    const contacted = triage(dir, 'What it contacted').filter((r) => r.remote_port === ports.server_port || r.remote_port === ports.client_port);
    expect(contacted.map((r) => [r.direction, r.outcome, r.bytes_sent]).sort()).toEqual([['inbound', 'established', String(ECHOED)], ['outbound', 'established', String(SENT)]]);
  });

  it('runs every notebook in notebooks/ without error', () => {
    for (const nb of readdirSync(join(ROOT, 'notebooks')).filter((f) => f.endsWith('.md'))) {
      const r = cli('notebook', 'run', join(ROOT, 'notebooks', nb), dir);
      expect(r.stderr, nb).toBe('');
      expect(r.code, nb).toBe(0);
      expect(r.stdout, nb).toContain('<!-- flightrec:result -->');
    }
  });
});

describe.runIf(run)('SQL names what happened, on a real recording', () => {
  let dir: string;
  let out: ConnectOutcomes;

  beforeAll(() => {
    const work = tempDir();
    dir = join(work, 'rec');
    const script = [
      `sh -c 'exit 7'`,
      `sh -c 'kill -9 $$'`,
      'cat /etc/hostname > /dev/null',
      `"$3" "$2/connect_outcomes.py" 3 190 520 > "$1/outcomes.json"`,
      'exit 0',
    ].join('\n');
    const r = record(dir, [], ['sh', '-c', script, 'sh', work, SCRIPTS, PYTHON]);
    expect(r.code, r.stderr).toBe(0);
    out = JSON.parse(readFileSync(join(work, 'outcomes.json'), 'utf8')) as ConnectOutcomes;
  });

  it('processes: exit 7 reads exit_code 7, a SIGKILL reads exit_signal SIGKILL, the wait status stays as exit_status', () => {
    const rows = sqlJson([dir, `SELECT argv[3] AS command, exit_code, exit_signal, exit_status FROM processes
      WHERE argv[2] = '-c' AND argv[3] IN ('exit 7', 'kill -9 $$') ORDER BY command`]);
    expect(rows).toEqual([
      { command: 'exit 7', exit_code: 7, exit_signal: null, exit_status: 7 << 8 },
      { command: 'kill -9 $$', exit_code: null, exit_signal: 'SIGKILL', exit_status: 9 },
    ]);
  });

  it('timeline renders an openat and a connect as strace does: AT_FDCWD, the path, the flags, the address, the errno', () => {
    const rows = sqlJson([dir, `SELECT summary FROM timeline WHERE kind = 'syscall' AND comm = 'cat' AND summary LIKE 'openat(%hostname%'`]);
    expect(rows).toEqual([{ summary: 'openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3' }]);
    const refused = sqlJson([dir, `SELECT summary FROM timeline WHERE kind = 'syscall' AND summary LIKE 'connect(%htons(${out.refused_port})%'`]);
    expect(refused).toEqual([{ summary: `connect(3, {sa_family=AF_INET, sin_port=htons(${out.refused_port}), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 ECONNREFUSED` }]);
  });

  it('syscalls writes each argument by its kind, and strace(pid) names an fd by the path it was opened with', () => {
    const cat = `(SELECT pid FROM proc WHERE kind = 'exec' AND filename LIKE '%/cat')`;
    const calls = (from: string): string[] => sqlJson([dir, `SELECT name || '(' || args_text || ') = ' || ret AS call FROM ${from}
      WHERE pid = ${cat} AND name IN ('read', 'close') ORDER BY seq`]).map((r) => String(r.call));
    // read(unsigned int fd, char __user *buf, size_t count): the buffer in hex, the count in decimal.
    expect(calls('syscalls').filter((c) => /^read\(3, 0x[0-9a-f]+, \d+\) = \d+$/.test(c)).length).toBeGreaterThan(0);
    const traced = calls(`strace(${cat})`);
    const hostname = traced.filter((c) => c.includes('</etc/hostname>'));
    expect(hostname.map((c) => c.replace(/0x[0-9a-f]+/, 'BUF'))).toEqual([
      expect.stringMatching(/^read\(3<\/etc\/hostname>, BUF, \d+\) = \d+$/), // the name, then
      expect.stringMatching(/^read\(3<\/etc\/hostname>, BUF, \d+\) = 0$/), // the end of the file
      'close(3</etc/hostname>) = 0',
    ]);
    // After its close, fd 3 names nothing until it is opened again.
    const after = traced.slice(traced.indexOf('close(3</etc/hostname>) = 0') + 1);
    expect(after.filter((c) => c.startsWith('read(3') || c.startsWith('close(3')).every((c) => !c.includes('hostname'))).toBe(true);
  });

  it('triage lists every connection attempt with its outcome: the refused connect, the one refused later, the sweep', () => {
    const ports = new Set([out.refused_port, out.later_port, ...out.sweep]);
    const failed = triage(dir, 'What it contacted').filter((r) => ports.has(r.remote_port as number));
    expect(failed.map((r) => [r.remote_port, r.outcome, r.errno])).toEqual([
      [out.refused_port, 'refused', 'ECONNREFUSED'], [out.later_port, 'refused', 'EINPROGRESS'], ...out.sweep.map((p) => [p, 'refused', 'ECONNREFUSED'])]);
  });

  it('connections has every attempt with its outcome, and the true totals of a socket that was shut down', () => {
    const rows = sqlJson([dir, `SELECT direction, local_port, remote_port, outcome, errno, bytes_sent, bytes_received
      FROM connections WHERE remote_port IN (${[out.refused_port, out.later_port, ...out.sweep, out.server_port, out.client_port].join(', ')})
      ORDER BY first_ts, direction`]);
    const failed = (port: number, errno: string): Record<string, unknown> => (
      { direction: 'outbound', local_port: null, remote_port: port, outcome: 'refused', errno, bytes_sent: '0', bytes_received: '0' });
    expect(rows.slice(0, 5)).toEqual([
      failed(out.refused_port, 'ECONNREFUSED'),
      failed(out.later_port, 'EINPROGRESS'), // refused after connect() returned
      ...out.sweep.map((p) => failed(p, 'ECONNREFUSED')),
    ]);
    expect(rows.slice(5).sort((a, b) => String(a.direction).localeCompare(String(b.direction)))).toEqual([
      { direction: 'inbound', local_port: out.server_port, remote_port: out.client_port, outcome: 'established', errno: null, bytes_sent: '520', bytes_received: '190' },
      { direction: 'outbound', local_port: out.client_port, remote_port: out.server_port, outcome: 'established', errno: null, bytes_sent: '190', bytes_received: '520' },
    ]);
  });
});
