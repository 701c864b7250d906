import { defineDetector, type Severity } from '../api.js';
import { basename, SHELLS, stringsOption } from './common.js';
import { ProcessTable } from '../process-table.js';

const STAGING = ['/tmp/', '/var/tmp/', '/dev/shm/', '/run/shm/'];
/** Executing an open file descriptor: fexecve of a memfd or of a deleted file. */
const FD_EXEC = /^(\/dev\/fd\/|\/proc\/(self|\d+)\/fd\/|memfd:)/;
/** Offensive tools, tunnels and miners by file name. */
const TOOLS = ['nc', 'ncat', 'netcat', 'socat', 'nmap', 'masscan', 'zmap', 'hydra', 'medusa', 'john', 'hashcat', 'mimikatz',
  'chisel', 'ngrok', 'frpc', 'sqlmap', 'msfconsole', 'msfvenom', 'meterpreter', 'linpeas.sh', 'pspy', 'pspy64', 'xmrig', 'tcpdump'];

export default defineDetector({
  name: 'dangerous-exec',
  version: '2',
  description: 'Risky program starts: a shell started by a network service (a process that listened or accepted), a program run from /tmp, /var/tmp or /dev/shm, a memfd or file descriptor executed (fileless), the binary of a running process deleted, and known offensive tools by name (option tools).',
  tables: {
    proc: { columns: ['kind', 'ppid', 'filename', 'argv'] },
    net: { columns: ['op', 'ret'], where: { op: ['listen', 'accept'] } },
    file: { columns: ['op', 'path', 'path2', 'ret'], where: { op: ['unlink', 'rename'] } },
  },
  create(ctx) {
    const tools = new Set(stringsOption(ctx.options, 'tools', TOOLS));
    const procs = new ProcessTable();
    /** Processes that listened or accepted, and their children that have not executed since. */
    const services = new Set<number>();
    const raise = (severity: Severity, title: string, evidence: Record<string, unknown>, tags: readonly string[]): void => ctx.alert({ severity, title, evidence, tags });
    return {
      net(e) {
        if (e.ret >= 0n) services.add(e.pid);
      },
      proc(e) {
        const kind = e.kind;
        if (kind === 'exit') {
          services.delete(e.pid);
          procs.update(e);
          return;
        }
        if (kind === 'fork') {
          if (services.has(e.ppid)) services.add(e.pid);
          procs.update(e);
          return;
        }
        const parent = procs.get(e.ppid);
        const ran = procs.get(e.pid)?.exe;
        procs.update(e);
        const file = e.filename ?? '';
        const name = basename(file);
        const argv = e.argv ?? [];
        const ev = { filename: file, argv, ppid: e.ppid, parent: parent?.exe ?? null };
        const service = services.has(e.pid) ? (ran ?? e.comm) : services.has(e.ppid) ? (parent?.exe ?? String(e.ppid)) : undefined;
        services.delete(e.pid);
        if (SHELLS.has(name) && service !== undefined) raise('critical', `shell ${file} started by network service ${service}`, { ...ev, service }, ['attack.execution', 'attack.t1059.004', 'attack.initial_access', 'attack.t1190']);
        if (FD_EXEC.test(file)) raise('critical', `executed a file descriptor (${file}): fileless program`, ev, ['attack.defense_evasion', 'attack.t1620']);
        else if (STAGING.some((d) => file.startsWith(d))) raise(file.startsWith('/dev/shm/') || file.startsWith('/run/shm/') ? 'critical' : 'warning', `executed ${file} from a world-writable staging directory`, ev, ['attack.execution', 'attack.t1204.002']);
        if (tools.has(name)) raise('warning', `executed known tool ${name}`, ev, ['attack.resource_development', 'attack.t1588.002']);
      },
      file(e) {
        if (e.ret < 0n) return;
        const path = e.path;
        const owners = procs.running(path);
        if (owners.length > 0) raise('warning', `deleted ${path}, the program of running process ${owners.join(', ')}`, { path, op: e.op, running: owners }, ['attack.defense_evasion', 'attack.t1070.004']);
      },
    };
  },
});
