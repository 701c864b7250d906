// A compiled Sigma rule as one DuckDB boolean expression, for hunts over recordings (and the
// same SQL on exported Parquet). It means what the JavaScript matcher (ruleset.ts) means:
// every leaf is coalesced to false so NOT of a missing value holds as it does there; text is
// lowercased on both sides; wildcards become LIKE or RE2; regular expressions run as their RE2 twin
// (regex.ts) or the rule is refused for hunts; cidr compares fixed-width hex addresses.
// Literals from rules are hostile input: every one goes through sqlString.
import { compileRule } from './compile.js';
import { ANY, ONE, isRefusal, type Part, type CompiledRule, type Condition, type Detection, type Item, type Refusal, type ValueTest } from './model.js';
import { lowerParts, shapeOf, type Shape } from './pattern.js';
import { quote, type SigmaRule } from './rule.js';

/**
 * A field as SQL: `sql` is an expression of its value. `list` is a VARCHAR[] (argv) that
 * matches when any element does; `ip` is the address as text, with `ipHex` giving it as 32
 * lowercase hex digits of its IPv6 form (IPv4 as ::ffff:a.b.c.d), NULL when it is none.
 */
export interface SqlColumn {
  readonly sql: string;
  readonly kind: 'text' | 'number' | 'bool' | 'list' | 'ip';
  readonly ipHex?: string;
  /**
   * The value lowercased as lower() does it (a list: each element), where the source has it
   * ready: a hunt running many rules then lowercases each row once, not once per rule.
   */
  readonly lower?: string;
}

/** The column of a field, or undefined when the source has none. */
export type SqlColumns = (field: string) => SqlColumn | undefined;

class Unsupported extends Error {}

/** A SQL string literal of any text: quotes doubled, NUL (which a literal cannot hold) as chr(0). */
export function sqlString(s: string): string {
  return s
    .split('\0')
    .map((p) => `'${p.replace(/'/g, "''")}'`)
    .join(' || chr(0) || ');
}

/**
 * A wildcard pattern's test of text `t`. DuckDB's LIKE backtracks once the pattern has `_` or
 * an ESCAPE clause (300 pieces of '%a_' ran for over a minute on 20,000 characters) but not
 * with `%` alone, so that form stays LIKE (readable, and fast); the rest is RE2, which is linear.
 */
function wildcardSql(parts: readonly Part[], t: string): string {
  if (parts.every((p) => p !== ONE && (p === ANY || !/[\\%_]/.test(p)))) {
    return `${t} LIKE ${sqlString(parts.map((p) => (p === ANY ? '%' : p)).join(''))}`;
  }
  const re = parts.map((p) => (p === ANY ? '.*' : p === ONE ? '.' : p.replace(/[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/g, '\\$&'))).join('');
  return `regexp_full_match(${t}, ${sqlString(`(?s)${re}`)})`;
}

function shapeSql(shape: Exclude<Shape, { kind: 'wild' }>, t: string): string {
  const lit = sqlString(shape.text);
  switch (shape.kind) {
    case 'eq': return `${t} = ${lit}`;
    case 'prefix': return `starts_with(${t}, ${lit})`;
    case 'suffix': return `ends_with(${t}, ${lit})`;
    case 'contains': return `contains(${t}, ${lit})`;
  }
}

const VAR = 'sigma_v';

/** A column name as it is; any other expression in parentheses, so `x IS NULL` means what it says. */
const atom = (sql: string): string => (/^(?:[A-Za-z_][A-Za-z0-9_]*|"(?:[^"]|"")*")(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|"(?:[^"]|"")*"))*$/.test(sql) ? sql : `(${sql})`);
const DECIMAL = `'-?[0-9]+(\\.[0-9]+)?'`;

/** A numeric literal; the compiler allows only finite numbers, integers exactly representable. */
const num = (n: number): string => (Number.isInteger(n) ? String(n) : n.toExponential());

const OPS = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

class Builder {
  constructor(private readonly columns: SqlColumns, private readonly keywords: string | undefined) {}

  private column(field: string): SqlColumn {
    const c = this.columns(field);
    if (!c) throw new Unsupported(`field ${quote(field)} has no column`);
    return { kind: c.kind, sql: atom(c.sql), ...(c.ipHex !== undefined ? { ipHex: atom(c.ipHex) } : {}), ...(c.lower !== undefined ? { lower: atom(c.lower) } : {}) };
  }

  /** `f` of each text the value has (lowercased with `lower`): the scalar's text, or any element of a list. */
  private eachText(c: SqlColumn, f: (t: string) => string, lower = false): string {
    if (c.kind === 'number' || c.kind === 'bool') return f(`CAST(${c.sql} AS VARCHAR)`); // 'true', digits: lowercase already
    const ready = lower && c.lower !== undefined;
    const el = (x: string): string => (lower && !ready ? `lower(${x})` : x);
    const base = ready ? c.lower! : c.sql;
    if (c.kind === 'list') return `len(list_filter(${base}, lambda ${VAR}: ${f(el(VAR))})) > 0`;
    return f(el(base));
  }

