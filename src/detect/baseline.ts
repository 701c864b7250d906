// Syscall behaviour per process in windows of event time, and baselines learned from clean
// recordings: per program (comm), the rate and the entropy of the syscall distribution of its
// windows, and the syscall n-grams it was seen making. The anomaly detector scores windows
// against a baseline with the same window code that learned it.
import type { Detector } from './api.js';

export const WINDOW_NS = 1e9;
/** Windows with fewer calls say little about a process: they are not scored or learned. */
export const MIN_CALLS = 20;
export const NGRAM = 3;
const MIN_SPAN_NS = 1e8;
const CACHE_SLOTS = 256;

/** A closed window of one process. */
export interface Window {
  readonly pid: number;
  readonly comm: string;
  readonly calls: number;
  /** ln(calls per second over the window's busy span). */
  readonly lnRate: number;
  /** Shannon entropy of the syscall numbers, bits. */
  readonly entropy: number;
  /** The n-grams made in the window (one per call after a process's first NGRAM - 1)... */
  readonly grams: number;
  /** ...and how many of them the gram set of the window's program had not seen. */
  readonly unseen: number;
}

/** The n-grams a program is known to make: `visit` says whether one is known (a learner adds it). */
export interface GramSet {
  visit(gram: number): boolean;
}

/**
 * A set of n-gram hashes (non-negative integers below 2^30) for fast lookups: open addressing
 * in a typed array, slots chosen by Fibonacci hashing (the top bits of g * 2^32/phi: the low
 * bits of the product depend only on the low bits of g, which are the gram's last call).
 */
export class KnownGrams implements GramSet {
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly shift: number;

  constructor(grams: readonly number[]) {
    let bits = 4;
    while (1 << bits < grams.length * 2) bits++;
    this.slots = new Int32Array(1 << bits).fill(-1);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
    for (const g of grams) {
      let i = this.slot(g);
      while (this.slots[i] !== -1 && this.slots[i] !== g) i = (i + 1) & this.mask;
      this.slots[i] = g;
    }
  }

  private slot(g: number): number {
    return Math.imul(g, 0x9e3779b1) >>> this.shift;
  }

  visit(g: number): boolean {
    let i = this.slot(g);
    for (;;) {
      const s = this.slots[i]!;
      if (s === g) return true;
      if (s === -1) return false;
      i = (i + 1) & this.mask;
    }
  }
}

interface Open {
  comm: string;
  known: GramSet;
  start: number;
  last: number;
  calls: number;
  hist: Uint32Array;
  touched: number[];
  grams: number;
  unseen: number;
  prev1: number;
  prev2: number;
}

/** A process's syscall windows: fed calls in order, it hands over each window as it closes. */
export class SyscallWindows {
  private readonly open = new Map<number, Open>();
  /** A direct-mapped cache in front of `open`, by the low bits of the pid: calls of a few busy processes interleave. */
  private readonly cachedPid = new Int32Array(CACHE_SLOTS).fill(-1);
  private readonly cached: (Open | undefined)[] = new Array<Open | undefined>(CACHE_SLOTS).fill(undefined);

  /** `known(comm)`: the gram set windows of that program are checked against. */
  constructor(private readonly known: (comm: string) => GramSet, private readonly onWindow: (w: Window) => void) {}

  /** A call of `pid` at `ns`; `e.comm` is read only when a window opens. */
  call(pid: number, nr: number, ns: number, e: { readonly comm: string }): void {
    const slot = pid & (CACHE_SLOTS - 1);
    let o = this.cachedPid[slot] === pid ? this.cached[slot] : this.open.get(pid);
    if (!o) {
      const c = e.comm;
      o = { comm: c, known: this.known(c), start: ns, last: ns, calls: 0, hist: new Uint32Array(1024), touched: [], grams: 0, unseen: 0, prev1: -1, prev2: -1 };
      this.open.set(pid, o);
    } else if (ns - o.start >= WINDOW_NS) {
      this.emit(pid, o);
      const c = e.comm;
      if (c !== o.comm) o.known = this.known(c);
      o.comm = c;
      o.start = ns;
    }
    this.cachedPid[slot] = pid;
    this.cached[slot] = o;
    const n = nr & 1023;
    if (o.hist[n] === 0) o.touched.push(n);
    o.hist[n]!++;
    o.calls++;
    o.last = ns;
    if (o.prev2 >= 0) {
      o.grams++;
      if (!o.known.visit((o.prev2 * 1024 + o.prev1) * 1024 + n)) o.unseen++;
    }
    o.prev2 = o.prev1;
    o.prev1 = n;
  }

  /** The process ended: its open window closes. */
  end(pid: number): void {
    const o = this.open.get(pid);
    if (!o) return;
    this.emit(pid, o);
    this.open.delete(pid);
    const slot = pid & (CACHE_SLOTS - 1);
    if (this.cachedPid[slot] === pid) {
      this.cachedPid[slot] = -1;
      this.cached[slot] = undefined;
    }
  }

  /** Closes every open window, in the order the processes were first seen. */
  endAll(): void {
    for (const pid of [...this.open.keys()]) this.end(pid);
  }

