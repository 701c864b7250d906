// Read-ahead decompression on worker threads. Reading a recording is bound by zstd (about
// 1.1 GB/s of output per core here), so the table reader submits each batch body as soon as
// it is read and collects the outputs when apache-arrow reaches that batch. One worker per
// spare core inflates in the background, and the reading thread helps instead of idling:
// when the batch it needs is not ready it takes a queued job itself, the one needed if no
// worker has started it, else the newest. A job is claimed by compare-and-swap on a shared
// state word, so exactly one thread inflates it.
//
// The reader is synchronous (a generator of record batches), so collecting blocks: a worker
// posts its result on a dedicated port and bumps a shared counter; the reader waits on the
// counter with Atomics.wait and takes the message with receiveMessageOnPort.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { packageRoot } from '../paths.js';
import { FrameError, zstdDecode } from './codec.js';

/** A job's state word. */
export const QUEUED = 0;
export const TAKEN = 1;

export interface InflateJob {
  readonly id: number;
  readonly body: Uint8Array;
  /** [offset, length] in `body` of each zstd frame to decompress. */
  readonly frames: ReadonlyArray<readonly [number, number]>;
  /** QUEUED until a thread claims it (TAKEN); over a SharedArrayBuffer. */
  readonly state: Int32Array;
}

/** What a worker posts for each job it claimed. */
export type InflateResult = { readonly id: number; readonly outs: Uint8Array[] } | { readonly id: number; readonly error: string };

type Outcome = { readonly outs: Uint8Array[] } | { readonly error: string };

/** A worker that stops answering for this long is taken to be gone. */
const RESULT_TIMEOUT_MS = 60_000;

interface Lane {
  readonly worker: Worker;
  readonly results: MessagePort;
  /** Bumped by the worker after each result it posts. */
  readonly signal: Int32Array;
}

export interface InflateTicket {
  readonly job: InflateJob;
  readonly lane: Lane;
}

export function inflateFrames(body: Uint8Array, frames: InflateJob['frames']): Uint8Array[] {
  return frames.map(([offset, length]) => zstdDecode(body.subarray(offset, offset + length)));
}

export class InflatePool {
  private readonly lanes: Lane[] = [];
  private nextId = 0;
  /** Submitted and perhaps still queued, oldest first: what the reading thread may take. */
  private pending: InflateTicket[] = [];
  /** Outcomes that arrived (or were inflated here) before their ticket was collected. */
  private readonly done = new Map<number, Outcome>();
  /** Tickets given up on; their answers are dropped when they come. */
  private readonly abandoned = new Set<number>();

  /** How many batches a reader keeps submitted ahead of the one it decodes. */
  readonly depth: number;

  constructor(workers: number) {
    // Compiled JavaScript: under the test runner the sources are TypeScript, the worker is not.
    const script = join(packageRoot(), 'dist/src/format/inflate-worker.js');
    for (let i = 0; i < workers; i++) {
      const { port1, port2 } = new MessageChannel();
      const signal = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Worker(script, { workerData: { results: port2, signal }, transferList: [port2] });
      worker.unref();
      port1.unref();
      this.lanes.push({ worker, results: port1, signal });
    }
    this.depth = 2 * (workers + 1);
  }

  /** Queue the frames of one body, round-robin over the workers. */
  submit(body: Uint8Array, frames: InflateJob['frames']): InflateTicket {
    const job: InflateJob = { id: this.nextId++, body, frames, state: new Int32Array(new SharedArrayBuffer(4)) };
    const lane = this.lanes[job.id % this.lanes.length]!;
    lane.worker.postMessage(job);
    const ticket = { job, lane };
    this.pending.push(ticket);
    return ticket;
  }

  /** The ticket's decompressed frames, in order; blocks until they are ready, helping meanwhile. */
  collect(ticket: InflateTicket): Uint8Array[] {
    const { id } = ticket.job;
    const deadline = Date.now() + RESULT_TIMEOUT_MS;
    for (;;) {
      if (this.claim(ticket)) this.inflateHere(ticket);
      const seen = Atomics.load(ticket.lane.signal, 0);
      this.receive(ticket.lane);
      const outcome = this.done.get(id);
      if (outcome) {
        this.done.delete(id);
        if ('error' in outcome) throw new FrameError(outcome.error);
        return outcome.outs;
      }
      const spare = this.newestQueued();
      if (spare) {
        this.inflateHere(spare);
        continue;
      }
      if (Date.now() > deadline) throw new FrameError(`decompression worker gave no answer in ${RESULT_TIMEOUT_MS / 1000} s`);
      Atomics.wait(ticket.lane.signal, 0, seen, 100);
    }
  }

  /** Give up on a ticket that will not be collected. */
  abandon(ticket: InflateTicket): void {
    const { id } = ticket.job;
    this.pending = this.pending.filter((t) => t !== ticket);
    if (this.claim(ticket)) return; // nobody started it: no answer will come
    if (!this.done.delete(id)) this.abandoned.add(id);
  }

  private claim(ticket: InflateTicket): boolean {
    return Atomics.compareExchange(ticket.job.state, 0, QUEUED, TAKEN) === QUEUED;
  }

  private inflateHere(ticket: InflateTicket): void {
    this.pending = this.pending.filter((t) => t !== ticket);
    let outcome: Outcome;
    try {
      outcome = { outs: inflateFrames(ticket.job.body, ticket.job.frames) };
    } catch (err) {
      outcome = { error: (err as Error).message };
    }
    if (!this.abandoned.delete(ticket.job.id)) this.done.set(ticket.job.id, outcome);
  }

  /** Claim the most recently submitted job no thread has started. */
  private newestQueued(): InflateTicket | undefined {
    while (this.pending.length > 0) {
      const t = this.pending.pop()!;
      if (this.claim(t)) return t;
    }
    return undefined;
  }

  private receive(lane: Lane): void {
    for (let got = receiveMessageOnPort(lane.results); got; got = receiveMessageOnPort(lane.results)) {
      const { id, ...outcome } = got.message as InflateResult;
      if (!this.abandoned.delete(id)) this.done.set(id, outcome);
    }
  }
}

let pool: InflatePool | undefined;

/** The process's pool: a worker per core beside the reading thread (at least one, at most four). */
export function inflatePool(): InflatePool {
  pool ??= new InflatePool(Math.min(4, Math.max(1, availableParallelism() - 1)));
  return pool;
}
