// Sigma rule files: YAML documents read into plain rule records, or refused with a reason.
// Rule files come from anywhere (a downloaded rule pack is attacker-controlled), so the text's
// nesting and its counts of documents and values are checked before the YAML library sees it
// (its parser recurses per level: a file of 200k '- ' overflows the stack, 100k '[' exhausts
// memory), aliases are limited, duplicate keys are found in linear time, and every problem
// is one line naming the file and the rule. The caller bounds the size (1 MiB).
import { CST, Lexer, isScalar, parseAllDocuments, visit, type Document } from 'yaml';

/** A Sigma detection rule as written, its detection not yet compiled (compile.ts). */
export interface SigmaRule {
  readonly file: string;
  /** The rule's position among the file's YAML documents, from 0. */
  readonly document: number;
  readonly title: string;
  readonly id?: string;
  readonly status?: string;
  readonly level?: string;
  readonly description?: string;
  readonly author?: string;
  readonly date?: string;
  readonly modified?: string;
  readonly tags: readonly string[];
  readonly references: readonly string[];
  readonly falsepositives: readonly string[];
  readonly logsource: { readonly category?: string; readonly product?: string; readonly service?: string };
  /** The search identifiers, by name, as plain YAML values (maps, lists, scalars). */
  readonly detection: ReadonlyMap<string, unknown>;
  /** The conditions; several are ORed (the specification's list form). */
  readonly condition: readonly string[];
}

/** A document of a rule file that is not a rule flightrec runs, and why. */
export interface RuleRefusal {
  readonly file: string;
  readonly document: number;
  readonly title?: string;
  readonly id?: string;
  readonly reason: string;
  /** One line for the user: the file, the rule where known, the reason. */
  readonly message: string;
}

export interface RuleFile {
  readonly rules: readonly SigmaRule[];
  readonly refused: readonly RuleRefusal[];
}

/** Flow or block nesting deeper than any rule needs (SigmaHQ's deepest is 4). */
export const MAX_YAML_DEPTH = 64;
/** Aliases a file may expand (rules use none; each expansion copies a subtree). */
export const MAX_ALIASES = 50;
/** Values (scalars and list items) in one file: 500,000 in a flow list took the parser 9 s and 460 MB. */
export const MAX_NODES = 100_000;
/** Documents in one file (each costs the parser a document object: 260,000 empty ones took 5 s and 270 MB). */
export const MAX_DOCUMENTS = 1000;

const LEVELS = new Set(['informational', 'low', 'medium', 'high', 'critical']);
const STATUSES = new Set(['stable', 'test', 'experimental', 'deprecated', 'unsupported']);

/** One line: control characters (newlines from the YAML or the library, terminal escapes) and lone surrogates are escaped. */
export function oneLine(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, (c) => {
    const code = c.charCodeAt(0);
    return c === '\n' ? ' ' : code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/** The YAML library's messages can quote a whole line of the file. */
const clip = (s: string): string => (s.length > 120 ? `${s.slice(0, 117)}...` : s);

/** Quoted for a message, short enough to stay on a line. */
export function quote(s: string): string {
  return `'${oneLine(s.length > 80 ? `${s.slice(0, 77)}...` : s)}'`;
}

/** What the token scan found wrong, or undefined. */
function scan(text: string): string | undefined {
  let line = 1;
  let indent = 0;
  let onLine = 0;
  let flow = 0;
  let documents = 0;
  let nodes = 0;
  let atStart = true;
  let content = false;
  // Nesting is over-estimated without recursion: block levels cannot exceed the indentation
  // plus the indicators ('-', '?', ':') on a line; flow levels are counted exactly.
  for (const tok of new Lexer().lex(text)) {
    if (content) {
      // A scalar's source (a block scalar may span lines).
      content = false;
      for (let i = tok.indexOf('\n'); i >= 0; i = tok.indexOf('\n', i + 1)) line++;
      atStart = false;
      continue;
    }
    const type = CST.tokenType(tok);
    if (type === 'scalar' || type === 'single-quoted-scalar' || type === 'double-quoted-scalar' || type === 'block-scalar-header' || type === 'seq-item-ind' || type === 'comma') {
      if (++nodes > MAX_NODES) return `line ${line}: more than ${MAX_NODES} YAML values`;
    }
    switch (type) {
      case 'scalar':
        content = true;
        break;
      case 'newline':
        line++;
        atStart = true;
        indent = 0;
        onLine = 0;
        continue;
      case 'space':
        if (atStart) indent = tok.length;
        for (let i = tok.indexOf('\n'); i >= 0; i = tok.indexOf('\n', i + 1)) line++;
        continue;
      case 'doc-start':
      case 'doc-end':
        if (++documents > MAX_DOCUMENTS) return `line ${line}: more than ${MAX_DOCUMENTS} YAML documents`;
        break;
      case 'seq-item-ind':
      case 'explicit-key-ind':
      case 'map-value-ind':
        if (flow === 0) onLine++;
        break;
      case 'flow-seq-start':
      case 'flow-map-start':
        flow++;
        break;
      case 'flow-seq-end':
      case 'flow-map-end':
        if (flow > 0) flow--;
        break;
      default:
        break;
    }
    atStart = false;
    if (indent + onLine + flow > MAX_YAML_DEPTH) return `line ${line}: YAML nested more than ${MAX_YAML_DEPTH} levels deep`;
  }
  return undefined;
}

/**
 * The first key a map of the document repeats, as a message (the library's own check,
 * uniqueKeys, is quadratic: 90,000 keys took 68 s), or undefined. Keys must be scalars.
 */
function duplicateKey(doc: Document.Parsed, text: string): string | undefined {
  let found: string | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = pair.key;
        if (key !== null && !isScalar(key)) {
          found = `line ${lineOf(text, (key as { range?: [number] }).range?.[0] ?? 0)}: map keys must be plain values`;
          return visit.BREAK;
        }
        const name = key === null ? '' : String(key.value);
        if (seen.has(name)) {
          found = `line ${lineOf(text, key?.range?.[0] ?? 0)}: the key ${quote(name)} appears twice in a map`;
          return visit.BREAK;
        }
        seen.add(name);
      }
      return undefined;
    },
  });
  return found;
}

