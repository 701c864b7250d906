// zstd level per column kind (issue 21): records W1–W3 (bench/workloads.ts) with flightrec's
// default tables (or --tables), or takes recordings given, and recompresses every buffer of every batch at
// each level with the native sink's own compressor (its libzstd, one reused context:
// compressPart in src/format/table-sink.ts), by the kind of column it belongs to (src/format/part-kinds.ts).
// Rounds are interleaved (a buffer's levels back to back, in a rotated order); figures are medians.
// A stored buffer costs no zstd call but more bytes to hash and write: each round also times
// SHA-256 and a page-cache write per byte, and "cost" is zstd time plus that for the bytes.
// Prints per recording, kind and level bytes/row and zstd ns/row; then the cheapest level per
// kind that keeps every recording's bytes/syscall no worse than level 1 everywhere (today's).
//   npm run bench:levels [-- --rounds 5 --workloads w1,w2,w3 --tables syscall,proc | --recordings DIR,DIR]
//     [--choice time=-1,wide=3 ...] [--keep]
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { BodyReader } from '../src/analyze/ipc-body.js';
import { PART_KINDS, type PartKind, partKinds } from '../src/format/part-kinds.js';
import { Recording } from '../src/format/recording.js';
import { compressPart } from '../src/format/table-sink.js';
import { packageRoot } from '../src/paths.js';
import { SCHEMAS } from '../src/schema/arrow.generated.js';
import { onCpu1, workloads } from './workloads.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    workloads: { type: 'string', default: 'w1,w2,w3' },
    /** Comma-separated recording directories to measure instead of recording the workloads. */
    recordings: { type: 'string' },
    /** flightrec record --tables for the recordings made (its default tables unless given). */
    tables: { type: 'string' },
    keep: { type: 'boolean', default: false },
    /** A choice to print next to the best found, as kind=level pairs (others at level 1), e.g. time=-1,text=stored; repeatable. */
    choice: { type: 'string', multiple: true, default: [] },
  },
});
const rounds = Number(values.rounds);
if (!(rounds >= 1)) throw new Error(`--rounds must be at least 1, not ${values.rounds}`);

/** null: stored (no zstd call). */
type Level = number | null;
const LEVELS: readonly Level[] = [null, -5, -3, -1, 1, 2, 3];
const TODAY: Level = 1;
const levelName = (l: Level): string => (l === null ? 'stored' : String(l));

/** A level per kind. */
type Choice = ReadonlyMap<PartKind, Level>;

/** A choice from `kind=level,...`; kinds not named at today's level. */
function given(text: string): Choice {
  const c = new Map<PartKind, Level>(PART_KINDS.map((k) => [k, TODAY]));
  for (const pair of text.split(',')) {
    const [k, l] = pair.split('=');
    const level = l === 'stored' ? null : Number(l);
    if (!PART_KINDS.includes(k as PartKind) || !LEVELS.includes(level)) throw new Error(`--choice takes kind=level pairs (kinds: ${PART_KINDS.join(', ')}; levels: ${LEVELS.map(levelName).join(', ')}), not ${pair}`);
    c.set(k as PartKind, level);
  }
  return c;
}
const givenChoices = values.choice.map((text): [string, Choice] => [text, given(text)]);

const scratch = mkdtempSync(join(tmpdir(), 'flightrec-levels-'));
const pad8 = (n: number): number => (n + 7) & ~7;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** A recording's buffers by kind, decompressed, and what is not body (schema, metadata, end markers). */
interface Measured {
  name: string;
  rows: number;
  syscalls: number;
  fileBytes: number;
  overhead: number;
  parts: Map<PartKind, Uint8Array[]>;
  /** Per kind and level: bytes in the body (prefix, frame or raw bytes, padding) and zstd ns per round. */
  bytes: Map<PartKind, Map<Level, number>>;
  ns: Map<PartKind, Map<Level, number[]>>;
}

