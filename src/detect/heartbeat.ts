// Where a detection thread is, published over shared memory for the thread that supervises
// it: which detector runs (or which detector file loads), the seq of the event it handles,
// and a tick bumped each time a detector is entered. The runtime writes these with plain
// stores (no atomics, no clock reads: a few nanoseconds per event); the supervisor reads them
// while the thread runs and after it was stopped, since the memory outlives the thread.
export type Heartbeat = Int32Array;

/** Slots of a heartbeat. */
export const TICK = 0;
export const PHASE = 1;
/** The detector's index in the thread's list (loading: the spec's index in specList()). */
export const WHO = 2;
export const SEQ_LO = 3;
export const SEQ_HI = 4;
const SLOTS = 5;

/** What the thread is doing: its own work (reading, merging, waiting), or running detector code. */
export const IDLE = 0;
export const LOADING = 1;
export const STARTING = 2;
export const RUNNING = 3;

/** Seq halves meaning "no event" (a u64 seq of all ones is never written). */
const NO_SEQ = -1;

export function newHeartbeat(): Heartbeat {
  const h = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  h[PHASE] = IDLE;
  h[WHO] = -1;
  h[SEQ_LO] = NO_SEQ;
  h[SEQ_HI] = NO_SEQ;
  return h;
}

/** A heartbeat nobody watches: the in-process runtime writes here, so its code path is the same. */
export function unwatchedHeartbeat(): Heartbeat {
  return new Int32Array(SLOTS);
}

/** Detector code that is running: a detector file loading, a detector starting, or handling an event. */
export interface Blame {
  readonly phase: 'loading' | 'starting' | 'running';
  readonly index: number;
  /** The seq of the event being handled (running only). */
  readonly seq: bigint | undefined;
}

/** Who runs now; undefined while the thread does its own work. */
export function blameOf(h: Heartbeat): Blame | undefined {
  const phase = Atomics.load(h, PHASE);
  const index = Atomics.load(h, WHO);
  if (phase === IDLE || index < 0) return undefined;
  const lo = Atomics.load(h, SEQ_LO);
  const hi = Atomics.load(h, SEQ_HI);
  const seq = phase === RUNNING && !(lo === NO_SEQ && hi === NO_SEQ) ? (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) : undefined;
  return { phase: phase === LOADING ? 'loading' : phase === STARTING ? 'starting' : 'running', index, seq };
}

/** Marks detector code as running (loading or starting): the tick moves, the seq is none. */
export function enter(h: Heartbeat, phase: typeof LOADING | typeof STARTING, index: number): void {
  h[SEQ_LO] = NO_SEQ;
  h[SEQ_HI] = NO_SEQ;
  h[WHO] = index;
  h[PHASE] = phase;
  h[TICK] = (h[TICK]! + 1) | 0;
}

export function leave(h: Heartbeat): void {
  h[PHASE] = IDLE;
  h[WHO] = -1;
  h[TICK] = (h[TICK]! + 1) | 0;
}
