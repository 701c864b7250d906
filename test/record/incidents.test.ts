// Incident recordings (record --incidents) apart from the kernel, on recordings written here with
// a clock the test sets: which triggers make one incident and which two, the segments an
// incident needs kept from pruning until it is written, what its manifest says; the process
// context each segment of a ring recording starts with, and slices that read only the segments
// their window needs; and mark requests as untrusted files.
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineDetector } from '../../src/detect/api.js';
import { makeBatch } from '../../src/format/batch.js';
import { wallOffset } from '../../src/format/host.js';
import { SCHEMAS } from '../../src/schema/arrow.generated.js';
import { isPruned, renderManifest, type Manifest } from '../../src/format/manifest.js';
import { segmentBytes, segmentsToPrune } from '../../src/format/prune.js';
import { Recording } from '../../src/format/recording.js';
import { RecordingWriter } from '../../src/format/recording-writer.js';
import { Incidents } from '../../src/record/incidents.js';
import { leaveMark, takeMarks } from '../../src/record/marks.js';
import { contextBatch, ProcessContext } from '../../src/replay/process-context.js';
import { replay } from '../../src/replay/replay.js';
import { slice } from '../../src/replay/slice.js';
import { cli, tempDir } from '../helpers.js';

const S = 1_000_000_000n;
const PROC_KINDS = SCHEMAS.proc.fields.find((f) => f.name === 'kind')!.metadata.get('flightrec.enum')!.split(',');

/** Syscall rows of pid 100 from `from` to `to` (ts in ns, one a millisecond), numbered from seq. */
function syscalls(from: bigint, to: bigint, seq: { n: bigint }) {
  const ts: bigint[] = [];
  for (let t = from; t <= to; t += 1_000_000n) ts.push(t);
  const k = ts.length;
  const zeros = new BigUint64Array(k);
  return makeBatch('syscall', {
    ts: BigUint64Array.from(ts), seq: BigUint64Array.from(ts, () => seq.n++), cpu: new Uint16Array(k),
    pid: new Uint32Array(k).fill(100), tid: new Uint32Array(k).fill(100), comm: ts.map(() => 'app'), nr: new Uint32Array(k).fill(39),
    arg0: zeros, arg1: zeros, arg2: zeros, arg3: zeros, arg4: zeros, arg5: zeros, ret: new BigInt64Array(k), latency_ns: zeros, returned: ts.map(() => true),
  });
}

function procRow(ts: bigint, seq: bigint, pid: number, kind: 'fork' | 'exec' | 'exit', filename: string | null) {
  return makeBatch('proc', {
    ts: [ts], seq: [seq], cpu: [0], pid: [pid], tid: [pid], comm: ['app'], kind: [kind], ppid: [1], uid: [0], gid: [0], euid: [0], cgroup_id: [0n],
    filename: [filename], argv: [filename ? [filename, '--serve'] : null], argv_truncated: [false], exit_code: [kind === 'exit' ? 0 : null], cwd: ['/srv'], start_ts: [ts],
  });
}

function chdirRow(ts: bigint, seq: bigint, pid: number, path: string) {
  return makeBatch('file', {
    ts: [ts], seq: [seq], cpu: [0], pid: [pid], tid: [pid], comm: ['app'], op: ['chdir'], path: [path], path2: [null], dirfd: [-100], fd: [-1],
    flags: [0], mode: [0], owner: [0], group: [0], bytes_read: [0n], bytes_written: [0n], ret: [0n], abs_path: [path],
  });
}

/** Bytes of a segment after the first, as ringRecording writes them. */
const segmentSize = (): number => segmentBytes(ringRecording(3).w.close().segments[2]!);

/**
 * A ring recording as the recorder writes one: every segment starts with the process context
 * (contextBatch over the rows written), here of pid 100 (exec'd in segment 1, then chdir to
 * /srv/data) and pid 200 (exec'd and exited in segment 1). Segment k holds the syscalls of
 * second k; `keep` prunes as the recorder would.
 */
