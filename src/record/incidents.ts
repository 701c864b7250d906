// Incident recordings (`record --incidents DIR`): when a trigger comes — a live alert of at least
// --trigger-severity, SIGUSR1, or `flightrec mark` — every event from --pre before it to --post
// after it is written to DIR/<UTC time>-<reason>/, a sealed recording of its own (a slice, see
// replay/slice.ts: the processes' context at its start, the source's id and the hashes of the
// segments it was cut from) with the triggers in its manifest. A trigger within an incident's
// window extends it. The segments an incident needs are kept from pruning until it is written;
// the writing runs in a process of its own, so the recorder's thread goes on draining.
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fork } from 'node:child_process';
import type { Alert } from '../detect/runtime.js';
import type { AlertSink } from '../detect/sinks.js';
import { UsageError } from '../format/errors.js';
import { wallOffset } from '../format/host.js';
import type { ClockMapping } from '../format/manifest.js';
import type { RecordingWriter } from '../format/recording-writer.js';
import { packageRoot } from '../paths.js';
import type { Severity } from '../detect/api.js';
import { SEVERITIES } from '../schema/tables.js';
import { isoTime } from '../text/time.js';
import type { IncidentJob, IncidentDone } from './incident-worker.js';
import type { IncidentStatus } from './status.js';

export interface IncidentOptions {
  /** Where incident recordings are made (created 0700 if missing). */
  readonly dir: string;
  readonly preMs: number;
  readonly postMs: number;
  /** Live alerts of at least this severity trigger one. */
  readonly triggerSeverity: Severity;
}

export const DEFAULT_PRE_MS = 60_000;
export const DEFAULT_POST_MS = 30_000;
export const DEFAULT_TRIGGER_SEVERITY: Severity = 'critical';

/** What made an incident, as stored in its manifest (snake_case, ts as decimal text). */
export type Trigger =
  | { readonly reason: 'alert'; readonly ts: bigint; readonly detector: string; readonly severity: Severity; readonly title: string; readonly seq: bigint; readonly pid: number }
  | { readonly reason: 'mark'; readonly ts: bigint; readonly note: string | null }
  | { readonly reason: 'signal'; readonly ts: bigint };

/** An incident written, or that failed to be. */
export interface IncidentWritten {
  readonly path: string;
  readonly reason: string;
  readonly triggerTime: string;
  readonly triggers: number;
  readonly rows: number;
  readonly ms: number;
  /** Peak resident memory of the process that wrote it. */
  readonly peakRssBytes: number;
  readonly error?: string;
}

interface Pending {
  from: bigint;
  to: bigint;
  /** The first MAX_TRIGGERS_KEPT triggers, and how many came after them. */
  readonly triggers: Trigger[];
  more: number;
  writing: boolean;
}

/** An incident's window grows by at most this many --post beyond its first: then a trigger starts another. */
const MAX_EXTENSIONS = 10n;
/** Triggers an incident's manifest lists; it counts the others. */
const MAX_TRIGGERS_KEPT = 100;

/** What the recorder gives once the recording exists. */
export interface IncidentSource {
  /** The recording's directory, as given. */
  readonly recording: string;
  readonly writer: RecordingWriter;
  readonly clock: ClockMapping;
  /** Now, on the clock of ts. */
  readonly nowTs: () => bigint;
  /** How long after its time a row may still be on its way to the writer (batching and hold). */
  readonly lateNs: bigint;
}

const NS_PER_MS = 1_000_000n;

/** A reason as a directory name may carry it: letters, digits, dot, dash and underscore, at most 48. */
const slug = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 48) || 'incident';

export const reasonOf = (t: Trigger): string => (t.reason === 'alert' ? `alert-${slug(t.detector)}` : t.reason);

