// The context the runtime adds to alerts (the process, its parent, user and container, the
// remote endpoint named by DNS answers) and the grouping of repeats, over small recordings
// written here: what each alert says, when a group's summary comes, and that batch boundaries
// change nothing.
import { join } from 'node:path';
import { DataType, type RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { defineDetector, type Detector } from '../../src/detect/api.js';
import type { Alert } from '../../src/detect/runtime.js';
import { makeBatch } from '../../src/format/batch.js';
import { Recording } from '../../src/format/recording.js';
import { RecordingWriter } from '../../src/format/recording-writer.js';
import { replay } from '../../src/replay/replay.js';
import { accountBatch } from '../../src/record/accounts.js';
import { cgroupBatch } from '../../src/record/cgroups.js';
import { SCHEMAS } from '../../src/schema/arrow.generated.js';
import type { TableName } from '../../src/schema/tables.js';
import { tempDir } from '../helpers.js';

type Row = Record<string, unknown>;

/** A batch of rows: columns they do not give are zero, empty or null. */
function batchOf(table: TableName, rows: readonly Row[]): RecordBatch {
  const columns: Record<string, unknown[]> = {};
  for (const f of SCHEMAS[table].fields) {
    const type = f.type as DataType;
    const none = f.nullable ? null : DataType.isFixedSizeBinary(type) ? new Uint8Array(type.byteWidth) : DataType.isUtf8(type) ? ''
      : DataType.isBool(type) ? false : DataType.isList(type) ? [] : f.metadata.has('flightrec.enum') ? 0 : 0;
    columns[f.name] = rows.map((r) => r[f.name] ?? none);
  }
  return makeBatch(table, columns as never);
}

const v4 = (...b: number[]): Uint8Array => Uint8Array.from([...b, ...new Array<number>(12).fill(0)]);
const CONTAINER = 'a'.repeat(64);

/**
 * bash (pid 100, in a container's cgroup) looks up c2.example, connects to it and forks
 * sh (101), which forks a helper (102); the helper and sh exit, then bash. A process of
 * another tree (200) runs alongside.
 */
function scenario(batchRows: number): string {
  const dir = join(tempDir(), 'rec');
  const w = RecordingWriter.create(dir);
  let seq = 0n;
  const at = (): { ts: bigint; seq: bigint } => ({ ts: 1_000_000n + seq * 1000n, seq: seq++ });
  const proc = (kind: string, pid: number, ppid: number, filename: string | null, argv: string[] | null): Row =>
    ({ ...at(), pid, tid: pid, comm: filename?.slice(filename.lastIndexOf('/') + 1) ?? 'x', kind, ppid, uid: 1000, euid: 1000, cgroup_id: pid < 200 ? 77n : 5n, filename, argv, cwd: '/home/eve' });
  const rows: Array<[TableName, Row]> = [
    ['proc', proc('snapshot', 90, 1, '/usr/sbin/sshd', ['sshd: eve'])],
    ['proc', proc('exec', 100, 90, '/usr/bin/bash', ['bash', '-i'])],
    ['proc', proc('exec', 200, 1, '/usr/bin/cron', ['cron'])],
    ['dns', { ...at(), pid: 100, tid: 100, comm: 'bash', kind: 'answer', qname: 'c2.example', qtype: 1, answer: v4(192, 0, 2, 7), answer_family: 2, family: 2 }],
    ['net', { ...at(), pid: 100, tid: 100, comm: 'bash', op: 'connect', family: 2, proto: 6, saddr: v4(10, 0, 0, 1), sport: 40000, daddr: v4(192, 0, 2, 7), dport: 4444, fd: 3 }],
    ['proc', proc('fork', 101, 100, '/usr/bin/bash', ['bash', '-i'])],
    ['proc', proc('exec', 101, 100, '/bin/sh', ['sh', '-c', 'id'])],
    ['proc', proc('fork', 102, 101, '/bin/sh', ['sh', '-c', 'id'])],
    ['proc', proc('exec', 102, 101, '/usr/bin/id', ['id'])],
    ['proc', proc('exec', 200, 1, '/usr/bin/cron', ['cron', '-f'])],
    ['proc', proc('exit', 102, 101, null, null)],
    ['proc', proc('exit', 101, 100, null, null)],
    ['proc', proc('exec', 100, 90, '/usr/bin/bash', ['bash', '--login'])],
    ['proc', proc('exit', 100, 90, null, null)],
    ['proc', proc('exec', 200, 1, '/usr/bin/cron', ['cron', '-n'])],
  ];
  w.append('account', accountBatch([{ kind: 'user', id: 1000, name: 'eve' }], 1n));
  w.append('cgroup', cgroupBatch([{ id: 77n, path: `/system.slice/docker-${CONTAINER}.scope`, container: { id: CONTAINER, runtime: 'docker' } }], 1n));
  for (const table of ['proc', 'dns', 'net'] as const) {
    const mine = rows.filter(([t]) => t === table).map(([, r]) => r);
    for (let i = 0; i < mine.length; i += batchRows) w.append(table, batchOf(table, mine.slice(i, i + batchRows)));
  }
  w.close();
  return dir;
}

/** Alerts on every exec (of one kind: a shell ran) and on every connect (naming its remote end). */
const watcher = defineDetector({
  name: 'watcher', version: '1', description: 'test',
  tables: { proc: { where: { kind: ['exec'] } }, net: {} },
  create: (ctx) => ({
    proc: (e) => ctx.alert({ severity: 'critical', title: `ran ${e.filename}`, kind: 'ran', evidence: { file: e.filename } }),
    net: (e) => ctx.alert({ severity: 'warning', title: 'connected', remote: { address: '192.0.2.7', port: e.dport } }),
  }),
});

const evidence = (a: Alert): Record<string, any> => JSON.parse(a.evidence) as Record<string, any>;
const run = (dir: string, detectors: Detector[] = [watcher]) => replay(Recording.open(dir), detectors);

describe('alert context', () => {
  it('names the process as of its event: program, arguments, cwd, user, parent and container', () => {
    const alerts = run(scenario(100)).alerts;
    const first = alerts[0]!;
    expect([first.pid, first.title]).toEqual([100, 'ran /usr/bin/bash']);
    expect(evidence(first)).toEqual({
      file: '/usr/bin/bash',
      process: {
        pid: 100, exe: '/usr/bin/bash', argv: ['bash', '-i'], cwd: '/home/eve', uid: 1000, user: 'eve', ppid: 90, container_id: CONTAINER,
        parent: { pid: 90, exe: '/usr/sbin/sshd', argv: ['sshd: eve'] },
      },
    });
    const other = alerts.find((a) => a.pid === 200)!;
    expect(evidence(other).process.container_id).toBeNull();
  });

  it('names the remote end of a connection, with the name the DNS answer before it gave the address', () => {
    const connect = run(scenario(100)).alerts.find((a) => a.title === 'connected')!;
    expect(evidence(connect).remote).toEqual({ address: '192.0.2.7', port: 4444, name: 'c2.example', inbound: false });
  });

  it('refuses evidence keys that are the runtime\'s', () => {
    const bad = defineDetector({ ...watcher, name: 'bad', create: (ctx) => ({ proc: () => ctx.alert({ severity: 'info', title: 'x', evidence: { process: 1 } }) }) });
    expect(run(scenario(100), [bad]).failures[0]!.message).toBe('alert evidence key process is the runtime\'s (process, remote, group, tags)');
  });
});

describe('alert groups', () => {
  it('raises the first alert of a process tree at once and the rest as one summary when the root exits', () => {
    const alerts = run(scenario(100)).alerts;
    // bash's tree: bash, sh and id ran (a kind each detector-wide), then bash again: one alert, and a summary of 4 at bash's exit.
    const tree = alerts.filter((a) => a.title.startsWith('ran') && [100, 101, 102].includes(a.pid));
    expect(tree.map((a) => a.title)).toEqual(['ran /usr/bin/bash', 'ran /usr/bin/bash (4 alerts from this process tree)']);
    const summary = tree[1]!;
    expect(summary.pid).toBe(100);
    expect(summary.seq).toBe(13n); // bash's exit
    expect(evidence(summary).group).toEqual({ count: 4, first_ts: '1001000', last_ts: '1012000', pids: [100, 101, 102] });
    expect(summary.related_seqs).toEqual([1n, 6n, 8n, 12n]);
    // Another tree and another kind are groups of their own; cron's is open at the end and summarized then.
    expect(alerts.filter((a) => a.title === 'connected').length).toBe(1);
    const cron = alerts.filter((a) => a.pid === 200).map((a) => [a.title, a.seq]);
    expect(cron).toEqual([['ran /usr/bin/cron', 2n], ['ran /usr/bin/cron (3 alerts from this process tree)', 14n]]);
    expect(alerts.at(-1)!.pid).toBe(200);
  });

  it('groups alike whatever the batch boundaries', () => {
    expect(run(scenario(1)).alerts).toEqual(run(scenario(100)).alerts);
  });
});