function ringRecording(segments: number, opts: { keepBytes?: number } = {}): { dir: string; w: RecordingWriter } {
  const dir = join(tempDir(), 'ring');
  const context = new ProcessContext();
  let reserved = 1_000_000n;
  // The writer's wall clock follows the rows' ts: segment k opens at second k.
  let wallMs = 0;
  const w = RecordingWriter.create(dir, {
    now: () => wallMs,
    ...(opts.keepBytes !== undefined ? { keep: { keepBytes: opts.keepBytes } } : {}),
    source: { kind: 'test', process_context: 'every segment' },
    carried: () => {
      const b = contextBatch(context, (n) => { const first = reserved; reserved += BigInt(n); return first; });
      return b ? [['proc', b]] : [];
    },
  });
  const offset = wallOffset(w.current.clock);
  const at = (ts: bigint): void => { wallMs = Number((ts + offset) / 1_000_000n); };
  at(S);
  const seq = { n: 0n };
  const put = (table: 'proc' | 'file' | 'syscall', b: ReturnType<typeof makeBatch>) => {
    w.append(table, b);
    context.add(table, b);
  };
  put('proc', procRow(S, seq.n++, 100, 'exec', '/usr/bin/app'));
  put('proc', procRow(S + 1000n, seq.n++, 200, 'exec', '/usr/bin/short'));
  put('file', chdirRow(S + 2000n, seq.n++, 100, '/srv/data'));
  put('proc', procRow(S + 3000n, seq.n++, 200, 'exit', null));
  for (let k = 1; k <= segments; k++) {
    if (k > 1) at(BigInt(k) * S);
    put('syscall', syscalls(BigInt(k) * S + 10_000n, BigInt(k) * S + 900_000_000n, seq));
    w.sealSegment();
  }
  return { dir, w };
}

const procRows = (dir: string): Array<Record<string, unknown>> => {
  const rec = Recording.open(dir);
  try {
    return [...rec.batches('proc')].flatMap((b) => [...b].map((r) => ({ ts: r.ts, seq: r.seq, pid: r.pid, kind: PROC_KINDS[r.kind as number], filename: r.filename, cwd: r.cwd })));
  } finally {
    rec.close();
  }
};

describe('the process context of a ring recording\'s segments', () => {
  it('each segment after the first starts with the live processes, renumbered, and the directory they moved to', () => {
    const { dir, w } = ringRecording(3);
    w.close();
    const rows = procRows(dir);
    // Segment 1: the rows as written; segments 2 and 3: one snapshot row of pid 100 each (200 exited).
    expect(rows.slice(0, 3).map((r) => r.kind)).toEqual(['exec', 'exec', 'exit']);
    const context = rows.slice(3);
    expect(context).toEqual([
      { ts: S + 3000n, seq: 1_000_000n, pid: 100, kind: 'snapshot', filename: '/usr/bin/app', cwd: '/srv/data' },
      { ts: S + 3000n, seq: 1_000_001n, pid: 100, kind: 'snapshot', filename: '/usr/bin/app', cwd: '/srv/data' },
    ]);
    expect(cli('verify', dir).code).toBe(0);
  });

  it('detectors are handed a segment\'s context only where it is news: in the first segment kept', () => {
    const kinds: string[] = [];
    const seen = defineDetector({
      name: 'seen', version: '1', description: 'test', tables: { proc: {} },
      create: () => ({ proc: (e) => { kinds.push(`${e.kind} ${e.pid}`); } }),
    });
    const whole = ringRecording(3).w;
    whole.close();
    replay(Recording.open(whole.dir), [seen]);
    expect(kinds).toEqual(['exec 100', 'exec 200', 'exit 200']);
    kinds.length = 0;
    const pruned = ringRecording(4, { keepBytes: Math.floor(segmentSize() * 1.5) }).w;
    pruned.close();
    replay(Recording.open(pruned.dir), [seen]);
    expect(kinds).toEqual(['snapshot 100']);
  });

  it('once the first segment is pruned, SQL still says what the process runs and where', () => {
    const { dir, w } = ringRecording(6, { keepBytes: Math.floor(segmentSize() * 1.5) });
    const m = w.close();
    expect(m.segments.filter(isPruned).map((s) => s.index)).toEqual([1, 2, 3, 4, 5]);
    const r = cli('sql', dir, 'SELECT exe, cwd, running_at_start FROM processes WHERE pid = 100', '-f', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ exe: '/usr/bin/app', cwd: '/srv/data', running_at_start: true }]);
  });

  it('a slice of a window reads only the segments it needs, the context from the segment it starts in', () => {
    const { dir, w } = ringRecording(5);
    w.close();
    const out = join(tempDir(), 'slice');
    const rec = Recording.open(dir);
    const r = slice(rec, out, { from: 3n * S + 500_000_000n, to: 3n * S + 600_000_000n }, ['test']);
    rec.close();
    expect(r.rows).toBe(101); // 100 syscalls and the snapshot of pid 100
    const m = Recording.open(out);
    const of = m.manifest.source!.slice_of as { segments: Array<{ index: number }> };
    m.close();
    // The context from segment 2 on (opened at 2 s, before 3.5 s by more than the margin of a
    // second for the wall clock), not from 1; to 4 (opened within the margin after), not 5.
    expect(of.segments.map((s) => s.index)).toEqual([2, 3, 4]);
    expect(procRows(out)).toEqual([{ ts: 3n * S + 500_000_000n, seq: 1_000_002n, pid: 100, kind: 'snapshot', filename: '/usr/bin/app', cwd: '/srv/data' }]);
  });
});

