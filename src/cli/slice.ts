// `flightrec slice`: cut a fixture out of a big recording.
import type { Command } from 'commander';
import { UsageError } from '../format/errors.js';
import { wallOffset } from '../format/host.js';
import type { Recording } from '../format/recording.js';
import { TIME_FORMS, parseTime as parseWallTime } from '../text/time.js';
import { damageOption, openRecording, type DamageFlags } from './damaged.js';
import { plural, warn } from './output.js';
import { parseDurationNs } from './units.js';

/**
 * A time as a recording ts: +DURATION from the recording's first event (+90, +1m30s), a wall
 * time as any command prints it (text/time.ts: RFC 3339 or with a space for the T; no zone is
 * UTC), or a raw ts.
 */
export async function parseTime(flag: string, v: string, rec: Recording): Promise<bigint> {
  const s = v.trim();
  if (s.startsWith('+')) {
    const offset = parseDurationNs(flag, s.slice(1), 's');
    const { minTs, summarize } = await import('../format/summary.js');
    const first = summarize(rec).tables.reduce<string | null>((a, t) => minTs(a, t.first_ts), null);
    if (first === null) throw new UsageError(`${flag} ${v}: the recording has no events to count from`);
    return BigInt(first) + offset;
  }
  if (/^\d+$/.test(s)) return BigInt(s);
  const wall = parseWallTime(s);
  if (wall === undefined) throw new UsageError(`${flag} ${v}: give +DURATION from the start (+30s), ${TIME_FORMS}, or a ts in nanoseconds`);
  return wall - wallOffset(rec.manifest.clock);
}

const pidList = (flag: string, vs: readonly string[] | undefined): number[] | undefined => vs?.map((v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} ${v}: not a process id`);
  return n;
});

export function register(program: Command): void {
  damageOption(program.command('slice')
    .description('cut a smaller recording (a fixture) out of a recording: some processes, a process tree, a time range')
    .argument('<recording>', 'recording directory')
    .requiredOption('-o, --output <dir>', 'the new recording')
    .option('--pid <pid...>', 'keep the rows of these processes')
    .option('--tree <pid...>', 'keep the rows of these processes and of all processes forked from them')
    .option('--from <time>', 'keep rows from this time: +DURATION from the first event (+30, +1m30s), a time as sql and replay print it (2026-12-01T14:21:39.898788670Z; a space for the T, fewer digits and +01:00 are fine; no zone is UTC), or a ts')
    .option('--to <time>', 'keep rows up to this time (same forms)'))
    .action(async (dir: string, f: DamageFlags & { output: string; pid?: string[]; tree?: string[]; from?: string; to?: string }) => {
      const { slice } = await import('../replay/slice.js');
      const rec = await openRecording(dir, f);
      const from = f.from !== undefined ? await parseTime('--from', f.from, rec) : undefined;
      const to = f.to !== undefined ? await parseTime('--to', f.to, rec) : undefined;
      if (from !== undefined && to !== undefined && to < from) throw new UsageError('--to is before --from');
      const pids = pidList('--pid', f.pid);
      const trees = pidList('--tree', f.tree);
      const r = slice(rec, f.output, { ...(pids ? { pids } : {}), ...(trees ? { trees } : {}), ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) }, process.argv.slice(1));
      warn(`flightrec: sliced ${plural(r.rows, 'row')}${r.pids ? ` of ${plural(r.pids.length, 'process', 'processes')}` : ''} into ${f.output}`);
    });
}
