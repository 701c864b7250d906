// Table files as flightrec wrote them under older schema versions: the fixtures, which are
// schema-1 recordings, and streams with any schema, in the open segment of a recording.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Field, Message, RecordBatch, RecordBatchStreamWriter, Schema, Struct, makeData } from 'apache-arrow';
import { RecordingWriter } from '../../src/index.js';
import { SyscallWorkload } from '../../src/testing/synthetic.js';
import { ROOT, tempDir } from '../helpers.js';

/** A schema-1 fixture recording holding proc and file rows. */
export const FIXTURE = join(ROOT, 'fixtures', 'fork-exec', 'rec');

export const fixtureFile = (table: string, rec = FIXTURE): string => join(rec, 'segments', '000001', `${table}.arrow`);

/** The schema a table file stores, as its first message gives it. */
export function storedSchemaOf(file: string): Schema {
  const bytes = readFileSync(file);
  return Message.decode(bytes.subarray(8, 8 + bytes.readInt32LE(4))).header() as Schema;
}

/** A schema with its metadata's schema version set, or removed (undefined). */
export function tagged(schema: Schema, version: string | undefined): Schema {
  const meta = new Map([...schema.metadata].filter(([k]) => k !== 'flightrec.schema_version'));
  if (version !== undefined) meta.set('flightrec.schema_version', version);
  return new Schema(schema.fields, meta);
}

/** A field with other enum labels. */
export const relabelled = (f: Field, labels: string): Field => new Field(f.name, f.type, f.nullable, new Map([...f.metadata, ['flightrec.enum', labels]]));

/** The columns of `batch` that `schema` names, under `schema`: a batch as an older writer made it. */
export function narrowed(batch: RecordBatch, schema: Schema): RecordBatch {
  const children = schema.fields.map((f) => batch.getChild(f.name)!.data[0]!);
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children }));
}

/** An IPC stream under `schema` of `batches`, buffers uncompressed; of no batches, only the schema. */
export function streamOf(schema: Schema, batches: readonly RecordBatch[] = []): Uint8Array {
  if (batches.length > 0) return RecordBatchStreamWriter.writeAll([...batches]).toUint8Array(true);
  const meta = Message.encode(Message.from(schema));
  const padded = Math.ceil(meta.length / 8) * 8;
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0xffffffff, 0);
  head.writeInt32LE(padded, 4);
  return Buffer.concat([head, meta, Buffer.alloc(padded - meta.length), Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])]);
}

/** A recording still being written whose open segment holds `bytes` as its `table` file. */
export function unsealedWith(table: string, bytes: Uint8Array): { dir: string; file: string } {
  const dir = join(tempDir(), 'rec');
  const w = RecordingWriter.create(dir);
  w.append('syscall', new SyscallWorkload(2).batch(10));
  w.sealSegment();
  const seg = join(dir, 'segments', '000002');
  mkdirSync(seg, { mode: 0o700 });
  const file = join(seg, `${table}.arrow`);
  writeFileSync(file, bytes, { mode: 0o600 });
  return { dir, file };
}
