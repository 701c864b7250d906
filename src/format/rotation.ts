// When the writer seals a segment unless told otherwise (`record --segment-size/--segment-time`),
// apart from the writer so the command line can show them in its help without loading Arrow.

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_SEGMENT_MS = 60_000;
