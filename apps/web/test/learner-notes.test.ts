// Small explanations beside live data: whose MAC a bridge learned, why an interface without an
// address has traffic, and which shell a guide's command block is typed in.
import { describe, expect, it } from 'vitest';
import type { ObservedLab } from '@nslab/model';
import { macOwners, macOwnerText } from '../src/panels/mac-owner.ts';
import { linkLocalNote, onlyLinkLocal } from '../src/panels/link-local.ts';
import { shellLabel, shellOf } from '../src/guide/command-shell.ts';

const iface = (name: string, mac: string, kind = 'veth') => ({ name, mac, kind, ifindex: 1, state: 'UP', up: true, carrier: true, mtu: 1500, addresses: [], promisc: false });
const lab: ObservedLab = {
  name: 't',
  nodes: [
    { name: 'host', kind: 'host', interfaces: [iface('br0', '02:00:00:00:00:a0', 'bridge'), iface('br-int0', '02:00:00:00:00:A0')], routes: [], neighbours: [], sysctls: {} },
    { name: 'ns1', kind: 'netns', interfaces: [iface('int0', '02:00:00:00:00:10')], routes: [], neighbours: [], sysctls: {} },
  ],
  links: [],
  bridges: [],
};

describe('fdb entries say whose MAC they are', () => {
  it('a learned MAC: the namespace and interface that carries it', () => {
    expect(macOwnerText(macOwners(lab, '02:00:00:00:00:10', 'host'))).toBe('ns1 · int0');
  });
  it('a MAC several interfaces carry: each, case-insensitively; on its own port: only that port', () => {
    expect(macOwnerText(macOwners(lab, '02:00:00:00:00:a0', 'host'))).toBe('lab host · br0, lab host · br-int0');
    expect(macOwnerText(macOwners(lab, '02:00:00:00:00:a0', 'host', 'br-int0'))).toBe('lab host · br-int0');
  });
  it('a MAC from nowhere in the lab: empty', () => {
    expect(macOwners(lab, '02:00:00:00:00:99', 'host')).toEqual([]);
    expect(macOwners(null, '02:00:00:00:00:10')).toEqual([]);
  });
});

describe('link-local chatter', () => {
  it('traffic on an interface with no address (or only fe80::) gets the note', () => {
    expect(linkLocalNote([{ kind: 'veth', addresses: [] }], 3)).toContain('IPv6 link-local');
    expect(linkLocalNote([{ kind: 'veth', addresses: ['fe80::1/64'] }, { kind: 'veth', addresses: [] }], 1)).not.toBeNull();
  });
  it('no note without traffic, with a real address, or on loopback', () => {
    expect(linkLocalNote([{ kind: 'veth', addresses: [] }], 0)).toBeNull();
    expect(linkLocalNote([{ kind: 'veth', addresses: ['fe80::1/64', '10.1.5.10/24'] }], 5)).toBeNull();
    expect(onlyLinkLocal({ kind: 'loopback', addresses: [] })).toBe(false);
    expect(onlyLinkLocal({ kind: 'veth', addresses: ['2001:db8::1/64'] })).toBe(false);
  });
});

describe('which shell a command block is typed in', () => {
  it('shell blocks: the lab host unless the fence names a node', () => {
    expect(shellOf('bash', '')).toBe('host');
    expect(shellOf('sh', 'in=ns1')).toBe('ns1');
    expect(shellOf('bash', 'title x in=server1 more')).toBe('server1');
    expect(shellLabel('host')).toBe('the lab host');
    expect(shellLabel('ns1')).toBe('ns1');
  });
  it('YAML, plain text and diagrams are not typed anywhere; a bad node name is ignored', () => {
    expect(shellOf('yaml', '')).toBeNull();
    expect(shellOf('', '')).toBeNull();
    expect(shellOf('text', '')).toBeNull();
    expect(shellOf('bash', 'in=ns1;rm')).toBe('host');
  });
});