function record(key: string): string {
  const w = workloads(scratch).find((x) => x.key === key);
  if (!w) throw new Error(`--workloads takes w1, w2 or w3, comma-separated, not ${values.workloads}`);
  const out = join(scratch, `rec-${key}`);
  spawnSync('sync');
  const r = spawnSync(process.execPath, [join(packageRoot(), 'dist', 'src', 'cli', 'main.js'), 'record', '-q', ...(values.tables ? ['--tables', values.tables] : []), '-o', out, '--', ...onCpu1(w)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`flightrec record of ${w.name} exited ${r.status}: ${r.stderr.slice(-1000)}`);
  return out;
}

function read(dir: string, name: string): Measured {
  const rec = Recording.open(dir);
  const m: Measured = {
    name, rows: 0, syscalls: 0, fileBytes: 0, overhead: 0, parts: new Map(PART_KINDS.map((k) => [k, []])),
    bytes: new Map(PART_KINDS.map((k) => [k, new Map(LEVELS.map((l) => [l, 0]))])),
    ns: new Map(PART_KINDS.map((k) => [k, new Map(LEVELS.map((l) => [l, []]))])),
  };
  for (const seg of rec.segments()) {
    for (const table of rec.tables()) {
      const f = rec.tableFile(seg, table);
      if (!f) continue;
      const kinds = partKinds(SCHEMAS[table]);
      const size = statSync(f.path).size;
      m.fileBytes += size;
      m.overhead += size;
      for (const { header, body } of f.rawBatches()) {
        if (header.buffers.length !== kinds.length) throw new Error(`${f.path}: ${header.buffers.length} buffers per batch, the declaration has ${kinds.length}: a recording of another schema version`);
        m.rows += Number(header.length);
        if (table === 'syscall') m.syscalls += Number(header.length);
        m.overhead -= body.byteLength;
        const r = new BodyReader(header, body, f.path);
        for (const kind of kinds) {
          const b = r.nextDecoded();
          if (b.byteLength > 0) m.parts.get(kind)!.push(b.slice());
        }
      }
      f.close();
    }
  }
  rec.close();
  return m;
}

const out = new Uint8Array(64 << 20);

/**
 * One round: every part of `m` at every level, the levels of a part back to back (in an order
 * rotated each round) so that they see the same machine; zstd time per kind and level.
 */
function round(m: Measured, i: number): void {
  for (const kind of PART_KINDS) {
    const bytes = new Array<number>(LEVELS.length).fill(0);
    const ns = new Array<number>(LEVELS.length).fill(0);
    for (const p of m.parts.get(kind)!) {
      for (let j = 0; j < LEVELS.length; j++) {
        const l = (i + j) % LEVELS.length;
        const t0 = process.hrtime.bigint();
        const n = compressPart(out, p, LEVELS[l]!);
        ns[l]! += Number(process.hrtime.bigint() - t0);
        bytes[l]! += pad8(8 + Math.min(n, p.byteLength));
      }
    }
    LEVELS.forEach((l, j) => {
      m.bytes.get(kind)!.set(l, bytes[j]!);
      m.ns.get(kind)!.get(l)!.push(ns[j]!);
    });
  }
}

const hashed = new Uint8Array(8 << 20).map((_, i) => (i * 2654435761) >>> 24);

/** ns per byte of what the sink does with every byte it writes: SHA-256 and a write into the page cache. */
function perByte(): number {
  const fd = openSync(join(scratch, 'per-byte'), 'w');
  const h = createHash('sha256');
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 8; i++) {
    h.update(hashed);
    writeSync(fd, hashed);
  }
  const ns = Number(process.hrtime.bigint() - t0);
  h.digest();
  ftruncateSync(fd, 0);
  closeSync(fd);
  return ns / (8 * hashed.byteLength);
}

const recordings = values.recordings
  ? values.recordings.split(',').map((d) => ({ dir: d, name: basename(d) }))
  : values.workloads.split(',').map((k) => ({ dir: record(k), name: k.toUpperCase() }));
console.log(`zstd levels per column kind: ${rounds} rounds, medians; load ${load()}`);
const measured = recordings.map((r) => read(r.dir, r.name));
const perByteNs: number[] = [];
for (let i = 0; i < rounds; i++) {
  perByteNs.push(perByte());
  for (const m of measured) round(m, i);
}
const nsPerByte = median(perByteNs);
console.log(`after the rounds: load ${load()}; SHA-256 + page-cache write ${nsPerByte.toFixed(3)} ns/B`);

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(`  ${r.map((c, i) => c.padStart(widths[i]!)).join('  ')}`);
}

