import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CLI, cli, tempDir } from '../helpers.js';
import { HOLDS_EVERYTHING, NR, WORKLOADS, kernelAvailable, loadedPrograms, record, recorderAttached, rows, type Program, type Row } from './kernel.js';

const run = kernelAvailable();

const argv = (r: Row): string[] => [...(r.argv as Iterable<string>)];
const execs = (proc: Row[]): Row[] => proc.filter((r) => r.kind === 1);

/** Rows strictly in (ts, seq) order. */
function expectInOrder(t: Row[]): void {
  for (let i = 1; i < t.length; i++) {
    const a = t[i - 1]!, b = t[i]!;
    expect((a.ts as bigint) < (b.ts as bigint) || (a.ts === b.ts && (a.seq as bigint) < (b.seq as bigint))).toBe(true);
  }
}

describe.runIf(run)('flightrec record on the real kernel', () => {
  it('records a shell tree: execs with argv and ppid chain, the openat result, exit codes, nothing else', () => {
    const dir = join(tempDir(), 'rec');
    const r = record(dir, [], ['sh', '-c', 'cat /etc/hostname; ls /tmp > /dev/null; exit 7']);
    expect(r.code, r.stderr).toBe(7); // the recorder exits with the command's code

    const proc = rows(dir, 'proc');
    const sh = execs(proc).find((e) => argv(e)[0] === 'sh')!;
    const cat = execs(proc).find((e) => argv(e)[0] === 'cat')!;
    const ls = execs(proc).find((e) => argv(e)[0] === 'ls')!;
    expect(argv(sh)).toEqual(['sh', '-c', 'cat /etc/hostname; ls /tmp > /dev/null; exit 7']);
    expect(argv(cat)).toEqual(['cat', '/etc/hostname']);
    expect(argv(ls)).toEqual(['ls', '/tmp']);
    expect(cat.filename).toBe('/usr/bin/cat');
    expect(cat.ppid).toBe(sh.pid);
    expect(ls.ppid).toBe(sh.pid);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { writer_pid: number };
    expect(sh.ppid).toBe(manifest.writer_pid); // the recorder launched it (and is not recorded)
    const forks = proc.filter((p) => p.kind === 0);
    expect(forks.map((f) => f.pid).sort()).toEqual([cat.pid, ls.pid].sort());
    for (const f of forks) expect(f.ppid).toBe(sh.pid);

    const exits = new Map(proc.filter((p) => p.kind === 2).map((p) => [p.pid, p.exit_code]));
    expect(exits.get(cat.pid)).toBe(0);
    expect(exits.get(ls.pid)).toBe(0);
    expect(exits.get(sh.pid)).toBe(7 << 8);

    // Only the tree: every row belongs to sh, cat or ls.
    const tree = new Set([sh.pid, cat.pid, ls.pid]);
    const sys = rows(dir, 'syscall');
    for (const row of [...sys, ...proc]) expect(tree.has(row.pid)).toBe(true);
    // The command is recorded from its execve on: nothing of the launcher's set-up before it.
    expect(sys[0]).toMatchObject({ pid: sh.pid, nr: NR.execve, ret: 0n });

    // cat opened /etc/hostname and read from the fd openat returned.
    const catCalls = sys.filter((s) => s.pid === cat.pid);
    const reads = catCalls.filter((s) => s.nr === NR.read);
    const opened = catCalls.filter((s) => s.nr === NR.openat && (s.ret as bigint) >= 0n);
    expect(opened.some((o) => reads.some((rd) => rd.arg0 === BigInt(o.ret as bigint) && (rd.seq as bigint) > (o.seq as bigint)))).toBe(true);
    // Before its exec the child is still sh; from the exec on it is cat.
    expect(catCalls.filter((s) => (s.ts as bigint) > (cat.ts as bigint)).every((s) => s.comm === 'cat')).toBe(true);
    expect(catCalls.filter((s) => (s.ts as bigint) < (cat.ts as bigint)).every((s) => s.comm === 'sh')).toBe(true);
    // exit_group never returns and is still written.
    const last = catCalls.at(-1)!;
    expect(last.nr).toBe(NR.exit_group);
    expect(last.returned).toBe(false);

    // Rows are in (ts, seq) order within each table.
    expectInOrder(sys);
    expectInOrder(proc);
    expect(cli('verify', dir).code).toBe(0);
  });

  it('sees every exec of 200 children', () => {
    const dir = join(tempDir(), 'rec');
    const r = record(dir, HOLDS_EVERYTHING, [join(WORKLOADS, 'fork_exec'), '200']);
    expect(r.code, r.stderr).toBe(0);
    const proc = rows(dir, 'proc');
    const parent = execs(proc).find((e) => String(e.filename).endsWith('fork_exec'))!;
    const children = execs(proc).filter((e) => e.filename === '/bin/true');
    expect(children).toHaveLength(200);
    expect(new Set(children.map((c) => c.pid)).size).toBe(200);
    for (const c of children) expect(c.ppid).toBe(parent.pid);
    expect(proc.filter((p) => p.kind === 2 && p.exit_code === 0)).toHaveLength(201);
  });

  it('counts exactly: K getppid() calls give K rows', () => {
    const dir = join(tempDir(), 'rec');
    const K = 123_457;
    const r = record(dir, HOLDS_EVERYTHING, [join(WORKLOADS, 'syscall_storm'), String(K)]);
    expect(r.code, r.stderr).toBe(0);
    const sys = rows(dir, 'syscall');
    expect(sys.filter((s) => s.nr === NR.getppid)).toHaveLength(K);
    expect(rows(dir, 'gap')).toHaveLength(0);
    const seqs = sys.map((s) => s.seq as bigint);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('counts exactly with a storm on each CPU at once, and merges the CPUs in (ts, seq) order', () => {
    const dir = join(tempDir(), 'rec');
    const K = 100_000;
    const storm = join(WORKLOADS, 'syscall_storm');
    const r = record(dir, HOLDS_EVERYTHING, ['sh', '-c', `taskset -c 0 ${storm} ${K} & taskset -c 1 ${storm} ${K}; wait`]);
    expect(r.code, r.stderr).toBe(0);
    const calls = rows(dir, 'syscall').filter((s) => s.nr === NR.getppid && s.comm === 'syscall_storm');
    expect(calls).toHaveLength(2 * K);
    const byCpu = new Map<unknown, number>();
    for (const s of calls) byCpu.set(s.cpu, (byCpu.get(s.cpu) ?? 0) + 1);
    expect([...byCpu.values()].sort()).toEqual([K, K]);
    expect(rows(dir, 'gap')).toHaveLength(0);
    expectInOrder(calls);
  });

  it('accounts for every lost event with a tiny ring: stored rows plus gap counts equal the events made', () => {
    const K = 200_000;
    // What the program does besides its loop, recorded without loss...
    const base = join(tempDir(), 'rec');
    const tables = ['--tables', 'syscall,proc'];
    expect(record(base, [...tables, ...HOLDS_EVERYTHING], [join(WORKLOADS, 'syscall_storm'), '0']).code).toBe(0);
    const baseEvents = rows(base, 'syscall').length + rows(base, 'proc').length;
    expect(rows(base, 'gap')).toHaveLength(0);
    // ...and the storm through a 4 KiB ring.
    const dir = join(tempDir(), 'rec');
    const r = record(dir, [...tables, '--ring-size', '4096'], [join(WORKLOADS, 'syscall_storm'), String(K)]);
    expect(r.code, r.stderr).toBe(0);
    const gaps = rows(dir, 'gap');
    const lost = gaps.reduce((n, g) => n + Number(g.lost), 0);
    const stored = rows(dir, 'syscall').length + rows(dir, 'proc').length;
    expect(lost).toBeGreaterThan(0);
    expect(stored + lost).toBe(K + baseEvents);
    // Losses add up while the ring or lane stays full: a gap row stands for a burst of them.
    expect(gaps.length).toBeLessThan(lost / 10);
    for (const g of gaps) expect((g.first_ts as bigint) <= (g.last_ts as bigint)).toBe(true);
  });

  it('loads while its thread keeps being signalled (a profiler\'s SIGPROF every 50 µs)', () => {
    // The verifier gives up with EAGAIN when a signal is pending; the loader blocks them.
    const work = tempDir();
    for (let i = 0; i < 3; i++) {
      const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', join(work, 'prof'),
        CLI, 'record', '-q', '-o', join(work, `rec${i}`), '--', 'true'], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
    }
  });

  it('leaves no BPF program attached and a readable recording when SIGKILLed', async () => {
    const dir = join(tempDir(), 'rec');
    const child = spawn(process.execPath, [CLI, 'record', '-q', '-o', dir, '--', join(WORKLOADS, 'syscall_storm'), '1000000000'], { stdio: 'ignore' });
    const attached = new Set((await recorderAttached(child.pid!)).map((p) => p.id));
    await sleep(1500);
    child.kill('SIGKILL');
    await new Promise((res) => child.once('exit', res));
    spawn('pkill', ['-f', 'syscall_storm 1000000000']);
    // The kernel frees a dead process's programs once their last reference goes.
    let left: Program[] = [];
    for (let i = 0; i < 200; i++) {
      left = loadedPrograms().filter((p) => attached.has(p.id));
      if (left.length === 0) break;
      await sleep(100);
    }
    expect(left).toEqual([]);
    expect(existsSync(join(dir, 'manifest.json'))).toBe(true);
    const info = cli('info', dir);
    expect(info.code, info.stderr).toBe(0);
    expect(cli('verify', dir).code).toBe(3); // intact, but not sealed
    expect(cli('seal', dir).code).toBe(0);
    expect(cli('verify', dir).code).toBe(0);
    expect((JSON.parse(cli('info', '--json', dir).stdout) as { rows: number }).rows).toBeGreaterThan(0);
  });
});

describe.runIf(run)('flightrec record selects running processes, cgroups and the host', () => {
  const writerPid = (dir: string): number => (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { writer_pid: number }).writer_pid;

  /** `flightrec record -q -o dir ...flags`, started; resolves to its exit code. */
  function recorder(dir: string, flags: string[]): { pid: number; exited: Promise<number | null> } {
    const rec = spawn(process.execPath, [CLI, 'record', '-q', '-o', dir, ...flags], { stdio: 'ignore' });
    return { pid: rec.pid!, exited: new Promise((res) => rec.once('exit', (code) => res(code))) };
  }

  it('--pid follows a running process and its new children, and stops when it ends', async () => {
    // The target waits for the test to say the recorder is attached, however long that takes.
    const go = join(tempDir(), 'go');
    const target = spawn('sh', ['-c', `while [ ! -e ${go} ]; do sleep 0.02; done; cat /etc/hostname; exit 0`], { stdio: 'ignore' });
    const dir = join(tempDir(), 'rec');
    const rec = recorder(dir, ['--pid', String(target.pid)]);
    await recorderAttached(rec.pid);
    writeFileSync(go, '');
    expect(await rec.exited).toBe(0);
    const proc = rows(dir, 'proc');
    const cat = execs(proc).find((e) => argv(e)[0] === 'cat')!;
    expect(cat.ppid).toBe(target.pid);
    expect(proc.find((p) => p.kind === 2 && p.pid === target.pid)?.exit_code).toBe(0);
    for (const row of [...rows(dir, 'syscall'), ...proc]) expect([target.pid, cat.pid, ...proc.filter((p) => p.kind === 0).map((p) => p.pid)]).toContain(row.pid);
  });

  it('--cgroup records what runs in the cgroup and nothing else', async () => {
    const root = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f[2] === 'cgroup2')![1]!;
    const cg = join(root, `flightrec-test-${process.pid}`);
    mkdirSync(cg);
    try {
      const dir = join(tempDir(), 'rec');
      const rec = recorder(dir, ['--cgroup', cg]);
      await recorderAttached(rec.pid);
      spawnSync('sh', ['-c', `echo $$ > ${cg}/cgroup.procs; cat /etc/hostname > /dev/null`]);
      spawnSync('cat', ['/etc/hostname']); // outside the cgroup
      process.kill(rec.pid, 'SIGTERM'); // both have exited: everything they did is in the kernel's buffers
      expect(await rec.exited).toBe(0);
      const proc = rows(dir, 'proc');
      const cats = execs(proc).filter((e) => argv(e)[0] === 'cat');
      expect(cats).toHaveLength(1);
      const ids = new Set([...rows(dir, 'syscall'), ...proc].map((r) => r.pid));
      expect(ids.has(cats[0]!.pid)).toBe(true);
      expect(ids.has(cats[0]!.ppid)).toBe(true);
      expect(ids.size).toBe(2);
    } finally {
      rmdirSync(cg);
    }
  });

  it('--all records other processes but never the recorder', async () => {
    const dir = join(tempDir(), 'rec');
    const rec = recorder(dir, ['--all']);
    await recorderAttached(rec.pid);
    // A process that is no child of the recorder; the host may be otherwise idle.
    const outsider = spawnSync('cat', ['/etc/hostname']);
    expect(outsider.status).toBe(0);
    process.kill(rec.pid, 'SIGTERM');
    expect(await rec.exited).toBe(0);
    const cat = execs(rows(dir, 'proc')).find((e) => argv(e)[0] === 'cat' && argv(e)[1] === '/etc/hostname')!;
    const sys = rows(dir, 'syscall');
    expect(sys.some((s) => s.pid === cat.pid)).toBe(true);
    expect(sys.some((s) => s.pid === writerPid(dir))).toBe(false);
  });

  it('--duration stops the recording after that long', async () => {
    const dir = join(tempDir(), 'rec');
    const t0 = Date.now();
    const r = record(dir, ['--duration', '1'], ['sleep', '30']);
    expect(r.code, r.stderr).not.toBe(0); // the command got SIGTERM
    expect(Date.now() - t0).toBeLessThan(25_000);
    expect(cli('verify', dir).code).toBe(0);
  });
});

describe.runIf(run)('flightrec record refuses clearly', () => {
  it('without root', () => {
    const dir = join(tempDir(), 'rec');
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all',
      process.execPath, CLI, 'record', '-o', dir, '--', 'true'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^flightrec: flightrec record needs root .*: run it with sudo$/);
    expect(existsSync(dir)).toBe(false);
  });

  it('with no target, two targets, an unknown command or a bad ring size', () => {
    const dir = join(tempDir(), 'rec');
    expect(cli('record', '-o', dir).stderr).toMatch(/nothing to record/);
    expect(cli('record', '-o', dir, '--all', '--', 'true').stderr).toMatch(/exactly one target/);
    const nf = cli('record', '-o', dir, '--', 'no-such-command-here');
    expect(nf.code).toBe(2);
    expect(nf.stderr.trim()).toBe('flightrec: no-such-command-here: command not found in PATH');
    const ring = cli('record', '-o', dir, '--ring-size', '5000', '--', 'true');
    expect(ring.code).toBe(2);
    expect(ring.stderr).toMatch(/not a power of two/);
    expect(cli('record', '-o', dir, '--pid', '999999999').stderr).toMatch(/no such process/);
    expect(existsSync(dir)).toBe(false);
  });
});
