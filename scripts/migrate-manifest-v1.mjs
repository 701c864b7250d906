#!/usr/bin/env node
// One-off migration: rewrites format-version-1 manifests as version 2, whose hash chain also
// covers the header (host, clock, command line, probes...) and the close record. Version 1
// chained the segment entries only, from sha256("flightrec-genesis\n" + id).
//
// A migration must not launder an edit: a manifest whose version-1 chain does not hold is
// refused, and the old chain head is kept in the new header (`migrated.chain_head`), so a
// head published before still pins the recording. Segment entries are chained again
// unchanged; table files are not touched.
//
// Usage (after `npm run build`): node scripts/migrate-manifest-v1.mjs <recording>...
import { createHash } from 'node:crypto';
import { appendSegment, chainLink, closeManifest } from '../dist/src/format/chain.js';
import { ConfinedDir } from '../dist/src/format/confined-dir.js';
import { MAX_MANIFEST_BYTES } from '../dist/src/format/limits.js';
import { MANIFEST, parseManifest, renderManifest, writeManifest } from '../dist/src/format/manifest.js';

function migrate(dir) {
  const root = ConfinedDir.open(dir);
  try {
    const file = root.display(MANIFEST);
    const v1 = JSON.parse(root.readFile(MANIFEST, MAX_MANIFEST_BYTES).toString('utf8'));
    if (v1.format !== 'flightrec' || v1.format_version !== 1) throw new Error(`${file}: not a format-version-1 flightrec manifest`);
    let head = createHash('sha256').update(`flightrec-genesis\n${v1.id}`).digest('hex');
    for (const seg of v1.segments) {
      if (chainLink(head, seg) !== seg.chain) throw new Error(`${file}: its version-1 chain is broken at segment ${seg.dir}: not migrated`);
      head = seg.chain;
    }
    const { segments, state, closed_at, closed_by, ...header } = v1;
    let m = { ...header, format_version: 2, migrated: { from_format_version: 1, chain_head: head }, state: 'recording', closed_at: null, closed_by: null, closed_chain: null, segments: [] };
    for (const { chain: _old, ...entry } of segments) m = appendSegment(m, entry);
    if (state === 'closed') m = closeManifest(m, closed_by, closed_at);
    parseManifest(renderManifest(m), file); // what is written must read back
    writeManifest(root, m);
    console.log(`${dir}: version 1 (chain head ${head}) -> version 2 (chain head ${m.closed_chain ?? m.segments.at(-1)?.chain})`);
  } finally {
    root.close();
  }
}

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error('usage: node scripts/migrate-manifest-v1.mjs <recording>...');
  process.exit(2);
}
let failed = false;
for (const d of dirs) {
  try {
    migrate(d);
  } catch (err) {
    console.error(`migrate-manifest-v1: ${err.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
