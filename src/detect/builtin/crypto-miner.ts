import { defineDetector } from '../api.js';
import { addressText, basename, numberOption } from './common.js';

/** Ports mining pools listen on (stratum). */
const POOL_PORTS = new Set([3333, 3334, 3335, 4444, 5555, 5556, 6666, 7777, 8888, 9999, 14433, 14444, 45560, 45700, 20535, 20580, 19999]);
const POOL_NAMES = /(^|\.)(xmr|monero|moneroocean|supportxmr|minexmr|nanopool|nicehash|2miners|f2pool|ethermine|hashvault|herominers|c3pool|unmineable|miningpoolhub|xmrpool|poolin|viabtc|antpool|btc\.com)(\.|$)|(^|[.-])pool\./i;
const MINERS = new Set(['xmrig', 'xmr-stak', 'minerd', 'cpuminer', 'ccminer', 't-rex', 'nbminer', 'ethminer', 'lolminer', 'phoenixminer', 'teamredminer']);
const MINER_ARGS = /stratum\+(tcp|ssl|tls):\/\/|--donate-level|--coin[= ](monero|xmr)|--algo[= ](rx|cn|randomx)/i;

interface Cpu {
  second: number;
  samples: number;
  /** Consecutive busy seconds so far. */
  busy: number;
  cycles: number;
  instructions: number;
}

export default defineDetector({
  name: 'crypto-miner',
  version: '2',
  tags: ['attack.impact', 'attack.t1496'],
  description: 'Cryptocurrency mining: a miner program or stratum arguments executed (critical), a connect to a mining pool port or a DNS question for a pool name (warning), and, with CPU samples, a process that contacted a pool keeping a CPU busy for busy_s seconds (default 5; at least busy_share of the samples, default 0.8), with its IPC where samples carry hardware counters (critical).',
  tables: {
    proc: { columns: ['kind', 'filename', 'argv'], where: { kind: ['fork', 'exec', 'exit'] } },
    net: { columns: ['family', 'daddr', 'dport'], where: { op: ['connect'] } },
    dns: { columns: ['qname'] },
    sample: { columns: ['event', 'value'] },
  },
  create(ctx) {
    const busySeconds = numberOption(ctx.options, 'busy_s', 5);
    const share = numberOption(ctx.options, 'busy_share', 0.8);
    const hz = ctx.sampleHz;
    /** Processes that contacted a pool or run a miner (children of one count too). */
    const suspects = new Map<number, string>();
    const cpu = new Map<number, Cpu>();
    const reported = new Set<string>();
    const once = (key: string): boolean => (reported.has(key) ? false : (reported.add(key), true));
    return {
      proc(e) {
        const kind = e.kind;
        if (kind === 'exit') {
          suspects.delete(e.pid);
          cpu.delete(e.pid);
          return;
        }
        if (kind === 'fork') {
          const why = suspects.get(e.ppid);
          if (why) suspects.set(e.pid, why);
          return;
        }
        const file = e.filename ?? '';
        const argv = e.argv ?? [];
        const arg = argv.find((a) => MINER_ARGS.test(a));
        if (MINERS.has(basename(file)) || arg !== undefined) {
          suspects.set(e.pid, arg ? `ran with ${arg}` : `executed ${basename(file)}`);
          if (once(`exec\0${e.pid}`)) ctx.alert({ severity: 'critical', title: `miner started: ${file}${arg ? ` ${arg}` : ''}`, evidence: { filename: file, argv } });
        }
      },
      net(e) {
        if (!POOL_PORTS.has(e.dport)) return;
        const peer = `${addressText(e.family, e.daddr)}:${e.dport}`;
        if (!suspects.has(e.pid)) suspects.set(e.pid, `connected to ${peer}`);
        if (once(`net\0${e.pid}\0${peer}`)) ctx.alert({ severity: 'warning', title: `${e.comm} connected to mining pool port ${peer}`, evidence: { peer }, remote: { address: addressText(e.family, e.daddr), port: e.dport } });
      },
      dns(e) {
        const name = e.qname;
        if (!POOL_NAMES.test(name)) return;
        if (!suspects.has(e.pid)) suspects.set(e.pid, `looked up ${name}`);
        if (once(`dns\0${e.pid}\0${name}`)) ctx.alert({ severity: 'warning', title: `${e.comm} looked up mining pool ${name}`, evidence: { qname: name } });
      },
      sample(e) {
        if (hz === undefined) return;
        const second = Math.floor(e.ns / 1e9);
        let c = cpu.get(e.pid);
        if (!c) cpu.set(e.pid, (c = { second, samples: 0, busy: 0, cycles: 0, instructions: 0 }));
        if (second !== c.second) {
          c.busy = c.samples >= share * hz && second === c.second + 1 ? c.busy + 1 : 0;
          c.second = second;
          c.samples = 0;
        }
        const event = e.event;
        if (event === 'instructions') {
          c.instructions += Number(e.value);
        } else {
          c.samples++;
          if (event === 'cycles') c.cycles += Number(e.value);
        }
        const why = suspects.get(e.pid);
        if (c.busy < busySeconds || why === undefined || !once(`cpu\0${e.pid}`)) return;
        const ipc = c.cycles > 0 && c.instructions > 0 ? c.instructions / c.cycles : null;
        ctx.alert({ severity: 'critical', title: `${e.comm} kept a CPU busy for ${c.busy} s after it ${why}: mining`, evidence: { busy_s: c.busy, reason: why, ipc } });
      },
    };
  },
});
