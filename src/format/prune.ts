// Retention: which sealed segments to delete to keep a recording within `--keep-size` and
// `--keep-time`, and the two steps of deleting them. The manifest is rewritten first with each
// pruned segment's entry kept and marked (its index, time range, rows and hashes stay in the
// chain, see chain.ts), and only then are its files removed. A crash between the two leaves
// files of a segment marked pruned: readers ignore them and `seal` removes them.
import type { ConfinedDir } from './confined-dir.js';
import { isPruned, segmentsTsRange, type Manifest, type SegmentEntry } from './manifest.js';

export interface Retention {
  /** Keep at most this many bytes of sealed segments. */
  readonly keepBytes?: number;
  /** Keep the segments sealed less than this long ago. */
  readonly keepMs?: number;
}

/** Bytes of a sealed segment's files: its tables and any torn bytes kept aside. */
export function segmentBytes(s: SegmentEntry): number {
  let n = 0;
  for (const t of Object.values(s.tables)) n += t.bytes;
  for (const t of s.recovered?.torn ?? []) n += t.bytes;
  return n;
}

/**
 * Indexes of the kept sealed segments to prune, oldest first, for the bound to hold at wall time
 * `nowMs`, with `sealingBytes` more of segments being sealed (not in `m` yet); none from the first
 * with rows at or after `keepFrom` on (an incident being written needs them).
 */
export function segmentsToPrune(m: Manifest, keep: Retention, nowMs: number, keepFrom?: bigint, sealingBytes = 0): number[] {
  const kept = m.segments.filter((s) => !isPruned(s));
  // Summed only for a size bound: the recorder checks a time bound alone every few milliseconds.
  let bytes = keep.keepBytes === undefined ? 0 : kept.reduce((n, s) => n + segmentBytes(s), sealingBytes);
  const out: number[] = [];
  for (const s of kept) {
    const over = keep.keepBytes !== undefined && bytes > keep.keepBytes;
    const old = keep.keepMs !== undefined && nowMs - Date.parse(s.sealed_at) >= keep.keepMs;
    if (!over && !old) break;
    const last = keepFrom === undefined ? null : segmentsTsRange([s]).last;
    if (last !== null && BigInt(last) >= keepFrom!) break;
    out.push(s.index);
    bytes -= segmentBytes(s);
  }
  return out;
}

/** The manifest with segments `indexes` marked pruned at `at`. */
export function markPruned(m: Manifest, indexes: readonly number[], at = new Date().toISOString()): Manifest {
  const prune = new Set(indexes);
  return { ...m, segments: m.segments.map((s) => (prune.has(s.index) && !isPruned(s) ? { ...s, pruned_at: at } : s)) };
}

/**
 * Removes what is left of `entries` that are marked pruned (all of a segment, or what a crash
 * left of it); returns how many directories it removed. Call only once a manifest marking them
 * is durable (writeManifest fsyncs it). The removal itself is not fsynced: a crash that undoes
 * it leaves a pruned segment's files, which readers ignore and seal removes.
 */
export function removePruned(segments: ConfinedDir, entries: readonly SegmentEntry[]): number {
  let removed = 0;
  for (const s of entries) {
    if (!isPruned(s) || segments.stat(s.dir) === undefined) continue;
    segments.removeTree(s.dir);
    removed++;
  }
  return removed;
}
