// An inflate worker (see inflate-pool.ts): takes each job unless the reading thread already
// has, decompresses its zstd frames and posts the outputs back, transferred, on its result port.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { QUEUED, TAKEN, inflateFrames, type InflateJob, type InflateResult } from './inflate-pool.js';

const { results, signal } = workerData as { results: MessagePort; signal: Int32Array };

/** A view that spans its whole ArrayBuffer, so it can be transferred (small Buffers share a pool). */
function owned(view: Uint8Array): Uint8Array {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view : new Uint8Array(view);
}

parentPort!.on('message', (job: InflateJob) => {
  if (Atomics.compareExchange(job.state, 0, QUEUED, TAKEN) !== QUEUED) return;
  try {
    const outs = inflateFrames(job.body, job.frames).map(owned);
    results.postMessage({ id: job.id, outs } satisfies InflateResult, outs.map((o) => o.buffer as ArrayBuffer));
  } catch (err) {
    results.postMessage({ id: job.id, error: (err as Error).message } satisfies InflateResult);
  }
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
