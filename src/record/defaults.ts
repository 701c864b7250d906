// The recorder's defaults, apart from the recorder so the command line can show them in its
// help without loading the addon, Arrow and the writer.

export const DEFAULTS = {
  ringBytes: 32 * 1024 * 1024,
  batchRows: 65536,
  batchMs: 250,
  /**
   * Batches queued for the writer thread and not yet written, at most: what a burst may hold in
   * memory while the writer catches up (a producer waits for room beyond it).
   */
  queueBytes: 64 * 1024 * 1024,
  drainMs: 1,
  /** Rows younger than this wait one more drain, so records from other CPUs sort in. */
  holdMs: 5,
  sampleHz: 99,
  /** After a stop signal, how long a launched command gets to exit before recording stops. */
  graceMs: 3000,
  /** After a stop signal, how long live detection gets to finish what it was handed. */
  detectGraceMs: 500,
} as const;

/** Live detection's bound on events waiting for the detectors: about 250 MiB of syscall rows waiting, or a second of the busiest workloads measured here. */
export const DEFAULT_BACKLOG_ROWS = 2_000_000;
