import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { ObservedLab, Topology } from '../src/index.ts';
import { CLAB_IMAGE, observedToTopology, parseClab, parseTopology, toClabYaml, toNativeYaml, validateTopology } from '../src/index.ts';
import { fixture } from './helpers.ts';

const topo = (name: string): Topology => parseTopology(fixture(name)).topology;
const roundTrip = (t: Topology) => parseTopology(toNativeYaml(t)).topology;

describe('toNativeYaml', () => {
  it.each(['veth.yaml', 'bridge.yaml', 'full.yaml', 'keywords.yaml'])('round-trips %s exactly', (f) => {
    const t = topo(f);
    expect(roundTrip(t)).toStrictEqual(t);
  });

  it('writes host bridges under bridges: and their ports as br0:port', () => {
    const text = toNativeYaml(topo('bridge.yaml'));
    expect(text).toContain('bridges:\n  br0: {}\n');
    expect(text).toContain('- endpoints: ["ns1:int0", "br0:br-int0"]');
    expect(text).not.toContain('host:');
    expect(text).not.toContain('master');
  });

  it('keeps interface order that the parser would not produce on its own', () => {
    const t = topo('full.yaml');
    const ns3 = t.nodes.find((n) => n.name === 'ns3')!;
    ns3.interfaces.reverse(); // link-created ends, now against link order
    const host = t.nodes[0]!;
    host.interfaces.push(host.interfaces.shift()!); // the bridge no longer leads
    expect(validateTopology(t)).toEqual([]);
    expect(roundTrip(t)).toStrictEqual(t);
  });

  it('round-trips odd but valid names and values', () => {
    const t = parseTopology(`
nodes:
  "1a":
    interfaces:
      "10": { kind: dummy, addresses: ["2001:db8::1/64"] }
      "true": { kind: dummy, mtu: 9000 }
      "null": { kind: tun }
    sysctls: { net.core.somaxconn: 4096, net.ipv4.ping_group_range: "0 2147483647" }
    exec: ["sh -c 'echo \\"quoted\\" $HOME; true'", "printf '%s\\\\n' a:b"]
`).topology;
    expect(roundTrip(t)).toStrictEqual(t);
  });

  it('round-trips a lab read back from the kernel', () => {
    const t = observedToTopology(OBSERVED);
    expect(roundTrip(t)).toStrictEqual(t);
  });
});

