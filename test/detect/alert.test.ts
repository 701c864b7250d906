import { describe, expect, it } from 'vitest';
import { alertBatch, alertJson, alertLine, alertRows, alertTable } from '../../src/detect/alert.js';
import { alertEcs } from '../../src/detect/ecs.js';
import type { Alert } from '../../src/detect/runtime.js';

const clock = { monotonic_ns: '0', wall_ns: '1764547200000000000' };
const origin = { host: 'web-1', recording: '96f11ada-8ae6-4539-a917-a8c3fdbea70e' };
const hostile: Alert = {
  ts: 1_000_000_000n, seq: 7n, pid: 42, detector: 'dangerous-exec', version: '1', severity: 'critical',
  title: 'ran /tmp/\x1b]0;pwned\x07\x1b[2J\u009b31m', evidence: JSON.stringify({ path: '/tmp/\x1b]0;pwned\x07' }), related_seqs: [],
};
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

describe('alerts as text', () => {
  it('the live alert line shows control characters escaped, on one line', () => {
    const line = alertLine(hostile, clock);
    expect(line).toBe('2025-12-01 00:00:01.000000000Z CRITICAL  dangerous-exec pid 42: ran /tmp/\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m');
    expect(line).not.toMatch(CONTROL);
    expect(line).not.toContain('\n');
  });

  it('the alert table escapes too; JSON keeps the exact value', () => {
    expect(alertTable([hostile], clock)).toContain('ran /tmp/\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m');
    expect(alertTable([hostile], clock)).not.toMatch(CONTROL);
    const json = JSON.parse(alertJson(hostile, clock, origin)) as { title: string; evidence: { path: string } };
    expect(json.title).toBe(hostile.title);
    expect(json.evidence.path).toBe('/tmp/\x1b]0;pwned\x07');
  });
});

describe('stored alerts', () => {
  it('evidence a recording holds that is not JSON is read as a JSON string, so JSON output stays JSON', () => {
    const stored = [...alertRows([alertBatch([{ ...hostile, evidence: 'naïve-λ", "x": 1' }, hostile])])];
    expect(stored.map((a) => JSON.parse(alertJson(a, clock, origin)).evidence)).toEqual(['naïve-λ", "x": 1', { path: '/tmp/\x1b]0;pwned\x07' }]);
  });
});

/** A reverse shell's alert as the runtime makes it: the process context, the remote end, a group, ATT&CK tags. */
const shell: Alert = {
  ts: 2_000_000_000n, seq: 9_007_199_254_740_993n, pid: 1972, detector: 'reverse-shell', version: '3', severity: 'critical',
  title: '/bin/sh started with a network socket as stdin and stdout: reverse shell (3 alerts from this process tree)',
  evidence: JSON.stringify({
    filename: '/bin/sh',
    process: {
      pid: 1972, exe: '/bin/sh', argv: ['sh', '-i'], cwd: '/root', uid: 0, user: 'root', ppid: 1971, container_id: 'c0ffee',
      parent: { pid: 1971, exe: '/usr/bin/python3', argv: ['python3', '-c', 'import pty'] },
    },
    remote: { address: '192.0.2.7', port: 4444, name: 'c2.example', inbound: false },
    group: { count: 3, first_ts: '1000000000', last_ts: '2000000000', pids: [1972, 1980] },
    tags: ['attack.execution', 'attack.t1059.004', 'attack.command_and_control', 'attack.t1095'],
  }),
  related_seqs: [5n, 6n],
};

