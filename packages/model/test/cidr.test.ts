import { describe, expect, it } from 'vitest';
import { checkCidr, checkIp, formatIp, hasHostBits, isIpv6LinkLocal, networkOf, parseCidr, parseIp, sameSubnet, formatCidr } from '../src/index.ts';

describe('checkCidr', () => {
  it.each([
    '10.1.5.10/24', '0.0.0.0/0', '255.255.255.255/32', '10.0.0.0/8',
    '::/0', '::1/128', 'fe80::1/64', '2001:db8::1/64', '2001:DB8:0:0:0:0:0:1/128', '::ffff:10.0.0.1/128',
    '1:2:3:4:5:6:7::/64', '::2:3:4:5:6:7:8/64', '1:2:3:4:5:6:1.2.3.4/96', '1::/16',
  ])('accepts %s', (s) => {
    expect(checkCidr(s)).toBeNull();
  });

  it.each([
    '256.1.1.1/24', '01.2.3.4/8', '1.2.3/24', '1.2.3.4.5/24', '1.2.3.4/33', '1.2.3.4/-1', '1.2.3.4/024', '1.2.3.4/',
    ' 1.2.3.4/24', '1.2.3.4/24 ', '1.2.3.4/2 4', 'a.b.c.d/24', '0x1.2.3.4/24', '/24', '',
    '2001:db8::1/129', '1::2::3/64', ':::/0', '1:2:3:4:5:6:7:8:9/64', '1:2:3:4:5:6:7/64', '12345::/64', 'g::/64',
    'fe80::1%eth0/64', '1.2.3.4::/64', '::1.2.3/96', ':1::/64', '1::2:/64', '1:2:3:4:5:6:7:8::/64', '::1.2.3.4:5/96',
  ])('rejects %j', (s) => {
    expect(checkCidr(s)).toEqual(expect.any(String));
  });

  it('asks for a prefix length with an example', () => {
    expect(checkCidr('10.1.5.10')).toBe('"10.1.5.10" needs a prefix length, e.g. 10.1.5.10/24');
    expect(checkCidr('2001:db8::1')).toMatch(/needs a prefix length, e\.g\. 2001:db8::1\/64/);
  });

  it('says which part is wrong', () => {
    expect(checkCidr('10.1.5.256/24')).toMatch(/256 is more than 255/);
    expect(checkCidr('10.01.5.1/24')).toMatch(/leading zero/);
    expect(checkCidr('10.1.5.1/40')).toMatch(/0-32/);
    expect(checkCidr('::1/200')).toMatch(/0-128/);
  });
});

describe('IP helpers', () => {
  it('checkIp wants a bare address', () => {
    expect(checkIp('10.0.0.1')).toBeNull();
    expect(checkIp('fe80::1')).toBeNull();
    expect(checkIp('10.0.0.1/24')).toMatch(/without a \/prefix/);
    expect(checkIp('10.0.0')).toEqual(expect.any(String));
  });

  it('parses embedded IPv4 and :: compression', () => {
    expect(Array.from(parseIp('::ffff:10.0.0.1')!.bytes)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1]);
    expect(Array.from(parseIp('1::')!.bytes)).toEqual([0, 1, ...new Array(14).fill(0)]);
    expect(parseIp('10.0.0.1')!.family).toBe(4);
  });

  it('formats canonically (RFC 5952)', () => {
    expect(formatIp(parseIp('2001:db8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
    expect(formatIp(parseIp('0:0:0:0:0:0:0:0')!)).toBe('::');
    expect(formatIp(parseIp('::1')!)).toBe('::1');
    expect(formatIp(parseIp('2001:db8:1:1:1:1:0:1')!)).toBe('2001:db8:1:1:1:1:0:1');
  });

  it('finds the network and stray host bits', () => {
    expect(formatCidr(networkOf(parseCidr('10.9.3.4/16')!))).toBe('10.9.0.0/16');
    expect(hasHostBits(parseCidr('10.9.0.1/16')!)).toBe(true);
    expect(hasHostBits(parseCidr('10.9.0.0/16')!)).toBe(false);
    expect(hasHostBits(parseCidr('2001:db8::/32')!)).toBe(false);
    expect(hasHostBits(parseCidr('10.0.0.1/31')!)).toBe(true);
  });

  it('sameSubnet: each address on-link for the other', () => {
    expect(sameSubnet('10.1.5.10/24', '10.1.5.11/24')).toBe(true);
    expect(sameSubnet('10.1.5.10/24', '10.1.6.11/24')).toBe(false);
    expect(sameSubnet('10.1.5.10/24', '10.1.5.11/16')).toBe(true);
    expect(sameSubnet('10.1.5.10/24', '10.1.9.11/16')).toBe(false);
    expect(sameSubnet('2001:db8::1/64', '2001:db8::2/64')).toBe(true);
    expect(sameSubnet('10.1.5.10/24', '::ffff:10.1.5.11/120')).toBe(false);
    expect(sameSubnet('nonsense', '10.1.5.11/24')).toBe(false);
  });

  it('recognises IPv6 link-local', () => {
    expect(isIpv6LinkLocal('fe80::1/64')).toBe(true);
    expect(isIpv6LinkLocal('febf::1')).toBe(true);
    expect(isIpv6LinkLocal('fec0::1')).toBe(false);
    expect(isIpv6LinkLocal('169.254.1.1/16')).toBe(false);
  });
});
