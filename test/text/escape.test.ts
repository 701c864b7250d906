import { describe, expect, it } from 'vitest';
import { cutText, escapeLines, escapeText } from '../../src/text/escape.js';

describe('escapeText', () => {
  it('escapes what a terminal acts on: C0, DEL, C1, bidi overrides, line separators', () => {
    expect(escapeText('\x1b]0;pwned\x07')).toBe('\\x1b]0;pwned\\x07');
    expect(escapeText('\x1b[2J\x1b[H')).toBe('\\x1b[2J\\x1b[H');
    expect(escapeText('a\u009b31mb')).toBe('a\\u009b31mb');
    expect(escapeText('x\ty\r\nz')).toBe('x\\ty\\r\\nz');
    expect(escapeText('\0\x7f\x80\x9f')).toBe('\\x00\\x7f\\u0080\\u009f');
    expect(escapeText('evil\u202ecod.exe')).toBe('evil\\u202ecod.exe');
    expect(escapeText('\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u202a')).toBe('\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c\\u202a');
    expect(escapeText('a\u2028b\u2029')).toBe('a\\u2028b\\u2029');
    expect(escapeText('lone \ud800 surrogate')).toBe('lone \\ud800 surrogate');
  });

  it('leaves printable text alone: unicode, emoji (with joiners), backslashes', () => {
    for (const s of ['naïve-λ', '日本語', '/😀/emoji', '👩‍👩‍👧', 'C:\\dir\\file', "grep -E '\\d+'", '']) expect(escapeText(s)).toBe(s);
  });

  it('is idempotent: escaping escaped text changes nothing', () => {
    const once = escapeText('\x1b[31m\u009b\n\u202e\\x1b');
    expect(escapeText(once)).toBe(once);
  });

  it('escapeLines keeps line breaks and escapes the rest', () => {
    expect(escapeLines('a\x1b[2J\nb\rc')).toBe('a\\x1b[2J\nb\\rc');
  });

  it('cutText cuts between characters and escapes, never inside one', () => {
    expect(cutText('abcdef', 6)).toBe('abcdef');
    expect(cutText('abcdefg', 6)).toBe('abcde…');
    expect(cutText('ab\x1bcdef', 6)).toBe('ab…');
    expect(cutText('a😀😀😀', 6)).toBe('a😀😀…');
    expect(cutText('a😀😀😀b', 6)).toBe('a😀😀…');
  });
});
