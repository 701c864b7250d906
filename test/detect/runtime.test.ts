// The detector runtime on recordings built here: predicates, ordering, failures, refusals;
// and slicing a fixture.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineDetector, type Detector } from '../../src/detect/api.js';
import { blameOf, newHeartbeat, type Blame } from '../../src/detect/heartbeat.js';
import { DetectorRuntime, type Alert } from '../../src/detect/runtime.js';
import { makeBatch } from '../../src/format/batch.js';
import { Recording } from '../../src/format/recording.js';
import { RecordingWriter } from '../../src/format/recording-writer.js';
import { replay, replayWith, runtimeFor } from '../../src/replay/replay.js';
import { slice } from '../../src/replay/slice.js';
import { accountBatch } from '../../src/record/accounts.js';
import { ROOT, cli, tempDir } from '../helpers.js';

const GETPPID = 110;
const READ = 0;

/** A recording of `n` syscalls of pid 10 (getppid and read alternating) with an exec every 10th event, in batches of `batchRows`. */
function recording(n: number, batchRows: number, more?: (w: RecordingWriter) => void): string {
  const dir = join(tempDir(), 'rec');
  const w = RecordingWriter.create(dir);
  const sys: { ts: bigint; seq: bigint; nr: number }[] = [];
  const proc: { ts: bigint; seq: bigint }[] = [];
  for (let i = 0; i < n; i++) {
    const ts = 1_000_000n + BigInt(i) * 1000n;
    if (i % 10 === 9) proc.push({ ts, seq: BigInt(i) });
    else sys.push({ ts, seq: BigInt(i), nr: i % 2 === 0 ? GETPPID : READ });
  }
  for (let i = 0; i < sys.length; i += batchRows) {
    const part = sys.slice(i, i + batchRows);
    const k = part.length;
    const zeros = new BigUint64Array(k);
    w.append('syscall', makeBatch('syscall', {
      ts: BigUint64Array.from(part.map((r) => r.ts)), seq: BigUint64Array.from(part.map((r) => r.seq)), cpu: new Uint16Array(k),
      pid: new Uint32Array(k).fill(10), tid: new Uint32Array(k).fill(10), comm: part.map(() => 'loop'), nr: Uint32Array.from(part.map((r) => r.nr)),
      arg0: zeros, arg1: zeros, arg2: zeros, arg3: zeros, arg4: zeros, arg5: zeros, ret: new BigInt64Array(k), latency_ns: zeros, returned: part.map(() => true),
    }));
  }
  const k = proc.length;
  w.append('proc', makeBatch('proc', {
    ts: BigUint64Array.from(proc.map((r) => r.ts)), seq: BigUint64Array.from(proc.map((r) => r.seq)), cpu: new Uint16Array(k),
    pid: new Uint32Array(k).fill(10), tid: new Uint32Array(k).fill(10), comm: proc.map(() => 'loop'), kind: proc.map(() => 'exec'),
    ppid: new Uint32Array(k).fill(1), uid: new Uint32Array(k), gid: new Uint32Array(k), euid: new Uint32Array(k), cgroup_id: new BigUint64Array(k),
    filename: proc.map((_, i) => `/bin/prog${i}`), argv: proc.map(() => ['prog']), argv_truncated: proc.map(() => false), exit_code: proc.map(() => null),
  }));
  more?.(w);
  w.close();
  return dir;
}

/** Alerts on every getppid and every exec: a detector whose output shows the order it saw events in (each its own kind, so none is grouped). */
const tracer = defineDetector({
  name: 'tracer',
  version: '1',
  description: 'test',
  tables: { syscall: { where: { nr: ['getppid'] } }, proc: {} },
  create: (ctx) => ({
    syscall: (e) => ctx.alert({ severity: 'info', title: `nr ${e.nr}`, evidence: { ns: e.ns }, kind: String(e.seq) }),
    proc: (e) => ctx.alert({ severity: 'warning', title: `exec ${e.filename}`, kind: String(e.seq) }),
  }),
});

