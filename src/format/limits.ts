// Bounds on what reading a recording may cost, in one place: a recording is untrusted input,
// and each of these is checked before the work it bounds is done.

/** No single decompressed buffer may exceed this (a batch of 1M rows of u64 is 8 MiB). */
export const MAX_BUFFER_BYTES = 256 * 1024 * 1024;

/** Sum of a batch's decompressed buffers. */
export const MAX_BATCH_BYTES = 1024 * 1024 * 1024;

export const MAX_BATCH_ROWS = 1 << 24;

/** Flatbuffer metadata of one message; ours are a few hundred bytes. */
export const MAX_METADATA_BYTES = 1024 * 1024;

/** manifest.json: a few KiB plus about 1 KiB per segment. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
