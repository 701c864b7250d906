// The hash chain that puts every value of a manifest under one head. The genesis hashes the
// header (everything the writer fixes at creation: host, kernel, boot id, clock mapping,
// command line, targets, probes, source...), each sealed segment's entry is chained onto the
// one before, the pruned segments (index and time, see prune.ts) are chained after the last
// segment, and closing chains the close record (state, time, by whom) last. A segment's link
// leaves out its own `pruned_at`, so pruning changes no link already made, only the head. The
// head is what `verify` prints: pinning it pins every byte a reader interprets.
import { createHash } from 'node:crypto';
import { isPruned, type Manifest, type SegmentEntry } from './manifest.js';

/** Stable JSON: object keys sorted, so the chain does not depend on key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Fields that change after creation, each chained on its own; everything else is the header. */
const NOT_HEADER = new Set(['segments', 'state', 'closed_at', 'closed_by', 'closed_chain']);

/** The header: every top-level field but the segments and the close record, unknown ones included. */
export function manifestHeader(m: Manifest): Record<string, unknown> {
  return Object.fromEntries(Object.entries(m).filter(([k]) => !NOT_HEADER.has(k)));
}

export function genesis(m: Manifest): string {
  return sha256(`flightrec-genesis\n${m.id}\n${canonicalJson(manifestHeader(m))}`);
}

export function chainLink(prev: string, entry: Omit<SegmentEntry, 'chain'> & { chain?: string }): string {
  const { chain: _chain, pruned_at: _prunedAt, ...rest } = entry;
  return sha256(`${prev}\n${canonicalJson(rest)}`);
}

/** The link over which segments were pruned and when, after the last segment's. */
export function pruneLink(prev: string, segments: readonly SegmentEntry[]): string {
  const pruned = segments.filter(isPruned).map((s) => ({ index: s.index, pruned_at: s.pruned_at }));
  return pruned.length === 0 ? prev : sha256(`${prev}\npruned\n${canonicalJson(pruned)}`);
}

/** The link that closes a chain: the close record after the last segment (or the genesis). */
export function closeLink(prev: string, m: Pick<Manifest, 'state' | 'closed_at' | 'closed_by'>): string {
  return sha256(`${prev}\nclosed\n${canonicalJson({ state: m.state, closed_at: m.closed_at, closed_by: m.closed_by })}`);
}

const lastSegmentLink = (m: Manifest): string => m.segments.at(-1)?.chain ?? genesis(m);
const lastLink = (m: Manifest): string => pruneLink(lastSegmentLink(m), m.segments);

/** The manifest with `entry` sealed onto the end of its chain. */
export function appendSegment(m: Manifest, entry: Omit<SegmentEntry, 'chain'>): Manifest {
  return { ...m, segments: [...m.segments, { ...entry, chain: chainLink(lastSegmentLink(m), entry) }] };
}

/** The manifest closed (by its writer, or by `seal` after a crash), its close record chained. */
export function closeManifest(m: Manifest, by: 'writer' | 'seal', at = new Date().toISOString()): Manifest {
  const closed = { ...m, state: 'closed' as const, closed_at: at, closed_by: by };
  return { ...closed, closed_chain: closeLink(lastLink(m), closed) };
}

/** Segments whose chain value does not follow from the one before: edited, removed or reordered (the first also when the header was edited). */
export function chainBreaks(m: Manifest): SegmentEntry[] {
  let prev = genesis(m);
  const broken: SegmentEntry[] = [];
  for (const seg of m.segments) {
    if (chainLink(prev, seg) !== seg.chain) broken.push(seg);
    prev = seg.chain;
  }
  return broken;
}

/** Whether a closed manifest's close record does not follow from its last link, the pruning included (an open one has none). */
export function closeBroken(m: Manifest): boolean {
  return m.state === 'closed' && m.closed_chain !== closeLink(lastLink(m), m);
}

/** The value to publish to pin the recording: the close link, else the pruning's or the last segment's, else the genesis. */
export function chainHead(m: Manifest): string {
  return m.closed_chain ?? lastLink(m);
}
