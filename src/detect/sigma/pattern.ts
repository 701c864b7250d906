// Sigma strings: `*` and `?` wildcards with `\` escapes, parsed into parts, and the cheapest
// test each shape needs (equality, prefix, suffix, substring; a glob matcher only when a
// wildcard sits inside the text).
import { ANY, ONE, type Part } from './model.js';

/**
 * Parses a Sigma string (the specification's escape rules, as pySigma reads them): `\*`,
 * `\?` and `\\` are the plain characters; a `\` before anything else, or at the end, is a
 * plain backslash.
 */
export function parseSigmaString(s: string): Part[] {
  const parts: Part[] = [];
  let acc = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const next = s[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        acc += next;
        i++;
      } else {
        acc += c;
      }
    } else if (c === '*' || c === '?') {
      if (acc) parts.push(acc);
      acc = '';
      parts.push(c === '*' ? ANY : ONE);
    } else {
      acc += c;
    }
  }
  if (acc) parts.push(acc);
  return normalise(parts);
}

/** Adjacent literals joined, runs of `*` made one. */
export function normalise(parts: readonly Part[]): Part[] {
  const out: Part[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (typeof p === 'string') {
      if (p === '') continue;
      if (typeof last === 'string') out[out.length - 1] = last + p;
      else out.push(p);
    } else if (!(p === ANY && last === ANY)) {
      out.push(p);
    }
  }
  return out;
}

export const hasWildcards = (parts: readonly Part[]): boolean => parts.some((p) => typeof p !== 'string');

/** The literal text of wildcard-free parts. */
export const literal = (parts: readonly Part[]): string => parts.join('');

/** The shape of a pattern: literal text at an anchor, or a general wildcard pattern. */
export type Shape =
  | { readonly kind: 'eq' | 'prefix' | 'suffix' | 'contains'; readonly text: string }
  | { readonly kind: 'wild' };

export function shapeOf(parts: readonly Part[]): Shape {
  const lead = parts[0] === ANY;
  const trail = parts.length > 1 && parts[parts.length - 1] === ANY;
  const core = parts.slice(lead ? 1 : 0, trail ? -1 : undefined);
  if (core.length === 0) return { kind: lead ? 'contains' : 'eq', text: '' };
  if (core.length > 1 || typeof core[0] !== 'string') return { kind: 'wild' };
  const text = core[0];
  return { kind: lead && trail ? 'contains' : lead ? 'suffix' : trail ? 'prefix' : 'eq', text };
}

type Chunk = readonly (string | typeof ONE)[];

/** Where `chunk` ends when it starts at `i` in `s`, or -1. `?` is one code point. */
function matchAt(s: string, i: number, chunk: Chunk): number {
  for (const c of chunk) {
    if (c === ONE) {
      if (i >= s.length) return -1;
      i += s.codePointAt(i)! > 0xffff ? 2 : 1;
    } else if (s.startsWith(c, i)) {
      i += c.length;
    } else {
      return -1;
    }
  }
  return i;
}

/** Not inside a surrogate pair. */
const boundary = (s: string, i: number): boolean => !(i > 0 && i < s.length && /[\uDC00-\uDFFF]/.test(s[i]!) && /[\uD800-\uDBFF]/.test(s[i - 1]!));

/** The end of the leftmost match of `chunk` starting at or after `from`, or -1. */
function findFrom(s: string, from: number, chunk: Chunk): number {
  const lead = chunk[0];
  for (let q = from; q <= s.length; q++) {
    if (typeof lead === 'string') {
      q = s.indexOf(lead, q);
      if (q < 0) return -1;
    } else if (!boundary(s, q)) {
      continue;
    }
    const end = matchAt(s, q, chunk);
    if (end >= 0) return end;
  }
  return -1;
}

/**
 * A test of the whole text against a wildcard pattern that never backtracks: the pieces
 * between `*`s are found leftmost-first in turn, which is exact for globs. A hostile
 * `*a*a*a...b` costs O(text x pattern) here, where the RegExp `^.*a.*a...b$` takes
 * exponential time.
 */
export function globMatcher(parts: readonly Part[]): (s: string) => boolean {
  const chunks: (string | typeof ONE)[][] = [[]];
  for (const p of parts) {
    if (p === ANY) chunks.push([]);
    else chunks[chunks.length - 1]!.push(p);
  }
  const first = chunks[0]!;
  const middle = chunks.slice(1, -1);
  const last = chunks.length > 1 ? chunks[chunks.length - 1]! : null;
  const lastFixed = last !== null && last.every((c) => c !== ONE) ? last.join('') : null;
  return (s) => {
    let pos = matchAt(s, 0, first);
    if (pos < 0) return false;
    if (last === null) return pos === s.length;
    for (const chunk of middle) {
      pos = findFrom(s, pos, chunk);
      if (pos < 0) return false;
    }
    if (lastFixed !== null) return s.length - lastFixed.length >= pos && s.endsWith(lastFixed);
    for (let q = pos; q <= s.length; q++) if (boundary(s, q) && matchAt(s, q, last) === s.length) return true;
    return false;
  };
}

/**
 * Lowercase for case-insensitive matching (both sides are lowercased), as DuckDB's lower()
 * does it so hunts agree: one character for one, where JavaScript's toLowerCase makes 'İ'
 * two characters and 'Σ' a final 'ς' at the end of a word.
 */
export function lowerText(s: string): string {
  return /[\u0130\u03a3]/.test(s) ? s.replace(/\u0130/g, 'i').replace(/\u03a3/g, '\u03c3').toLowerCase() : s.toLowerCase();
}

/** The parts with their literal text lowercased. */
export const lowerParts = (parts: readonly Part[]): Part[] => parts.map((p) => (typeof p === 'string' ? lowerText(p) : p));