/** The trigger as the incident's manifest stores it. */
function triggerJson(t: Trigger, clock: ClockMapping): Record<string, unknown> {
  const base = { reason: t.reason, ts: t.ts.toString(), time: isoTime(t.ts + wallOffset(clock)) };
  if (t.reason === 'alert') return { ...base, detector: t.detector, severity: t.severity, title: t.title, seq: t.seq.toString(), pid: t.pid };
  if (t.reason === 'mark') return { ...base, note: t.note };
  return base;
}

/** --incidents DIR: made now (0700), so a directory that cannot be is refused before recording. */
export function checkIncidentDir(dir: string, output: string): void {
  const abs = resolve(dir);
  const rel = relative(resolve(output), abs);
  if (rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'))) {
    throw new UsageError(`--incidents ${dir}: inside the recording (-o ${output}); give a directory outside it`);
  }
  try {
    mkdirSync(abs, { recursive: true, mode: 0o700 });
    if (!statSync(abs).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (err) {
    throw new UsageError(`--incidents ${dir}: cannot make the directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export class Incidents {
  readonly written: IncidentWritten[] = [];
  private readonly pending: Pending[] = [];
  private readonly queued: Trigger[] = [];
  private source: IncidentSource | undefined;
  private readonly running = new Set<Promise<void>>();
  /** Names given to incidents, written or being written. */
  private readonly names = new Set<string>();
  private readonly threshold: number;

  constructor(readonly opts: IncidentOptions, private readonly report: (line: string) => void) {
    this.threshold = SEVERITIES.indexOf(opts.triggerSeverity);
  }

  /** What the manifest of the recording says of its incidents (`flightrec mark` reads it). */
  get manifestJson(): Record<string, unknown> {
    return { dir: resolve(this.opts.dir), pre_ms: this.opts.preMs, post_ms: this.opts.postMs, trigger_severity: this.opts.triggerSeverity };
  }

  /** A sink for live detection: each alert at or above the threshold is a trigger. */
  sink(): AlertSink {
    return {
      name: 'incidents',
      write: (alerts: readonly Alert[]) => {
        for (const a of alerts) {
          if (SEVERITIES.indexOf(a.severity) < this.threshold) continue;
          this.trigger({ reason: 'alert', ts: a.ts, detector: a.detector, severity: a.severity, title: a.title, seq: a.seq, pid: a.pid });
        }
      },
      close: async () => undefined,
    };
  }

  attach(source: IncidentSource): void {
    this.source = source;
    for (const t of this.queued.splice(0)) this.trigger(t);
  }

  trigger(t: Trigger): void {
    const s = this.source;
    if (!s) {
      this.queued.push(t);
      return;
    }
    const pre = BigInt(this.opts.preMs) * NS_PER_MS;
    const post = BigInt(this.opts.postMs) * NS_PER_MS;
    // Within a pending window, a trigger extends it, up to a bound: under a storm of alerts an
    // incident is still written, and the segments it holds back from pruning stay bounded.
    const open = this.pending.find((p) => !p.writing && t.ts >= p.from && t.ts <= p.to && t.ts + post - p.from <= pre + MAX_EXTENSIONS * post);
    if (open) {
      if (open.triggers.length < MAX_TRIGGERS_KEPT) open.triggers.push(t);
      else open.more++;
      if (t.ts + post > open.to) open.to = t.ts + post;
    } else {
      this.pending.push({ from: t.ts - pre, to: t.ts + post, triggers: [t], more: 0, writing: false });
      this.report(`incident: ${this.describe(t)}; writing the ${this.opts.preMs / 1000} s before and the ${this.opts.postMs / 1000} s after to ${this.opts.dir}`);
    }
    this.pin();
  }

  private describe(t: Trigger): string {
    if (t.reason === 'alert') return `${t.severity} alert from ${t.detector}: ${t.title}`;
    if (t.reason === 'mark') return `marked${t.note !== null ? `: ${t.note}` : ''}`;
    return 'SIGUSR1';
  }

  /** Keeps the segments of the earliest incident not yet written from pruning. */
  private pin(): void {
    let from: bigint | undefined;
    for (const p of this.pending) if (from === undefined || p.from < from) from = p.from;
    this.source?.writer.pin(from);
  }

  /** Starts writing the incidents whose window has passed (and every row of it has come). */
  tick(): void {
    const s = this.source;
    if (!s) return;
    const now = s.nowTs();
    for (const p of this.pending) if (!p.writing && now >= p.to + s.lateNs) this.write(p, false);
  }

  /** At the end of the recording (its writer closed): writes what is pending and waits for every write. */
  async finish(): Promise<void> {
    for (const p of this.pending) if (!p.writing) this.write(p, true);
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** For `flightrec status`. */
  status(): IncidentStatus {
    const last = this.written.at(-1);
    return {
      dir: this.opts.dir, pending: this.pending.length, written: this.written.filter((w) => w.error === undefined).length,
      last: last ? { path: last.path, reason: last.reason, trigger_time: last.triggerTime } : null,
    };
  }

  private write(p: Pending, ended: boolean): void {
    const s = this.source!;
    p.writing = true;
    // Every row up to the window's end is in a sealed segment, hashed, before it is read.
    if (!ended) s.writer.sealSegment();
    const first = p.triggers[0]!;
    const triggerTime = isoTime(first.ts + wallOffset(s.clock));
    const out = this.freeName(`${triggerTime.replace(/[-:]/g, '').replace(/\.(\d{3})\d*Z$/, '.$1Z')}-${reasonOf(first)}`);
    const job: IncidentJob = {
      source: s.recording, out, from: p.from.toString(), to: p.to.toString(), commandLine: process.argv.slice(1),
      incident: {
        triggers: p.triggers.map((t) => triggerJson(t, s.clock)),
        ...(p.more > 0 ? { more_triggers: p.more } : {}),
        pre_ms: this.opts.preMs, post_ms: this.opts.postMs,
        from_ts: p.from.toString(), to_ts: p.to.toString(),
        ...(ended && s.nowTs() < p.to ? { cut_short: 'the recording ended before the window did' } : {}),
      },
    };
    const started = performance.now();
    const done = runJob(job).then((r) => {
      const ms = performance.now() - started;
      this.written.push({ path: out, reason: reasonOf(first), triggerTime, triggers: p.triggers.length + p.more, rows: r.rows, ms, peakRssBytes: r.peakRssBytes ?? 0, ...(r.error !== undefined ? { error: r.error } : {}) });
      this.report(r.error === undefined
        ? `incident written: ${out} (${r.rows} rows, ${(ms / 1000).toFixed(1)} s)`
        : `incident not written: ${out}: ${r.error}`);
    }).finally(() => {
      this.pending.splice(this.pending.indexOf(p), 1);
      this.running.delete(done);
      this.pin();
    });
    this.running.add(done);
  }

  /** DIR/name, or name-2, name-3... when taken. */
  private freeName(name: string): string {
    const taken = new Set([...readdirSync(this.opts.dir), ...this.names]);
    let candidate = name;
    for (let i = 2; taken.has(candidate); i++) candidate = `${name}-${i}`;
    this.names.add(candidate);
    return join(this.opts.dir, candidate);
  }
}

/** The process that writes an incident (incident-worker.ts): its rows, or why it could not. */
function runJob(job: IncidentJob): Promise<IncidentDone> {
  return new Promise((resolveDone) => {
    const child = fork(join(packageRoot(), 'dist', 'src', 'record', 'incident-worker.js'), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let result: IncidentDone | undefined;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { if (stderr.length < 4096) stderr += d.toString(); });
    child.once('message', (m: IncidentDone) => { result = m; });
    child.once('error', (err) => { result ??= { rows: 0, error: err.message }; });
    child.once('exit', (code, signal) => resolveDone(result ?? { rows: 0, error: `the incident writer exited with ${signal ?? `code ${code}`}${stderr ? `: ${stderr.trim().split('\n')[0]}` : ''}` }));
    child.send(job);
  });
}
