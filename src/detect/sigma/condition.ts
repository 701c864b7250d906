// Sigma conditions: `and`, `or`, `not`, parentheses, `1 of x*`, `any of x*`, `all of x*`,
// `1 of them`, `all of them`. Precedence, least binding first: or, and, not, `x of`,
// parentheses. Operators are lowercase, as pySigma reads them. `x of pattern` resolves here
// against the rule's search identifiers; names starting with '_' join only patterns that do.
import type { Condition } from './model.js';
import { DetectionError } from './modifiers.js';
import { quote } from './rule.js';

/** Longer conditions and deeper nesting are refused (SigmaHQ's are a few hundred characters). */
export const MAX_CONDITION_LENGTH = 4096;
export const MAX_CONDITION_DEPTH = 64;

const KEYWORDS = new Set(['and', 'or', 'not', 'of', '(', ')']);

/** Parses one condition string over the named search identifiers; throws DetectionError. */
export function parseCondition(text: string, names: readonly string[]): Condition {
  if (text.length > MAX_CONDITION_LENGTH) throw new DetectionError(`condition longer than ${MAX_CONDITION_LENGTH} characters`);
  if (text.includes('|')) throw new DetectionError(`aggregations in conditions (${quote(text.slice(text.indexOf('|')))}) are not supported`);
  const tokens = text.match(/[()]|[^\s()]+/g) ?? [];
  if (tokens.length === 0) throw new DetectionError('the condition is empty');
  let pos = 0;
  let depth = 0;
  const peek = (): string | undefined => tokens[pos];
  const fail = (what: string): never => {
    throw new DetectionError(`condition ${quote(text)}: ${what}`);
  };
  const nest = <T>(f: () => T): T => {
    if (++depth > MAX_CONDITION_DEPTH) fail(`nested more than ${MAX_CONDITION_DEPTH} deep`);
    const r = f();
    depth--;
    return r;
  };

  const binary = (op: 'or' | 'and', next: () => Condition): Condition => {
    const children = [next()];
    while (peek() === op) {
      pos++;
      children.push(next());
    }
    return children.length === 1 ? children[0]! : { kind: op, children };
  };
  const orExpr = (): Condition => nest(() => binary('or', andExpr));
  const andExpr = (): Condition => binary('and', notExpr);
  const notExpr = (): Condition => {
    if (peek() !== 'not') return primary();
    pos++;
    return nest(() => ({ kind: 'not', child: notExpr() }));
  };
  const primary = (): Condition => {
    const t = peek();
    if (t === undefined) return fail('ends early');
    if (t === '(') {
      pos++;
      const inner = orExpr();
      if (peek() !== ')') fail(peek() === undefined ? "a '(' is not closed" : `expected ')' before ${quote(peek()!)}`);
      pos++;
      return inner;
    }
    if ((t === '1' || t === 'any' || t === 'all') && tokens[pos + 1] === 'of') {
      const pattern = tokens[pos + 2];
      if (pattern === undefined || KEYWORDS.has(pattern)) return fail(`'${t} of' needs a search identifier pattern or 'them'`);
      pos += 3;
      const matched = select(pattern, names);
      if (matched.length === 0) fail(`'${t} of ${pattern}' matches no search identifier`);
      const refs: Condition[] = matched.map((name) => ({ kind: 'ref', name }));
      return refs.length === 1 ? refs[0]! : { kind: t === 'all' ? 'and' : 'or', children: refs };
    }
    if (KEYWORDS.has(t)) return fail(`unexpected ${quote(t)}`);
    if (/^\d+$/.test(t) && tokens[pos + 1] === 'of') return fail(`'${t} of' is not Sigma: use '1 of' (any) or 'all of'`);
    if (!names.includes(t)) return fail(`${quote(t)} is not a search identifier of the rule`);
    pos++;
    return { kind: 'ref', name: t };
  };

  const cond = orExpr();
  if (pos < tokens.length) {
    const t = tokens[pos]!;
    fail(`unexpected ${quote(t)}${/^(and|or|not|of)$/i.test(t) ? ' (operators are lowercase)' : ''}`);
  }
  return cond;
}

/** The names a `x of` pattern selects: `them` all but '_' names; `*` is any run of characters. */
function select(pattern: string, names: readonly string[]): string[] {
  if (pattern === 'them') return names.filter((n) => !n.startsWith('_'));
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')).join('.*')}$`, 's');
  return names.filter((n) => re.test(n) && (pattern.startsWith('_') || !n.startsWith('_')));
}
