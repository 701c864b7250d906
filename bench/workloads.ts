// The recorder benchmarks' workloads (C programs in bench/workloads/, built into
// native/build/workloads by npm run build), each run on CPU1: W1 (2M getppid), W2 (50k file
// create/write/unlink), W3 (2k fork+exec); and the paced getppid storm.
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';

export interface Workload { name: string; key: string; argv: string[] }

const WORK = join(packageRoot(), 'native', 'build', 'workloads');

/** W1–W3; W2 churns files in `scratch`. */
export function workloads(scratch: string): Workload[] {
  return [
    { name: 'W1 syscall storm (2M getppid)', key: 'w1', argv: [join(WORK, 'syscall_storm'), '2000000'] },
    { name: 'W2 file churn (50k create/write/unlink)', key: 'w2', argv: [join(WORK, 'file_churn'), '50000', scratch] },
    { name: 'W3 fork+exec storm (2k)', key: 'w3', argv: [join(WORK, 'fork_exec'), '2000'] },
  ];
}

/** getppid at `rate` calls/s for `seconds` (bench/workloads/paced_storm.c). */
export function pacedStorm(rate: number, seconds: number): Workload {
  return { name: `paced ${rate}/s`, key: `paced${rate}`, argv: [join(WORK, 'paced_storm'), String(rate), String(seconds)] };
}

/** The workload's command, pinned to CPU1. */
export const onCpu1 = (w: Workload): string[] => ['taskset', '-c', '1', ...w.argv];

/** The workload's own timing line ({"workload":..,"ops":..,"loop_ns":..}) from its stderr. */
export function timing(stderr: string): { ops: number; loopNs: number } {
  const m = /\{"workload":"[^"]*","ops":(\d+),"loop_ns":(\d+)\}/.exec(stderr);
  if (!m) throw new Error(`no timing line in: ${stderr.slice(-500)}`);
  return { ops: Number(m[1]), loopNs: Number(m[2]) };
}
