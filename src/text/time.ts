// Times as flightrec writes and reads them, the one place they are turned to text and back.
// Programs get RFC 3339 UTC with nine fraction digits and `Z` (2026-12-01T14:21:39.898788670Z):
// one fixed-width form that sorts as text and keeps every nanosecond of the kernel's clock.
// People get the same instant with a space for the T, in UTC or the local zone, and the zone is
// always written (Z or +01:00) so a time read off a screen is never ambiguous. parseTime reads
// back what any command prints; the SQL side of the same is the ts_of() macro (analyze/session.ts).

/** The zone times are shown to people in: `--tz UTC` (the default) or `--tz local`. */
export type TimeZone = 'UTC' | 'local';

export const TIME_ZONES: readonly TimeZone[] = ['UTC', 'local'];

const NS_PER_S = 1_000_000_000n;

/** Nanoseconds since the epoch split into whole milliseconds and the second's nanoseconds (both floored, for times before 1970 too). */
function split(ns: bigint): { ms: number; frac: string } {
  const frac = ((ns % NS_PER_S) + NS_PER_S) % NS_PER_S;
  return { ms: Number((ns - frac) / 1_000_000n), frac: frac.toString().padStart(9, '0') };
}

/** Wall-clock nanoseconds since the epoch as RFC 3339 UTC with nanoseconds: what JSON, CSV and replay output carry. */
export function isoTime(wallNs: bigint): string {
  const { ms, frac } = split(wallNs);
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

/** `+01:00` for an offset east of UTC in minutes; `Z` for none. */
function zoneText(minutes: number): string {
  if (minutes === 0) return 'Z';
  const m = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** Wall-clock nanoseconds as people read them: `2026-12-01 14:21:39.898788670Z`, or local time with its offset (`+01:00`). */
export function peopleTime(wallNs: bigint, tz: TimeZone = 'UTC'): string {
  // The local offset of that instant (summer time included), as the host's zone rules give it.
  const east = tz === 'UTC' ? 0 : -new Date(split(wallNs).ms).getTimezoneOffset();
  const { ms, frac } = split(wallNs + BigInt(east) * 60n * NS_PER_S);
  return `${new Date(ms).toISOString().slice(0, 10)} ${new Date(ms).toISOString().slice(11, 19)}.${frac}${zoneText(east)}`;
}

/** What parseTime reads, for messages that ask for a time. */
export const TIME_FORMS = 'a time as flightrec prints it, such as 2026-12-01T14:21:39.898788670Z or 2026-12-01 14:21:39.5+01:00 (no zone is UTC)';

const TIME = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d\d)(?::?(\d\d))?)?$/;

/**
 * Wall-clock nanoseconds of a time in any form a command prints: RFC 3339 (T or a space, `Z`
 * or an offset such as +01:00, +0100 or +01) with up to nine fraction digits; without a zone
 * it is UTC (as `sql` printed its times before they carried one). Undefined when it is none.
 */
export function parseTime(text: string): bigint | undefined {
  const m = TIME.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, , sign, zh, zm] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  // Date.UTC carries an out-of-range field into the next one (Feb 30 is Mar 2): such a time is not one.
  const back = new Date(ms);
  if (back.getUTCFullYear() !== Number(y) || back.getUTCMonth() !== Number(mo) - 1 || back.getUTCDate() !== Number(d)
    || back.getUTCHours() !== Number(h) || back.getUTCMinutes() !== Number(mi) || back.getUTCSeconds() !== Number(s)) return undefined;
  if (Number(zh ?? 0) > 23 || Number(zm ?? 0) > 59) return undefined;
  const offsetMin = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm ?? 0));
  return BigInt(ms) * 1_000_000n + BigInt((frac ?? '').padEnd(9, '0')) - BigInt(offsetMin) * 60n * NS_PER_S;
}
