// `flightrec info`: what a recording holds, from its manifest and its unsealed tail.
import type { Command } from 'commander';
import type { RecordingSummary } from '../format/summary.js';
import type { table as Table } from '../text/table.js';
import { parseTime, peopleTime, type TimeZone } from '../text/time.js';
import { damageOption, openRecordingDir, type DamageFlags } from './damaged.js';
import { formatBytes, lostRowsText, plural, say } from './output.js';
import { chooseTz, tzOption } from './tz.js';

/** The summary as text; `table` is the renderer, loaded when a summary is shown rather than with the program. */
function render(s: RecordingSummary, table: typeof Table, tz: TimeZone): string {
  // The summary's times are RFC 3339 UTC, for programs; a person gets them in the zone asked for.
  const shown = (t: string | null): string => (t === null ? '-' : peopleTime(parseTime(t)!, tz));
  const lines = [
    `recording   ${s.path}`,
    `id          ${s.id}`,
    `host        ${s.host.hostname} (${s.host.arch}, Linux ${s.host.kernel_release}, boot ${s.host.boot_id})`,
    `recorder    flightrec ${s.recorder_version}: ${s.command_line.join(' ')}`,
    `state       ${s.state}${s.closed_by === 'seal' ? ' (sealed after a crash by `flightrec seal`)' : ''}`,
    `time        ${shown(s.start)} .. ${shown(s.end)}${s.duration_s === null ? '' : ` (${s.duration_s.toFixed(3)} s)`}${s.pruned.length > 0 ? ', what is kept' : ''}`,
    `events      ${s.rows} rows, ${formatBytes(s.bytes)} on disk${s.compression_ratio === null ? '' : `, compression ${s.compression_ratio.toFixed(1)}x`}`,
    `losses      ${s.gaps === 0 ? 'none' : `${s.lost_events} event${s.lost_events === '1' ? '' : 's'} lost in ${plural(s.gaps, 'gap')}: ${lostRowsText(s.lost_by_table)}`}`,
    `probes      ${s.probes.length === 0 ? 'none' : s.probes.map((p) => String(p.name ?? JSON.stringify(p))).join(', ')}`,
    `segments    ${s.segments.sealed} sealed${s.segments.recovered ? ` (${s.segments.recovered} recovered)` : ''}, ${s.segments.unsealed} unsealed${s.segments.pruned ? `, ${s.segments.pruned} pruned` : ''}`,
    ...prunedLine(s.pruned, shown),
    ...derivedLines(s.derived),
    `integrity   ${s.integrity}${s.integrity === 'unsealed tail' ? ' (the recorder did not close it: run `flightrec seal`)' : ''}; run \`flightrec verify\` to hash every file`,
  ];
  for (const t of s.torn) lines.push(`torn tail   ${t.file} at offset ${t.offset}: ${t.bytes} bytes ignored (${t.reason})`);
  if (s.tables.length > 0) {
    lines.push('', table([
      ['table', 'rows', 'bytes', 'raw', 'ratio'],
      ...s.tables.map((t) => [t.table, String(t.rows), formatBytes(t.bytes), formatBytes(t.raw_bytes), t.bytes > 0 ? `${(t.raw_bytes / t.bytes).toFixed(1)}x` : '-']),
    ], new Set([1, 2, 3, 4])));
  }
  return lines.join('\n');
}

const SHOWN_TRIGGERS = 10;

/** Where a slice or an incident was cut from, and why an incident was made. */
function derivedLines(d: RecordingSummary['derived']): string[] {
  if (!d) return [];
  const lines = [`cut from    ${d.of_id} (${d.of_path})${d.kind === 'slice' ? ': a slice' : ''}`];
  // An incident lists at most 100 triggers; a manifest from elsewhere may list any number.
  for (const t of d.triggers.slice(0, SHOWN_TRIGGERS)) lines.push(`incident    ${t.reason} at ${t.time}${t.what !== null ? `: ${t.what}` : ''}`);
  if (d.triggers.length > SHOWN_TRIGGERS) lines.push(`incident    and ${d.triggers.length - SHOWN_TRIGGERS} more triggers (info --json lists them)`);
  return lines;
}

/** What pruning deleted, in one line: the segments, their rows and bytes, and the time they covered. */
function prunedLine(pruned: RecordingSummary['pruned'], shown: (t: string | null) => string): string[] {
  if (pruned.length === 0) return [];
  const first = pruned[0]!;
  const last = pruned.at(-1)!;
  const rows = pruned.reduce((n, p) => n + p.rows, 0);
  const bytes = pruned.reduce((n, p) => n + p.bytes, 0);
  const which = pruned.length === 1 ? `segment ${first.index}` : `segments ${first.index}..${last.index}`;
  return [`pruned      ${which}: ${rows} rows, ${formatBytes(bytes)}, ${shown(first.start)} .. ${shown(last.end)} (entries and hashes kept in the chain)`];
}

export async function printInfo(dir: string, json: boolean, flags: DamageFlags = {}, tz: TimeZone = 'UTC'): Promise<void> {
  const [{ needsTables, summarize }, { table }] = await Promise.all([import('../format/summary.js'), import('../text/table.js')]);
  // A sealed recording without gap rows is summarized from its manifest, without loading Arrow.
  const rec = await openRecordingDir(dir, flags, needsTables);
  try {
    const s = summarize(rec);
    if (json) console.log(JSON.stringify(s, null, 2));
    else say(render(s, table, tz));
  } finally {
    rec.close();
  }
}

export function register(program: Command): void {
  tzOption(damageOption(program.command('info')
    .description('summarize a recording: time range, rows and bytes per table, losses, integrity')
    .argument('<recording>', 'recording directory')
    .option('--json', 'print JSON')))
    .action((dir: string, opts: DamageFlags & { json?: boolean; tz?: string }) => printInfo(dir, opts.json === true, opts, chooseTz(opts.tz)));
}
