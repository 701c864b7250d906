// A worker thread that runs detectors, under a watchdog. It gets a heartbeat (heartbeat.ts)
// to mark detector code on, and a JavaScript heap limited to the memory budget, so a
// detector that runs out of it ends this thread with an error instead of aborting the
// process. Every way the thread can end other than being stopped here becomes one typed end
// naming who ran: an overrun of either budget, or a crash (an uncaught error, an exit).
import { Worker } from 'node:worker_threads';
import type { DetectorBudgets } from './budgets.js';
import { blameOf, newHeartbeat, type Blame, type Heartbeat } from './heartbeat.js';
import { Watchdog, type WatchdogOptions } from './watchdog.js';

export type ThreadEnd =
  | { readonly reason: 'time' | 'memory'; readonly blame: Blame | undefined }
  | { readonly reason: 'crash'; readonly blame: Blame | undefined; readonly message: string };

export interface ThreadHandlers<Out> {
  message(m: Out): void;
  /** The thread ended by itself or overran a budget (it is stopped then), and is gone: its
   * memory is free for the next one. Not called after stop(). */
  end(e: ThreadEnd): void;
}

/** How long stop() waits for the thread to go before it lets it be (it is stopped at exit anyway). */
const STOP_WAIT_MS = 2000;

export class DetectorThread<In, Out> {
  readonly heartbeat: Heartbeat = newHeartbeat();
  private readonly worker: Worker;
  private readonly watchdog: Watchdog;
  private done = false;
  /** How it ended, told once the thread is gone. */
  private ending: ThreadEnd | undefined;

  /** `data` becomes the thread's workerData, with `heartbeat` added. */
  constructor(script: string, data: object, budgets: DetectorBudgets, private readonly handlers: ThreadHandlers<Out>, opts: WatchdogOptions = {}) {
    this.worker = new Worker(script, {
      workerData: { ...data, heartbeat: this.heartbeat },
      resourceLimits: { maxOldGenerationSizeMb: budgets.memoryMb },
      // What detectors print goes to stderr: stdout carries the alerts.
      stdout: true,
    });
    this.worker.stdout.pipe(process.stderr, { end: false });
    this.worker.on('message', (m: Out) => {
      if (!this.done) this.handlers.message(m);
    });
    this.worker.on('error', (err: Error & { code?: string }) => {
      const blame = blameOf(this.heartbeat);
      this.ending ??= err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? { reason: 'memory', blame } : { reason: 'crash', blame, message: err?.message ?? String(err) };
    });
    this.worker.on('exit', (code) => this.finish(this.ending ?? { reason: 'crash', blame: blameOf(this.heartbeat), message: `exit code ${code}` }));
    this.watchdog = new Watchdog(this.heartbeat, budgets, (o) => {
      this.ending ??= o;
      this.watchdog.stop();
      // Told when it has gone (exit), or after a while if it does not go.
      setTimeout(() => this.finish(o), STOP_WAIT_MS).unref();
      void this.worker.terminate();
    }, opts).start();
  }

  post(message: In, transfer: ArrayBuffer[] = []): void {
    if (!this.done) this.worker.postMessage(message, transfer);
  }

  /** Stops the thread (no end is reported); resolves once it is gone, or after a while if it does not go. */
  async stop(): Promise<void> {
    this.done = true;
    this.watchdog.stop();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.worker.terminate(), new Promise<void>((r) => { timer = setTimeout(r, STOP_WAIT_MS); timer.unref(); })]);
    clearTimeout(timer);
  }

  private finish(e: ThreadEnd): void {
    if (this.done) return;
    this.done = true;
    this.watchdog.stop();
    this.handlers.end(e);
  }
}
