import { defineDetector } from '../api.js';
import { AF_INET, AF_INET6, addressText, numberOption, WindowCounter } from './common.js';

export default defineDetector({
  name: 'port-scan',
  version: '1',
  description: 'One process connecting to many ports of one host (option ports, default 25) or to one port of many hosts (option hosts, default 25) within a window (option window_s, default 10). Failed connects count: a scan is mostly refusals.',
  tables: { net: { columns: ['family', 'daddr', 'dport', 'ret'], where: { op: ['connect'] } } },
  create(ctx) {
    const windowNs = numberOption(ctx.options, 'window_s', 10) * 1e9;
    const portLimit = numberOption(ctx.options, 'ports', 25);
    const hostLimit = numberOption(ctx.options, 'hosts', 25);
    const attempts = new WindowCounter<{ host: string; port: number; seq: bigint }>(windowNs);
    const quietUntil = new Map<number, number>();
    return {
      net(e) {
        const family = e.family;
        if (family !== AF_INET && family !== AF_INET6) return;
        const host = addressText(family, e.daddr);
        const port = e.dport;
        const list = attempts.add(e.pid, e.ns, { host, port, seq: e.seq });
        if (list.length < Math.min(portLimit, hostLimit) || (quietUntil.get(e.pid) ?? -Infinity) > e.ns) return;
        const portsOfHost = new Set<number>();
        const hostsOfPort = new Set<string>();
        for (const { key } of list) {
          if (key.host === host) portsOfHost.add(key.port);
          if (key.port === port) hostsOfPort.add(key.host);
        }
        const windowS = windowNs / 1e9;
        const refused = list.length;
        if (portsOfHost.size >= portLimit) {
          ctx.alert({ severity: 'warning', title: `${e.comm} connected to ${portsOfHost.size} ports of ${host} within ${windowS} s: port scan`, evidence: { host, ports: portsOfHost.size, attempts: refused, first_port: Math.min(...portsOfHost), last_port: Math.max(...portsOfHost) }, related: list.slice(0, -1).map((x) => x.key.seq).slice(0, 64) });
        } else if (hostsOfPort.size >= hostLimit) {
          ctx.alert({ severity: 'warning', title: `${e.comm} connected to port ${port} of ${hostsOfPort.size} hosts within ${windowS} s: host sweep`, evidence: { port, hosts: hostsOfPort.size, attempts: refused }, related: list.slice(0, -1).map((x) => x.key.seq).slice(0, 64) });
        } else {
          return;
        }
        quietUntil.set(e.pid, e.ns + windowNs);
      },
    };
  },
});
