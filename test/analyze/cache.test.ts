import { existsSync, openSync, readFileSync, readdirSync, readSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBBlobValue, DuckDBListValue, type DuckDBValue } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { Analysis } from '../../src/analyze/session.js';
import { RecordingWriter } from '../../src/format/recording-writer.js';
import { Recording } from '../../src/format/recording.js';
import { RAW_COLUMNS } from '../../src/schema/sql.generated.js';
import { SCHEMA_VERSION, TABLE_NAMES, type TableName } from '../../src/schema/tables.js';
import { SyntheticClock, SyscallWorkload, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { tempDir } from '../helpers.js';
import { FIXTURE } from '../format/older.js';

/** A recording with every table, nulls and unicode included; `segments` sealed segments. */
function synthetic(dir: string, segments = 2): RecordingWriter {
  const w = RecordingWriter.create(dir);
  const rand = rng(11);
  const clock = new SyntheticClock(rand);
  const work = new SyscallWorkload(3);
  for (let s = 0; s < segments; s++) {
    w.append('syscall', work.batch(5000));
    for (const t of TABLE_NAMES.filter((x) => x !== 'syscall')) w.append(t, batchFromRows(t, syntheticRows(t, 300, clock, rand)));
    w.sealSegment();
  }
  return w;
}

/** A value from either reader in one comparable form. */
function norm(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof DuckDBBlobValue) return Buffer.from(v.bytes).toString('hex');
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (v instanceof DuckDBListValue) return v.items.map(norm);
  if (typeof v === 'object' && v !== null && 'toArray' in v) return [...(v as { toArray(): Iterable<unknown> }).toArray()].map(norm);
  return v;
}

