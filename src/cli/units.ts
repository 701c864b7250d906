// Durations and sizes as a person types them on the command line (`30s`, `1m30s`, `1h`,
// `500ms`, `64M`, `1GiB`): the one parser of every such flag, so each takes the same units.
// A bare number is in the flag's own unit (`--duration 90` is seconds, `--batch-ms 50`
// milliseconds), as the flag's name or help says.
import { UsageError } from '../format/errors.js';

const NS: Readonly<Record<string, bigint>> = {
  ns: 1n, us: 1_000n, µs: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n, d: 86_400_000_000_000n,
};
export type DurationUnit = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h' | 'd';

const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/gy;
const NUMBER = /^\d+(?:\.\d+)?$/;

/** `whole.frac` times `scale`, exactly, rounded down to a whole number. */
function scaled(number: string, scale: bigint): bigint {
  const [whole, frac = ''] = number.split('.');
  const digits = BigInt(frac.length);
  return (BigInt(`${whole}${frac}`) * scale) / 10n ** digits;
}

/** A duration in nanoseconds: `1h30m`, `90s`, `1.5s`, `500ms`, or a bare number in `bare` units. */
export function parseDurationNs(flag: string, v: string, bare: DurationUnit): bigint {
  const s = v.trim();
  const bad = (): never => { throw new UsageError(`${flag} ${v}: not a duration (examples: 30s, 1m30s, 1h, 500ms; a bare number is in ${UNIT_NAMES[bare]})`); };
  if (NUMBER.test(s)) return scaled(s, NS[bare]!);
  if (s === '') bad();
  let total = 0n;
  DURATION_PART.lastIndex = 0;
  let at = 0;
  for (let m; (m = DURATION_PART.exec(s)) !== null; at = DURATION_PART.lastIndex) total += scaled(m[1]!, NS[m[2]!]!);
  if (at !== s.length) bad();
  return total;
}

const UNIT_NAMES: Readonly<Record<DurationUnit, string>> = { ns: 'nanoseconds', us: 'microseconds', ms: 'milliseconds', s: 'seconds', m: 'minutes', h: 'hours', d: 'days' };

/** A positive duration in milliseconds (see parseDurationNs), at most `maxMs`. */
export function parseDurationMs(flag: string, v: string, bare: DurationUnit, maxMs = Number.MAX_SAFE_INTEGER): number {
  const ms = Number(parseDurationNs(flag, v, bare)) / 1e6;
  if (ms <= 0) throw new UsageError(`${flag} ${v}: give a duration longer than 0`);
  if (ms > maxMs) throw new UsageError(`${flag} ${v}: at most ${formatDuration(maxMs)}`);
  return ms;
}

function formatDuration(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

const SIZE = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?$/i;
export type SizeUnit = 'B' | 'K' | 'M' | 'G';

/**
 * A size in bytes: `4096`, `64K`, `32M`, `1.5G`, `1GiB`; K, M, G and T are powers of 1024
 * (with or without `B` or `iB`, as in the kernel's and ls's sizes). A bare number is in `bare`.
 */
export function parseSize(flag: string, v: string, bare: SizeUnit = 'B'): number {
  const m = SIZE.exec(v.trim());
  const unit = m ? (m[2] || (m[3] ? 'B' : bare)).toUpperCase() : '';
  const bytes = m ? scaled(m[1]!, 1024n ** BigInt(' KMGT'.indexOf(unit === 'B' ? ' ' : unit))) : -1n;
  if (!m || bytes <= 0n || bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new UsageError(`${flag} ${v}: not a size (examples: 4096, 64K, 32M, 1G; a bare number is in ${bare === 'B' ? 'bytes' : `${bare}iB`})`);
  }
  return Number(bytes);
}
