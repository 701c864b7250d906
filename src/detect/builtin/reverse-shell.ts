import { defineDetector, type Endpoint } from '../api.js';
import { AF_INET, AF_INET6, basename, remoteOf, SHELLS } from './common.js';

const F_DUPFD = 0;
const F_DUPFD_CLOEXEC = 1030;
const STDIN = 1;
const STDOUT = 2;

interface Fds {
  /** Open fds that are IP sockets, and the other end where a connect or accept named it. */
  sockets: Map<number, Endpoint | undefined>;
  /** Bits of stdin, stdout and stderr that are sockets. */
  stdio: number;
  /** Seqs of the calls that put sockets there. */
  seqs: bigint[];
}

export default defineDetector({
  name: 'reverse-shell',
  version: '3',
  tags: ['attack.execution', 'attack.t1059.004', 'attack.command_and_control', 'attack.t1095'],
  description: 'A shell whose stdin and stdout are a network socket: a socket dup\'ed onto fds 0 and 1 and then a shell executed (by the process or a child it forks), or a shell that does the dup itself (bash -i >& /dev/tcp/...).',
  tables: {
    syscall: { columns: ['nr', 'arg0', 'arg1', 'ret', 'comm'], where: { nr: ['socket', 'dup', 'dup2', 'dup3', 'fcntl', 'close'] } },
    net: { columns: ['op', 'family', 'fd', 'ret', 'saddr', 'sport', 'daddr', 'dport'], where: { op: ['connect', 'accept'] } },
    proc: { columns: ['kind', 'ppid', 'filename'] },
  },
  create(ctx) {
    const [SOCKET, DUP, DUP2, DUP3, FCNTL, CLOSE] = ['socket', 'dup', 'dup2', 'dup3', 'fcntl', 'close'].map((n) => ctx.syscall(n));
    const byPid = new Map<number, Fds>();
    const fds = (pid: number): Fds => {
      let f = byPid.get(pid);
      if (!f) byPid.set(pid, (f = { sockets: new Map(), stdio: 0, seqs: [] }));
      return f;
    };
    const put = (f: Fds, fd: number, socket: boolean, seq: bigint, remote?: Endpoint): void => {
      if (socket) f.sockets.set(fd, remote);
      else f.sockets.delete(fd);
      if (fd > 2) return;
      if (socket) {
        f.stdio |= 1 << fd;
        f.seqs.push(seq);
      } else {
        f.stdio &= ~(1 << fd);
      }
    };
    const onStdio = (f: Fds): boolean => (f.stdio & (STDIN | STDOUT)) === (STDIN | STDOUT);
    /** The other end of the socket on stdin (else stdout), when known. */
    const remoteOfStdio = (f: Fds): { remote?: Endpoint } => {
      const r = f.sockets.get(0) ?? f.sockets.get(1);
      return r ? { remote: r } : {};
    };
    return {
      syscall(e) {
        const nr = e.nr;
        const ret = e.ret;
        if (ret < 0n) return;
        if (nr === SOCKET) {
          const domain = Number(e.arg0);
          if (domain === AF_INET || domain === AF_INET6) fds(e.pid).sockets.set(Number(ret), undefined);
          return;
        }
        const f = byPid.get(e.pid);
        if (!f) return;
        if (nr === CLOSE) return put(f, Number(e.arg0), false, e.seq);
        const from = Number(e.arg0);
        const to = nr === DUP2 || nr === DUP3 ? Number(e.arg1) : Number(ret);
        if (nr === FCNTL && Number(e.arg1) !== F_DUPFD && Number(e.arg1) !== F_DUPFD_CLOEXEC) return;
        if (nr !== DUP && nr !== DUP2 && nr !== DUP3 && nr !== FCNTL) return;
        const was = onStdio(f);
        put(f, to, f.sockets.has(from), e.seq, f.sockets.get(from));
        const comm = e.comm;
        if (!was && onStdio(f) && SHELLS.has(comm)) {
          ctx.alert({ severity: 'critical', kind: 'reverse shell', title: `shell ${comm} put a network socket on its stdin and stdout`, evidence: { comm, fd: from }, related: f.seqs.slice(0, -1), ...remoteOfStdio(f) });
        }
      },
      net(e) {
        if (e.ret < 0n && e.op === 'accept') return;
        if (e.family === AF_INET || e.family === AF_INET6) fds(e.pid).sockets.set(e.fd, remoteOf(e));
      },
      proc(e) {
        const kind = e.kind;
        if (kind === 'exit') {
          byPid.delete(e.pid);
          return;
        }
        if (kind === 'fork') {
          const parent = byPid.get(e.ppid);
          if (parent) byPid.set(e.pid, { sockets: new Map(parent.sockets), stdio: parent.stdio, seqs: [...parent.seqs] });
          return;
        }
        const f = byPid.get(e.pid);
        const file = e.filename ?? '';
        if (f && onStdio(f) && SHELLS.has(basename(file))) {
          ctx.alert({ severity: 'critical', kind: 'reverse shell', title: `${file} started with a network socket as stdin and stdout: reverse shell`, evidence: { filename: file, ppid: e.ppid }, related: f.seqs, ...remoteOfStdio(f) });
        }
      },
    };
  },
});
