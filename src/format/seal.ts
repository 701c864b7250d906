// `flightrec seal`: after a crash, turn the unsealed tail into sealed segments. Each table
// file is cut after its last complete batch; the cut bytes are kept beside it as
// `<table>.arrow.torn` (hashed, listed in the manifest) so nothing recorded is thrown away.
//
// A recording may come from anyone, so sealing refuses a damaged one (a link or special file
// where a table file belongs, a file nobody wrote) and writes only new files of its own. It
// is done in two steps: everything that needs disk space (the torn copies, the new manifest)
// is written to temp files first, and only then are the table files cut and the temps
// renamed into place. A full disk therefore stops it before anything changed. What a crash left
// of segments the manifest marks pruned is removed first, as the recorder would have.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, ftruncateSync, readFileSync } from 'node:fs';
import { TABLE_NAMES, type TableName } from '../schema/tables.js';
import { appendSegment, closeManifest } from './chain.js';
import { ConfinedDir, ioError, isOrphanTemp, readExactly, writeAll } from './confined-dir.js';
import { RecordingError } from './errors.js';
import { MANIFEST, readManifestIn, renderManifest, type Manifest, type TableEntry, type TornEntry } from './manifest.js';
import { removePruned } from './prune.js';
import { Recording, type SegmentRef } from './recording.js';
import { END_OF_STREAM } from './table-sink.js';
import { TsRange } from './ts-range.js';

export interface SealResult {
  readonly sealed: number;
  readonly tornBytes: number;
  readonly alreadySealed: boolean;
  /** Directories of pruned segments a crash left, removed. */
  readonly prunedRemoved: number;
}

function writerAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return /flightrec|node/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true;
  }
}

/** How one table file of an unsealed segment is to be finished. */
interface Cut {
  readonly table: TableName;
  readonly file: string;
  /** Bytes kept: up to the end of the last complete message. */
  readonly keep: number;
  readonly size: number;
  /** The stream lacks its end marker, which sealing appends. */
  readonly needsEnd: boolean;
  /** The temp file holding the cut bytes, renamed to `<file>.torn` on commit. */
  readonly tornTemp: string | undefined;
  /** Undefined when nothing complete was in the file: it is removed, its bytes live in the .torn file only. */
  readonly entry: TableEntry | undefined;
  readonly torn: TornEntry | undefined;
}

/** Reads one table file and writes its torn bytes aside; the file itself is not changed. */
function prepareCut(rec: Recording, seg: SegmentRef, dir: ConfinedDir, table: TableName): Cut | undefined {
  const f = rec.tableFile(seg, table);
  if (!f) return undefined;
  const ts = new TsRange();
  try {
    for (const batch of f.recordBatches()) ts.add(batch);
  } finally {
    f.close();
  }
  const file = `${table}.arrow`;
  const open = dir.openFile(file);
  try {
    // Cut in place, a file with another name elsewhere would change there too.
    if (open.stat.nlink !== 1) throw new RecordingError(`has ${open.stat.nlink - 1} other hard link(s): refusing to cut a file that lives elsewhere too`, { file: open.path });
    const keep = f.torn ? f.torn.offset : open.size;
    let tornTemp: string | undefined;
    let torn: TornEntry | undefined;
    if (f.torn) {
      const bytes = readExactly(open, keep, open.size - keep);
      const tmp = dir.createTemp(`${file}.torn`);
      tornTemp = tmp.name;
      try {
        writeAll(tmp.fd, bytes, dir.display(`${file}.torn`));
        fsyncSync(tmp.fd);
      } finally {
        closeSync(tmp.fd);
      }
      torn = { table, offset: keep, bytes: bytes.byteLength, file: `${file}.torn`, sha256: createHash('sha256').update(bytes).digest('hex'), reason: f.torn.reason };
    }
    const needsEnd = !f.ended && keep > 0;
    let entry: TableEntry | undefined;
    if (keep > 0) {
      const h = createHash('sha256');
      h.update(readExactly(open, 0, keep));
      if (needsEnd) h.update(END_OF_STREAM);
      entry = {
        file, rows: f.rows, batches: f.batches, first_ts: ts.firstString, last_ts: ts.lastString,
        bytes: keep + (needsEnd ? END_OF_STREAM.length : 0), raw_bytes: f.rawBytes, sha256: h.digest('hex'),
      };
    }
    return { table, file, keep, size: open.size, needsEnd, tornTemp, entry, torn };
  } finally {
    closeSync(open.fd);
  }
}

/** Cuts the file as prepared. The end marker overwrites the first torn bytes where there are 8, so no block is added to a full disk. */
function commitCut(dir: ConfinedDir, c: Cut): void {
  if (c.tornTemp) dir.commitTemp(c.tornTemp, `${c.file}.torn`);
  if (c.keep === 0) {
    dir.unlink(c.file);
    return;
  }
  if (!c.needsEnd && c.keep === c.size) return;
  const f = dir.openFileForWrite(c.file);
  try {
    if (c.needsEnd && c.size - c.keep >= END_OF_STREAM.length) {
      writeAll(f.fd, END_OF_STREAM, f.path, c.keep);
      ftruncateSync(f.fd, c.keep + END_OF_STREAM.length);
    } else {
      ftruncateSync(f.fd, c.keep);
      if (c.needsEnd) writeAll(f.fd, END_OF_STREAM, f.path, c.keep);
    }
    fsyncSync(f.fd);
  } catch (err) {
    throw ioError('cut', f.path, err);
  } finally {
    closeSync(f.fd);
  }
}

