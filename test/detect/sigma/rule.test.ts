import { describe, expect, it } from 'vitest';
import { parseRuleFile } from '../../../src/detect/sigma/index.js';

const RULE = `title: Whoami Execution
id: 11111111-2222-3333-4444-555555555555
status: test
description: Detects a whoami.exe execution
references:
    - https://example.com/a
author: Florian Roth
date: 2019-10-23
tags:
    - attack.discovery
    - attack.t1033
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image: 'C:\\Windows\\System32\\whoami.exe'
    condition: selection
falsepositives: Admins
level: high
`;

/** Parses and checks each refusal is one line naming the file. */
function parse(text: string, file = 'rules/x.yml'): ReturnType<typeof parseRuleFile> {
  const r = parseRuleFile(text, file);
  for (const x of r.refused) {
    expect(x.message).not.toMatch(/\n/);
    expect(x.message.startsWith(file)).toBe(true);
  }
  return r;
}

describe('rule files', () => {
  it('keep the fields a rule carries; dates stay text; a single false positive is a list of one', () => {
    const { rules, refused } = parse(RULE);
    expect(refused).toEqual([]);
    expect(rules).toHaveLength(1);
    const r = rules[0]!;
    expect(r).toMatchObject({
      file: 'rules/x.yml', document: 0, title: 'Whoami Execution', id: '11111111-2222-3333-4444-555555555555', status: 'test', level: 'high',
      description: 'Detects a whoami.exe execution', author: 'Florian Roth', date: '2019-10-23', tags: ['attack.discovery', 'attack.t1033'],
      references: ['https://example.com/a'], falsepositives: ['Admins'], logsource: { category: 'process_creation', product: 'windows' }, condition: ['selection'],
    });
    expect([...r.detection.keys()]).toEqual(['selection']);
    expect(r.detection.get('selection')).toEqual({ Image: 'C:\\Windows\\System32\\whoami.exe' });
  });

  it('hold one rule per YAML document; collections, correlations and filters are refused per document', () => {
    const text = [
      'action: global\ntitle: base\nlogsource: {product: linux}\n',
      RULE,
      'title: c\ncorrelation:\n    type: event_count\n',
      'title: f\nfilter:\n    rules: [x]\n',
      'title: Two\nlogsource: {product: linux}\ndetection:\n    a: {x: 1}\n    condition: [a, a]\n',
    ].join('---\n');
    const { rules, refused } = parse(text);
    expect(rules.map((r) => [r.document, r.title])).toEqual([[1, 'Whoami Execution'], [4, 'Two']]);
    expect(rules[1]!.condition).toEqual(['a', 'a']);
    expect(refused.map((r) => r.message)).toEqual([
      "rules/x.yml: rule 'base': rule collections (action: 'global') are not supported: write each rule as a complete document",
      "rules/x.yml: rule 'c': correlation rules are not supported",
      "rules/x.yml: rule 'f': Sigma filters (meta filters) are not supported",
    ]);
  });

  it('refuse wrong types with one-line reasons naming the rule', () => {
    const msg = (text: string): string[] => parse(text).refused.map((r) => r.message);
    expect(msg('title: 5\n')).toEqual(['rules/x.yml: title must be a non-empty string']);
    expect(msg('title: [a, b]\n')).toEqual(['rules/x.yml: title must be a non-empty string']);
    expect(msg('id: abc\nlogsource: {}\n')).toEqual(['rules/x.yml (abc): the rule has no title']);
    expect(msg('title: t\nid: i\nlogsource: {}\ndetection: {s: {a: 1}, condition: s}\nlevel: severe\n')).toEqual([
      "rules/x.yml: rule 't' (i): level 'severe' is not one of informational, low, medium, high, critical",
    ]);
    expect(msg('title: t\nlogsource: {}\ndetection: {s: {a: 1}, condition: s}\ntags: attack.t1\n')).toEqual(["rules/x.yml: rule 't': tags must be a list of strings"]);
    expect(msg('title: t\nlogsource: linux\ndetection: {s: {a: 1}, condition: s}\n')).toEqual(["rules/x.yml: rule 't': logsource must be a map"]);
    expect(msg('title: t\nlogsource: {}\ndetection: {s: {a: 1}}\n')).toEqual(["rules/x.yml: rule 't': detection has no condition"]);
    expect(msg('title: t\nlogsource: {}\ndetection: {s: {a: 1}, condition: {x: 1}}\n')).toEqual(["rules/x.yml: rule 't': condition must be a string or a list of strings"]);
    expect(msg('title: t\nlogsource: {}\ndetection: {s: {a: 1}, condition: s, timeframe: 5m}\n')).toEqual(["rules/x.yml: rule 't': timeframe (Sigma 1 aggregations) is not supported"]);
    expect(msg('title: "a\\nb\\x1b]0;x\\x07"\nlevel: 5\n')).toEqual(["rules/x.yml: rule 'a b\\x1b]0;x\\x07': level must be a string"]);
    expect(msg('- a\n- b\n')).toEqual(['rules/x.yml: a rule must be a YAML map']);
  });

  it('refuse YAML errors with the line', () => {
    expect(parse('title: a\ntitle: b\n').refused.map((r) => r.message)).toEqual(["rules/x.yml: line 2: the key 'title' appears twice in a map"]);
    expect(parse('title: a\ndetection:\n    s: {a: 1}\n    s: {b: 1}\n').refused.map((r) => r.message)).toEqual(["rules/x.yml: line 4: the key 's' appears twice in a map"]);
    expect(parse('title: a\n[x, y]: 1\n').refused.map((r) => r.message)).toEqual(['rules/x.yml: line 2: map keys must be plain values']);
    expect(parse('title: a\ndetection: [\n').refused[0]!.message).toMatch(/^rules\/x.yml: line \d: YAML error: /);
  });

  it('skip empty documents', () => {
    expect(parse(`${RULE}---\n---\n`)).toMatchObject({ refused: [], rules: [{ title: 'Whoami Execution' }] });
  });
});

