// manifest.json: what a recording is, and per sealed segment what its files must hash to.
// Parsing treats it as untrusted: every field a reader uses is checked, and every name that
// becomes a path (segment directories, table files, torn files) is one the writer makes.
// Written by write-temp-then-rename, so a reader sees the old or the new manifest, never half.
import { join } from 'node:path';
import { TABLE_NAMES } from '../schema/tables.js';
import { ConfinedDir } from './confined-dir.js';
import { RecordingError } from './errors.js';
import { MAX_MANIFEST_BYTES } from './limits.js';

export const FORMAT_NAME = 'flightrec';
/** 2: the chain covers the header and the close record (see chain.ts); 1 chained segments only. */
export const FORMAT_VERSION = 2;
export const MANIFEST = 'manifest.json';
/** The highest segment index a six-digit directory name holds. */
export const MAX_SEGMENT_INDEX = 999_999;

/** u64 values travel as decimal strings: JSON numbers lose precision past 2^53. */
export type U64String = string;

export interface TableEntry {
  readonly file: string;
  readonly rows: number;
  readonly batches: number;
  readonly first_ts: U64String | null;
  readonly last_ts: U64String | null;
  /** Bytes on disk. */
  readonly bytes: number;
  /** Bytes of the Arrow buffers before compression. */
  readonly raw_bytes: number;
  readonly sha256: string;
}

export interface TornEntry {
  readonly table: string;
  readonly offset: number;
  readonly bytes: number;
  readonly file: string;
  readonly sha256: string;
  readonly reason: string;
}

export interface Recovery {
  readonly sealed_at: string;
  /** Bytes after the last complete batch, kept aside in `<file>.torn` and hashed. */
  readonly torn: readonly TornEntry[];
}

export interface SegmentEntry {
  readonly index: number;
  readonly dir: string;
  readonly opened_at: string;
  readonly sealed_at: string;
  readonly tables: Readonly<Record<string, TableEntry>>;
  readonly recovered?: Recovery;
  /**
   * When the segment's files were deleted to keep the recording within its bound (`record
   * --keep-size/--keep-time`); the entry stays, so the chain still proves what was there.
   */
  readonly pruned_at?: string;
  /** sha256(previous chain + "\n" + canonical JSON of this entry without `chain` and `pruned_at`). */
  readonly chain: string;
}

export interface ClockMapping {
  /** CLOCK_MONOTONIC and CLOCK_REALTIME read back to back: wall = ts - monotonic_ns + wall_ns. */
  readonly monotonic_ns: U64String;
  readonly wall_ns: U64String;
}

export interface Manifest {
  readonly format: typeof FORMAT_NAME;
  readonly format_version: number;
  readonly id: string;
  readonly recorder_version: string;
  readonly host: { readonly hostname: string; readonly kernel_release: string; readonly boot_id: string; readonly arch: string };
  readonly clock: ClockMapping;
  readonly command_line: readonly string[];
  readonly targets: Readonly<Record<string, unknown>>;
  readonly probes: ReadonlyArray<Readonly<Record<string, unknown>>>;
  readonly created_at: string;
  readonly state: 'recording' | 'closed';
  readonly closed_at: string | null;
  /** How the recording was closed: by its writer, or by `flightrec seal` after a crash. */
  readonly closed_by: 'writer' | 'seal' | null;
  /** The chain's last link, over the close record; null while open. */
  readonly closed_chain: string | null;
  readonly writer_pid: number;
  /** Provenance of a slice or other derived recording. */
  readonly source?: Readonly<Record<string, unknown>>;
  /** Set when an older format's manifest was rewritten to this one: its version and chain head then. */
  readonly migrated?: { readonly from_format_version: number; readonly chain_head: string };
  readonly segments: readonly SegmentEntry[];
}

export function segmentDirName(index: number): string {
  return String(index).padStart(6, '0');
}

