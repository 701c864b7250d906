import { describe, expect, it } from 'vitest';
import { parseTime as sliceTime } from '../../src/cli/slice.js';
import type { Recording } from '../../src/format/recording.js';
import { isoTime, parseTime, peopleTime } from '../../src/text/time.js';

// 2026-12-01T14:21:39.898788670Z
const NS = 1_796_134_899_898_788_670n;

describe('times for programs and for people', () => {
  it('programs get RFC 3339 UTC with nine fraction digits and Z', () => {
    expect(isoTime(NS)).toBe('2026-12-01T14:21:39.898788670Z');
    expect(isoTime(1_796_134_899_000_000_000n)).toBe('2026-12-01T14:21:39.000000000Z');
    expect(isoTime(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
  });

  it('people get a space for the T and the zone written: Z, or the local offset of that instant', () => {
    expect(peopleTime(NS)).toBe('2026-12-01 14:21:39.898788670Z');
    expect(peopleTime(NS, 'UTC')).toBe('2026-12-01 14:21:39.898788670Z');
    // The local zone comes from the process's TZ; the offset written is the one in force then.
    const local = peopleTime(NS, 'local');
    const east = -new Date(Number(NS / 1_000_000n)).getTimezoneOffset();
    expect(local).toMatch(east === 0 ? /Z$/ : /[+-]\d\d:\d\d$/);
    expect(parseTime(local)).toBe(NS);
  });

  it('local time carries the offset in force at that instant, summer time included', () => {
    const before = process.env.TZ;
    process.env.TZ = 'Europe/Paris'; // Node follows a TZ set at run time
    try {
      expect(peopleTime(NS, 'local')).toBe('2026-12-01 15:21:39.898788670+01:00');
      expect(peopleTime(NS - 153n * 86_400n * 1_000_000_000n, 'local')).toBe('2026-07-01 16:21:39.898788670+02:00');
      expect(peopleTime(NS, 'UTC')).toBe('2026-12-01 14:21:39.898788670Z');
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });
});

describe('parseTime reads what any command prints', () => {
  it.each([
    ['2026-12-01T14:21:39.898788670Z', NS], // JSON, CSV, replay
    ['2026-12-01 14:21:39.898788670Z', NS], // tables, live alert lines
    ['2026-12-01 15:21:39.898788670+01:00', NS], // --tz local east of UTC
    ['2026-12-01 09:21:39.898788670-05:00', NS],
    ['2026-12-01T15:21:39.898788670+0100', NS],
    ['2026-12-01T15:21:39.898788670+01', NS], // DuckDB's TIMESTAMPTZ
    ['2026-12-01 14:21:39.89878867', NS], // sql before times carried a zone: UTC
    ['2026-12-01t14:21:39.898788670z', NS],
    ['  2026-12-01T14:21:39.898788670Z\n', NS],
    ['2026-12-01T14:21:39.5Z', 1_796_134_899_500_000_000n],
    ['2026-12-01T14:21:39Z', 1_796_134_899_000_000_000n],
    ['2026-12-01 14:21:39', 1_796_134_899_000_000_000n],
  ])('%s', (text, ns) => {
    expect(parseTime(text)).toBe(ns);
  });

  it.each([
    '', 'garbage', '2026-12-01', '14:21:39', '2026-12-01T14:21Z', '2026-12-01T14:21:39.1234567891Z', '2026-02-30T00:00:00Z',
    '2026-12-01T24:00:00Z', '2026-12-01T14:21:39.Z', '2026-12-01T14:21:39+25:00', '2026-12-01T14:21:39 Z', '1796134899898788670',
  ])('refuses %j', (text) => {
    expect(parseTime(text)).toBeUndefined();
  });
});

describe('slice --from and --to', () => {
  const rec = { manifest: { clock: { monotonic_ns: '1000000000', wall_ns: '1796134899000000000' } } } as unknown as Recording;

  it('a printed time is the ts of the recording at that instant; a bare number is a ts', async () => {
    expect(await sliceTime('--from', '2026-12-01 14:21:39.898788670Z', rec)).toBe(1_898_788_670n);
    expect(await sliceTime('--from', '2026-12-01T15:21:39.898788670+01:00', rec)).toBe(1_898_788_670n);
    expect(await sliceTime('--to', '123', rec)).toBe(123n);
  });

  it('anything else is one line naming the flag and what to give', async () => {
    await expect(sliceTime('--from', 'yesterday', rec)).rejects.toThrow(
      /^--from yesterday: give \+DURATION from the start \(\+30s\), a time as flightrec prints it, such as 2026-12-01T14:21:39\.898788670Z or 2026-12-01 14:21:39\.5\+01:00 \(no zone is UTC\), or a ts in nanoseconds$/);
    await expect(sliceTime('--to', '2026-02-30 00:00:00Z', rec)).rejects.toThrow(/^--to 2026-02-30 00:00:00Z: give /);
  });
});
