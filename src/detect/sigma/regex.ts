// The `re` modifier. Sigma's regular expressions are a PCRE subset; flightrec runs them as
// JavaScript RegExps in u-mode (code points, like PCRE in UTF mode and RE2) and, in hunts, as
// RE2 through DuckDB. This module reads a pattern once: PCRE habits JavaScript rejects are
// rewritten where the meaning is certain (a leading `(?i)`, `\` before punctuation, `]` first
// in a class), and an RE2 twin is made that means the same, or a reason why none can.
//
// Left different: with the i flag JavaScript's \w and \b also take U+017F and U+212A (they
// fold to s and k); RE2 keeps them ASCII.
//
// ReDoS: JavaScript backtracks, so a pattern like `(a+)+$` can take exponential time on a
// hostile event. The caller runs the engine under a time watchdog; detecting catastrophic
// patterns reliably is beyond a cheap check, so none is attempted here.

export interface ParsedRegex {
  /** Source for `new RegExp(source, flags)`. */
  readonly source: string;
  /** 'u' plus any of 'i', 'm', 's'. */
  readonly flags: string;
  /** The same expression for RE2 (DuckDB's regexp_matches), flags inline; absent with re2Refusal. */
  readonly re2?: string;
  readonly re2Refusal?: string;
}

/** Longer patterns are refused (SigmaHQ's longest is far shorter). */
export const MAX_REGEX_LENGTH = 4096;

/** JavaScript's \s (ECMAScript WhiteSpace and LineTerminator), spelled for RE2. */
const JS_SPACE = '\\t\\n\\x{0b}\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}';
/** JavaScript's `.` without the s flag: anything but a line terminator. */
const JS_DOT = '[^\\n\\r\\x{2028}\\x{2029}]';
/** Escapes u-mode allows before punctuation; elsewhere PCRE's `\X` means a plain X. */
const U_SYNTAX = new Set([...'^$\\.*+?()[]{}|/']);

/**
 * Reads a Sigma `re` value with the sub-modifier flags ('i', 'm', 's'). Throws an Error whose
 * message is the reason the pattern cannot run.
 */
export function parseRegex(pattern: string, subFlags: string): ParsedRegex {
  if (pattern.length > MAX_REGEX_LENGTH) throw new Error(`regular expression longer than ${MAX_REGEX_LENGTH} characters`);
  const flags = new Set(subFlags);
  let src = pattern;
  // PCRE's inline flags at the start, common in Sigma rules, are flags to JavaScript.
  const lead = /^\(\?([ims]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]!) flags.add(f);
    src = src.slice(lead[0].length);
  }
  let js = '';
  let re2 = '';
  let re2Refusal: string | undefined;
  const noRe2 = (why: string): void => {
    re2Refusal ??= why;
  };
  let inClass = false;
  let classStart = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    const atClassStart = classStart;
    classStart = false;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new Error('regular expression ends with a lone backslash');
      i++;
      if (/[1-9]/.test(n) && !inClass) noRe2('backreferences (\\1) cannot run in RE2');
      if (n === 'k' && src[i + 1] === '<') noRe2('named backreferences (\\k<name>) cannot run in RE2');
      if (n === 'p' || n === 'P') noRe2('Unicode property escapes (\\p{...}) are named differently in RE2');
      if (n === 'c') noRe2('control escapes (\\cX) cannot run in RE2');
      if (n === 'S' && inClass) noRe2('\\S inside a character class cannot be spelled in RE2');
      if (n === 'b' && inClass) noRe2('\\b (backspace) inside a character class cannot run in RE2');
      if (/[A-Za-z0-9]/.test(n) || U_SYNTAX.has(n) || (n === '-' && inClass)) {
        js += c + n;
        if (n === 's') re2 += inClass ? JS_SPACE : `[${JS_SPACE}]`;
        else if (n === 'S') re2 += `[^${JS_SPACE}]`;
        else if (n === '0') re2 += '\\x00';
        else if (n === 'u') {
          const m = /^u(?:\{([0-9a-fA-F]+)\}|([0-9a-fA-F]{4}))/.exec(src.slice(i));
          if (!m) throw new Error('regular expression has an incomplete \\u escape');
          re2 += `\\x{${m[1] ?? m[2]}}`;
          js += src.slice(i + 1, i + m[0].length);
          i += m[0].length - 1;
        } else re2 += c + n;
      } else {
        // PCRE: a backslash before other punctuation or a space makes it plain.
        const plain = n === '-' ? '\\x2d' : n;
        js += plain;
        re2 += plain;
      }
      continue;
    }
    if (inClass) {
      if (c === ']' && !atClassStart) {
        inClass = false;
      } else if (c === ']') {
        // PCRE (and RE2): a ']' first in a class is a plain ']'; JavaScript would end an empty class.
        js += '\\]';
        re2 += '\\]';
        continue;
      } else if (c === '[' && src[i + 1] === ':') {
        throw new Error('POSIX classes ([:alpha:]) are not supported');
      }
      js += c;
      re2 += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      js += c;
      re2 += c;
      if (src[i + 1] === '^') {
        js += '^';
        re2 += '^';
        i++;
      }
      classStart = true;
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const ahead = src.slice(i + 2, i + 4);
      if (ahead[0] === '=' || ahead[0] === '!' || ahead === '<=' || ahead === '<!') noRe2('lookarounds cannot run in RE2');
      else if (ahead[0] === '<') {
        // A named group: RE2 spells it (?P<name>...).
        js += '(?<';
        re2 += '(?P<';
        i += 2;
        continue;
      }
    }
    if (c === '{') {
      const m = /^\{(\d+)(?:,(\d*))?\}/.exec(src.slice(i));
      if (m && (Number(m[1]) > 1000 || Number(m[2] || 0) > 1000)) noRe2('repetition counts above 1000 cannot run in RE2');
    }
    js += c;
    re2 += c === '.' && !flags.has('s') ? JS_DOT : c;
  }
  const jsFlags = `${[...'ims'].filter((f) => flags.has(f)).join('')}u`;
  try {
    new RegExp(js, jsFlags);
  } catch (e) {
    throw new Error(`regular expression does not compile: ${(e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')}`);
  }
  if (flags.has('m')) noRe2('the m flag: RE2 ends lines at \\n only, JavaScript also at \\r, U+2028 and U+2029');
  const inline = [...'is'].filter((f) => flags.has(f)).join('');
  return re2Refusal === undefined
    ? { source: js, flags: jsFlags, re2: `${inline ? `(?${inline})` : ''}${re2}` }
    : { source: js, flags: jsFlags, re2Refusal };
}
