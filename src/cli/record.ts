import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../format/errors.js';
import { writeOutputFile } from '../format/output-file.js';
import { DEFAULT_SEGMENT_BYTES, DEFAULT_SEGMENT_MS } from '../format/rotation.js';
import { DEFAULTS, DEFAULT_BACKLOG_ROWS } from '../record/defaults.js';
import type { Progress, RecordOptions, RecordResult } from '../record/session.js';
import { cgroup2Root, cgroupTarget, commandTarget, pidTarget, type Target } from '../record/target.js';
import { DEFAULT_TABLES, RECORDABLE_TABLES, type TableName } from '../schema/tables.js';
import type { AlertSink } from '../detect/sinks.js';
import { hostArch } from '../format/host.js';
import { INTEL_PT } from '../record/kernel.js';
import { estimateMemory, type MemoryEstimate } from '../record/memory.js';
import { escapeText } from '../text/escape.js';
import { statsJson } from './json.js';
import { EXIT, formatBytes, warn } from './output.js';
import { parseDurationMs, parseSize } from './units.js';
import { checkIncidentDir, DEFAULT_POST_MS, DEFAULT_PRE_MS, DEFAULT_TRIGGER_SEVERITY, Incidents, type IncidentOptions } from '../record/incidents.js';
import { chooseBudgets, chooseDetectors, detectorOptions, type DetectorFlags } from './detector-flags.js';
import { chooseTz, tzOption } from './tz.js';

export interface RecordFlags extends DetectorFlags {
  output: string;
  detect?: boolean;
  alertsOut?: string;
  alertsFormat?: string;
  detectBacklog?: string;
  syslog?: string | boolean;
  webhook?: string;
  pid?: string[];
  cgroup?: string;
  all?: boolean;
  duration?: string;
  ringSize?: string;
  writeQueue?: string;
  batchRows?: string;
  batchMs?: string;
  segmentSize?: string;
  segmentTime?: string;
  keepSize?: string;
  keepTime?: string;
  incidents?: string;
  pre?: string;
  post?: string;
  triggerSeverity?: string;
  maxMemory?: string;
  quiet?: boolean;
  summaryJson?: string;
  tables?: string;
  samples?: string;
  intelPt?: boolean;
  tz?: string;
}

/** --tables and --samples: the tables to record and the sampling rate. */
function chooseTables(f: RecordFlags): { tables: TableName[]; sampleHz?: number } {
  let tables: TableName[] = [...DEFAULT_TABLES];
  if (f.tables !== undefined) {
    const names = f.tables.split(',').map((t) => t.trim()).filter(Boolean);
    const unknown = names.filter((t) => !RECORDABLE_TABLES.includes(t as TableName));
    if (unknown.length > 0 || names.length === 0) {
      throw new UsageError(`--tables ${f.tables}: ${unknown.length ? `no table ${unknown.join(', ')}` : 'no tables'} (tables: ${RECORDABLE_TABLES.join(', ')})`);
    }
    tables = RECORDABLE_TABLES.filter((t) => names.includes(t));
  }
  if (f.samples === undefined) return { tables };
  const hz = parsePositive('--samples', f.samples);
  if (!Number.isInteger(hz) || hz > 10_000) throw new UsageError(`--samples ${f.samples}: a whole number of samples per second, at most 10000`);
  return { tables: RECORDABLE_TABLES.filter((t) => t === 'sample' || tables.includes(t)), sampleHz: hz };
}

