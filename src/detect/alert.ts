// Alerts as people and programs read them: JSON Lines (one object per alert, keys in a fixed
// order, ts and seq as exact integers) and an aligned table; and alerts as rows of the
// recording's alert table. The same alert always renders to the same bytes.
import type { RecordBatch } from 'apache-arrow';
import { makeBatch } from '../format/batch.js';
import { wallOffset } from '../format/host.js';
import type { ClockMapping, Manifest } from '../format/manifest.js';
import { escapeText } from '../text/escape.js';
import { table } from '../text/table.js';
import { isoTime, peopleTime, type TimeZone } from '../text/time.js';
import { makeCursor } from './cursor.js';
import type { Alert } from './runtime.js';

/** Where alerts come from: the recorded host and the recording, which every rendered alert names. */
export interface AlertOrigin {
  readonly host: string;
  readonly recording: string;
}

export const originOf = (m: Pick<Manifest, 'id' | 'host'>): AlertOrigin => ({ host: m.host.hostname, recording: m.id });

export function alertJson(a: Alert, clock: ClockMapping, origin: AlertOrigin): string {
  return `{"time":${JSON.stringify(isoTime(a.ts + wallOffset(clock)))},"ts":${a.ts},"seq":${a.seq},"pid":${a.pid},`
    + `"host":${JSON.stringify(origin.host)},"recording":${JSON.stringify(origin.recording)},"detector":${JSON.stringify(a.detector)},"version":${JSON.stringify(a.version)},"severity":${JSON.stringify(a.severity)},`
    + `"title":${JSON.stringify(a.title)},"evidence":${a.evidence},"related_seqs":[${a.related_seqs.join(',')}]}`;
}

/** One line for a person watching alerts arrive (escaped: titles quote what the recording holds). */
export function alertLine(a: Alert, clock: ClockMapping, tz: TimeZone = 'UTC'): string {
  return escapeText(`${peopleTime(a.ts + wallOffset(clock), tz)} ${a.severity.toUpperCase().padEnd(9)} ${a.detector} pid ${a.pid}: ${a.title}`);
}

export function alertTable(alerts: readonly Alert[], clock: ClockMapping, tz: TimeZone = 'UTC'): string {
  if (alerts.length === 0) return '(no alerts)';
  const off = wallOffset(clock);
  const rows = alerts.map((a) => [peopleTime(a.ts + off, tz), a.severity, a.detector, String(a.pid), String(a.seq), a.title]);
  return `${table([['time', 'severity', 'detector', 'pid', 'seq', 'title'], ...rows], new Set([3, 4]), { rule: true })}\n(${alerts.length} alert${alerts.length === 1 ? '' : 's'})`;
}

export function alertBatch(alerts: readonly Alert[]): RecordBatch {
  const col = <K extends keyof Alert>(k: K): Alert[K][] => alerts.map((a) => a[k]);
  return makeBatch('alert', {
    ts: BigUint64Array.from(col('ts')), seq: BigUint64Array.from(col('seq')), pid: Uint32Array.from(col('pid')),
    detector: col('detector'), version: col('version'), severity: col('severity'), title: col('title'),
    evidence: col('evidence'), related_seqs: col('related_seqs'),
  });
}

/** Stored evidence as JSON text: a recording may hold anything there, and alertJson() splices it in as is. */
function jsonOrString(evidence: string): string {
  try {
    JSON.parse(evidence);
    return evidence;
  } catch {
    return JSON.stringify(evidence);
  }
}

/** The rows of alert batches. */
export function* alertRows(batches: Iterable<RecordBatch>): Generator<Alert> {
  const c = makeCursor('alert');
  for (const b of batches) {
    c.bind(b);
    for (let r = 0; r < b.numRows; r++) {
      c.row = r;
      yield {
        ts: c.ts, seq: c.seq, pid: c.pid, detector: c.detector, version: c.version, severity: c.severity,
        title: c.title, evidence: jsonOrString(c.evidence), related_seqs: c.related_seqs,
      };
    }
  }
}
