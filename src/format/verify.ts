// Proves a recording is what its writer sealed: the manifest is byte for byte what flightrec
// writes for its content, the hash chain over its header, segments and close record holds,
// the segment list on disk is the manifest's, and every sealed file has its recorded size
// and SHA-256 (verify-sealed.ts). Segments after the last sealed one are reported as an
// unsealed tail, which is a crash, not tampering.
import { TABLE_NAMES } from '../schema/tables.js';
import { RecordingError } from './errors.js';
import { Recording } from './recording.js';
import { openForVerify, report, sealedProblems, type UnsealedFile, type VerifyReport } from './verify-sealed.js';

export type { Problem, UnsealedFile, VerifyReport } from './verify-sealed.js';

/** Verify; a recording that cannot be opened at all is a problem too (never a throw). */
export function verifyRecording(dir: string): VerifyReport {
  const rec = openForVerify(dir, (opts) => Recording.open(dir, opts));
  if (!(rec instanceof Recording)) return rec;
  try {
    const problems = sealedProblems(rec);
    const unsealed: UnsealedFile[] = [];
    for (const seg of rec.segments()) {
      if (seg.entry) continue;
      for (const table of TABLE_NAMES) {
        let f;
        try {
          f = rec.tableFile(seg, table);
          if (!f) continue;
          const s = f.scan();
          unsealed.push({ file: f.path, rows: s.rows, bytes: s.completeBytes + (s.torn?.bytes ?? 0), torn: s.torn });
        } catch (err) {
          if (!(err instanceof RecordingError)) throw err;
          problems.push({ file: err.file ?? seg.path, message: err.reason });
        } finally {
          f?.close();
        }
      }
    }
    return report(rec, problems, unsealed);
  } finally {
    rec.close();
  }
}
