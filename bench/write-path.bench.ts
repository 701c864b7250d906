// Write-path benchmark: batches of W1-shaped syscall rows (one getppid() loop on CPU1: rising ts
// about 170 ns apart, one pid, constant args and ret) appended through the recording writer, whose
// table sink encodes, compresses (zstd level 1), hashes and writes natively; and the sink alone,
// ZSTD and plain. With --baseline, another build's writer (main's: apache-arrow's encoder and
// zstd-napi on the JS thread) on the same rows, round by round interleaved. Times a whole file:
// create, appends, close with its fsync; and the CPU time of the appends. Prints medians of
// rows/s and ns/row.
//   npm run bench:write-path [-- --batches 32 --rows 65536 --rounds 5 --baseline /work/main/dist]
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RecordBatch } from 'apache-arrow';
import { RecordingWriter } from '../src/format/recording-writer.js';
import { TableSink } from '../src/format/table-sink.js';
import { SCHEMAS } from '../src/schema/arrow.generated.js';
import { batchFromRows, rng } from '../src/testing/synthetic.js';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '32' },
    rows: { type: 'string', default: '65536' },
    rounds: { type: 'string', default: '5' },
    baseline: { type: 'string' },
  },
});
const batches = Number(values.batches);
const rows = Number(values.rows);
const rounds = Number(values.rounds);

/** W1's rows: what a getppid() loop pinned to CPU1 records. */
function w1Rows(): Record<string, unknown>[][] {
  const r = rng(1);
  let ts = 1_000_000_000n;
  let seq = 0n;
  return Array.from({ length: batches }, () => Array.from({ length: rows }, () => {
    ts += BigInt(150 + Math.floor(r() * 40));
    return {
      ts, seq: seq++, cpu: 1, pid: 4242, tid: 4242, comm: 'syscall_storm', nr: 110,
      arg0: 0n, arg1: 0x7ffd_1234_5670n, arg2: 0n, arg3: 8n, arg4: 0n, arg5: 0n, ret: 4241n,
      latency_ns: BigInt(60 + Math.floor(r() * 30)), returned: true,
    };
  }));
}

interface Writer {
  append(table: 'syscall', batch: RecordBatch): void;
  close(): { segments: ReadonlyArray<{ tables: Record<string, { bytes: number } | undefined> }> };
}
/**
 * One file written: ns spent in appends (wall, and CPU of the process: steadier than wall on a
 * shared machine), ns in all (create, appends, close with its fsync), bytes on disk.
 */
interface Timing {
  appendNs: number;
  appendCpuNs: number;
  totalNs: number;
  bytes: number;
}
type Run = (dir: string) => Timing;

const now = (): number => Number(process.hrtime.bigint());
const cpuNow = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
};

function writerRun(create: (dir: string) => Writer, input: readonly RecordBatch[]): Run {
  return (dir) => {
    const t0 = now();
    const w = create(join(dir, 'rec'));
    const [t1, c1] = [now(), cpuNow()];
    for (const b of input) w.append('syscall', b);
    const [t2, c2] = [now(), cpuNow()];
    const m = w.close();
    return { appendNs: t2 - t1, appendCpuNs: c2 - c1, totalNs: now() - t0, bytes: m.segments.reduce((n, s) => n + (s.tables.syscall?.bytes ?? 0), 0) };
  };
}

function sinkRun(input: readonly RecordBatch[], level: number | null): Run {
  return (dir) => {
    const t0 = now();
    const path = join(dir, 'syscall.arrow');
    const sink = new TableSink(openSync(path, 'wx'), path, 'syscall.arrow', SCHEMAS.syscall);
    const [t1, c1] = [now(), cpuNow()];
    for (const b of input) sink.append(b, level);
    const [t2, c2] = [now(), cpuNow()];
    const { bytes } = sink.end();
    return { appendNs: t2 - t1, appendCpuNs: c2 - c1, totalNs: now() - t0, bytes };
  };
}

const rowSets = w1Rows();
const ours = rowSets.map((r) => batchFromRows('syscall', r));
const runs: Record<string, Run> = {
  'writer (native sink, zstd 1)': writerRun((d) => RecordingWriter.create(d), ours),
  'sink alone, zstd 1': sinkRun(ours, 1),
  'sink alone, plain': sinkRun(ours, null),
};
if (values.baseline !== undefined) {
  const base = resolve(values.baseline);
  const before = (await import(join(base, 'src', 'format', 'recording-writer.js'))) as { RecordingWriter: { create(dir: string): Writer } };
  // The baseline's own apache-arrow builds its batches: classes are not shared across builds.
  const synthetic = (await import(join(base, 'src', 'testing', 'synthetic.js'))) as { batchFromRows: typeof batchFromRows };
  const theirs = rowSets.map((r) => synthetic.batchFromRows('syscall', r));
  runs[`baseline writer (${base})`] = writerRun((d) => before.RecordingWriter.create(d), theirs);
}

const timings = new Map<string, Timing[]>(Object.keys(runs).map((k) => [k, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(runs)) {
    const dir = mkdtempSync(join(tmpdir(), 'flightrec-bench-'));
    timings.get(name)!.push(run(dir));
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const total = batches * rows;
console.log(`${batches} batches × ${rows} W1-shaped syscall rows, ${rounds} rounds interleaved, medians; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const baseline = [...timings.entries()].find(([name]) => name.startsWith('baseline'))?.[1];
const head = ['appends (wall)', 'appends (CPU)', 'with close + fsync (wall)'];
console.log(`${''.padEnd(40)} ${head.map((h) => h.padStart(28)).join('')} ${'bytes/row'.padStart(10)}${baseline ? '  baseline ÷ this, appends CPU (median of rounds)' : ''}`);
for (const [name, ts] of timings) {
  const cell = (ns: number): string => `${(total / (ns / 1e9) / 1e6).toFixed(2).padStart(6)}M rows/s ${(ns / total).toFixed(1).padStart(6)} ns/row`.padStart(28);
  const ratio = baseline ? `  ${median(ts.map((t, i) => baseline[i]!.appendCpuNs / t.appendCpuNs)).toFixed(2)}×` : '';
  const cells = [median(ts.map((t) => t.appendNs)), median(ts.map((t) => t.appendCpuNs)), median(ts.map((t) => t.totalNs))].map(cell).join('');
  console.log(`${name.padEnd(40)} ${cells} ${(ts[0]!.bytes / total).toFixed(2).padStart(10)}${ratio}`);
}
