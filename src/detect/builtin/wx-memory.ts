import { defineDetector } from '../api.js';
import { stringsOption } from './common.js';

/** Runtimes that compile code at run time: their W+X is their job. */
const JITS = ['node', 'java', 'chrome', 'chromium', 'firefox', 'luajit', 'pypy', 'pypy3', 'dotnet', 'mono', 'qemu-system-x86', 'qemu-x86_64', 'code', 'electron'];

export default defineDetector({
  name: 'wx-memory',
  version: '2',
  tags: ['attack.defense_evasion', 'attack.t1055', 'attack.t1620'],
  description: 'Memory that is writable and executable at once (critical when anonymous), and memory made executable after being writable (exec-after-write): injected or unpacked code. JIT runtimes are allowed (option allow).',
  tables: { mem: { columns: ['op', 'addr', 'len', 'prot', 'fd', 'path', 'wx', 'exec_after_write', 'ret'], where: { op: ['mmap', 'mprotect'] } } },
  create(ctx) {
    const allow = new Set(stringsOption(ctx.options, 'allow', JITS));
    const seen = new Set<string>();
    return {
      mem(e) {
        const wx = e.wx;
        const eaw = e.exec_after_write;
        if ((!wx && !eaw) || e.ret < 0n) return;
        const comm = e.comm;
        if (allow.has(comm)) return;
        const kind = wx ? 'wx' : 'exec-after-write';
        const key = `${e.pid}\0${kind}`;
        if (seen.has(key)) return;
        seen.add(key);
        const evidence = { op: e.op, addr: `0x${e.addr.toString(16)}`, len: Number(e.len), prot: e.prot, path: e.path, kind };
        ctx.alert(wx
          ? { severity: e.fd < 0 ? 'critical' : 'warning', title: `${comm} mapped ${e.fd < 0 ? 'anonymous ' : ''}memory writable and executable (${e.op})`, evidence }
          : { severity: 'critical', title: `${comm} made written memory executable (${e.op})`, evidence });
      },
    };
  },
});
