import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { MACRO_DDL } from '../../src/index.js';
import { AF_INET, AF_INET6, addressText } from '../../src/text/address.js';

// RFC 5952 §4 and §5: each address with the one text it recommends.
const CASES: ReadonlyArray<readonly [hex: string, text: string]> = [
  ['00000000000000000000000000000000', '::'],
  ['00000000000000000000000000000001', '::1'],
  ['20010db8000000000000000000000001', '2001:db8::1'], // §4.2.1: shorten as much as possible
  ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'], // §4.2.3: first of equal runs
  ['20010db8000000000001000000000000', '2001:db8:0:0:1::'], // §4.2.3: the longest run wins
  ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'], // §4.2.2: one 0 group is not shortened
  ['00010000000000020000000000000003', '1:0:0:2::3'], // the longest run, not the first
  ['20010db8000000000000000000000000', '2001:db8::'],
  ['0000000000000000000000000000ffff', '::ffff'],
  ['00000000000000000000ffffc0000201', '::ffff:192.0.2.1'], // §5: IPv4-mapped keeps the dotted quad
  ['20010db8aaaabbbbccccddddeeeeffff', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff'], // §4.3: lower case
  ['20010DB8000000000000000000000ABC', '2001:db8::abc'], // §4.1: no leading zeros
  ['fe800000000000000000000000000000', 'fe80::'],
  ['00000000000100000000000000000000', '0:0:1::'],
];

const bytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g)!.map((b) => parseInt(b, 16)));

describe('addressText and fr_addr', () => {
  it('give the RFC 5952 text, the same from JS and SQL', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    for (const sql of MACRO_DDL) await con.run(sql);
    const values = CASES.map(([hex], i) => `(${i}, from_hex('${hex}'))`).join(', ');
    const sql = (await con.runAndReadAll(`SELECT fr_addr(${AF_INET6}, a) FROM (VALUES ${values}) t(i, a) ORDER BY i`)).getRows().map((r) => r[0]);
    con.closeSync();
    const js = CASES.map(([hex]) => addressText(AF_INET6, bytes(hex)));
    const want = CASES.map(([, text]) => text);
    expect(js).toEqual(want);
    expect(sql).toEqual(want);
  });

  it('agree on every set of zero groups (each RFC 5952 shortening), and on an IPv4-mapped and a null address', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    for (const sql of MACRO_DDL) await con.run(sql);
    // Group i is zero when bit i of the mask is set, else 0x0i0a (no leading zeros to trim but one).
    const hexes = Array.from({ length: 256 }, (_, mask) => Array.from({ length: 8 }, (_, i) => ((mask >> i) & 1 ? '0000' : `0${i}0a`)).join(''));
    hexes.push('00000000000000000000ffffc0000201');
    const values = hexes.map((hex, i) => `(${i}, from_hex('${hex}'))`).join(', ');
    const sql = (await con.runAndReadAll(`SELECT fr_addr(${AF_INET6}, a) FROM (VALUES ${values}) t(i, a) ORDER BY i`)).getRows().map((r) => r[0]);
    const none = (await con.runAndReadAll(`SELECT fr_addr(${AF_INET6}, NULL::BLOB)`)).getRows();
    con.closeSync();
    expect(sql).toEqual(hexes.map((hex) => addressText(AF_INET6, bytes(hex))));
    expect(sql[0]).toBe('a:10a:20a:30a:40a:50a:60a:70a');
    expect(sql[255]).toBe('::');
    expect(sql[256]).toBe('::ffff:192.0.2.1');
    expect(none).toEqual([[null]]);
  });

  it('give a dotted quad for AF_INET and nothing for other families', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    for (const sql of MACRO_DDL) await con.run(sql);
    const rows = (await con.runAndReadAll(`SELECT fr_addr(${AF_INET}, from_hex('0a00ff01')), fr_addr(1, from_hex('0a00ff01'))`)).getRows();
    con.closeSync();
    expect(rows).toEqual([['10.0.255.1', null]]);
    expect(addressText(AF_INET, bytes('0a00ff01'))).toBe('10.0.255.1');
    expect(addressText(1, bytes('0a00ff01'))).toBe('');
  });
});
