// What a recording's directory says against its manifest, found before anything is read:
// a broken chain, segments missing, reordered or not listed, table files missing, resized,
// replaced by links or special files, files nobody listed. A pruned segment's directory is
// neither expected nor damage: gone, or left by a crash before its deletion (see prune.ts).
// Readers refuse a damaged
// recording unless told to read what is intact (--allow-damaged); `verify` reports it all.
import type { Stats } from 'node:fs';
import { TABLE_NAMES, type TableName } from '../schema/tables.js';
import { chainBreaks, closeBroken } from './chain.js';
import { kindOf, type ConfinedDir } from './confined-dir.js';
import { RecordingError } from './errors.js';
import { isPruned, MANIFEST, segmentDirName, type Manifest } from './manifest.js';

export interface Damage {
  readonly file: string;
  readonly message: string;
  /** What a reader told to go on leaves out: a whole segment (its directory name), or one table file of it. */
  readonly skip?: { readonly segment: string; readonly table?: TableName };
}

export interface Layout {
  /** Indexes of the unsealed segments after the last sealed one, in order: what a crash left. */
  readonly unsealed: readonly number[];
  readonly damage: readonly Damage[];
}

const SEGMENT_NAME = /^\d{6}$/;

/** `<table>.arrow` of a known table: the only names an unsealed segment holds. */
export function tableOfFile(name: string): TableName | undefined {
  const t = name.endsWith('.arrow') ? name.slice(0, -'.arrow'.length) : undefined;
  return t !== undefined && (TABLE_NAMES as readonly string[]).includes(t) ? (t as TableName) : undefined;
}

/** Opens `name` below `dir`, or says as damage why not (missing, a link, not a directory). */
function subdir(dir: ConfinedDir, name: string, damage: Damage[], missing: string, skip?: Damage['skip']): ConfinedDir | undefined {
  try {
    return dir.subdir(name);
  } catch (err) {
    if (!(err instanceof RecordingError)) throw err;
    damage.push({ file: dir.display(name), message: err.reason === 'is missing' ? missing : err.reason, ...(skip ? { skip } : {}) });
    return undefined;
  }
}

function checkFile(st: Stats | undefined, want: number | undefined, file: string, skip: Damage['skip'], damage: Damage[]): void {
  const base = skip ? { file, skip } : { file };
  if (st === undefined) damage.push({ ...base, message: 'file is missing' });
  else if (!st.isFile()) damage.push({ ...base, message: `is ${kindOf(st)}, not a regular file${st.isSymbolicLink() ? ' (flightrec does not follow links here)' : ''}` });
  else if (want !== undefined && st.size !== want) damage.push({ ...base, message: `is ${st.size} bytes but the manifest says ${want}: modified or truncated` });
}

export function inspect(root: ConfinedDir, m: Manifest): Layout {
  const damage: Damage[] = [];
  const manifestFile = root.display(MANIFEST);
  const broken = chainBreaks(m);
  if (broken.length > 0) {
    damage.push({ file: manifestFile, message: `hash chain broken at segment ${broken[0]!.dir}: the header or segment entries were edited, removed or reordered` });
  } else if (closeBroken(m)) {
    damage.push({ file: manifestFile, message: 'hash chain broken at the close record: the state or close time was edited' });
  }
  // The writer prunes oldest first; a pruned segment after a kept one was marked by someone else.
  const firstKept = m.segments.findIndex((s) => !isPruned(s));
  const lateMark = firstKept < 0 ? undefined : m.segments.slice(firstKept).find(isPruned);
  if (lateMark) damage.push({ file: manifestFile, message: `segment ${lateMark.dir} is marked pruned but an older one is kept: the recorder prunes oldest first, so it was edited` });
  const segs = subdir(root, 'segments', damage, 'segments directory is missing');
  for (const [i, seg] of m.segments.entries()) {
    if (seg.index !== i + 1) {
      damage.push({ file: root.display(`segments/${seg.dir}`), message: `segment listed at position ${i + 1} is numbered ${seg.index}: segments removed or reordered` });
    }
  }
  if (!segs) {
    for (const seg of m.segments) if (!isPruned(seg)) damage.push({ file: root.display(`segments/${seg.dir}`), message: 'segment directory is missing', skip: { segment: seg.dir } });
    return { unsealed: [], damage };
  }
  try {
    const listed = new Set(m.segments.map((s) => s.dir));
    const lastSealed = m.segments.reduce((n, s) => Math.max(n, s.index), 0);
    const unsealed: number[] = [];
    for (const name of segs.list().sort()) {
      const file = segs.display(name);
      if (!SEGMENT_NAME.test(name)) {
        damage.push({ file, message: 'is not a segment directory and not in the manifest' });
        continue;
      }
      if (listed.has(name)) continue; // checked below
      const st = segs.stat(name);
      if (st !== undefined && !st.isDirectory()) {
        damage.push({ file, message: `is ${kindOf(st)}, not a segment directory`, skip: { segment: name } });
        continue;
      }
      const index = Number(name);
      if (index <= lastSealed) damage.push({ file, message: 'segment directory is not in the manifest', skip: { segment: name } });
      else if (m.state === 'closed') damage.push({ file, message: 'segment directory is not in the manifest (the recording is closed)', skip: { segment: name } });
      else unsealed.push(index);
    }
    let next = lastSealed + 1;
    for (const index of unsealed) {
      if (index !== next) damage.push({ file: segs.display(segmentDirName(next)), message: `segment directory is missing (the unsealed tail goes on at ${segmentDirName(index)})` });
      next = index + 1;
    }

    for (const seg of m.segments) {
      if (isPruned(seg)) continue;
      const d = subdir(segs, seg.dir, damage, 'segment directory is missing', { segment: seg.dir });
      if (!d) continue;
      try {
        const expected = new Map<string, { bytes: number; table?: TableName }>();
        for (const [t, e] of Object.entries(seg.tables)) expected.set(e.file, { bytes: e.bytes, table: t as TableName });
        for (const t of seg.recovered?.torn ?? []) expected.set(t.file, { bytes: t.bytes });
        for (const name of d.list().sort()) if (!expected.has(name)) damage.push({ file: d.display(name), message: 'file is not in the manifest' });
        for (const [name, want] of expected) {
          checkFile(d.stat(name), want.bytes, d.display(name), want.table ? { segment: seg.dir, table: want.table } : undefined, damage);
        }
      } finally {
        d.close();
      }
    }

    for (const index of unsealed) {
      const name = segmentDirName(index);
      const d = subdir(segs, name, damage, 'segment directory is missing', { segment: name });
      if (!d) continue;
      try {
        for (const file of d.list().sort()) {
          const table = tableOfFile(file);
          if (!table) damage.push({ file: d.display(file), message: 'unexpected file in an unsealed segment' });
          else checkFile(d.stat(file), undefined, d.display(file), { segment: name, table }, damage);
        }
      } finally {
        d.close();
      }
    }
    return { unsealed, damage };
  } finally {
    segs.close();
  }
}

/** What a reader left out of a damaged recording, and why, for one line on stderr. */
export function describeSkips(damage: readonly Damage[]): string {
  return damage.map((d) => `${d.file} (${d.message}${d.skip ? ', left out' : ''})`).join('; ');
}
