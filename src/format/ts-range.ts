// A table's first and last ts, as the manifest records them per table file.
import type { RecordBatch } from 'apache-arrow';

/** First and last ts over the batches added: the manifest's per-table time range. */
export class TsRange {
  first: bigint | undefined;
  last: bigint | undefined;

  add(batch: RecordBatch): void {
    const child = batch.getChild('ts');
    if (!child) return;
    for (const data of child.data) {
      const v = data.values as BigUint64Array;
      for (let i = data.offset; i < data.offset + data.length; i++) {
        const x = v[i]!;
        if (this.first === undefined || x < this.first) this.first = x;
        if (this.last === undefined || x > this.last) this.last = x;
      }
    }
  }

  get firstString(): string | null {
    return this.first?.toString() ?? null;
  }

  get lastString(): string | null {
    return this.last?.toString() ?? null;
  }
}