describe('hostile rule files', () => {
  /** Parsed within `ms` (a quadratic step would take several times longer on these inputs). */
  const quick = (text: string, ms = 3000): ReturnType<typeof parseRuleFile> => {
    const t0 = performance.now();
    const r = parse(text);
    expect(performance.now() - t0).toBeLessThan(ms);
    return r;
  };

  it('an alias bomb is refused (billion laughs)', () => {
    let s = 'a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n';
    for (let i = 1; i < 20; i++) s += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(',')}]\n`;
    expect(quick(s).refused.map((r) => r.message)).toEqual(['rules/x.yml: YAML error: Excessive alias count indicates a resource exhaustion attack']);
  });

  it('deep nesting is refused before the YAML parser recurses: flow, block sequences, explicit keys, indentation', () => {
    for (const text of ['a: ' + '['.repeat(300_000), '- '.repeat(300_000) + 'x', '? '.repeat(300_000), 'a: {'.repeat(100_000), [...Array(200).keys()].map((i) => `${' '.repeat(i)}a${i}:`).join('\n')]) {
      const r = quick(text);
      expect(r.rules).toEqual([]);
      expect(r.refused.map((x) => x.message)).toEqual([expect.stringMatching(/^rules\/x.yml: line \d+: YAML nested more than 64 levels deep$/)]);
    }
  });

  it('nesting a rule needs is not refused; long flow maps on one line are not nesting', () => {
    const wide = `title: w\nlogsource: {}\ndetection: {s: {${[...Array(500).keys()].map((i) => `f${i}: ${i}`).join(', ')}}, condition: s}\n`;
    expect(quick(wide).refused).toEqual([]);
  });

  it('many keys and many documents are answered in linear time', () => {
    expect(quick(Array.from({ length: 30_000 }, (_, i) => `k${i}: v`).join('\n'), 5000).refused.map((r) => r.message)).toEqual(['rules/x.yml: the rule has no title']);
    expect(quick(`${Array.from({ length: 30_000 }, (_, i) => `k${i}: v`).join('\n')}\nk7: w\n`, 5000).refused.map((r) => r.message)).toEqual(["rules/x.yml: line 30001: the key 'k7' appears twice in a map"]);
    expect(quick('---\n'.repeat(250_000)).refused.map((r) => r.message)).toEqual(['rules/x.yml: line 1001: more than 1000 YAML documents']);
    expect(quick(`a: [${'1,'.repeat(500_000)}]\n`).refused.map((r) => r.message)).toEqual(['rules/x.yml: line 1: more than 100000 YAML values']);
  });

  it('huge numbers, odd scalars, a megabyte of text: answers, no throw', () => {
    expect(quick(`title: t\nlogsource: {}\ndetection: {s: {a: ${'9'.repeat(5000)}}, condition: s}\n`).rules).toHaveLength(1);
    expect(quick('title: .inf\n').refused[0]!.message).toBe('rules/x.yml: title must be a non-empty string');
    expect(quick(`title: ${'x'.repeat(1 << 20)}\n`).refused[0]!.message).toMatch(/^rules\/x.yml: rule 'x{77}\.\.\.': the rule has no logsource$/);
    expect(quick('\0\x01\uFFFE').refused).toHaveLength(1);
    expect(quick('title: t\n__proto__: {polluted: 1}\nlogsource: {}\ndetection: {s: {a: 1}, condition: s}\n').rules).toHaveLength(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
