// Verify's checks that need no table read: the manifest is byte for byte what flightrec writes
// for its content, the segment list on disk is the manifest's, and every sealed file has its
// recorded size and SHA-256; a pruned segment is proved by its chained entry alone. Apart from
// verify.ts (which adds the unsealed tail, read with Arrow) so that verifying a sealed
// recording loads no Arrow.
import { closeSync } from 'node:fs';
import { join } from 'node:path';
import { chainHead } from './chain.js';
import { RecordingError } from './errors.js';
import { sha256Of } from './hash.js';
import { keptSegments, MANIFEST, renderManifest } from './manifest.js';
import { RecordingDir } from './recording-dir.js';
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
  /** Sealed segments kept, each hashed. */
  readonly sealedSegments: number;
  /** Segments pruned: their entries are chained, their files gone. */
  readonly prunedSegments: number;
  readonly unsealed: readonly UnsealedFile[];
  /** The manifest still says `recording`: its writer is running or crashed before closing it. */
  readonly open: boolean;
  /** The chain's last link: publish it to pin the recording. */
  readonly chainHead: string | null;
}

/** `open()` of `dir` for verifying; a recording that cannot be opened at all is a failed report (never a throw). */
export function openForVerify<T extends RecordingDir>(dir: string, open: (opts: { allowDamaged: true }) => T): T | VerifyReport {
  try {
    return open({ allowDamaged: true });
  } catch (err) {
    if (!(err instanceof RecordingError)) throw err;
    return { ok: false, problems: [{ file: err.file ?? join(dir, MANIFEST), message: err.reason }], sealedSegments: 0, prunedSegments: 0, unsealed: [], open: false, chainHead: null };
  }
}

/** The problems of the manifest, the segment list and the sealed files. */
export function sealedProblems(rec: RecordingDir): Problem[] {
  const problems: Problem[] = rec.damage.map((d) => ({ file: d.file, message: d.message }));
  // A single changed byte that leaves the parsed value alone (white space, an escape) shows here.
  if (!Buffer.from(renderManifest(rec.manifest)).equals(rec.manifestBytes)) {
    problems.unshift({ file: join(rec.dir, MANIFEST), message: 'is not byte for byte what flightrec writes for its content: edited' });
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
  return problems;
}

export function report(rec: RecordingDir, problems: readonly Problem[], unsealed: readonly UnsealedFile[]): VerifyReport {
  const m = rec.manifest;
  const kept = keptSegments(m).length;
  return {
    ok: problems.length === 0, problems, sealedSegments: kept, prunedSegments: m.segments.length - kept, unsealed, open: m.state === 'recording', chainHead: chainHead(m),
  };
}

/**
 * verifyRecording() for a recording with no unsealed tail, without Arrow; undefined when it has
 * one (verify.ts reads it).
 */
export function verifySealed(dir: string): VerifyReport | undefined {
  const rec = openForVerify(dir, (opts) => RecordingDir.open(dir, opts));
  if (!(rec instanceof RecordingDir)) return rec;
  try {
    return rec.unsealedIndexes().length > 0 ? undefined : report(rec, sealedProblems(rec), []);
  } finally {
    rec.close();
  }
}
