// The status files recorders write for `flightrec status`, and the command reading them: what
// a running recorder shows, stale files (pid gone or reused), and files another root process
// wrote anything into (never a crash or a hang, one line naming the file, control characters escaped).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RecordingWriter } from '../../src/format/recording-writer.js';
import { StatusWriter, processStartTicks, readRunning, type RecorderState, type RecorderStatus } from '../../src/record/status.js';
import { cliWith, tempDir } from '../helpers.js';
import { CONTROL, HOSTILE, HOSTILE_SHOWN } from '../cli/hostile.js';

const state = (over: Partial<RecorderState> = {}): RecorderState => ({
  path: '/var/lib/flightrec/ring', id: '96f11ada-8ae6-4539-a917-a8c3fdbea70e', target: 'the whole host',
  window: { first: '2026-12-02T14:00:00.000000000Z', last: '2026-12-02T14:30:00.500000000Z' },
  segmentsKept: 12, segmentsPruned: 40, keptBytes: 768 * 2 ** 20, openBytes: 3 * 2 ** 20,
  rows: 1000, bytesWritten: 2 ** 20, lostRows: 7, ...over,
});

/** Runs `f` with FLIGHTREC_RUN_DIR set to `dir`. */
function inRunDir<T>(dir: string, f: () => T): T {
  const prev = process.env.FLIGHTREC_RUN_DIR;
  process.env.FLIGHTREC_RUN_DIR = dir;
  try {
    return f();
  } finally {
    if (prev === undefined) delete process.env.FLIGHTREC_RUN_DIR;
    else process.env.FLIGHTREC_RUN_DIR = prev;
  }
}

/** Writes one status of this process into a new run directory, as a recorder would. */
function written(over: Partial<RecorderState> = {}): { dir: string; status: RecorderStatus } {
  const dir = join(tempDir(), 'run');
  return inRunDir(dir, () => {
    const w = new StatusWriter(() => state(over), () => { throw new Error('no report expected'); });
    w.start();
    const status = JSON.parse(readFileSync(join(dir, w.file), 'utf8')) as RecorderStatus;
    // stop() removes the file; keep it for the reader by writing it again after.
    w.stop();
    expect(existsSync(join(dir, w.file))).toBe(false);
    writeFileSync(join(dir, w.file), JSON.stringify(status));
    return { dir, status };
  });
}

