import { describe, expect, it } from 'vitest';
import stringWidth from 'string-width';
import { cutToWidth, table } from '../../src/text/table.js';

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

  it('measures display width: CJK and emoji cells keep their columns aligned', () => {
    const out = table([['comm', 'n'], ['北京', '1'], ['東京都庁', '22'], ['a😀b', '3'], ['bash', '4']], new Set([1]));
    const lines = out.split('\n');
    expect(lines).toEqual(['comm       n', '北京       1', '東京都庁  22', 'a😀b       3', 'bash       4']);
    expect(new Set(lines.map((l) => stringWidth(l)))).toEqual(new Set([12]));
  });

  it('fits a width: the widest columns are cut with … at display width, never inside a character', () => {
    const rows = [['path', 'pid', 'note'], ['/very/long/path/to/some/file/deep/below', '7', '中文中文中文中文中文'], ['/x', '8', 'ok']];
    const out = table(rows, new Set([1]), { rule: true, maxWidth: 30 });
    for (const l of out.split('\n')) expect(stringWidth(l)).toBeLessThanOrEqual(30);
    expect(out).toContain('…');
    expect(out).not.toContain('\ufffd');
    expect(table(rows, new Set([1]), { maxWidth: 200 })).toBe(table(rows, new Set([1])));
  });

  it('escapes every control character, C1 and bidirectional overrides included', () => {
    const out = table([['v'], ['a\x1b[2Jb'], ['\u009b31m'], ['x\u202ey'], ['\t\r\x7f']]);
    expect(out).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
    expect(out.split('\n')).toHaveLength(5);
  });

  it('cuts plain text and wide text alike: at most the width, ending in …', () => {
    expect(['abcdef', 'abcd'].map((s) => cutToWidth(s, 4))).toEqual(['abc…', 'abcd']);
    expect([0, 1, 2].map((w) => cutToWidth('abc', w))).toEqual(['…', '…', 'a…']);
    expect(['中文中文', 'ab中文'].map((s) => cutToWidth(s, 5))).toEqual(['中文…', 'ab中…']);
  });
});
