// Sigma rules as SQL hunts: each log source of sources.ts as a query over flightrec's views
// that gives the fields the JavaScript events give (detector.ts), row for row, and each rule
// as one SELECT over its source. The same recording gives the same matches either way (a test
// compares them): the process of an event is its latest proc row before it, unless that row
// is its exit (detect/process-table.ts), here an ASOF join on (ts, seq).
import { sqlString, ruleSql, type SqlColumn } from './sql.js';
import type { Refusal } from './model.js';
import { callNumbers, callsOf, EXEC_CALLS } from './auditd.js';
import { severityOf, type SupportedRule } from './rules.js';
import { AUDIT_FIELDS, SOURCES, auditArg, type SourceName } from './sources.js';

/** The events' place in the recording's order, one number: ts, then seq. */
const ORDER = (t: string): string => `((${t}.ts::UHUGEINT << 64) | ${t}.seq)`;

/**
 * An address's text (as the views give it: dotted IPv4, RFC 5952 IPv6) as 32 lowercase hex
 * digits of its IPv6 form, IPv4 as ::ffff:a.b.c.d: what cidr tests compare. Inline SQL, so a
 * hunt query runs in any DuckDB over the exported views.
 */
export function ipHexSql(t: string): string {
  const v4 = (x: string): string => `array_to_string(list_transform(string_split(${x}, '.'), o -> printf('%02x', o::INTEGER)), '')`;
  // IPv6: a dotted tail becomes two groups; `::` becomes the zero groups it stands for.
  const groups = `string_split(CASE WHEN contains(${t}, '.') THEN regexp_replace(${t}, '[^:]*$', '') || substr(${v4(`regexp_extract(${t}, '[^:]*$')`)}, 1, 4) || ':' || substr(${v4(`regexp_extract(${t}, '[^:]*$')`)}, 5, 4) ELSE ${t} END, '::')`;
  const part = (i: number): string => `list_filter(string_split(${groups}[${i}], ':'), g -> g <> '')`;
  const full = `CASE WHEN len(${groups}) = 1 THEN ${part(1)} ELSE list_concat(${part(1)}, list_transform(range(8 - len(${part(1)}) - len(${part(2)})), z -> '0'), ${part(2)}) END`;
  return `CASE WHEN ${t} IS NULL OR ${t} = '' THEN NULL WHEN NOT contains(${t}, ':') THEN '00000000000000000000ffff' || ${v4(t)} ELSE array_to_string(list_transform(${full}, g -> lpad(lower(g), 4, '0')), '') END`;
}

/** Fields of the event's process: its latest proc row `p` before the event, unless that is its exit. */
const PROCESS_SQL = `CASE WHEN p.kind <> 'exit' THEN p.filename END AS "Image",
    CASE WHEN p.kind <> 'exit' THEN coalesce(u.name, p.uid::VARCHAR) END AS "User",
    e.pid AS "ProcessId"`;

const PROCS = `SELECT recording, pid, kind, filename, argv, uid, ${ORDER('proc')} AS k FROM proc`;
const USERS = `SELECT recording, id, min(name) AS name FROM account WHERE kind = 'user' GROUP BY ALL`;