describe('toClabYaml', () => {
  const wiring = (t: Topology) => ({
    nodes: t.nodes.filter((n) => n.kind === 'netns').map((n) => n.name),
    bridges: t.nodes[0]!.interfaces.filter((i) => i.kind === 'bridge').map((i) => i.name),
    links: t.links.map((l) => [`${l.a.node}:${l.a.interface}`, `${l.b.node}:${l.b.interface}`]),
    ports: t.nodes[0]!.interfaces.filter((i) => i.master).map((i) => `${i.name}>${i.master}`),
  });

  it.each(['veth.yaml', 'bridge.yaml', 'full.yaml'])('re-imports %s with the same wiring', (f) => {
    const t = topo(f);
    const clab = toClabYaml(t);
    const back = parseTopology(clab, { fileName: 'lab.clab.yml' });
    expect(back.format).toBe('clab');
    expect(wiring(back.topology)).toEqual(wiring(t));
  });

  it('replays addresses, routes, sysctls and exec lines in each container', () => {
    const doc = YAML.parse(toClabYaml(topo('full.yaml')));
    expect(doc.name).toBe('everything');
    expect(doc.topology.nodes.br0).toEqual({ kind: 'bridge' });
    const ns1 = doc.topology.nodes.ns1;
    expect(ns1.kind).toBe('linux');
    expect(ns1.image).toBe(CLAB_IMAGE);
    expect(ns1.exec).toEqual(
      expect.arrayContaining([
        'ip link add name vx0 type vxlan id 42 dev int0 local 10.5.1.10 remote 10.5.1.11 dstport 4790',
        'ip addr add 10.5.1.10/24 dev int0',
        'ip route add default via 10.5.1.1',
        'sysctl -w net.ipv4.conf.all.rp_filter=0',
      ]),
    );
    expect(ns1.exec.at(-1)).toBe('iptables -t nat -A POSTROUTING -o int0 -j MASQUERADE');
    expect(doc.topology.links).toContainEqual({ endpoints: ['ns3:eth9', 'host:eth9'] });
  });

  it('the seed file exported again matches containerlab semantics', () => {
    const seed = parseTopology(fixture('seed-veth.clab.yaml')).topology;
    const again = parseClab(YAML.parseDocument(toClabYaml(seed)).toJS({ mapAsMap: true }));
    expect(again.topology.links).toEqual(seed.links);
    expect(again.topology.nodes.map((n) => n.exec)).toEqual(seed.nodes.map((n) => n.exec));
  });

  it('lists host-side setup that containerlab does not do as a comment', () => {
    const text = toClabYaml(topo('bridge.yaml'));
    expect(text).toMatch(/^# .*\n(# .*\n)*#   ip link add name br0 type bridge\n/);
    expect(text).not.toMatch(/#.*br-int0/);
  });
});

const iface = (name: string, kind: string, extra: Partial<ObservedLab['nodes'][number]['interfaces'][number]> = {}) => ({
  name, ifindex: 1, kind, state: 'UP', up: true, carrier: true, mac: '02:00:00:00:00:99', mtu: 1500, addresses: [], promisc: false, ...extra,
});

const OBSERVED: ObservedLab = {
  name: 'handmade',
  nodes: [
    {
      name: 'ns1',
      kind: 'netns',
      interfaces: [
        iface('lo', 'loopback', { mtu: 65536, addresses: ['127.0.0.1/8', '::1/128'] }),
        iface('int0', 'veth', { addresses: ['10.5.1.10/24', 'fe80::1/64'], peer: { node: null, interface: 'br-int0', ifindex: 7 } }),
        iface('vx0', 'vxlan', { mtu: 1450, details: { id: 42, dev: 'int0', remote: '10.5.1.11', dstport: 4789 } }),
        iface('mv0', 'macvlan', { details: { parent: 'int0', mode: 'private' } }),
        iface('int0.7', 'vlan', { up: false, details: { parent: 'int0', id: 7 } }),
        iface('gre0', 'ipip'),
        iface('bad\u0430', 'dummy', { unsafeName: true }),
        iface('vl9', 'vlan', { details: { parent: 'bad\u0430', id: 9 } }),
      ],
      routes: [
        { dst: '10.5.1.0/24', dev: 'int0', protocol: 'kernel', scope: 'link', prefsrc: '10.5.1.10' },
        { dst: 'default', via: '10.5.1.1', dev: 'int0', protocol: 'boot' },
        { dst: 'fe80::/64', dev: 'int0', protocol: 'kernel', metric: 256 },
        { dst: '2001:db8:9::/48', dev: 'int0', protocol: 'boot', metric: 1024 },
        { dst: '10.7.7.7', dev: 'int0', protocol: 'static', metric: 5 },
        { dst: '10.8.0.0/16', dev: 'gre0', protocol: 'boot' },
      ],
      neighbours: [],
      sysctls: { 'net.ipv4.ip_forward': '1' },
    },
    {
      name: 'ns2',
      kind: 'netns',
      interfaces: [
        iface('lo', 'loopback', { up: false, state: 'DOWN', mtu: 65536 }),
        iface('int1', 'veth', { up: false, mtu: 9000, promisc: true }),
        iface('stray', 'veth'),
        iface('tap0', 'tap'),
        iface('d0', 'dummy', { master: 'gone' }),
      ],
      routes: [],
      neighbours: [],
      sysctls: {},
    },
    { name: 'evil;name', kind: 'netns', interfaces: [iface('x', 'veth')], routes: [], neighbours: [], sysctls: {}, unsafeName: true },
    {
      name: 'host',
      kind: 'host',
      interfaces: [
        iface('lo', 'loopback', { mtu: 65536, addresses: ['127.0.0.1/8'] }),
        iface('br0', 'bridge', { details: { vlan_filtering: 1 } }),
        iface('br-int0', 'veth', { master: 'br0' }),
        iface('eth9', 'veth'),
      ],
      routes: [],
      neighbours: [],
      sysctls: {},
    },
  ],
  links: [
    { a: { node: 'ns1', interface: 'int0' }, b: { node: 'host', interface: 'br-int0' } },
    { a: { node: 'host', interface: 'br-int0' }, b: { node: 'ns1', interface: 'int0' } },
    { a: { node: 'ns2', interface: 'int1' }, b: { node: 'host', interface: 'eth9' } },
    { a: { node: 'evil;name', interface: 'x' }, b: { node: 'ns2', interface: 'stray' } },
  ],
  bridges: [{ node: 'host', name: 'br0', ports: ['br-int0'], fdb: [] }],
};

describe('observedToTopology', () => {
  it('reads the live lab back as a topology nslab can deploy', () => {
    const t = observedToTopology(OBSERVED);
    expect(t).toStrictEqual({
      name: 'handmade',
      nodes: [
        {
          name: 'host',
          kind: 'host',
          interfaces: [
            { name: 'lo', kind: 'loopback', addresses: [], up: true },
            { name: 'br0', kind: 'bridge', addresses: [], vlanFiltering: true },
            { name: 'br-int0', kind: 'veth', addresses: [], master: 'br0' },
            { name: 'eth9', kind: 'veth', addresses: [] },
          ],
          routes: [],
          sysctls: {},
          exec: [],
        },
        {
          name: 'ns1',
          kind: 'netns',
          interfaces: [
            { name: 'lo', kind: 'loopback', addresses: [], up: true },
            { name: 'int0', kind: 'veth', addresses: ['10.5.1.10/24'] },
            { name: 'vx0', kind: 'vxlan', addresses: [], mtu: 1450, vxlan: { id: 42, dstport: 4789, dev: 'int0', remote: '10.5.1.11' } },
            { name: 'mv0', kind: 'macvlan', addresses: [], parent: 'int0', macvlanMode: 'private' },
            { name: 'int0.7', kind: 'vlan', addresses: [], up: false, parent: 'int0', vlanId: 7 },
          ],
          routes: [
            { to: 'default', via: '10.5.1.1', dev: 'int0' },
            { to: '2001:db8:9::/48', dev: 'int0' },
            { to: '10.7.7.7/32', dev: 'int0', metric: 5 },
          ],
          sysctls: { 'net.ipv4.ip_forward': '1' },
          exec: [],
        },
        {
          name: 'ns2',
          kind: 'netns',
          interfaces: [
            { name: 'int1', kind: 'veth', addresses: [], up: false, mtu: 9000, promisc: true },
            { name: 'tap0', kind: 'tap', addresses: [] },
            { name: 'd0', kind: 'dummy', addresses: [] },
          ],
          routes: [],
          sysctls: {},
          exec: [],
        },
      ],
      links: [
        { a: { node: 'ns1', interface: 'int0' }, b: { node: 'host', interface: 'br-int0' } },
        { a: { node: 'ns2', interface: 'int1' }, b: { node: 'host', interface: 'eth9' } },
      ],
      requires: [],
    });
    expect(validateTopology(t)).toEqual([]);
  });
});
