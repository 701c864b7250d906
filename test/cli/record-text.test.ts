// What `record` says about losses at the end: the rows each table lost, and which recorded
// tables lost none, in the summary text and in --summary-json.
import { describe, expect, it } from 'vitest';
import { lostRowsText, orList } from '../../src/cli/output.js';
import { summaryJson } from '../../src/cli/record.js';
import { summary } from '../../src/cli/record-text.js';
import type { RecordResult } from '../../src/record/session.js';

const TABLES = ['syscall', 'proc', 'file', 'net', 'dns', 'mem'];

function result(lost: number, lostByTable: Record<string, number>): RecordResult {
  return {
    manifest: { source: { kind: 'kernel', tables: TABLES } },
    reason: 'target exited', elapsedMs: 2000, bytesWritten: 1000, bytesKept: 1000, prunedSegments: 0, pruning: { totalMs: 0, maxMs: 0 },
    peakRssBytes: 1 << 20, cpuUserMs: 1, cpuSystemMs: 1, unavailable: {},
    stats: { rows: { syscall: 1000, proc: 3, file: 20, gap: 4 }, lost, lostByTable, ringBytes: 100_000, malformed: 0, batches: 3, drains: 9, kernelEvents: 1023 + lost },
  } as unknown as RecordResult;
}

describe('the losses record reports', () => {
  it('names the tables that lost rows and the recorded ones that lost none', () => {
    const text = summary('rec', result(812345, { syscall: 812345 }));
    expect(text).toContain('\n  lost      812345 syscall rows; no proc, file, net, dns or mem rows (see the gap table; a larger --ring-size helps)\n');
    const two = summary('rec', result(812350, { syscall: 812345, file: 5 }));
    expect(two).toContain('\n  lost      812345 syscall rows, 5 file rows; no proc, net, dns or mem rows (see the gap table');
  });

  it('says nothing was lost when nothing was', () => {
    expect(summary('rec', result(0, {}))).toContain('\n  lost      0 events\n');
  });

  it('--summary-json: lost_by_table, and the events the kernel made', () => {
    const json = summaryJson('rec', result(812345, { syscall: 812345 })) as { stats: Record<string, unknown> };
    expect(json.stats).toMatchObject({ lost: 812345, lost_by_table: { syscall: 812345 }, kernel_events: 813368 });
  });

  it('words a list and the rows lost', () => {
    expect([orList([]), orList(['a']), orList(['a', 'b']), orList(['a', 'b', 'c'])]).toEqual(['', 'a', 'a or b', 'a, b or c']);
    expect(lostRowsText({ syscall: 7 })).toBe('7 syscall rows');
    expect(lostRowsText({}, ['proc'])).toBe('no proc rows');
    expect(lostRowsText({ syscall: '7', unknown: '2' }, ['syscall', 'proc'])).toBe('7 syscall rows, 2 rows of tables not named (recorded before schema 5); no proc rows');
  });
});
