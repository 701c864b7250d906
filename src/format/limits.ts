// Bounds on what reading a recording may cost, in one place: a recording is untrusted input,
// and each of these is checked before the work it bounds is done.

/** No single decompressed buffer may exceed this (a batch of 1M rows of u64 is 8 MiB). */
export const MAX_BUFFER_BYTES = 256 * 1024 * 1024;

/** Sum of a batch's decompressed buffers. */
export const MAX_BATCH_BYTES = 1024 * 1024 * 1024;

export const MAX_BATCH_ROWS = 1 << 24;

/** Flatbuffer metadata of one message; ours are a few hundred bytes. */
export const MAX_METADATA_BYTES = 1024 * 1024;

/**
 * Decompressed bytes of a table file per byte on disk. zstd alone expands ~28,000:1 (a
 * constant column is a run-length block), but every real row carries a unique seq and a
 * rising ts, which zstd cannot squeeze below about a byte a row: the widest rows with
 * everything else constant measured 21-40:1 at the writer's level 1 and 120:1 at level 19,
 * and the fixtures recorded here are under 7:1. 1,000:1 is 8x over the worst we could
 * build and caps a bomb at a thousand times its size.
 */
export const MAX_EXPANSION = 1000;

/** Small files may expand past MAX_EXPANSION up to this (an alert table of repeated evidence). */
export const EXPANSION_FLOOR_BYTES = MAX_BUFFER_BYTES;

/**
 * Record batches in one table file. Each costs a message decode to read and a row group to
 * query, so a million one-row batches made `info` take 51 s and `sql` 4.3 GB; the writer
 * rotates a segment before any file reaches this, so only a made-up file does.
 */
export const MAX_BATCHES_PER_FILE = 10_000;

/** One string value (the schema's widest is 64 KiB of alert evidence). */
export const MAX_STRING_BYTES = 1024 * 1024;

/** Elements of one list value (argv is bounded to 4 KiB by the kernel side). */
export const MAX_LIST_ITEMS = 65_536;

/** manifest.json: a few KiB plus about 1 KiB per segment. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
