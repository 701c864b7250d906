// auditd rules over flightrec's tables: which record types a rule can match (and what is
// refused or noted), and the SYSCALL, EXECVE and PATH records made from rows, fields encoded
// as auditd writes them.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../../src/detect/api.js';
import { syscallName, syscallNumbers } from '../../../src/detect/predicate.js';
import { ExecveRecord, filePaths, PathRecord, SyscallRecord, syscallsOf } from '../../../src/detect/sigma/auditd.js';
import { sigmaDetector } from '../../../src/detect/sigma/detector.js';
import { huntQuery, huntRule, type HuntRule } from '../../../src/detect/sigma/hunt.js';
import { readRuleFiles } from '../../../src/detect/sigma/rules.js';
import { ROOT } from '../../helpers.js';
import { RuleSet } from '../../../src/detect/sigma/index.js';
import { compileRules } from '../../../src/detect/sigma/rules.js';
import { ProcessTable } from '../../../src/detect/process-table.js';
import { creatingOpenBits } from '../../../src/schema/names.js';

/** An auditd rule of the detection (YAML lines, indented by four). */
const auditd = (detection: string, title = 'audit rule'): string =>
  `title: ${title}\nid: 00000000-0000-0000-0000-000000000001\nlogsource:\n    product: linux\n    service: auditd\ndetection:\n${detection.replace(/^\n/, '')}\nlevel: high\n`;

const EXEC = 'it names no syscall, so its SYSCALL records are those of execve and execveat (as the program watches, -w PROG -p x, of the audit rules it is written for log them)';

function check(detection: string): { types?: readonly string[]; execOnly?: boolean; note?: string; reason?: string } {
  const { supported, refused } = compileRules([{ file: 'r.yml', name: 'r.yml', text: auditd(detection) }]);
  if (refused.length > 0) return { reason: refused[0]!.reason };
  const s = supported[0]!;
  expect(s.source).toBe('auditd');
  return { types: s.auditTypes!, execOnly: s.execOnly!, ...(s.note !== undefined ? { note: s.note } : {}) };
}