/** Each source's events with their fields, as a query. */
const SOURCE_SQL: Readonly<Record<Exclude<SourceName, 'auditd'>, string>> = {
  process_creation: `
  SELECT e.recording, e.host, e.ts, e.seq, e.time, e.pid,
    e.filename AS "Image", array_to_string(e.argv, ' ') AS "CommandLine", e.cwd AS "CurrentDirectory", e.loginuid AS "LogonId",
    coalesce(u.name, e.uid::VARCHAR) AS "User", e.pid AS "ProcessId", e.ppid AS "ParentProcessId",
    CASE WHEN p.kind <> 'exit' THEN p.filename END AS "ParentImage",
    CASE WHEN p.kind <> 'exit' THEN array_to_string(p.argv, ' ') END AS "ParentCommandLine"
  FROM (SELECT *, ${ORDER('proc')} AS k FROM proc WHERE kind = 'exec') e
  ASOF LEFT JOIN (${PROCS}) p ON p.recording = e.recording AND p.pid = e.ppid AND p.k < e.k
  LEFT JOIN (${USERS}) u ON u.recording = e.recording AND u.id = e.uid`,
  file_event: `
  SELECT e.recording, e.host, e.ts, e.seq, e.time, e.pid,
    CASE WHEN e.op IN ('rename', 'link', 'symlink') THEN e.path2 ELSE coalesce(e.abs_path, e.path) END AS "TargetFilename",
    ${PROCESS_SQL}
  FROM (SELECT *, ${ORDER('file')} AS k FROM file WHERE ret >= 0
    AND (op IN ('creat', 'rename', 'link', 'symlink') OR (op = 'open' AND open_takes_mode(recording_arch(recording), flags)))) e
  ASOF LEFT JOIN (${PROCS}) p ON p.recording = e.recording AND p.pid = e.pid AND p.k < e.k
  LEFT JOIN (${USERS}) u ON u.recording = e.recording AND u.id = p.uid`,
  file_delete: `
  SELECT e.recording, e.host, e.ts, e.seq, e.time, e.pid,
    coalesce(e.abs_path, e.path) AS "TargetFilename",
    ${PROCESS_SQL}
  FROM (SELECT *, ${ORDER('file')} AS k FROM file WHERE ret >= 0 AND op IN ('unlink', 'rmdir')) e
  ASOF LEFT JOIN (${PROCS}) p ON p.recording = e.recording AND p.pid = e.pid AND p.k < e.k
  LEFT JOIN (${USERS}) u ON u.recording = e.recording AND u.id = p.uid`,
  network_connection: `
  SELECT e.recording, e.host, e.ts, e.seq, e.time, e.pid,
    CASE WHEN e.op = 'connect' THEN 'true' ELSE 'false' END AS "Initiated",
    CASE e.proto WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' ELSE e.proto::VARCHAR END AS "Protocol",
    CASE WHEN e.op = 'connect' THEN e.saddr ELSE e.daddr END AS "SourceIp",
    CASE WHEN e.op = 'connect' THEN e.sport ELSE e.dport END AS "SourcePort",
    CASE WHEN e.op = 'connect' THEN e.daddr ELSE e.saddr END AS "DestinationIp",
    CASE WHEN e.op = 'connect' THEN e.dport ELSE e.sport END AS "DestinationPort",
    CASE WHEN e.family = 10 THEN 'true' ELSE 'false' END AS "SourceIsIpv6",
    CASE WHEN e.family = 10 THEN 'true' ELSE 'false' END AS "DestinationIsIpv6",
    n.qname AS "DestinationHostname",
    ${PROCESS_SQL}
  FROM (SELECT *, ${ORDER('net')} AS k, CASE WHEN op = 'connect' THEN daddr ELSE saddr END AS dest FROM net WHERE family IN (2, 10)
    AND ((op = 'accept' AND ret >= 0) OR (op = 'connect' AND ret IN (0, -115)))) e
  ASOF LEFT JOIN (${PROCS}) p ON p.recording = e.recording AND p.pid = e.pid AND p.k < e.k
  LEFT JOIN (${USERS}) u ON u.recording = e.recording AND u.id = p.uid
  -- The name the latest DNS answer before the event gave the address (an IPv4-mapped address: its A record's).
  ASOF LEFT JOIN (SELECT recording, answer, qname, ${ORDER('dns')} AS k FROM dns WHERE kind = 'answer' AND answer IS NOT NULL) n
    ON n.recording = e.recording AND n.answer = CASE WHEN e.dest LIKE '::ffff:%.%' THEN substr(e.dest, 8) ELSE e.dest END AND n.k < e.k`,
};

/**
 * auditd's records (sources.ts) with the fields `fields` of the rules: SYSCALL records from the
 * syscall table, EXECVE and the program's PATH record (item 1) from exec rows, PATH records
 * from file rows (item 1: the new name of rename and link); SYSCALL records only of `calls`
 * where given (the calls the rules can match). A field a record type does not have is NULL. Columns are named audit_<field>: auditd's lowercase names would meet the
 * rows' own (pid).
 */
