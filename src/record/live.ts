// The live detector tap: batches are queued per table as the recorder hands them over, and at
// each watermark (every row up to it handed over, see the native Flush) the queued rows are
// merged into the total order (ts, seq) and run through the detectors, exactly as replay runs
// them. The alerts go into the recording's alert table and to the sinks.
import type { RecordBatch } from 'apache-arrow';
import { alertBatch } from '../detect/alert.js';
import type { EventTable } from '../detect/api.js';
import type { AlertSink } from '../detect/sinks.js';
import type { Alert, DetectorRuntime } from '../detect/runtime.js';
import { mergeTables } from '../format/merge.js';
import type { RecordingWriter } from '../format/recording-writer.js';
import type { TableName } from '../schema/tables.js';

export class LiveDetection {
  private queued = new Map<EventTable, RecordBatch[]>();
  /** Alerts raised so far. */
  alerts = 0;
  /** Rows that arrived after rows later in the order were already run (their alerts may differ from replay's). */
  late = 0;
  private lastTs = 0n;
  private lastSeq = -1n;

  constructor(
    readonly runtime: DetectorRuntime,
    private readonly writer: RecordingWriter,
    private readonly sinks: readonly AlertSink[],
  ) {}

  batch(table: TableName, batch: RecordBatch): void {
    if (!(this.runtime.tables as string[]).includes(table)) return;
    const list = this.queued.get(table as EventTable) ?? [];
    list.push(batch);
    this.queued.set(table as EventTable, list);
  }

  /** Every row up to a watermark has been handed over: run what is queued. */
  flushed(): void {
    if (this.queued.size === 0) return;
    const sources = [...this.queued].map(([table, batches]) => ({ table, batches }));
    this.queued = new Map();
    for (const run of mergeTables(sources)) {
      const ts = (run.batch.getChild('ts')!.get(run.start) as bigint);
      const seq = (run.batch.getChild('seq')!.get(run.start) as bigint);
      if (ts < this.lastTs || (ts === this.lastTs && seq < this.lastSeq)) this.late += run.end - run.start;
      this.runtime.process(run);
      this.lastTs = run.batch.getChild('ts')!.get(run.end - 1) as bigint;
      this.lastSeq = run.batch.getChild('seq')!.get(run.end - 1) as bigint;
    }
    this.emit(this.runtime.take());
  }

  private emit(alerts: readonly Alert[]): void {
    if (alerts.length === 0) return;
    this.alerts += alerts.length;
    this.writer.append('alert', alertBatch(alerts));
    for (const s of this.sinks) s.write(alerts, this.writer.current.clock);
  }
}