export const isPruned = (s: SegmentEntry): boolean => s.pruned_at !== undefined;

/** The sealed segments whose files are kept (not pruned), in order. */
/** The ts range of the rows of sealed segments (over all their tables), as decimal text; null where they have none. */
export function segmentsTsRange(segments: readonly SegmentEntry[]): { first: string | null; last: string | null } {
  let first: string | null = null;
  let last: string | null = null;
  for (const s of segments) {
    for (const t of Object.values(s.tables)) {
      if (t.first_ts !== null && (first === null || BigInt(t.first_ts) < BigInt(first))) first = t.first_ts;
      if (t.last_ts !== null && (last === null || BigInt(t.last_ts) > BigInt(last))) last = t.last_ts;
    }
  }
  return { first, last };
}

export const keptSegments = (m: Manifest): SegmentEntry[] => m.segments.filter((s) => !isPruned(s));

/** What `crypto.randomUUID()` makes; an id names cache directories and export files. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Check = (v: unknown) => boolean;
const isStr: Check = (v) => typeof v === 'string';
const isNum: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isU64: Check = (v) => typeof v === 'string' && /^\d{1,20}$/.test(v);
const isU64OrNull: Check = (v) => v === null || isU64(v);
const isObj: Check = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isArr: Check = Array.isArray;
const isHash: Check = (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const isTable: Check = (v) => typeof v === 'string' && (TABLE_NAMES as readonly string[]).includes(v);

function need(obj: Record<string, unknown>, fields: Record<string, Check>, where: string, file: string): void {
  for (const [k, ok] of Object.entries(fields)) {
    if (!(k in obj)) throw new RecordingError(`missing field '${where}${k}'`, { file });
    if (!ok(obj[k])) throw new RecordingError(`field '${where}${k}' has the wrong type or value`, { file });
  }
}

function checkSegment(s: unknown, i: number, file: string): void {
  const where = `segments[${i}].`;
  if (!isObj(s)) throw new RecordingError(`field '${where.slice(0, -1)}' is not an object`, { file });
  const seg = s as Record<string, unknown>;
  need(seg, {
    index: (v) => isNum(v) && (v as number) >= 1 && (v as number) <= MAX_SEGMENT_INDEX,
    dir: (v) => v === segmentDirName(seg.index as number), opened_at: isStr, sealed_at: isStr, tables: isObj, chain: isHash,
  }, where, file);
  for (const [name, t] of Object.entries(seg.tables as Record<string, unknown>)) {
    if (!isTable(name)) throw new RecordingError(`field '${where}tables' names '${name}', which is not a table`, { file });
    if (!isObj(t)) throw new RecordingError(`field '${where}tables.${name}' is not an object`, { file });
    need(t as Record<string, unknown>, {
      file: (v) => v === `${name}.arrow`, rows: isNum, batches: isNum, first_ts: isU64OrNull, last_ts: isU64OrNull,
      bytes: isNum, raw_bytes: isNum, sha256: isHash,
    }, `${where}tables.${name}.`, file);
  }
  if (seg.pruned_at !== undefined && !isStr(seg.pruned_at)) throw new RecordingError(`field '${where}pruned_at' has the wrong type or value`, { file });
  if (seg.recovered === undefined) return;
  if (!isObj(seg.recovered)) throw new RecordingError(`field '${where}recovered' is not an object`, { file });
  const rec = seg.recovered as Record<string, unknown>;
  need(rec, { sealed_at: isStr, torn: isArr }, `${where}recovered.`, file);
  (rec.torn as unknown[]).forEach((t, j) => {
    const at = `${where}recovered.torn[${j}].`;
    if (!isObj(t)) throw new RecordingError(`field '${at.slice(0, -1)}' is not an object`, { file });
    const torn = t as Record<string, unknown>;
    need(torn, { table: isTable, file: (v) => v === `${String(torn.table)}.arrow.torn`, offset: isNum, bytes: isNum, sha256: isHash, reason: isStr }, at, file);
  });
}

/** Parse and validate; every problem names the file and the field. */
export function parseManifest(text: string, file: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RecordingError(`not valid JSON (${(err as Error).message})`, { file });
  }
  if (!isObj(raw)) throw new RecordingError('not a JSON object', { file });
  const m = raw as Record<string, unknown>;
  if (m.format !== FORMAT_NAME) throw new RecordingError(`not a flightrec manifest (format is ${JSON.stringify(m.format)})`, { file });
  if (m.format_version === 1) {
    throw new RecordingError('format version 1 is not supported (its chain leaves the header out); `node scripts/migrate-manifest-v1.mjs <recording>` rewrites it to version 2', { file });
  }
  if (m.format_version !== FORMAT_VERSION) {
    throw new RecordingError(`format version ${JSON.stringify(m.format_version)} is not supported (this flightrec reads version ${FORMAT_VERSION})`, { file });
  }
  need(m, {
    id: (v) => typeof v === 'string' && UUID.test(v), recorder_version: isStr, host: isObj, clock: isObj, command_line: isArr, targets: isObj,
    probes: isArr, created_at: isStr, state: (v) => v === 'recording' || v === 'closed', segments: isArr, writer_pid: isNum,
    closed_at: (v) => v === null || isStr(v), closed_by: (v) => v === null || v === 'writer' || v === 'seal',
    closed_chain: (v) => v === null || isHash(v),
  }, '', file);
  const closeFields = [m.closed_at, m.closed_by, m.closed_chain];
  if (m.state === 'recording' ? closeFields.some((v) => v !== null) : closeFields.some((v) => v === null)) {
    throw new RecordingError(`fields 'closed_at', 'closed_by' and 'closed_chain' do not fit state '${String(m.state)}'`, { file });
  }
  if (m.source !== undefined && !isObj(m.source)) throw new RecordingError("field 'source' is not an object", { file });
  if (m.migrated !== undefined) {
    if (!isObj(m.migrated)) throw new RecordingError("field 'migrated' is not an object", { file });
    need(m.migrated as Record<string, unknown>, { from_format_version: isNum, chain_head: isHash }, 'migrated.', file);
  }
  need(m.host as Record<string, unknown>, { hostname: isStr, kernel_release: isStr, boot_id: isStr, arch: isStr }, 'host.', file);
  need(m.clock as Record<string, unknown>, { monotonic_ns: isU64, wall_ns: isU64 }, 'clock.', file);
  (m.segments as unknown[]).forEach((s, i) => checkSegment(s, i, file));
  return raw as Manifest;
}

/** The exact text flightrec writes for a manifest; any other text for the same value was edited. */
export function renderManifest(m: Manifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/** The manifest of the recording `root` holds, and its bytes as read. */
export function readManifestIn(root: ConfinedDir): { manifest: Manifest; bytes: Buffer } {
  const file = root.display(MANIFEST);
  let bytes: Buffer;
  try {
    bytes = root.readFile(MANIFEST, MAX_MANIFEST_BYTES);
  } catch (err) {
    if (err instanceof RecordingError && err.reason === 'is missing') throw new RecordingError(`not a flightrec recording: ${file} does not exist`, { cause: err });
    throw err;
  }
  return { manifest: parseManifest(bytes.toString('utf8'), file), bytes };
}

/** The manifest of the recording at `dir`. */
export function readManifest(dir: string): Manifest {
  const root = ConfinedDir.open(dir);
  try {
    return readManifestIn(root).manifest;
  } finally {
    root.close();
  }
}

/** Replaced atomically (temp file, fsync, rename, fsync of the directory); never written through a link. */
export function writeManifest(root: ConfinedDir, manifest: Manifest): void {
  root.replaceFile(MANIFEST, renderManifest(manifest));
}

export const manifestPath = (dir: string): string => join(dir, MANIFEST);
