import { defineDetector } from '../api.js';
import { AF_INET, AF_INET6, addressText, numberOption, WindowCounter } from './common.js';

export default defineDetector({
  name: 'port-scan',
  version: '2',
  tags: ['attack.discovery', 'attack.t1046'],
  description: 'One process connecting to many ports of one host (option ports, default 25) or to one port of many hosts (option hosts, default 25) within a window (option window_s, default 10). Failed connects count: a scan is mostly refusals.',
  tables: { net: { columns: ['family', 'daddr', 'dport', 'ret'], where: { op: ['connect'] } } },
  create(ctx) {
    const windowNs = numberOption(ctx.options, 'window_s', 10) * 1e9;
    const portLimit = numberOption(ctx.options, 'ports', 25);
    const hostLimit = numberOption(ctx.options, 'hosts', 25);
    /** Connect attempts per process, keyed by host number * 65536 + port. */
    const attempts = new WindowCounter(windowNs);
    const hostIds = new Map<string, number>();
    const hosts: string[] = [];
    const quietUntil = new Map<number, number>();
    return {
      net(e) {
        const family = e.family;
        if (family !== AF_INET && family !== AF_INET6) return;
        const host = addressText(family, e.daddr);
        let id = hostIds.get(host);
        if (id === undefined) {
          hostIds.set(host, (id = hosts.length));
          hosts.push(host);
        }
        const port = e.dport;
        const w = attempts.add(e.pid, e.ns, id * 65536 + port);
        if (w.count < Math.min(portLimit, hostLimit) || (quietUntil.get(e.pid) ?? -Infinity) > e.ns) return;
        const portsOfHost = new Set<number>();
        const hostsOfPort = new Set<number>();
        for (let i = w.head; i < w.keys.length; i++) {
          const k = w.keys[i]!;
          if (Math.floor(k / 65536) === id) portsOfHost.add(k % 65536);
          if (k % 65536 === port) hostsOfPort.add(Math.floor(k / 65536));
        }
        const windowS = windowNs / 1e9;
        if (portsOfHost.size >= portLimit) {
          ctx.alert({ severity: 'warning', title: `${e.comm} connected to ${portsOfHost.size} ports of ${host} within ${windowS} s: port scan`, evidence: { host, ports: portsOfHost.size, attempts: w.count, first_port: Math.min(...portsOfHost), last_port: Math.max(...portsOfHost) }, remote: { address: host, port } });
        } else if (hostsOfPort.size >= hostLimit) {
          ctx.alert({ severity: 'warning', title: `${e.comm} connected to port ${port} of ${hostsOfPort.size} hosts within ${windowS} s: host sweep`, evidence: { port, hosts: hostsOfPort.size, attempts: w.count } });
        } else {
          return;
        }
        quietUntil.set(e.pid, e.ns + windowNs);
      },
    };
  },
});