function parsePositive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} ${v}: not a positive number`);
  return n;
}

/** --segment-size, --segment-time, --keep-size and --keep-time: when segments are sealed and which are kept. */
function chooseSegments(f: RecordFlags): Pick<RecordOptions, 'maxSegmentBytes' | 'maxSegmentMs' | 'keep'> {
  const maxSegmentBytes = f.segmentSize === undefined ? undefined : parseSize('--segment-size', f.segmentSize);
  const maxSegmentMs = f.segmentTime === undefined ? undefined : parseDurationMs('--segment-time', f.segmentTime, 's');
  const keepBytes = f.keepSize === undefined ? undefined : parseSize('--keep-size', f.keepSize);
  const keepMs = f.keepTime === undefined ? undefined : parseDurationMs('--keep-time', f.keepTime, 's');
  const segmentBytes = maxSegmentBytes ?? DEFAULT_SEGMENT_BYTES;
  if (keepBytes !== undefined && keepBytes < segmentBytes) {
    throw new UsageError(`--keep-size ${f.keepSize}: less than one segment (${formatBytes(segmentBytes)}), so every sealed segment would be deleted at once; give a larger --keep-size or a smaller --segment-size`);
  }
  return {
    ...(maxSegmentBytes !== undefined ? { maxSegmentBytes } : {}),
    ...(maxSegmentMs !== undefined ? { maxSegmentMs } : {}),
    ...(keepBytes !== undefined || keepMs !== undefined ? { keep: { ...(keepBytes !== undefined ? { keepBytes } : {}), ...(keepMs !== undefined ? { keepMs } : {}) } } : {}),
  };
}

/** --incidents, --pre, --post and --trigger-severity: where incident recordings go and what makes one. */
async function chooseIncidents(f: RecordFlags, detect: boolean): Promise<IncidentOptions | undefined> {
  if (f.incidents === undefined) {
    const stray = [f.pre !== undefined && '--pre', f.post !== undefined && '--post', f.triggerSeverity !== undefined && '--trigger-severity'].filter(Boolean);
    if (stray.length > 0) throw new UsageError(`${stray.join(', ')}: say where incident recordings go with --incidents DIR`);
    return undefined;
  }
  const { SEVERITIES } = await import('../schema/tables.js');
  const severity = f.triggerSeverity ?? DEFAULT_TRIGGER_SEVERITY;
  if (!(SEVERITIES as readonly string[]).includes(severity)) throw new UsageError(`--trigger-severity ${severity}: use ${SEVERITIES.join(', ')}`);
  if (f.triggerSeverity !== undefined && !detect) throw new UsageError('--trigger-severity: alerts trigger incidents only with --detect; add --detect');
  checkIncidentDir(f.incidents, f.output);
  return {
    dir: f.incidents,
    preMs: f.pre === undefined ? DEFAULT_PRE_MS : parseDurationMs('--pre', f.pre, 's'),
    postMs: f.post === undefined ? DEFAULT_POST_MS : parseDurationMs('--post', f.post, 's'),
    triggerSeverity: severity as IncidentOptions['triggerSeverity'],
  };
}

function chooseTarget(command: readonly string[], f: RecordFlags): Target {
  const given = [command.length > 0, f.pid !== undefined, f.cgroup !== undefined, f.all === true].filter(Boolean).length;
  if (given !== 1) {
    throw new UsageError(given === 0
      ? 'nothing to record: give a command after --, or --pid, --cgroup or --all'
      : 'give exactly one target: a command after --, --pid, --cgroup or --all');
  }
  if (command.length > 0) return commandTarget(command);
  if (f.pid) return pidTarget(f.pid);
  if (f.cgroup !== undefined) return cgroupTarget(f.cgroup);
  return { kind: 'all' };
}

/**
 * --max-memory: the recorder's memory, estimated from the flags (record/memory.ts), refused when
 * over the bound, naming the flag whose part is the largest to lower.
 */
function checkMemory(f: RecordFlags, memory: MemoryEstimate): void {
  if (f.maxMemory === undefined) return;
  const max = parseSize('--max-memory', f.maxMemory);
  if (memory.total_bytes <= max) return;
  const parts: Array<[string, number]> = [
    ['--ring-size', memory.ring_bytes + memory.lane_bytes], ['--batch-rows (or fewer --tables)', memory.staging_bytes], ['--write-queue', memory.queue_bytes], ['--detect-backlog', memory.backlog_bytes]];
  const [flag] = parts.reduce((a, b) => (b[1] > a[1] ? b : a));
  const hint = memory.base_bytes >= max ? `the recorder itself needs about ${formatBytes(memory.base_bytes)}: raise --max-memory` : `lower ${flag} or raise --max-memory`;
  throw new UsageError(`--max-memory ${f.maxMemory}: the recorder would use about ${formatBytes(memory.total_bytes)} (kernel buffers ${formatBytes(memory.ring_bytes + memory.lane_bytes)}, batches ${formatBytes(memory.staging_bytes)}, write queue ${formatBytes(memory.queue_bytes)}, detection backlog ${formatBytes(memory.backlog_bytes)}, base ${formatBytes(memory.base_bytes)}); ${hint}`);
}

/** What the progress line may fill: the terminal's width but its last column (writing there wraps on some terminals). */
const progressWidth = (): number => Math.max(20, (process.stderr.columns || 80) - 1);

/** On a terminal, what clears the progress line before a message is printed over it. */
function clearLine(): string {
  return process.stderr.isTTY ? '\r\x1b[K' : '';
}

/** One line to the person recording, escaped, over the progress line. */
function report(m: string): void {
  console.error(`${clearLine()}flightrec: ${escapeText(m)}`);
}

/** The live alert sinks the flags ask for; on a terminal alerts are also shown as they happen. */
async function alertSinks(f: RecordFlags, show: boolean): Promise<AlertSink[]> {
  const [{ alertLine }, { ALERT_FORMATS, jsonlSink, syslogSink, webhookSink }, { loadAddon }] = await Promise.all([
    import('../detect/alert.js'), import('../detect/sinks.js'), import('../record/native.js')]);
  const format = f.alertsFormat ?? 'json';
  if (!(ALERT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--alerts-format ${format}: use ${ALERT_FORMATS.join(' or ')}`);
  const as = format as (typeof ALERT_FORMATS)[number];
  const clear = clearLine();
  const tz = chooseTz(f.tz);
  const sinks: AlertSink[] = [];
  if (show) {
    sinks.push({
      name: 'stderr',
      write: (alerts, m) => { for (const a of alerts) process.stderr.write(`${clear}${alertLine(a, m.clock, tz)}
`); },
      close: async () => undefined,
    });
  }
  if (f.alertsOut !== undefined) sinks.push(jsonlSink(f.alertsOut, report, as));
  if (f.syslog !== undefined) sinks.push(syslogSink(f.syslog === true ? '/dev/log' : String(f.syslog), { send: (p, m) => loadAddon().sendDatagram(p, m) }, report, as));
  if (f.webhook !== undefined) sinks.push(webhookSink(f.webhook, report, as));
  return sinks;
}

