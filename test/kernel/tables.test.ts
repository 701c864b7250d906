// The file, net, dns, mem, bio and sample tables, recorded on the real kernel from programs
// whose every path, address, byte count and protection the test knows.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers.js';
import { WORKLOADS, kernelAvailable, record, rows, type Row } from './kernel.js';

const run = kernelAvailable();
const SCRIPTS = join(ROOT, 'test', 'kernel', 'scripts');

const FILE_OP = ['open', 'creat', 'unlink', 'rename', 'mkdir', 'rmdir', 'chmod', 'chown', 'truncate', 'link', 'symlink', 'close', 'io'];
const NET_OP = ['connect', 'accept', 'bind', 'listen', 'state', 'close', 'io'];
const MEM_OP = ['mmap', 'mprotect', 'munmap'];
const TCP_ESTABLISHED = 1;

/** An address column as text, the way SQL shows it. */
function addr(r: Row, col: 'saddr' | 'daddr' | 'server'): string {
  const b = Buffer.from(r[col] as Uint8Array);
  if (r.family === 2) return [...b.subarray(0, 4)].join('.');
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

const op = (names: string[], r: Row): string => names[r.op as number]!;

/** Stdout of the recorded command is its first line of JSON. */
function recordJson(dir: string, flags: string[], command: string[]): Record<string, number> {
  const out = join(dir, '..', 'stdout.json');
  const r = record(dir, flags, ['sh', '-c', `"$@" > ${out}`, 'sh', ...command]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8')) as Record<string, number>;
}

describe.runIf(run)('file, net, dns, mem, bio and sample tables on the real kernel', () => {
  it('file: the open of /etc/hostname with cat\'s fd, and its byte total at close', () => {
    const dir = join(tempDir(), 'rec');
    const r = record(dir, [], ['cat', '/etc/hostname']);
    expect(r.code, r.stderr).toBe(0);
    const size = readFileSync('/etc/hostname').length;
    const file = rows(dir, 'file').filter((f) => f.comm === 'cat');
    const open = file.find((f) => op(FILE_OP, f) === 'open' && f.path === '/etc/hostname')!;
    expect(open, JSON.stringify(file.map((f) => f.path))).toBeDefined();
    expect(open.fd).toBe(3);
    expect(open.ret).toBe(3n);
    const close = file.find((f) => op(FILE_OP, f) === 'close' && f.path === '/etc/hostname')!;
    expect(close.fd).toBe(3);
    expect(close.bytes_read).toBe(BigInt(size));
  });

  it('file: rename, unlink and chmod of known paths; a write and a read of N bytes', () => {
    const work = tempDir();
    const dir = join(work, 'rec');
    const a = join(work, 'a.txt');
    const b = join(work, 'b.txt');
    const n = 12345;
    const script = `head -c ${n} /dev/zero > ${a} && cat ${a} > /dev/null && mv ${a} ${b} && chmod 640 ${b} && rm ${b}`;
    const r = record(dir, [], ['sh', '-c', script]);
    expect(r.code, r.stderr).toBe(0);
    const file = rows(dir, 'file');
    const rename = file.find((f) => op(FILE_OP, f) === 'rename')!;
    expect([rename.path, rename.path2, rename.ret]).toEqual([a, b, 0n]);
    const chmod = file.find((f) => op(FILE_OP, f) === 'chmod' && f.path === b)!;
    expect([chmod.mode, chmod.ret]).toEqual([0o640, 0n]);
    const unlink = file.find((f) => op(FILE_OP, f) === 'unlink')!;
    expect([unlink.path, unlink.ret]).toEqual([b, 0n]);
    const totals = file.filter((f) => op(FILE_OP, f) === 'close' && f.path === a);
    expect(totals.reduce((s, f) => s + (f.bytes_written as bigint), 0n)).toBe(BigInt(n));
    expect(totals.reduce((s, f) => s + (f.bytes_read as bigint), 0n)).toBe(BigInt(n));
  });

  it('file: an fd still open when its process exits has its totals written at stop', () => {
    const work = tempDir();
    const dir = join(work, 'rec');
    const script = `import os; fd = os.open(${JSON.stringify(join(work, 'kept'))}, os.O_WRONLY | os.O_CREAT); os.write(fd, b"x" * 777); print(fd, flush=True); os._exit(0)`;
    const out = join(work, 'fd');
    const r = record(dir, [], ['sh', '-c', `python3 -c '${script}' > ${out}`]);
    expect(r.code, r.stderr).toBe(0);
    const fd = Number(readFileSync(out, 'utf8'));
    const py = rows(dir, 'proc').find((p) => p.kind === 1 && p.comm === 'python3')!.pid;
    const io = rows(dir, 'file').filter((f) => f.pid === py && f.fd === fd && ['close', 'io'].includes(op(FILE_OP, f)));
    expect(io.reduce((s, f) => s + (f.bytes_written as bigint), 0n)).toBe(777n);
  });

  for (const v of ['4', '6'] as const) {
    it(`net: TCP over ${v === '4' ? '127.0.0.1' : '::1'}: connect, accept and state rows with both endpoints; byte totals`, () => {
      const dir = join(tempDir(), 'rec');
      const sent = 100_000;
      const echoed = 2_500;
      const ports = recordJson(dir, [], ['python3', join(SCRIPTS, 'tcp_pair.py'), v, String(sent), String(echoed)]);
      const host = v === '4' ? '127.0.0.1' : '::1';
      // Only TCP rows: the C library may try a unix socket first (nscd, for one).
      const net = rows(dir, 'net').filter((r) => r.proto === 6);
      const connect = net.find((r) => op(NET_OP, r) === 'connect')!;
      expect([addr(connect, 'daddr'), connect.dport, connect.sport, connect.ret]).toEqual([host, ports.server_port, ports.client_port, 0n]);
      const accept = net.find((r) => op(NET_OP, r) === 'accept')!;
      expect([addr(accept, 'saddr'), accept.sport, addr(accept, 'daddr'), accept.dport]).toEqual([host, ports.server_port, host, ports.client_port]);
      const listen = net.find((r) => op(NET_OP, r) === 'listen')!;
      expect(listen.sport).toBe(ports.server_port);
      const established = net.filter((r) => op(NET_OP, r) === 'state' && r.new_state === TCP_ESTABLISHED);
      // Both sides: the client's socket and the server's.
      expect(established.map((r) => [addr(r, 'saddr'), r.sport, r.dport]).sort()).toEqual(
        [[host, ports.client_port, ports.server_port], [host, ports.server_port, ports.client_port]].sort());
      const closes = net.filter((r) => op(NET_OP, r) === 'close' || op(NET_OP, r) === 'io');
      const client = closes.filter((r) => r.sport === ports.client_port);
      const server = closes.filter((r) => r.sport === ports.server_port);
      const sum = (rs: Row[], c: string): bigint => rs.reduce((s, r) => s + (r[c] as bigint), 0n);
      expect([sum(client, 'bytes_sent'), sum(client, 'bytes_received')]).toEqual([BigInt(sent), BigInt(echoed)]);
      expect([sum(server, 'bytes_sent'), sum(server, 'bytes_received')]).toEqual([BigInt(echoed), BigInt(sent)]);
    });
  }

  for (const how of ['sendto', 'connected']) {
    it(`dns: a question to a loopback responder (${how}) gives its exact name and type`, () => {
      const dir = join(tempDir(), 'rec');
      const r = record(dir, [], ['python3', join(SCRIPTS, 'dns_query.py'), 'www.example.flightrec.test', '28', how]);
      expect(r.code, r.stderr).toBe(0);
      const dns = rows(dir, 'dns');
      expect(dns).toHaveLength(1);
      expect([dns[0]!.qname, dns[0]!.qtype, dns[0]!.qid, addr(dns[0]!, 'server'), dns[0]!.server_port])
        .toEqual(['www.example.flightrec.test', 28, 0x4242, '127.0.0.77', 53]);
    });
  }

  it('mem: RW made RX is exec-after-write, an RWX map is W+X, with the exact prot values', () => {
    const dir = join(tempDir(), 'rec');
    const maps = recordJson(dir, [], [join(WORKLOADS, 'wx_maps')]);
    const mem = rows(dir, 'mem');
    const at = (a: number): Row[] => mem.filter((m) => m.addr === BigInt(a));
    const jit = at(maps.jit!).map((m) => [op(MEM_OP, m), m.prot, m.wx, m.exec_after_write]);
    expect(jit).toEqual([['mmap', 3, false, false], ['mprotect', 5, false, true], ['munmap', 0, false, false]]);
    const rwx = at(maps.rwx!).map((m) => [op(MEM_OP, m), m.prot, m.wx, m.exec_after_write]);
    expect(rwx).toEqual([['mmap', 7, true, false], ['munmap', 0, false, false]]);
    // A file mapping names its file.
    expect(mem.some((m) => typeof m.path === 'string' && (m.path as string).includes('libc.so'))).toBe(true);
  });

  it('bio: dd with oflag=direct gives write requests whose bytes sum to what it wrote', () => {
    // On the root filesystem, which is a block device here (/tmp may be a tmpfs elsewhere).
    const work = join('/var/tmp', `flightrec-bio-${process.pid}`);
    mkdirSync(work, { recursive: true });
    try {
      const dir = join(work, 'rec');
      const r = record(dir, [], ['dd', 'if=/dev/zero', `of=${join(work, 'data')}`, 'bs=64k', 'count=32', 'oflag=direct', 'status=none']);
      expect(r.code, r.stderr).toBe(0);
      const writes = rows(dir, 'bio').filter((b) => b.comm === 'dd' && b.op === 1);
      expect(writes.reduce((s, b) => s + (b.bytes as number), 0)).toBe(32 * 65536);
      for (const w of writes) expect(w.latency_ns as bigint).toBeGreaterThan(0n);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('--samples 99: about 99 samples per second of CPU the workload got, on the software clock here', () => {
    const work = tempDir();
    const dir = join(work, 'rec');
    const times = join(work, 'times');
    // The shell's `times` gives the CPU time its waited children used: what was sampled,
    // whatever else the machine was running meanwhile.
    const r = record(dir, ['--samples', '99'], ['sh', '-c', `${join(WORKLOADS, 'syscall_storm')} 3000000 > /dev/null; times > ${times}`]);
    expect(r.code, r.stderr).toBe(0);
    const samples = rows(dir, 'sample').filter((s) => s.comm === 'syscall_storm');
    expect(samples.every((s) => s.event === 0)).toBe(true); // cpu-clock: no PMU on this machine
    const children = readFileSync(times, 'utf8').trim().split('\n')[1]!;
    const cpuSeconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
    expect(cpuSeconds).toBeGreaterThan(0.5);
    const hz = samples.length / cpuSeconds;
    expect(hz).toBeGreaterThan(70);
    expect(hz).toBeLessThan(130);
    // Default recordings have no samples.
    const plain = join(tempDir(), 'rec');
    expect(record(plain, [], ['true']).code).toBe(0);
    expect(rows(plain, 'sample')).toHaveLength(0);
  });

  it('--tables records only the tables asked for; --intel-pt is refused here with exit code 2', () => {
    const dir = join(tempDir(), 'rec');
    const r = record(dir, ['--tables', 'proc,file'], ['cat', '/etc/hostname']);
    expect(r.code, r.stderr).toBe(0);
    expect(rows(dir, 'syscall')).toHaveLength(0);
    expect(rows(dir, 'mem')).toHaveLength(0);
    expect(rows(dir, 'file').some((f) => f.path === '/etc/hostname')).toBe(true);
    expect(rows(dir, 'proc').length).toBeGreaterThan(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { probes: Array<{ name: string }> };
    expect(manifest.probes.map((p) => p.name)).not.toContain('fr_bio_issue');

    const bad = record(join(tempDir(), 'rec'), ['--tables', 'syscall,nope'], ['true']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no table nope/);
    const pt = record(join(tempDir(), 'rec'), ['--intel-pt'], ['true']);
    expect(pt.code).toBe(2);
    expect(pt.stderr.trim().split('\n')).toHaveLength(1);
    expect(pt.stderr).toMatch(/no Intel PT/);
  });
});
