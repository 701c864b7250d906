// Transcoding a recording's table files into the query cache (cache.ts decides which): apart
// from it so that a query over an up-to-date cache loads neither Arrow nor the Parquet writer.
import { join } from 'node:path';
import { ioError, type ConfinedDir } from '../format/confined-dir.js';
import { RecordingError } from '../format/errors.js';
import type { Recording, SegmentRef } from '../format/recording.js';
import { SCHEMAS } from '../schema/arrow.generated.js';
import { SCHEMA_VERSION, followingTime, type TableName } from '../schema/tables.js';
import { CACHE_VERSION, identityOf, writeMeta } from './cache-entry.js';
import { ParquetWriter } from './parquet.js';

export { Recording } from '../format/recording.js';

/** Transcodes one table file into the cache, through the recording's checked reader (a sealed file must hash to what the manifest says). */
export function transcode(rec: Recording, seg: SegmentRef, table: TableName, dir: ConfinedDir, name: string): number {
  const segDir = rec.segmentDir(seg);
  let st;
  try {
    st = segDir.stat(`${table}.arrow`); // before reading: a change while reading shows next time
  } finally {
    segDir.close();
  }
  const source = join(seg.path, `${table}.arrow`);
  if (st === undefined) throw new RecordingError('disappeared while it was read', { file: source });
  const tmp = dir.createTemp(`${name}.parquet`);
  const writer = new ParquetWriter(tmp.fd, dir.display(`${name}.parquet`), SCHEMAS[table], { 'flightrec.table': table, 'flightrec.source': source }, followingTime(table));
  let rows: number;
  let sha256: string | undefined;
  try {
    for (const { header, body, stored } of rec.rawBatches(seg, table, (h) => { sha256 = h; })) writer.writeBatch(header, body, stored, source);
    rows = writer.close();
  } catch (err) {
    writer.abandon();
    dir.discardTemp(tmp.name);
    const errno = typeof (err as NodeJS.ErrnoException).code === 'string' && !(err instanceof RecordingError);
    throw errno ? ioError('write the query cache', dir.display(`${name}.parquet`), err) : err;
  }
  dir.commitTemp(tmp.name, `${name}.parquet`);
  writeMeta(dir, name, {
    version: CACHE_VERSION, schema_version: SCHEMA_VERSION, source, source_identity: identityOf(st), source_sha256: sha256!, rows, parquet_bytes: writer.bytes, parquet_sha256: writer.sha256!,
  });
  return rows;
}
