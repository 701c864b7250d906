// The commands on a recording written under schema version 1 (the fork-exec fixture, and its
// table files in the unsealed segment of a recording still being written): each reads it as
// the declaration, the columns added since null and the labels added since unused.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { SCHEMAS } from '../../src/index.js';
import { cli, tempDir } from '../helpers.js';
import { FIXTURE, fixtureFile, storedSchemaOf, unsealedWith } from '../format/older.js';

const PROC_ROWS = 185;
const FILE_ROWS = 221;

/** The fixture's schema-1 proc file in the unsealed segment of a recording. */
const unsealedProc = (): { dir: string; file: string } => unsealedWith('proc', readFileSync(fixtureFile('proc')));

/** Rows of a query over Parquet files, DuckDB reading them without flightrec. */
async function parquetRows(sql: string): Promise<unknown[][]> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    return (await con.runAndReadAll(sql)).getRows();
  } finally {
    con.closeSync();
  }
}

describe('commands on a schema-1 recording', () => {
  it('info and verify: the fixture as sealed, and its proc file in an unsealed segment, read to the last row', () => {
    expect(storedSchemaOf(fixtureFile('proc')).metadata.has('flightrec.schema_version')).toBe(false);
    const v = cli('verify', FIXTURE);
    expect(v.code, v.stderr).toBe(0);
    const info = cli('info', FIXTURE, '--json');
    expect(info.code, info.stderr).toBe(0);
    const tables = (JSON.parse(info.stdout) as { tables: Array<{ table: string; rows: number }> }).tables;
    expect(tables.find((t) => t.table === 'proc')!.rows).toBe(PROC_ROWS);

    const { dir, file } = unsealedProc();
    const tail = cli('info', dir, '--json');
    expect(tail.code, tail.stderr).toBe(0);
    expect((JSON.parse(tail.stdout) as { tables: Array<{ table: string; rows: number }> }).tables.find((t) => t.table === 'proc')!.rows).toBe(PROC_ROWS);
    const unsealed = cli('verify', dir);
    expect(unsealed.code, unsealed.stderr).toBe(3);
    expect(unsealed.stdout).toContain(`${file}: ${PROC_ROWS} rows readable`);
  });

  it('replay hands detectors every row, the columns added since null and the kinds by their labels', () => {
    const dir = tempDir();
    const detector = join(dir, 'added.mjs');
    writeFileSync(detector, `export default {
  name: 'added-columns', version: '1', description: 'test: what the columns added in schema 2 read as', tables: { proc: {}, file: {} },
  create: (ctx) => ({
    proc: (e) => ctx.alert({ severity: e.cwd === null && e.start_ts === null && e.kthread === null ? 'info' : 'critical', title: e.kind }),
    file: (e) => { if (e.abs_path !== null || e.op === 'chdir') ctx.alert({ severity: 'critical', title: e.op }); },
  }),
};
`);
    for (const rec of [FIXTURE, unsealedProc().dir]) {
      const r = cli('replay', rec, '--detectors', detector, '-f', 'jsonl');
      expect(r.code, r.stderr).toBe(0);
      const alerts = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { severity: string; title: string });
      expect(alerts).toHaveLength(PROC_ROWS);
      expect(alerts.filter((a) => a.severity !== 'info')).toEqual([]);
      expect([...new Set(alerts.map((a) => a.title))].sort()).toEqual(['exec', 'exit', 'fork']);
    }
  });

  it('slice writes a recording of the current schema version, which verifies, the columns added since null', () => {
    const out = join(tempDir(), 'cut');
    const r = cli('slice', FIXTURE, '-o', out, '--from', '0');
    expect(r.code, r.stderr).toBe(0);
    expect(cli('verify', out).code).toBe(0);
    for (const table of ['proc', 'file'] as const) {
      const stored = storedSchemaOf(fixtureFile(table, out));
      expect(stored.metadata.get('flightrec.schema_version')).toBe('3');
      expect(stored.fields.map((f) => f.name)).toEqual(SCHEMAS[table].fields.map((f) => f.name));
    }
    const q = cli('sql', out, "SELECT (SELECT count(*) FROM proc) AS procs, (SELECT count(cwd) + count(start_ts) + count(kthread) FROM proc) AS proc_added, (SELECT count(*) FROM file) AS files, (SELECT count(abs_path) FROM file) AS file_added", '-f', 'json');
    expect(q.code, q.stderr).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual([{ procs: String(PROC_ROWS), proc_added: '0', files: String(FILE_ROWS), file_added: '0' }]);
  });

  it('export writes Parquet of the declared columns, those added since null', async () => {
    const out = join(tempDir(), 'parquet');
    const r = cli('export', FIXTURE, '--parquet', out, '--cache', join(tempDir(), 'cache'));
    expect(r.code, r.stderr).toBe(0);
    const proc = await parquetRows(`SELECT count(*), count(cwd), count(start_ts), count(kthread), typeof(any_value(cwd)), array_to_string(list_sort(list(DISTINCT kind)), ',') FROM read_parquet('${out}/*/*/table=proc/*.parquet')`);
    expect(proc.map((row) => row.map(String))).toEqual([[String(PROC_ROWS), '0', '0', '0', 'VARCHAR', 'exec,exit,fork']]);
    const file = await parquetRows(`SELECT count(*), count(abs_path), count(*) FILTER (WHERE op = 'chdir') FROM read_parquet('${out}/*/*/table=file/*.parquet')`);
    expect(file.map((row) => row.map(String))).toEqual([[String(FILE_ROWS), '0', '0']]);
  });
});