/** An alert's evidence without the process context the runtime adds. */
const facts = (a: Alert): unknown => {
  const { process: _, ...rest } = JSON.parse(a.evidence) as Record<string, unknown>;
  return rest;
};

const run = (dir: string, detectors: Detector[]) => replay(Recording.open(dir), detectors);

describe('detector runtime', () => {
  it('hands a detector only the rows its predicates pass, in (ts, seq) order across tables', () => {
    const r = run(recording(1000, 64), [tracer]);
    const getppids = r.alerts.filter((a) => a.title.startsWith('nr'));
    expect(getppids.length).toBe(500); // every even i (execs are at odd ones)
    expect(getppids.every((a) => a.title === `nr ${GETPPID}`)).toBe(true);
    expect(r.alerts.filter((a) => a.title.startsWith('exec')).length).toBe(100);
    const seqs = r.alerts.map((a) => a.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => (a < b ? -1 : 1)));
    expect(facts(getppids[1]!)).toEqual({ ns: 1_002_000 });
  });

  it('writes ATT&CK tags into the evidence: the detector\'s, or the alert\'s own; malformed tags stop the detector', () => {
    const tagged = defineDetector({
      name: 'tagged', version: '1', description: 'test', tags: ['attack.execution', 'attack.t1059.004'], tables: { proc: {} },
      create: (ctx) => ({
        proc: (e) => ctx.alert(e.filename === '/bin/prog0' ? { severity: 'info', title: 'own', evidence: { n: 1 }, tags: ['attack.t1620'] }
          : e.filename === '/bin/prog1' ? { severity: 'info', title: 'bad', tags: ['Not A Tag'] } : { severity: 'info', title: 'default' }),
      }),
    });
    const r = run(recording(100, 64), [tagged]);
    expect(r.alerts.map((a) => [a.title, facts(a)])).toEqual([['own', { n: 1, tags: ['attack.t1620'] }]]);
    expect(r.failures.map((f) => f.message)).toEqual(['alert: tags must be a list of at most 64 lower-case tags such as attack.t1059.004']);
    const plain = run(recording(100, 64), [{ ...tagged, name: 'plain', create: (ctx) => ({ proc: () => ctx.alert({ severity: 'info', title: 'default' }) }) }]);
    expect(facts(plain.alerts[0]!)).toEqual({ tags: ['attack.execution', 'attack.t1059.004'] });
    expect(() => run(recording(10, 64), [{ ...tagged, tags: 'attack.t1' as unknown as string[] }])).toThrow(/detector tagged: tags must be a list/);
  });

  it('names uids by the recording\'s account table (the least name of a uid that has several)', () => {
    const dir = recording(20, 64, (w) => w.append('account', accountBatch(
      [{ kind: 'user', id: 0, name: 'toor' }, { kind: 'user', id: 0, name: 'root' }, { kind: 'group', id: 7, name: 'lp' }], 1n)));
    const names = defineDetector({
      name: 'names', version: '1', description: 'test', tables: { proc: {} },
      create: (ctx) => ({ proc: (e) => ctx.alert({ severity: 'info', title: `${ctx.userName(e.uid)} ${ctx.userName(7)}`, kind: String(e.seq) }) }),
    });
    expect(run(dir, [names]).alerts.map((a) => a.title)).toEqual(['root undefined', 'root undefined']);
  });

  it('combines predicates of every kind: lookups, sets, booleans, in any order', () => {
    const dir = recording(1000, 64);
    const count = (where: Record<string, unknown[]>): number => {
      let seen = 0;
      const d = defineDetector({ name: 'count', version: '1', description: 'test', tables: { syscall: { where } }, create: () => ({ syscall: () => void seen++ }) });
      run(dir, [d]);
      return seen;
    };
    expect(count({ nr: ['read'] })).toBe(400);
    expect(count({ arg0: [0] })).toBe(900); // a 64-bit column: a set
    expect(count({ arg0: [0], nr: ['getppid'] })).toBe(500);
    expect(count({ nr: ['read'], arg0: [1] })).toBe(0);
    expect(count({ returned: [false] })).toBe(0);
    expect(count({ returned: [true, false] })).toBe(900); // asks for nothing
    expect(count({ returned: [true], nr: ['read', 'getppid'] })).toBe(900);
  });

  it('gives the same alerts whatever the batch boundaries', () => {
    const a = run(recording(1000, 7), [tracer]).alerts;
    const b = run(recording(1000, 1000), [tracer]).alerts;
    expect(b).toEqual(a);
  });

  it('reports a detector that throws with its name and the event seq, and the others go on', () => {
    let n = 0;
    const thrower = defineDetector({
      name: 'thrower', version: '2', description: 'test', tables: { syscall: {} },
      create: () => ({ syscall: () => { if (++n === 5) throw new Error('boom'); } }),
    });
    const r = run(recording(100, 16), [thrower, tracer]);
    expect(r.failures).toEqual([{ detector: 'thrower', seq: 4n, message: 'boom' }]);
    expect(n).toBe(5);
    expect(r.alerts.length).toBe(50 + 10);
  });

  it('marks on the heartbeat which detector runs and the seq of the event it handles, and nothing in between', () => {
    const beat = newHeartbeat();
    const seen: Array<{ who: string; seq: bigint; blame: Blame | undefined }> = [];
    const watcher = (name: string, tables: Detector['tables']): Detector => defineDetector({
      name, version: '1', description: 'test', tables,
      create: () => {
        seen.push({ who: name, seq: -1n, blame: blameOf(beat) });
        const note = (e: { seq: bigint }): void => void seen.push({ who: name, seq: e.seq, blame: blameOf(beat) });
        return 'proc' in tables ? { proc: note } : { syscall: note };
      },
    });
    const rec = Recording.open(recording(200, 16));
    replayWith(rec, runtimeFor(rec, [watcher('procs', { proc: {} }), watcher('getppids', { syscall: { where: { nr: ['getppid'] } } })], {}, beat));
    const index = { procs: 0, getppids: 1 } as Record<string, number>;
    expect(seen.filter((s) => s.seq < 0).map((s) => s.blame)).toEqual([
      { phase: 'starting', index: 0, seq: undefined }, { phase: 'starting', index: 1, seq: undefined },
    ]);
    const events = seen.filter((s) => s.seq >= 0);
    expect(events.length).toBe(20 + 100);
    for (const s of events) expect(s.blame).toEqual({ phase: 'running', index: index[s.who], seq: s.seq });
    expect(blameOf(beat)).toBeUndefined();
  });

  it('stops a detector whose alert is malformed, as one that throws', () => {
    const sloppy = defineDetector({
      name: 'sloppy', version: '1', description: 'test', tables: { proc: {} },
      create: (ctx) => ({ proc: () => ctx.alert({ severity: 'loud' as never, title: 'x' }) }),
    });
    const r = run(recording(100, 16), [sloppy, tracer]);
    expect(r.failures).toEqual([{ detector: 'sloppy', seq: 9n, message: 'alert severity must be one of info, warning, critical, emergency' }]);
    expect(r.alerts.every((a) => a.detector === 'tracer')).toBe(true);
  });

  it('refuses a detector that declares an unknown table, column, value or syscall before any event', () => {
    const bad = (tables: object): Detector => ({ name: 'bad', version: '1', description: 'x', tables, create: () => ({}) } as unknown as Detector);
    const refuse = (d: Detector) => () => new DetectorRuntime([d], { arch: 'x86_64' });
    expect(refuse(bad({ sycall: {} }))).toThrow(/detector bad: unknown table 'sycall'/);
    expect(refuse(bad({ syscall: { columns: ['nr', 'argz'] } }))).toThrow(/table syscall has no column "argz"/);
    expect(refuse(bad({ proc: { where: { knd: ['exec'] } } }))).toThrow(/table proc has no column "knd"/);
    expect(refuse(bad({ proc: { where: { kind: ['spawn'] } } }))).toThrow(/'spawn' is not one of fork, exec, exit/);
    expect(refuse(bad({ syscall: { where: { nr: ['getppidd'] } } }))).toThrow(/no syscall named 'getppidd'/);
    expect(refuse(bad({ syscall: { where: { comm: ['sh'] } } }))).toThrow(/only integer, enum and boolean columns/);
    expect(() => new DetectorRuntime([{ ...tracer, name: 'Bad Name' }], { arch: 'x86_64' })).toThrow(/lower-case words/);
    expect(() => new DetectorRuntime([tracer, tracer], { arch: 'x86_64' })).toThrow(/given twice/);
  });

  it('refuses detector files that do not load or do not fit the schema, with one line and exit 2', () => {
    const dir = tempDir();
    const rec = join(ROOT, 'fixtures', 'port-scan', 'rec');
    writeFileSync(join(dir, 'broken.mjs'), 'export default {{;\n');
    writeFileSync(join(dir, 'table.mjs'), "export default { name: 'x', version: '1', description: 'd', tables: { sockets: {} }, create: () => ({}) };\n");
    writeFileSync(join(dir, 'good.mjs'), "export default { name: 'connects', version: '1', description: 'd', tables: { net: { where: { op: ['connect'] } } }, create: (ctx) => ({ net: (e) => { if (e.dport === 40000) ctx.alert({ severity: 'info', title: 'first port' }); } }) };\n");
    for (const [file, message] of [['broken.mjs', /broken\.mjs does not load: .*Unexpected token/], ['table.mjs', /table\.mjs: detector x: unknown table 'sockets'/], ['missing.mjs', /no such file, and no built-in detector/]] as const) {
      const r = cli('replay', rec, '--detectors', join(dir, file));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n').length).toBe(1);
    }
    const ok = cli('replay', rec, '--detectors', join(dir, 'good.mjs'), 'port-scan', '-f', 'jsonl');
    expect(ok.code).toBe(0);
    expect(ok.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).detector)).toEqual(['connects', 'port-scan']);
  });
});

