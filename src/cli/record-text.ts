// What `flightrec record` shows a person: the progress line and the summary at the end. Apart
// from record.ts so that the table renderer (and its display-width tables) loads only when a
// recording runs, not whenever the program is built.
import { describeStop } from '../detect/budgets.js';
import type { Progress, RecordResult } from '../record/session.js';
import { TABLE_NAMES } from '../schema/tables.js';
import { cutToWidth, table } from '../text/table.js';
import { compression, formatBytes, lostRowsText } from './output.js';

const rate = (n: number, ms: number): string => {
  const r = ms > 0 ? (n * 1000) / ms : 0;
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)}M` : r >= 1e3 ? `${(r / 1e3).toFixed(1)}k` : r.toFixed(0);
};

/**
 * The progress line, cut to `width` columns: the kernel's event rate since the last line (its
 * own counters, so the rate does not jump with each drain), losses and bytes written first,
 * then each table's rate, busiest first, as far as they fit.
 */
export function progressLine(p: Progress, last: Progress | undefined, width: number): string {
  const dt = last ? p.elapsedMs - last.elapsedMs : p.elapsedMs;
  const events = p.stats.kernelEvents - (last?.stats.kernelEvents ?? 0);
  const ratio = p.bytesWritten > 0 ? ` (${(p.stats.ringBytes / p.bytesWritten).toFixed(1)}x)` : '';
  const perTable = TABLE_NAMES.filter((t) => t !== 'gap')
    .map((t) => [t, (p.stats.rows[t] ?? 0) - (last?.stats.rows[t] ?? 0)] as const).filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${rate(n, dt)}/s`);
  const line = [`recording ${(p.elapsedMs / 1000).toFixed(1)} s`, `${rate(events, dt)} events/s`, `lost ${p.stats.lost}`,
    `${formatBytes(p.bytesWritten)}${ratio}`, ...perTable].join(' · ');
  return cutToWidth(line, width);
}

/** The tables the recorder was asked for and could record, as its manifest lists them. */
function recordedTables(r: RecordResult): string[] {
  const tables = r.manifest.source?.tables;
  return Array.isArray(tables) ? TABLE_NAMES.filter((t) => t !== 'gap' && tables.includes(t)) : [];
}

export function summary(out: string, r: RecordResult): string {
  const events = Object.entries(r.stats.rows).filter(([t]) => t !== 'gap').reduce((a, [, n]) => a + n, 0);
  const rows = TABLE_NAMES.filter((t) => (r.stats.rows[t] ?? 0) > 0).map((t) => [t, String(r.stats.rows[t]), `${rate(r.stats.rows[t]!, r.elapsedMs)}/s`]);
  const pruned = r.prunedSegments;
  const exit = r.exit ? (r.exit.signal !== null ? `killed by signal ${r.exit.signal}` : `exited with code ${r.exit.code}`) : undefined;
  return [
    `flightrec: recorded ${(r.elapsedMs / 1000).toFixed(2)} s into ${out} (stopped: ${r.reason}${exit ? `; the command ${exit}` : ''})`,
    ...(rows.length ? [table([['table', 'rows', 'rate'], ...rows], new Set([1, 2])).replace(/^/gm, '  ')] : ['  no events']),
    `  lost      ${r.stats.lost > 0 ? `${lostRowsText(r.stats.lostByTable, recordedTables(r))} (see the gap table; a larger --ring-size helps)` : '0 events'}`,
    `  written   ${formatBytes(r.bytesWritten)}${events > 0 ? `, ${(r.bytesWritten / events).toFixed(1)} B/event` : ''}, ${compression(r.stats.ringBytes, r.bytesWritten)}`,
    ...(pruned > 0 ? [`  kept      ${formatBytes(r.bytesKept)}: ${pruned} oldest segment${pruned === 1 ? ' was' : 's were'} pruned (--keep-size/--keep-time)`] : []),
    `  recorder  peak RSS ${formatBytes(r.peakRssBytes)}`,
    ...(r.snapshot ? [`  snapshot  ${r.snapshot.processes} processes running at start, read in ${r.snapshot.ms.toFixed(0)} ms`] : []),
    ...(r.live ? [`  alerts    ${r.live.alerts}${r.live.late > 0 ? ` (${r.live.late} events arrived after their place in the order: replay may differ)` : ''}`] : []),
    ...(r.live?.failures.map((x) => `  detector  ${x.detector} threw at seq ${x.seq}: ${x.message}; it stopped there`) ?? []),
    ...(r.live?.stopped.map((x) => `  detector  ${describeStop(x)}; it was stopped, the others went on`) ?? []),
    ...(r.live?.ended !== undefined ? [`  live      ${r.live.ended}`] : []),
    ...(r.incidents?.map((i) => i.error === undefined
      ? `  incident  ${i.path}: ${i.reason} at ${i.triggerTime}${i.triggers > 1 ? ` (and ${i.triggers - 1} more trigger${i.triggers === 2 ? '' : 's'})` : ''}, ${i.rows} rows`
      : `  incident  ${i.path}: not written: ${i.error}`) ?? []),
  ].join('\n');
}
