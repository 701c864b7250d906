// `flightrec status`: the recorders running on this host, from the status files they rewrite
// every second (src/record/status.ts); `info` describes a recording itself.
import type { Command } from 'commander';
import type { RecorderStatus } from '../record/status.js';
import { escapeText } from '../text/escape.js';
import { parseTime, peopleTime, type TimeZone } from '../text/time.js';
import { EXIT, formatBytes, plural, say } from './output.js';
import { chooseTz, tzOption } from './tz.js';

/** `3h 2m`, `45s`: how long, to the second. */
function uptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const parts = [[Math.floor(s / 86400), 'd'], [Math.floor(s / 3600) % 24, 'h'], [Math.floor(s / 60) % 60, 'm'], [s % 60, 's']] as const;
  const from = parts.findIndex(([n]) => n > 0);
  return from < 0 ? '0s' : parts.slice(from, from + 2).filter(([n]) => n > 0).map(([n, u]) => `${n}${u}`).join(' ');
}

/** Rows per second as a person reads them: 950, 12.3k, 1.2M. */
function rate(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}

function render(s: RecorderStatus, tz: TimeZone, now: number): string {
  const shown = (t: string | null): string => (t === null ? '-' : peopleTime(parseTime(t)!, tz));
  const { first, last } = s.window;
  const inc = s.incidents;
  return [
    `recording   ${s.recording.path}`,
    `id          ${s.recording.id}`,
    `recorder    pid ${s.pid}, up ${uptime(now - Number(parseTime(s.started_at)! / 1_000_000n))}, ${s.cpu_percent}% CPU, ${formatBytes(s.rss_bytes)} resident`,
    `target      ${s.target}`,
    `window      ${first === null ? 'no segment sealed yet' : `${shown(first)} .. ${shown(last)}`}`,
    `segments    ${s.segments.kept} kept, ${s.segments.pruned} pruned`,
    `disk        ${formatBytes(s.disk.kept_bytes + s.disk.open_bytes)} (${formatBytes(s.disk.kept_bytes)} kept, ${formatBytes(s.disk.open_bytes)} in the open segment)`,
    `rates       ${rate(s.rates.rows_per_s)} rows/s, ${formatBytes(s.rates.bytes_per_s)}/s written (over ${(s.rates.interval_ms / 1000).toFixed(1)} s)`,
    `losses      ${s.lost_rows === 0 ? 'none' : `${plural(s.lost_rows, 'event')} lost`}`,
    ...(inc ? [`incidents   ${inc.dir}: ${inc.written} written, ${inc.pending} pending${inc.last ? `; last ${inc.last.path} (${inc.last.reason}, ${shown(inc.last.trigger_time)})` : ''}`] : []),
  ].join('\n');
}

export async function printStatus(recordings: readonly string[], json: boolean, tz: TimeZone): Promise<number> {
  const [{ readRunning }, { readManifest }] = await Promise.all([import('../record/status.js'), import('../format/manifest.js')]);
  const { running, ignored } = readRunning();
  const note = (line: string): void => console.error(`flightrec: ${escapeText(line)}`);
  for (const line of ignored) note(line);
  let shown = running;
  let code: number = EXIT.ok;
  if (recordings.length > 0) {
    shown = [];
    for (const dir of recordings) {
      const m = readManifest(dir);
      const found = running.find((s) => s.pid === m.writer_pid && s.recording.id === m.id);
      if (found) shown.push(found);
      else {
        note(`${dir}: no recorder is running for it (it was written by pid ${m.writer_pid}; \`flightrec info ${dir}\` describes it)`);
        code = EXIT.failure;
      }
    }
  }
  if (json) console.log(JSON.stringify(shown, null, 2));
  else if (shown.length > 0) say(shown.map((s) => render(s, tz, Date.now())).join('\n\n'));
  else if (recordings.length === 0) say('no flightrec recorder is running');
  return code;
}

export function register(program: Command): void {
  tzOption(program.command('status')
    .description('show the recorders running on this host: window, rates, losses, disk use, CPU, memory and incidents')
    .argument('[recording...]', 'only the recorders of these recording directories (exit 1 when one has none running)')
    .option('--json', 'print JSON: a list of recorders'))
    .action(async (dirs: string[], opts: { json?: boolean; tz?: string }) => process.exit(await printStatus(dirs, opts.json === true, chooseTz(opts.tz))));
}
