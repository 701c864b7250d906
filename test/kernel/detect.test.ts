// Live detection on the real kernel: `record --detect` stores the same alerts its replay
// produces, and sends them to a JSON Lines file, syslog on a local datagram socket and a
// webhook on a local HTTP server.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, cli, tempDir } from '../helpers.js';
import { WORKLOADS, kernelAvailable } from './kernel.js';

const run = kernelAvailable();

function recordAsync(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, 'record', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

describe.runIf(run)('live detection', () => {
  it('stores, prints and sends the alerts its replay produces', async () => {
    const syslog: string[] = [];
    const udp = createSocket('udp4');
    udp.on('message', (m) => syslog.push(m.toString()));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    const posted: string[] = [];
    const http = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d.toString(); });
      req.on('end', () => { posted.push(body); res.end('ok'); });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const dir = join(tempDir(), 'rec');
    const jsonl = join(tempDir(), 'alerts.jsonl');
    let lines: string[];
    try {
      const r = await recordAsync(['-o', dir, '--detect', '--alerts-out', jsonl,
        '--syslog', `udp://127.0.0.1:${(udp.address() as AddressInfo).port}`, '--webhook', `http://127.0.0.1:${(http.address() as AddressInfo).port}/alerts`,
        '--', 'sh', '-c', `${join(WORKLOADS, 'acts')} reverse-shell; ${join(WORKLOADS, 'acts')} scan; cat /etc/shadow > /dev/null`]);
      expect(r.code, r.stderr).toBe(0);
      // Alerts are shown as they happen, and counted in the summary.
      expect(r.stderr).toMatch(/CRITICAL  reverse-shell pid \d+: \/bin\/sh started with a network socket/);
      expect(r.stderr).toMatch(/alerts {4}\d+/);
      const replayed = cli('replay', dir, '-f', 'jsonl', '--check-stored');
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stderr).toMatch(/the \d+ stored live alerts equal the replay's/);
      lines = replayed.stdout.split('\n').filter(Boolean);
      // The alerts view names the process each alert is about: what it ran and who ran it.
      const sql = cli('sql', dir, `SELECT exe, "user" FROM alerts WHERE detector = 'sensitive-files'`, '-f', 'json');
      expect(sql.code, sql.stderr).toBe(0);
      const about = JSON.parse(sql.stdout) as Array<{ exe: string; user: string }>;
      expect(about.length).toBeGreaterThan(0);
      for (const a of about) expect([a.exe, a.user]).toEqual(['/usr/bin/cat', 'root']);
      // The datagrams were sent before the recorder exited; this process reads them when its
      // event loop gets to them.
      for (let i = 0; i < 100 && syslog.length < lines.length; i++) await new Promise((res) => setTimeout(res, 50));
    } finally {
      udp.close();
      http.close();
    }
    const detectors = lines.map((l) => JSON.parse(l).detector as string);
    expect(detectors).toEqual(expect.arrayContaining(['reverse-shell', 'port-scan', 'sensitive-files']));
    expect(readFileSync(jsonl, 'utf8').split('\n').filter(Boolean)).toEqual(lines);
    expect(posted).toEqual(lines);
    expect(syslog.length).toBe(lines.length);
    syslog.forEach((m, i) => {
      expect(m).toMatch(/^<1(30|32|34|28)>1 \S+ \S+ flightrec \d+ \S+ - \{/);
      expect(m.slice(m.indexOf(' - ') + 3)).toBe(lines[i]);
    });
  });

  it('names a reverse shell\'s remote end, parent and command line, groups its repeats, and writes ECS live as replay does', async () => {
    const dir = join(tempDir(), 'rec');
    const ecs = join(tempDir(), 'alerts.ecs.jsonl');
    const portFile = join(tempDir(), 'port');
    const r = await recordAsync(['-o', dir, '--detect', '--alerts-out', ecs, '--alerts-format', 'ecs',
      '--', 'python3', join(ROOT, 'test', 'kernel', 'scripts', 'reverse_shell.py'), portFile]);
    expect(r.code, r.stderr).toBe(0);
    const port = Number(readFileSync(portFile, 'utf8'));
    const replayed = cli('replay', dir, '-f', 'jsonl', '--check-stored');
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stderr).toMatch(/the \d+ stored live alerts equal the replay's/);
    type Json = { pid: number; title: string; host: string; recording: string; related_seqs: number[]; evidence: Record<string, any> };
    const shells = replayed.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json & { detector: string }).filter((a) => a.detector === 'reverse-shell');
    // bash, then three shells it started with the socket: the first alert, and one summary of all four when bash exits.
    expect(shells.length, shells.map((a) => a.title).join('\n')).toBe(2);
    expect(shells[0]!.title).toMatch(/^\/(usr\/)?bin\/bash started with a network socket as stdin and stdout: reverse shell$/);
    expect(shells[1]!.title).toBe(`${shells[0]!.title} (4 alerts from this process tree)`);
    const [first, summary] = shells as [Json, Json];
    expect(first.evidence.remote).toEqual({ address: '127.0.0.1', port, name: null, inbound: false });
    expect(first.evidence.process).toMatchObject({ argv: ['bash', '-c', 'sh -c "echo one"; sh -c "echo two"; sh -c "echo three"'], user: 'root' });
    expect(first.evidence.process.parent.exe).toMatch(/python3/);
    expect(first.evidence.process.parent.argv).toEqual([expect.stringMatching(/python3$/), join(ROOT, 'test', 'kernel', 'scripts', 'reverse_shell.py'), portFile]);
    expect(first.host).toBe(hostname());
    expect(summary.pid).toBe(first.pid);
    expect(summary.evidence.group.count).toBe(4);
    expect(summary.evidence.group.pids[0]).toBe(first.pid);
    expect(summary.evidence.group.pids.length).toBeGreaterThan(1);
    expect(summary.related_seqs.length).toBe(4);
    // ECS, live as replay writes it, byte for byte; every line a document with the mapped fields.
    const again = cli('replay', dir, '-f', 'ecs');
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(ecs, 'utf8')).toBe(again.stdout);
    const docs = again.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
    const doc = docs.find((d) => d.rule.id === 'reverse-shell')!;
    expect(doc['@timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(doc.event).toMatchObject({ kind: 'alert', severity: 73 });
    expect(doc.rule).toEqual({ id: 'reverse-shell', name: 'reverse-shell', version: '3', ruleset: 'flightrec' });
    expect(doc.threat.technique.id).toEqual(['T1059', 'T1095']);
    expect(doc.destination).toEqual({ ip: '127.0.0.1', port });
    expect(doc.process.parent.args).toEqual(first.evidence.process.parent.argv);
    expect(doc.process.parent.command_line).toBe(first.evidence.process.parent.argv.join(' '));
    expect(doc.process.command_line).toBe('bash -c sh -c "echo one"; sh -c "echo two"; sh -c "echo three"');
    expect(doc.user).toEqual({ id: '0', name: 'root' });
    expect(doc.host.name).toBe(first.host);
    expect(doc.labels.flightrec_recording).toBe(first.recording);
    expect(docs.find((d) => d.rule.id === 'reverse-shell' && d.flightrec.group)!.event.start).toBe(doc['@timestamp']);
  });

  it('refuses sinks without --detect and a bad webhook before recording', () => {
    const dir = join(tempDir(), 'rec');
    let r = cli('record', '-o', dir, '--alerts-out', join(tempDir(), 'a'), '--', 'true');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/add --detect/);
    r = cli('record', '-o', dir, '--detect', '--webhook', 'ftp://x', '--', 'true');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--webhook ftp:\/\/x: use an http or https URL/);
  });
});
