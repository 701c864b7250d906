// Durations and sizes: one parser for every flag, units everywhere, one-line errors naming the flag.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/format/errors.js';
import { parseDurationMs, parseDurationNs, parseSize } from '../../src/cli/units.js';
import { cli, tempDir } from '../helpers.js';

describe('durations', () => {
  it.each([
    ['1m', 60_000], ['30s', 30_000], ['1h', 3_600_000], ['1h30m', 5_400_000], ['1m30s', 90_000], ['1.5s', 1500],
    ['500ms', 500], ['90', 90_000], ['0.25', 250], ['2d', 172_800_000], [' 10s ', 10_000],
  ])('%s is %d ms (bare numbers in seconds)', (v, ms) => {
    expect(parseDurationMs('--duration', v, 's')).toBe(ms);
  });

  it('a bare number is in the flag\'s unit', () => {
    expect(parseDurationMs('--batch-ms', '50', 'ms')).toBe(50);
    expect(parseDurationMs('--batch-ms', '1s', 'ms')).toBe(1000);
  });

  it('is exact in nanoseconds', () => {
    expect(parseDurationNs('--from', '1.000000001', 's')).toBe(1_000_000_001n);
    expect(parseDurationNs('--from', '1m0.5s', 's')).toBe(60_500_000_000n);
  });

  it.each(['', '1x', 'm', '1 m', '-1s', '1s2', 'soon', '1e3'])('refuses %j in one line naming the flag', (v) => {
    expect(() => parseDurationMs('--duration', v, 's')).toThrow(UsageError);
    expect(() => parseDurationMs('--duration', v, 's')).toThrow(new RegExp(`^--duration ${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a duration \\(examples: 30s`));
  });

  it('refuses zero and what is past the flag\'s limit', () => {
    expect(() => parseDurationMs('--duration', '0s', 's')).toThrow('--duration 0s: give a duration longer than 0');
    expect(() => parseDurationMs('--detector-timeout', '2d', 's', 86_400_000)).toThrow('--detector-timeout 2d: at most 24h');
  });
});

describe('sizes', () => {
  it.each([
    ['4096', 4096], ['64K', 65_536], ['64M', 64 * 2 ** 20], ['64MiB', 64 * 2 ** 20], ['64mb', 64 * 2 ** 20], ['1G', 2 ** 30], ['1.5G', 1.5 * 2 ** 30], ['2T', 2 * 2 ** 40], ['512B', 512],
  ])('%s is %d bytes', (v, n) => {
    expect(parseSize('--ring-size', v)).toBe(n);
  });

  it('a bare number is in the flag\'s unit', () => {
    expect(parseSize('--detector-memory', '128', 'M')).toBe(128 * 2 ** 20);
    expect(parseSize('--detector-memory', '1G', 'M')).toBe(2 ** 30);
  });

  it.each(['', '0', 'big', '64Q', '-1M', '1e6'])('refuses %j in one line naming the flag', (v) => {
    expect(() => parseSize('--ring-size', v)).toThrow(new RegExp(`^--ring-size ${v}: not a size \\(examples: 4096, 64K`));
  });
});

describe('on the command line', () => {
  it('record refuses a bad --duration before it starts, in one line, exit 2', () => {
    const r = cli('record', '-o', `${tempDir()}/rec`, '--duration', '1x', '--all');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('flightrec: --duration 1x: not a duration (examples: 30s, 1m30s, 1h, 500ms; a bare number is in seconds)\n');
  });

  it.each([
    [['--segment-size', '0'], '--segment-size 0: not a size (examples: 4096, 64K, 32M, 1G; a bare number is in bytes)'],
    [['--segment-time', '5x'], '--segment-time 5x: not a duration (examples: 30s, 1m30s, 1h, 500ms; a bare number is in seconds)'],
    [['--keep-size', 'lots'], '--keep-size lots: not a size (examples: 4096, 64K, 32M, 1G; a bare number is in bytes)'],
    [['--keep-time', '0s'], '--keep-time 0s: give a duration longer than 0'],
    [['--keep-size', '2M', '--segment-size', '4M'], '--keep-size 2M: less than one segment (4.0 MiB), so every sealed segment would be deleted at once; give a larger --keep-size or a smaller --segment-size'],
  ])('record refuses %j before it starts, in one line naming the argument, exit 2', (flags, message) => {
    const r = cli('record', '-o', `${tempDir()}/rec`, '--all', ...flags);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`flightrec: ${message}\n`);
  });

  it('replay takes budgets with units', () => {
    const r = cli('replay', tempDir(), '--detector-timeout', '1x');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^flightrec: --detector-timeout 1x: not a duration/);
  });
});
