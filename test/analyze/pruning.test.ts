// The cache's Parquet files let DuckDB skip row groups: a `ts` window over 1% of the time range,
// or one pid of many, reads at most 5% of them. The bounds are those of the values: checked
// against DuckDB's own min/max per row group. DuckDB 1.5 reports no row groups read
// (EXPLAIN ANALYZE names files; operator_rows_scanned counts a file's rows once any of
// it is read), so the test counts them another way: every row group whose statistics cannot
// match is overwritten with garbage, and the query must still give the pristine answer.
import { openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { ParquetWriter } from '../../src/analyze/parquet.js';
import { Analysis } from '../../src/analyze/session.js';
import { RecordingWriter, SCHEMAS, TableFile, makeBatch } from '../../src/index.js';
import { followingTime } from '../../src/schema/tables.js';
import { SyscallWorkload } from '../../src/testing/synthetic.js';
import { tempDir } from '../helpers.js';

const GROUPS = 200;
const ROWS = 1000;

/** A syscall table of GROUPS batches transcoded to Parquet; pids rise over time, as the kernel hands them out. */
function syscallParquet(
  columns: (k: number, n: number) => Record<string, BigUint64Array | BigInt64Array | Uint32Array> = (k, n) => ({ pid: new Uint32Array(n).map((_, i) => 1000 + k * 4 + (i % 4)) }),
  bounded = followingTime('syscall'),
): string {
  const dir = tempDir();
  const w = RecordingWriter.create(join(dir, 'rec'));
  const work = new SyscallWorkload(9);
  for (let k = 0; k < GROUPS; k++) {
    const base = work.batch(ROWS);
    const over = columns(k, ROWS);
    w.append('syscall', makeBatch('syscall', Object.fromEntries(base.schema.fields.map((f, i) => [f.name, over[f.name] ?? base.getChildAt(i)!.data[0]!]))));
  }
  w.close();
  const source = join(dir, 'rec', 'segments', '000001', 'syscall.arrow');
  const out = join(dir, 'syscall.parquet');
  const writer = new ParquetWriter(openSync(out, 'w'), out, SCHEMAS.syscall, {}, bounded);
  const f = new TableFile(source, SCHEMAS.syscall);
  for (const { header, body, stored } of f.rawBatches()) writer.writeBatch(header, body, stored, source);
  f.close();
  expect(writer.close()).toBe(GROUPS * ROWS);
  return out;
}

async function rows(con: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await con.runAndReadAll(sql)).getRows();
}

/**
 * Overwrites every row group whose `column` bounds (by parquet_metadata) miss [lo, hi] with 0xff,
 * and returns how many row groups it left as they were.
 */
async function mangleAllBut(con: DuckDBConnection, file: string, column: string, lo: bigint, hi: bigint): Promise<number> {
  const groups = await rows(con, `SELECT row_group_id, min(coalesce(dictionary_page_offset, data_page_offset)), max(data_page_offset + total_compressed_size),
      any_value(stats_min_value) FILTER (path_in_schema = '${column}'), any_value(stats_max_value) FILTER (path_in_schema = '${column}')
    FROM parquet_metadata('${file}') GROUP BY row_group_id ORDER BY row_group_id`);
  expect(groups).toHaveLength(GROUPS);
  const bytes = readFileSync(file);
  let kept = 0;
  for (const [, start, end, min, max] of groups) {
    if (min === null || max === null) throw new Error(`row group without ${column} statistics`);
    if (BigInt(max as string) < lo || BigInt(min as string) > hi) bytes.fill(0xff, Number(start), Number(end));
    else kept++;
  }
  writeFileSync(file, bytes);
  return kept;
}

