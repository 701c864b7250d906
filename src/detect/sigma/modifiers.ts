// Value modifiers (the specification's modifiers appendix, as pySigma applies them): a field's
// values and its modifier chain, applied left to right, into the tests of one Item.
import { Buffer } from 'node:buffer';
import { cidrRange } from './ip.js';
import { ANY, type Anchor, type CompareOp, type Item, type Part, type ValueTest } from './model.js';
import { hasWildcards, literal, normalise, parseSigmaString } from './pattern.js';
import { parseRegex } from './regex.js';
import { quote } from './rule.js';

/** Problems in a rule's detection: the message is the refusal's reason. */
export class DetectionError extends Error {}

/** A value part-way through its modifier chain. */
type Val =
  | { t: 'str'; parts: Part[]; cased: boolean; bytes: boolean }
  | { t: 'num'; n: number }
  | { t: 'bool'; b: boolean }
  | { t: 'null' }
  | { t: 're'; source: string; subFlags: string }
  | { t: 'cidr'; cidr: string; first: string; last: string }
  | { t: 'cmp'; op: CompareOp; n: number }
  | { t: 'exists'; b: boolean }
  | { t: 'ref'; field: string; anchor: Anchor; cased: boolean };

/** windash: the dashes a Windows command line accepts for '-' or '/'. */
const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];
/** A value may expand into this many windash variants (5 per dash: four dashes). */
export const MAX_VARIANTS = 625;
/** Value tests a rule may have in all (SigmaHQ's largest has a few hundred); windash multiplies. */
export const MAX_RULE_TESTS = 100_000;

/** What is left of a rule's MAX_RULE_TESTS while its items compile. */
export interface TestBudget {
  left: number;
}
const ITEM_MODIFIERS = new Set(['all', 'neq']);
const TIME_MODIFIERS = new Set(['minute', 'hour', 'day', 'week', 'month', 'year']);
const RE_FLAGS: Record<string, string> = { i: 'i', ignorecase: 'i', m: 'm', multiline: 'm', s: 's', dotall: 's' };
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function typed(raw: unknown): Val {
  if (raw === null) return { t: 'null' };
  if (typeof raw === 'boolean') return { t: 'bool', b: raw };
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || (Number.isInteger(raw) && !Number.isSafeInteger(raw))) throw new DetectionError(`the number ${String(raw)} cannot be compared exactly`);
    return { t: 'num', n: raw };
  }
  if (typeof raw === 'string') {
    return { t: 'str', parts: parseSigmaString(raw), cased: false, bytes: false };
  }
  throw new DetectionError(`values must be strings, numbers, booleans or null, not ${Array.isArray(raw) ? 'a nested list' : 'a map'}`);
}

/** Numbers and booleans where a string modifier expects text: their text. */
function asString(v: Val, mod: string): Extract<Val, { t: 'str' }> {
  if (v.t === 'str') return v;
  if (v.t === 'num') return { t: 'str', parts: [String(v.n)], cased: false, bytes: false };
  if (v.t === 'bool') return { t: 'str', parts: [String(v.b)], cased: false, bytes: false };
  throw new DetectionError(`modifier '${mod}' applies to strings, not to ${describe(v)}`);
}

function describe(v: Val): string {
  switch (v.t) {
    case 'null': return 'null';
    case 're': return 'a regular expression';
    case 'cidr': return 'a CIDR range';
    case 'cmp': return 'a comparison';
    case 'exists': return 'exists';
    case 'ref': return 'a field reference';
    default: return `a ${v.t === 'num' ? 'number' : v.t === 'bool' ? 'boolean' : 'string'}`;
  }
}

const wrap = (parts: Part[], before: boolean, after: boolean): Part[] =>
  normalise([...(before ? [ANY] : []), ...parts, ...(after ? [ANY] : [])] as Part[]);

function bytesOf(v: Extract<Val, { t: 'str' }>, mod: string): Buffer {
  if (hasWildcards(v.parts)) throw new DetectionError(`modifier '${mod}' cannot encode wildcards (escape * and ? with \\ to mean them plainly)`);
  return Buffer.from(literal(v.parts), v.bytes ? 'latin1' : 'utf8');
}

/** pySigma's base64offset: the value after 0, 1 and 2 bytes, without the characters that depend on its neighbours. */
export function base64Offsets(b: Buffer): string[] {
  const start = [0, 2, 3];
  const end = [0, -3, -2];
  return [0, 1, 2].map((i) => {
    const enc = Buffer.concat([Buffer.alloc(i, 0x20), b]).toString('base64');
    const e = end[(b.length + i) % 3]!;
    return enc.slice(start[i], e === 0 ? undefined : e);
  });
}