for (const m of measured) {
  console.log(`\n${m.name}: ${m.rows} rows (${m.syscalls} syscalls), ${m.fileBytes} bytes on disk (${(m.fileBytes / m.syscalls).toFixed(2)} B/syscall), not body ${m.overhead} B`);
  const rows = [['kind', 'raw B/row', ...LEVELS.map((l) => `${levelName(l)} B/row ns/row`)]];
  for (const k of PART_KINDS) {
    const raw = m.parts.get(k)!.reduce((n, p) => n + p.byteLength, 0);
    if (raw === 0) continue;
    rows.push([k, (raw / m.rows).toFixed(2), ...LEVELS.map((l) => `${(m.bytes.get(k)!.get(l)! / m.rows).toFixed(2)} ${(median(m.ns.get(k)!.get(l)!) / m.rows).toFixed(1)}`)]);
  }
  printTable(rows);
}

// Per recording, kind and level (indices into PART_KINDS, LEVELS): body bytes and median zstd ns.
const bodyBytes = measured.map((m) => PART_KINDS.map((k) => LEVELS.map((l) => m.bytes.get(k)!.get(l)!)));
const medianNs = measured.map((m) => PART_KINDS.map((k) => LEVELS.map((l) => median(m.ns.get(k)!.get(l)!))));
/** Every part of a kind as a plain message's body holds it (no prefix). */
const plainBytes = measured.map((m) => PART_KINDS.map((k) => m.parts.get(k)!.reduce((n, p) => n + pad8(p.byteLength), 0)));

/** Bytes on disk, zstd ns, and all ns (zstd, and hash + write of the bytes) of recording `r` written with a level index per kind. */
function cost(r: number, pick: readonly number[]): { bytes: number; zstd: number; ns: number } {
  let bytes = measured[r]!.overhead;
  let zstd = 0;
  const plain = pick.every((l) => LEVELS[l] === null);
  for (let k = 0; k < PART_KINDS.length; k++) {
    bytes += plain ? plainBytes[r]![k]! : bodyBytes[r]![k]![pick[k]!]!;
    zstd += medianNs[r]![k]![pick[k]!]!;
  }
  return { bytes, zstd, ns: zstd + bytes * nsPerByte };
}
const picked = (c: Choice): number[] => PART_KINDS.map((k) => LEVELS.indexOf(c.get(k)!));

// Every choice of a level per kind (7^7); kinds with no bytes in any recording keep today's level.
const seen = PART_KINDS.map((_, k) => k).filter((k) => measured.some((m) => m.parts.get(PART_KINDS[k]!)!.length > 0));
const today = PART_KINDS.map(() => LEVELS.indexOf(TODAY));
const budget = measured.map((_, r) => cost(r, today).bytes);
// Each recording weighs the same: the objective is the sum of their ns against today's.
const todayNs = measured.map((_, r) => cost(r, today).ns);
let best = { pick: today, ns: measured.length };
const odometer = new Array<number>(seen.length).fill(0);
for (;;) {
  const pick = [...today];
  seen.forEach((k, i) => (pick[k] = odometer[i]!));
  let ns = 0;
  let fits = true;
  for (let r = 0; r < measured.length && fits; r++) {
    const c = cost(r, pick);
    fits = c.bytes <= budget[r]!;
    ns += c.ns / todayNs[r]!;
  }
  if (fits && ns < best.ns) best = { pick, ns };
  let i = 0;
  while (i < seen.length && ++odometer[i]! === LEVELS.length) odometer[i++] = 0;
  if (i === seen.length) break;
}
const bestChoice: Choice = new Map(PART_KINDS.map((k, i) => [k, LEVELS[best.pick[i]!]!]));

console.log(`\nbest per kind (least zstd + hash/write time, each recording's against level ${TODAY}'s summed; bytes/syscall no worse than level ${TODAY} everywhere): ${PART_KINDS.map((k) => `${k} ${levelName(bestChoice.get(k)!)}`).join(', ')}`);
const candidates: Array<[string, Choice]> = [
  ...LEVELS.map((l): [string, Choice] => [`${levelName(l)} everywhere`, new Map(PART_KINDS.map((k) => [k, l]))]),
  ['best per kind', bestChoice],
  ...givenChoices,
];
const rows = [['choice', ...measured.flatMap((m) => [`${m.name} B/syscall`, 'ns/row', 'zstd ns/row'])]];
for (const [name, c] of candidates) {
  rows.push([name, ...measured.flatMap((m, r) => {
    const { bytes, zstd, ns } = cost(r, picked(c));
    return [(bytes / m.syscalls).toFixed(2), (ns / m.rows).toFixed(1), (zstd / m.rows).toFixed(1)];
  })]);
}
printTable(rows);

if (values.keep && !values.recordings) console.log(`\nrecordings kept in ${scratch}`);
else rmSync(scratch, { recursive: true, force: true });
