// The commands on a recording written under schema version 1 (the fork-exec fixture, and its
// table files in the unsealed segment of a recording still being written), and on a dns file
// of schema version 2: each reads it as the declaration, the columns added since null and the
// labels added since unused.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Schema } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { addedSince } from '../../src/format/stored-schema.js';
import { SCHEMAS } from '../../src/index.js';
import { SCHEMA_VERSION } from '../../src/schema/tables.js';
import { batchFromRows } from '../../src/testing/synthetic.js';
import { cli, tempDir } from '../helpers.js';
import { FIXTURE, fixtureFile, narrowed, storedSchemaOf, streamOf, tagged, unsealedWith } from '../format/older.js';

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
    proc: (e) => ctx.alert({ severity: e.cwd === null && e.start_ts === null && e.kthread === null ? 'info' : 'critical', title: e.kind, kind: String(e.seq) }),
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
      expect(stored.metadata.get('flightrec.schema_version')).toBe(String(SCHEMA_VERSION));
      expect(stored.fields.map((f) => f.name)).toEqual(SCHEMAS[table].fields.map((f) => f.name));
    }
    const q = cli('sql', out, "SELECT (SELECT count(*) FROM proc) AS procs, (SELECT count(cwd) + count(start_ts) + count(kthread) + count(loginuid) FROM proc) AS proc_added, (SELECT count(*) FROM file) AS files, (SELECT count(abs_path) FROM file) AS file_added", '-f', 'json');
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

describe('commands on a recording whose dns file is of schema 2 (queries only, before answers)', () => {
  const DNS_V2 = tagged(new Schema(SCHEMAS.dns.fields.filter((f) => (addedSince(f) ?? 1) <= 2), SCHEMAS.dns.metadata), '2');
  const query = (seq: number, qname: string, qtype: number): Record<string, unknown> => ({
    ts: BigInt(1000 + seq), seq: BigInt(seq), cpu: 0, pid: 10, tid: 10, comm: 'getent', qname, qtype, qid: 0x4242,
    family: 2, server: Uint8Array.from([127, 0, 0, 53, ...new Array<number>(12).fill(0)]), server_port: 53, fd: 3,
  });
  const recording = (): string => unsealedWith('dns', streamOf(DNS_V2,
    [narrowed(batchFromRows('dns', [query(1, 'www.example.test', 1), query(2, 'www.example.test', 28)]), DNS_V2)])).dir;

  it('holds only the columns schema 2 had', () => {
    expect(DNS_V2.fields.map((f) => f.name)).toEqual(['ts', 'seq', 'cpu', 'pid', 'tid', 'comm', 'qname', 'qtype', 'qid', 'family', 'server', 'server_port', 'fd']);
  });

  it('sql: the rows as written, kind and the answer columns null; no answers, so no remote names', () => {
    const dir = recording();
    const q = cli('sql', dir, `SELECT qname, qtype_name, server, kind, answer, answer_family, ttl, rcode, rcode_name, answers_cut,
      (SELECT count(*) FROM dns_answers) AS answers, (SELECT count(*) FROM connections WHERE remote_name IS NOT NULL) AS named,
      (SELECT list(summary ORDER BY seq) FROM timeline WHERE kind = 'dns') AS summaries FROM dns ORDER BY seq`, '-f', 'json');
    expect(q.code, q.stderr).toBe(0);
    const summaries = ['query www.example.test A to 127.0.0.53:53', 'query www.example.test AAAA to 127.0.0.53:53'];
    const nulls = { kind: null, answer: null, answer_family: null, ttl: null, rcode: null, rcode_name: null, answers_cut: null, answers: '0', named: '0', summaries };
    expect(JSON.parse(q.stdout)).toEqual([
      { qname: 'www.example.test', qtype_name: 'A', server: '127.0.0.53', ...nulls },
      { qname: 'www.example.test', qtype_name: 'AAAA', server: '127.0.0.53', ...nulls },
    ]);
  });

  it('replay hands detectors the rows with kind and the answer columns null', () => {
    const dir = tempDir();
    const detector = join(dir, 'added.mjs');
    writeFileSync(detector, `export default {
  name: 'added-dns-columns', version: '1', description: 'test: what the dns columns added in schema 3 read as', tables: { dns: {} },
  create: (ctx) => ({
    dns: (e) => ctx.alert({ severity: [e.kind, e.answer, e.answer_family, e.ttl, e.rcode, e.answers_cut].every((v) => v === null) ? 'info' : 'critical', title: e.qname, kind: String(e.seq) }),
  }),
};
`);
    const r = cli('replay', recording(), '--detectors', detector, '-f', 'jsonl');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { severity: string; title: string }).map((a) => [a.severity, a.title]))
      .toEqual([['info', 'www.example.test'], ['info', 'www.example.test']]);
  });
});
