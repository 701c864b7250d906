// The cgroups of a recording's processes: the path of each cgroup id its proc rows carry, and
// the container it is where the path says so, kept in the recording (the cgroup table).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { makeBatch } from '../format/batch.js';

export interface Container {
  readonly id: string;
  /** The runtime whose naming gave it away. */
  readonly runtime: string;
}

export interface CgroupInfo {
  readonly id: bigint;
  /** Below the cgroup2 mount, starting with '/'. */
  readonly path: string;
  readonly container?: Container;
  readonly podUid?: string;
}

const HEX64 = '[0-9a-f]{64}';
/** How runtimes name a container's cgroup: systemd scopes and cgroupfs directories. */
const CONTAINER_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [new RegExp(`/docker-(${HEX64})\\.scope(?:/|$)`), 'docker'],
  [new RegExp(`/docker/(${HEX64})(?:/|$)`), 'docker'],
  [new RegExp(`/cri-containerd-(${HEX64})\\.scope(?:/|$)`), 'containerd'],
  [new RegExp(`/crio-(${HEX64})\\.scope(?:/|$)`), 'cri-o'],
  [new RegExp(`/libpod-(${HEX64})\\.scope(?:/|$)`), 'podman'],
  [new RegExp(`/libpod_parent/libpod-(${HEX64})(?:/|$)`), 'podman'],
  // Kubernetes with cgroupfs: the container's directory right below its pod's.
  [new RegExp(`/kubepods[^/]*/(?:[^/]+/)?pod[0-9a-f_-]+/(${HEX64})(?:/|$)`), 'kubernetes'],
  [/\/machine\.slice\/machine-([^/]+)\.scope(?:\/|$)/, 'systemd-nspawn'],
];

/** systemd escapes a unit name's '-' (and other bytes) as \xNN. */
const unescape = (s: string): string => s.replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

/** The container a cgroup path names, if any. */
export function containerOf(path: string): Container | undefined {
  for (const [re, runtime] of CONTAINER_PATTERNS) {
    const m = re.exec(path);
    if (m) return { id: runtime === 'systemd-nspawn' ? unescape(m[1]!) : m[1]!, runtime };
  }
  return undefined;
}

/** A Kubernetes pod's uid from its cgroup path (systemd: kubepods-...-pod<uid with _>.slice;
 * cgroupfs: kubepods/.../pod<uid>). */
export function podUidOf(path: string): string | undefined {
  const m = /\/kubepods[^/]*(?:\/[^/]*)*?[/-]pod([0-9a-f]{8}[_-][0-9a-f]{4}[_-][0-9a-f]{4}[_-][0-9a-f]{4}[_-][0-9a-f]{12})(?:\.slice)?(?:\/|$)/.exec(path);
  return m ? m[1]!.replace(/_/g, '-') : undefined;
}

/** The paths of cgroup ids (a cgroup's id is the inode of its directory on the cgroup2
 * filesystem): walks the hierarchy below `root` until every id is found. */
export function resolveCgroups(ids: Iterable<bigint>, root: string): CgroupInfo[] {
  const want = new Set(ids);
  const found = new Map<bigint, string>();
  const dirs = [''];
  while (dirs.length > 0 && found.size < want.size) {
    const rel = dirs.pop()!;
    try {
      const ino = statSync(join(root, rel) || '/', { bigint: true }).ino;
      if (want.has(ino)) found.set(ino, rel === '' ? '/' : rel);
      for (const e of readdirSync(join(root, rel), { withFileTypes: true })) if (e.isDirectory()) dirs.push(`${rel}/${e.name}`);
    } catch { /* gone meanwhile */ }
  }
  return [...found].map(([id, path]) => {
    const container = containerOf(path);
    const podUid = podUidOf(path);
    return { id, path, ...(container ? { container } : {}), ...(podUid ? { podUid } : {}) };
  });
}

/** The cgroup table's batch, at `ts`. */
export function cgroupBatch(cgroups: readonly CgroupInfo[], ts: bigint): RecordBatch {
  return makeBatch('cgroup', {
    ts: new BigUint64Array(cgroups.length).fill(ts),
    id: BigUint64Array.from(cgroups, (c) => c.id),
    path: cgroups.map((c) => c.path),
    container_id: cgroups.map((c) => c.container?.id ?? null),
    runtime: cgroups.map((c) => c.container?.runtime ?? null),
    pod_uid: cgroups.map((c) => c.podUid ?? null),
  });
}
