import { describe, expect, it } from 'vitest';
import { alertBatch, alertJson, alertLine, alertRows, alertTable } from '../../src/detect/alert.js';
import type { Alert } from '../../src/detect/runtime.js';

const clock = { monotonic_ns: '0', wall_ns: '1764547200000000000' };
const hostile: Alert = {
  ts: 1_000_000_000n, seq: 7n, pid: 42, detector: 'dangerous-exec', version: '1', severity: 'critical',
  title: 'ran /tmp/\x1b]0;pwned\x07\x1b[2J\u009b31m', evidence: JSON.stringify({ path: '/tmp/\x1b]0;pwned\x07' }), related_seqs: [],
};
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

describe('alerts as text', () => {
  it('the live alert line shows control characters escaped, on one line', () => {
    const line = alertLine(hostile, clock);
    expect(line).toBe('2025-12-01 00:00:01.000000000Z CRITICAL  dangerous-exec pid 42: ran /tmp/\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m');
    expect(line).not.toMatch(CONTROL);
    expect(line).not.toContain('\n');
  });

  it('the alert table escapes too; JSON keeps the exact value', () => {
    expect(alertTable([hostile], clock)).toContain('ran /tmp/\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m');
    expect(alertTable([hostile], clock)).not.toMatch(CONTROL);
    const json = JSON.parse(alertJson(hostile, clock)) as { title: string; evidence: { path: string } };
    expect(json.title).toBe(hostile.title);
    expect(json.evidence.path).toBe('/tmp/\x1b]0;pwned\x07');
  });
});

describe('stored alerts', () => {
  it('evidence a recording holds that is not JSON is read as a JSON string, so JSON output stays JSON', () => {
    const stored = [...alertRows([alertBatch([{ ...hostile, evidence: 'naïve-λ", "x": 1' }, hostile])])];
    expect(stored.map((a) => JSON.parse(alertJson(a, clock)).evidence)).toEqual(['naïve-λ", "x": 1', { path: '/tmp/\x1b]0;pwned\x07' }]);
  });
});