describe('auditd rules', () => {
  it('run on the record types their type tests allow; SYSCALL rules that name no call on the exec calls', () => {
    expect(check(`    sel:\n        type: SYSCALL\n        SYSCALL: sysinfo\n    condition: sel`)).toEqual({ types: ['SYSCALL'], execOnly: false });
    // Case-insensitive, as every Sigma string; a rule that names no type can match any record.
    expect(check(`    sel:\n        type: execve\n        a0: zip\n    condition: sel`)).toEqual({ types: ['EXECVE'], execOnly: false });
    expect(check(`    sel:\n        a1|startswith: '--cpu-priority'\n    condition: sel`)).toEqual({ types: ['SYSCALL', 'EXECVE', 'PATH'], execOnly: true, note: EXEC });
    expect(check(`    a:\n        type: PATH\n        name: /etc/x\n    b:\n        type: EXECVE\n        a0: x\n    condition: 1 of them`)).toEqual({ types: ['EXECVE', 'PATH'], execOnly: false });
    // A filter of a type flightrec does not make never excludes one of its records, as under auditd.
    expect(check(`    sel:\n        comm: x\n    filter:\n        type: USER_LOGIN\n    condition: sel and not filter`))
      .toEqual({ types: ['SYSCALL', 'EXECVE', 'PATH'], execOnly: true, note: `'filter' never matches: type 'USER_LOGIN', which flightrec does not make; ${EXEC}` });
  });

  it('refuse what can match only records flightrec does not make, and fields it cannot give; note selections that never match', () => {
    expect(check(`    sel:\n        type: SERVICE_STOP\n        unit: ufw\n    condition: sel`).reason)
      .toBe("it matches only audit records of type 'SERVICE_STOP', which flightrec does not make (it makes SYSCALL, EXECVE, PATH from the syscall, proc and file tables)");
    expect(check(`    a:\n        type: SYSCALL\n    b:\n        type: PATH\n    condition: a and b`).reason).toBe('it can match no audit record flightrec makes (it makes SYSCALL, EXECVE, PATH from the syscall, proc and file tables)');
    expect(check(`    sel:\n        key: susp_activity\n    condition: sel`).reason).toMatch(/^field 'key' not in this log source \(key: the key of the auditd rule/);
    expect(check(`    sel:\n        type: SYSCALL\n        ses: 3\n    condition: sel`).reason).toMatch(/^field 'ses' not in this log source/);
    expect(check(`    sel:\n        type: SYSCALL\n        auid: 1000\n    condition: sel`)).toEqual({ types: ['SYSCALL'], execOnly: true, note: EXEC });
    expect(check(`    sel:\n        type: SYSCALL\n        euid: 33\n    condition: sel`).reason).toMatch(/set\*id call/);
    expect(check(`    s:\n        type: SYSCALL\n        exe|endswith: /useradd\n    u:\n        type: ADD_USER\n    condition: 1 of them`))
      .toEqual({ types: ['SYSCALL'], execOnly: true, note: `'u' never matches: type 'ADD_USER', which flightrec does not make; ${EXEC}` });
    // One that names its call runs on every SYSCALL record.
    expect(check(`    sel:\n        type: SYSCALL\n        syscall: 165\n    condition: sel`)).toEqual({ types: ['SYSCALL'], execOnly: false });
    expect(check(`    sel:\n        type: EXECVE\n        a2047: x\n    condition: sel`)).toEqual({ types: ['EXECVE'], execOnly: false });
    expect(check(`    sel:\n        type: EXECVE\n        a2048: x\n    condition: sel`).reason).toBe("field 'a2048' not in this log source");
  });
});

describe('the syscall rows auditd rules read', () => {
  const rule = (detection: string) => compileRules([{ file: 'r.yml', name: 'r.yml', text: auditd(detection) }]).supported[0]!.rule;
  const names = ['execve', 'execveat', 'read', 'write'];

  it('are the calls a rule\'s SYSCALL tests allow, or all when the tests do not decide it', () => {
    expect(syscallsOf(rule(`    sel:\n        type: SYSCALL\n        SYSCALL:\n            - execve\n            - EXECVEAT\n    condition: sel`), names)).toEqual(['execve', 'execveat']);
    expect(syscallsOf(rule(`    sel:\n        type: SYSCALL\n        exe: /x\n    filter:\n        SYSCALL: read\n    condition: sel and not filter`), names)).toEqual(['execve', 'execveat', 'write']);
    expect(syscallsOf(rule(`    sel:\n        type: SYSCALL\n        SYSCALL|re: '^exec'\n    condition: sel`), names)).toBeUndefined();
    expect(syscallsOf(rule(`    sel:\n        type: SYSCALL\n        syscall: 59\n    condition: sel`), names)).toBeUndefined();
  });

  it('are, for SigmaHQ\'s rules, the calls they name and the exec calls (for those naming none): the detector reads no others', () => {
    const d = sigmaDetector(readRuleFiles([join(ROOT, 'fixtures', 'sigma', 'rules', 'linux', 'auditd')]));
    expect(d.tables.syscall).toEqual({ where: { nr: ['execve', 'execveat', 'memfd_create', 'mknod', 'personality', 'sysinfo', 'syslog'] } });
  });

  it('are, in a hunt, the only syscall rows its query reads', () => {
    const texts = readRuleFiles([join(ROOT, 'fixtures', 'sigma', 'rules', 'linux', 'auditd')]);
    const hunts = compileRules(texts).supported.map((s) => huntRule(s, s.rule.rule.file)).filter((h): h is HuntRule => !('reason' in h));
    expect(hunts).toHaveLength(49);
    // The numbers of those calls on x86_64 and arm64 first (a filter the scan takes), then the names on the recording's own.
    expect(huntQuery(hunts)).toContain("FROM syscall WHERE nr IN (59, 92, 99, 103, 116, 133, 135, 179, 221, 279, 281, 319, 322) AND syscall_name(recording, nr) IN ('execve', 'execveat', 'memfd_create', 'mknod', 'personality', 'sysinfo', 'syslog')");
    const sysinfo = hunts.filter((h) => h.title === 'System Info Discovery via Sysinfo Syscall');
    expect(huntQuery(sysinfo)).toContain("FROM syscall WHERE nr IN (99, 179) AND syscall_name(recording, nr) IN ('sysinfo')");
  });
});

const row = <T extends 'syscall' | 'proc' | 'file'>(fields: Partial<Event<T>>): Event<T> => fields as Event<T>;

describe('auditd records', () => {
  const procs = new ProcessTable();
  procs.update(row<'proc'>({ kind: 'exec', pid: 50, ppid: 7, uid: 0, loginuid: 1000, filename: '/usr/bin/setarch', argv: ['setarch', 'x86_64', '-R', 'true'] }));
  const nr = syscallNumbers('x86_64').get('personality')!;
  const sys = new SyscallRecord(procs, (n) => syscallName('x86_64', n));
  sys.e = row<'syscall'>({ pid: 50, comm: 'setarch', nr, arg0: 0x40000n, arg1: 0n, arg2: 0xffffffffffffffffn, arg3: 0x7ffd1234n, ret: -22n });

  it('SYSCALL: the call named from the arch table, arguments in hex as audit prints them, the process from its proc rows', () => {
    const f = (k: string): unknown => sys.get(k);
    expect([f('type'), f('syscall'), f('SYSCALL'), f('a0'), f('a1'), f('a2'), f('a3'), f('a4')]).toEqual(['SYSCALL', nr, 'personality', '40000', '0', 'ffffffffffffffff', '7ffd1234', undefined]);
    expect([f('success'), f('exit'), f('pid'), f('ppid'), f('auid'), f('comm'), f('exe'), f('name')]).toEqual(['no', -22, 50, 7, 1000, 'setarch', '/usr/bin/setarch', undefined]);
    expect(sys.keywords()).toEqual(['setarch', '/usr/bin/setarch']);
    // SigmaHQ's ASLR rule writes personality's 0x40000 as audit prints it: 40000.
    const { supported } = compileRules([{ file: 'r.yml', name: 'r.yml', text: auditd(`    sel:\n        type: SYSCALL\n        SYSCALL: personality\n        a0: 40000\n    condition: sel`) }]);
    expect(new RuleSet([supported[0]!.rule]).match(sys)).toHaveLength(1);
  });

  it('success is no only for a return of -4095..-1 (an address is a success)', () => {
    const s = new SyscallRecord(procs, String);
    for (const [ret, want] of [[0n, 'yes'], [-1n, 'no'], [-4095n, 'no'], [-4096n, 'yes'], [0x7f0000000000n, 'yes']] as const) {
      s.e = row<'syscall'>({ pid: 1, ret });
      expect(s.get('success'), String(ret)).toBe(want);
    }
  });

  it('EXECVE: argc and the arguments a0..aN; keywords search them joined by spaces', () => {
    const x = new ExecveRecord();
    x.e = row<'proc'>({ kind: 'exec', argv: ['iptables', '-t', 'nat', '--to-ports', '42392'] });
    expect([x.get('type'), x.get('argc'), x.get('a0'), x.get('a4'), x.get('a5'), x.get('exe')]).toEqual(['EXECVE', 5, 'iptables', '42392', undefined, undefined]);
    expect(x.keywords()).toEqual(['iptables -t nat --to-ports 42392']);
    x.e = row<'proc'>({ kind: 'exec', argv: null });
    expect([x.get('argc'), x.get('a0'), x.keywords()]).toEqual([undefined, undefined, []]);
  });

  it('PATH: the names a call resolved, with what it did to them', () => {
    const creating = creatingOpenBits('x86_64');
    const paths = (f: Partial<Event<'file'>>): unknown => filePaths(row<'file'>({ ret: 0n, flags: 0, abs_path: null, path2: null, ...f }), creating);
    expect(paths({ op: 'open', path: 'x', abs_path: '/etc/x' })).toEqual([['/etc/x', 'NORMAL']]);
    expect(paths({ op: 'open', path: '/etc/ld.so.preload', flags: 0o101 })).toEqual([['/etc/ld.so.preload', 'CREATE']]);
    expect(paths({ op: 'open', path: '/nope', ret: -2n })).toEqual([['/nope', 'UNKNOWN']]);
    expect(paths({ op: 'rename', path: '/a', path2: '/b' })).toEqual([['/a', 'DELETE'], ['/b', 'CREATE']]);
    expect(paths({ op: 'link', path: '/a', path2: '/b' })).toEqual([['/a', 'NORMAL'], ['/b', 'CREATE']]);
    expect(paths({ op: 'symlink', path: 'target', path2: '/l' })).toEqual([['/l', 'CREATE']]);
    expect(paths({ op: 'unlink', path: '/a' })).toEqual([['/a', 'DELETE']]);
    expect(paths({ op: 'mkdir', path: '/d' })).toEqual([['/d', 'CREATE']]);
    expect(paths({ op: 'chmod', path: '/a' })).toEqual([['/a', 'NORMAL']]);
    expect(paths({ op: 'close', path: '/a' })).toEqual([]);
    const p = new PathRecord();
    p.name = '/etc/x';
    p.nametype = 'CREATE';
    expect([p.get('type'), p.get('name'), p.get('nametype'), p.get('a0'), p.keywords()]).toEqual(['PATH', '/etc/x', 'CREATE', undefined, ['/etc/x']]);
  });
});
