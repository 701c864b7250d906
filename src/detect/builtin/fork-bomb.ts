import { defineDetector } from '../api.js';
import { numberOption, WindowCounter } from './common.js';

interface Node {
  /** The tree this process counts toward: the nearest ancestor that executed a program. */
  root: number;
  /** Forks since the last exec: 0 for a process that executed. */
  depth: number;
}

export default defineDetector({
  name: 'fork-bomb',
  version: '2',
  tags: ['attack.impact', 'attack.t1499'],
  description: 'Runaway forking: processes that fork without executing a program and whose children fork again, more than forks (default 128) times within window_s (default 1) in one tree, at least depth (default 4) generations deep. Shells and servers fork and then exec or serve; a bomb multiplies itself.',
  tables: { proc: { columns: ['kind', 'ppid'] } },
  create(ctx) {
    const limit = numberOption(ctx.options, 'forks', 128);
    const minDepth = numberOption(ctx.options, 'depth', 4);
    const windowNs = numberOption(ctx.options, 'window_s', 1) * 1e9;
    const nodes = new Map<number, Node>();
    const forks = new WindowCounter(windowNs);
    const alerted = new Set<number>();
    return {
      proc(e) {
        const kind = e.kind;
        if (kind === 'exit') {
          nodes.delete(e.pid);
          return;
        }
        if (kind === 'exec') {
          nodes.set(e.pid, { root: e.pid, depth: 0 });
          return;
        }
        const parent = nodes.get(e.ppid) ?? { root: e.ppid, depth: 0 };
        const child: Node = { root: parent.root, depth: parent.depth + 1 };
        nodes.set(e.pid, child);
        if (parent.depth === 0) return; // a process forking: only forks of forks multiply
        const w = forks.add(child.root, e.ns, child.depth);
        if (w.count < limit || alerted.has(child.root)) return;
        let deepest = 0;
        for (let i = w.head; i < w.keys.length; i++) deepest = Math.max(deepest, w.keys[i]!);
        if (deepest < minDepth) return;
        alerted.add(child.root);
        ctx.alert({
          severity: 'critical',
          title: `fork bomb: ${w.count} forks of forked processes within ${windowNs / 1e9} s under pid ${child.root}, ${deepest} generations deep`,
          pid: child.root,
          evidence: { root: child.root, forks: w.count, generations: deepest, comm: e.comm },
        });
      },
    };
  },
});
