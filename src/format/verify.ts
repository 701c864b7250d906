// Proves a recording is what its writer sealed: the manifest is byte for byte what flightrec
// writes for its content, the hash chain over its header, segments and close record holds,
// the segment list on disk is the manifest's, and every sealed file has its recorded size
// and SHA-256. Segments after the last sealed one are reported as an unsealed tail, which is
// a crash, not tampering.
import { closeSync } from 'node:fs';
import { join } from 'node:path';
import { chainHead } from './chain.js';
import { TABLE_NAMES } from '../schema/tables.js';
import { RecordingError } from './errors.js';
import { sha256Of } from './hash.js';
import { MANIFEST, renderManifest } from './manifest.js';
import { Recording } from './recording.js';
import type { TornTail } from './table-file.js';

export interface Problem {
  readonly file: string;
  readonly message: string;
}

export interface UnsealedFile {
  readonly file: string;
  readonly rows: number;
  readonly bytes: number;
  readonly torn: TornTail | undefined;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly problems: readonly Problem[];
  readonly sealedSegments: number;
  readonly unsealed: readonly UnsealedFile[];
  /** The manifest still says `recording`: its writer is running or crashed before closing it. */
  readonly open: boolean;
  /** The chain's last link: publish it to pin the recording. */
  readonly chainHead: string | null;
}

const failed = (file: string, message: string): VerifyReport =>
  ({ ok: false, problems: [{ file, message }], sealedSegments: 0, unsealed: [], open: false, chainHead: null });

/** Verify; a recording that cannot be opened at all is a problem too (never a throw). */
export function verifyRecording(dir: string): VerifyReport {
  let rec: Recording;
  try {
    rec = Recording.open(dir, { allowDamaged: true });
  } catch (err) {
    if (!(err instanceof RecordingError)) throw err;
    return failed(err.file ?? join(dir, MANIFEST), err.reason);
  }
  try {
    const problems: Problem[] = rec.damage.map((d) => ({ file: d.file, message: d.message }));
    // A single changed byte that leaves the parsed value alone (white space, an escape) shows here.
    if (!Buffer.from(renderManifest(rec.manifest)).equals(rec.manifestBytes)) {
      problems.unshift({ file: join(dir, MANIFEST), message: 'is not byte for byte what flightrec writes for its content: edited' });
    }
    const damaged = new Set(rec.damage.map((d) => d.file));
    for (const seg of rec.segments()) {
      if (!seg.entry) continue;
      const files = [
        ...Object.values(seg.entry.tables).map((t) => ({ name: t.file, bytes: t.bytes, sha256: t.sha256 })),
        ...(seg.entry.recovered?.torn ?? []).map((t) => ({ name: t.file, bytes: t.bytes, sha256: t.sha256 })),
      ];
      let segDir;
      try {
        segDir = rec.segmentDir(seg);
        for (const f of files) {
          if (damaged.has(segDir.display(f.name))) continue; // missing, resized or not a file: said already
          const open = segDir.openFile(f.name);
          try {
            if (open.size !== f.bytes) problems.push({ file: open.path, message: `is ${open.size} bytes but the manifest says ${f.bytes}: modified or truncated` });
            else if (sha256Of(open) !== f.sha256) problems.push({ file: open.path, message: 'SHA-256 differs from the manifest: modified after sealing' });
          } finally {
            closeSync(open.fd);
          }
        }
      } catch (err) {
        if (!(err instanceof RecordingError)) throw err;
        problems.push({ file: err.file ?? seg.path, message: err.reason });
      } finally {
        segDir?.close();
      }
    }
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
    const m = rec.manifest;
    return { ok: problems.length === 0, problems, sealedSegments: m.segments.length, unsealed, open: m.state === 'recording', chainHead: chainHead(m) };
  } finally {
    rec.close();
  }
}