describe('a slice of a ring recording whose manifest says odd things', () => {
  it('takes a segment opening that is no time as unknown, and still says who the processes are', () => {
    const { dir, w } = ringRecording(3);
    w.close();
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { segments: Array<{ opened_at: string }> };
    m.segments[1]!.opened_at = 'not a time';
    writeFileSync(join(dir, 'manifest.json'), renderManifest(m as unknown as Manifest));
    const rec = Recording.open(dir, { allowDamaged: true });
    const out = join(tempDir(), 'slice');
    slice(rec, out, { from: 2n * S + 500_000_000n, to: 2n * S + 600_000_000n }, ['test']);
    rec.close();
    expect(procRows(out).map((r) => [r.pid, r.kind, r.filename])).toEqual([[100, 'snapshot', '/usr/bin/app']]);
  });
});

describe('incidents', () => {
  /** Incidents over a ring recording, the clock of ts set by the test. */
  function setUp(opts: { keepBytes?: number; segments?: number } = {}) {
    const { dir, w } = ringRecording(opts.segments ?? 5, opts);
    const incidentsDir = join(tempDir(), 'incidents');
    mkdirSync(incidentsDir);
    const lines: string[] = [];
    const incidents = new Incidents({ dir: incidentsDir, preMs: 1500, postMs: 500, triggerSeverity: 'critical' }, (l) => lines.push(l));
    const clock = { now: 0n };
    incidents.attach({ recording: dir, writer: w, clock: w.current.clock, nowTs: () => clock.now, lateNs: 100_000_000n });
    return { dir, w, incidentsDir, incidents, clock, lines };
  }

  const alert = (ts: bigint, severity: 'warning' | 'critical', title = 'opened /etc/shadow for writing') =>
    ({ ts, seq: 7n, pid: 100, detector: 'sensitive-files', version: '2', severity, title, evidence: '{}', related_seqs: [] });

  it('alerts at or above the severity trigger; a trigger within the window extends it; written once the window and the lateness have passed', async () => {
    const { dir, w, incidentsDir, incidents, clock } = setUp();
    const sink = incidents.sink();
    sink.write([alert(3n * S, 'warning')], w.current);
    expect(incidents.status().pending).toBe(0);
    sink.write([alert(3n * S, 'critical')], w.current);
    incidents.trigger({ reason: 'mark', ts: 3n * S + 400_000_000n, note: 'odd' }); // within: the window now ends at 3.9 s
    expect(incidents.status().pending).toBe(1);
    clock.now = 3n * S + 950_000_000n; // past 3.9 s, not past the lateness
    incidents.tick();
    expect(readdirSync(incidentsDir)).toEqual([]);
    clock.now = 4n * S;
    incidents.tick();
    await incidents.finish();
    w.close();

    expect(incidents.written).toHaveLength(1);
    const [written] = incidents.written;
    expect(written).toMatchObject({ reason: 'alert-sensitive-files', triggers: 2, rows: 1 + 400 + 900 + 900 }); // the snapshot of pid 100 and the syscalls from 1.5 s to 3.9 s
    expect(written!.path).toMatch(/\/\d{8}T\d{6}\.\d{3}Z-alert-sensitive-files$/);
    expect(cli('verify', written!.path).code).toBe(0);
    const rec = Recording.open(written!.path);
    const m: Manifest = rec.manifest;
    rec.close();
    const incident = m.source!.incident as { triggers: Array<Record<string, unknown>>; from_ts: string; to_ts: string };
    expect(incident.triggers.map((t) => [t.reason, t.ts, t.title ?? t.note])).toEqual([
      ['alert', (3n * S).toString(), 'opened /etc/shadow for writing'], ['mark', (3n * S + 400_000_000n).toString(), 'odd']]);
    expect([incident.from_ts, incident.to_ts]).toEqual([(3n * S - 1_500_000_000n).toString(), (3n * S + 900_000_000n).toString()]);
    expect((m.source!.slice_of as { id: string }).id).toBe(JSON.parse(cli('info', '--json', dir).stdout).id);
  });

  it('a trigger after the window makes a second incident; names never collide', async () => {
    const { w, incidents, clock } = setUp();
    incidents.trigger({ reason: 'signal', ts: 2n * S });
    incidents.trigger({ reason: 'signal', ts: 2n * S + 600_000_000n }); // after 2.5 s
    clock.now = 10n * S;
    incidents.tick();
    await incidents.finish();
    w.close();
    expect(incidents.written.map((i) => i.reason)).toEqual(['signal', 'signal']);
    expect(new Set(incidents.written.map((i) => i.path)).size).toBe(2);
  });

  it('a storm of triggers extends an incident at most ten --post beyond the first, and lists the first hundred', async () => {
    const { w, incidents, clock } = setUp();
    // A trigger every 100 ms from 1 s on, for 9 s: windows of 1.5 s before and 0.5 s after.
    for (let k = 0n; k < 90n; k++) incidents.trigger({ reason: 'signal', ts: S + k * 100_000_000n });
    for (let k = 0n; k < 150n; k++) incidents.trigger({ reason: 'signal', ts: S + 5n * S + k * 1_000_000n });
    clock.now = 20n * S;
    incidents.tick();
    await incidents.finish();
    w.close();
    // The first grows to 1.5 + 5.5 s (pre and eleven --post): the triggers after 6.5 s start another.
    const windows = incidents.written.map((i) => {
      const r = Recording.open(i.path);
      const inc = r.manifest.source!.incident as { from_ts: string; to_ts: string; triggers: unknown[]; more_triggers?: number };
      r.close();
      return [Number(BigInt(inc.to_ts) - BigInt(inc.from_ts)) / 1e9, inc.triggers.length, inc.more_triggers ?? 0];
    });
    expect(windows[0]![0]).toBeLessThanOrEqual(1.5 + 5.5);
    expect(windows.length).toBeGreaterThan(1);
    expect(windows.flatMap((x) => [x[1]!])).toEqual(expect.arrayContaining([100]));
    expect(incidents.written.reduce((n, i) => n + i.triggers, 0)).toBe(240);
  });

  it('keeps the segments of an incident not yet written from pruning, and lets them go after', async () => {
    const keep = { keepBytes: Math.floor(segmentSize() * 1.5) };
    const { w, incidents, clock } = setUp({ ...keep, segments: 2 });
    // Segment 1 was pruned as segment 2 was sealed; a trigger at 2.2 s needs segment 2 from 0.7 s on.
    incidents.trigger({ reason: 'signal', ts: 2n * S + 200_000_000n });
    expect(segmentsToPrune(w.current, keep, Date.now(), 2n * S - 1n)).toEqual([]);
    w.append('syscall', syscalls(3n * S, 3n * S + 10_000_000n, { n: 5_000_000n }));
    w.sealSegment(); // would prune segment 2
    expect(w.current.segments.filter(isPruned).map((s) => s.index)).toEqual([1]);
    clock.now = 5n * S;
    incidents.tick();
    await incidents.finish();
    expect(incidents.written[0]!.error).toBeUndefined();
    w.append('syscall', syscalls(4n * S, 4n * S + 10_000_000n, { n: 6_000_000n }));
    w.sealSegment(); // and now it goes
    expect(w.current.segments.filter(isPruned).map((s) => s.index)).toEqual([1, 2]);
    w.close();
  });
});

