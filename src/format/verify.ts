// Proves a recording is what its writer sealed: every sealed file has its recorded size and
// SHA-256, the segment list is complete and in order, and the hash chain holds. Segments
// after the last sealed one are reported as an unsealed tail, which is a crash, not tampering.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMAS } from '../schema/arrow.generated.js';
import { TABLE_NAMES, type TableName } from '../schema/tables.js';
import { RecordingError } from './errors.js';
import { MANIFEST, chainBreaks, segmentDirName, sha256File } from './manifest.js';
import { Recording, fileSize } from './recording.js';
import { TableFile, type TornTail } from './table-file.js';

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
  /** Chain value of the last sealed segment: publish it to pin the recording. */
  readonly chainHead: string | null;
}

/** Verify; a manifest that cannot be read at all is a problem too (never a throw). */
export function verifyRecording(dir: string): VerifyReport {
  let rec: Recording;
  try {
    rec = Recording.open(dir);
  } catch (err) {
    if (!(err instanceof RecordingError)) throw err;
    return { ok: false, problems: [{ file: err.file ?? join(dir, MANIFEST), message: err.reason }], sealedSegments: 0, unsealed: [], open: false, chainHead: null };
  }
  const problems: Problem[] = [];
  const m = rec.manifest;
  const broken = new Set(chainBreaks(m));
  for (const [i, seg] of m.segments.entries()) {
    const segDir = join(dir, 'segments', seg.dir);
    if (seg.index !== i + 1 || seg.dir !== segmentDirName(seg.index)) {
      problems.push({ file: segDir, message: `segment listed at position ${i + 1} is numbered ${seg.index} (${seg.dir}): segments removed or reordered` });
    }
    if (broken.has(seg)) {
      problems.push({ file: join(dir, MANIFEST), message: `hash chain broken at segment ${seg.dir}: entries edited, removed or reordered` });
    }
    let onDisk: string[];
    try {
      onDisk = readdirSync(segDir);
    } catch {
      problems.push({ file: segDir, message: 'segment directory is missing' });
      continue;
    }
    const expected = new Map<string, { bytes: number; sha256: string }>();
    for (const t of Object.values(seg.tables)) expected.set(t.file, t);
    for (const t of seg.recovered?.torn ?? []) expected.set(t.file, t);
    for (const name of onDisk) if (!expected.has(name)) problems.push({ file: join(segDir, name), message: 'file is not in the manifest' });
    for (const [name, want] of expected) {
      const path = join(segDir, name);
      const size = fileSize(path);
      if (size === undefined) { problems.push({ file: path, message: 'file is missing' }); continue; }
      if (size !== want.bytes) { problems.push({ file: path, message: `is ${size} bytes, the manifest says ${want.bytes}` }); continue; }
      if (sha256File(path) !== want.sha256) problems.push({ file: path, message: 'SHA-256 differs from the manifest: modified after sealing' });
    }
  }
  const lastSealed = m.segments.at(-1)?.index ?? 0;
  const unsealed: UnsealedFile[] = [];
  for (const index of rec.unsealedIndexes()) {
    const segDir = join(dir, 'segments', segmentDirName(index));
    if (index <= lastSealed) { problems.push({ file: segDir, message: 'segment directory is not in the manifest' }); continue; }
    for (const name of readdirSync(segDir).sort()) {
      const table = name.replace(/\.arrow$/, '');
      const path = join(segDir, name);
      if (!name.endsWith('.arrow') || !(TABLE_NAMES as readonly string[]).includes(table)) {
        problems.push({ file: path, message: 'unexpected file in an unsealed segment' });
        continue;
      }
      const f = new TableFile(path, SCHEMAS[table as TableName]);
      try {
        const s = f.scan();
        unsealed.push({ file: path, rows: s.rows, bytes: fileSize(path) ?? 0, torn: s.torn });
      } catch (err) {
        if (!(err instanceof RecordingError)) throw err;
        problems.push({ file: path, message: err.reason });
      } finally {
        f.close();
      }
    }
  }
  if (m.state === 'closed' && unsealed.length > 0) problems.push({ file: join(dir, MANIFEST), message: 'recording is closed but has unsealed segments' });
  return { ok: problems.length === 0, problems, sealedSegments: m.segments.length, unsealed, open: m.state === 'recording', chainHead: m.segments.at(-1)?.chain ?? null };
}