describe('slice', () => {
  it('cuts a process tree out of a recording, with the source and its hashes named, and the same alerts', () => {
    const src = Recording.open(join(ROOT, 'fixtures', 'reverse-shell', 'rec'));
    const whole = replay(src, [tracer]).alerts;
    const root = whole.find((a) => a.title.endsWith('/acts'))!.pid;
    const out = join(tempDir(), 'slice');
    const r = slice(src, out, { trees: [root] }, ['test']);
    const cut = Recording.open(out);
    expect(r.rows).toBeGreaterThan(0);
    expect(cut.manifest.clock).toEqual(src.manifest.clock);
    const of = cut.manifest.source!.slice_of as { id: string; segments: { tables: Record<string, string> }[] };
    expect(of.id).toBe(src.manifest.id);
    expect(of.segments[0]!.tables.syscall).toBe(src.manifest.segments[0]!.tables.syscall!.sha256);
    const kept = replay(cut, [tracer]).alerts;
    expect(kept.length).toBeGreaterThan(0);
    // The same alerts; what they say of the tree's parent is what the slice leaves out.
    const bare = (alerts: Alert[]): unknown[] => alerts.map((a) => ({ ...a, evidence: facts(a) }));
    expect(bare(kept)).toEqual(bare(whole.filter((a) => r.pids!.includes(a.pid))));
    expect(cli('replay', out, '--detectors', 'reverse-shell', '-f', 'jsonl').stdout).toMatch(/"detector":"reverse-shell"/);
  });

  it('refuses a slice of nothing and a range that ends before it starts', () => {
    const out = join(tempDir(), 'slice');
    mkdirSync(out);
    const rec = join(ROOT, 'fixtures', 'port-scan', 'rec');
    expect(cli('slice', rec, '-o', out).stderr).toMatch(/say what to keep/);
    const r = cli('slice', rec, '-o', join(out, 'x'), '--from', '+2', '--to', '+1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--to is before --from/);
  });
});
