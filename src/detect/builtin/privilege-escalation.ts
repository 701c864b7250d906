import { defineDetector } from '../api.js';
import { basename, stringsOption } from './common.js';
import { ProcessTable } from '../process-table.js';

/** setuid-root programs whose job is to change identity. */
const HELPERS = ['sudo', 'su', 'pkexec', 'passwd', 'chsh', 'chfn', 'newgrp', 'gpasswd', 'mount', 'umount', 'fusermount', 'fusermount3',
  'ping', 'unix_chkpwd', 'ssh-keysign', 'Xorg', 'dbus-daemon-launch-helper', 'polkit-agent-helper-1', 'at', 'crontab', 'doas'];
const UNCHANGED = 0xffffffff;

export default defineDetector({
  name: 'privilege-escalation',
  version: '2',
  tags: ['attack.privilege_escalation', 'attack.t1548.001'],
  description: 'A process that was not root becoming root: a successful setuid/setreuid/setresuid to uid 0 from a non-root effective uid, or a setuid-root program executed by a non-root process (critical, unless it is a known helper such as sudo: option helpers); and capset by a non-root process (warning). Identities come from proc rows and are followed through the set*id calls.',
  tables: {
    proc: { columns: ['kind', 'ppid', 'uid', 'euid', 'filename'] },
    syscall: { columns: ['nr', 'arg0', 'arg1', 'arg2', 'ret'], where: { nr: ['setuid', 'setreuid', 'setresuid', 'capset'] } },
  },
  create(ctx) {
    const helpers = new Set(stringsOption(ctx.options, 'helpers', HELPERS));
    const [SETUID, SETREUID, SETRESUID, CAPSET] = ['setuid', 'setreuid', 'setresuid', 'capset'].map((n) => ctx.syscall(n));
    const procs = new ProcessTable();
    const capset = new Set<number>();
    return {
      proc(e) {
        const before = procs.get(e.pid);
        const p = procs.update(e);
        if (e.kind !== 'exec' || !before || before.euid === 0 || e.euid !== 0) return;
        const file = e.filename ?? '';
        if (helpers.has(basename(file))) return;
        ctx.alert({ severity: 'critical', title: `${file} ran as root for a process of uid ${before.euid}: setuid-root program`, evidence: { filename: file, euid_before: before.euid, uid: p.uid } });
      },
      syscall(e) {
        if (e.ret !== 0n) return;
        const p = procs.get(e.pid);
        if (!p) return;
        const nr = e.nr;
        const comm = e.comm;
        if (nr === CAPSET) {
          if (p.euid !== 0 && !capset.has(e.pid)) {
            capset.add(e.pid);
            ctx.alert({ severity: 'warning', title: `${comm} (euid ${p.euid}) set its capabilities`, evidence: { euid: p.euid } });
          }
          return;
        }
        const a = [Number(e.arg0) >>> 0, Number(e.arg1) >>> 0, Number(e.arg2) >>> 0];
        // What the call sets: [real, effective] (setuid as root sets both; as non-root, effective).
        const [uid, euid] = nr === SETUID ? [p.euid === 0 ? a[0]! : UNCHANGED, a[0]!] : nr === SETREUID || nr === SETRESUID ? [a[0]!, a[1]!] : [UNCHANGED, UNCHANGED];
        const fromEuid = p.euid;
        const fromUid = p.uid;
        if (uid !== UNCHANGED) p.uid = uid;
        if (euid !== UNCHANGED) p.euid = euid;
        if (fromEuid !== 0 && (p.euid === 0 || (fromUid !== 0 && p.uid === 0))) {
          ctx.alert({ severity: 'critical', title: `${comm} became root: euid ${fromEuid} → ${p.euid} by ${ctx.syscallName(nr)}`, evidence: { call: ctx.syscallName(nr), args: a, uid_before: fromUid, euid_before: fromEuid, uid: p.uid, euid: p.euid } });
        }
      },
    };
  },
});
