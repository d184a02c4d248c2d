import { describe, expect, it } from 'vitest';
import { RESERVED_NODE_NAMES, checkInterfaceName, checkMac, checkMtu, checkNodeName, didYouMean, editDistance } from '../src/index.ts';

// Strings a hostile or careless topology might use as names; every one must be refused.
const HOSTILE = ['a;reboot', '$(id)', '`id`', '-x', '../../etc', 'a\nb', 'a\u0001b', 'a b', 'a/b', 'a:b', "a'b", 'a"b', 'n\u0430me', ''];

describe('checkNodeName', () => {
  it.each(['ns1', 'server-1', 'a.b', 'A_b', '1a', 'x'.repeat(64)])('accepts %j', (name) => {
    expect(checkNodeName(name)).toBeNull();
  });

  it.each([...HOSTILE, '.', '..', '_x', 'x'.repeat(65)])('rejects %j', (name) => {
    expect(checkNodeName(name)).toEqual(expect.any(String));
  });

  it('explains why all-digit names are refused', () => {
    expect(checkNodeName('1')).toMatch(/ip -n 1.*process 1/);
    expect(checkNodeName('123')).toMatch(/all digits/);
  });

  it('names look-alike and control characters', () => {
    expect(checkNodeName('n\u0430me')).toMatch(/U\+0430.*looks like a Latin letter/);
    expect(checkNodeName('a\nb')).toMatch(/control character \(U\+000A\)/);
    expect(checkNodeName('-x')).toMatch(/option/);
    expect(checkNodeName('x'.repeat(65))).toMatch(/65 bytes/);
  });

  it('reserves the lab host name for the caller to place', () => {
    expect(RESERVED_NODE_NAMES).toContain('host');
    expect(checkNodeName('host')).toBeNull();
  });
});

describe('checkInterfaceName', () => {
  it.each(['eth0', 'veth-01', 'eth0.10', '_x', 'br-int0', '10', 'x'.repeat(15)])('accepts %j', (name) => {
    expect(checkInterfaceName(name)).toBeNull();
  });

  it.each([...HOSTILE, '.', '..', '.x', 'a\tb', '\u00e9th0', 'x'.repeat(16)])('rejects %j', (name) => {
    expect(checkInterfaceName(name)).toEqual(expect.any(String));
  });

  it('counts bytes against IFNAMSIZ', () => {
    expect(checkInterfaceName('abcdefghijklmno')).toBeNull();
    expect(checkInterfaceName('abcdefghijklmnop')).toMatch(/16 bytes.*15 bytes/);
  });
});

describe('checkMac / checkMtu', () => {
  it('accepts unicast MACs only', () => {
    expect(checkMac('02:00:00:00:00:01')).toBeNull();
    expect(checkMac('AA:bb:CC:dd:EE:f0')).toBeNull();
    expect(checkMac('01:00:5e:00:00:01')).toMatch(/multicast/);
    expect(checkMac('00:00:00:00:00:00')).toEqual(expect.any(String));
    expect(checkMac('02-00-00-00-00-01')).toEqual(expect.any(String));
    expect(checkMac('02:00:00:00:00')).toEqual(expect.any(String));
  });

  it('bounds the MTU to 68-65535', () => {
    expect(checkMtu(68)).toBeNull();
    expect(checkMtu(1500)).toBeNull();
    expect(checkMtu(65535)).toBeNull();
    expect(checkMtu(67)).toMatch(/68-65535/);
    expect(checkMtu(65536)).toEqual(expect.any(String));
    expect(checkMtu(1500.5)).toMatch(/whole number/);
  });
});

describe('didYouMean', () => {
  it('suggests close keys', () => {
    expect(didYouMean('adresses', ['kind', 'addresses', 'up'])).toBe('addresses');
    expect(didYouMean('mut', ['mtu', 'mac'])).toBe('mtu');
    expect(didYouMean('Links', ['nodes', 'links'])).toBe('links');
    expect(didYouMean('ns3', ['ns1', 'ns2'])).toBe('ns1');
  });

  it('stays quiet when nothing is close', () => {
    expect(didYouMean('xyzzy', ['addresses', 'kind'])).toBeUndefined();
    expect(didYouMean('id', ['up'])).toBeUndefined();
    expect(didYouMean('', ['a'])).toBeUndefined();
  });

  it('counts a transposition as one edit', () => {
    expect(editDistance('mtu', 'mut')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
