import { describe, expect, it } from 'vitest';
import { TopologyError, detectFormat, parseClab, parseTopology } from '../src/index.ts';
import { fixture, issuesOf, pairs } from './helpers.ts';

const parse = (text: string) => parseTopology(text, { format: 'clab' });
/** Every namespace made from a clab node has lo up, as Docker leaves it in a container. */
const LO_UP = { name: 'lo', kind: 'loopback', addresses: [], up: true };

describe('containerlab seed (000 §二)', () => {
  it('imports the corrected file', () => {
    const { topology, warnings, format } = parseTopology(fixture('seed-veth.clab.yaml'));
    expect(format).toBe('clab');
    expect(topology).toStrictEqual({
      name: 'veth',
      nodes: [
        { name: 'host', kind: 'host', interfaces: [], routes: [], sysctls: {}, exec: [] },
        { name: 'server1', kind: 'netns', interfaces: [LO_UP, { name: 'net0', kind: 'veth', addresses: [] }], routes: [], sysctls: {}, exec: ['ip addr add 10.1.5.10/24 dev net0'] },
        { name: 'server2', kind: 'netns', interfaces: [LO_UP, { name: 'net0', kind: 'veth', addresses: [] }], routes: [], sysctls: {}, exec: ['ip addr add 10.1.5.11/24 dev net0'] },
      ],
      links: [{ a: { node: 'server1', interface: 'net0' }, b: { node: 'server2', interface: 'net0' } }],
      requires: [],
    });
    // One warning for the image both nodes name, listing them.
    expect(warnings).toEqual([
      { field: 'topology.nodes.*.image', message: "image is not reproduced (set for server1, server2): nslab nodes are plain network namespaces using the lab host's tools, not containers" },
    ]);
  });

  it('explains the misplaced links: in the original file', () => {
    const text = fixture('seed-veth-mistake.clab.yaml');
    let error: TopologyError | undefined;
    try {
      parseTopology(text, { fileName: 'clab.yaml' });
    } catch (e) {
      error = e as TopologyError;
    }
    expect(error).toBeInstanceOf(TopologyError);
    expect(error!.issues).toHaveLength(1);
    const [issue] = error!.issues;
    expect(issue).toMatchObject({ field: 'topology.nodes.links', rule: 'misplaced-links' });
    expect(issue!.message).toContain('`links:` is indented under `nodes:`');
    expect(issue!.message).toContain('a node named "links"');
    expect(issue!.message).toContain('lines up with `nodes:` (a child of `topology:`)');
  });

  it('also catches a misplaced links map with endpoints', () => {
    const text = 'name: x\ntopology:\n  nodes:\n    a: { kind: linux }\n    links: { endpoints: ["a:e1", "a:e2"] }\n';
    expect(pairs(issuesOf(text))).toEqual(['topology.nodes.links misplaced-links']);
  });
});

describe('format detection', () => {
  it('uses the file name, then the topology key', () => {
    expect(detectFormat(new Map([['nodes', {}]]), 'lab.clab.yml')).toBe('clab');
    expect(detectFormat({ nodes: {} }, 'lab.CLAB.YAML')).toBe('clab');
    expect(detectFormat({ topology: {} })).toBe('clab');
    expect(detectFormat({ nodes: {} }, 'lab.yaml')).toBe('native');
    expect(detectFormat(null)).toBe('native');
  });
});

