// The public API of flightrec as a library.
export { TABLES, TABLE_NAMES, table, type TableName } from './schema/tables.js';
export type { Column, ColumnType, Table } from './schema/types.js';
export { SCHEMAS } from './schema/arrow.generated.js';
export type * from './schema/rows.generated.js';
export { RAW_COLUMNS, VIEW_DDL, MACRO_DDL } from './schema/sql.generated.js';
export { SYSCALL_NAMES } from './schema/syscalls.generated.js';
export { recordLayout, headerLayout, type RecordLayout, type CField } from './schema/layout.js';
export { RecordingError, UsageError } from './format/errors.js';
export { RecordingWriter, type RecordingWriterOptions } from './format/recording-writer.js';
export { Recording, type SegmentRef, type TornReport } from './format/recording.js';
export { mergeTables, type Run } from './format/merge.js';
export { verifyRecording, type VerifyReport, type Problem } from './format/verify.js';
export { sealRecording, type SealResult } from './format/seal.js';
export { summarize, type RecordingSummary } from './format/summary.js';
export { makeBatch, type ColumnValues } from './format/batch.js';
export { TableFile, MAX_BATCH_BYTES, MAX_BATCH_ROWS } from './format/table-file.js';
export { MAX_BUFFER_BYTES, registerZstd, zstdFrameContentSize, setCompressionLevel } from './format/codec.js';
export { readManifest, parseManifest, FORMAT_VERSION, type Manifest, type SegmentEntry, type TableEntry } from './format/manifest.js';
