// A running recorder's status, for `flightrec status`: the recorder rewrites
// <run dir>/<pid>.json every second (temp file and rename, so a reader never sees half of
// one) and removes it when it ends. A file left by a recorder that crashed names a pid that
// is gone or now another process's (its start time, from /proc/PID/stat, differs): such a
// file is stale, reported as not running, and removed by the next recorder that starts.
// Status files are read as hostile input: another root process may have written anything there.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfinedDir } from '../format/confined-dir.js';
import { RecordingError } from '../format/errors.js';
import { wallOffset } from '../format/host.js';
import { keptSegments, segmentsTsRange } from '../format/manifest.js';
import type { RecordingWriter } from '../format/recording-writer.js';
import { isoTime, parseTime } from '../text/time.js';
import type { NativeStats } from './native.js';
import { runDir } from './run-dir.js';
import { targetText, type Target } from './target.js';



export const STATUS_VERSION = 1;
/** A status file is a few hundred bytes; a larger one is refused before it is read. */
const MAX_STATUS_BYTES = 64 * 1024;
const STATUS_FILE = /^([1-9]\d{0,9})\.json$/;

/** The incident recordings of `record --incidents`, as the recorder counts them. */
export interface IncidentStatus {
  readonly dir: string;
  /** Triggered, not yet written (their post window still open). */
  readonly pending: number;
  readonly written: number;
  readonly last: { readonly path: string; readonly reason: string; readonly trigger_time: string } | null;
}

/** What the recorder knows of itself, asked for at every write. */
export interface RecorderState {
  /** The recording directory, absolute. */
  readonly path: string;
  readonly id: string;
  readonly target: string;
  /** First and last event of the kept sealed segments, RFC 3339; null before a segment is sealed. */
  readonly window: { readonly first: string | null; readonly last: string | null };
  readonly segmentsKept: number;
  readonly segmentsPruned: number;
  /** Table files on disk: the kept sealed segments, and the open one. */
  readonly keptBytes: number;
  readonly openBytes: number;
  /** Rows decoded and bytes written since the start. */
  readonly rows: number;
  readonly bytesWritten: number;
  /** Events the kernel could not record. */
  readonly lostRows: number;
  readonly incidents?: IncidentStatus;
}

/** The state of a recording under way, from its writer and the kernel side's counters. */
export function recordingState(writer: RecordingWriter, stats: NativeStats, target: Target): RecorderState {
  const m = writer.current;
  const kept = keptSegments(m);
  const { first, last } = segmentsTsRange(kept);
  const wall = (ts: string | null): string | null => (ts === null ? null : isoTime(BigInt(ts) + wallOffset(m.clock)));
  return {
    path: resolve(writer.dir), id: m.id, target: targetText(target),
    window: { first: wall(first), last: wall(last) },
    segmentsKept: kept.length, segmentsPruned: m.segments.length - kept.length,
    keptBytes: writer.bytesKept - writer.openSegmentBytes, openBytes: writer.openSegmentBytes,
    rows: Object.values(stats.rows).reduce((n, r) => n + r, 0), bytesWritten: writer.bytesWritten, lostRows: stats.lost,
  };
}

/** A status file, as written (snake_case, as every JSON flightrec writes). */
export interface RecorderStatus {
  readonly version: number;
  readonly pid: number;
  /** The recorder's start time in clock ticks after boot (/proc/PID/stat field 22): a pid reused has another. */
  readonly start_ticks: number;
  readonly started_at: string;
  readonly updated_at: string;
  readonly recording: { readonly path: string; readonly id: string };
  readonly target: string;
  readonly window: { readonly first: string | null; readonly last: string | null };
  readonly segments: { readonly kept: number; readonly pruned: number };
  readonly disk: { readonly kept_bytes: number; readonly open_bytes: number };
  /** Over the interval since the last write. */
  readonly rates: { readonly rows_per_s: number; readonly bytes_per_s: number; readonly interval_ms: number };
  readonly lost_rows: number;
  readonly cpu_percent: number;
  readonly rss_bytes: number;
  readonly incidents: IncidentStatus | null;
}

/** A process's start time in clock ticks after boot, or undefined when there is no such process. */
export function processStartTicks(pid: number | 'self'): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold anything, spaces and ')' too.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]);
  return Number.isSafeInteger(ticks) ? ticks : undefined;
}

/** Writes the recorder's status every `intervalMs` until stop(), which removes the file. */
export class StatusWriter {
  private readonly pid = process.pid;
  private readonly startTicks = processStartTicks('self') ?? 0;
  private readonly startedAt = new Date().toISOString();
  private dir: ConfinedDir | undefined;
  private timer: NodeJS.Timeout | undefined;
  private last: { at: bigint; rows: number; bytes: number; cpu: NodeJS.CpuUsage } | undefined;

  /** `report` is told once when the status cannot be written; the recording goes on regardless. */
  constructor(private readonly state: () => RecorderState, private readonly report: (line: string) => void = () => undefined, private readonly intervalMs = 1000) {}

  get file(): string {
    return `${this.pid}.json`;
  }