describe('mark requests', () => {
  it('are taken once, by their recorder only; what is not one is reported, removed and never followed', () => {
    const dir = join(tempDir(), 'run');
    leaveMark(4242, { ts: 123n, note: 'why' }, dir);
    leaveMark(4343, { ts: 5n, note: null }, dir);
    writeFileSync(join(dir, 'mark-4242-1-1.json'), '{"ts": "x"}');
    writeFileSync(join(dir, 'mark-4242-1-2.json'), 'x'.repeat(100_000));
    writeFileSync(join(tempDir(), 'target.json'), '{"ts":"1","note":null}');
    symlinkSync(join(tempDir(), 'target.json'), join(dir, 'mark-4242-1-3.json'));
    writeFileSync(join(dir, 'mark-4242-1-4.json'), JSON.stringify({ ts: '9', note: 'n'.repeat(5000) }));
    const bad: string[] = [];
    expect(takeMarks(4242, (file, problem) => bad.push(`${file.slice(dir.length + 1)}: ${problem}`), dir)).toEqual([{ ts: 123n, note: 'why' }]);
    expect(bad).toHaveLength(4);
    expect(bad.join('\n')).toMatch(/1-1\.json: no ts\n.*1-2\.json: 100000 bytes.*\n.*1-3\.json: .*ELOOP.*\n.*1-4\.json: the note/);
    expect(readdirSync(dir).sort()).toEqual([expect.stringMatching(/^mark-4343-/)]);
    expect(takeMarks(4242, () => undefined, dir)).toEqual([]);
  });
});
