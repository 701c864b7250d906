// Every rule of the SigmaHQ Linux snapshot in ../shared/sigma parses and compiles against a
// source that has every field (what refuses a rule then is the engine, not a mapping), and as
// hunt SQL against text columns; the counts by log source and by reason are printed.
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANY, ONE, compileRule, isRefusal, parseRuleFile, ruleSql, RuleSet, sqlString, type CompiledRule, type Detection, type SqlColumn } from '../../../src/detect/sigma/index.js';
import { ipHex } from '../../../src/detect/sigma/ip.js';
import { ANY_FIELD, event } from './helpers.js';

const DIR = '/work/shared/sigma/rules';

function* ymlFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* ymlFiles(p);
    else if (name.endsWith('.yml')) yield p;
  }
}

/** Text columns, addresses for *Ip fields, so every rule has SQL. */
const column = (f: string): SqlColumn => ({ sql: `"${f}"`, kind: /Ip$/.test(f) ? 'ip' : 'text', ipHex: `"${f}_hex"` });

/** An event made of a rule's own values (the first of each field, wildcards filled), likely to match it. */
function eventOf(rule: CompiledRule): { fields: Map<string, string>; keywords: string[] } {
  const fields = new Map<string, string>();
  const keywords: string[] = [];
  const walk = (d: Detection): void => {
    if (d.kind !== 'item') return d.children.forEach(walk);
    const t = d.item.values[0]![0]!;
    const text = t.kind === 'string' ? t.parts.map((p) => (p === ANY ? '' : p === ONE ? 'x' : p)).join('') : t.kind === 'number' ? String(t.value) : t.kind === 'cidr' ? '10.1.2.3' : null;
    if (text === null) return;
    if (d.item.field === null) keywords.push(text);
    else fields.set(d.item.field, fields.has(d.item.field) ? `${fields.get(d.item.field)!} ${text}` : text);
  };
  rule.detections.forEach(walk);
  return { fields, keywords };
}

const count = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);

describe.skipIf(!existsSync(DIR))('the SigmaHQ Linux rules', () => {
  it('all parse and compile, or are refused with a reason; the counts are printed', () => {
    const bySource = new Map<string, { rules: number; compiled: number; sql: number }>();
    const reasons = new Map<string, number>();
    const sqlReasons = new Map<string, number>();
    const rules: CompiledRule[] = [];
    let files = 0;
    for (const file of ymlFiles(DIR)) {
      files++;
      const parsed = parseRuleFile(readFileSync(file, 'utf8'), file.slice(DIR.length + 1));
      for (const r of parsed.refused) count(reasons, `parse: ${r.reason}`);
      for (const rule of parsed.rules) {
        const ls = rule.logsource;
        const source = `${ls.product ?? '-'}/${ls.category ?? ls.service ?? '-'}`;
        const s = bySource.get(source) ?? { rules: 0, compiled: 0, sql: 0 };
        bySource.set(source, s);
        s.rules++;
        const c = compileRule(rule, { fields: ANY_FIELD, keywords: true });
        if (isRefusal(c)) {
          count(reasons, c.reason.replace(/'[^']*'/g, "'…'"));
          continue;
        }
        s.compiled++;
        rules.push(c);
        const q = ruleSql(c, column, 'keywords');
        if (isRefusal(q)) count(sqlReasons, q.reason);
        else s.sql++;
      }
    }
    const total = [...bySource.values()].reduce((a, s) => ({ rules: a.rules + s.rules, compiled: a.compiled + s.compiled, sql: a.sql + s.sql }), { rules: 0, compiled: 0, sql: 0 });
    console.log(`SigmaHQ snapshot: ${files} files, ${total.rules} rules, ${total.compiled} compiled, ${total.sql} as hunt SQL`);
    for (const [k, s] of [...bySource].sort()) console.log(`  ${k.padEnd(32)} ${String(s.rules).padStart(4)} rules ${String(s.compiled).padStart(4)} compiled ${String(s.sql).padStart(4)} SQL`);
    for (const [k, n] of [...reasons].sort()) console.log(`  refused ${n}: ${k}`);
    for (const [k, n] of [...sqlReasons].sort()) console.log(`  refused for hunts ${n}: ${k}`);
    expect(total.rules).toBeGreaterThan(200);
    expect(total.compiled).toBe(total.rules);
    // One set runs them all on an event without throwing.
    const set = new RuleSet(rules);
    const m = set.match(event({ Image: '/usr/bin/base64', CommandLine: 'base64 -d /tmp/x | bash', ParentImage: '/bin/bash', User: 'root' }, ['history -c']));
    expect(m.map((x) => x.rule.rule.title)).toEqual(expect.arrayContaining(['Linux Base64 Encoded Pipe to Shell', 'Decode Base64 Encoded Text']));
  });
});

describe.skipIf(!existsSync(DIR))('the SigmaHQ Linux rules as hunts', () => {
  it('find in DuckDB the same events as in JavaScript, over events made of the rules\' own values', async () => {
    const rules: CompiledRule[] = [];
    for (const file of ymlFiles(DIR)) {
      for (const rule of parseRuleFile(readFileSync(file, 'utf8'), file).rules) {
        const c = compileRule(rule, { fields: ANY_FIELD, keywords: true });
        if (!isRefusal(c)) rules.push(c);
      }
    }
    const events = rules.map(eventOf);
    const fields = [...new Set(rules.flatMap((r) => r.fields))].sort();
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      const cols = fields.flatMap((f) => [`"${f}" VARCHAR`, ...(/Ip$/.test(f) ? [`"${f}_hex" VARCHAR`] : [])]);
      await con.run(`CREATE TABLE ev (id INTEGER, keywords VARCHAR[], ${cols.join(', ')})`);
      const lit = (v: string | undefined | null): string => (v === undefined || v === null ? 'NULL' : sqlString(v));
      const rows = events.map((e, id) => `(${[String(id), `[${e.keywords.map(lit).join(', ')}]::VARCHAR[]`, ...fields.flatMap((f) => [lit(e.fields.get(f)), ...(/Ip$/.test(f) ? [lit(ipHex(e.fields.get(f) ?? '') ?? undefined)] : [])])].join(', ')})`);
      await con.run(`INSERT INTO ev VALUES ${rows.join(', ')}`);
      const set = new RuleSet(rules);
      const js = rules.map(() => [] as number[]);
      events.forEach((e, id) => {
        for (const m of set.match(event(Object.fromEntries(e.fields), e.keywords))) js[m.index]!.push(id);
      });
      const differences: string[] = [];
      let selfMatches = 0;
      for (const [i, rule] of rules.entries()) {
        const q = ruleSql(rule, column, 'keywords');
        if (isRefusal(q)) continue;
        const sql = (await con.runAndReadAll(`SELECT id FROM ev WHERE ${q.sql} ORDER BY id`)).getRowsJson().map((r) => r[0] as number);
        if (js[i]!.includes(i)) selfMatches++;
        if (JSON.stringify(sql) !== JSON.stringify(js[i])) differences.push(`${rule.rule.title}: js ${JSON.stringify(js[i])} sql ${JSON.stringify(sql)}`);
      }
      console.log(`${rules.length} rules over ${events.length} events: ${selfMatches} rules match the event made of their own values; ${js.flat().length} matches in all`);
      expect(differences).toEqual([]);
      expect(selfMatches).toBeGreaterThan(rules.length / 2);
    } finally {
      con.closeSync();
      db.closeSync();
    }
  });
});