  start(): void {
    try {
      this.dir = ConfinedDir.open(runDir(), { create: true, mode: 0o700 });
    } catch (err) {
      this.report(`the status for \`flightrec status\` is not written: ${(err as Error).message}`);
      return;
    }
    try {
      for (const name of readRunning(this.dir.path).stale) this.dir.unlink(name);
    } catch { /* left for `status` to report */ }
    this.write();
    this.timer = setInterval(() => this.write(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!this.dir) return;
    try {
      this.dir.unlink(this.file);
    } catch { /* nothing to remove */ }
    this.dir.close();
    this.dir = undefined;
  }

  /** The status now, with rates over the time since the last one. */
  snapshot(): RecorderStatus {
    const s = this.state();
    const at = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const prev = this.last ?? { at: at - 1n, rows: s.rows, bytes: s.bytesWritten, cpu };
    const seconds = Math.max(Number(at - prev.at) / 1e9, 1e-9);
    const cpuUs = cpu.user - prev.cpu.user + cpu.system - prev.cpu.system;
    this.last = { at, rows: s.rows, bytes: s.bytesWritten, cpu };
    return {
      version: STATUS_VERSION,
      pid: this.pid,
      start_ticks: this.startTicks,
      started_at: this.startedAt,
      updated_at: new Date().toISOString(),
      recording: { path: s.path, id: s.id },
      target: s.target,
      window: s.window,
      segments: { kept: s.segmentsKept, pruned: s.segmentsPruned },
      disk: { kept_bytes: s.keptBytes, open_bytes: s.openBytes },
      rates: { rows_per_s: Math.round((s.rows - prev.rows) / seconds), bytes_per_s: Math.round((s.bytesWritten - prev.bytes) / seconds), interval_ms: Math.round(seconds * 1000) },
      lost_rows: s.lostRows,
      cpu_percent: Math.round((cpuUs / 1e6 / seconds) * 1000) / 10,
      rss_bytes: process.memoryUsage.rss(),
      incidents: s.incidents ?? null,
    };
  }

  private write(): void {
    if (!this.dir) return;
    try {
      // Not fsynced: a status is of no use after a crash, and this runs every second on the recorder's thread.
      this.dir.replaceFile(this.file, `${JSON.stringify(this.snapshot())}\n`, { durable: false });
    } catch (err) {
      this.report(`the status for \`flightrec status\` is no longer written: ${(err as Error).message}`);
      this.stop();
    }
  }
}

type Check = (v: unknown) => boolean;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr: Check = (v) => typeof v === 'string' && v.length <= 4096;
const isCount: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isRate: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
/** A time as flightrec prints and reads them (text/time.ts), which is how `status` shows it. */
const isTime: Check = (v) => typeof v === 'string' && v.length <= 64 && parseTime(v) !== undefined;
const isTimeOrNull: Check = (v) => v === null || isTime(v);

function need(o: unknown, fields: Readonly<Record<string, Check>>, at: string): void {
  if (!isObj(o)) throw new Error(`field '${at.replace(/\.$/, '') || '(top)'}' is not an object`);
  for (const [k, check] of Object.entries(fields)) {
    if (!check(o[k])) throw new Error(`field '${at}${k}' is missing or not valid`);
  }
}

/** A status file's text, checked field by field; throws naming the field. */
export function parseStatus(text: string): RecorderStatus {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
  need(raw, {
    version: (v) => v === STATUS_VERSION, pid: (v) => isCount(v) && (v as number) > 0, start_ticks: isCount, started_at: isTime, updated_at: isTime,
    recording: isObj, target: isStr, window: isObj, segments: isObj, disk: isObj, rates: isObj, lost_rows: isCount, cpu_percent: isRate, rss_bytes: isCount,
    incidents: (v) => v === null || isObj(v),
  }, '');
  const s = raw as Record<string, Record<string, unknown>>;
  need(s.recording, { path: isStr, id: isStr }, 'recording.');
  need(s.window, { first: isTimeOrNull, last: isTimeOrNull }, 'window.');
  need(s.segments, { kept: isCount, pruned: isCount }, 'segments.');
  need(s.disk, { kept_bytes: isCount, open_bytes: isCount }, 'disk.');
  need(s.rates, { rows_per_s: isRate, bytes_per_s: isRate, interval_ms: isCount }, 'rates.');
  if (s.incidents !== null) {
    need(s.incidents, { dir: isStr, pending: isCount, written: isCount, last: (v) => v === null || isObj(v) }, 'incidents.');
    if (s.incidents!.last !== null) need(s.incidents!.last, { path: isStr, reason: isStr, trigger_time: isTime }, 'incidents.last.');
  }
  return raw as RecorderStatus;
}

/** What the run directory holds: the running recorders, and one line for each file that is stale or bad. */
export interface RunningRecorders {
  readonly running: RecorderStatus[];
  readonly ignored: string[];
  /** Names of the files whose recorder is gone. */
  readonly stale: string[];
}

/** Reads every status file in the run directory; none is trusted. */
export function readRunning(dir = runDir()): RunningRecorders {
  const running: RecorderStatus[] = [];
  const ignored: string[] = [];
  const stale: string[] = [];
  let root: ConfinedDir;
  try {
    root = ConfinedDir.open(dir);
  } catch (err) {
    if (err instanceof RecordingError && err.reason === 'no such directory') return { running, ignored, stale };
    throw err;
  }
  try {
    for (const name of root.list().sort()) {
      const m = STATUS_FILE.exec(name);
      if (!m) continue; // temp files of a write under way, and anything else
      const file = root.display(name);
      let status: RecorderStatus;
      try {
        status = parseStatus(root.readFile(name, MAX_STATUS_BYTES).toString('utf8'));
        if (status.pid !== Number(m[1])) throw new Error(`names pid ${status.pid}, not ${m[1]}`);
      } catch (err) {
        // RecordingErrors name the file already.
        ignored.push(err instanceof RecordingError ? `${err.message}; ignored` : `${file}: ${(err as Error).message}; ignored`);
        continue;
      }
      const ticks = processStartTicks(status.pid);
      if (ticks !== status.start_ticks) {
        ignored.push(`${file}: recorder ${status.pid} is not running (${ticks === undefined ? 'no such process' : 'the pid is another process now'}); ignored`);
        stale.push(name);
        continue;
      }
      running.push(status);
    }
  } finally {
    root.close();
  }
  return { running, ignored, stale };
}
