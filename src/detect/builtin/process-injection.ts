import { defineDetector } from '../api.js';

const PTRACE_WRITES: Record<number, string> = { 4: 'POKETEXT', 5: 'POKEDATA', 6: 'POKEUSER', 13: 'SETREGS', 15: 'SETFPREGS', 0x4205: 'SETREGSET' };
const PTRACE_ATTACH: Record<number, string> = { 16: 'ATTACH', 0x4206: 'SEIZE' };

export default defineDetector({
  name: 'process-injection',
  version: '2',
  tags: ['attack.defense_evasion', 'attack.privilege_escalation', 'attack.t1055.008'],
  description: 'Writing into another process: ptrace POKETEXT/POKEDATA/POKEUSER/SETREGS (critical), process_vm_writev into another pid (critical), and ptrace ATTACH/SEIZE of another process (warning). One alert per process, target and kind.',
  tables: { syscall: { columns: ['nr', 'arg0', 'arg1', 'ret'], where: { nr: ['ptrace', 'process_vm_writev'] } } },
  create(ctx) {
    const PTRACE = ctx.syscall('ptrace');
    const seen = new Set<string>();
    return {
      syscall(e) {
        if (e.ret < 0n) return;
        const comm = e.comm;
        let target: number;
        let kind: string;
        let critical: boolean;
        if (e.nr === PTRACE) {
          const request = Number(e.arg0);
          target = Number(e.arg1);
          const write = PTRACE_WRITES[request];
          const attach = PTRACE_ATTACH[request];
          if (!write && !attach) return;
          kind = `ptrace ${write ?? attach}`;
          critical = write !== undefined;
        } else {
          target = Number(e.arg0);
          kind = 'process_vm_writev';
          critical = true;
        }
        if (target === e.pid) return;
        const key = `${e.pid}\0${target}\0${kind}`;
        if (seen.has(key)) return;
        seen.add(key);
        ctx.alert({
          severity: critical ? 'critical' : 'warning',
          title: critical ? `${comm} wrote into process ${target} (${kind})` : `${comm} attached to process ${target} (${kind})`,
          evidence: { target, call: kind, ret: e.ret },
        });
      },
    };
  },
});
