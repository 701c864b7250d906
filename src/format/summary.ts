// What `flightrec info` reports: computed from the manifest for sealed segments and by
// scanning the unsealed tail, so a crashed recording is described as well as a closed one.
// Rows, bytes and times are of what is kept; pruned segments are listed apart.
// Loads no Arrow itself: a sealed recording without gap rows is summarized from its
// RecordingDir alone (needsTables() says when a Recording is needed).
import { LOSSY_TABLES, TABLE_NAMES, type TableName } from '../schema/tables.js';
import { chainBreaks, chainHead, closeBroken } from './chain.js';
import { wallOffset } from './host.js';
import { isoTime } from '../text/time.js';
import { isPruned, keptSegments, segmentsTsRange, type Manifest, type SegmentEntry } from './manifest.js';
import { segmentBytes } from './prune.js';
import type { Recording } from './recording.js';
import type { RecordingDir, TornReport } from './recording-dir.js';
import { TsRange } from './ts-range.js';

export interface TableSummary {
  table: string;
  rows: number;
  bytes: number;
  raw_bytes: number;
  first_ts: string | null;
  last_ts: string | null;
}

/** A segment whose files were deleted to keep the recording within its bound; its entry stays chained. */
export interface PrunedSegment {
  index: number;
  start: string | null;
  end: string | null;
  rows: number;
  bytes: number;
  pruned_at: string;
}

export interface RecordingSummary {
  path: string;
  id: string;
  host: Manifest['host'];
  recorder_version: string;
  command_line: readonly string[];
  targets: Manifest['targets'];
  probes: Manifest['probes'];
  state: Manifest['state'];
  closed_by: Manifest['closed_by'];
  start: string | null;
  end: string | null;
  duration_s: number | null;
  tables: TableSummary[];
  rows: number;
  bytes: number;
  raw_bytes: number;
  compression_ratio: number | null;
  gaps: number;
  lost_events: string;
  /** The rows each table lost, for those that lost any, in table order; `unknown`: gap rows of recordings before schema 5, which do not say. */
  lost_by_table: Record<string, string>;
  /** Sealed segments kept (pruned ones not counted), those pruned, and the unsealed tail. */
  segments: { sealed: number; pruned: number; unsealed: number; recovered: number };
  pruned: PrunedSegment[];
  torn: TornReport[];
  /** Manifest-level integrity (chain and listing); `flightrec verify` also hashes every file. */
  integrity: 'chain ok' | 'chain broken' | 'damaged' | 'unsealed tail';
  chain_head: string | null;
  /** A slice or an incident recording: the recording it was cut from, and an incident's triggers. */
  derived: Derivation | null;
}

export interface Derivation {
  readonly kind: 'slice' | 'incident';
  readonly of_id: string;
  readonly of_path: string;
  /** An incident's triggers: why (alert, mark, signal), when, and what (the alert's title or the mark's note). */
  readonly triggers: ReadonlyArray<{ readonly reason: string; readonly time: string; readonly what: string | null }>;
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Where a slice or an incident recording was cut from, as its manifest's source says (read field by field: any writer may have made it). */
function derivation(m: Manifest): Derivation | null {
  const of = m.source?.slice_of as Record<string, unknown> | undefined;
  const id = text(of?.id);
  const path = text(of?.path);
  if (id === null || path === null) return null;
  const incident = m.source?.incident as { triggers?: unknown } | undefined;
  if (!Array.isArray(incident?.triggers)) return { kind: 'slice', of_id: id, of_path: path, triggers: [] };
  const triggers = (incident.triggers as unknown[]).filter((t): t is Record<string, unknown> => typeof t === 'object' && t !== null)
    .map((t) => ({ reason: text(t.reason) ?? '?', time: text(t.time) ?? '?', what: text(t.title) ?? text(t.note) }));
  return { kind: 'incident', of_id: id, of_path: path, triggers };
}

export const minTs = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : BigInt(a) < BigInt(b) ? a : b);
export const maxTs = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : BigInt(a) > BigInt(b) ? a : b);

/** Whether summarize() must read table files (an unsealed tail, or gap rows to total): then it needs a Recording. */
export function needsTables(rec: RecordingDir): boolean {
  return rec.segments().some((s) => !s.entry || (s.entry.tables.gap !== undefined && !rec.leftOut(s.name, 'gap')));
}