describe('alerts as JSON and ECS', () => {
  it('JSON names the host and the recording, and keeps the seq exact', () => {
    const text = alertJson(shell, clock, origin);
    expect(text).toContain('"seq":9007199254740993,"pid":1972,"host":"web-1","recording":"96f11ada-8ae6-4539-a917-a8c3fdbea70e","detector":"reverse-shell"');
    const json = JSON.parse(text) as { evidence: { remote: unknown; process: { parent: { argv: string[] } } } };
    expect(json.evidence.remote).toEqual({ address: '192.0.2.7', port: 4444, name: 'c2.example', inbound: false });
    expect(json.evidence.process.parent.argv).toEqual(['python3', '-c', 'import pty']);
  });

  it('ECS maps the alert onto ECS 8 fields, and the rest under flightrec', () => {
    const doc = JSON.parse(alertEcs(shell, clock, origin)) as Record<string, any>;
    expect(doc['@timestamp']).toBe('2025-12-01T00:00:02.000000000Z');
    expect(doc.ecs).toEqual({ version: '8.11.0' });
    expect(doc.event).toEqual({
      kind: 'alert', module: 'flightrec', dataset: 'flightrec.alert', severity: 73,
      start: '2025-12-01T00:00:01.000000000Z', end: '2025-12-01T00:00:02.000000000Z',
    });
    expect(doc.rule).toEqual({ id: 'reverse-shell', name: 'reverse-shell', version: '3', ruleset: 'flightrec' });
    expect(doc.threat).toEqual({
      framework: 'MITRE ATT&CK', tactic: { name: ['Execution', 'Command and Control'] },
      technique: { id: ['T1059', 'T1095'], subtechnique: { id: ['T1059.004'] } },
    });
    expect(doc.host).toEqual({ name: 'web-1' });
    expect(doc.process).toEqual({
      pid: 1972, executable: '/bin/sh', name: 'sh', args: ['sh', '-i'], args_count: 2, command_line: 'sh -i', working_directory: '/root',
      parent: { pid: 1971, executable: '/usr/bin/python3', name: 'python3', args: ['python3', '-c', 'import pty'], args_count: 3, command_line: 'python3 -c import pty' },
    });
    expect(doc.user).toEqual({ id: '0', name: 'root' });
    expect(doc.container).toEqual({ id: 'c0ffee' });
    expect(doc.destination).toEqual({ ip: '192.0.2.7', port: 4444, domain: 'c2.example' });
    expect(doc.network).toEqual({ direction: 'egress' });
    expect(doc.source).toBeUndefined();
    expect(doc.labels).toEqual({ flightrec_recording: origin.recording });
    expect(doc.flightrec.seq).toBe('9007199254740993');
    expect(doc.flightrec.evidence).toEqual({ filename: '/bin/sh' });
    expect(doc.flightrec.group.count).toBe(3);
    expect(doc.flightrec.related_seqs).toEqual(['5', '6']);
  });

  it('ECS: an accepted connection is the source; a Sigma alert is its rule', () => {
    const inbound = { ...shell, detector: 'sigma', evidence: JSON.stringify({ rule_id: '0f9b1c2e', file: 'rules/x.yml', remote: { address: '::1', port: 22, name: null, inbound: true } }) };
    const doc = JSON.parse(alertEcs(inbound, clock, origin)) as Record<string, any>;
    expect(doc.source).toEqual({ ip: '::1', port: 22 });
    expect(doc.network).toEqual({ direction: 'ingress' });
    expect(doc.rule).toEqual({ id: '0f9b1c2e', name: shell.title, ruleset: 'sigma', reference: 'rules/x.yml' });
    expect(doc.process).toEqual({ pid: 1972 });
    expect(JSON.parse(alertEcs({ ...inbound, seq: 7n }, clock, origin)).event.sequence).toBe(7);
  });

  it('ECS of what a hostile recording stores as evidence is still one JSON object', () => {
    for (const evidence of ['not json', '[1,2]', '{"process":{"argv":"x","parent":5},"group":{"first_ts":"-1"},"tags":[1]}', '{"process":null}']) {
      const doc = JSON.parse(alertEcs({ ...hostile, evidence }, clock, origin)) as Record<string, any>;
      expect(doc.process.pid).toBe(42);
      expect(doc.event.kind).toBe('alert');
    }
  });
});
