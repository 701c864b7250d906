// Value tests on one text or value: the cheapest JavaScript for each pattern shape, numbers
// compared exactly where they can be.
import type { CompareOp, ValueTest } from './model.js';
import { globMatcher, lowerParts, shapeOf } from './pattern.js';

const DECIMAL = /^-?[0-9]+(?:\.[0-9]+)?$/;

/** A text test: the cheapest JavaScript for the pattern's shape. */
export function stringTest(test: Extract<ValueTest, { kind: 'string' }>): (s: string) => boolean {
  const parts = test.cased ? test.parts : lowerParts(test.parts);
  const shape = shapeOf(parts);
  switch (shape.kind) {
    case 'eq': {
      const t = shape.text;
      return (s) => s === t;
    }
    case 'prefix': {
      const t = shape.text;
      return (s) => s.startsWith(t);
    }
    case 'suffix': {
      const t = shape.text;
      return (s) => s.endsWith(t);
    }
    case 'contains': {
      const t = shape.text;
      return (s) => s.includes(t);
    }
    case 'wild':
      return globMatcher(parts);
  }
}

/** Whether a text matches any of the patterns: equal values by a Set, the other shapes by loops. */
export function stringsTest(tests: readonly Extract<ValueTest, { kind: 'string' }>[]): (s: string) => boolean {
  if (tests.length === 1) return stringTest(tests[0]!);
  const eq = new Set<string>();
  const prefix: string[] = [];
  const suffix: string[] = [];
  const contains: string[] = [];
  const other: ((s: string) => boolean)[] = [];
  for (const t of tests) {
    const shape = shapeOf(t.cased ? t.parts : lowerParts(t.parts));
    if (shape.kind === 'eq') eq.add(shape.text);
    else if (shape.kind === 'prefix') prefix.push(shape.text);
    else if (shape.kind === 'suffix') suffix.push(shape.text);
    else if (shape.kind === 'contains') contains.push(shape.text);
    else other.push(stringTest(t));
  }
  return (s) => {
    if (eq.has(s)) return true;
    for (const x of suffix) if (s.endsWith(x)) return true;
    for (const x of prefix) if (s.startsWith(x)) return true;
    for (const x of contains) if (s.includes(x)) return true;
    for (const f of other) if (f(s)) return true;
    return false;
  };
}

/** A number or bigint from a value: numbers as they are, text when it is a plain decimal. */
export function numeric(v: string | number | bigint | boolean): number | bigint | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v !== 'string' || !DECIMAL.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** a op b, exactly for bigints against integers. */
export function compare(a: number | bigint, op: CompareOp, b: number): boolean {
  let x: number | bigint = a;
  let y: number | bigint = b;
  if (typeof a === 'bigint') {
    if (Number.isInteger(b)) y = BigInt(b);
    else x = Number(a);
  }
  switch (op) {
    case 'eq': return x === y;
    case 'gt': return x > y;
    case 'gte': return x >= y;
    case 'lt': return x < y;
    default: return x <= y;
  }
}

/** fieldref's relations of a text to the other field's text. */
export const ANCHORS = {
  eq: (a: string, b: string) => a === b,
  prefix: (a: string, b: string) => a.startsWith(b),
  suffix: (a: string, b: string) => a.endsWith(b),
  contains: (a: string, b: string) => a.includes(b),
};
