// Live detection on the real kernel: `record --detect` stores the same alerts its replay
// produces, and sends them to a JSON Lines file, syslog on a local datagram socket and a
// webhook on a local HTTP server.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cli, tempDir } from '../helpers.js';
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
