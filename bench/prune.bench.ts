// Pruning benchmark (record --keep-size/--keep-time): what pruning one segment costs, split into
// its two steps — the manifest rewritten with the segment marked pruned (temp, fsync, rename,
// fsync of the directory) and the segment's files deleted — for segments of a given size, with
// manifests of a few and of many entries (the manifest grows by one entry per segment).
//   npm run bench:prune [-- --segment 1M --segments 40 --entries 2000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfinedDir } from '../src/format/confined-dir.js';
import { renderManifest, writeManifest, type Manifest } from '../src/format/manifest.js';
import { markPruned, removePruned } from '../src/format/prune.js';
import { RecordingWriter } from '../src/format/recording-writer.js';
import { parseSize } from '../src/cli/units.js';
import { SyscallWorkload } from '../src/testing/synthetic.js';

const { values } = parseArgs({
  options: {
    segment: { type: 'string', default: '1M' },
    segments: { type: 'string', default: '40' },
    entries: { type: 'string', default: '2000' },
  },
});
const segmentBytes = parseSize('--segment', values.segment);
const count = Number(values.segments);
const padEntries = Number(values.entries);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/** A recording of `count` sealed segments of about `segmentBytes` each, its writer left open. */
function recording(): { dir: string; manifest: Manifest } {
  const dir = join(mkdtempSync(join(tmpdir(), 'flightrec-bench-')), 'rec');
  const w = RecordingWriter.create(dir, { maxSegmentBytes: segmentBytes });
  const work = new SyscallWorkload(1);
  while (w.current.segments.length < count) w.append('syscall', work.batch(8192));
  return { dir, manifest: w.current };
}

/** A manifest padded to `n` entries (copies of the last, renumbered), as after a long ring run: only its size matters here. */
function padded(m: Manifest, n: number): Manifest {
  const last = m.segments.at(-1)!;
  const extra = Array.from({ length: Math.max(0, n - m.segments.length) }, (_, i) => ({ ...last, index: m.segments.length + i + 1, dir: String(m.segments.length + i + 1).padStart(6, '0') }));
  return { ...m, segments: [...m.segments, ...extra] };
}

interface Run {
  readonly label: string;
  readonly dir: string;
  readonly root: ConfinedDir;
  readonly segs: ConfinedDir;
  m: Manifest;
  readonly marking: number[];
  readonly deleting: number[];
}

function prepare(label: string, entries: number): Run {
  const { dir, manifest } = recording();
  const root = ConfinedDir.open(dir);
  return { label, dir, root, segs: root.subdir('segments'), m: padded(manifest, entries), marking: [], deleting: [] };
}

function pruneOne(r: Run, index: number): void {
  let t0 = process.hrtime.bigint();
  r.m = markPruned(r.m, [index]);
  writeManifest(r.root, r.m);
  r.marking.push(ms(t0));
  t0 = process.hrtime.bigint();
  removePruned(r.segs, [r.m.segments[index - 1]!]);
  r.deleting.push(ms(t0));
}

// The two manifests are pruned in turn, so both see the same load.
const runs = [prepare('short manifest', count), prepare('long manifest', padEntries)];
for (let i = 1; i <= count; i++) for (const r of runs) pruneOne(r, i);
for (const r of runs) {
  console.log(`${r.label}: ${count} segments of ${values.segment}, manifest ${(renderManifest(r.m).length / 1024).toFixed(0)} KiB (${r.m.segments.length} entries): ` +
    `manifest update median ${median(r.marking).toFixed(2)} ms, delete median ${median(r.deleting).toFixed(2)} ms, per segment ${(median(r.marking) + median(r.deleting)).toFixed(2)} ms`);
  r.segs.close();
  r.root.close();
  rmSync(join(r.dir, '..'), { recursive: true, force: true });
}
