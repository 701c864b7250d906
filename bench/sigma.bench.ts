// Sigma engine benchmark: the process_creation rules of a rule directory (SigmaHQ's Linux
// snapshot by default) as one RuleSet over synthetic exec events, mostly benign command lines
// with a few that match, and as hunts: one DuckDB query per rule over --rows such events in
// an in-memory table. Prints JSON: rules, events per second, matches, hunt seconds.
//   npm run build && node dist/bench/sigma.bench.js [-- --rules DIR --events N --rows N]
import { DuckDBInstance } from '@duckdb/node-api';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compileRule, isRefusal, parseRuleFile, ruleSql, RuleSet, sqlString, type CompiledRule, type FieldValue, type SigmaEvent } from '../src/detect/sigma/index.js';

const { values } = parseArgs({ options: { rules: { type: 'string', default: '/work/shared/sigma/rules' }, events: { type: 'string', default: '200000' }, rows: { type: 'string', default: '1000000' } } });
const FIELDS = new Set(['Image', 'CommandLine', 'ParentImage', 'ParentCommandLine', 'User', 'CurrentDirectory', 'ProcessId', 'ParentProcessId', 'OriginalFileName', 'LogonId']);

function* ymlFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* ymlFiles(p);
    else if (name.endsWith('.yml')) yield p;
  }
}

const rules: CompiledRule[] = [];
for (const file of ymlFiles(values.rules)) {
  for (const rule of parseRuleFile(readFileSync(file, 'utf8'), file).rules) {
    if (rule.logsource.category !== 'process_creation') continue;
    const c = compileRule(rule, { fields: FIELDS, keywords: false });
    if (!isRefusal(c)) rules.push(c);
  }
}

const BINARIES = ['/usr/bin/gcc', '/usr/bin/make', '/usr/bin/git', '/bin/ls', '/usr/bin/python3', '/usr/bin/tar', '/bin/sh', '/usr/bin/node', '/usr/lib/gcc/x86_64-linux-gnu/12/cc1', '/usr/bin/ld'];
const ARGS = ['-O2 -c src/main.c -o build/main.o', 'status --porcelain', '-la /home/user/project', '-m pytest tests/', 'czf backup.tar.gz /srv/data', '-c "make -j2 all"', 'dist/index.js --port 8080', '-quiet main.c -dumpbase main.c', '-o a.out main.o -lc'];
const n = Number(values.events);
const events: SigmaEvent[] = [];
const rows: Record<string, FieldValue>[] = [];
for (let i = 0; i < 1000; i++) {
  const image = BINARIES[i % BINARIES.length]!;
  const cmd = i % 97 === 0 ? 'echo ZWNobyBoaQ== | base64 -d | bash' : `${image.split('/').pop()} ${ARGS[i % ARGS.length]} --seq ${i}`;
  const fields: Record<string, FieldValue> = { Image: image, CommandLine: cmd, ParentImage: '/bin/bash', ParentCommandLine: 'bash', User: i % 5 ? 'builder' : 'root', CurrentDirectory: '/home/builder', ProcessId: 1000 + i, ParentProcessId: 999 };
  rows.push(fields);
  events.push({ get: (f) => fields[f], keywords: () => [] });
}

const set = new RuleSet(rules);
let matches = 0;
for (let i = 0; i < 20_000; i++) set.match(events[i % events.length]!); // warm up
const started = process.hrtime.bigint();
for (let i = 0; i < n; i++) matches += set.match(events[i % events.length]!).length;
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

// Hunts: the same 1000 events repeated to --rows rows, one query per rule.
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const text = ['Image', 'CommandLine', 'ParentImage', 'ParentCommandLine', 'User', 'CurrentDirectory', 'OriginalFileName', 'LogonId'];
await con.run(`CREATE TABLE seed (${[...text.map((f) => `"${f}" VARCHAR`), '"ProcessId" BIGINT', '"ParentProcessId" BIGINT'].join(', ')})`);
const lit = (v: FieldValue): string => (v === undefined || v === null ? 'NULL' : typeof v === 'string' ? sqlString(v) : String(v));
await con.run(`INSERT INTO seed VALUES ${rows.map((r) => `(${[...text.map((f) => lit(r[f])), lit(r.ProcessId), lit(r.ParentProcessId)].join(', ')})`).join(', ')}`);
const rowCount = Number(values.rows);
// The table also holds each text column lowercased, as a hunt can prepare it once for all rules.
await con.run(`CREATE TABLE ev AS SELECT seed.*, ${text.map((f) => `lower("${f}") AS "${f}_lower"`).join(', ')} FROM range(${Math.ceil(rowCount / 1000)}) r, seed`);
const kind = (f: string): 'number' | 'text' => (f.endsWith('Id') && f !== 'LogonId' ? 'number' : 'text');
async function hunt(lowered: boolean): Promise<{ seconds: number; matches: number }> {
  let found = 0;
  const started = process.hrtime.bigint();
  for (const rule of rules) {
    const q = ruleSql(rule, (f) => (FIELDS.has(f) ? { sql: `"${f}"`, kind: kind(f), ...(lowered && kind(f) === 'text' ? { lower: `"${f}_lower"` } : {}) } : undefined));
    if (isRefusal(q)) continue;
    found += Number((await con.runAndReadAll(`SELECT count(*) FROM ev WHERE ${q.sql}`)).getRowsJson()[0]![0]);
  }
  return { seconds: Number((Number(process.hrtime.bigint() - started) / 1e9).toFixed(3)), matches: found };
}
const byRule = await hunt(false);
const prepared = await hunt(true);
con.closeSync();
db.closeSync();
console.log(JSON.stringify({
  rules: rules.length, events: n, seconds: Number(seconds.toFixed(3)), events_per_s: Math.round(n / seconds), matches,
  hunt_rows: rowCount, hunt_seconds: byRule.seconds, hunt_seconds_lowered_once: prepared.seconds, hunt_matches: byRule.matches, hunt_matches_lowered_once: prepared.matches,
}));