  private emit(pid: number, o: Open): void {
    if (o.calls >= MIN_CALLS) {
      let entropy = 0;
      for (const n of o.touched) {
        const p = o.hist[n]! / o.calls;
        entropy -= p * Math.log2(p);
      }
      const span = Math.max(o.last - o.start, MIN_SPAN_NS) / 1e9;
      this.onWindow({ pid, comm: o.comm, calls: o.calls, lnRate: Math.log(o.calls / span), entropy, grams: o.grams, unseen: o.unseen });
    }
    for (const n of o.touched) o.hist[n] = 0;
    o.touched.length = 0;
    o.grams = 0;
    o.unseen = 0;
    o.calls = 0;
  }
}

export interface Stat { readonly mean: number; readonly sd: number }

export interface Profile {
  readonly windows: number;
  readonly ln_rate: Stat;
  readonly entropy: Stat;
  /** Sorted n-gram hashes. */
  readonly ngrams: readonly number[];
}

export interface Baseline {
  readonly format: 'flightrec-baseline';
  readonly version: 1;
  readonly window_ms: number;
  readonly ngram: number;
  readonly arch: string;
  /** The recordings it was learned from. */
  readonly sources: ReadonlyArray<{ readonly id: string; readonly host: string }>;
  /** Per program (comm). */
  readonly profiles: Readonly<Record<string, Profile>>;
  /** All programs together: for programs the baseline has not seen. */
  readonly global: Profile;
}

function stat(xs: readonly number[]): Stat {
  if (xs.length === 0) return { mean: 0, sd: 0 };
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
  const r = (x: number): number => Math.round(x * 1e6) / 1e6;
  return { mean: r(mean), sd: r(sd) };
}

class Acc {
  lnRates: number[] = [];
  entropies: number[] = [];
  grams = new Set<number>();
  /** Learning: every gram is added (to the program's set and, through `also`, to all programs'). */
  constructor(private readonly also?: Acc) {}
  visit(g: number): boolean {
    this.grams.add(g);
    this.also?.visit(g);
    return true;
  }
  add(w: Window): void {
    this.lnRates.push(w.lnRate);
    this.entropies.push(w.entropy);
  }
  profile(): Profile {
    return { windows: this.lnRates.length, ln_rate: stat(this.lnRates), entropy: stat(this.entropies), ngrams: [...this.grams].sort((a, b) => a - b) };
  }
}

/** Learns a baseline from the windows of clean recordings, fed through `detector`. */
export class BaselineLearner {
  private readonly byComm = new Map<string, Acc>();
  private readonly all = new Acc();
  private readonly windows = new SyscallWindows((comm) => this.acc(comm), (w) => {
    this.acc(w.comm).add(w);
    this.all.add(w);
  });

  private acc(comm: string): Acc {
    let a = this.byComm.get(comm);
    if (!a) this.byComm.set(comm, (a = new Acc(this.all)));
    return a;
  }

  /** A detector that feeds this learner (it raises nothing). */
  readonly detector: Detector = {
    name: 'baseline-learner',
    version: '1',
    description: 'learns a baseline',
    tables: { syscall: { columns: ['nr', 'comm'] }, proc: { where: { kind: ['exit'] } } },
    create: () => ({
      syscall: (e) => this.windows.call(e.pid, e.nr, e.ns, e),
      proc: (e) => this.windows.end(e.pid),
    }),
  };

  /** The baseline of everything fed so far (open windows are closed first). */
  baseline(arch: string, sources: Baseline['sources']): Baseline {
    const profiles: Record<string, Profile> = {};
    for (const comm of [...this.byComm.keys()].sort()) profiles[comm] = this.byComm.get(comm)!.profile();
    return { format: 'flightrec-baseline', version: 1, window_ms: WINDOW_NS / 1e6, ngram: NGRAM, arch, sources, profiles, global: this.all.profile() };
  }

  /** Closes the windows still open at the end of a recording. */
  flush(): void {
    this.windows.endAll();
  }
}

export function checkBaseline(v: unknown, file: string): Baseline {
  const b = v as Partial<Baseline> | null;
  if (typeof b !== 'object' || b === null || b.format !== 'flightrec-baseline') throw new Error(`${file} is not a flightrec baseline (make one with flightrec baseline learn)`);
  if (b.version !== 1) throw new Error(`${file}: baseline version ${String(b.version)} is not supported (this flightrec reads version 1)`);
  if (b.window_ms !== WINDOW_NS / 1e6 || b.ngram !== NGRAM) throw new Error(`${file}: baseline was learned with other windows or n-grams; learn it again`);
  const okProfile = (p: unknown): boolean => {
    const x = p as Partial<Profile> | null;
    return typeof x === 'object' && x !== null && Array.isArray(x.ngrams) && typeof x.ln_rate?.mean === 'number' && typeof x.entropy?.mean === 'number';
  };
  if (!okProfile(b.global) || typeof b.profiles !== 'object' || b.profiles === null || !Object.values(b.profiles).every(okProfile)) {
    throw new Error(`${file}: malformed baseline (profiles missing or incomplete)`);
  }
  return b as Baseline;
}
