import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { MACRO_DDL, RAW_TABLE_DDL, TABLE_NAMES, VIEW_DDL } from '../../src/index.js';

describe('DuckDB DDL', () => {
  it('creates every raw table and view, with enums as labels and addresses as text', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    await con.run('CREATE SCHEMA raw');
    for (const sql of MACRO_DDL) await con.run(sql);
    for (const t of TABLE_NAMES) {
      await con.run(RAW_TABLE_DDL[t]);
      await con.run(VIEW_DDL[t]);
      const r = await con.runAndReadAll(`SELECT count(*) FROM ${t}`);
      expect(r.getRows()[0]![0]).toBe(0n);
    }
    const v4 = "'\\x7F\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00'::BLOB";
    const v6 = "'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01'::BLOB";
    const v6b = "'\\x20\\x01\\x0D\\xB8\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x05'::BLOB";
    await con.run(`INSERT INTO raw.net (ts, seq, op, family, saddr, daddr, sport, dport) VALUES
      (1, 1, 0, 2, ${v4}, ${v4}, 40000, 80), (2, 2, 4, 10, ${v6}, ${v6b}, 1, 443)`);
    const rows = (await con.runAndReadAll('SELECT op, saddr, daddr FROM net ORDER BY seq')).getRows();
    expect(rows).toEqual([['connect', '127.0.0.1', '127.0.0.1'], ['state', '::1', '2001:db8::5']]);
    con.closeSync();
  });
});