describe('the query cache lets DuckDB skip row groups', () => {
  it('reads at most 5% of row groups for a ts window over 1% of the time range', async () => {
    const file = syscallParquet();
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      const [[lo, hi]] = (await rows(con, `SELECT min(ts), max(ts) FROM '${file}'`)) as bigint[][];
      const from = lo! + (hi! - lo!) / 3n;
      const to = from + (hi! - lo!) / 100n;
      const query = `SELECT count(*), sum(pid), min(seq) FROM '${file}' WHERE ts BETWEEN ${from} AND ${to}`;
      const pristine = await rows(con, query);
      expect(Number(pristine[0]![0])).toBeGreaterThan(0);

      const kept = await mangleAllBut(con, file, 'ts', from, to);
      expect(kept).toBeLessThanOrEqual(GROUPS * 0.05);
      await expect(rows(con, `SELECT sum(pid) FROM '${file}'`)).rejects.toThrow(); // the garbage is read if a group is not skipped
      expect(await rows(con, query)).toEqual(pristine);
    } finally {
      con.closeSync();
    }
  });

  it('reads at most 5% of row groups for one pid', async () => {
    const file = syscallParquet();
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      const pid = 1000 + 77 * 4 + 1;
      const query = `SELECT count(*), min(ts), max(ts) FROM '${file}' WHERE pid = ${pid}`;
      const pristine = await rows(con, query);
      expect(Number(pristine[0]![0])).toBe(ROWS / 4);
      const kept = await mangleAllBut(con, file, 'pid', BigInt(pid), BigInt(pid));
      expect(kept).toBeLessThanOrEqual(GROUPS * 0.05);
      await expect(rows(con, `SELECT sum(pid) FROM '${file}'`)).rejects.toThrow();
      expect(await rows(con, query)).toEqual(pristine);
    } finally {
      con.closeSync();
    }
  });

  it('orders bounds as the column type does: unsigned 64-bit values past 2^63, negative signed ones', async () => {
    // Half the groups hold arg0 values with the top bit set and negative rets; a bound compared
    // with the wrong signedness would have DuckDB skip groups that match. (The cache bounds
    // neither column: they do not follow time; the writer is asked to here.)
    const file = syscallParquet((k, n) => ({
      arg0: new BigUint64Array(n).map((_, i) => (k % 2 === 0 ? (1n << 63n) + BigInt(i) : BigInt(i))),
      ret: new BigInt64Array(n).map((_, i) => (k % 2 === 0 ? -BigInt(i) - 1n : BigInt(i))),
    }), new Set(['arg0', 'ret']));
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      const half = BigInt((GROUPS / 2) * ROWS);
      expect(await rows(con, `SELECT count(*) FROM '${file}' WHERE arg0 >= ${1n << 63n}`)).toEqual([[half]]);
      expect(await rows(con, `SELECT count(*) FROM '${file}' WHERE arg0 < 1000`)).toEqual([[half]]);
      expect(await rows(con, `SELECT count(*) FROM '${file}' WHERE ret < 0`)).toEqual([[half]]);
      expect(await rows(con, `SELECT count(*) FROM '${file}' WHERE ret >= 0`)).toEqual([[half]]);
      const stats = await rows(con, `SELECT stats_min_value, stats_max_value FROM parquet_metadata('${file}') WHERE row_group_id = 0 AND path_in_schema IN ('arg0', 'ret') ORDER BY path_in_schema`);
      expect(stats).toEqual([[String(1n << 63n), String((1n << 63n) + BigInt(ROWS - 1))], [String(-ROWS), '-1']]);
    } finally {
      con.closeSync();
    }
  });

  it('writes the bounds of ts, seq, pid and tid in every row group, as DuckDB computes them; none for columns that do not follow time', async () => {
    const file = syscallParquet();
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      for (const column of ['ts', 'seq', 'pid', 'tid']) {
        const stats = await rows(con, `SELECT row_group_id, stats_min_value, stats_max_value FROM parquet_metadata('${file}') WHERE path_in_schema = '${column}' ORDER BY row_group_id`);
        const actual = await rows(con, `SELECT file_row_number // ${ROWS}, min(${column})::VARCHAR, max(${column})::VARCHAR FROM read_parquet('${file}', file_row_number = true) GROUP BY 1 ORDER BY 1`);
        expect(stats.map(([g, lo, hi]) => [BigInt(g as number), lo, hi])).toEqual(actual);
      }
      expect(await rows(con, `SELECT DISTINCT stats_min_value, stats_max_value FROM parquet_metadata('${file}') WHERE path_in_schema IN ('arg0', 'latency_ns')`)).toEqual([[null, null]]);
    } finally {
      con.closeSync();
    }
  });

  it('the query cache of a recording has them: every row group of every segment bounds ts and pid', async () => {
    const dir = join(tempDir(), 'rec');
    const w = RecordingWriter.create(dir);
    const work = new SyscallWorkload(4);
    for (let k = 0; k < 3; k++) w.append('syscall', work.batch(ROWS));
    w.sealSegment();
    w.append('syscall', work.batch(ROWS));
    w.close();
    const cache = join(tempDir(), 'cache');
    const a = await Analysis.open([dir], { cache });
    a.close();
    const files = readdirSync(cache).filter((f) => f.endsWith('.parquet')).map((f) => `'${join(cache, f)}'`);
    expect(files).toHaveLength(2);
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      const stats = await rows(con, `SELECT path_in_schema, count(*), count(stats_min_value), count(stats_max_value) FROM parquet_metadata([${files.join(', ')}])
        WHERE path_in_schema IN ('ts', 'pid') GROUP BY 1 ORDER BY 1`);
      expect(stats).toEqual([['pid', 4n, 4n, 4n], ['ts', 4n, 4n, 4n]]);
    } finally {
      con.closeSync();
    }
  });

  it('dictionary-encodes low-cardinality strings, with their bounds', async () => {
    const file = syscallParquet();
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      const comm = await rows(con, `SELECT encodings, stats_min_value, stats_max_value FROM parquet_metadata('${file}') WHERE row_group_id = 0 AND path_in_schema = 'comm'`);
      expect(comm).toEqual([['PLAIN, RLE, RLE_DICTIONARY', 'bash', 'sshd']]);
      expect(await rows(con, `SELECT count(*) FROM '${file}' WHERE comm = 'nosuch'`)).toEqual([[0n]]);
    } finally {
      con.closeSync();
    }
  });
});
