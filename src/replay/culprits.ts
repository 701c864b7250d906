// Which detectors ran out of the memory budget. A thread runs out of memory wherever the
// allocation that crosses the limit happens to be: usually in the detector that allocates
// without bound, but a slow leak can make an innocent one's small allocation the last. So the
// detector running then is only a suspect: it is replayed alone, and is the culprit if it
// runs out on its own. If it does not (or no detector was running), the others are halved
// until each group that runs out alone is down to one detector. A detector exceeds the
// budget when it runs out of it on its own; if no single one does, they only do together.
import type { DetectorStop } from '../detect/budgets.js';

/** A replay of some of the detectors: it fits, or it failed with this detector named (when one was). */
export type GroupOutcome = { readonly fits: true } | { readonly fits: false; readonly stop: DetectorStop | undefined };

export type TryGroup = (group: readonly string[]) => Promise<GroupOutcome>;

/**
 * The culprits among `names` (all of which ran out of memory together), `suspect` first;
 * empty when none runs out on its own.
 */
export async function memoryCulprits(names: readonly string[], suspect: string | undefined, tryGroup: TryGroup, unnamed: (name: string) => DetectorStop): Promise<DetectorStop[]> {
  if (suspect !== undefined && names.includes(suspect)) {
    const r = await tryGroup([suspect]);
    if (!r.fits) return [r.stop ?? unnamed(suspect)];
  }
  const rest = names.filter((n) => n !== suspect);
  // Without a suspect, the whole set is known to fail: halve it straight away.
  return search(rest, suspect === undefined || !names.includes(suspect), tryGroup, unnamed);
}

async function search(group: readonly string[], knownToFail: boolean, tryGroup: TryGroup, unnamed: (name: string) => DetectorStop): Promise<DetectorStop[]> {
  if (group.length === 0) return [];
  if (!knownToFail) {
    const r = await tryGroup(group);
    if (r.fits) return [];
    if (group.length === 1) return [r.stop ?? unnamed(group[0]!)];
    // A detector that loops is named exactly by the watchdog: no need to look further in this group.
    if (r.stop && r.stop.reason !== 'memory') return [r.stop];
  }
  if (group.length === 1) {
    const r = await tryGroup(group);
    return r.fits ? [] : [r.stop ?? unnamed(group[0]!)];
  }
  const half = Math.ceil(group.length / 2);
  return [...await search(group.slice(0, half), false, tryGroup, unnamed), ...await search(group.slice(half), false, tryGroup, unnamed)];
}
