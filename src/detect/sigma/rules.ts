// Sigma rule files as the commands take them (`--sigma PATH...`: files, or directories of
// .yml/.yaml files), read once by the command, and every rule in them either supported (its
// log source and every field it reads are flightrec's) or refused with the reason. Rule files
// may come from anyone: each is bounded in size, directories are walked without following
// links, and what is wrong is one line naming the file.
import { closeSync, fstatSync, lstatSync, openSync, readSync, readdirSync, constants } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { UsageError } from '../../format/errors.js';
import type { Severity } from '../api.js';
import { checkTags } from '../check.js';
import { compileRule } from './compile.js';
import { AUDIT_TYPES, auditRule, type AuditRule, type AuditType } from './auditd.js';
import { isRefusal, type CompiledRule, type Refusal } from './model.js';
import { parseRuleFile, ruleLabel, type SigmaRule } from './rule.js';
import { MISSING_FIELDS, sourceOf, type SourceName } from './sources.js';

/** A rule file's text; `name` is how alerts name it: relative to the directory given, or its base name. */
export interface RuleText {
  readonly file: string;
  readonly name: string;
  readonly text: string;
}

export interface SupportedRule {
  readonly rule: CompiledRule;
  readonly source: SourceName;
  /** auditd rules: the record types the rule can match (auditd.ts). */
  readonly auditTypes?: readonly AuditType[];
  /** auditd rules: its SYSCALL records are those of the exec calls only (auditd.ts). */
  readonly execOnly?: boolean;
  /** What of the rule never matches here, though it runs (auditd selections of types flightrec does not make). */
  readonly note?: string;
}

export interface RefusedRule {
  readonly file: string;
  readonly title?: string;
  readonly id?: string;
  readonly reason: string;
  /** One line: the rule and the reason. */
  readonly message: string;
}

/** Sigma's levels as alert severities. */
const SEVERITY_OF_LEVEL: Readonly<Record<string, Severity>> = {
  informational: 'info', low: 'info', medium: 'warning', high: 'critical', critical: 'emergency',
};

/** A rule's level as an alert's severity; a rule without a level is informational. */
export const severityOf = (level: string | undefined): Severity => SEVERITY_OF_LEVEL[level ?? 'informational'] ?? 'info';

/** A rule file is read up to this size; SigmaHQ's largest Linux rule is a few KiB. */
export const MAX_RULE_FILE = 1 << 20;
/** And at most this many rule files per command. */
export const MAX_RULE_FILES = 10_000;
const MAX_DEPTH = 16;

function readBounded(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    throw new UsageError(`--sigma ${file}: ${(err as NodeJS.ErrnoException).code === 'ELOOP' ? 'a symbolic link (give the file it points to)' : (err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`--sigma ${file}: not a regular file`);
    if (st.size > MAX_RULE_FILE) throw new UsageError(`--sigma ${file}: larger than ${MAX_RULE_FILE >> 20} MiB, not a rule file`);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The rule files of the paths given, sorted within each directory so every run reads them in one order. */
export function readRuleFiles(paths: readonly string[]): RuleText[] {
  const out: RuleText[] = [];
  const add = (file: string, name: string): void => {
    if (out.length >= MAX_RULE_FILES) throw new UsageError(`--sigma: more than ${MAX_RULE_FILES} rule files`);
    out.push({ file, name, text: readBounded(file) });
  };
  const walk = (root: string, dir: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw new UsageError(`--sigma ${root}: directories nested more than ${MAX_DEPTH} deep`);
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      throw new UsageError(`--sigma ${dir}: ${(err as Error).message}`);
    }
    for (const n of names) {
      const p = join(dir, n);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(root, p, depth + 1);
      else if (st.isFile() && /\.ya?ml$/i.test(n)) add(p, relative(root, p));
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      throw new UsageError(`--sigma ${p}: no such file or directory`);
    }
    if (st.isDirectory()) walk(p, p, 0);
    else add(p, basename(p));
  }
  if (out.length === 0) throw new UsageError(`--sigma ${paths.join(' ')}: no .yml or .yaml rule files there`);
  return out;
}

/** A refusal for fields flightrec does not record, with why it does not. */
function withWhy(reason: string): string {
  const why = Object.entries(MISSING_FIELDS).filter(([f]) => reason.includes(`'${f}'`)).map(([f, w]) => `${f}: ${w}`);
  return why.length > 0 ? `${reason} (${why.join('; ')})` : reason;
}

/** The record types an auditd rule can match, from the rule compiled as if every field existed. */
function auditTypes(rule: SigmaRule): AuditRule | Refusal {
  const any = compileRule(rule, { fields: { has: () => true }, keywords: true });
  return isRefusal(any) ? { types: [...AUDIT_TYPES], execOnly: false } : auditRule(any);
}

/** Every rule of the files, supported (compiled for its log source) or refused with the reason. */
export function compileRules(texts: readonly RuleText[]): { supported: SupportedRule[]; refused: RefusedRule[] } {
  const supported: SupportedRule[] = [];
  const refused: RefusedRule[] = [];
  for (const t of texts) {
    const parsed = parseRuleFile(t.text, t.file);
    for (const r of parsed.refused) refused.push({ file: t.file, ...(r.title !== undefined ? { title: r.title } : {}), ...(r.id !== undefined ? { id: r.id } : {}), reason: r.reason, message: r.message });
    for (const rule of parsed.rules) {
      const refuse = (reason: string): void => {
        refused.push({ file: t.file, title: rule.title, ...(rule.id !== undefined ? { id: rule.id } : {}), reason, message: `${ruleLabel(t.file, rule.title, rule.id)}: ${reason}` });
      };
      const source = sourceOf(rule.logsource);
      if ('reason' in source) {
        refuse(source.reason);
        continue;
      }
      try {
        checkTags(rule.tags, 'tags');
      } catch {
        refuse(`tags ${JSON.stringify(rule.tags).slice(0, 200)}: Sigma tags are lower-case namespace.name (attack.t1059.004)`);
        continue;
      }
      // An auditd rule's record types first: a rule wanting only records flightrec does not make
      // is refused for that, not for the fields of those records (SERVICE_STOP's unit).
      const audit = source.name === 'auditd' ? auditTypes(rule) : undefined;
      if (audit !== undefined && isRefusal(audit)) {
        refuse(audit.reason);
        continue;
      }
      const compiled = compileRule(rule, source);
      if (isRefusal(compiled)) refuse(withWhy(compiled.reason));
      else supported.push({ rule: compiled, source: source.name, ...(audit !== undefined ? { auditTypes: audit.types, execOnly: audit.execOnly, ...(audit.note !== undefined ? { note: audit.note } : {}) } : {}) });
    }
  }
  return { supported, refused };
}
