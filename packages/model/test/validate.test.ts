import { describe, expect, it } from 'vitest';
import type { Topology } from '../src/index.ts';
import { parseTopology, validateTopology } from '../src/index.ts';
import { fixture, pairs } from './helpers.ts';

/** A fresh copy of a seed, ready for programmatic edits. */
function seed(name: string): Topology {
  return structuredClone(parseTopology(fixture(name)).topology);
}

const node = (t: Topology, name: string) => t.nodes.find((n) => n.name === name)!;

describe('validateTopology', () => {
  it('accepts what the parser produces', () => {
    for (const f of ['veth.yaml', 'bridge.yaml', 'full.yaml']) expect(validateTopology(seed(f))).toEqual([]);
  });

  // Each edit below is something a granular server edit could do; all must be caught.
  const edits: [string, (t: Topology) => void, string][] = [
    ['hostile node name', (t) => t.nodes.push({ name: 'a;reboot', kind: 'netns', interfaces: [], routes: [], sysctls: {}, exec: [] }), 'nodes["a;reboot"] node-name'],
    ['second host', (t) => t.nodes.push({ name: 'lab', kind: 'host', interfaces: [], routes: [], sysctls: {}, exec: [] }), 'nodes.lab reserved'],
    ['netns named host', (t) => (t.nodes[0]!.kind = 'netns'), 'nodes.host reserved'],
    ['no host', (t) => t.nodes.shift(), 'nodes required'],
    ['duplicate node', (t) => t.nodes.push(structuredClone(node(t, 'ns2'))), 'nodes.ns2 duplicate'],
    ['16-byte interface', (t) => (node(t, 'ns1').interfaces[0]!.name = 'abcdefghijklmnop'), 'nodes.ns1.interfaces.abcdefghijklmnop interface-name'],
    ['duplicate interface', (t) => node(t, 'ns1').interfaces.push({ name: 'veth-01', kind: 'dummy', addresses: [] }), 'nodes.ns1.interfaces.veth-01 duplicate'],
    ['bad address', (t) => node(t, 'ns1').interfaces[0]!.addresses.push('10.1.5.300/24'), 'nodes.ns1.interfaces.veth-01.addresses[1] cidr'],
    ['bad mtu', (t) => (node(t, 'ns1').interfaces[0]!.mtu = 10), 'nodes.ns1.interfaces.veth-01.mtu mtu'],
    ['master not a bridge', (t) => (node(t, 'ns1').interfaces[0]!.master = 'veth-01x'), 'nodes.ns1.interfaces.veth-01.master master'],
    ['link to a missing node', (t) => (t.links[0]!.b.node = 'ns9'), 'links[0].endpoints[1] unknown-node'],
    ['link to a missing interface', (t) => (t.links[0]!.b.interface = 'nope'), 'links[0].endpoints[1] unknown-interface'],
    ['link to a non-veth', (t) => (node(t, 'ns2').interfaces[0]!.kind = 'dummy'), 'links[0].endpoints[1] kind'],
    ['unpaired veth', (t) => t.links.pop(), 'nodes.ns1.interfaces.veth-01 unpaired'],
    ['same endpoint twice', (t) => (t.links[0]!.b = { ...t.links[0]!.a }), 'links[0] same-endpoint'],
    ['veth in two links', (t) => t.links.push(structuredClone(t.links[0]!)), 'links[1].endpoints[0] duplicate'],
    ['route dev missing', (t) => node(t, 'ns1').routes.push({ to: 'default', dev: 'eth0' }), 'nodes.ns1.routes[0].dev unknown-interface'],
    ['route without to', (t) => node(t, 'ns1').routes.push({ to: '', via: '10.1.5.1' }), 'nodes.ns1.routes[0].to required'],
    ['bad sysctl', (t) => (node(t, 'ns1').sysctls['vm.swappiness'] = '1'), 'nodes.ns1.sysctls["vm.swappiness"] sysctl'],
    ['bad exec', (t) => node(t, 'ns1').exec.push('ip a\nreboot'), 'nodes.ns1.exec[0] exec'],
    ['bad position', (t) => (node(t, 'ns1').position = { x: Number.NaN, y: 0 }), 'nodes.ns1.position.x type'],
    ['unknown capability', (t) => t.requires.push('warp' as never), 'requires[0] enum'],
    ['bad lab name', (t) => (t.name = '../x'), 'name lab-name'],
    ['unknown kind', (t) => (node(t, 'ns1').interfaces[0]!.kind = 'wireguard' as never), 'nodes.ns1.interfaces.veth-01.kind enum'],
    ['setting of another kind', (t) => (node(t, 'ns1').interfaces[0]!.vlanFiltering = true), 'nodes.ns1.interfaces.veth-01.vlan_filtering kind'],
    ['parent on a veth', (t) => (node(t, 'ns1').interfaces[0]!.parent = 'lo'), 'nodes.ns1.interfaces.veth-01.parent kind'],
  ];

  it.each(edits)('%s', (_, edit, expected) => {
    const t = seed('veth.yaml');
    edit(t);
    expect(pairs(validateTopology(t))).toContain(expected);
  });

  it('checks host bridges against node names', () => {
    const t = seed('bridge.yaml');
    node(t, 'host').interfaces[0]!.name = 'ns1';
    for (const i of node(t, 'host').interfaces) if (i.master === 'br0') i.master = 'ns1';
    expect(pairs(validateTopology(t))).toEqual(['nodes.host.interfaces.ns1 duplicate']);
  });
});
