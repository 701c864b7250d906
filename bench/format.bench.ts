// Format benchmark: write N synthetic syscall rows through the recording writer and read
// them back. Prints rows/s each way, bytes per row on disk and peak RSS.
//   npm run bench:format [-- --rows 10000000 --batch 65536 --level 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Recording } from '../src/format/recording.js';
import { RecordingWriter } from '../src/format/recording-writer.js';
import { setCompressionLevel } from '../src/format/codec.js';
import { SyscallWorkload } from '../src/testing/synthetic.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    batch: { type: 'string', default: '65536' },
    level: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
const batchRows = Number(values.batch);
setCompressionLevel(Number(values.level));

const dir = join(mkdtempSync(join(tmpdir(), 'flightrec-bench-')), 'rec');
const work = new SyscallWorkload(1);
const w = RecordingWriter.create(dir);
let genNs = 0n;
let writeNs = 0n;
for (let done = 0; done < rows; done += batchRows) {
  const t0 = process.hrtime.bigint();
  const batch = work.batch(Math.min(batchRows, rows - done));
  const t1 = process.hrtime.bigint();
  w.append('syscall', batch);
  writeNs += process.hrtime.bigint() - t1;
  genNs += t1 - t0;
}
const t2 = process.hrtime.bigint();
const manifest = w.close();
writeNs += process.hrtime.bigint() - t2;
const bytes = manifest.segments.reduce((n, s) => n + Object.values(s.tables).reduce((m, t) => m + t.bytes, 0), 0);
const rssAfterWrite = process.resourceUsage().maxRSS / 1024;

const r0 = process.hrtime.bigint();
let readRows = 0;
let checksum = 0n;
for (const batch of Recording.open(dir).batches('syscall')) {
  readRows += batch.numRows;
  const ts = batch.getChild('ts')!.data[0]!.values as BigUint64Array;
  checksum ^= ts[ts.length - 1] ?? 0n;
}
const readNs = process.hrtime.bigint() - r0;
if (readRows !== rows) throw new Error(`read ${readRows} rows, wrote ${rows}`);

const perSec = (n: number, ns: bigint): string => `${(n / (Number(ns) / 1e9) / 1e6).toFixed(2)}M rows/s`;
console.log(JSON.stringify({
  rows, batch_rows: batchRows, zstd_level: Number(values.level), segments: manifest.segments.length,
  write: perSec(rows, writeNs), write_s: Number(writeNs) / 1e9,
  generate_s: Number(genNs) / 1e9,
  read: perSec(rows, readNs), read_s: Number(readNs) / 1e9,
  bytes_per_row: +(bytes / rows).toFixed(2), bytes_on_disk: bytes,
  peak_rss_mb_after_write: Math.round(rssAfterWrite), peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  checksum: checksum.toString(16),
}, null, 2));
if (!values.keep) rmSync(dir, { recursive: true });
