// Watches a detection thread's heartbeat from the thread that supervises it. Detector code
// that has not come back for longer than the time budget (the tick has not moved while the
// heartbeat says a detector runs) is an overrun; so is the process's resident memory growing
// by more than twice the memory budget and a fixed allowance for the threads themselves
// (buffers a detector allocates are outside the heap limit the thread runs with). Polled a
// few times a second: the detection thread pays nothing.
import { TICK, blameOf, type Blame, type Heartbeat } from './heartbeat.js';
import type { DetectorBudgets } from './budgets.js';

/** What the detection thread, its read-ahead and its decompression threads hold besides the
 * detectors' heap (about 200 MiB replaying 10M events here). */
const THREADS_ALLOWANCE = 512 * 1024 * 1024;

export interface Overrun {
  readonly reason: 'time' | 'memory';
  /** Who ran when it was noticed; undefined when the thread was doing its own work. */
  readonly blame: Blame | undefined;
}

export interface WatchdogOptions {
  /** Also an overrun: the thread doing its own work, with no detector entered, for this long
   * (replay, where the thread never waits for input). Unset: never. */
  readonly idleLimitMs?: number;
}

export class Watchdog {
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private lastChange = 0;
  private rssStart = 0;

  constructor(
    private readonly beat: Heartbeat,
    private readonly budgets: DetectorBudgets,
    private readonly onOverrun: (o: Overrun) => void,
    private readonly opts: WatchdogOptions = {},
  ) {}

  start(): this {
    this.lastTick = Atomics.load(this.beat, TICK);
    this.lastChange = performance.now();
    this.rssStart = process.memoryUsage.rss();
    // A fifth of the budget (at most 100 ms): a stop comes at most ~1.4 budgets after the stall began.
    const every = Math.max(10, Math.min(100, this.budgets.timeoutMs / 5));
    this.timer = setInterval(() => this.poll(), every);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private poll(): void {
    const now = performance.now();
    const tick = Atomics.load(this.beat, TICK);
    if (tick !== this.lastTick) {
      this.lastTick = tick;
      this.lastChange = now;
    }
    const blame = blameOf(this.beat);
    const still = now - this.lastChange;
    if (blame ? still > this.budgets.timeoutMs : this.opts.idleLimitMs !== undefined && still > this.opts.idleLimitMs) {
      return this.fire({ reason: 'time', blame });
    }
    if (process.memoryUsage.rss() - this.rssStart > 2 * this.budgets.memoryMb * 1024 * 1024 + THREADS_ALLOWANCE) this.fire({ reason: 'memory', blame });
  }

  private fire(o: Overrun): void {
    this.stop();
    this.onOverrun(o);
  }
}
