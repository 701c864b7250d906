import { describe, expect, it } from 'vitest';
import { ipHex } from '../../../src/detect/sigma/index.js';
import { cidrRange } from '../../../src/detect/sigma/ip.js';

describe('addresses for hunts', () => {
  it('ipHex: 32 hex digits of the IPv6 form, IPv4 as ::ffff:a.b.c.d; null for anything else', () => {
    expect(ipHex('10.0.0.1')).toBe('00000000000000000000ffff0a000001');
    expect(ipHex('::ffff:10.0.0.1')).toBe('00000000000000000000ffff0a000001');
    expect(ipHex('::ffff:a00:1')).toBe('00000000000000000000ffff0a000001');
    expect(ipHex('::1')).toBe('00000000000000000000000000000001');
    expect(ipHex('::')).toBe('00000000000000000000000000000000');
    expect(ipHex('2001:db8::8a2e:370:7334')).toBe('20010db80000000000008a2e03707334');
    expect(ipHex('1:2:3:4:5:6:7:8')).toBe('00010002000300040005000600070008');
    expect(ipHex('64:ff9b::192.0.2.33')).toBe('0064ff9b0000000000000000c0000221');
    for (const bad of ['', 'x', '10.0.0', '010.0.0.1', '1.2.3.4.5', 'fe80::1%eth0', '::ffff:1.2.3', '1::2::3']) expect(ipHex(bad)).toBeNull();
  });

  it('cidrRange: the first and last address, host bits ignored; no prefix is one address', () => {
    expect(cidrRange('10.0.0.0/8')).toEqual({ first: '00000000000000000000ffff0a000000', last: '00000000000000000000ffff0affffff' });
    expect(cidrRange('10.1.2.3/8')).toEqual(cidrRange('10.0.0.0/8'));
    expect(cidrRange('172.16.0.0/12')).toEqual({ first: '00000000000000000000ffffac100000', last: '00000000000000000000ffffac1fffff' });
    expect(cidrRange('192.168.1.1')).toEqual({ first: '00000000000000000000ffffc0a80101', last: '00000000000000000000ffffc0a80101' });
    expect(cidrRange('0.0.0.0/0')).toEqual({ first: '00000000000000000000ffff00000000', last: '00000000000000000000ffffffffffff' });
    expect(cidrRange('::/0')).toEqual({ first: '0'.repeat(32), last: 'f'.repeat(32) });
    expect(cidrRange('2001:db8::/32')).toEqual({ first: '20010db8000000000000000000000000', last: '20010db8ffffffffffffffffffffffff' });
    for (const bad of ['10.0.0.0/33', '::/129', 'x/8', '10.0.0.0/', '10.0.0.0/8/8', '']) expect(cidrRange(bad)).toBeNull();
  });
});
