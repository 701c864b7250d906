import { describe, expect, it } from 'vitest';
import { table } from '../../src/text/table.js';

describe('table', () => {
  it('aligns columns, right-aligns the numeric ones, draws a rule under the header', () => {
    expect(table([['name', 'n'], ['bash', '7'], ['curl', '1234']], new Set([1]), { rule: true })).toBe(
      'name     n\n----  ----\nbash     7\ncurl  1234',
    );
  });

  it('escapes cells before measuring them: a hostile value stays on its row and column', () => {
    const out = table([['comm', 'pid'], ['\x1b]0;pwned\x07', '1'], ['a\nb', '2']], new Set([1]));
    const w = '\\x1b]0;pwned\\x07'.length;
    expect(out.split('\n')).toEqual([`${'comm'.padEnd(w)}  pid`, '\\x1b]0;pwned\\x07    1', `${'a\\nb'.padEnd(w)}    2`]);
    expect(out).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });
});