const columnsOf = (t: TableName): string[] => RAW_COLUMNS[t].split(', ').map((c) => c.split(' ')[0]!.replace(/"/g, ''));

/** Rows in seq order; a context table's (no seq) in the order of their text. */
function ordered(t: TableName, rows: unknown[][]): unknown[][] {
  const seq = columnsOf(t).indexOf('seq');
  if (seq < 0) return rows.map((r) => [JSON.stringify(r), r] as const).sort(([x], [y]) => (x < y ? -1 : 1)).map(([, r]) => r);
  return rows.sort((x, y) => (BigInt(x[seq] as string) < BigInt(y[seq] as string) ? -1 : 1));
}

async function rawRows(a: Analysis, t: TableName): Promise<unknown[][]> {
  const r = await a.query(`SELECT ${columnsOf(t).map((c) => `"${c}"`).join(', ')} FROM raw.${t}`);
  return ordered(t, r.getRows().map((row: DuckDBValue[]) => row.map(norm)));
}

function arrowRows(dir: string, t: TableName): unknown[][] {
  const out: unknown[][] = [];
  for (const b of Recording.open(dir).batches(t)) for (const row of b) out.push(columnsOf(t).map((c) => norm(row[c])));
  return ordered(t, out);
}

async function count(a: Analysis, sql: string): Promise<number> {
  return Number((await a.query(sql)).getRows()[0]![0]);
}

/** Flips one byte of a file (by default one in its schema), keeping its size. */
function flipByte(path: string, at = 200): void {
  const fd = openSync(path, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0] = b[0]! ^ 0xff;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
}

describe('the query cache', () => {
  it('serves every table, every column type, nulls and unicode, exactly as the Arrow reader reads them', async () => {
    const dir = join(tempDir(), 'rec');
    synthetic(dir).close();
    const a = await Analysis.open([dir]);
    try {
      for (const t of TABLE_NAMES) {
        const want = arrowRows(dir, t);
        expect(want.length, t).toBeGreaterThan(0);
        expect(await rawRows(a, t), t).toEqual(want);
      }
    } finally {
      a.close();
    }
  });

  it('is built once: the next session transcodes nothing', async () => {
    const dir = join(tempDir(), 'rec');
    synthetic(dir).close();
    const first = await Analysis.open([dir]);
    first.close();
    expect(first.sources[0]!.cached.built).toBeGreaterThan(0);
    const second = await Analysis.open([dir]);
    second.close();
    expect(second.sources[0]!.cached.built).toBe(0);
  });

  it('serves a schema-1 recording as the declaration: the columns added since null, the rest as the Arrow reader reads them', async () => {
    const cache = join(tempDir(), 'cache');
    const a = await Analysis.open([FIXTURE], { cache });
    try {
      for (const t of ['proc', 'file', 'syscall'] as const) {
        const want = arrowRows(FIXTURE, t);
        expect(want.length, t).toBeGreaterThan(100);
        expect(await rawRows(a, t), t).toEqual(want);
      }
      expect(await count(a, 'SELECT count(*) FROM proc WHERE cwd IS NOT NULL OR start_ts IS NOT NULL OR kthread IS NOT NULL OR loginuid IS NOT NULL')).toBe(0);
      expect(await count(a, 'SELECT count(*) FROM file WHERE abs_path IS NOT NULL')).toBe(0);
    } finally {
      a.close();
    }
    // An entry made under other table declarations has other columns: it is built again.
    const meta = join(cache, readdirSync(cache).find((f) => /^\d{6}-proc-[0-9a-f]+\.json$/.test(f))!);
    writeFileSync(meta, readFileSync(meta, 'utf8').replace(`"schema_version":${SCHEMA_VERSION}`, '"schema_version":2'));
    const again = await Analysis.open([FIXTURE], { cache });
    again.close();
    expect(again.sources[0]!.cached.built).toBe(1);
  });

  it('sees a segment appended after it was built, and the unsealed segment of a recording still being written', async () => {
    const dir = join(tempDir(), 'rec');
    const w = synthetic(dir, 1);
    let a = await Analysis.open([dir]);
    expect(await count(a, 'SELECT count(*) FROM syscall')).toBe(5000);
    a.close();
    const work = new SyscallWorkload(9);
    w.append('syscall', work.batch(700));
    w.sealSegment();
    a = await Analysis.open([dir]);
    expect(await count(a, 'SELECT count(*) FROM syscall')).toBe(5700);
    expect(a.sources[0]!.cached.built).toBe(1);
    a.close();
    w.append('syscall', work.batch(33)); // not sealed yet
    a = await Analysis.open([dir]);
    expect(await count(a, 'SELECT count(*) FROM syscall')).toBe(5733);
    a.close();
    w.close();
    a = await Analysis.open([dir]);
    expect(await count(a, 'SELECT count(*) FROM syscall')).toBe(5733);
    a.close();
  });

  it('refuses a segment modified after sealing, whether or not it was cached before', async () => {
    const dir = join(tempDir(), 'rec');
    synthetic(dir).close();
    const a = await Analysis.open([dir]);
    a.close();
    const file = join(dir, 'segments', '000002', 'syscall.arrow');
    // A byte of a column's doc text, which no check but the hash reads.
    flipByte(file, readFileSync(file).indexOf('first argument register'));
    await expect(Analysis.open([dir])).rejects.toThrow(`${file}: does not match its SHA-256 in the manifest: modified after sealing; run \`flightrec verify\``);

    const fresh = join(tempDir(), 'rec');
    synthetic(fresh).close();
    flipByte(join(fresh, 'segments', '000001', 'proc.arrow'));
    await expect(Analysis.open([fresh])).rejects.toThrow(/proc\.arrow( at offset \d+)?: .*(modified after sealing|corrupt)/);
  });

  it('lives where --cache says, leaving the recording untouched', async () => {
    const dir = join(tempDir(), 'rec');
    synthetic(dir, 1).close();
    const cache = join(tempDir(), 'elsewhere');
    const a = await Analysis.open([dir], { cache });
    expect(await count(a, 'SELECT count(*) FROM proc')).toBe(300);
    a.close();
    expect(existsSync(join(dir, 'cache'))).toBe(false);
    expect(readdirSync(cache).some((f) => f.endsWith('.parquet'))).toBe(true);
  });

  it('tags each row with its recording and host when several recordings are queried together', async () => {
    const one = join(tempDir(), 'one');
    const two = join(tempDir(), 'two');
    synthetic(one, 1).close();
    synthetic(two, 2).close();
    const a = await Analysis.open([one, two]);
    try {
      const r = await a.query('SELECT recording, host, count(*) FROM syscall GROUP BY ALL ORDER BY recording');
      const host = Recording.open(one).manifest.host.hostname;
      expect(r.getRowsJson()).toEqual([['one', host, '5000'], ['two', host, '10000']]);
    } finally {
      a.close();
    }
  });
});