function utf16(v: Extract<Val, { t: 'str' }>, mod: string): Val {
  if (v.bytes) throw new DetectionError(`modifier '${mod}' applies to text, not to bytes from another encoding modifier`);
  // Bytes are held as the characters U+0000..U+00FF (latin1), so base64 after this encodes them.
  const enc = (s: string): string => {
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const u = s.charCodeAt(i);
      out += mod === 'utf16be' ? String.fromCharCode(u >> 8, u & 0xff) : String.fromCharCode(u & 0xff, u >> 8);
    }
    return out;
  };
  const parts = v.parts.map((p) => (typeof p === 'string' ? enc(p) : p));
  return { t: 'str', parts: mod === 'utf16' ? normalise(['\xff\xfe', ...parts]) : parts, cased: v.cased, bytes: true };
}

/** pySigma's windash: a '-' or '/' after a non-word character (or the start) and before a word character. */
function windash(v: Extract<Val, { t: 'str' }>): Val[] {
  let variants: Part[][] = [[]];
  for (const p of v.parts) {
    if (typeof p !== 'string') {
      for (const x of variants) x.push(p);
      continue;
    }
    const pieces = p.split(/\B[-/]\b/);
    let next = variants.map((x) => [...x, pieces[0]!]);
    for (const piece of pieces.slice(1)) {
      if (next.length * DASHES.length > MAX_VARIANTS) throw new DetectionError(`windash would expand ${quote(literal(v.parts.filter((q): q is string => typeof q === 'string')))} into more than ${MAX_VARIANTS} variants`);
      next = next.flatMap((x) => DASHES.map((d) => [...x, d + piece]));
    }
    variants = next;
  }
  return variants.map((parts) => ({ ...v, parts: normalise(parts) }));
}

