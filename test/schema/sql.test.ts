import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { MACRO_DDL, RAW_COLUMNS, TABLE_NAMES, VIEW_DDL } from '../../src/index.js';

describe('DuckDB DDL', () => {
  it('creates every raw table and view, with enums as labels and addresses as text', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    await con.run('CREATE SCHEMA raw');
    for (const sql of MACRO_DDL) await con.run(sql);
    for (const t of TABLE_NAMES) {
      await con.run(`CREATE TABLE raw.${t} (${RAW_COLUMNS[t]}, wall_offset_ns BIGINT, recording VARCHAR, host VARCHAR)`);
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
    await con.run(`INSERT INTO raw.gap (ts, seq, wall_offset_ns) VALUES (5, 1, 1763750000000000000)`);
    expect((await con.runAndReadAll('SELECT strftime(time, \'%Y-%m-%dT%H:%M:%S.%n\') FROM gap')).getRows()).toEqual([['2025-11-21T18:33:20.000000005']]);
    con.closeSync();
  });
});
