// Every --json output of the command line speaks one convention: snake_case keys.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RecordingWriter } from '../../src/index.js';
import { summaryJson } from '../../src/cli/record.js';
import type { RecordResult } from '../../src/record/session.js';
import { SyscallWorkload } from '../../src/testing/synthetic.js';
import { cli, tempDir } from '../helpers.js';

/** Keys that are not snake_case anywhere in a JSON value, with their paths. */
function nonSnakeKeys(v: unknown, path = '$'): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => nonSnakeKeys(x, `${path}[${i}]`));
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => [...(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(k) ? [] : [`${path}.${k}`]), ...nonSnakeKeys(x, `${path}.${k}`)]);
}

describe('--json outputs use snake_case keys', () => {
  let rec: string;
  beforeAll(() => {
    rec = join(tempDir(), 'rec');
    const w = RecordingWriter.create(rec);
    w.append('syscall', new SyscallWorkload(3).batch(100));
    w.close();
  });

  it.each([
    ['info', () => ['info', '--json', rec]],
    ['verify', () => ['verify', '--json', rec]],
    ['detectors', () => ['detectors', '--json']],
    ['doctor', () => ['doctor', '--json']],
  ])('%s --json', (_name, args) => {
    const r = cli(...args());
    expect(r.stdout, r.stderr).not.toBe('');
    const json = JSON.parse(r.stdout) as unknown;
    expect(nonSnakeKeys(json)).toEqual([]);
  });

  it('verify --json names what it checked', () => {
    const json = JSON.parse(cli('verify', '--json', rec).stdout) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['ok', 'problems', 'sealed_segments', 'pruned_segments', 'unsealed', 'open', 'chain_head']);
  });

  it('detectors --json lists the built-in detectors', () => {
    const json = JSON.parse(cli('detectors', '--json').stdout) as Array<{ name: string; tables: string[] }>;
    expect(json.length).toBeGreaterThan(0);
    expect(json[0]).toEqual(expect.objectContaining({ name: expect.any(String), version: expect.any(String), description: expect.any(String) }));
  });

  it('record --summary-json', () => {
    const result = {
      reason: 'duration', elapsedMs: 1000, bytesWritten: 10, bytesKept: 10, prunedSegments: 1, pruning: { totalMs: 2, maxMs: 2 }, peakRssBytes: 20, cpuUserMs: 3, cpuSystemMs: 4, unavailable: {},
      incidents: [{ path: 'incidents/20261202T142259.236Z-mark', reason: 'mark', triggerTime: '2026-12-02T14:22:59.236620481Z', triggers: 1, rows: 10, ms: 5, peakRssBytes: 30 }],
      stats: { rows: { syscall: 5, gap: 0 }, lost: 0, lostByTable: {}, ringBytes: 100, malformed: 0, batches: 1, drains: 2, kernelEvents: 5 },
      exit: { code: 0, signal: null },
    } as unknown as RecordResult;
    const json = summaryJson('out', result);
    expect(nonSnakeKeys(json)).toEqual([]);
    expect((json as { stats: Record<string, number> }).stats.ring_bytes).toBe(100);
  });
});
