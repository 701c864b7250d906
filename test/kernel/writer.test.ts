// The recorder's write path on the real kernel: the consumer thread queues the batches of the
// tables JavaScript does not read straight to the writer thread (native/writer.h), which writes
// every segment's files; the format layer seals them into the manifest at a later tick.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/format/manifest.js';
import { cli, inMountNamespace, tempDir } from '../helpers.js';
import { NR, WORKLOADS, kernelAvailable, record, rows } from './kernel.js';

const run = kernelAvailable();
const CALLS = 300_000;

describe.runIf(run)('the writer thread under the recorder', () => {
  it('writes every row the consumer decoded, in (ts, seq) order, over segments sealed and chained in the background', () => {
    const dir = join(tempDir(), 'rec');
    const summary = join(tempDir(), 'summary.json');
    // 256 MiB of lanes hold the whole storm even if the consumer never ran: nothing can be lost.
    const r = record(dir, ['--ring-size', '512M', '--segment-size', '256K', '--summary-json', summary], [join(WORKLOADS, 'syscall_storm'), String(CALLS)]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(summary, 'utf8')) as { stats: { rows: Record<string, number>; lost: number } };
    expect(s.stats.lost).toBe(0);

    const m = parseManifest(readFileSync(join(dir, 'manifest.json'), 'utf8'), 'manifest.json');
    expect(m.state).toBe('closed');
    expect(m.segments.length).toBeGreaterThan(2);
    expect(m.segments.map((g) => g.index)).toEqual(m.segments.map((_, i) => i + 1));
    // What the consumer decoded is what the files hold, table by table.
    for (const [table, n] of Object.entries(s.stats.rows)) {
      expect(m.segments.reduce((k, g) => k + (g.tables[table]?.rows ?? 0), 0), table).toBe(n);
    }
    const verify = cli('verify', dir);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    const syscalls = rows(dir, 'syscall');
    expect(syscalls.length).toBe(s.stats.rows.syscall);
    for (let i = 1; i < syscalls.length; i++) {
      const [a, b] = [syscalls[i - 1]!, syscalls[i]!];
      const before = (a.ts as bigint) < (b.ts as bigint) || (a.ts === b.ts && (a.seq as bigint) < (b.seq as bigint));
      if (!before) expect.fail(`row ${i} (ts ${b.ts}, seq ${b.seq}) is not after row ${i - 1} (ts ${a.ts}, seq ${a.seq})`);
    }
    expect(syscalls.filter((x) => x.nr === NR.getppid).length).toBe(CALLS);
  });

  it('stops on a full disk, says so in one line, and leaves a recording seal makes whole', () => {
    const r = inMountNamespace(`disk=$(mktemp -d)
mount -t tmpfs -o size=2m tmpfs "$disk"
code=0
"$NODE" "$FLIGHTREC" record -q -o "$disk/rec" -- sh -c '${join(WORKLOADS, 'syscall_storm')} 5000000 2>/dev/null' || code=$?
echo "record exit $code"
# seal keeps the torn tail aside: it needs room for it.
mount -o remount,size=4m "$disk"
"$NODE" "$FLIGHTREC" seal "$disk/rec" >/dev/null
"$NODE" "$FLIGHTREC" verify "$disk/rec" >/dev/null && echo verified`);
    if (!r) return;
    expect(r.stdout, r.stderr).toMatch(/^record exit [1-9]\d*\nverified\n$/);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/the disk is full: recording stopped; what was written before is kept; \d+ later rows were not written$/);
  });
});
