// Where running recorders keep what other flightrec commands read or leave for them: their
// status (status.ts) and mark requests (marks.ts). Root's, 0700.

/** /run/flightrec, or FLIGHTREC_RUN_DIR (for tests). */
export const runDir = (): string => process.env.FLIGHTREC_RUN_DIR || '/run/flightrec';
