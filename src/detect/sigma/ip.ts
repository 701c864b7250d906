// The `cidr` modifier: a range both as a node:net BlockList (the JavaScript matcher) and as
// the first and last address in 32 hex digits of the IPv6 form, IPv4 as ::ffff:a.b.c.d (hunts
// compare fixed-width hex text). BlockList relates IPv4 and IPv4-mapped IPv6 addresses the
// same way, so both agree on mixed families. Host bits in the rule's range are ignored.
import { BlockList, isIPv4, isIPv6 } from 'node:net';

function v4Bytes(s: string): number[] | null {
  if (!isIPv4(s)) return null;
  return s.split('.').map(Number);
}

/** The 16 bytes of an IPv6 address (without a zone), or null. */
function v6Bytes(s: string): number[] | null {
  if (!isIPv6(s) || s.includes('%')) return null;
  let tail: number[] = [];
  let text = s;
  const dot = s.lastIndexOf(':');
  if (s.includes('.')) {
    const v4 = v4Bytes(s.slice(dot + 1));
    if (!v4) return null;
    tail = v4;
    text = `${s.slice(0, dot + 1)}0:0`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (t: string): number[] => (t === '' ? [] : t.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const r = rest === undefined ? [] : groups(rest);
  const words = rest === undefined ? h : [...h, ...new Array<number>(8 - h.length - r.length).fill(0), ...r];
  if (words.length !== 8) return null;
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** An address as 32 lowercase hex digits of its IPv6 form, or null when it is not an address. */
export function ipHex(s: string): string | null {
  const v4 = v4Bytes(s);
  const bytes = v4 ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4] : v6Bytes(s);
  return bytes ? bytes.map((b) => b.toString(16).padStart(2, '0')).join('') : null;
}

/** The first and last address of `a.b.c.d/n` or `x:y::z/n` in hex (ipHex), or null when it is no range. */
export function cidrRange(cidr: string): { first: string; last: string } | null {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(cidr.trim());
  if (!m) return null;
  const v4 = v4Bytes(m[1]!);
  const bytes = v4 ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4] : v6Bytes(m[1]!);
  if (!bytes) return null;
  const max = v4 ? 32 : 128;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max) return null;
  const bits = prefix + (v4 ? 96 : 0);
  const first: number[] = [];
  const last: number[] = [];
  bytes.forEach((b, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    const mask = (0xff << (8 - keep)) & 0xff;
    first.push(b & mask);
    last.push((b & mask) | (~mask & 0xff));
  });
  const hex = (a: number[]): string => a.map((b) => b.toString(16).padStart(2, '0')).join('');
  return { first: hex(first), last: hex(last) };
}

/** A BlockList holding the range (valid per cidrRange). */
export function cidrBlockList(cidr: string): BlockList {
  const [addr, len] = cidr.trim().split('/') as [string, string | undefined];
  const family = isIPv4(addr) ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  list.addSubnet(addr, len === undefined ? (family === 'ipv4' ? 32 : 128) : Number(len), family);
  return list;
}

/** Whether the address text lies in the list; text that is no address does not. */
export function inBlockList(list: BlockList, text: string): boolean {
  if (isIPv4(text)) return list.check(text, 'ipv4');
  if (isIPv6(text) && !text.includes('%')) return list.check(text, 'ipv6');
  return false;
}