describe('containerlab import', () => {
  it('inherits defaults < kinds < groups < node, replacing exec lists', () => {
    const { topology } = parse(`
name: inherit
topology:
  defaults: { kind: linux, exec: ["echo defaults"] }
  kinds:
    linux: { exec: ["echo kind"], sysctls: { net.ipv4.ip_forward: 1 } }
  groups:
    routers: { exec: ["echo group"] }
  nodes:
    plain: {}
    grouped: { group: routers }
    own: { group: routers, exec: ["echo own"] }
`);
    const exec = Object.fromEntries(topology.nodes.filter((n) => n.kind === 'netns').map((n) => [n.name, n.exec]));
    expect(exec).toEqual({ plain: ['echo kind'], grouped: ['echo group'], own: ['echo own'] });
    expect(topology.nodes[1]!.sysctls).toEqual({ 'net.ipv4.ip_forward': '1' });
  });

  it('turns bridge nodes into host bridges and their endpoints into ports', () => {
    const { topology, warnings } = parse(`
name: br
topology:
  nodes:
    br-clab: { kind: bridge }
    ovs: { kind: ovs-bridge }
    srv1: { kind: linux }
    srv2: { kind: linux }
  links:
    - endpoints: ["srv1:eth1", "br-clab:srv1-eth1"]
    - endpoints: ["srv2:eth1", "ovs:srv2-eth1"]
    - endpoints: ["srv2:eth9", "host:srv2-eth9"]
`);
    expect(topology.nodes.map((n) => n.name)).toEqual(['host', 'srv1', 'srv2']);
    expect(topology.nodes[0]!.interfaces).toStrictEqual([
      { name: 'br-clab', kind: 'bridge', addresses: [] },
      { name: 'ovs', kind: 'bridge', addresses: [] },
      { name: 'srv1-eth1', kind: 'veth', addresses: [], master: 'br-clab' },
      { name: 'srv2-eth1', kind: 'veth', addresses: [], master: 'ovs' },
      { name: 'srv2-eth9', kind: 'veth', addresses: [] },
    ]);
    expect(topology.links[2]).toEqual({ a: { node: 'srv2', interface: 'eth9' }, b: { node: 'host', interface: 'srv2-eth9' } });
    expect(warnings).toContainEqual({ field: 'topology.nodes.ovs.kind', message: expect.stringMatching(/plain Linux bridge/) });
  });

  it('imports other kinds as plain namespaces, with a warning', () => {
    const { topology, warnings } = parse(`
name: srl
topology:
  kinds:
    nokia_srlinux: { image: ghcr.io/nokia/srlinux, type: ixrd2 }
  nodes:
    X: { kind: nokia_srlinux, startup-config: x.cfg, mgmt-ipv4: 172.20.20.2 }
    Y: { kind: linux, image: alpine, binds: [a:b], exce: [] }
  links:
    - endpoints: ["X:e1-1", "Y:eth1"]
`);
    expect(topology.nodes.map((n) => [n.name, n.kind])).toEqual([['host', 'host'], ['X', 'netns'], ['Y', 'netns']]);
    expect(warnings).toContainEqual({ field: 'topology.nodes.X.kind', message: 'kind "nokia_srlinux" is not reproduced; X becomes a plain namespace so its wiring can be explored' });
    expect(warnings.map((w) => w.field)).toEqual(
      expect.arrayContaining([
        // Set in two places that differ in more than one segment: the first place is named.
        'topology.kinds.nokia_srlinux.image',
        'topology.kinds.nokia_srlinux.type',
        'topology.nodes.X.startup-config',
        'topology.nodes.X.mgmt-ipv4',
        'topology.nodes.Y.binds',
        'topology.nodes.Y.exce',
      ]),
    );
    expect(warnings.find((w) => w.field === 'topology.kinds.nokia_srlinux.image')!.message).toMatch(/^image is not reproduced \(set for kinds\.nokia_srlinux, Y\)/);
    expect(warnings.find((w) => w.field === 'topology.nodes.Y.exce')!.message).toMatch(/did you mean "exec"\?/);
  });

  it('reads the newer link form with endpoint objects', () => {
    const { topology } = parse(`
name: new
topology:
  nodes: { a: { kind: linux }, b: { kind: linux } }
  links:
    - type: veth
      mtu: 9000
      endpoints:
        - { node: a, interface: eth1, mac: "02:00:00:00:00:0a" }
        - { node: b, interface: eth1 }
    - { type: host, endpoint: { node: b, interface: eth2 }, host-interface: b-eth2 }
    - { type: dummy, endpoint: { node: a, interface: dummy0 } }
    - { type: mgmt-net, endpoint: { node: a, interface: eth0 }, host-interface: a-mgmt }
    - endpoints: ["a:eth0", "mgmt-net:a-eth0"]
`);
    expect(topology.links).toEqual([
      { a: { node: 'a', interface: 'eth1' }, b: { node: 'b', interface: 'eth1' } },
      { a: { node: 'b', interface: 'eth2' }, b: { node: 'host', interface: 'b-eth2' } },
    ]);
    expect(topology.nodes[1]!.interfaces).toStrictEqual([
      LO_UP,
      { name: 'eth1', kind: 'veth', addresses: [], mtu: 9000, mac: '02:00:00:00:00:0a' },
      { name: 'dummy0', kind: 'dummy', addresses: [] },
    ]);
  });

  it('still rejects what would be unsafe or impossible', () => {
    const issues = issuesOf(`
name: bad
topology:
  nodes:
    "a;b": { kind: linux }
    srv: { kind: linux, exec: ["ip a\\nreboot"], sysctls: { kernel.panic: 1 } }
  links:
    - endpoints: ["srv:eth1", "svr2:eth1"]
    - endpoints: ["srv:ethernet-1/1", "a;b:eth1"]
    - endpoints: ["srv:eth1", "a;b:eth2"]
`, { format: 'clab' });
    expect(pairs(issues)).toEqual(
      expect.arrayContaining([
        'topology.nodes["a;b"] node-name',
        'topology.nodes.srv.exec[0] exec',
        'topology.links[0].endpoints[1] unknown-node',
        'topology.links[1].endpoints[0] interface-name',
      ]),
    );
    expect(pairs(issues)).not.toContain('topology.nodes.srv.sysctls["kernel.panic"] sysctl');
  });

  it('needs a topology with nodes', () => {
    expect(pairs(issuesOf('name: x\ntopology: {}\n'))).toEqual(['topology.nodes required']);
    expect(() => parseClab({ name: 'x' })).toThrow(TopologyError);
  });
});
