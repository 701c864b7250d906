// The process that writes one incident recording (incidents.ts): a slice of the recording being
// made, from the window's start to its end, with the incident in its manifest. It reads only
// sealed segments, which the recorder keeps from pruning until this thread is done: each row of
// an incident is proved by a hash in the source's manifest. A process of its own, not a thread:
// what reading and cutting a few minutes of the recording takes is given back when it ends,
// not kept by the recorder's allocator (measured: a recorder that wrote three incidents on
// threads stayed at 650 MiB resident, 290 MiB without them).
import { Recording } from '../format/recording.js';
import { slice } from '../replay/slice.js';

export interface IncidentJob {
  readonly source: string;
  readonly out: string;
  /** The window, ts as decimal text. */
  readonly from: string;
  readonly to: string;
  readonly commandLine: readonly string[];
  /** Stored in the incident's manifest source as `incident`. */
  readonly incident: Record<string, unknown>;
}

export interface IncidentDone {
  readonly rows: number;
  /** The writing process's peak resident memory. */
  readonly peakRssBytes?: number;
  readonly error?: string;
}

function run(job: IncidentJob): IncidentDone {
  const rec = Recording.open(job.source);
  try {
    const r = slice(rec, job.out, { from: BigInt(job.from), to: BigInt(job.to), sealedOnly: true }, job.commandLine, { incident: job.incident });
    return { rows: r.rows };
  } finally {
    rec.close();
  }
}

if (process.send) {
  process.once('message', (job: IncidentJob) => {
    let done: IncidentDone;
    try {
      done = run(job);
    } catch (err) {
      done = { rows: 0, error: (err as Error).message };
    }
    process.send!({ ...done, peakRssBytes: process.resourceUsage().maxRSS * 1024 }, undefined, {}, () => process.disconnect());
  });
}
