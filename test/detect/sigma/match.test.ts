import { describe, expect, it } from 'vitest';
import { compileRule, isRefusal, RuleSet } from '../../../src/detect/sigma/index.js';
import { base64Offsets } from '../../../src/detect/sigma/modifiers.js';
import { ANY_FIELD, compiled, event, hits, refusal, rule } from './helpers.js';

describe('values', () => {
  it('match case-insensitively, the whole value (the specification: "all values are case-insensitive strings")', () => {
    const d = `
      selection:
          Image: 'C:\\Windows\\System32\\whoami.exe'
      condition: selection`;
    expect(hits(d, event({ Image: 'c:\\windows\\system32\\WHOAMI.EXE' }), event({ Image: 'C:\\Windows\\System32\\whoami.exe.bak' }), event({}))).toEqual([true, false, false]);
  });

  it('a map ANDs its fields, a list of values ORs them (the specification\'s EventLog example)', () => {
    const d = `
      selection:
          EventLog: Security
          EventID:
              - 517
              - 1102
      condition: selection`;
    expect(hits(d, event({ EventLog: 'security', EventID: 1102 }), event({ EventLog: 'Security', EventID: 4 }), event({ EventID: 517 }))).toEqual([true, false, false]);
  });

  it('a list of maps ORs them (the specification\'s example.exe example)', () => {
    const d = `
      selection:
          - Image|endswith: '\\example.exe'
          - Description|contains: 'Test executable'
      condition: selection`;
    expect(hits(d, event({ Image: 'C:\\x\\EXAMPLE.exe' }), event({ Description: 'a test executable here' }), event({ Image: 'example.exe' }))).toEqual([true, true, false]);
  });

  it('* and ? are wildcards: prog?.exe, antivirus_V*.exe', () => {
    const d = `
      selection:
          Image:
              - 'prog?.exe'
              - 'antivirus_V*.exe'
      condition: selection`;
    expect(hits(d, event({ Image: 'progA.exe' }), event({ Image: 'prog.exe' }), event({ Image: 'progAB.exe' }), event({ Image: 'antivirus_V21.2.1.exe' }), event({ Image: 'antivirus_V.exe' }), event({ Image: 'xantivirus_V1.exe' })))
      .toEqual([true, false, false, true, true, false]);
  });

  it('? is one character, also outside the Basic Multilingual Plane, and * spans newlines', () => {
    const d = `
      selection:
          a: 'x?y'
          b: 'p*q'
      condition: selection`;
    expect(hits(d, event({ a: 'x😀y', b: 'p\nq' }), event({ a: 'xy', b: 'pq' }), event({ a: 'x😀😀y', b: 'pq' }))).toEqual([true, false, false]);
  });

  it('a hostile wildcard pattern costs time linear in the pattern: no backtracking', () => {
    const d = `\n      s:\n          f: '${'*a'.repeat(300)}*b'\n      condition: s`;
    const t0 = performance.now();
    expect(hits(d, event({ f: 'a'.repeat(20_000) }), event({ f: `${'a'.repeat(300)}b` }), event({ f: `${'a'.repeat(299)}b` }))).toEqual([false, true, false]);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('wildcards between pieces find the pieces in turn: *ab?d*, a*b?c, ?*x', () => {
    const one = (value: string, text: string): boolean => hits(`\n      s:\n          f: '${value}'\n      condition: s`, event({ f: text }))[0]!;
    expect([one('*ab?d*', 'xxabcdxx'), one('*ab?d*', 'abd'), one('a*b?c', 'aXbYc'), one('a*b?c', 'abbbc'), one('a*b?c', 'abc'), one('?*x', 'x'), one('?*x', '😀x'), one('a*?', 'a'), one('a*😀?', 'a😀😀')])
      .toEqual([true, false, true, true, false, false, true, false, true]);
  });

  it('escapes: \\* and \\? are plain, \\\\* is a backslash then a wildcard, \\\\\\* a backslash and a star, a lone \\ is plain', () => {
    const one = (value: string, text: string): boolean => hits(`\n      s:\n          f: '${value}'\n      condition: s`, event({ f: text }))[0]!;
    expect(one('a\\*b', 'a*b')).toBe(true);
    expect(one('a\\*b', 'axb')).toBe(false);
    expect(one('a\\?b', 'a?b')).toBe(true);
    expect(one('a\\?b', 'axb')).toBe(false);
    expect(one('a\\\\*', 'a\\anything')).toBe(true);
    expect(one('a\\\\*', 'a*')).toBe(false);
    expect(one('a\\\\\\*', 'a\\*')).toBe(true);
    expect(one('a\\\\\\*', 'a\\x')).toBe(false);
    expect(one('C:\\Windows', 'c:\\windows')).toBe(true);
    expect(one('a\\\\\\\\b', 'a\\\\b')).toBe(true);
    expect(one('a\\\\b', 'a\\b')).toBe(true);
    expect(one('end\\', 'end\\')).toBe(true);
  });

  it('null matches a field without a value; an empty string only the empty string (the specification\'s selection_empty example)', () => {
    const d = `
      selection_main:
          FieldA: 'something'
      selection_empty1:
          FieldB: ''
      selection_empty2:
          FieldB: null
      condition: selection_main and 1 of selection_empty*`;
    expect(hits(d, event({ FieldA: 'something' }), event({ FieldA: 'something', FieldB: null }), event({ FieldA: 'something', FieldB: '' }), event({ FieldA: 'something', FieldB: 'x' })))
      .toEqual([true, true, true, false]);
  });

  it('not null: a filter of null, negated (the specification\'s PasswordLastSet example)', () => {
    const d = `
      selection:
          EventID: 4738
      filter:
          PasswordLastSet: null
      condition: selection and not filter`;
    expect(hits(d, event({ EventID: 4738, PasswordLastSet: '2024' }), event({ EventID: 4738 }))).toEqual([true, false]);
  });

  it('numbers match numbers, bigints and decimal text; strings match numbers as text', () => {
    const d = `
      s:
          n: 4688
      condition: s`;
    expect(hits(d, event({ n: 4688 }), event({ n: 4688n }), event({ n: '4688' }), event({ n: '04688' }), event({ n: '4688x' }), event({ n: 4689 }), event({ n: ['1', '4688'] })))
      .toEqual([true, true, true, true, false, false, true]);
    expect(hits(`\n      s:\n          n: '46*'\n      condition: s`, event({ n: 4688 }), event({ n: 4688n }), event({ n: 5 }))).toEqual([true, true, false]);
  });

  it('booleans match booleans and the text true/false in any case', () => {
    const d = `
      s:
          b: true
      condition: s`;
    expect(hits(d, event({ b: true }), event({ b: false }), event({ b: 'TRUE' }), event({ b: 1 }), event({}))).toEqual([true, false, true, false, false]);
  });

  it('a list field matches when any element does', () => {
    const d = `
      s:
          argv|contains: '-enc'
      condition: s`;
    expect(hits(d, event({ argv: ['powershell', '-ENC', 'abc'] }), event({ argv: ['a', 'b'] }), event({ argv: [] }))).toEqual([true, false, false]);
    // A list with holes (a hostile recording's argv) is read without them.
    expect(hits(d, event({ argv: [null, '-enc'] as unknown as string[] }), event({ argv: [null] as unknown as string[] }))).toEqual([true, false]);
  });

  it('case-insensitive matching agrees with DuckDB lower(): İ is i, Σ is σ at the end of a word too', () => {
    expect(hits(`\n      s:\n          f|contains: 'σ'\n      condition: s`, event({ f: 'ΑΣ' }))).toEqual([true]);
    expect(hits(`\n      s:\n          f: 'istanbul'\n      condition: s`, event({ f: 'İSTANBUL' }))).toEqual([true]);
  });
});

describe('modifiers', () => {
  it('contains, startswith, endswith', () => {
    const d = (m: string): string => `\n      s:\n          f|${m}: 'Mid'\n      condition: s`;
    const evs = [event({ f: 'midX' }), event({ f: 'XMID' }), event({ f: 'xmidx' }), event({ f: 'mid' }), event({ f: 'mi d' })];
    expect(hits(d('contains'), ...evs)).toEqual([true, true, true, true, false]);
    expect(hits(d('startswith'), ...evs)).toEqual([true, false, false, true, false]);
    expect(hits(d('endswith'), ...evs)).toEqual([false, true, false, true, false]);
  });

  it('contains keeps inner wildcards: contains a*b', () => {
    expect(hits(`\n      s:\n          f|contains: 'a*b'\n      condition: s`, event({ f: 'xxaZZbxx' }), event({ f: 'bxa' }))).toEqual([true, false]);
  });

  it('all ANDs the values (the specification\'s keywords_cmdlet example and a field)', () => {
    const d = `
      s:
          CommandLine|contains|all:
              - 'OabVirtualDirectory'
              - ' -ExternalUrl '
      condition: s`;
    expect(hits(d, event({ CommandLine: 'Set-OabVirtualDirectory -ExternalUrl http' }), event({ CommandLine: 'Set-OabVirtualDirectory' }))).toEqual([true, false]);
    const k = `
      keywords_cmdlet:
          '|all':
              - 'OabVirtualDirectory'
              - ' -ExternalUrl '
      condition: keywords_cmdlet`;
    expect(hits(k, event({}, ['Set-OabVirtualDirectory -ExternalUrl x']), event({}, ['OabVirtualDirectory', ' -externalurl ']), event({}, ['OabVirtualDirectory']))).toEqual([true, true, false]);
  });

  it('cased matches case-sensitively', () => {
    const d = `\n      s:\n          f|cased: 'CaseSensitive'\n      condition: s`;
    expect(hits(d, event({ f: 'CaseSensitive' }), event({ f: 'casesensitive' }))).toEqual([true, false]);
    expect(hits(`\n      s:\n          f|contains|cased: 'Abc'\n      condition: s`, event({ f: 'xAbcx' }), event({ f: 'xabcx' }))).toEqual([true, false]);
  });

  it('re: case-sensitive by default; i, m, s sub-modifiers', () => {
    const re = (mods: string, v: string): string => `\n      s:\n          f|re${mods}: '${v}'\n      condition: s`;
    expect(hits(re('', '\\s-O\\s'), event({ f: 'wget -O /tmp/x' }), event({ f: 'wget -o /tmp/x' }))).toEqual([true, false]);
    expect(hits(re('|i', '\\s-O\\s'), event({ f: 'wget -o /tmp/x' }))).toEqual([true]);
    expect(hits(re('', '^b$'), event({ f: 'a\nb' }))).toEqual([false]);
    expect(hits(re('|m', '^b$'), event({ f: 'a\nb' }))).toEqual([true]);
    expect(hits(re('', 'a.b'), event({ f: 'a\nb' }))).toEqual([false]);
    expect(hits(re('|s', 'a.b'), event({ f: 'a\nb' }))).toEqual([true]);
    expect(hits(re('', '(?i)ABC'), event({ f: 'xabcx' }))).toEqual([true]);
  });

  it('re: PCRE habits JavaScript rejects are read as PCRE means them', () => {
    const re = (v: string): string => `\n      s:\n          f|re: '${v}'\n      condition: s`;
    expect(hits(re('a\\-b\\:c'), event({ f: 'a-b:c' }))).toEqual([true]);
    expect(hits(re('[]x]'), event({ f: ']' }), event({ f: 'y' }))).toEqual([true, false]);
    expect(hits(re('(?:\\s-[^-\\s]{0,20}i|\\s--inode\\s)'), event({ f: 'ls -lai /' }), event({ f: 'ls -la /' }))).toEqual([true, false]);
    expect(hits(re('(^|\\/)\\.[^.\\/]'), event({ f: '/tmp/.hidden' }), event({ f: '/tmp/x..y' }))).toEqual([true, false]);
  });

  it('re: a pattern that does not compile, or PCRE syntax JavaScript lacks, is refused with the reason', () => {
    expect(refusal(`\n      s:\n          f|re: '(abc'\n      condition: s`)).toMatch(/search identifier 's': '\(abc': regular expression does not compile: Unterminated group/);
    expect(refusal(`\n      s:\n          f|re: '[[:alpha:]]'\n      condition: s`)).toMatch(/POSIX classes/);
    expect(refusal(`\n      s:\n          f|re: '\\Aabc'\n      condition: s`)).toMatch(/does not compile/);
    expect(refusal(`\n      s:\n          f|re: 'a'\n          g|contains|re: 'a'\n      condition: s`)).toMatch(/'re' must come first/);
    expect(refusal(`\n      s:\n          f|i: 'a'\n      condition: s`)).toMatch(/modifier 'i' follows 're'/);
  });

  it('cidr: IPv4 and IPv6 ranges, IPv4-mapped addresses, text that is no address', () => {
    const d = `
      s:
          DestinationIp|cidr:
              - '10.0.0.0/8'
              - '2001:db8::/32'
      condition: s`;
    const ips = ['10.1.2.3', '11.0.0.1', '::ffff:10.9.9.9', '2001:db8:1::5', '2001:db9::1', 'example.com', ''];
    expect(hits(d, ...ips.map((DestinationIp) => event({ DestinationIp })))).toEqual([true, false, true, true, false, false, false]);
    expect(refusal(`\n      s:\n          ip|cidr: '10.0.0.0/33'\n      condition: s`)).toMatch(/'10.0.0.0\/33' is not a CIDR range/);
  });

  it('base64 encodes the value: foobar is Zm9vYmFy', () => {
    expect(hits(`\n      s:\n          f|base64: 'foobar'\n      condition: s`, event({ f: 'Zm9vYmFy' }), event({ f: 'zm9vymfy' }), event({ f: 'xZm9vYmFy' }))).toEqual([true, true, false]);
    expect(hits(`\n      s:\n          f|base64|contains: 'foobar'\n      condition: s`, event({ f: 'xxZm9vYmFyxx' }))).toEqual([true]);
    expect(refusal(`\n      s:\n          f|contains|base64: 'foobar'\n      condition: s`)).toMatch(/cannot encode wildcards/);
  });

  it('base64offset: the three offsets of foobar (pySigma\'s values), each found inside real encodings', () => {
    expect(base64Offsets(Buffer.from('foobar'))).toEqual(['Zm9vYmFy', 'Zvb2Jhc', 'mb29iYX']);
    const d = `\n      s:\n          CommandLine|base64offset|contains: 'foobar'\n      condition: s`;
    const enc = (s: string): string => `echo ${Buffer.from(s).toString('base64')} | base64 -d`;
    expect(hits(d, event({ CommandLine: enc('foobar!') }), event({ CommandLine: enc('xfoobar') }), event({ CommandLine: enc('xyfoobarz') }), event({ CommandLine: enc('fooba') })))
      .toEqual([true, true, true, false]);
  });

  it('utf16le/wide, utf16be, utf16 (byte order mark) encode before base64', () => {
    const b64 = (b: Buffer): string => b.toString('base64');
    const le = Buffer.from('cmd', 'utf16le');
    const be = Buffer.from([0, 0x63, 0, 0x6d, 0, 0x64]);
    expect(hits(`\n      s:\n          f|wide|base64: 'cmd'\n      condition: s`, event({ f: b64(le) }))).toEqual([true]);
    expect(hits(`\n      s:\n          f|utf16le|base64: 'cmd'\n      condition: s`, event({ f: b64(le) }))).toEqual([true]);
    expect(hits(`\n      s:\n          f|utf16be|base64: 'cmd'\n      condition: s`, event({ f: b64(be) }))).toEqual([true]);
    expect(hits(`\n      s:\n          f|utf16|base64: 'cmd'\n      condition: s`, event({ f: b64(Buffer.concat([Buffer.from([0xff, 0xfe]), le])) }))).toEqual([true]);
    expect(hits(`\n      s:\n          f|wide|base64offset|contains: 'cmd'\n      condition: s`, event({ f: `x${b64(Buffer.concat([Buffer.from('ab'), le]))}` }))).toEqual([true]);
  });

  it('windash: - and / before a word become -, /, en dash, em dash and horizontal bar (pySigma\'s -param-1 -param2)', () => {
    const d = `\n      s:\n          CommandLine|windash|contains: '-param-1 -param2'\n      condition: s`;
    const evs = ['-param-1 -param2', '/param-1 \u2015param2', '\u2013param-1 \u2014param2', '-param/1 -param2'].map((CommandLine) => event({ CommandLine }));
    expect(hits(d, ...evs)).toEqual([true, true, true, false]);
    expect(refusal(`\n      s:\n          f|windash: '-a -b -c -d -e'\n      condition: s`)).toMatch(/more than 625 variants/);
    const many = [...Array(200).keys()].map((i) => `              - '-a -b -c -d${i}'`).join('\n');
    expect(refusal(`\n      s:\n          f|windash:\n${many}\n      condition: s`)).toBe("search identifier 's': the rule expands into more than 100000 values");
  });

  it('exists: true and false', () => {
    expect(hits(`\n      s:\n          f|exists: true\n      condition: s`, event({ f: '' }), event({ f: null }), event({}))).toEqual([true, false, false]);
    expect(hits(`\n      s:\n          f|exists: false\n      condition: s`, event({ f: '' }), event({}))).toEqual([false, true]);
    expect(refusal(`\n      s:\n          f|exists: 'yes'\n      condition: s`)).toMatch(/takes true or false/);
  });

  it('fieldref compares two fields, with contains/startswith/endswith and cased', () => {
    const d = (m: string): string => `\n      s:\n          a|fieldref${m}: b\n      condition: s`;
    expect(hits(d(''), event({ a: 'X', b: 'x' }), event({ a: 'x', b: 'y' }), event({ a: 'x' }))).toEqual([true, false, false]);
    expect(hits(d('|contains'), event({ a: 'abc', b: 'B' }), event({ a: 'abc', b: 'd' }))).toEqual([true, false]);
    expect(hits(d('|startswith'), event({ a: 'abc', b: 'a' }), event({ a: 'abc', b: 'c' }))).toEqual([true, false]);
    expect(hits(d('|endswith'), event({ a: 'abc', b: 'c' }), event({ a: 'abc', b: 'a' }))).toEqual([true, false]);
    expect(hits(d('|cased'), event({ a: 'X', b: 'x' }), event({ a: 'x', b: 'x' }))).toEqual([false, true]);
  });

  it('gt, gte, lt, lte compare numbers (and decimal text)', () => {
    const d = (m: string): string => `\n      s:\n          n|${m}: 10\n      condition: s`;
    const evs = [9, 10, 11, 10n, '11', 'x', 11.5].map((n) => event({ n }));
    expect(hits(d('gt'), ...evs)).toEqual([false, false, true, false, true, false, true]);
    expect(hits(d('gte'), ...evs)).toEqual([false, true, true, true, true, false, true]);
    expect(hits(d('lt'), ...evs)).toEqual([true, false, false, false, false, false, false]);
    expect(hits(d('lte'), ...evs)).toEqual([true, true, false, true, false, false, false]);
    expect(hits(`\n      s:\n          n|gt: 9007199254740990\n      condition: s`, event({ n: 9007199254740993n }), event({ n: 9007199254740990n }))).toEqual([true, false]);
    expect(refusal(`\n      s:\n          n|gt: 'ten'\n      condition: s`)).toMatch(/'gt' applies to numbers, not to a string/);
  });

  it('neq negates the item', () => {
    expect(hits(`\n      s:\n          f|neq: 'a'\n      condition: s`, event({ f: 'a' }), event({ f: 'b' }), event({}))).toEqual([false, true, true]);
  });

  it('modifiers flightrec does not run are refused, naming them', () => {
    expect(refusal(`\n      s:\n          f|expand: '%servers%'\n      condition: s`)).toMatch(/placeholders \(modifier 'expand'\) are not supported/);
    expect(refusal(`\n      s:\n          f|hour: 3\n      condition: s`)).toMatch(/time modifiers \('hour'\) are not supported/);
    expect(refusal(`\n      s:\n          f|bogus: 3\n      condition: s`)).toBe("search identifier 's': unknown modifier 'bogus'");
    expect(refusal(`\n      s:\n          f: 99999999999999999999\n      condition: s`)).toBe("search identifier 's': the number 100000000000000000000 cannot be compared exactly");
    expect(refusal(`\n      s:\n          f: "\\ud800"\n      condition: s`)).toBe("search identifier 's': the value '\\ud800' is not valid Unicode");
    expect(refusal(`\n      s:\n          f: {a: 1}\n      condition: s`)).toBe("search identifier 's': values must be strings, numbers, booleans or null, not a map");
  });
});

describe('keywords', () => {
  it('a list of strings searches the keyword texts, ORed, case-insensitively, anywhere in a text', () => {
    const d = `
      keywords:
          - 'EVILSERVICE'
          - 'svchost.exe -n evil'
      condition: keywords`;
    expect(hits(d, event({}, ['started evilservice now']), event({}, ['x', 'SVCHOST.EXE -n evil']), event({}, ['svchost.exe']), event({}))).toEqual([true, true, false, false]);
  });

  it('a single string is a keyword, wildcards work inside it', () => {
    expect(hits(`\n      keywords: 'rm *sh_history'\n      condition: keywords`, event({}, ['x; rm ~/.bash_history; y']))).toEqual([true]);
  });

  it('numbers and booleans are keywords as their text; comparisons, null and field references are refused', () => {
    expect(hits(`\n      keywords: [4688, true]\n      condition: keywords`, event({}, ['event 4688']), event({}, ['it is TRUE']), event({}, ['46']))).toEqual([true, true, false]);
    expect(refusal(`\n      keywords: {'|gt': 5}\n      condition: keywords`)).toBe("search identifier 'keywords': a keyword cannot be compared as a number");
    expect(refusal(`\n      keywords: [null]\n      condition: keywords`)).toBe("search identifier 'keywords': a keyword cannot be null");
    expect(refusal(`\n      keywords: {'|fieldref': a}\n      condition: keywords`)).toBe("search identifier 'keywords': modifier 'fieldref' needs a field");
    expect(refusal(`\n      keywords: {'|exists': true}\n      condition: keywords`)).toBe("search identifier 'keywords': modifier 'exists' needs a field");
  });

  it('are refused where the log source has no keyword text', () => {
    expect(refusal(`\n      keywords:\n          - a\n      condition: keywords`, ANY_FIELD, false)).toBe('keyword search, and this log source has no keyword text');
  });
});

describe('conditions', () => {
  const d = (condition: string): string => `
      sel_a:
          a: 1
      sel_b:
          b: 1
      filter_c:
          c: 1
      _private:
          p: 1
      condition: ${condition}`;
  const all = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map((m) => event({ a: m & 1 ? 1 : 0, b: m & 2 ? 1 : 0, c: m & 4 ? 1 : 0, p: m & 8 ? 1 : 0 }));
  const truth = (f: (a: boolean, b: boolean, c: boolean, p: boolean) => boolean): boolean[] => [...Array(16).keys()].map((m) => f(!!(m & 1), !!(m & 2), !!(m & 4), !!(m & 8)));

  it('and, or, not, parentheses, with or < and < not in precedence', () => {
    expect(hits(d('sel_a and sel_b'), ...all)).toEqual(truth((a, b) => a && b));
    expect(hits(d('sel_a or sel_b and filter_c'), ...all)).toEqual(truth((a, b, c) => a || (b && c)));
    expect(hits(d('(sel_a or sel_b) and filter_c'), ...all)).toEqual(truth((a, b, c) => (a || b) && c));
    expect(hits(d('not sel_a and sel_b'), ...all)).toEqual(truth((a, b) => !a && b));
    expect(hits(d('not (sel_a and sel_b)'), ...all)).toEqual(truth((a, b) => !(a && b)));
    expect(hits(d('not not sel_a'), ...all)).toEqual(truth((a) => a));
    expect(hits(d('sel_a and not filter_c or sel_b'), ...all)).toEqual(truth((a, b, c) => (a && !c) || b));
  });

  it('1 of, any of, all of a pattern; them leaves out names starting with _', () => {
    expect(hits(d('1 of sel_*'), ...all)).toEqual(truth((a, b) => a || b));
    expect(hits(d('any of sel_*'), ...all)).toEqual(truth((a, b) => a || b));
    expect(hits(d('all of sel_*'), ...all)).toEqual(truth((a, b) => a && b));
    expect(hits(d('1 of them'), ...all)).toEqual(truth((a, b, c) => a || b || c));
    expect(hits(d('all of them'), ...all)).toEqual(truth((a, b, c) => a && b && c));
    expect(hits(d('1 of sel_* and not 1 of filter_*'), ...all)).toEqual(truth((a, b, c) => (a || b) && !c));
    expect(hits(d('all of sel_* or 1 of _priv*'), ...all)).toEqual(truth((a, b, _c, p) => (a && b) || p));
    expect(hits(d('1 of *a'), ...all)).toEqual(truth((a) => a));
  });

  it('a list of conditions ORs them', () => {
    expect(hits(`${d('x').replace(/condition: x$/, '')}condition:\n          - sel_a and sel_b\n          - filter_c`, ...all)).toEqual(truth((a, b, c) => (a && b) || c));
  });

  it('mistakes and unsupported forms are refused with a reason', () => {
    expect(refusal(d('sel_a and'))).toBe("condition 'sel_a and': ends early");
    expect(refusal(d('(sel_a'))).toBe("condition '(sel_a': a '(' is not closed");
    expect(refusal(d('sel_x'))).toBe("condition 'sel_x': 'sel_x' is not a search identifier of the rule");
    expect(refusal(d('1 of nothing*'))).toBe("condition '1 of nothing*': '1 of nothing*' matches no search identifier");
    expect(refusal(d('sel_a | count() > 5'))).toBe("aggregations in conditions ('| count() > 5') are not supported");
    expect(refusal(d('sel_a AND sel_b'))).toBe("condition 'sel_a AND sel_b': unexpected 'AND' (operators are lowercase)");
    expect(refusal(d(`${'('.repeat(100)}sel_a${')'.repeat(100)}`))).toMatch(/nested more than 64 deep/);
    expect(refusal(d('sel_a sel_b'))).toBe("condition 'sel_a sel_b': unexpected 'sel_b'");
    expect(refusal(d('2 of sel_*'))).toBe("condition '2 of sel_*': '2 of' is not Sigma: use '1 of' (any) or 'all of'");
  });
});

describe('log sources and rule sets', () => {
  it('a field the source lacks refuses the rule, naming the field', () => {
    const r = rule(`\n      s:\n          Image: x\n          Hashes|contains: y\n      condition: s`);
    expect(compileRule(r, { fields: new Set(['Image']), keywords: false })).toEqual({ reason: "field 'Hashes' not in this log source" });
    const ok = compileRule(r, { fields: new Set(['Image', 'Hashes']), keywords: false });
    expect(isRefusal(ok)).toBe(false);
  });

  it('fields of search identifiers the condition does not use do not matter', () => {
    const r = rule(`\n      s:\n          Image: x\n      unused:\n          Hashes: y\n      condition: s`);
    expect(isRefusal(compileRule(r, { fields: new Set(['Image']), keywords: false }))).toBe(false);
  });

  it('matches come in the set\'s order, with the fields that matched in the rule\'s order, outside a not', () => {
    const a = compiled(`\n      s:\n          CommandLine|contains: evil\n          Image|endswith: /sh\n      f:\n          User: root\n      condition: s and not f`);
    const b = compiled(`\n      k:\n          - evil\n      o:\n          User: alice\n      condition: k or o`);
    const set = new RuleSet([b, a]);
    const e = event({ Image: '/bin/sh', CommandLine: 'sh -c evil', User: 'alice' }, ['sh -c evil']);
    const m = set.match(e);
    expect(m.map((x) => x.index)).toEqual([0, 1]);
    expect(set.fields).toEqual(['User', 'CommandLine', 'Image']);
    expect(m[0]!.fields).toEqual([{ field: 'User', value: 'alice' }, { field: null, value: ['sh -c evil'] }]);
    expect(m[1]!.fields).toEqual([{ field: 'CommandLine', value: 'sh -c evil' }, { field: 'Image', value: '/bin/sh' }]);
    expect(set.match(event({ Image: '/bin/sh', CommandLine: 'x', User: 'root' }))).toEqual([]);
  });

  it('reads each field at most once per event, however many rules read it', () => {
    const rules = [...Array(50).keys()].map((i) => compiled(`\n      s:\n          Image: x\n          CommandLine|contains: 'needle${i}'\n      condition: s`));
    const set = new RuleSet(rules);
    const reads = new Map<string, number>();
    const e = { get: (f: string) => (reads.set(f, (reads.get(f) ?? 0) + 1), f === 'Image' ? 'x' : 'haystack'), keywords: () => [] };
    set.match(e);
    expect(reads).toEqual(new Map([['CommandLine', 1], ['Image', 1]]));
    set.match(e);
    expect(reads).toEqual(new Map([['CommandLine', 2], ['Image', 2]]));
  });
});
