// `flightrec replay` under the watchdog: a detector that loops, allocates without bound,
// fills buffers or ends its thread is named with the seq it was handling, the replay finishes
// and exits 1, and the other detectors' alerts are exactly those of a replay without it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cli, tempDir } from '../helpers.js';

const REC = join(ROOT, 'fixtures', 'port-scan', 'rec');
/** The seqs of the port-scan fixture's first connects (the golden alerts name them). */
const SECOND_CONNECT = 341;
const THIRD_CONNECT = 347;

/** Budgets small enough to keep the tests short, large enough that a detector that behaves never meets them on a loaded machine. */
const BUDGETS = ['--detector-timeout', '2', '--detector-memory', '128'];

let dir: string;
const file = (name: string, text: string): string => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const onConnect = (name: string, body: string, state = ''): string =>
  `${state}\nexport default { name: '${name}', version: '1', description: 'test', tables: { net: { where: { op: ['connect'] } } }, create: (ctx) => ({ net: (e) => { ${body} } }) };\n`;

let good: string;
let expected: string;

beforeAll(() => {
  dir = tempDir();
  // Stateful: a count since the start shows that it saw every event in a run of its own.
  good = file('good.mjs', onConnect('connects', 'ctx.alert({ severity: \'info\', title: `connect ${++n} to ${e.dport}` });', 'let n = 0;'));
  const r = cli('replay', REC, '--detectors', good, 'port-scan', '-f', 'jsonl');
  expect(r.code, r.stderr).toBe(0);
  expected = r.stdout;
  expect(expected.split('\n').filter(Boolean).length).toBeGreaterThan(20);
});

/** Replays with `bad` between the good detectors; checks the output is the replay without it. */
function replayWith(bad: string, ...flags: string[]): { code: number | null; stderr: string } {
  const r = cli('replay', REC, '--detectors', good, bad, 'port-scan', '-f', 'jsonl', ...BUDGETS, ...flags);
  expect(r.stdout).toBe(expected);
  return r;
}

const oneLine = (stderr: string): string => {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
};

describe('replay under the watchdog', () => {
  it('stops a detector that loops forever, names it with the seq, and replays the others without it', () => {
    const r = replayWith(file('loop.mjs', onConnect('looper', 'ctx.alert({ severity: \'info\', title: \'x\' }); if (++n === 3) for (;;);', 'let n = 0;')));
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(`flightrec: detector looper took more than 2 s on one batch of events at seq ${THIRD_CONNECT}; it was stopped, and the others replayed again without it (none of its alerts are shown)`);
  });

  it('stops a detector that allocates without bound: no V8 abort, no native stack', () => {
    // A time budget it cannot meet first, even on a loaded machine: memory is what it must overrun.
    const r = replayWith(file('hoard.mjs', onConnect('hoarder', 'if (keep.length === 0) { keep.push(1); return; } for (;;) keep.push(new Array(1e5).fill(Math.random()));', 'const keep = [];')), '--detector-timeout', '60');
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(`flightrec: detector hoarder ran out of the 128 MiB detector memory budget at seq ${SECOND_CONNECT}; it was stopped, and the others replayed again without it (none of its alerts are shown)`);
  });

  it('stops a detector that fills buffers outside the heap (the process\'s memory is watched too)', () => {
    // Faulting pages in runs at ~260 MB/s in this VM: a time budget that leaves memory to be what it overruns.
    const r = replayWith(file('buffers.mjs', onConnect('buffers', 'const b = new Uint8Array(32 << 20); b.fill(1); keep.push(b);', 'const keep = [];')), '--detector-memory', '64', '--detector-timeout', '60');
    expect(r.code).toBe(1);
    // Memory is watched a few times a second: the event it was handling is named when it was caught inside one.
    expect(oneLine(r.stderr)).toMatch(/^flightrec: detector buffers ran out of the 64 MiB detector memory budget( at seq \d+)?; it was stopped/);
  });

  it('stops a detector that ends its thread', () => {
    const r = replayWith(file('exit.mjs', onConnect('quitter', 'process.exit(3);')));
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/^flightrec: detector quitter ended the detection thread \(exit code 3\) at seq \d+; it was stopped/);
  });

  it('stops a detector whose create() loops, before any event', () => {
    const r = replayWith(file('start.mjs', "export default { name: 'slow-start', version: '1', description: 'test', tables: { net: {} }, create: () => { for (;;); } };\n"));
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/^flightrec: detector slow-start took more than 2 s to start; it was stopped/);
  });

  it('refuses a detector file whose top level loops, as one that does not load (exit 2)', () => {
    const r = cli('replay', REC, '--detectors', good, file('top.mjs', 'for (;;);\nexport default {};\n'), ...BUDGETS);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toBe(`flightrec: detector ${join(dir, 'top.mjs')} does not load: it took more than 2 s to load`);
  });

  it('lists detectors without running a detector file on the command\'s own thread', () => {
    const r = cli('detectors', '--detectors', good, file('top2.mjs', 'for (;;);\nexport default {};\n'), ...BUDGETS);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/top2\.mjs does not load: it took more than 2 s to load$/);
    expect(cli('detectors', '--detectors', good).stdout).toMatch(/^connects +1 +net$/m);
  });

  it('refuses budgets that are not numbers', () => {
    expect(cli('replay', REC, '--detector-timeout', 'soon').stderr).toMatch(/--detector-timeout soon: not a duration/);
    const r = cli('replay', REC, '--detector-memory', '8');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--detector-memory 8: a whole number of MiB from 64M/);
  });
});