export function register(program: Command): void {
  tzOption(detectorOptions(program.command('record')
    .description('record what a command, processes, a cgroup or the whole host do in the kernel')
    .requiredOption('-o, --output <dir>', 'recording directory to create')
    .argument('[command...]', 'command to launch and record with its whole process tree (after --)')
    .option('--pid <pid...>', 'record running processes and their future children')
    .option('--cgroup <path>', 'record every process in a cgroup v2 (or below it); the path is absolute or relative to the cgroup2 mount')
    .option('--all', 'record the whole host (except the recorder)')
    .option('--duration <time>', 'stop after this long: 30s, 5m, 1h30m; a bare number is seconds (a launched command gets SIGTERM)')
    .option('--ring-size <size>', `kernel buffer memory, a power of two such as 64M or 1G: half for the ring buffer, half for the per-CPU syscall lanes (default ${formatBytes(DEFAULTS.ringBytes)})`)
    .option('--batch-rows <n>', `rows per batch handed to the writer (default ${DEFAULTS.batchRows})`)
    .option('--write-queue <size>', `batches waiting to be compressed and written, at most: what a burst may hold in memory while the writer catches up, 64M, 256M (default ${formatBytes(DEFAULTS.queueBytes)})`)
    .option('--batch-ms <time>', `longest a row waits before it is written: 50ms, 1s; a bare number is milliseconds (default ${DEFAULTS.batchMs})`)
    .option('--segment-size <size>', `seal a segment once it holds this much: 16M, 1G (default ${formatBytes(DEFAULT_SEGMENT_BYTES)})`)
    .option('--segment-time <time>', `seal a segment once it has been open this long: 30s, 5m; a bare number is seconds (default ${DEFAULT_SEGMENT_MS / 1000}s)`)
    .option('--keep-size <size>', 'keep at most this much of sealed segments, deleting the oldest (their entries and hashes stay in the manifest): 256M, 2G')
    .option('--keep-time <time>', 'keep the segments sealed within this long, deleting older ones (their entries and hashes stay in the manifest): 10m, 1h')
    .option('--incidents <dir>', 'write an incident recording to DIR/<UTC time>-<reason>/ for each trigger: an alert of --detect at or above --trigger-severity, SIGUSR1, or `flightrec mark`')
    .option('--pre <time>', `with --incidents: how much before the trigger an incident keeps (default ${DEFAULT_PRE_MS / 1000}s)`)
    .option('--post <time>', `with --incidents: how much after the trigger (default ${DEFAULT_POST_MS / 1000}s); a trigger within an incident extends it`)
    .option('--trigger-severity <level>', `with --incidents and --detect: the least severity of an alert that triggers an incident: info, warning, critical or emergency (default ${DEFAULT_TRIGGER_SEVERITY})`)
    .option('--max-memory <size>', 'refuse to start when the recorder\'s memory (kernel buffers, batches, write queue, detection backlog and its own) would exceed this: 512M, 1G')
    .option('--tables <list>', `tables to record, comma-separated (default ${DEFAULT_TABLES.join(',')}; also: sample)`)
    .option('--samples <hz>', 'also sample the CPU this many times a second per CPU (the sample table)')
    .option('--intel-pt', 'capture an Intel PT trace of the target (hosts with Intel PT only)')
    .option('-q, --quiet', 'no progress line and no summary')
    .option('--summary-json <file>', 'also write the summary as JSON to this file')
    .option('--detect', 'run detectors on the events as they are recorded; alerts go to the alert table (and the outputs below)')
    .option('--detect-backlog <events>', `with --detect: stop live detection (not the recording) once this many events wait for the detectors (default ${DEFAULT_BACKLOG_ROWS})`)
    .option('--alerts-out <file>', 'with --detect: also append alerts to this file as JSON Lines (opened again on SIGHUP, for logrotate)')
    .option('--syslog [target]', 'with --detect: also send alerts to syslog: a unix datagram socket (default /dev/log) or udp://host:port')
    .option('--webhook <url>', 'with --detect: also POST each alert as JSON to this URL')
    .option('--alerts-format <format>', 'how --alerts-out, --syslog and --webhook write an alert: json (flightrec\'s) or ecs (Elastic Common Schema; docs/alerts.md)')))
    .action(async (command: string[], f: RecordFlags) => process.exit(await recordAction(command, f)));
}

