// The recorder's memory estimate (record/memory.ts) and `record --max-memory`, which refuses
// to start, naming the flag to lower, before anything is loaded.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/record/defaults.js';
import { BASE_BYTES, DETECT_BASE_BYTES, LANE_SLOT_BYTES, decodedRowBytes, estimateMemory, laneSlots } from '../../src/record/memory.js';
import { recordLayout } from '../../src/schema/layout.js';
import { table } from '../../src/schema/tables.js';
import { ROOT, cli, tempDir } from '../helpers.js';

const MiB = 2 ** 20;

describe('the memory estimate', () => {
  it('sizes the syscall lanes as native/loader.cc does, with bpf/shared.h\'s slot size', () => {
    expect(readFileSync(join(ROOT, 'bpf', 'shared.h'), 'utf8')).toMatch(new RegExp(`#define FR_LANE_SLOT ${LANE_SLOT_BYTES}\\n`));
    expect(laneSlots(32 * MiB, 2)).toBe(65536); // half of 32 MiB over 2 CPUs
    expect(laneSlots(32 * MiB, 3)).toBe(32768); // the largest power of two that fits
    expect(laneSlots(4096, 4)).toBe(8); // never fewer than 8
  });

  it('counts the ring twice, the lanes, a batch of each table recorded, the write queue, the backlog with --detect, and the base', () => {
    // syscall: ts 8, seq 8, cpu 2, pid 4, tid 4, comm 4 + 16, nr 4, arg0..5 48, ret 8, latency_ns 8, returned 1
    expect(decodedRowBytes('syscall')).toBe(115);
    const e = estimateMemory({ ringBytes: 32 * MiB, batchRows: 1000, tables: ['syscall', 'proc'], cpus: 2 });
    const staging = 1000 * (recordLayout(table('syscall')).size + 115 + recordLayout(table('proc')).size + decodedRowBytes('proc'));
    const queue = DEFAULTS.queueBytes;
    expect(e).toEqual({ ring_bytes: 32 * MiB, lane_bytes: 16 * MiB, staging_bytes: staging, queue_bytes: queue, backlog_bytes: 0, base_bytes: BASE_BYTES, total_bytes: 48 * MiB + staging + queue + BASE_BYTES });
    const d = estimateMemory({ ringBytes: 32 * MiB, batchRows: 1000, tables: ['syscall', 'proc'], cpus: 2, backlogRows: 10_000, queueBytes: 8 * MiB });
    expect(d.backlog_bytes).toBe(10_000 * Math.max(115, decodedRowBytes('proc')));
    expect(d.queue_bytes).toBe(8 * MiB);
    expect(d.base_bytes).toBe(DETECT_BASE_BYTES);
    expect(d.total_bytes).toBe(56 * MiB + staging + d.backlog_bytes + DETECT_BASE_BYTES);
  });
});

describe('record --max-memory', () => {
  const refused = (...flags: string[]): string => {
    const out = join(tempDir(), 'rec');
    const r = cli('record', '-o', out, '--all', ...flags);
    expect(r.code, r.stderr).toBe(2);
    expect(existsSync(out)).toBe(false);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    return lines[0]!;
  };

  it('refuses before anything loads, in one line with the estimate and the flag to lower', () => {
    expect(refused('--max-memory', '400M', '--ring-size', '1G')).toMatch(
      /^flightrec: --max-memory 400M: the recorder would use about 1\.8 GiB \(kernel buffers 1\.5 GiB, batches [\d.]+ MiB, write queue 64\.0 MiB, detection backlog 0 B, base 112\.0 MiB\); lower --ring-size or raise --max-memory$/);
    expect(refused('--max-memory', '300M', '--detect')).toMatch(/detection backlog [\d.]+ MiB, base 152\.0 MiB\); lower --detect-backlog or raise --max-memory$/);
    expect(refused('--max-memory', '150M', '--batch-rows', '1000000', '--ring-size', '64K')).toMatch(/; lower --batch-rows \(or fewer --tables\) or raise --max-memory$/);
    expect(refused('--max-memory', '300M', '--write-queue', '1G')).toMatch(/write queue 1\.0 GiB, .*; lower --write-queue or raise --max-memory$/);
    expect(refused('--max-memory', '64M')).toMatch(/; the recorder itself needs about 112\.0 MiB: raise --max-memory$/);
    expect(refused('--max-memory', 'lots')).toMatch(/^flightrec: --max-memory lots: not a size/);
  });
});
