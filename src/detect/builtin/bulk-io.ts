import { defineDetector } from '../api.js';
import { addressText, isRemote, numberOption, WindowCounter } from './common.js';

const MiB = 1024 * 1024;

export default defineDetector({
  name: 'bulk-io',
  version: '2',
  description: 'Large or bulk output by one process within a window (option window_s, default 60): bytes written to files (write_mib, default 256), files written (files, default 500), bytes sent to remote addresses (send_mib, default 100). From the byte totals of file and socket close and io rows. One alert per process and kind until its window empties.',
  tables: {
    file: { columns: ['path', 'bytes_written'], where: { op: ['close', 'io'] } },
    net: { columns: ['family', 'daddr', 'dport', 'bytes_sent'], where: { op: ['close', 'io'] } },
  },
  create(ctx) {
    const windowNs = numberOption(ctx.options, 'window_s', 60) * 1e9;
    const writeBytes = numberOption(ctx.options, 'write_mib', 256) * MiB;
    const files = numberOption(ctx.options, 'files', 500);
    const sendBytes = numberOption(ctx.options, 'send_mib', 100) * MiB;
    const written = new WindowCounter(windowNs);
    const filesWritten = new WindowCounter(windowNs);
    const sent = new WindowCounter(windowNs);
    /** kind → pid → ns until which it has alerted. */
    const quiet = new Map<string, Map<number, number>>();
    const once = (kind: string, pid: number, ns: number): boolean => {
      let m = quiet.get(kind);
      if (!m) quiet.set(kind, (m = new Map()));
      if ((m.get(pid) ?? -Infinity) > ns) return false;
      m.set(pid, ns + windowNs);
      return true;
    };
    const windowS = windowNs / 1e9;
    return {
      file(e) {
        const n = Number(e.bytes_written);
        if (n === 0) return;
        const total = written.add(e.pid, e.ns, 0, n).total;
        if (total >= writeBytes && once('write', e.pid, e.ns)) {
          ctx.alert({ severity: 'warning', title: `${e.comm} wrote ${(total / MiB).toFixed(0)} MiB to files within ${windowS} s`, evidence: { bytes_written: total, window_s: windowS, last_path: e.path }, tags: ['attack.impact', 'attack.t1486'] });
        }
        const count = filesWritten.add(e.pid, e.ns, 0).count;
        if (count >= files && once('files', e.pid, e.ns)) {
          ctx.alert({ severity: 'warning', title: `${e.comm} wrote ${count} files within ${windowS} s`, evidence: { files: count, window_s: windowS, last_path: e.path }, tags: ['attack.impact', 'attack.t1486'] });
        }
      },
      net(e) {
        const n = Number(e.bytes_sent);
        if (n === 0 || !isRemote(e.family, e.daddr)) return;
        const total = sent.add(e.pid, e.ns, 0, n).total;
        if (total >= sendBytes && once('send', e.pid, e.ns)) {
          ctx.alert({ severity: 'warning', title: `${e.comm} sent ${(total / MiB).toFixed(0)} MiB to remote hosts within ${windowS} s`, evidence: { bytes_sent: total, window_s: windowS, last_peer: `${addressText(e.family, e.daddr)}:${e.dport}` }, tags: ['attack.exfiltration', 'attack.t1048'], remote: { address: addressText(e.family, e.daddr), port: e.dport } });
        }
      },
    };
  },
});