/**
 * Temp files an interrupted seal or writer left, their process gone: in the recording's
 * directory and its unsealed segments only (a sealed segment is evidence, left as it is).
 */
function sweepOrphans(dir: string): void {
  const root = ConfinedDir.open(dir);
  try {
    let listed: Set<string>;
    try {
      listed = new Set(readManifestIn(root).manifest.segments.map((s) => s.dir));
    } catch {
      return; // Recording.open says what is wrong
    }
    for (const f of root.list()) if (isOrphanTemp(f)) root.unlink(f);
    if (!root.stat('segments')?.isDirectory()) return;
    const segs = root.subdir('segments');
    try {
      for (const name of segs.list()) {
        if (listed.has(name) || !/^\d{6}$/.test(name) || !segs.stat(name)?.isDirectory()) continue;
        const d = segs.subdir(name);
        try {
          for (const f of d.list()) if (isOrphanTemp(f)) d.unlink(f);
        } finally {
          d.close();
        }
      }
    } finally {
      segs.close();
    }
  } finally {
    root.close();
  }
}

export function sealRecording(dir: string, opts: { force?: boolean } = {}): SealResult {
  sweepOrphans(dir);
  const rec = Recording.open(dir, { allowDamaged: true });
  const dirs: ConfinedDir[] = [];
  let root: ConfinedDir | undefined;
  try {
    let m: Manifest = rec.manifest;
    if (rec.damage.length > 0) {
      const d = rec.damage[0]!;
      throw new RecordingError(`${d.message}: refusing to seal a damaged recording; run \`flightrec verify\``, { file: d.file });
    }
    const pending = rec.segments().filter((s) => !s.entry);
    if (m.state === 'recording' && !opts.force && writerAlive(m.writer_pid)) {
      throw new RecordingError(`is still being written by process ${m.writer_pid}; stop it first (or pass --force if that process is not flightrec)`, { file: dir });
    }
    const segments = rec.segmentsDir();
    let prunedRemoved: number;
    try {
      prunedRemoved = removePruned(segments, m.segments);
    } finally {
      segments.close();
    }
    if (m.state === 'closed' && pending.length === 0) return { sealed: 0, tornBytes: 0, alreadySealed: true, prunedRemoved };
    // Step 1: read everything, write the torn copies and the new manifest to temp files.
    const plan: Array<{ dir: ConfinedDir; cuts: Cut[] }> = [];
    let tornBytes = 0;
    root = ConfinedDir.open(dir);
    let manifestTemp: string;
    try {
      for (const seg of pending) {
        const segDir = rec.segmentDir(seg);
        dirs.push(segDir);
        const cuts = TABLE_NAMES.map((t) => prepareCut(rec, seg, segDir, t)).filter((c): c is Cut => c !== undefined);
        plan.push({ dir: segDir, cuts });
        const torn = cuts.flatMap((c) => (c.torn ? [c.torn] : []));
        tornBytes += torn.reduce((n, t) => n + t.bytes, 0);
        const tables = Object.fromEntries(cuts.flatMap((c) => (c.entry ? [[c.table, c.entry]] : [])));
        const now = new Date().toISOString();
        m = appendSegment(m, {
          index: seg.index, dir: seg.name, opened_at: fstatSync(segDir.fd).birthtime.toISOString(), sealed_at: now, tables,
          recovered: { sealed_at: now, torn },
        });
      }
      m = closeManifest(m, 'seal');
      const tmp = root.createTemp(MANIFEST);
      manifestTemp = tmp.name;
      try {
        writeAll(tmp.fd, Buffer.from(renderManifest(m)), root.display(MANIFEST));
        fsyncSync(tmp.fd);
      } finally {
        closeSync(tmp.fd);
      }
    } catch (err) {
      const code = (err as RecordingError).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        throw new RecordingError(`${(err as RecordingError).reason}; nothing was changed: free some space and run \`flightrec seal\` again`, { file: (err as RecordingError).file ?? dir, cause: err });
      }
      throw err;
    }
    // Step 2: cut the files and rename the temps into place, the manifest last.
    for (const p of plan) {
      for (const c of p.cuts) commitCut(p.dir, c);
      p.dir.fsync();
    }
    root.commitTemp(manifestTemp, MANIFEST);
    root.fsync();
    return { sealed: pending.length, tornBytes, alreadySealed: false, prunedRemoved };
  } finally {
    for (const d of dirs) d.close(); // uncommitted temp files go with them
    root?.close();
    rec.close();
  }
}
