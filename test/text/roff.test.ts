// roffLine against groff itself: what roff would take as its own prints as typed.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { roffLine } from '../../src/text/roff.js';

const groff = spawnSync('groff', ['-v'], { encoding: 'utf8' }).status === 0;
if (!groff) console.warn('skipping the groff rendering of roff escapes: groff is not installed');

const TRICKY = [
  '.SH this is not a section',
  "'br this is not a break",
  'a backslash \\fB and \\n and a \\ alone',
  '--allow-damaged -o rec, hyphen-minus',
  "the terminal's width, `flightrec seal` and a lone ` backtick",
  'µs and ÿ and ✓',
];

describe('roffLine', () => {
  it('escapes what roff would read as its own', () => {
    expect(roffLine('.SH x')).toBe('\\&.SH x');
    expect(roffLine("'br")).toBe('\\(aqbr');
    expect(roffLine('a\\b')).toBe('a\\eb');
    expect(roffLine('--json')).toBe('\\-\\-json');
    expect(roffLine('`flightrec seal`')).toBe('\\fBflightrec seal\\fR');
    expect(roffLine('µ')).toBe('\\[u00B5]');
    expect(() => roffLine('two\nlines')).toThrow();
    expect(() => roffLine('a\x1bb')).toThrow();
  });

  it.runIf(groff)('prints as typed through groff', () => {
    const page = ['.TH T 1', '.SH NAME', 't \\- test', '.SH DESCRIPTION', ...TRICKY.flatMap((t) => [roffLine(t), '.br']), ''].join('\n');
    const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-rHY=0', '-rLL=200n', '-P-c'], { input: page, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const text = r.stdout.replace(/.\x08/g, '');
    for (const t of TRICKY) expect(text).toContain(t.replace(/`([^`]+)`/g, '$1'));
  });
});
