// Repeated alerts grouped: alerts of one detector and kind about one process tree are one
// group, rooted at the process of its first alert. The first alert of a group is raised at
// once, so live alerts stay timely; later ones in the tree are folded into it (counted, their
// seqs kept), and when the group closes (its root process exits, or the events end: the
// recording stops, or replay reaches its end) one summary alert says how many there were and
// from when to when. Both moments are events of the recording's order (or its end), so live
// detection and replay group alike, and the stored alert table holds exactly the alerts that
// were sent: no row is rewritten afterwards, as an updated count would need.

/** How far up the process tree a later alert looks for the root of an open group. */
const MAX_DEPTH = 64;
/** Seqs kept of a group's alerts (as the summary's related_seqs). */
const MAX_SEQS = 1000;
/** Groups open at once: past this, an alert that would open one is raised ungrouped (a long-lived root with ever new titles must not grow memory without bound). */
const MAX_OPEN = 100_000;

export interface Group<T> {
  /** What the first alert was made of; the summary is made from it. */
  readonly first: T;
  readonly root: number;
  count: number;
  lastTs: bigint;
  lastSeq: bigint;
  /** Seqs of the events of its alerts, the first's too (the summary's related_seqs). */
  readonly seqs: bigint[];
  /** Processes whose alerts it holds, in the order they came. */
  readonly pids: number[];
}

export class AlertGroups<T> {
  /** Open groups by root pid, then by detector and kind (an exit looks up its pid only). */
  private readonly open = new Map<number, Map<string, Group<T>>>();
  private size = 0;

  /**
   * An alert of `key` (detector and kind) about `pid`: folded into the open group of the same
   * key rooted at the pid or one of its ancestors, else a new group is opened with this alert
   * first. Returns the group: a count of 1 means the alert opened it (raise it).
   */
  add(key: string, pid: number, ts: bigint, seq: bigint, parentOf: (pid: number) => number | undefined, first: () => T): Group<T> {
    let p: number | undefined = pid;
    for (let depth = 0; p !== undefined && p > 0 && depth < MAX_DEPTH; depth++) {
      const g = this.open.get(p)?.get(key);
      if (g) {
        g.count++;
        g.lastTs = ts;
        g.lastSeq = seq;
        if (g.seqs.length < MAX_SEQS) g.seqs.push(seq);
        if (!g.pids.includes(pid) && g.pids.length < MAX_SEQS) g.pids.push(pid);
        return g;
      }
      const up = parentOf(p);
      p = up === p ? undefined : up;
    }
    let groups = this.open.get(pid);
    if (!groups && this.size < MAX_OPEN) this.open.set(pid, (groups = new Map()));
    const g: Group<T> = { first: first(), root: pid, count: 1, lastTs: ts, lastSeq: seq, seqs: [seq], pids: [pid] };
    if (!groups || this.size >= MAX_OPEN) return g;
    groups.set(key, g);
    this.size++;
    return g;
  }

  /** Closes the groups rooted at a process that exited; returns those with alerts folded into them. */
  closeRoot(pid: number): Group<T>[] {
    const groups = this.open.get(pid);
    if (!groups) return [];
    this.open.delete(pid);
    this.size -= groups.size;
    return [...groups.values()].filter((g) => g.count > 1);
  }

  /** Closes every group (the events ended). */
  closeAll(): Group<T>[] {
    const out: Group<T>[] = [];
    for (const groups of this.open.values()) for (const g of groups.values()) if (g.count > 1) out.push(g);
    this.open.clear();
    this.size = 0;
    return out;
  }
}