describe('recorder status files', () => {
  it('are written with the recorder\'s pid and start time, in a directory only root reads, and read back as running', () => {
    const { dir, status } = written();
    expect(status).toMatchObject({
      version: 1, pid: process.pid, start_ticks: processStartTicks('self'), recording: { path: '/var/lib/flightrec/ring', id: state().id },
      window: state().window, segments: { kept: 12, pruned: 40 }, disk: { kept_bytes: 768 * 2 ** 20, open_bytes: 3 * 2 ** 20 }, lost_rows: 7, incidents: null,
    });
    expect(status.rss_bytes).toBeGreaterThan(0);
    expect(spawnSync('stat', ['-c', '%a', dir], { encoding: 'utf8' }).stdout.trim()).toBe('700');
    expect(readRunning(dir)).toEqual({ running: [status], ignored: [], stale: [] });
  });

  it('give rates over the interval since the last write', async () => {
    let rows = 0;
    let bytes = 0;
    const w = new StatusWriter(() => state({ rows, bytesWritten: bytes }));
    w.snapshot();
    rows = 5000;
    bytes = 10_000;
    // At least 200 ms apart, so the interval rounded to the millisecond is within 0.25 %.
    await sleep(200);
    const s = w.snapshot();
    const seconds = s.rates.interval_ms / 1000;
    expect(seconds).toBeGreaterThanOrEqual(0.2);
    expect(Math.abs(s.rates.rows_per_s * seconds - 5000)).toBeLessThan(5000 * 0.01);
    expect(s.rates.bytes_per_s / s.rates.rows_per_s).toBeCloseTo(2, 1);
  });

  it('`status` shows every running recorder, incidents when there are some, and JSON with snake_case keys', () => {
    const incidents = { dir: '/var/lib/flightrec/incidents', pending: 1, written: 2, last: { path: '/var/lib/flightrec/incidents/20261202T141500Z-alert', reason: 'alert', trigger_time: '2026-12-02T14:15:00.000000000Z' } };
    const { dir } = written({ incidents });
    const r = cliWith({ FLIGHTREC_RUN_DIR: dir }, 'status');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('recording   /var/lib/flightrec/ring');
    expect(r.stdout).toMatch(new RegExp(`recorder    pid ${process.pid}, up \\d+s, [\\d.]+% CPU, [\\d.]+ MiB resident`));
    expect(r.stdout).toContain('window      2026-12-02 14:00:00.000000000Z .. 2026-12-02 14:30:00.500000000Z');
    expect(r.stdout).toContain('segments    12 kept, 40 pruned');
    expect(r.stdout).toContain('disk        771.0 MiB (768.0 MiB kept, 3.0 MiB in the open segment)');
    expect(r.stdout).toContain('losses      7 events lost');
    expect(r.stdout).toContain('incidents   /var/lib/flightrec/incidents: 2 written, 1 pending; last /var/lib/flightrec/incidents/20261202T141500Z-alert (alert, 2026-12-02 14:15:00.000000000Z)');
    const json = cliWith({ FLIGHTREC_RUN_DIR: dir }, 'status', '--json');
    const list = JSON.parse(json.stdout) as RecorderStatus[];
    expect(list.map((s) => [s.pid, s.incidents])).toEqual([[process.pid, incidents]]);
    const keys = (v: unknown): string[] => (v === null || typeof v !== 'object' ? [] : Object.entries(v).flatMap(([k, x]) => [k, ...keys(x)]));
    expect(keys(list).filter((k) => !/^([a-z][a-z0-9]*(_[a-z0-9]+)*|\d+)$/.test(k))).toEqual([]);
  });

  it('`status REC` shows the recorder of that recording, and says in one line, exit 1, when none runs it', () => {
    const rec = join(tempDir(), 'rec');
    const w = RecordingWriter.create(rec);
    const id = w.current.id;
    w.close();
    // The manifest names this process as its writer; a status of this process for that id is its recorder.
    const { dir } = written({ path: rec, id });
    const r = cliWith({ FLIGHTREC_RUN_DIR: dir }, 'status', rec, '--json');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect((JSON.parse(r.stdout) as RecorderStatus[]).map((s) => s.recording)).toEqual([{ path: rec, id }]);
    // Another recording this process wrote: not the one the status is of.
    const other = join(tempDir(), 'other');
    RecordingWriter.create(other).close();
    const none = cliWith({ FLIGHTREC_RUN_DIR: dir }, 'status', other);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe(`flightrec: ${other}: no recorder is running for it (it was written by pid ${process.pid}; \`flightrec info ${other}\` describes it)\n`);
    // Not a recording at all: one line, as info says it.
    const bad = cliWith({ FLIGHTREC_RUN_DIR: dir }, 'status', tempDir());
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/not a flightrec recording/);
  });

  it('ignore a file whose recorder is gone or whose pid is another process now', () => {
    const { dir, status } = written();
    const gone = spawnSync('true').pid!;
    writeFileSync(join(dir, `${gone}.json`), JSON.stringify({ ...status, pid: gone }));
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify({ ...status, start_ticks: status.start_ticks + 1 }));
    const r = cliWith({ FLIGHTREC_RUN_DIR: dir }, 'status');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('no flightrec recorder is running\n');
    expect(r.stderr.split('\n').filter(Boolean).sort()).toEqual([
      `flightrec: ${dir}/${gone}.json: recorder ${gone} is not running (no such process); ignored`,
      `flightrec: ${dir}/${process.pid}.json: recorder ${process.pid} is not running (the pid is another process now); ignored`,
    ].sort());
  });

  it('left by a recorder that is gone are removed when the next one starts; others are left alone', () => {
    const { dir, status } = written();
    const gone = spawnSync('true').pid!;
    writeFileSync(join(dir, `${gone}.json`), JSON.stringify({ ...status, pid: gone }));
    writeFileSync(join(dir, '12.json'), 'junk');
    inRunDir(dir, () => {
      const w = new StatusWriter(() => state());
      w.start();
      expect(existsSync(join(dir, `${gone}.json`))).toBe(false);
      expect(existsSync(join(dir, '12.json'))).toBe(true);
      expect(readRunning(dir).running.map((s) => s.pid)).toEqual([process.pid]);
      w.stop();
    });
  });

  it('take nothing on trust: junk, a FIFO, links, a huge file, wrong fields and escape sequences are one line each', () => {
    const { dir, status } = written({ path: `/tmp/${HOSTILE}`, target: `command ${HOSTILE}` });
    const put = (pid: number, text: string): void => writeFileSync(join(dir, `${pid}.json`), text);
    put(11, 'garbage\nsecond line');
    spawnSync('mkfifo', [join(dir, '12.json')]);
    symlinkSync('/dev/zero', join(dir, '13.json'));
    symlinkSync(join(dir, `${process.pid}.json`), join(dir, '14.json'));
    put(15, `{"pad":"${'x'.repeat(100_000)}"}`);
    put(16, JSON.stringify({ ...status, pid: 16, rates: { ...status.rates, rows_per_s: -1 } }));
    put(17, JSON.stringify({ ...status, pid: 17, recording: `${HOSTILE}` }));
    put(18, JSON.stringify({ ...status, pid: 18, incidents: { dir: 'x', pending: 0, written: 1, last: { path: 'p', reason: HOSTILE, trigger_time: 'yesterday' } } }));
    put(19, JSON.stringify(status)); // names another pid than its file
    put(20, JSON.stringify({ ...status, pid: 20, version: 2 }));
    put(21, '[]');
    mkdirSync(join(dir, '22.json'));
    put(23, JSON.stringify({ ...status, pid: 23, window: { first: 'Wed Dec 02 2026', last: null } })); // a date JavaScript reads, not flightrec
    writeFileSync(join(dir, `${HOSTILE}.json`), 'not a status file name: not read');
    const t0 = Date.now();
    const r = cliWith({ FLIGHTREC_RUN_DIR: dir }, 'status');
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(13);
    for (const l of lines) {
      expect(l).toMatch(new RegExp(`^flightrec: ${dir}/\\d+\\.json: .*ignored$`));
      expect(l).not.toMatch(CONTROL);
    }
    expect(lines.find((l) => l.includes('/11.json'))).toMatch(/not valid JSON/);
    expect(lines.find((l) => l.includes('/12.json'))).toMatch(/FIFO/);
    expect(lines.find((l) => l.includes('/15.json'))).toMatch(/more than the 65536 allowed/);
    expect(lines.find((l) => l.includes('/16.json'))).toMatch(/field 'rates.rows_per_s' is missing or not valid/);
    expect(lines.find((l) => l.includes('/18.json'))).toMatch(/field 'incidents.last.trigger_time'/);
    expect(lines.find((l) => l.includes('/23.json'))).toMatch(/field 'window.first' is missing or not valid/);
    expect(lines.find((l) => l.includes('/19.json'))).toMatch(new RegExp(`names pid ${process.pid}, not 19`));
    // The good one is shown, its hostile text escaped.
    expect(r.stdout).toContain(`recording   /tmp/${HOSTILE_SHOWN}`);
    expect(r.stdout).toContain(`target      command ${HOSTILE_SHOWN}`);
    expect(r.stdout).not.toMatch(CONTROL);
    // JSON keeps the exact values.
    const json = cliWith({ FLIGHTREC_RUN_DIR: dir }, 'status', '--json');
    expect((JSON.parse(json.stdout) as RecorderStatus[]).map((s) => s.target)).toEqual([`command ${HOSTILE}`]);
  });
});
