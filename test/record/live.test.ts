// Live detection's side of the recorder, fed batches and flush marks the way the recorder
// hands them over (no kernel needed): the alerts stored equal a replay's; a detector that
// loops is stopped and named, and the others' stored alerts still equal a replay without it
// (the new thread caught up from the recording on disk); falling behind or being stuck when
// the recording stops ends live detection with one line, never the recording.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setImmediate as turn } from 'node:timers/promises';
import type { RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { Detector } from '../../src/detect/api.js';
import type { DetectorBudgets } from '../../src/detect/budgets.js';
import { makeBatch } from '../../src/format/batch.js';
import { Recording } from '../../src/format/recording.js';
import { RecordingWriter } from '../../src/format/recording-writer.js';
import { LiveDetection } from '../../src/record/live.js';
import { replay, storedAlerts } from '../../src/replay/replay.js';
import type { TableName } from '../../src/schema/tables.js';
import { tempDir } from '../helpers.js';

const GETPPID = 110;
const READ = 0;

type Group = Array<[TableName, RecordBatch]>;

/** `groups` flush groups of `rows` syscalls of pid 10 (getppid and read alternating) and an exec each. */
function groups(count: number, rows: number): Group[] {
  const out: Group[] = [];
  let seq = 0n;
  for (let g = 0; g < count; g++) {
    const ts = (i: number): bigint => 1_000_000n + BigInt(g * (rows + 1) + i) * 1000n;
    const z = new BigUint64Array(rows);
    const sys = makeBatch('syscall', {
      ts: BigUint64Array.from({ length: rows }, (_, i) => ts(i)), seq: BigUint64Array.from({ length: rows }, () => seq++), cpu: new Uint16Array(rows),
      pid: new Uint32Array(rows).fill(10), tid: new Uint32Array(rows).fill(10), comm: Array(rows).fill('loop'), nr: Uint32Array.from({ length: rows }, (_, i) => (i % 2 ? READ : GETPPID)),
      arg0: z, arg1: z, arg2: z, arg3: z, arg4: z, arg5: z, ret: new BigInt64Array(rows), latency_ns: z, returned: Array(rows).fill(true),
    });
    const proc = makeBatch('proc', {
      ts: [ts(rows)], seq: [seq++], cpu: [0], pid: [10], tid: [10], comm: ['loop'], kind: ['exec'], ppid: [1], uid: [0], gid: [0], euid: [0],
      cgroup_id: [0n], filename: [`/bin/prog${g}`], argv: [['prog']], argv_truncated: [false], exit_code: [null],
    });
    out.push([['syscall', sys], ['proc', proc]]);
  }
  return out;
}

const dir = tempDir();
const file = (name: string, text: string): string => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
// Stateful: what it raises depends on every event before, so a thread that started afresh would differ.
const TRACER = file('tracer.mjs', `export default { name: 'tracer', version: '1', description: 'test', tables: { syscall: { where: { nr: ['getppid'] } }, proc: {} },
  create: (ctx) => {
    let calls = 0, execs = 0;
    return {
      syscall: () => { if (++calls % 50 === 0) ctx.alert({ severity: 'info', title: 'getppid ' + calls }); },
      proc: (e) => ctx.alert({ severity: 'warning', title: 'exec ' + ++execs + ' ' + e.filename }),
    };
  } };
`);
const LOOPER = file('looper.mjs', `export default { name: 'looper', version: '1', description: 'test', tables: { syscall: {} },
  create: (ctx) => { let n = 0; return { syscall: () => { if (++n === 700) for (;;); if (n % 100 === 0) ctx.alert({ severity: 'info', title: 'call ' + n }); } }; } };
`);

const BUDGETS: DetectorBudgets = { timeoutMs: 2000, memoryMb: 256 };

async function start(specs: string[], o: { budgets?: DetectorBudgets; backlogRows?: number } = {}): Promise<{ live: LiveDetection; said: string[] }> {
  const said: string[] = [];
  const live = await LiveDetection.start({
    specs, options: {}, arch: 'x86_64', accounts: [], budgets: o.budgets ?? BUDGETS, backlogRows: o.backlogRows ?? 1_000_000, sinks: [], report: (m) => said.push(m),
  });
  return { live, said };
}

/** Writes and hands over the groups as the recorder does, the event loop turning between them. */
async function feed(live: LiveDetection, writer: RecordingWriter, gs: readonly Group[], pause = true): Promise<void> {
  for (const g of gs) {
    for (const [t, b] of g) {
      writer.append(t, b);
      live.batch(t, b);
    }
    live.flushed();
    if (pause) await turn();
  }
}

async function replayOf(rec: string, specs: string[]): Promise<string[]> {
  const detectors = await Promise.all(specs.map(async (f) => (await import(pathToFileURL(f).href) as { default: Detector }).default));
  const r = Recording.open(rec);
  try {
    return replay(r, detectors).alerts.map((a) => `${a.seq} ${a.detector} ${a.title}`);
  } finally {
    r.close();
  }
}

function stored(rec: string, detector: string): string[] {
  const r = Recording.open(rec);
  try {
    return storedAlerts(r).filter((a) => a.detector === detector).map((a) => `${a.seq} ${a.detector} ${a.title}`);
  } finally {
    r.close();
  }
}

describe('live detection on its thread', () => {
  it('stores the alerts a replay of the recording gives', async () => {
    const rec = join(tempDir(), 'rec');
    const writer = RecordingWriter.create(rec);
    const { live, said } = await start([TRACER]);
    live.attach(writer, (err) => { throw err; });
    await feed(live, writer, groups(20, 100));
    await live.finish();
    writer.close();
    expect(said).toEqual([]);
    expect(live.ended).toBeUndefined();
    const want = await replayOf(rec, [TRACER]);
    expect(want.length).toBe(20 + 20);
    expect(stored(rec, 'tracer')).toEqual(want);
    expect(live.alerts).toBe(want.length);
  });

  it('stops a detector that loops, names it with the seq, and the others go on as a replay without it', async () => {
    const rec = join(tempDir(), 'rec');
    const writer = RecordingWriter.create(rec);
    const { live, said } = await start([TRACER, LOOPER]);
    live.attach(writer, (err) => { throw err; });
    await feed(live, writer, groups(20, 100));
    await live.finish();
    writer.close();
    expect(said).toEqual([]);
    expect(live.ended).toBeUndefined();
    // Its 700th syscall: the 7th of group 6 (each group is 100 syscalls and an exec).
    expect(live.stopped).toEqual([{ detector: 'looper', reason: 'time', seq: 6n * 101n + 99n, starting: false, what: 'took more than 2 s on one batch of events' }]);
    expect(stored(rec, 'tracer')).toEqual(await replayOf(rec, [TRACER]));
    expect(stored(rec, 'looper').length).toBe(6);
  });

  it('stops live detection, not the recording, once it falls more than the bound behind', async () => {
    const rec = join(tempDir(), 'rec');
    const writer = RecordingWriter.create(rec);
    const { live, said } = await start([TRACER], { backlogRows: 1000 });
    live.attach(writer, (err) => { throw err; });
    // Handed over at once, as a burst the thread cannot have answered yet.
    await feed(live, writer, groups(30, 100), false);
    await live.finish();
    writer.close();
    expect(said).toEqual(['live detection fell more than 1,000 events behind the recording and was stopped; the recording goes on (flightrec replay runs the detectors over it)']);
    expect(live.ended).toBe(said[0]);
    const r = Recording.open(rec);
    expect([...r.batches('syscall')].reduce((n, b) => n + b.numRows, 0)).toBe(3000);
    r.close();
  });

  it('lets the recording stop on time when a detector is stuck, and says what was not run', async () => {
    const rec = join(tempDir(), 'rec');
    const writer = RecordingWriter.create(rec);
    const { live } = await start([TRACER, LOOPER], { budgets: { ...BUDGETS, timeoutMs: 60_000 } });
    live.attach(writer, (err) => { throw err; });
    await feed(live, writer, groups(10, 100));
    const t0 = performance.now();
    await live.finish(300);
    expect(performance.now() - t0).toBeLessThan(2500);
    writer.close();
    expect(live.ended).toMatch(/^live detection did not finish before the recorder stopped: the last [\d,]+ events were not run through the detectors live \(flightrec replay runs them\)$/);
  });

  it('refuses a detector file that does not load, and starts without one whose create() loops', async () => {
    await expect(start([TRACER, file('top.mjs', 'for (;;);\nexport default {};\n')])).rejects.toThrow(/top\.mjs does not load: it took more than 2 s to load$/);
    const { live } = await start([TRACER, file('create.mjs', "export default { name: 'slow-start', version: '1', description: 'test', tables: { proc: {} }, create: () => { for (;;); } };\n")]);
    expect(live.detectors().map((d) => d.name)).toEqual(['tracer']);
    expect(live.stopped.map((s) => `${s.detector}: ${s.what}`)).toEqual(['slow-start: took more than 2 s to start']);
    await live.close();
  });
});
