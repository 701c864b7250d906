// What a detector may spend before it is stopped, and how a stop is told. The defaults are
// far above what the built-in detectors need (bench:replay on 10M events: the longest run of
// events took all of them together 46 ms, their heap peaked at 40 MiB), so a detector meets
// them only by looping or by growing without bound.

export interface DetectorBudgets {
  /** Longest a detector may take over one batch of events (or to load, or to start). */
  readonly timeoutMs: number;
  /** The detection thread's JavaScript heap, MiB. Buffers live outside it: the process's
   * resident memory may grow by twice this (and 512 MiB for the threads) while detecting. */
  readonly memoryMb: number;
}

export const DEFAULT_BUDGETS: DetectorBudgets = { timeoutMs: 10_000, memoryMb: 1024 };

/** Why the watchdog stopped a detector. */
export type StopReason = 'time' | 'memory' | 'crash';

/** A detector the watchdog stopped: it is left out, and the others go on. */
export interface DetectorStop {
  readonly detector: string;
  readonly reason: StopReason;
  /** The seq of the event it was handling, where known. */
  readonly seq: bigint | undefined;
  /** It was starting (create()), not handling events. */
  readonly starting: boolean;
  /** What it did, for people: "took more than 10 s on one batch of events". */
  readonly what: string;
}

/** What overrunning a budget is called in messages; `phase`: what the detector was doing. */
export function overrun(reason: StopReason, budgets: DetectorBudgets, phase: 'loading' | 'starting' | 'running', crash?: string): string {
  if (reason === 'time') return `took more than ${budgets.timeoutMs / 1000} s ${phase === 'loading' ? 'to load' : phase === 'starting' ? 'to start' : 'on one batch of events'}`;
  if (reason === 'memory') return `ran out of the ${budgets.memoryMb} MiB detector memory budget`;
  return `ended the detection thread (${crash ?? 'no reason given'})`;
}

/** The detector, what it did, and where: "looper took more than 10 s on one batch of events at seq 42". */
export function describeStop(s: DetectorStop): string {
  return `${s.detector} ${s.what}${s.seq !== undefined ? ` at seq ${s.seq}` : s.starting && s.reason !== 'time' ? ' while starting' : ''}`;
}
