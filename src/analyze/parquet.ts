// Arrow IPC batches to Parquet, copying what needs no re-encoding: one row group per batch,
// one data page per column (see parquet-pages.ts), with min/max statistics so DuckDB skips
// row groups. This is what makes the query cache cheap to build: most bytes are copied, not
// decompressed and compressed again. Every file has the table's declared schema: a column
// that a file written under an older schema version lacks is written as nulls.
import { createHash } from 'node:crypto';
import { closeSync } from 'node:fs';
import type { Schema } from 'apache-arrow';
import type { RecordBatch as RecordBatchHeader } from 'apache-arrow/ipc/metadata/message';
import { writeAll } from '../format/confined-dir.js';
import type { StoredSchema } from '../format/stored-schema.js';
import { BodyReader, Scratch } from './ipc-body.js';
import { ENCODING, columnPage, nullPage, type Page } from './parquet-pages.js';
import { parquetSchema, type Leaf } from './parquet-schema.js';
import { binary, bool, encodeStruct, i32, i64, list, struct, type ThriftStruct, type ThriftValue } from './thrift.js';

const MAGIC = Buffer.from('PAR1');
const CODEC = { UNCOMPRESSED: 0, ZSTD: 6 } as const;
const PAGE = { DICTIONARY: 2, DATA_V2: 3 } as const;

interface ColumnWritten {
  readonly meta: ThriftStruct;
}

/** Writes one Parquet file from batches of one Arrow schema, hashing what it writes. */
export class ParquetWriter {
  private offset = 0;
  private readonly hash = createHash('sha256');
  /** SHA-256 of the file, once close() has written it. */
  sha256: string | undefined;

  /** Bytes written so far. */
  get bytes(): number {
    return this.offset;
  }
  private readonly leaves: Leaf[];
  private readonly elements: ThriftValue[];
  private readonly rowGroups: ThriftValue[] = [];
  private rows = 0;
  private closed = false;
  private readonly scratch = new Scratch();

  /**
   * `fd`: a new file the caller created (and removes if this fails); `path` names it in errors.
   * `bounded`: the columns whose every value is read for its bounds even where the page is
   * copied as stored (those that follow time: decoding every int column for bounds that
   * rarely skip anything slowed the build by 40%); columns decoded anyway are always bounded.
   */
  constructor(private readonly fd: number, readonly path: string, private readonly schema: Schema, private readonly meta: Readonly<Record<string, string>> = {}, private readonly bounded: ReadonlySet<string> = new Set()) {
    ({ elements: this.elements, leaves: this.leaves } = parquetSchema(schema));
    this.write(MAGIC);
  }

  private write(b: Uint8Array): void {
    writeAll(this.fd, b, this.path);
    this.hash.update(b);
    this.offset += b.length;
  }

  /** One record batch, still as its IPC metadata and compressed body; `stored` maps its file's columns onto the schema. */
  writeBatch(header: RecordBatchHeader, body: Buffer, stored: StoredSchema, file: string): void {
    const rows = Number(header.length);
    if (rows === 0) return;
    const reader = new BodyReader(header, body, file);
    const columns: ThriftValue[] = [];
    let total = 0;
    this.schema.fields.forEach((_, i) => {
      const page = stored.present[i] ? columnPage(stored.checked.fields[i]!, reader, rows, { scratch: this.scratch, bound: this.bounded.has(this.schema.fields[i]!.name) }) : nullPage(this.leaves[i]!, rows);
      const written = this.writePage(this.leaves[i]!, page, rows);
      total += written.uncompressed;
      columns.push(struct([[2, i64(written.start)], [3, struct(written.meta)]]));
    });
    this.rowGroups.push(struct([[1, list('struct', columns)], [2, i64(total)], [3, i64(rows)]]));
    this.rows += rows;
  }

  private writePage(leaf: Leaf, page: Page, rows: number): ColumnWritten & { start: number; uncompressed: number } {
    const start = this.offset;
    let uncompressed = 0;
    if (page.dictionary) {
      const dict = page.dictionary;
      const header = encodeStruct([
        [1, i32(PAGE.DICTIONARY)],
        [2, i32(dict.rawBytes)],
        [3, i32(dict.values.length)],
        [7, struct([[1, i32(dict.count)], [2, i32(ENCODING.PLAIN)]])],
      ]);
      this.write(header);
      this.write(dict.values);
      uncompressed += header.length + dict.rawBytes;
    }
    const dataStart = this.offset;
    const levels = page.rep.length + page.def.length;
    const header = encodeStruct([
      [1, i32(PAGE.DATA_V2)],
      [2, i32(levels + page.rawValueBytes)],
      [3, i32(levels + page.values.length)],
      [8, struct([
        [1, i32(page.levelCount)], [2, i32(page.nulls)], [3, i32(rows)], [4, i32(page.encoding)],
        [5, i32(page.def.length)], [6, i32(page.rep.length)], [7, bool(page.compressed)],
      ])],
    ]);
    this.write(header);
    this.write(page.rep);
    this.write(page.def);
    this.write(page.values);
    uncompressed += header.length + levels + page.rawValueBytes;
    const encodings = page.dictionary ? [ENCODING.PLAIN, ENCODING.RLE, ENCODING.RLE_DICTIONARY] : [ENCODING.PLAIN, ENCODING.RLE];
    // Statistics only for a flat column: a list page counts empty lists with its nulls, and a
    // reader taking that as the leaf's null count could skip groups for `IS NOT NULL`.
    const stats = leaf.maxRep === 0 ? struct([[3, i64(page.nulls)], [5, page.bounds && binary(page.bounds.max)], [6, page.bounds && binary(page.bounds.min)]]) : undefined;
    return {
      start,
      uncompressed,
      meta: [
        [1, i32(leaf.physical)],
        [2, list('i32', encodings.map((e) => i32(e)))],
        [3, list('binary', leaf.path.map((p) => binary(p)))],
        [4, i32(CODEC.ZSTD)],
        [5, i64(page.levelCount)],
        [6, i64(uncompressed)],
        [7, i64(this.offset - start)],
        [9, i64(dataStart)],
        [11, page.dictionary ? i64(start) : undefined],
        [12, stats],
      ],
    };
  }

  /** Footer, and the file closed. Returns the rows written. */
  close(): number {
    try {
      const footer = encodeStruct([
        [1, i32(1)],
        [2, list('struct', this.elements)],
        [3, i64(this.rows)],
        [4, list('struct', this.rowGroups)],
        [5, list('struct', Object.entries(this.meta).map(([k, v]) => struct([[1, binary(k)], [2, binary(v)]])))],
        [6, binary('flightrec')],
        // Type-defined order for every leaf: without it readers may not trust min_value/max_value.
        [7, list('struct', this.leaves.map(() => struct([[1, struct([])]])))],
      ]);
      this.write(footer);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(footer.length);
      this.write(len);
      this.write(MAGIC);
      this.sha256 = this.hash.digest('hex');
    } finally {
      this.abandon();
    }
    return this.rows;
  }

  /** Closes the file, without a footer unless close() wrote it (the caller removes it). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

