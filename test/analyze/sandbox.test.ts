import { closeSync, constants as C, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, StatementType } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExportTarget, exportParquet } from '../../src/analyze/export.js';
import { SESSION_SETTINGS, SqlRefused, checkStatement, confine, spillTo } from '../../src/analyze/sandbox.js';
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

  /** The paths DuckDB allows, as it keeps them (links resolved), and the directories. */
  async function allowed(a: Analysis): Promise<{ paths: string[]; dirs: string[] }> {
    const [paths, dirs] = (await a.query("SELECT current_setting('allowed_paths'), current_setting('allowed_directories')")).getRowsJson()[0] as [string[], string[]];
    return { paths: [...paths].sort(), dirs: [...dirs].sort() };
  }

  it('allows exactly the cache entries behind the views, given as /proc/self/fd paths of the held cache directory', async () => {
    const a = await Analysis.open([rec]);
    try {
      const files = [...a.sources[0]!.cached.files.values()].flat();
      expect(files.length).toBeGreaterThan(0);
      const dirFd = a.sources[0]!.cached.dir.fd;
      for (const f of files) expect(f).toMatch(new RegExp(`^/proc/self/fd/${dirFd}/[^/*?[]+\\.parquet$`));
      const spill = (await a.query("SELECT current_setting('temp_directory')")).getRowsJson()[0]![0] as string;
      // DuckDB keeps each allowed path resolved to the file it names; the only directory is the private spill directory.
      expect(await allowed(a)).toEqual({ paths: files.map((f) => realpathSync(f)).sort(), dirs: [`${realpathSync(spill)}/`] });
      // What else is in the cache directory (each entry's .json) is not readable, by either name.
      const meta = files[0]!.replace(/\.parquet$/, '.json');
      expect(existsSync(meta)).toBe(true);
      for (const p of [meta, realpathSync(meta)]) await expect(a.query(`SELECT * FROM read_text('${p}')`), p).rejects.toThrow(/Permission Error/);
    } finally {
      a.close();
    }
  });

  it('a fleet export: only its Parquet files are allowed; links, strays and names DuckDB would glob are left out', async () => {
    const base = tempDir();
    const fleet = join(base, 'fleet');
    const out: { target?: ExportTarget } = {};
    const w = await Analysis.open([rec], { writes: () => {
      out.target = ExportTarget.open(fleet);
      return { dirs: [out.target.stagePath] };
    } });
    try {
      await exportParquet(w, out.target!);
    } finally {
      w.close();
      out.target?.close();
    }
    const exported = (await Analysis.openFleet(fleet));
    let want: string[];
    try {
      want = (await allowed(exported)).paths;
      expect((await exported.query('SELECT count(*) FROM proc')).getRowsJson()).toEqual([['50']]);
    } finally {
      exported.close();
    }
    expect(want.every((p) => p.startsWith(`${realpathSync(fleet)}/host=`) && p.endsWith('.parquet'))).toBe(true);

    // Planted: a stray file, a Parquet file of proc rows behind a link, a host= directory that is a link
    // out of the fleet, and a copy under a name with a glob character (DuckDB would expand it).
    const outside = join(base, 'outside');
    const proc = want.find((p) => p.includes('/table=proc/'))!;
    const procDir = proc.slice(0, proc.lastIndexOf('/'));
    mkdirSync(join(outside, 'date=2000-01-01', 'table=proc'), { recursive: true });
    copyFileSync(proc, join(outside, 'date=2000-01-01', 'table=proc', 'x.parquet'));
    copyFileSync(proc, join(outside, 'elsewhere.parquet'));
    writeFileSync(join(fleet, 'notes.txt'), 'TOPSECRET\n');
    symlinkSync(join(outside, 'elsewhere.parquet'), join(procDir, 'linked.parquet'));
    symlinkSync(outside, join(fleet, 'host=planted'));
    copyFileSync(proc, join(procDir, 'x*.parquet'));

    const a = await Analysis.openFleet(fleet);
    try {
      expect((await a.query('SELECT count(*) FROM proc')).getRowsJson()).toEqual([['50']]);
      expect((await allowed(a)).paths).toEqual(want);
      for (const p of [join(fleet, 'notes.txt'), join(outside, 'elsewhere.parquet'), join(outside, 'date=2000-01-01', 'table=proc', 'x.parquet'), join(procDir, 'x*.parquet')]) {
        await expect(a.query(`SELECT count(*) FROM read_blob('${p}')`), p).rejects.toThrow(/Permission Error/);
      }
    } finally {
      a.close();
    }
  });
});

describe('confine', () => {
  it('refuses when an allowed path leads out of the held directory (a link put in place of a listed file)', async () => {
    const base = tempDir();
    const dir = join(base, 'cache');
    mkdirSync(dir);
    writeFileSync(join(base, 'secret'), 'TOPSECRET\n');
    writeFileSync(join(dir, 'ok.parquet'), '');
    symlinkSync(join(base, 'secret'), join(dir, 'swapped.parquet'));
    const fd = openSync(dir, C.O_RDONLY | C.O_DIRECTORY);
    const spill = join(base, 'spill');
    mkdirSync(spill);
    try {
      for (const [name, ok] of [['ok.parquet', true], ['swapped.parquet', false]] as const) {
        // One instance each: DuckDB's file settings are the instance's, and confine locks them.
        const instance = await DuckDBInstance.create(':memory:', SESSION_SETTINGS);
        const con = await instance.connect();
        try {
          await spillTo(con, spill);
          const grant = { read: [`/proc/self/fd/${fd}/${name}`], within: [`/proc/self/fd/${fd}`], writeFiles: [], writeDirs: [], tempDir: spill };
          if (ok) await expect(confine(con, grant)).resolves.toBeUndefined();
          else await expect(confine(con, grant)).rejects.toThrow(`${realpathSync(join(base, 'secret'))}: would be readable by the SQL, outside the recordings' caches`);
        } finally {
          con.closeSync();
          instance.closeSync();
        }
      }
    } finally {
      closeSync(fd);
    }
  });
});
