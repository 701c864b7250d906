import { existsSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StatementType } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqlRefused, checkStatement } from '../../src/analyze/sandbox.js';
import { Analysis, SqlError } from '../../src/analyze/session.js';
import { RecordingWriter } from '../../src/format/recording-writer.js';
import { SyntheticClock, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { tempDir } from '../helpers.js';

describe('checkStatement', () => {
  it('lets statements through that read, compute or change the in-memory session', () => {
    for (const t of [StatementType.SELECT, StatementType.CREATE, StatementType.INSERT, StatementType.DROP, StatementType.SET, StatementType.CALL, StatementType.PRAGMA]) {
      expect(() => checkStatement(t, 'x')).not.toThrow();
    }
    expect(() => checkStatement(StatementType.EXPLAIN, 'EXPLAIN ANALYZE SELECT count(*) FROM proc')).not.toThrow();
    expect(() => checkStatement(StatementType.EXPLAIN, "EXPLAIN COPY (SELECT 1) TO 'x'")).not.toThrow();
  });

  it('refuses what writes, loads or runs another statement, saying what to do', () => {
    for (const t of [StatementType.COPY, StatementType.EXPORT, StatementType.ATTACH, StatementType.DETACH, StatementType.LOAD,
      StatementType.PREPARE, StatementType.EXECUTE, StatementType.COPY_DATABASE, StatementType.UPDATE_EXTENSIONS, StatementType.MULTI]) {
      expect(() => checkStatement(t, 'x')).toThrow(SqlRefused);
    }
    expect(() => checkStatement(StatementType.COPY, 'x')).toThrow(/^SQL: COPY reads and writes files, and .*-o FILE.*--allow-files/);
    for (const sql of ["EXPLAIN ANALYZE COPY (SELECT 1) TO 'x'", "explain (analyse) /* */ copy (select 1) to 'x'", 'EXPLAIN ANALYZE EXECUTE p']) {
      expect(() => checkStatement(StatementType.EXPLAIN, sql)).toThrow(/^SQL: EXPLAIN ANALYZE would run that statement/);
    }
  });
});

describe('a confined session', () => {
  let rec: string;
  let outside: string;
  beforeAll(() => {
    rec = join(tempDir(), 'rec');
    const w = RecordingWriter.create(rec);
    const rand = rng(2);
    w.append('proc', batchFromRows('proc', syntheticRows('proc', 50, new SyntheticClock(rand), rand)));
    w.close();
    outside = join(tempDir(), 'secret.txt');
    writeFileSync(outside, 'TOPSECRET\n');
  });

  it('reads its recordings through the views, and no other file', async () => {
    const a = await Analysis.open([rec]);
    try {
      expect((await a.query('SELECT count(*) FROM proc')).getRowsJson()).toEqual([['50']]);
      expect((await a.query('SELECT count(*) FROM processes')).getRowsJson()[0]![0]).not.toBe('0');
      await expect(a.query(`SELECT * FROM read_text('${outside}')`)).rejects.toThrow(SqlError);
      await expect(a.query(`SELECT * FROM read_text('${outside}')`)).rejects.toThrow(/Permission Error.*--allow-files/);
      await expect(a.query("SET enable_external_access = true")).rejects.toThrow(/locked/);
      await expect(a.query(`COPY (SELECT 1) TO '${outside}'`)).rejects.toThrow(/Permission Error/);
      expect(readFileSync(outside, 'utf8')).toBe('TOPSECRET\n');
    } finally {
      a.close();
    }
  });

  it('refuses every way known to read, write or load, and writes nothing', async () => {
    const dir = tempDir();
    const db = join(dir, 'x.duckdb');
    const a = await Analysis.open([rec]);
    // The path DuckDB is given (/proc/self/fd/<cache dir>/<entry>), and the file it names, for after close.
    const entry = a.sources[0]!.cached.files.get('proc')![0]!;
    const real = realpathSync(entry);
    const was = readFileSync(entry);
    const attacks = [
      `SELECT * FROM read_blob('${outside}')`, `SELECT * FROM read_csv_auto('${outside}')`, `SELECT * FROM glob('${dir}/*')`,
      `SELECT * FROM read_parquet('${dir}/*.parquet')`, `COPY (SELECT 1) TO '${dir}/a.csv'`, `CREATE TABLE t1 (line VARCHAR); COPY t1 FROM '${outside}'`,
      `COPY (SELECT 1 AS x) TO '${entry}' (FORMAT parquet, USE_TMP_FILE false)`, `EXPLAIN ANALYZE COPY (SELECT 1 AS x) TO '${entry}' (FORMAT parquet, USE_TMP_FILE false)`,
      `PREPARE p AS COPY (SELECT 1 AS x) TO '${entry}' (FORMAT parquet, USE_TMP_FILE false); EXECUTE p`,
      `ATTACH '${db}' AS x`, `ATTACH '${entry}' AS y`, "ATTACH ':memory:' AS m", `EXPORT DATABASE '${dir}/exp'`, `IMPORT DATABASE '${dir}'`,
      'INSTALL httpfs', 'FORCE INSTALL httpfs', 'LOAD httpfs', 'LOAD parquet', 'UPDATE EXTENSIONS',
      'RESET lock_configuration', `SET allowed_directories = ['/']`, `SET allowed_paths = ['${outside}']`, "SET temp_directory = '/tmp'",
    ];
    try {
      for (const q of attacks) await expect(a.query(q), q).rejects.toThrow(/^SQL: .*(--allow-files)/);
      expect((await a.query('SELECT count(*) FROM proc')).getRowsJson()).toEqual([['50']]);
      expect((await a.query('EXPLAIN ANALYZE SELECT count(*) FROM timeline')).getRowsJson()[0]![0]).toBe('analyzed_plan');
    } finally {
      a.close();
    }
    expect(readFileSync(real)).toEqual(was);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('with files allowed, reads and writes them; either way its spill directory is gone after close', async () => {
    const a = await Analysis.open([rec], { files: 'all' });
    const spill = (await a.query("SELECT current_setting('temp_directory')")).getRowsJson()[0]![0] as string;
    try {
      expect(existsSync(spill)).toBe(true);
      expect((await a.query(`SELECT content FROM read_text('${outside}')`)).getRowsJson()).toEqual([['TOPSECRET\n']]);
      const copy = join(tempDir(), 'mine.csv');
      await a.query(`COPY (SELECT count(*) AS n FROM proc) TO '${copy}'`);
      expect(readFileSync(copy, 'utf8')).toBe('n\n50\n');
    } finally {
      a.close();
    }
    expect(existsSync(spill)).toBe(false);
  });
});
