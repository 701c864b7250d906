// manifest.json: what a recording is, and per sealed segment what its files must hash to.
// Written by write-temp-then-rename, so a reader sees the old or the new manifest, never half.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, readSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RecordingError } from './errors.js';

export const FORMAT_NAME = 'flightrec';
export const FORMAT_VERSION = 1;
export const MANIFEST = 'manifest.json';

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

export interface Recovery {
  readonly sealed_at: string;
  /** Bytes after the last complete batch, kept aside in `<file>.torn` and hashed. */
  readonly torn: ReadonlyArray<{ readonly table: string; readonly offset: number; readonly bytes: number; readonly file: string; readonly sha256: string; readonly reason: string }>;
}

export interface SegmentEntry {
  readonly index: number;
  readonly dir: string;
  readonly opened_at: string;
  readonly sealed_at: string;
  readonly tables: Readonly<Record<string, TableEntry>>;
  readonly recovered?: Recovery;
  /** sha256(previous chain + "\n" + canonical JSON of this entry without `chain`). */
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
  readonly writer_pid: number;
  /** Provenance of a slice or other derived recording. */
  readonly source?: Readonly<Record<string, unknown>>;
  readonly segments: readonly SegmentEntry[];
}

/** Stable JSON: object keys sorted, so the chain does not depend on key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function genesis(id: string): string {
  return createHash('sha256').update(`flightrec-genesis\n${id}`).digest('hex');
}

export function chainLink(prev: string, entry: Omit<SegmentEntry, 'chain'> & { chain?: string }): string {
  const { chain: _ignored, ...rest } = entry;
  return createHash('sha256').update(`${prev}\n${canonicalJson(rest)}`).digest('hex');
}

/** The manifest with `entry` sealed onto the end of its chain. */
export function appendSegment(m: Manifest, entry: Omit<SegmentEntry, 'chain'>): Manifest {
  const prev = m.segments.at(-1)?.chain ?? genesis(m.id);
  return { ...m, segments: [...m.segments, { ...entry, chain: chainLink(prev, entry) }] };
}

/** Segments whose chain value does not follow from the one before: edited, removed or reordered. */
export function chainBreaks(m: Manifest): SegmentEntry[] {
  let prev = genesis(m.id);
  const broken: SegmentEntry[] = [];
  for (const seg of m.segments) {
    if (chainLink(prev, seg) !== seg.chain) broken.push(seg);
    prev = seg.chain;
  }
  return broken;
}

/** SHA-256 of a file, read in 1 MiB chunks. */
export function sha256File(path: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

export function segmentDirName(index: number): string {
  return String(index).padStart(6, '0');
}

type Check = (v: unknown) => boolean;
const isStr: Check = (v) => typeof v === 'string';
const isNum: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isU64: Check = (v) => typeof v === 'string' && /^\d{1,20}$/.test(v);
const isU64OrNull: Check = (v) => v === null || isU64(v);
const isObj: Check = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isArr: Check = Array.isArray;

function need(obj: Record<string, unknown>, fields: Record<string, Check>, where: string, file: string): void {
  for (const [k, ok] of Object.entries(fields)) {
    if (!(k in obj)) throw new RecordingError(`missing field '${where}${k}'`, { file });
    if (!ok(obj[k])) throw new RecordingError(`field '${where}${k}' has the wrong type`, { file });
  }
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
  if (m.format_version !== FORMAT_VERSION) {
    throw new RecordingError(`format version ${JSON.stringify(m.format_version)} is not supported (this flightrec reads version ${FORMAT_VERSION})`, { file });
  }
  need(m, {
    id: isStr, recorder_version: isStr, host: isObj, clock: isObj, command_line: isArr, targets: isObj,
    probes: isArr, created_at: isStr, state: (v) => v === 'recording' || v === 'closed', segments: isArr,
    writer_pid: isNum,
  }, '', file);
  need(m.host as Record<string, unknown>, { hostname: isStr, kernel_release: isStr, boot_id: isStr, arch: isStr }, 'host.', file);
  need(m.clock as Record<string, unknown>, { monotonic_ns: isU64, wall_ns: isU64 }, 'clock.', file);
  (m.segments as unknown[]).forEach((s, i) => {
    const where = `segments[${i}].`;
    if (!isObj(s)) throw new RecordingError(`field '${where.slice(0, -1)}' is not an object`, { file });
    const seg = s as Record<string, unknown>;
    need(seg, { index: isNum, dir: (v) => typeof v === 'string' && /^\d{6}$/.test(v), opened_at: isStr, sealed_at: isStr, tables: isObj, chain: (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) }, where, file);
    for (const [name, t] of Object.entries(seg.tables as Record<string, unknown>)) {
      if (!isObj(t)) throw new RecordingError(`field '${where}tables.${name}' is not an object`, { file });
      need(t as Record<string, unknown>, {
        file: (v) => v === `${name}.arrow`, rows: isNum, batches: isNum, first_ts: isU64OrNull, last_ts: isU64OrNull,
        bytes: isNum, raw_bytes: isNum, sha256: (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v),
      }, `${where}tables.${name}.`, file);
    }
  });
  return raw as Manifest;
}

export function readManifest(dir: string): Manifest {
  const file = join(dir, MANIFEST);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RecordingError(`not a flightrec recording: ${file} does not exist`, { cause: err });
    throw new RecordingError(`cannot read: ${code ?? err}`, { file, cause: err });
  }
  return parseManifest(text, file);
}

/** Write-temp, fsync, rename, fsync the directory: the manifest is replaced atomically. */
export function writeManifest(dir: string, manifest: Manifest): void {
  const file = join(dir, MANIFEST);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(manifest, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  fsyncDir(dirname(file));
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