/** `flightrec record`, once its arguments are parsed: records, prints the summary and returns
 * the exit code (the launched command's). */
export async function recordAction(command: string[], f: RecordFlags): Promise<number> {
  if (f.intelPt) {
    throw new UsageError(existsSync(INTEL_PT)
      ? '--intel-pt: this build of flightrec cannot capture Intel PT yet; record without --intel-pt'
      : `--intel-pt: this host has no Intel PT (${INTEL_PT} does not exist); record without --intel-pt`);
  }
  if (f.output.trim() === '') throw new UsageError('-o needs a directory to create the recording in (an empty path would mean the current directory)');
  const target = chooseTarget(command, f);
  const { tables, sampleHz } = chooseTables(f);
  const durationMs = f.duration === undefined ? undefined : parseDurationMs('--duration', f.duration, 's');
  const ringBytes = f.ringSize === undefined ? undefined : parseSize('--ring-size', f.ringSize);
  const batchMs = f.batchMs === undefined ? undefined : parseDurationMs('--batch-ms', f.batchMs, 'ms');
  const segments = chooseSegments(f);
  const live = !f.quiet && process.stderr.isTTY;
  const detect = f.detect === true || f.detectors !== undefined || f.sigma !== undefined;
  if (!detect && (f.alertsOut !== undefined || f.syslog !== undefined || f.webhook !== undefined || f.alertsFormat !== undefined)) {
    throw new UsageError('--alerts-out, --syslog, --webhook and --alerts-format send the alerts of --detect: add --detect');
  }
  const incidentOptions = await chooseIncidents(f, detect);
  const incidents = incidentOptions ? new Incidents(incidentOptions, report) : undefined;
  const budgets = chooseBudgets(f);
  const backlogRows = f.detectBacklog === undefined ? DEFAULT_BACKLOG_ROWS : Math.floor(parsePositive('--detect-backlog', f.detectBacklog));
  const batchRows = f.batchRows === undefined ? undefined : Math.floor(parsePositive('--batch-rows', f.batchRows));
  const queueBytes = f.writeQueue === undefined ? undefined : parseSize('--write-queue', f.writeQueue);
  const memory = estimateMemory({ ringBytes: ringBytes ?? DEFAULTS.ringBytes, batchRows: batchRows ?? DEFAULTS.batchRows, tables, ...(queueBytes !== undefined ? { queueBytes } : {}), ...(detect ? { backlogRows } : {}) });
  checkMemory(f, memory);
  const { specs, options } = detect ? await chooseDetectors(f) : { specs: [], options: {} };
  const sinks = detect ? await alertSinks(f, !f.quiet) : [];
  if (incidents && detect) sinks.push(incidents.sink());
  const [{ record }, { LiveDetection }, { readAccounts }, text] = await Promise.all([
    import('../record/session.js'), import('../record/live.js'), import('../record/accounts.js'), import('./record-text.js')]);
  // Read once: the recording stores them, and live detectors name uids by the same.
  const accounts = readAccounts();
  // The detectors load on their thread before anything is recorded: one that cannot run is refused first.
  const liveDetection = detect
    ? await LiveDetection.start({
      specs, options, arch: hostArch(), ...(sampleHz !== undefined ? { sampleHz } : {}), accounts, cgroupRoot: cgroup2Root() ?? '/sys/fs/cgroup', budgets, backlogRows, sinks,
      report,
    })
    : undefined;
  let last: Progress | undefined;
  let result: RecordResult;
  try {
    result = await record({
      out: f.output,
      target,
      ...(durationMs !== undefined ? { durationMs } : {}),
      ...(ringBytes !== undefined ? { ringBytes } : {}),
      ...(queueBytes !== undefined ? { queueBytes } : {}),
      ...(batchRows !== undefined ? { batchRows } : {}),
      ...(batchMs !== undefined ? { batchMs } : {}),
      ...segments,
      tables,
      ...(sampleHz !== undefined ? { sampleHz } : {}),
      debug: process.argv.includes('--debug'),
      commandLine: process.argv.slice(1),
      ...(liveDetection ? { live: liveDetection } : {}),
      accounts,
      ...(incidents ? { incidents } : {}),
      report,
      // Under a service manager SIGHUP asks for the files appended to be opened again (logrotate);
      // from a terminal it says the terminal is gone, and the recording stops and is sealed.
      ...(process.stderr.isTTY ? {} : { onHangup: () => { for (const s of sinks) s.reopen?.(); } }),
      ...(live ? { onProgress: (p: Progress) => { process.stderr.write(`\r\x1b[K${text.progressLine(p, last, progressWidth())}`); last = p; } } : {}),
    });
  } finally {
    await liveDetection?.close();
  }
  if (live) process.stderr.write('\r\x1b[K');
  await Promise.all(sinks.map((s) => s.close()));
  if (!f.quiet) warn(text.summary(f.output, result));
  if (f.summaryJson) {
    writeOutputFile(f.summaryJson, `${JSON.stringify(summaryJson(f.output, result, memory), null, 2)}\n`);
  }
  if (result.error) throw result.error;
  return result.exit ? (result.exit.code ?? 128 + result.exit.signal!) : EXIT.ok;
}