type Fields = Record<string, unknown>;

const isMap = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map);

class Refused extends Error {}

function optString(doc: Fields, key: string): string | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Refused(`${key} must be a string`);
  return v;
}

/** A list of strings; a single string is a list of one where the specification allows it. */
function stringList(doc: Fields, key: string, single: boolean): string[] {
  const v = doc[key];
  if (v === undefined || v === null) return [];
  if (single && typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Refused(`${key} must be a list of strings`);
  return v as string[];
}

function toRule(file: string, document: number, doc: Fields): SigmaRule {
  if (doc.action !== undefined) throw new Refused(`rule collections (action: ${typeof doc.action === 'string' ? quote(doc.action) : 'given'}) are not supported: write each rule as a complete document`);
  if (doc.correlation !== undefined) throw new Refused('correlation rules are not supported');
  if (doc.filter !== undefined) throw new Refused('Sigma filters (meta filters) are not supported');
  const title = doc.title;
  if (typeof title !== 'string' || title.trim() === '') throw new Refused(title === undefined ? 'the rule has no title' : 'title must be a non-empty string');
  const level = optString(doc, 'level');
  if (level !== undefined && !LEVELS.has(level)) throw new Refused(`level ${quote(level)} is not one of ${[...LEVELS].join(', ')}`);
  const status = optString(doc, 'status');
  if (status !== undefined && !STATUSES.has(status)) throw new Refused(`status ${quote(status)} is not one of ${[...STATUSES].join(', ')}`);
  const ls = doc.logsource;
  if (!isMap(ls)) throw new Refused(ls === undefined ? 'the rule has no logsource' : 'logsource must be a map');
  const logsource = { category: optString(ls, 'category'), product: optString(ls, 'product'), service: optString(ls, 'service') };
  const det = doc.detection;
  if (!isMap(det)) throw new Refused(det === undefined ? 'the rule has no detection' : 'detection must be a map');
  const cond = det.condition;
  let condition: string[];
  if (typeof cond === 'string') condition = [cond];
  else if (Array.isArray(cond) && cond.length > 0 && cond.every((c) => typeof c === 'string')) condition = cond as string[];
  else throw new Refused(cond === undefined ? 'detection has no condition' : 'condition must be a string or a list of strings');
  if (det.timeframe !== undefined) throw new Refused('timeframe (Sigma 1 aggregations) is not supported');
  const detection = new Map<string, unknown>();
  for (const [k, v] of Object.entries(det)) if (k !== 'condition') detection.set(k, v);
  return {
    file, document, title,
    ...defined({ id: optString(doc, 'id'), status, level, description: optString(doc, 'description'), author: optString(doc, 'author'), date: optString(doc, 'date'), modified: optString(doc, 'modified') }),
    tags: stringList(doc, 'tags', false),
    references: stringList(doc, 'references', false),
    falsepositives: stringList(doc, 'falsepositives', true),
    logsource: defined(logsource),
    detection,
    condition,
  };
}

/** The object without its undefined properties (they would show as `key: undefined`). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The one line naming a rule: file, title and id where known. */
export function ruleLabel(file: string, title?: string, id?: string): string {
  return `${oneLine(file)}${title !== undefined ? `: rule ${quote(title)}` : ''}${id !== undefined ? ` (${oneLine(id)})` : ''}`;
}

/**
 * The rules of a rule file, one per YAML document, and the documents refused with a reason.
 * Never throws on any text.
 */
export function parseRuleFile(text: string, file: string): RuleFile {
  const rules: SigmaRule[] = [];
  const refused: RuleRefusal[] = [];
  const refuse = (document: number, reason: string, title?: string, id?: string): void => {
    const r = oneLine(reason);
    refused.push({ file, document, ...defined({ title, id }), reason: r, message: `${ruleLabel(file, title, id)}: ${r}` });
  };
  const wrong = scan(text);
  if (wrong !== undefined) {
    refuse(0, wrong);
    return { rules, refused };
  }
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false, schema: 'core' }) as Document.Parsed[];
    if (!Array.isArray(docs)) docs = [];
  } catch (e) {
    refuse(0, `not YAML: ${clip((e as Error).message)}`);
    return { rules, refused };
  }
  docs.forEach((doc, i) => {
    let value: unknown;
    const err = doc.errors[0];
    if (err) {
      refuse(i, `line ${lineOf(text, err.pos[0])}: YAML error: ${clip(err.message)}`);
      return;
    }
    const dup = duplicateKey(doc, text);
    if (dup !== undefined) {
      refuse(i, dup);
      return;
    }
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (e) {
      refuse(i, `YAML error: ${clip((e as Error).message)}`);
      return;
    }
    if (value === null || value === undefined) return; // an empty document, e.g. after a trailing '---'
    if (!isMap(value)) {
      refuse(i, 'a rule must be a YAML map');
      return;
    }
    const title = typeof value.title === 'string' ? value.title : undefined;
    const id = typeof value.id === 'string' ? value.id : undefined;
    try {
      rules.push(toRule(file, i, value));
    } catch (e) {
      if (!(e instanceof Refused)) throw e;
      refuse(i, e.message, title, id);
    }
  });
  return { rules, refused };
}
