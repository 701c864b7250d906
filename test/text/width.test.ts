import { describe, expect, it } from 'vitest';
import stringWidth from 'string-width';
import { displayWidth } from '../../src/text/width.js';

describe('displayWidth', () => {
  it('is string-width\'s width, for plain ASCII (taken without it) as for the rest', () => {
    const samples = ['', 'bash', ' ~!{}|', '/usr/bin/x --flag=1', '北京', '東京都庁', 'a😀b', '👩‍👩‍👧', 'e\u0301', '\u200b', 'ｶﾞ', 'é', '\\x1b[2J', 'tab\\there'];
    for (const s of samples) expect(displayWidth(s), JSON.stringify(s)).toBe(stringWidth(s));
  });
});
