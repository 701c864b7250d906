// Synthetic batches shaped like real recordings: for the demo, the format tests and the
// format benchmark. Deterministic for a given seed.
import { Bool, Data, Utf8, makeData, type RecordBatch } from 'apache-arrow';
import { makeBatch, type ColumnValues } from '../format/batch.js';
import { SCHEMAS } from '../schema/arrow.generated.js';
import { table as tableDecl, type TableName } from '../schema/tables.js';
import type { ColumnType } from '../schema/types.js';

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMS = ['bash', 'cat', 'node', 'sshd', 'curl', 'naïve-λ', '日本語', ''];
const PATHS = ['/etc/hostname', '/tmp/ü/file', '/home/user/.ssh/id_ed25519', 'relative/path', '', '/😀/emoji'];

/** Rising ts and seq shared by every table of one synthetic recording. */
export class SyntheticClock {
  ts = 1_000_000_000n;
  seq = 0n;
  constructor(private readonly rand: () => number) {}
  next(): [bigint, bigint] {
    this.ts += BigInt(1 + Math.floor(this.rand() * 5000));
    return [this.ts, this.seq++];
  }
}

function value(type: ColumnType, rand: () => number, nullable: boolean): unknown {
  if (nullable && rand() < 0.2) return null;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  switch (type.kind) {
    case 'int': {
      const x = Math.floor(rand() * 2 ** Math.min(type.bits - (type.signed ? 1 : 0), 31));
      return type.signed && rand() < 0.3 ? -x : x;
    }
    case 'bool': return rand() < 0.5;
    case 'enum': return pick(type.labels);
    case 'string': return pick(PATHS.concat(COMMS)).slice(0, type.max);
    case 'strings': return Array.from({ length: Math.floor(rand() * 4) }, () => pick(PATHS));
    case 'bytes': return Uint8Array.from({ length: type.width }, () => Math.floor(rand() * 256));
    case 'blob': return Uint8Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256));
    case 'u64s': return Array.from({ length: Math.floor(rand() * 3) }, () => BigInt(Math.floor(rand() * 1e9)));
  }
}

/** Plain JS rows of any table, with every column type exercised (nulls and unicode included). */
export function syntheticRows(table: TableName, n: number, clock: SyntheticClock, rand: () => number): Record<string, unknown>[] {
  const decl = tableDecl(table);
  return Array.from({ length: n }, () => {
    const [ts, seq] = clock.next();
    const row: Record<string, unknown> = {};
    for (const c of decl.columns) {
      if (c.name === 'ts') row.ts = ts;
      else if (c.name === 'seq') row.seq = seq;
      else {
        const v = value(c.type, rand, c.nullable === true);
        row[c.name] = c.type.kind === 'int' && c.type.bits === 64 && typeof v === 'number' ? BigInt(Math.abs(v)) * (c.type.signed && v < 0 ? -1n : 1n) : v;
      }
    }
    return row;
  });
}

export function batchFromRows(table: TableName, rows: readonly Record<string, unknown>[]): RecordBatch {
  const cols: Record<string, unknown[]> = {};
  // A column a row leaves out is null (a nullable column added since the row's writer was written).
  for (const f of SCHEMAS[table].fields) cols[f.name] = rows.map((r) => r[f.name] ?? null);
  return makeBatch(table, cols);
}

/** Utf8 data for rows that each take one of a few strings, without per-row JS strings. */
export function utf8FromIndexes(dict: readonly string[], index: Uint8Array): Data<Utf8> {
  const enc = dict.map((s) => Buffer.from(s, 'utf8'));
  const offsets = new Int32Array(index.length + 1);
  for (let i = 0; i < index.length; i++) offsets[i + 1] = offsets[i]! + enc[index[i]!]!.length;
  const values = new Uint8Array(offsets[index.length]!);
  for (let i = 0; i < index.length; i++) values.set(enc[index[i]!]!, offsets[i]!);
  return makeData({ type: new Utf8(), length: index.length, nullCount: 0, valueOffsets: offsets, data: values });
}

// x86_64 numbers; weights give a skew like a busy service's.
const SYSCALL_MIX: ReadonlyArray<[number, number]> = [
  [0, 20], [1, 14], [202, 12], [232, 10], [3, 6], [257, 6], [9, 4], [11, 3], [4, 3], [5, 3], [110, 2],
  [13, 2], [14, 2], [39, 2], [228, 2], [17, 1], [18, 1], [44, 1], [45, 1], [56, 1],
];

/**
 * Syscall rows shaped like real ones: a few pids and threads, skewed syscall numbers,
 * small return values, pointer-like args, rising timestamps.
 */
export class SyscallWorkload {
  private ts = 5_000_000_000n;
  private seq = 0n;
  private readonly rand: () => number;
  private readonly cdf: number[];
  private readonly pids = [1201, 1202, 1350, 2210, 2211, 3001, 4096, 4100];
  private readonly comms = ['nginx', 'nginx', 'postgres', 'node', 'node', 'sshd', 'bash', 'curl'];

  constructor(seed = 1) {
    this.rand = rng(seed);
    const total = SYSCALL_MIX.reduce((n, [, w]) => n + w, 0);
    let acc = 0;
    this.cdf = SYSCALL_MIX.map(([, w]) => (acc += w) / total);
  }

  batch(n: number): RecordBatch {
    const r = this.rand;
    const ts = new BigUint64Array(n);
    const seq = new BigUint64Array(n);
    const cpu = new Uint16Array(n);
    const pid = new Uint32Array(n);
    const tid = new Uint32Array(n);
    const who = new Uint8Array(n);
    const nr = new Uint32Array(n);
    const args = Array.from({ length: 6 }, () => new BigUint64Array(n));
    const ret = new BigInt64Array(n);
    const latency = new BigUint64Array(n);
    let t = this.ts;
    for (let i = 0; i < n; i++) {
      t += BigInt(100 + Math.floor(r() * 400));
      ts[i] = t;
      seq[i] = this.seq++;
      const p = Math.floor(r() * r() * this.pids.length);
      who[i] = p;
      pid[i] = this.pids[p]!;
      tid[i] = this.pids[p]! + (r() < 0.3 ? Math.floor(r() * 4) : 0);
      cpu[i] = r() < 0.5 ? 0 : 1;
      const u = r();
      const k = this.cdf.findIndex((c) => u <= c);
      nr[i] = SYSCALL_MIX[k]![0];
      args[0]![i] = BigInt(3 + Math.floor(r() * 20));
      args[1]![i] = 0x7ffd_0000_0000n + BigInt(Math.floor(r() * 65536) * 16);
      args[2]![i] = BigInt(Math.floor(r() * 4096));
      args[3]![i] = r() < 0.7 ? 0n : BigInt(Math.floor(r() * 8));
      args[4]![i] = 0n;
      args[5]![i] = 0n;
      ret[i] = r() < 0.05 ? -11n : BigInt(Math.floor(r() * 512));
      latency[i] = BigInt(200 + Math.floor(-Math.log(1 - r()) * 2000));
    }
    this.ts = t;
    const columns: Record<string, ColumnValues> = {
      ts, seq, cpu, pid, tid, comm: utf8FromIndexes(this.comms, who), nr,
      arg0: args[0]!, arg1: args[1]!, arg2: args[2]!, arg3: args[3]!, arg4: args[4]!, arg5: args[5]!,
      ret, latency_ns: latency,
      returned: makeData({ type: new Bool(), length: n, nullCount: 0, data: new Uint8Array(Math.ceil(n / 8)).fill(0xff) }),
    };
    return makeBatch('syscall', columns);
  }
}