/** The summary --summary-json writes (snake_case keys, as every --json output). */
export function summaryJson(output: string, result: RecordResult, memory?: MemoryEstimate): unknown {
  return {
    output, reason: result.reason, elapsed_ms: result.elapsedMs, stats: statsJson(result.stats),
    bytes_written: result.bytesWritten, bytes_kept: result.bytesKept, pruned_segments: result.prunedSegments,
    pruning_ms: { total: result.pruning.totalMs, max: result.pruning.maxMs }, peak_rss_bytes: result.peakRssBytes,
    cpu_user_ms: result.cpuUserMs, cpu_system_ms: result.cpuSystemMs, exit: result.exit ?? null,
    error: result.error?.message ?? null, alerts: result.live?.alerts ?? null,
    snapshot: result.snapshot ? { processes: result.snapshot.processes, ms: result.snapshot.ms } : null,
    detectors_stopped: result.live?.stopped.map((x) => ({ detector: x.detector, reason: x.reason, seq: x.seq?.toString() ?? null })) ?? null,
    live_detection_ended: result.live?.ended ?? null,
    incidents: result.incidents?.map((i) => ({ path: i.path, reason: i.reason, trigger_time: i.triggerTime, triggers: i.triggers, rows: i.rows, ms: i.ms, peak_rss_bytes: i.peakRssBytes, error: i.error ?? null })) ?? null,
    memory_estimate: memory ?? null,
  };
}
