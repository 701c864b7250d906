// What several built-in detectors need: address tests, path tests and window counters
// (process bookkeeping is ../process-table.ts). Each detector keeps its own instances (detectors
// share no state).
import type { Endpoint, Event } from '../api.js';
import { AF_INET, AF_INET6, addressText, isIpv4Mapped } from '../../text/address.js';

export const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'csh', 'tcsh', 'fish', 'busybox']);

export function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

export { AF_INET, AF_INET6, addressText } from '../../text/address.js';

/** The other end of a connect (its destination) or an accept (its source), as an alert names it. */
export function remoteOf(e: Pick<Event<'net'>, 'op' | 'family' | 'saddr' | 'sport' | 'daddr' | 'dport'>): Endpoint {
  return e.op === 'accept' ? { address: addressText(e.family, e.saddr), port: e.sport, inbound: true } : { address: addressText(e.family, e.daddr), port: e.dport };
}

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
