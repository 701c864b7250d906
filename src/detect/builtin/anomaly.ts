import { defineDetector } from '../api.js';
import { checkBaseline, KnownGrams, SyscallWindows, type Baseline, type GramSet, type Profile, type Window } from '../baseline.js';
import { numberOption } from './common.js';

interface Score {
  score: number;
  alerted: boolean;
}

const LN10 = Math.log(10);

export default defineDetector({
  name: 'anomaly',
  version: '1',
  description: 'An anomaly score per process against a baseline learned from a clean recording (flightrec baseline learn; option baseline, given by --baseline): each second of a process\'s syscalls is scored on its rate, the entropy of its syscall distribution and the share of syscall 3-grams its program was never seen making, and the score is an exponential moving average (option alpha, default 0.5). A child starts at half its parent\'s score. Alerts when the score reaches threshold (default 0.5), again only after it fell below half of that.',
  tables: { syscall: { columns: ['nr', 'comm'] }, proc: { columns: ['kind', 'ppid'], where: { kind: ['fork', 'exit'] } } },
  create(ctx) {
    if (ctx.options.baseline === undefined) throw new Error('needs a baseline: give --baseline FILE (made by flightrec baseline learn)');
    const baseline: Baseline = checkBaseline(ctx.options.baseline, 'the baseline option');
    const alpha = numberOption(ctx.options, 'alpha', 0.5);
    const threshold = numberOption(ctx.options, 'threshold', 0.5);
    const grams = new Map<Profile, GramSet>();
    const gramSet = (p: Profile): GramSet => {
      let g = grams.get(p);
      if (!g) grams.set(p, (g = new KnownGrams(p.ngrams)));
      return g;
    };
    const scores = new Map<number, Score>();
    const scoreOf = (pid: number): Score => {
      let s = scores.get(pid);
      if (!s) scores.set(pid, (s = { score: 0, alerted: false }));
      return s;
    };
    const judge = (w: Window): void => {
      const known = baseline.profiles[w.comm];
      const profile = known ?? baseline.global;
      const novelty = w.grams > 0 ? w.unseen / w.grams : 0;
      const rate = Math.min(1, Math.max(0, Math.abs(w.lnRate - profile.ln_rate.mean) - profile.ln_rate.sd) / LN10);
      const entropy = Math.min(1, Math.max(0, Math.abs(w.entropy - profile.entropy.mean) - profile.entropy.sd) / 2);
      const windowScore = 0.2 * rate + 0.2 * entropy + 0.6 * novelty;
      const s = scoreOf(w.pid);
      s.score = alpha * windowScore + (1 - alpha) * s.score;
      if (s.alerted && s.score < threshold / 2) s.alerted = false;
      if (s.alerted || s.score < threshold) return;
      s.alerted = true;
      const r = (x: number): number => Math.round(x * 1000) / 1000;
      ctx.alert({
        severity: 'warning',
        pid: w.pid,
        title: `${w.comm} behaves unlike its baseline: anomaly score ${r(s.score)}`,
        evidence: {
          score: r(s.score), window_score: r(windowScore), profile: known ? w.comm : '(all programs)', calls: w.calls,
          calls_per_s: Math.round(Math.exp(w.lnRate)), entropy_bits: r(w.entropy), unseen_ngrams: r(novelty), rate_term: r(rate), entropy_term: r(entropy),
        },
      });
    };
    const windows = new SyscallWindows((comm) => gramSet(baseline.profiles[comm] ?? baseline.global), judge);
    return {
      syscall: (e) => windows.call(e.pid, e.nr, e.ns, e),
      proc(e) {
        if (e.kind === 'exit') {
          windows.end(e.pid);
          scores.delete(e.pid);
          return;
        }
        const parent = scores.get(e.ppid);
        if (parent) scores.set(e.pid, { score: parent.score / 2, alerted: false });
      },
    };
  },
});
