// What several built-in detectors need: process bookkeeping from the proc table, address
// tests, path tests and window counters. Each detector keeps its own instances (detectors
// share no state).
import type { Event } from '../api.js';
import { AF_INET, AF_INET6, isIpv4Mapped } from '../../text/address.js';

export const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'csh', 'tcsh', 'fish', 'busybox']);

export function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

export { AF_INET, AF_INET6, addressText } from '../../text/address.js';

/** 127.0.0.0/8, ::1, and IPv4-mapped loopback. */
export function isLoopback(family: number, a: Uint8Array): boolean {
  if (family === AF_INET) return a[0] === 127;
  if (family !== AF_INET6) return false;
  if (isIpv4Mapped(a)) return a[12] === 127;
  return a.subarray(0, 15).every((b) => b === 0) && a[15] === 1;
}

/** An IP peer other than this host: not loopback, not the unspecified address. */
export function isRemote(family: number, a: Uint8Array): boolean {
  if (family !== AF_INET && family !== AF_INET6) return false;
  const n = family === AF_INET ? 4 : 16;
  return !isLoopback(family, a) && !a.subarray(0, n).every((b) => b === 0);
}

export interface Proc {
  readonly pid: number;
  ppid: number;
  comm: string;
  /** The file it executed last (undefined: not seen executing in this recording). */
  exe: string | undefined;
  uid: number;
  euid: number;
  /** Forked in the recording and not executed since: it runs its parent's program. */
  forkedOnly: boolean;
}

/** Processes as the proc table tells them: fork, exec and exit. */
export class Processes {
  private readonly byPid = new Map<number, Proc>();

  get(pid: number): Proc | undefined {
    return this.byPid.get(pid);
  }

  /** Applies a proc row; returns the process as it is now (an exited one is forgotten). */
  update(e: Event<'proc'>): Proc {
    const kind = e.kind;
    let p = this.byPid.get(e.pid);
    if (kind === 'fork' || !p) {
      const parent = this.byPid.get(e.ppid);
      p = { pid: e.pid, ppid: e.ppid, comm: e.comm, exe: parent?.exe, uid: e.uid, euid: e.euid, forkedOnly: kind === 'fork' };
      this.byPid.set(e.pid, p);
    }
    p.comm = e.comm;
    p.uid = e.uid;
    p.euid = e.euid;
    if (kind === 'exec') {
      p.exe = e.filename ?? p.exe;
      p.forkedOnly = false;
      p.ppid = e.ppid;
    }
    if (kind === 'exit') this.byPid.delete(e.pid);
    return p;
  }

  /** Pids of the known live processes running the program at `path`. */
  running(path: string): number[] {
    const out: number[] = [];
    for (const p of this.byPid.values()) if (p.exe === path) out.push(p.pid);
    return out;
  }
}

/** One owner's events within the window: keys[head..] oldest first, their count and the sum of their values. */
export interface Window {
  readonly keys: readonly number[];
  readonly head: number;
  readonly count: number;
  readonly total: number;
}

interface Owner extends Window {
  ns: number[];
  keys: number[];
  values: number[];
  head: number;
  count: number;
  total: number;
}

/**
 * The events of each owner within a sliding window of event time, kept as arrays of numbers
 * (a window over a busy process holds many events; objects would weigh on every GC).
 */
export class WindowCounter {
  private readonly owners = new Map<number, Owner>();
  constructor(private readonly windowNs: number) {}

  /** Adds an event with a numeric key (of `value`, default 1) and returns the owner's window. */
  add(owner: number, ns: number, key: number, value = 1): Window {
    let o = this.owners.get(owner);
    if (!o) this.owners.set(owner, (o = { ns: [], keys: [], values: [], head: 0, count: 0, total: 0 }));
    o.ns.push(ns);
    o.keys.push(key);
    o.values.push(value);
    o.total += value;
    while (o.ns[o.head]! < ns - this.windowNs) o.total -= o.values[o.head++]!;
    if (o.head > 1024 && o.head * 2 > o.ns.length) {
      o.ns = o.ns.slice(o.head);
      o.keys = o.keys.slice(o.head);
      o.values = o.values.slice(o.head);
      o.head = 0;
    }
    o.count = o.ns.length - o.head;
    return o;
  }
}

/** Options as numbers, with defaults: a detector's knobs. */
export function numberOption(options: Readonly<Record<string, unknown>>, name: string, fallback: number): number {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`option ${name} must be a non-negative number`);
  return v;
}

export function stringsOption(options: Readonly<Record<string, unknown>>, name: string, fallback: readonly string[]): readonly string[] {
  const v = options[name];
  if (v === undefined) return fallback;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`option ${name} must be a list of strings`);
  return v as string[];
}