export function summarize(given: RecordingDir): RecordingSummary {
  const rec = given as Recording;
  if (needsTables(given) && typeof rec.batches !== 'function') throw new Error('summarize: this recording\'s tables must be read: open it as a Recording');
  const m = rec.manifest;
  const byTable = new Map<string, TableSummary>();
  const add = (name: string, t: Omit<TableSummary, 'table'>): void => {
    const s = byTable.get(name) ?? { table: name, rows: 0, bytes: 0, raw_bytes: 0, first_ts: null, last_ts: null };
    s.rows += t.rows;
    s.bytes += t.bytes;
    s.raw_bytes += t.raw_bytes;
    s.first_ts = minTs(s.first_ts, t.first_ts);
    s.last_ts = maxTs(s.last_ts, t.last_ts);
    byTable.set(name, s);
  };
  const segments = rec.segments();
  for (const seg of segments) for (const [name, t] of Object.entries(seg.entry?.tables ?? {})) if (!rec.leftOut(seg.name, name as TableName)) add(name, t);
  const torn: TornReport[] = [];
  const unsealedSegments = segments.filter((s) => !s.entry);
  for (const seg of unsealedSegments) {
    for (const table of TABLE_NAMES) {
      const f = rec.tableFile(seg, table);
      if (!f) continue;
      try {
        const ts = new TsRange();
        for (const batch of f.recordBatches()) ts.add(batch);
        add(table, { rows: f.rows, bytes: f.completeBytes, raw_bytes: f.rawBytes, first_ts: ts.firstString, last_ts: ts.lastString });
        if (f.torn) torn.push({ file: f.path, ...f.torn });
      } finally {
        f.close();
      }
    }
  }
  const tables = [...byTable.values()];
  const first = tables.reduce<string | null>((a, t) => minTs(a, t.first_ts), null);
  const last = tables.reduce<string | null>((a, t) => maxTs(a, t.last_ts), null);
  let gaps = 0;
  const lostIn = new Map<string, bigint>();
  if (byTable.has('gap')) {
    for (const batch of rec.batches('gap' as TableName)) {
      gaps += batch.numRows;
      const lost = batch.getChild('lost')!;
      const of = batch.getChild('table')!;
      for (let i = 0; i < batch.numRows; i++) {
        const t = of.isValid(i) ? LOSSY_TABLES[of.get(i) as number] ?? 'unknown' : 'unknown';
        lostIn.set(t, (lostIn.get(t) ?? 0n) + (lost.get(i) as bigint));
      }
    }
  }
  const lost = [...lostIn.values()].reduce((a, n) => a + n, 0n);
  const lostByTable = Object.fromEntries([...LOSSY_TABLES, 'unknown'].filter((t) => lostIn.has(t)).map((t) => [t, lostIn.get(t)!.toString()]));
  const chainOk = chainBreaks(m).length === 0 && !closeBroken(m);
  const wall = (ts: string | null): string | null => (ts === null ? null : isoTime(BigInt(ts) + wallOffset(m.clock)));
  const kept = keptSegments(m);
  const rows = tables.reduce((n, t) => n + t.rows, 0);
  const bytes = tables.reduce((n, t) => n + t.bytes, 0);
  const raw = tables.reduce((n, t) => n + t.raw_bytes, 0);
  return {
    path: rec.dir, id: m.id, host: m.host, recorder_version: m.recorder_version, command_line: m.command_line,
    targets: m.targets, probes: m.probes, state: m.state, closed_by: m.closed_by,
    start: wall(first),
    end: wall(last),
    duration_s: first === null || last === null ? null : Number(BigInt(last) - BigInt(first)) / 1e9,
    tables, rows, bytes, raw_bytes: raw, compression_ratio: bytes > 0 ? raw / bytes : null,
    gaps, lost_events: lost.toString(), lost_by_table: lostByTable,
    segments: { sealed: kept.length, pruned: m.segments.length - kept.length, unsealed: unsealedSegments.length, recovered: kept.filter((s) => s.recovered).length },
    pruned: m.segments.filter(isPruned).map((s) => prunedSummary(s, wall)),
    torn, integrity: !chainOk ? 'chain broken' : rec.damage.length > 0 ? 'damaged' : unsealedSegments.length > 0 || m.state === 'recording' ? 'unsealed tail' : 'chain ok',
    chain_head: chainHead(m),
    derived: derivation(m),
  };
}

/** The first and last ts of the events in sealed segments, as the manifest lists them. */
function prunedSummary(s: SegmentEntry, wall: (ts: string | null) => string | null): PrunedSegment {
  const tables = Object.values(s.tables);
  const { first, last } = segmentsTsRange([s]);
  return {
    index: s.index,
    start: wall(first),
    end: wall(last),
    rows: tables.reduce((n, t) => n + t.rows, 0),
    bytes: segmentBytes(s),
    pruned_at: s.pruned_at!,
  };
}
