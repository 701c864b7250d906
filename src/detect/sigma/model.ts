// The compiled form of a Sigma rule's detection, shared by the JavaScript matcher
// (ruleset.ts) and the SQL compiler (sql.ts) so both read one meaning of each rule.
import type { SigmaRule } from './rule.js';

/** `*` in a Sigma string: any run of characters, the empty one too. */
export const ANY = Symbol('*');
/** `?` in a Sigma string: exactly one character. */
export const ONE = Symbol('?');

/** A Sigma string: literal text and wildcards, escapes already resolved. */
export type Part = string | typeof ANY | typeof ONE;

/**
 * One value a field is tested against, after its modifiers.
 * - `string`: the whole text matches the pattern (contains/startswith/endswith are wildcards
 *   by now), case-insensitively unless `cased`;
 * - `re`: a JavaScript RegExp source (u-mode, normalised by regex.ts) searched in the text;
 * - `cidr`: the address, as IPv6 (IPv4 as ::ffff:a.b.c.d), lies in `first`..`last` (32 hex digits);
 * - `number`: numeric comparison (`eq` is equality);
 * - `bool`: the field is that boolean (or the text 'true'/'false', any case);
 * - `null`: the field has no value; `exists`: it has one (or has none, for `false`);
 * - `fieldref`: the text equals (starts with, ends with, contains) another field's text.
 */
export type ValueTest =
  | { readonly kind: 'string'; readonly parts: readonly Part[]; readonly cased: boolean }
  | { readonly kind: 're'; readonly source: string; readonly flags: string; readonly re2?: string; readonly re2Refusal?: string }
  | { readonly kind: 'cidr'; readonly cidr: string; readonly first: string; readonly last: string }
  | { readonly kind: 'number'; readonly op: CompareOp; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'null' }
  | { readonly kind: 'exists'; readonly value: boolean }
  | { readonly kind: 'fieldref'; readonly field: string; readonly anchor: Anchor; readonly cased: boolean };

export type CompareOp = 'eq' | 'gt' | 'gte' | 'lt' | 'lte';
export type Anchor = 'eq' | 'prefix' | 'suffix' | 'contains';

/**
 * `field|modifiers: values`. Each value expands to variants (base64offset, windash) that are
 * ORed; the values are ORed, or ANDed with `all`; `neq` negates the whole item. A null
 * `field` is a keyword search: any of the event's keyword texts contains the value.
 */
export interface Item {
  readonly field: string | null;
  readonly values: readonly (readonly ValueTest[])[];
  readonly all: boolean;
  readonly negated: boolean;
}

/** A search identifier: maps AND their items, lists OR their elements. */
export type Detection =
  | { readonly kind: 'and' | 'or'; readonly children: readonly Detection[] }
  | { readonly kind: 'item'; readonly item: Item };

/** The condition, search identifiers resolved by name (`1 of x*` is an `or` of names by now). */
export type Condition =
  | { readonly kind: 'and' | 'or'; readonly children: readonly Condition[] }
  | { readonly kind: 'not'; readonly child: Condition }
  | { readonly kind: 'ref'; readonly name: string };

/** A rule ready to run: build a RuleSet from these, or SQL with ruleSql. */
export interface CompiledRule {
  readonly rule: SigmaRule;
  readonly condition: Condition;
  readonly detections: ReadonlyMap<string, Detection>;
  /** The fields the rule reads (fieldref targets too), in order of first use in the rule. */
  readonly fields: readonly string[];
  /** Whether it searches keywords. */
  readonly keywords: boolean;
}

/** Why a rule cannot run on a log source, or at all. */
export interface Refusal {
  readonly reason: string;
}

export const isRefusal = <T extends object>(r: T | Refusal): r is Refusal => 'reason' in r;