function auditSql(fields: readonly string[], calls: readonly string[] | undefined): string {
  const args = fields.map((f) => [f, auditArg(f)] as const).filter((x): x is readonly [string, number] => x[1] !== undefined);
  const cols = (values: Readonly<Record<string, string>>, arg: (n: number) => string): string => [
    ...[...AUDIT_FIELDS].map((f) => `${values[f] ?? `NULL::${AUDIT_NUMBERS.has(f) ? 'BIGINT' : 'VARCHAR'}`} AS ${auditColumn(f)}`),
    ...args.map(([f, n]) => `${arg(n)} AS ${auditColumn(f)}`),
  ].join(', ');
  const path = (name: string, nametype: string): Record<string, string> => ({ type: `'PATH'`, name, nametype });
  const creating = `(op IN ('creat', 'mkdir') OR (op = 'open' AND open_takes_mode(recording_arch(recording), flags)))`;
  const failed = (t: string): string => `CASE WHEN ret < 0 THEN 'UNKNOWN' ELSE ${t} END`;
  const HEAD = 'e.recording, e.host, e.ts, e.seq, e.time, e.pid';
  return `
  SELECT ${HEAD}, 0 AS item, ${cols({
    type: `'SYSCALL'`, syscall: 'e.nr', SYSCALL: 'syscall_name(e.recording, e.nr)',
    success: `CASE WHEN e.ret BETWEEN -4095 AND -1 THEN 'no' ELSE 'yes' END`, exit: 'e.ret', pid: 'e.pid',
    ppid: `CASE WHEN p.kind <> 'exit' THEN p.ppid END`, auid: `CASE WHEN p.kind <> 'exit' THEN p.loginuid END`, comm: 'e.comm', exe: `CASE WHEN p.kind <> 'exit' THEN p.filename END`,
  }, (n) => (n < 4 ? `lower(to_hex(e.arg${n}))` : 'NULL::VARCHAR'))},
    list_filter([e.comm, CASE WHEN p.kind <> 'exit' THEN p.filename END], x -> x IS NOT NULL) AS keywords
  FROM (SELECT *, ${ORDER('syscall')} AS k FROM syscall${calls === undefined ? '' : ` WHERE ${callFilter(calls)}`}) e
  ASOF LEFT JOIN (SELECT recording, pid, kind, filename, ppid, loginuid, ${ORDER('proc')} AS k FROM proc) p ON p.recording = e.recording AND p.pid = e.pid AND p.k < e.k
  UNION ALL
  SELECT ${HEAD}, 0 AS item, ${cols({ type: `'EXECVE'`, argc: 'len(e.argv)' }, (n) => `e.argv[${n + 1}]`)},
    CASE WHEN e.argv IS NULL THEN []::VARCHAR[] ELSE [array_to_string(e.argv, ' ')] END AS keywords
  FROM proc e WHERE e.kind = 'exec'
  UNION ALL
  SELECT ${HEAD}, 1 AS item, ${cols(path('e.filename', `'NORMAL'`), () => 'NULL::VARCHAR')}, list_filter([e.filename], x -> x IS NOT NULL) AS keywords
  FROM proc e WHERE e.kind = 'exec'
  UNION ALL
  SELECT ${HEAD}, 0 AS item, ${cols(path('e.name', 'e.nametype'), () => 'NULL::VARCHAR')}, list_filter([e.name], x -> x IS NOT NULL) AS keywords
  FROM (SELECT *, CASE WHEN op = 'symlink' THEN path2 ELSE coalesce(abs_path, path) END AS name,
      ${failed(`CASE WHEN op IN ('unlink', 'rmdir', 'rename') THEN 'DELETE' WHEN op = 'symlink' OR ${creating} THEN 'CREATE' ELSE 'NORMAL' END`)} AS nametype
    FROM file WHERE op NOT IN ('close', 'io')) e
  UNION ALL
  SELECT ${HEAD}, 1 AS item, ${cols(path('e.path2', failed(`'CREATE'`)), () => 'NULL::VARCHAR')}, list_filter([e.path2], x -> x IS NOT NULL) AS keywords
  FROM file e WHERE e.op IN ('rename', 'link')`;
}

/**
 * Syscall rows of the calls named. The names are those of each recording's architecture; the
 * numbers they have on any architecture come first because a test of the column alone is
 * pushed into the scan, which then reads the other columns of those rows only (on 10M rows,
 * 1.2 s without it, 0.9 s with it).
 */
function callFilter(calls: readonly string[]): string {
  if (calls.length === 0) return 'false';
  return `nr IN (${callNumbers(calls).join(', ')}) AND syscall_name(recording, nr) IN (${calls.map(sqlString).join(', ')})`;
}

const NUMBERS = new Set(['ProcessId', 'ParentProcessId', 'LogonId', 'SourcePort', 'DestinationPort']);
const IPS = new Set(['SourceIp', 'DestinationIp']);
const AUDIT_NUMBERS = new Set(['syscall', 'exit', 'pid', 'ppid', 'auid', 'argc']);

/** SQL names ignore case, and auditd's enriched format names its interpreted values in capitals (syscall 59, SYSCALL execve). */
const auditColumn = (field: string): string => `"audit_${field}${/[A-Z]/.test(field) ? '_interpreted' : ''}"`;

/** A field of a source as SQL, for ruleSql. */
function column(source: SourceName, field: string): SqlColumn {
  const sql = source === 'auditd' ? auditColumn(field) : `"${field}"`;
  // A text field lowercased is a column of its own: each row is lowercased once, not once per rule.
  const lower = `"${sql.slice(1, -1)}__lower"`;
  if (source === 'auditd' ? AUDIT_NUMBERS.has(field) : NUMBERS.has(field)) return { sql, kind: 'number' };
  if (source !== 'auditd' && IPS.has(field)) return { sql, kind: 'ip', ipHex: ipHexSql(sql), lower };
  return { sql, kind: 'text', lower };
}

/**
 * The source's query as a named CTE (materialized: every rule of the source reads it), with
 * the text fields the rules read (`fields`) lowercased.
 */