  private test(t: ValueTest, c: SqlColumn, field: string): string {
    switch (t.kind) {
      case 'string': {
        const parts = t.cased ? t.parts : lowerParts(t.parts);
        const shape = shapeOf(parts);
        if (shape.kind === 'wild') return this.eachText(c, (x) => wildcardSql(parts, x), !t.cased);
        return this.eachText(c, (x) => shapeSql(shape, x), !t.cased);
      }
      case 're':
        if (t.re2 === undefined) throw new Unsupported(`regular expression ${quote(t.source)}: ${t.re2Refusal ?? 'no RE2 form'}`);
        return this.eachText(c, (x) => `regexp_matches(${x}, ${sqlString(t.re2!)})`);
      case 'cidr':
        if (c.kind !== 'ip' || c.ipHex === undefined) throw new Unsupported(`cidr on ${quote(field)}, which is not an address column`);
        return `${c.ipHex} BETWEEN '${t.first}' AND '${t.last}'`;
      case 'number': {
        const op = OPS[t.op];
        if (c.kind === 'number') return `${c.sql} ${op} ${num(t.value)}`;
        if (c.kind === 'bool') return 'false';
        return this.eachText(c, (x) => `CASE WHEN regexp_full_match(${x}, ${DECIMAL}) THEN TRY_CAST(${x} AS DOUBLE) ${op} ${num(t.value)} ELSE false END`);
      }
      case 'bool':
        if (c.kind === 'bool') return `${c.sql} = ${String(t.value)}`;
        if (c.kind === 'number') return 'false';
        return this.eachText(c, (x) => `${x} = '${String(t.value)}'`, true);
      case 'null':
        return `${c.sql} IS NULL`;
      case 'exists':
        return `${c.sql} IS ${t.value ? 'NOT ' : ''}NULL`;
      case 'fieldref': {
        const o = this.column(t.field);
        if (c.kind === 'list' || o.kind === 'list') throw new Unsupported(`fieldref between ${quote(field)} and ${quote(t.field)}: a list field cannot be compared to another field`);
        const text = (x: SqlColumn): string => {
          if (x.kind === 'number' || x.kind === 'bool') return `CAST(${x.sql} AS VARCHAR)`;
          return t.cased ? x.sql : (x.lower ?? `lower(${x.sql})`);
        };
        const [a, b] = [text(c), text(o)];
        switch (t.anchor) {
          case 'eq': return `${a} = ${b}`;
          case 'prefix': return `starts_with(${a}, ${b})`;
          case 'suffix': return `ends_with(${a}, ${b})`;
          case 'contains': return `contains(${a}, ${b})`;
        }
      }
    }
  }

  item(it: Item): string {
    let c: SqlColumn;
    let field: string;
    if (it.field === null) {
      if (this.keywords === undefined) throw new Unsupported('keyword search, and the source has no keyword column');
      c = { sql: atom(this.keywords), kind: 'list' };
      field = 'keywords';
    } else {
      c = this.column(it.field);
      field = it.field;
    }
    const values = it.values.map((variants) => join(variants.map((t) => `coalesce(${this.test(t, c, field)}, false)`), 'OR'));
    const sql = join(values, it.all ? 'AND' : 'OR');
    return it.negated ? `(NOT ${sql})` : sql;
  }

  detection(d: Detection): string {
    if (d.kind === 'item') return this.item(d.item);
    return join(d.children.map((x) => this.detection(x)), d.kind === 'and' ? 'AND' : 'OR');
  }

  condition(c: Condition, detections: ReadonlyMap<string, Detection>): string {
    switch (c.kind) {
      case 'ref': return this.detection(detections.get(c.name)!);
      case 'not': return `(NOT ${this.condition(c.child, detections)})`;
      default: return join(c.children.map((x) => this.condition(x, detections)), c.kind === 'and' ? 'AND' : 'OR');
    }
  }
}

const join = (xs: readonly string[], op: 'AND' | 'OR'): string => (xs.length === 1 ? xs[0]! : `(${xs.join(` ${op} `)})`);

/**
 * The rule as one boolean DuckDB expression over the columns (and `keywords`, a VARCHAR[]
 * expression of the texts keyword searches look in), or a refusal when a part of the rule
 * has no SQL of the same meaning (an RE2-incompatible regular expression, a field without a
 * column, cidr on a column that is not an address). A rule not yet compiled is compiled for
 * the fields that have columns.
 */
export function ruleSql(rule: CompiledRule | SigmaRule, columns: SqlColumns, keywords?: string): { readonly sql: string } | Refusal {
  const compiled: CompiledRule | Refusal = 'detections' in rule ? rule : compileRule(rule, { fields: { has: (f) => columns(f) !== undefined }, keywords: keywords !== undefined });
  if (isRefusal(compiled)) return compiled;
  try {
    return { sql: new Builder(columns, keywords).condition(compiled.condition, compiled.detections) };
  } catch (e) {
    if (e instanceof Unsupported) return { reason: e.message };
    throw e;
  }
}