describe.skipIf(!existsSync(DIR))('mutated SigmaHQ rules', () => {
  it('never make parsing, compiling, matching or SQL throw: each answers or refuses', () => {
    // A fixed-seed generator, so a failure reproduces.
    let seed = 19;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const PIECES = ['|re', '|cidr', '|all', '|contains', '|base64offset', '|windash', '|exists', '|fieldref', '|gt', '|neq', '|i', '*', '?', '\\', "'", '"', '[', '{', '- ', ': ', '\n', '\n    ', ' and ', ' not ', ' 1 of ', ' all of them', '(', ')', 'null', '0x', '1e999', '&a', '*a', '!!binary', '\u2028', '\0'];
    let refused = 0;
    let compiledCount = 0;
    const event1 = event({ Image: '/bin/sh', CommandLine: 'sh -c x', a0: '1', DestinationIp: '10.0.0.1' }, ['x']);
    for (const file of ymlFiles(DIR)) {
      const text = readFileSync(file, 'utf8');
      for (let k = 0; k < 5; k++) {
        let t = text;
        for (let j = 1 + rand(3); j > 0; j--) {
          const at = rand(t.length);
          t = rand(2) ? t.slice(0, at) + PIECES[rand(PIECES.length)]! + t.slice(at) : t.slice(0, at) + t.slice(at + 1 + rand(8));
        }
        const parsed = parseRuleFile(t, 'mutant.yml');
        refused += parsed.refused.length;
        for (const r of parsed.refused) expect(r.message).not.toMatch(/\n/);
        for (const rule of parsed.rules) {
          const c = compileRule(rule, { fields: ANY_FIELD, keywords: true });
          if (isRefusal(c)) {
            refused++;
            expect(c.reason).not.toMatch(/\n/);
            continue;
          }
          compiledCount++;
          new RuleSet([c]).match(event1);
          ruleSql(c, column, 'keywords');
        }
      }
    }
    console.log(`mutants: ${compiledCount} compiled, ${refused} refused`);
    expect(compiledCount).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