export function sourceCte(source: SourceName, fields: readonly string[], calls?: readonly string[]): string {
  const texts = fields.map((f) => column(source, f)).filter((c) => c.lower !== undefined);
  const sql = source === 'auditd' ? auditSql(fields, calls) : SOURCE_SQL[source];
  return `sigma_${source} AS MATERIALIZED (SELECT *${texts.map((c) => `, lower(${c.sql}) AS ${c.lower!}`).join('')} FROM (${sql}\n))`;
}

/** A rule ready to hunt with: its source, its condition as SQL, what its rows say of it. */
export interface HuntRule {
  readonly source: SourceName;
  /** auditd: the calls whose syscall rows its SYSCALL records can match (undefined: any; auditd.ts). */
  readonly calls?: readonly string[];
  readonly where: string;
  /** The fields it reads, shown with each match. */
  readonly fields: readonly string[];
  readonly severity: string;
  readonly title: string;
  readonly id: string | undefined;
  readonly level: string | undefined;
  readonly file: string;
}

/** A rule as a hunt, or a refusal where it has no SQL of the same meaning. */
export function huntRule(s: SupportedRule, file: string): HuntRule | Refusal {
  const { rule, source } = s;
  const fields = SOURCES[source].fields;
  const where = ruleSql(rule, (f) => (fields.has(f) ? column(source, f) : undefined), SOURCES[source].keywords ? 'keywords' : undefined);
  if ('reason' in where) return where;
  // An auditd rule that names no syscall runs on the exec calls' SYSCALL records only (auditd.ts).
  const sql = s.execOnly ? `(${where.sql} AND (${auditColumn('type')} <> 'SYSCALL' OR ${auditColumn('SYSCALL')} IN (${EXEC_CALLS.map(sqlString).join(', ')})))` : where.sql;
  const r = rule.rule;
  const calls = source === 'auditd' ? callsOf([s]) : [];
  return { source, ...(calls !== undefined ? { calls } : {}), where: sql, fields: rule.fields, severity: severityOf(r.level), title: r.title, id: r.id, level: r.level, file };
}

const lit = (v: string | undefined): string => (v === undefined ? 'NULL' : sqlString(v));

/**
 * The hunt of several rules as one query. Each source is read once, and each of its events
 * is tested against all of its rules in one projection (a list of the numbers of the rules
 * that hold: DuckDB plans one scan, not one per rule); a row per match, with the rule's
 * particulars from a VALUES table, in the recordings' order, then the rules'.
 */
export function huntQuery(rules: readonly HuntRule[]): string {
  const sources = [...new Set(rules.map((r) => r.source))].sort();
  const hits = sources.map((source) => {
    const mine = rules.map((r, i) => ({ r, i })).filter((x) => x.r.source === source);
    const tests = mine.map(({ r, i }) => `CASE WHEN ${r.where} THEN ${i} END`);
    const fields = mine.map(({ r, i }) => `WHEN ${i} THEN ${r.fields.length > 0 ? `json_object(${r.fields.map((f) => `${sqlString(f)}, ${column(source, f).sql}`).join(', ')})::VARCHAR` : `'{}'`}`);
    return `SELECT recording, host, time, ts, seq, pid, ${source === 'auditd' ? 'item' : '0 AS item'}, rule_order, CASE rule_order ${fields.join(' ')} END AS fields
FROM (SELECT *, unnest(list_filter([
  ${tests.join(',\n  ')}
], x -> x IS NOT NULL)) AS rule_order FROM sigma_${source})`;
  });
  const values = rules.map((r, i) => `(${i}, ${sqlString(r.severity)}, ${sqlString(r.title)}, ${lit(r.id)}, ${lit(r.level)}, ${sqlString(r.file)})`);
  const fieldsOf = (source: SourceName): string[] => [...new Set(rules.filter((r) => r.source === source).flatMap((r) => r.fields))];
  const audits = rules.filter((r) => r.source === 'auditd');
  const calls = audits.some((r) => r.calls === undefined) ? undefined : [...new Set(audits.flatMap((r) => r.calls!))].sort();
  return `WITH ${sources.map((s) => sourceCte(s, fieldsOf(s), calls)).join(',\n')},
sigma_rules(rule_order, severity, rule, rule_id, level, file) AS (VALUES ${values.join(',\n  ')}),
sigma_hits AS (
${hits.join('\nUNION ALL\n')}
)
SELECT h.recording, h.host, h.time, h.ts, h.seq, h.pid, r.severity, r.rule, r.rule_id, r.level, r.file, h.fields
FROM sigma_hits h JOIN sigma_rules r USING (rule_order)
ORDER BY h.recording, h.ts, h.seq, h.rule_order, h.item`;
}
