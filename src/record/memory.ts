// What a recorder holds in memory, estimated from its options before anything is loaded, so
// `record --max-memory` can refuse to start rather than be killed by a service's memory limit
// halfway through. Each part follows the code that allocates it:
// - the kernel buffers (native/loader.cc): half of --ring-size is the BPF ring buffer (at least
//   a page), counted twice: libbpf maps its data twice in a row (a record that wraps reads as
//   one), and the resident set counts both mappings; the other half is shared out between the
//   possible CPUs as syscall lanes of LANE_SLOT_BYTES slots, each CPU's slot count the largest
//   power of two that fits, at least 8;
// - the batch staging (native/batch.cc): per table recorded, up to --batch-rows kernel records
//   in the arena and the same rows decoded into columns (string tails are not counted: they are
//   a few bytes for most rows, and the measured base covers what the common ones add);
// - the writer thread's queue (format/batch-writer.ts): decoded batches waiting to be written
//   while a burst is compressed, at most --write-queue;
// - live detection's backlog (live.ts): at most --detect-backlog rows copied to the detection
//   thread and not yet run, counted at the widest decoded row of the tables recorded;
// - a measured base: Node, Arrow, the writer and the addon, and with --detect the detection
//   thread and the built-in detectors.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { recordLayout } from '../schema/layout.js';
import { table, type TableName } from '../schema/tables.js';
import { DEFAULTS } from './defaults.js';

/** FR_LANE_SLOT of bpf/shared.h (a test holds them equal). */
export const LANE_SLOT_BYTES = 128;

/**
 * What the recorder uses besides the parts estimated: the peak RSS of `record --all` with the
 * smallest kernel buffers on an idle host, where the staging holds a few rows. Measured with
 * `flightrec record -q --all --duration 5s --ring-size 64K [--detect] -o r --summary-json s.json`
 * (peak_rss_bytes), three runs each on the project's 2-CPU VM with Node 20 (2026-12-02):
 * 111, 101, 102 MiB; with --detect 151, 149, 150 MiB. The highest, rounded up to 8 MiB.
 * Measure again when the recorder's dependencies or the built-in detectors change much.
 */
export const BASE_BYTES = 112 * 2 ** 20;
export const DETECT_BASE_BYTES = 152 * 2 ** 20;

export interface MemoryOptions {
  readonly ringBytes: number;
  readonly batchRows: number;
  readonly tables: readonly TableName[];
  /** Possible CPUs, as libbpf counts them (default: this host's). */
  readonly cpus?: number;
  /** The writer thread's queue bound (default DEFAULTS.queueBytes). */
  readonly queueBytes?: number;
  /** With --detect: live detection's backlog bound. */
  readonly backlogRows?: number;
}

/** Bytes, by what holds them (snake_case: the summary JSON has it). */
export interface MemoryEstimate {
  readonly ring_bytes: number;
  readonly lane_bytes: number;
  readonly staging_bytes: number;
  readonly queue_bytes: number;
  readonly backlog_bytes: number;
  readonly base_bytes: number;
  readonly total_bytes: number;
}

/** The CPUs libbpf sizes per-CPU maps for: /sys/devices/system/cpu/possible, such as `0-3,8-11`. */
export function possibleCpus(): number {
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    let n = 0;
    for (const part of text.split(',')) {
      const [a, b = a] = part.split('-').map(Number);
      if (!Number.isInteger(a) || !Number.isInteger(b) || b! < a!) throw new Error(text);
      n += b! - a! + 1;
    }
    return n;
  } catch {
    return availableParallelism();
  }
}

/** Bytes of one row once decoded into Arrow columns: fixed widths, string offsets, and the inline strings at their longest. */
export function decodedRowBytes(name: TableName): number {
  let n = 0;
  for (const c of table(name).columns) {
    const t = c.type;
    switch (t.kind) {
      case 'int': n += t.bits / 8; break;
      case 'bool': case 'enum': n += 1; break;
      case 'bytes': n += t.width; break;
      case 'string': n += 4 + (t.inline ? t.max : 0); break;
      case 'strings': n += 8; break;
      case 'blob': case 'u64s': n += 4; break;
    }
  }
  return n;
}

/** Syscall lane slots per CPU, as native/loader.cc sizes them. */
export function laneSlots(ringBytes: number, cpus: number): number {
  const fit = Math.floor(ringBytes / 2 / LANE_SLOT_BYTES / cpus);
  let slots = 8;
  while (slots * 2 <= fit) slots *= 2;
  return slots;
}

export function estimateMemory(o: MemoryOptions): MemoryEstimate {
  const cpus = o.cpus ?? possibleCpus();
  const ring = 2 * Math.max(o.ringBytes / 2, 4096);
  const lanes = cpus * laneSlots(o.ringBytes, cpus) * LANE_SLOT_BYTES;
  const kernelTables = o.tables.filter((t) => table(t).source === 'kernel');
  const staging = kernelTables.reduce((n, t) => n + o.batchRows * (recordLayout(table(t)).size + decodedRowBytes(t)), 0);
  const backlog = o.backlogRows === undefined ? 0 : o.backlogRows * Math.max(0, ...kernelTables.map(decodedRowBytes));
  const base = o.backlogRows === undefined ? BASE_BYTES : DETECT_BASE_BYTES;
  const queue = o.queueBytes ?? DEFAULTS.queueBytes;
  return { ring_bytes: ring, lane_bytes: lanes, staging_bytes: staging, queue_bytes: queue, backlog_bytes: backlog, base_bytes: base, total_bytes: ring + lanes + staging + queue + backlog + base };
}
