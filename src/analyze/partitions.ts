// The layout of a fleet export: hive partitions host=<H>/date=<D>/table=<T>/, then files.
// Walked through held directories (confined-dir.ts): a link is never followed, only
// directories with the right prefix are entered.
import type { ConfinedDir } from '../format/confined-dir.js';

export const PARTITIONS = ['host=', 'date=', 'table='] as const;

/** Each partition directory three levels down (host=, date=, table=), without following links; `names` are the directories' names from the top. */
export function eachPartition(dir: ConfinedDir, visit: (names: readonly string[], d: ConfinedDir) => void, depth = 0, names: readonly string[] = []): void {
  for (const name of dir.list().sort()) {
    if (!name.startsWith(PARTITIONS[depth]!) || !dir.stat(name)?.isDirectory()) continue;
    const sub = dir.subdir(name);
    try {
      if (depth === PARTITIONS.length - 1) visit([...names, name], sub);
      else eachPartition(sub, visit, depth + 1, [...names, name]);
    } finally {
      sub.close();
    }
  }
}
