// Which detectors ran out of memory: the suspect alone first, then halving, with replays
// played by a table of which groups fit.
import { describe, expect, it } from 'vitest';
import type { DetectorStop } from '../../src/detect/budgets.js';
import { memoryCulprits, type GroupOutcome } from '../../src/replay/culprits.js';

const stop = (detector: string): DetectorStop => ({ detector, reason: 'memory', seq: 7n, starting: false, what: 'ran out' });

/** Replays where a group runs out of memory when it holds a hog, or more than `together` detectors. */
function replays(hogs: readonly string[], together = Infinity): { tried: string[][]; tryGroup: (g: readonly string[]) => Promise<GroupOutcome> } {
  const tried: string[][] = [];
  return {
    tried,
    tryGroup: async (g) => {
      tried.push([...g]);
      const hog = g.find((d) => hogs.includes(d));
      if (hog) return { fits: false, stop: stop(hog) };
      return g.length > together ? { fits: false, stop: undefined } : { fits: true };
    },
  };
}

const ALL = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

describe('memory culprits', () => {
  it('takes the suspect when it runs out alone, after one replay of it', async () => {
    const r = replays(['c']);
    expect(await memoryCulprits(ALL, 'c', r.tryGroup, stop)).toEqual([stop('c')]);
    expect(r.tried).toEqual([['c']]);
  });

  it('clears an innocent suspect and finds the one that runs out alone by halving the others', async () => {
    const r = replays(['f']);
    expect(await memoryCulprits(ALL, 'b', r.tryGroup, stop)).toEqual([stop('f')]);
    expect(r.tried[0]).toEqual(['b']);
    expect(r.tried.length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(ALL.length)) + 1);
  });

  it('halves straight away when no detector was running, and finds every culprit', async () => {
    const r = replays(['a', 'g']);
    expect((await memoryCulprits(ALL, undefined, r.tryGroup, stop)).map((s) => s.detector)).toEqual(['a', 'g']);
  });

  it('names nobody when the detectors only run out together', async () => {
    const r = replays([], 3);
    expect(await memoryCulprits(ALL, 'd', r.tryGroup, stop)).toEqual([]);
  });
});
