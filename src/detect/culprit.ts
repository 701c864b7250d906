// Who a detection thread's end names. The heartbeat says which detector was running (by its
// index in the thread's list) or which detector file was loading (by its index among the
// specs): a file that overruns while loading is refused, as one that fails to load is.
import { overrun, type DetectorBudgets, type DetectorStop } from './budgets.js';
import type { ThreadEnd } from './detector-thread.js';
import { specList } from './load.js';
import type { DetectorInfo } from './thread-detectors.js';
import { UsageError } from '../format/errors.js';

/** The detector `end` names, or undefined when none ran; throws a UsageError for a file that was loading. */
export function culpritOf(end: ThreadEnd, info: readonly DetectorInfo[] | undefined, specs: readonly string[] | undefined, budgets: DetectorBudgets): DetectorStop | undefined {
  const b = end.blame;
  if (!b) return undefined;
  const what = overrun(end.reason, budgets, b.phase, end.reason === 'crash' ? end.message : undefined);
  if (b.phase === 'loading') throw new UsageError(`detector ${specList(specs)[b.index] ?? '?'} does not load: it ${what}`);
  const name = info?.[b.index]?.name;
  if (name === undefined) return undefined;
  return { detector: name, reason: end.reason, seq: b.seq, starting: b.phase === 'starting', what };
}