function apply(mod: string, v: Val, position: number, raw: unknown, field: string | null): Val[] {
  switch (mod) {
    case 'contains':
    case 'startswith':
    case 'endswith': {
      if (v.t === 're') return [v]; // a regular expression is searched anywhere already
      if (v.t === 'ref') return [{ ...v, anchor: mergeAnchor(v.anchor, mod) }];
      const s = asString(v, mod);
      return [{ ...s, parts: wrap(s.parts, mod !== 'startswith', mod !== 'endswith') }];
    }
    case 'base64': {
      const s = asString(v, mod);
      return [{ t: 'str', parts: [bytesOf(s, mod).toString('base64')], cased: s.cased, bytes: false }];
    }
    case 'base64offset': {
      const s = asString(v, mod);
      return base64Offsets(bytesOf(s, mod)).map((e) => ({ t: 'str', parts: [e], cased: s.cased, bytes: false }));
    }
    case 'utf16le':
    case 'wide':
    case 'utf16be':
    case 'utf16':
      return [utf16(asString(v, mod), mod === 'wide' ? 'utf16le' : mod)];
    case 'windash':
      return windash(asString(v, mod));
    case 'cased':
      if (v.t === 'ref') return [{ ...v, cased: true }];
      return [{ ...asString(v, mod), cased: true }];
    case 're':
      if (position !== 0) throw new DetectionError("modifier 're' must come first");
      if (typeof raw !== 'string') throw new DetectionError("modifier 're' applies to strings");
      return [{ t: 're', source: raw, subFlags: '' }];
    case 'cidr': {
      if (position !== 0) throw new DetectionError("modifier 'cidr' must come first");
      if (typeof raw !== 'string') throw new DetectionError("modifier 'cidr' applies to strings");
      const range = cidrRange(raw);
      if (!range) throw new DetectionError(`${quote(raw)} is not a CIDR range`);
      return [{ t: 'cidr', cidr: raw, ...range }];
    }
    case 'exists':
      if (position !== 0) throw new DetectionError("modifier 'exists' must come first");
      if (field === null) throw new DetectionError("modifier 'exists' needs a field");
      if (typeof raw !== 'boolean') throw new DetectionError("modifier 'exists' takes true or false");
      return [{ t: 'exists', b: raw }];
    case 'fieldref': {
      if (field === null) throw new DetectionError("modifier 'fieldref' needs a field");
      const s = asString(v, mod);
      if (hasWildcards(s.parts)) throw new DetectionError('a field reference cannot have wildcards');
      return [{ t: 'ref', field: literal(s.parts), anchor: 'eq', cased: s.cased }];
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (v.t !== 'num') throw new DetectionError(`modifier '${mod}' applies to numbers, not to ${describe(v)}`);
      return [{ t: 'cmp', op: mod, n: v.n }];
    case 'expand':
      throw new DetectionError("placeholders (modifier 'expand') are not supported");
    default:
      if (mod in RE_FLAGS) {
        if (v.t !== 're') throw new DetectionError(`modifier '${mod}' follows 're'`);
        return [{ ...v, subFlags: v.subFlags + RE_FLAGS[mod]! }];
      }
      if (TIME_MODIFIERS.has(mod)) throw new DetectionError(`time modifiers ('${mod}') are not supported`);
      throw new DetectionError(`unknown modifier ${quote(mod)}`);
  }
}

function mergeAnchor(a: Anchor, mod: string): Anchor {
  const before = a === 'suffix' || a === 'contains' || mod !== 'startswith';
  const after = a === 'prefix' || a === 'contains' || mod !== 'endswith';
  return before && after ? 'contains' : before ? 'suffix' : 'prefix';
}

function toTest(v: Val, keyword: boolean): ValueTest {
  switch (v.t) {
    case 'str':
      return { kind: 'string', parts: keyword ? wrap(v.parts, true, true) : v.parts, cased: v.cased };
    case 'num':
      return keyword ? toTest({ t: 'str', parts: [String(v.n)], cased: false, bytes: false }, true) : { kind: 'number', op: 'eq', value: v.n };
    case 'bool':
      return keyword ? toTest({ t: 'str', parts: [String(v.b)], cased: false, bytes: false }, true) : { kind: 'bool', value: v.b };
    case 're': {
      let r;
      try {
        r = parseRegex(v.source, v.subFlags);
      } catch (e) {
        throw new DetectionError(`${quote(v.source)}: ${(e as Error).message}`);
      }
      return { kind: 're', source: r.source, flags: r.flags, ...(r.re2 !== undefined ? { re2: r.re2 } : { re2Refusal: r.re2Refusal! }) };
    }
    case 'cidr':
      return { kind: 'cidr', cidr: v.cidr, first: v.first, last: v.last };
    case 'cmp':
      if (keyword) throw new DetectionError('a keyword cannot be compared as a number');
      return { kind: 'number', op: v.op, value: v.n };
    case 'null':
      if (keyword) throw new DetectionError('a keyword cannot be null');
      return { kind: 'null' };
    case 'exists':
      return { kind: 'exists', value: v.b };
    case 'ref':
      if (keyword) throw new DetectionError('a keyword cannot be a field reference');
      return { kind: 'fieldref', field: v.field, anchor: v.anchor, cased: v.cased };
  }
}

/**
 * The Item of `key: value` in a search identifier, where key is `field|mod|mod...` (an
 * empty field: a keyword search) and value a scalar or a list of scalars.
 */
export function compileItem(key: string, value: unknown, budget: TestBudget): Item {
  const [name, ...mods] = key.split('|');
  const field = name === '' ? null : name!;
  if (mods.some((m) => m === '')) throw new DetectionError(`${quote(key)} has an empty modifier`);
  const chain = mods.filter((m) => !ITEM_MODIFIERS.has(m));
  const raws = Array.isArray(value) ? value : [value];
  if (raws.length === 0) throw new DetectionError(`${quote(key)} has an empty list of values`);
  const values = raws.map((raw) => {
    // Nothing could match it, and DuckDB refuses such text in a query.
    if (typeof raw === 'string' && LONE_SURROGATE.test(raw)) throw new DetectionError(`the value ${quote(raw)} is not valid Unicode`);
    let vals: Val[] = [chain[0] === 're' || chain[0] === 'cidr' || chain[0] === 'exists' ? { t: 'null' } : typed(raw)];
    chain.forEach((mod, position) => {
      vals = vals.flatMap((v) => apply(mod, v, position, raw, field));
      if (vals.length > MAX_VARIANTS) throw new DetectionError(`${quote(key)} expands into more than ${MAX_VARIANTS} values`);
    });
    budget.left -= vals.length;
    if (budget.left < 0) throw new DetectionError(`the rule expands into more than ${MAX_RULE_TESTS} values`);
    return vals.map((v) => toTest(v, field === null));
  });
  return { field, values, all: mods.includes('all'), negated: mods.includes('neq') };
}
