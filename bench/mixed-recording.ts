// A synthetic recording shaped like a busy host, for the analyze and replay benchmarks:
// syscalls of a few long-running services, plus a tree of PROCESSES processes under ROOT, each
// forking, exec'ing, writing files and connecting out.
import { RecordingWriter } from '../src/format/recording-writer.js';
import { SyscallWorkload, batchFromRows, rng } from '../src/testing/synthetic.js';

/** The synthetic process tree: pids ROOT.. ROOT + PROCESSES - 1. */
export const ROOT = 10_000;
export const PROCESSES = 2000;

/** The process-context columns schema 2 added, left null: the benchmarks do not read them. */
const CONTEXT = { cwd: null, start_ts: null, kthread: null };

/** Writes a recording of `total` rows at `dir`. */
export function writeMixedRecording(dir: string, total: number): void {

  // A tree of processes under ROOT, each forking, exec'ing, writing files and connecting out.
    const FILE_ROWS = Math.min(1_000_000, Math.floor(total / 50));
  const NET_ROWS = Math.min(500_000, Math.floor(total / 100));
  const rand = rng(5);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const w = RecordingWriter.create(dir, { targets: { synthetic: true } });
  const work = new SyscallWorkload(1);
  let ts = 5_000_000_000n;
  let seq = 1n << 40n; // after the syscall workload's seqs
  const header = (pid: number, comm: string): Record<string, unknown> => {
    ts += 1000n;
    return { ts, seq: seq++, cpu: 0, pid, tid: pid, comm };
  };

  const proc: Record<string, unknown>[] = [];
  const parent = new Map<number, number>();
  for (let i = 0; i < PROCESSES; i++) {
    const pid = ROOT + i;
    const ppid = i === 0 ? 1 : ROOT + Math.floor(rand() * i);
    parent.set(pid, ppid);
    const id = { ppid, uid: 1000, gid: 1000, euid: 1000, cgroup_id: 1n, argv_truncated: false, ...CONTEXT };
    proc.push({ ...header(pid, 'sh'), kind: 'fork', ...id, filename: null, argv: null, exit_code: null });
    const exe = pick(['/usr/bin/curl', '/usr/bin/python3', '/bin/sh', '/usr/bin/tar', '/usr/bin/make']);
    proc.push({ ...header(pid, exe.slice(exe.lastIndexOf('/') + 1)), kind: 'exec', ...id, filename: exe, argv: [exe, '-x', String(i)], exit_code: null });
  }
  for (let i = 0; i < PROCESSES; i++) proc.push({ ...header(ROOT + i, 'sh'), kind: 'exit', ppid: parent.get(ROOT + i), uid: 1000, gid: 1000, euid: 1000, cgroup_id: 1n, filename: null, argv: null, argv_truncated: false, exit_code: 0, ...CONTEXT });
  w.append('proc', batchFromRows('proc', proc));

  const paths = Array.from({ length: 1000 }, (_, i) => `/srv/data/${i % 37}/file-${i}.bin`);
  for (let done = 0; done < FILE_ROWS; done += 65536) {
    const n = Math.min(65536, FILE_ROWS - done);
    w.append('file', batchFromRows('file', Array.from({ length: n }, () => {
      const pid = ROOT + Math.floor(rand() * PROCESSES);
      const close = rand() < 0.5;
      return {
        ...header(pid, 'tar'), op: close ? 'close' : 'open', path: pick(paths), path2: null, dirfd: -100, fd: 3 + Math.floor(rand() * 10),
        flags: close ? 0 : 65, mode: 0o644, owner: 0, group: 0, bytes_read: 0n, bytes_written: close ? BigInt(Math.floor(rand() * 1e6)) : 0n, ret: close ? 0n : 3n, abs_path: null,
      };
    })));
  }
  const v4 = (i: number): Uint8Array => Uint8Array.from([10, 0, (i >> 8) & 255, i & 255, ...new Array<number>(12).fill(0)]);
  const hosts = Array.from({ length: 200 }, (_, i) => v4(i));
  const local = v4(9999);
  for (let done = 0; done < NET_ROWS; done += 65536) {
    const n = Math.min(65536, NET_ROWS - done);
    w.append('net', batchFromRows('net', Array.from({ length: n }, (_, k) => {
      const pid = ROOT + Math.floor(rand() * PROCESSES);
      const close = k % 2 === 1;
      return {
        ...header(pid, 'curl'), op: close ? 'close' : 'connect', family: 2, proto: 6, saddr: local, sport: 30000 + ((done + k) >> 1) % 30000,
        daddr: pick(hosts), dport: pick([443, 80, 8443]), unix_path: null, old_state: 0, new_state: 0, fd: 5,
        bytes_sent: close ? BigInt(Math.floor(rand() * 1e5)) : 0n, bytes_received: close ? BigInt(Math.floor(rand() * 1e6)) : 0n, ret: 0n,
      };
    })));
  }
  const syscalls = total - proc.length - FILE_ROWS - NET_ROWS;
  for (let done = 0; done < syscalls; done += 65536) w.append('syscall', work.batch(Math.min(65536, syscalls - done)));
  w.close();
}

