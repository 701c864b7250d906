// Gives a table file's decoded batches as its table's declaration: the declared schema over
// the file's columns and, for a file written under an older schema version, a null column
// in place of each column added since. A null column touches no rows: its validity bitmap,
// offsets and values are views of one zeroed buffer that every null column shares (nothing
// writes to a read batch), made again only when a longer batch comes; the null columns are
// made again only when the batch length changes.
import { RecordBatch, Struct, makeData, type Data, type DataType, type Schema } from 'apache-arrow';
import { nullColumn, nullColumnBytes } from './batch.js';
import type { StoredSchema } from './stored-schema.js';

export class BatchWidener {
  private readonly struct: Struct;
  /** Declared columns the file lacks. */
  private readonly missing: number[];
  private zeros = new ArrayBuffer(0);
  private nullsFor = -1;
  private nulls: Data[] = [];

  constructor(private readonly declared: Schema, private readonly stored: StoredSchema) {
    this.struct = new Struct(declared.fields);
    this.missing = stored.present.flatMap((p, i) => (p ? [] : [i]));
  }

  /** The batch with the declared schema, nulls where the file lacks a column. */
  widen(batch: RecordBatch): RecordBatch {
    const length = batch.numRows;
    const children = this.stored.complete ? batch.data.children : this.fill(batch.data.children, length);
    return new RecordBatch(this.declared, makeData({ type: this.struct, length, nullCount: 0, children }));
  }

  private type(i: number): DataType {
    return this.declared.fields[i]!.type as DataType;
  }

  private fill(stored: readonly Data[], length: number): Data[] {
    if (length !== this.nullsFor) {
      const need = Math.max(...this.missing.map((i) => nullColumnBytes(this.type(i), length)));
      if (need > this.zeros.byteLength) this.zeros = new ArrayBuffer(need + (need >> 2));
      this.nulls = this.missing.map((i) => nullColumn(this.type(i), length, this.zeros));
      this.nullsFor = length;
    }
    let j = 0;
    let k = 0;
    return this.stored.present.map((p) => (p ? stored[j++]! : this.nulls[k++]!));
  }
}
