import { describe, expect, it } from 'vitest';
import type { Topology } from '../src/index.ts';
import { TopologyError, parseNative, parseTopology } from '../src/index.ts';
import { fixture, issuesOf, pairs } from './helpers.ts';

const HOST_NODE = { name: 'host', kind: 'host', interfaces: [], routes: [], sysctls: {}, exec: [] };
const netns = (name: string, interfaces: unknown[]) => ({ name, kind: 'netns', interfaces, routes: [], sysctls: {}, exec: [] });

describe('seed topologies', () => {
  it('reads the veth pair (seed 000 §三)', () => {
    const parsed = parseTopology(fixture('veth.yaml'));
    expect(parsed.format).toBe('native');
    expect(parsed.warnings).toEqual([]);
    expect(parsed.topology).toStrictEqual({
      name: 'veth',
      nodes: [
        HOST_NODE,
        netns('ns1', [{ name: 'veth-01', kind: 'veth', addresses: ['10.1.5.10/24'] }]),
        netns('ns2', [{ name: 'veth-10', kind: 'veth', addresses: ['10.1.5.11/24'] }]),
      ],
      links: [{ a: { node: 'ns1', interface: 'veth-01' }, b: { node: 'ns2', interface: 'veth-10' } }],
      requires: [],
    });
  });

  it('reads the bridge (seed 000 §四)', () => {
    const { topology } = parseTopology(fixture('bridge.yaml'));
    expect(topology).toStrictEqual({
      name: 'bridge',
      nodes: [
        {
          ...HOST_NODE,
          interfaces: [
            { name: 'br0', kind: 'bridge', addresses: [] },
            { name: 'br-int0', kind: 'veth', addresses: [], master: 'br0' },
            { name: 'br-int1', kind: 'veth', addresses: [], master: 'br0' },
          ],
        },
        netns('ns1', [{ name: 'int0', kind: 'veth', addresses: ['10.5.1.10/24'] }]),
        netns('ns2', [{ name: 'int1', kind: 'veth', addresses: ['10.5.1.11/24'] }]),
      ],
      links: [
        { a: { node: 'ns1', interface: 'int0' }, b: { node: 'host', interface: 'br-int0' } },
        { a: { node: 'ns2', interface: 'int1' }, b: { node: 'host', interface: 'br-int1' } },
      ],
      requires: [],
    });
  });
});

describe('resolution', () => {
  const full = (): Topology => parseTopology(fixture('full.yaml')).topology;

  it('always puts the lab host first, configured or not', () => {
    expect(parseTopology('nodes: { ns1: {} }').topology.nodes.map((n) => [n.name, n.kind])).toEqual([['host', 'host'], ['ns1', 'netns']]);
    expect(full().nodes.map((n) => n.name)).toEqual(['host', 'ns1', 'ns2', 'ns3']);
  });

  it('keeps interface order: bridges, config order, then link-created in link order', () => {
    const t = full();
    expect(t.nodes[0]!.interfaces.map((i) => i.name)).toEqual(['br0', 'dummy0', 'br-int0', 'eth9']);
    expect(t.nodes[2]!.interfaces.map((i) => i.name)).toEqual(['veth-10', '10', 'peer1']);
    expect(t.nodes[3]!.interfaces.map((i) => i.name)).toEqual(['veth-01', 'eth9']);
  });

  it('resolves kinds and defaults', () => {
    const ns1 = full().nodes[1]!;
    const byName = Object.fromEntries(ns1.interfaces.map((i) => [i.name, i]));
    expect(byName.lo).toStrictEqual({ name: 'lo', kind: 'loopback', addresses: [], up: true });
    expect(byName.port1).toStrictEqual({ name: 'port1', kind: 'veth', addresses: [], master: 'br1' });
    expect(byName.vx0!.vxlan).toStrictEqual({ id: 42, dev: 'int0', local: '10.5.1.10', remote: '10.5.1.11', dstport: 4790 });
    expect(byName.mv0).toMatchObject({ kind: 'macvlan', parent: 'int0', macvlanMode: 'private' });
    expect(byName['int0.10']).toMatchObject({ kind: 'vlan', parent: 'int0', vlanId: 10 });
    expect(byName.br1).toMatchObject({ kind: 'bridge', vlanFiltering: true });
    expect(parseTopology('nodes: { ns1: { interfaces: { vx0: { kind: vxlan, id: 7 } } } }').topology.nodes[1]!.interfaces[0]!.vxlan).toStrictEqual({ id: 7, dstport: 4789 });
  });

  it('turns YAML numbers into sysctl strings', () => {
    const t = full();
    expect(t.nodes[0]!.sysctls).toStrictEqual({ 'net.ipv4.ip_forward': '1' });
    expect(t.nodes[1]!.sysctls).toStrictEqual({ 'net.ipv4.conf.all.rp_filter': '0', 'net.ipv6.conf.all.forwarding': '1' });
  });

  it('reads routes, exec, position and requires', () => {
    const t = full();
    expect(t.requires).toEqual(['nat']);
    expect(t.nodes[1]!.routes).toStrictEqual([
      { to: 'default', via: '10.5.1.1' },
      { to: '10.9.0.0/16', dev: 'int0', metric: 10 },
      { to: '2001:db8:9::/48', via: '2001:db8:5::1' },
    ]);
    expect(t.nodes[1]!.exec).toHaveLength(2);
    expect(t.nodes[1]!.position).toStrictEqual({ x: 100, y: 200.5 });
  });

  it('lets a host-side end join a bridge and treats host: as the lab host', () => {
    const t = full();
    expect(t.links).toContainEqual({ a: { node: 'ns3', interface: 'eth9' }, b: { node: 'host', interface: 'eth9' } });
    expect(t.nodes[0]!.interfaces.find((i) => i.name === 'br-int0')).toStrictEqual({ name: 'br-int0', kind: 'veth', addresses: [], master: 'br0' });
  });

  it('accepts plain objects as well as YAML maps', () => {
    const { topology } = parseNative({ nodes: { ns1: { interfaces: { a: {} } }, ns2: null }, links: [{ endpoints: ['ns1:a', 'ns2:b'] }] });
    expect(topology.links).toHaveLength(1);
  });
});

describe('validation', () => {
  const ns = (body: string) => `nodes:\n  ns1:\n${body}\n  ns2: {}\n`;

  // [description, yaml, field, rule]
  const cases: [string, string, string, string][] = [
    ['hostile node name', 'nodes: { "a;reboot": {} }', 'nodes["a;reboot"]', 'node-name'],
    ['command substitution', 'nodes: { "$(id)": {} }', 'nodes["$(id)"]', 'node-name'],
    ['leading dash', 'nodes: { "-x": {} }', 'nodes.-x', 'node-name'],
    ['path traversal', 'nodes: { "../../etc": {} }', 'nodes["../../etc"]', 'node-name'],
    ['newline', 'nodes: { "a\\nb": {} }', 'nodes["a\\nb"]', 'node-name'],
    ['control character', 'nodes: { "a\\x01b": {} }', 'nodes["a\\u0001b"]', 'node-name'],
    ['Cyrillic look-alike', 'nodes: { "n\u0430me": {} }', 'nodes["n\\u0430me"]', 'node-name'],
    ['all digits', 'nodes: { "123": {} }', 'nodes.123', 'node-name'],
    ['bad lab name', 'name: "my lab"\nnodes: {}', 'name', 'lab-name'],
    ['16-byte interface in a link', 'nodes: { ns1: {}, ns2: {} }\nlinks: [{ endpoints: ["ns1:abcdefghijklmnop", "ns2:b"] }]', 'links[0].endpoints[0]', 'interface-name'],
    ['hostile interface config', ns('    interfaces: { "a;b": { kind: dummy } }'), 'nodes.ns1.interfaces["a;b"]', 'interface-name'],
    ['dot interface', ns('    interfaces: { "..": { kind: dummy } }'), 'nodes.ns1.interfaces[".."]', 'interface-name'],
    ['bridge named like a node', 'nodes: { ns1: {} }\nbridges: { ns1: {} }', 'bridges.ns1', 'duplicate'],
    ['interface in two links', 'nodes: { ns1: {}, ns2: {} }\nlinks: [{ endpoints: ["ns1:a", "ns2:a"] }, { endpoints: ["ns1:a", "ns2:b"] }]', 'links[1].endpoints[0]', 'duplicate'],
    ['link end clashing with a bridge', ns('    interfaces: { br1: { kind: bridge } }') + 'links: [{ endpoints: ["ns1:br1", "ns2:x"] }]', 'links[0].endpoints[0]', 'duplicate'],
    ['host end clashing with a host bridge', 'nodes: { ns1: {} }\nbridges: { br0: {} }\nlinks: [{ endpoints: ["ns1:a", "host:br0"] }]', 'links[0].endpoints[1]', 'duplicate'],
    ['lo as a link end', 'nodes: { ns1: {}, ns2: {} }\nlinks: [{ endpoints: ["ns1:lo", "ns2:b"] }]', 'links[0].endpoints[0]', 'kind'],
    ['unknown node', 'nodes: { ns1: {}, ns2: {} }\nlinks: [{ endpoints: ["ns1:a", "ns3:b"] }]', 'links[0].endpoints[1]', 'unknown-node'],
    ['endpoint without colon', 'nodes: { ns1: {} }\nlinks: [{ endpoints: ["ns1-a", "ns1:b"] }]', 'links[0].endpoints[0]', 'endpoint'],
    ['endpoint with two colons', 'nodes: { ns1: {} }\nlinks: [{ endpoints: ["ns1:a:b", "ns1:b"] }]', 'links[0].endpoints[0]', 'endpoint'],
    ['three endpoints', 'nodes: { ns1: {} }\nlinks: [{ endpoints: ["ns1:a", "ns1:b", "ns1:c"] }]', 'links[0].endpoints', 'endpoint'],
    ['missing endpoints', 'nodes: { ns1: {} }\nlinks: [{}]', 'links[0].endpoints', 'required'],
    ['identical endpoints', 'nodes: { ns1: {} }\nlinks: [{ endpoints: ["ns1:a", "ns1:a"] }]', 'links[0]', 'same-endpoint'],
    ['address without prefix', ns('    interfaces: { lo: { addresses: [10.1.5.10] } }'), 'nodes.ns1.interfaces.lo.addresses[0]', 'cidr'],
    ['duplicate address', ns('    interfaces: { lo: { addresses: [10.1.5.10/24, 10.1.5.10/24] } }'), 'nodes.ns1.interfaces.lo.addresses[1]', 'duplicate'],
    ['MTU too small', ns('    interfaces: { d0: { kind: dummy, mtu: 9 } }'), 'nodes.ns1.interfaces.d0.mtu', 'mtu'],
    ['MTU too big', ns('    interfaces: { d0: { kind: dummy, mtu: 70000 } }'), 'nodes.ns1.interfaces.d0.mtu', 'mtu'],
    ['bad MAC', ns('    interfaces: { d0: { kind: dummy, mac: "01:00:5e:00:00:01" } }'), 'nodes.ns1.interfaces.d0.mac', 'mac'],
    ['misspelt key', ns('    interfaces: { d0: { kind: dummy, adresses: [] } }'), 'nodes.ns1.interfaces.d0.adresses', 'unknown-key'],
    ['misspelt top-level key', 'nodes: {}\nlink: []', 'link', 'unknown-key'],
    ['misspelt node key', ns('    route: []'), 'nodes.ns1.route', 'unknown-key'],
    ['key of another kind', ns('    interfaces: { br1: { kind: bridge, id: 3 } }'), 'nodes.ns1.interfaces.br1.id', 'unknown-key'],
    ['unknown interface kind', ns('    interfaces: { b: { kind: brige } }'), 'nodes.ns1.interfaces.b.kind', 'enum'],
    ['loopback kind on another name', ns('    interfaces: { lo2: { kind: loopback } }'), 'nodes.ns1.interfaces.lo2.kind', 'kind'],
    ['yes is not a boolean', ns('    interfaces: { d0: { kind: dummy, up: yes } }'), 'nodes.ns1.interfaces.d0.up', 'type'],
    ['MTU as text', ns('    interfaces: { d0: { kind: dummy, mtu: "1500" } }'), 'nodes.ns1.interfaces.d0.mtu', 'type'],
    ['addresses not a list', ns('    interfaces: { d0: { kind: dummy, addresses: 10.0.0.1/24 } }'), 'nodes.ns1.interfaces.d0.addresses', 'type'],
    ['address not a string', ns('    interfaces: { d0: { kind: dummy, addresses: [5] } }'), 'nodes.ns1.interfaces.d0.addresses[0]', 'type'],
    ['nodes is a list', 'nodes: [ns1]', 'nodes', 'type'],
    ['master missing', ns('    interfaces: { d0: { kind: dummy, master: br9 } }'), 'nodes.ns1.interfaces.d0.master', 'master'],
    ['master not a bridge', ns('    interfaces: { d0: { kind: dummy, master: d1 }, d1: { kind: dummy } }'), 'nodes.ns1.interfaces.d0.master', 'master'],
    ['bridge in a bridge', ns('    interfaces: { b0: { kind: bridge, master: b1 }, b1: { kind: bridge } }'), 'nodes.ns1.interfaces.b0.master', 'master'],
    ['master in another node', 'nodes: { ns1: { interfaces: { d0: { kind: dummy, master: br0 } } } }\nbridges: { br0: {} }', 'nodes.ns1.interfaces.d0.master', 'master'],
    ['macvlan without parent', ns('    interfaces: { m0: { kind: macvlan } }'), 'nodes.ns1.interfaces.m0.parent', 'required'],
    ['macvlan parent elsewhere', ns('    interfaces: { m0: { kind: macvlan, parent: eth0 } }'), 'nodes.ns1.interfaces.m0.parent', 'unknown-interface'],
    ['macvlan mode', ns('    interfaces: { d: { kind: dummy }, m0: { kind: macvlan, parent: d, mode: bridged } }'), 'nodes.ns1.interfaces.m0.mode', 'enum'],
    ['vlan parent missing', ns('    interfaces: { v: { kind: vlan, parent: eth0, id: 10 } }'), 'nodes.ns1.interfaces.v.parent', 'unknown-interface'],
    ['vlan id 0', ns('    interfaces: { d: { kind: dummy }, v: { kind: vlan, parent: d, id: 0 } }'), 'nodes.ns1.interfaces.v.id', 'range'],
    ['vlan id 4095', ns('    interfaces: { d: { kind: dummy }, v: { kind: vlan, parent: d, id: 4095 } }'), 'nodes.ns1.interfaces.v.id', 'range'],
    ['vlan without id', ns('    interfaces: { d: { kind: dummy }, v: { kind: vlan, parent: d } }'), 'nodes.ns1.interfaces.v.id', 'required'],
    ['vxlan dev elsewhere', ns('    interfaces: { vx: { kind: vxlan, id: 1, dev: eth0 } }'), 'nodes.ns1.interfaces.vx.dev', 'unknown-interface'],
    ['vxlan id too big', ns('    interfaces: { vx: { kind: vxlan, id: 16777216 } }'), 'nodes.ns1.interfaces.vx.id', 'range'],
    ['vxlan dstport 0', ns('    interfaces: { vx: { kind: vxlan, id: 1, dstport: 0 } }'), 'nodes.ns1.interfaces.vx.dstport', 'range'],
    ['vxlan dstport 65536', ns('    interfaces: { vx: { kind: vxlan, id: 1, dstport: 65536 } }'), 'nodes.ns1.interfaces.vx.dstport', 'range'],
    ['vxlan without id', ns('    interfaces: { vx: { kind: vxlan } }'), 'nodes.ns1.interfaces.vx.id', 'required'],
    ['vxlan bad remote', ns('    interfaces: { vx: { kind: vxlan, id: 1, remote: 10.0.0.300 } }'), 'nodes.ns1.interfaces.vx.remote', 'ip'],
    ['vxlan unicast group', ns('    interfaces: { vx: { kind: vxlan, id: 1, group: 10.0.0.1 } }'), 'nodes.ns1.interfaces.vx.group', 'ip'],
    ['parent cycle', ns('    interfaces: { a: { kind: vlan, parent: b, id: 1 }, b: { kind: vlan, parent: a, id: 2 } }'), 'nodes.ns1.interfaces.a', 'parent'],
    ['route without to', ns('    routes: [{ via: 10.0.0.1 }]'), 'nodes.ns1.routes[0].to', 'required'],
    ['route to a bare IP', ns('    routes: [{ to: 10.9.0.0, via: 10.0.0.1 }]'), 'nodes.ns1.routes[0].to', 'cidr'],
    ['route with host bits', ns('    routes: [{ to: 10.9.0.1/16, via: 10.0.0.1 }]'), 'nodes.ns1.routes[0].to', 'cidr'],
    ['route via a prefix', ns('    routes: [{ to: default, via: 10.0.0.1/24 }]'), 'nodes.ns1.routes[0].via', 'ip'],
    ['route via other family', ns('    routes: [{ to: 10.9.0.0/16, via: "2001:db8::1" }]'), 'nodes.ns1.routes[0].via', 'family'],
    ['route dev elsewhere', ns('    routes: [{ to: default, dev: eth0 }]'), 'nodes.ns1.routes[0].dev', 'unknown-interface'],
    ['route with no next hop', ns('    routes: [{ to: default }]'), 'nodes.ns1.routes[0]', 'required'],
    ['route metric', ns('    routes: [{ to: default, dev: lo, metric: -1 }]'), 'nodes.ns1.routes[0].metric', 'range'],
    ['duplicate route', ns('    routes: [{ to: default, via: 10.0.0.1 }, { to: default, via: 10.0.0.2 }]'), 'nodes.ns1.routes[1]', 'duplicate'],
    ['route not a map', ns('    routes: ["default via 10.0.0.1"]'), 'nodes.ns1.routes[0]', 'type'],
    ['non-network sysctl', ns('    sysctls: { kernel.panic: 1 }'), 'nodes.ns1.sysctls["kernel.panic"]', 'sysctl'],
    ['sysctl path tricks', ns('    sysctls: { "net/../../kernel/panic": 1 }'), 'nodes.ns1.sysctls["net/../../kernel/panic"]', 'sysctl'],
    ['hostile sysctl value', ns('    sysctls: { net.ipv4.ip_forward: "1; reboot" }'), 'nodes.ns1.sysctls["net.ipv4.ip_forward"]', 'sysctl'],
    ['sysctl value a list', ns('    sysctls: { net.ipv4.ip_forward: [1] }'), 'nodes.ns1.sysctls["net.ipv4.ip_forward"]', 'type'],
    ['empty exec line', ns('    exec: [""]'), 'nodes.ns1.exec[0]', 'exec'],
    ['unterminated quote', ns(`    exec: ["echo 'oops"]`), 'nodes.ns1.exec[0]', 'exec'],
    ['newline in exec', ns('    exec: ["ip link\\nreboot"]'), 'nodes.ns1.exec[0]', 'exec'],
    ['exec not a string', ns('    exec: [5]'), 'nodes.ns1.exec[0]', 'type'],
    ['position not numbers', ns('    position: { x: left, y: 1 }'), 'nodes.ns1.position.x', 'type'],
    ['position without y', ns('    position: { x: 1 }'), 'nodes.ns1.position.y', 'required'],
    ['config without link or kind', ns('    interfaces: { eth5: { addresses: [10.0.0.1/24] } }'), 'nodes.ns1.interfaces.eth5', 'unlinked'],
    ['explicit veth without link', ns('    interfaces: { eth5: { kind: veth } }'), 'nodes.ns1.interfaces.eth5', 'unpaired'],
    ['unknown capability', 'requires: [nat, vxlam]\nnodes: {}', 'requires[1]', 'enum'],
    ['node named host twice over', 'nodes: {}\nbridges: { host: {} }', 'bridges.host', 'duplicate'],
  ];

  it.each(cases)('%s', (_, yaml, field, rule) => {
    expect(pairs(issuesOf(yaml))).toContain(`${field} ${rule}`);
  });

  it('reports every issue at once, each only once', () => {
    const issues = issuesOf(
      [
        'nodes:',
        '  "a;reboot": {}',
        '  ns1:',
        '    interfaces:',
        '      veth-01: { adresses: [10.0.0.1/24], mtu: 9 }',
        '    sysctls: { kernel.panic: 1 }',
        'links:',
        '  - endpoints: ["ns1:veth-01", "nsx:veth-10"]',
      ].join('\n'),
    );
    expect(pairs(issues).sort()).toEqual(
      [
        'nodes["a;reboot"] node-name',
        'nodes.ns1.interfaces.veth-01.adresses unknown-key',
        'nodes.ns1.interfaces.veth-01.mtu mtu',
        'nodes.ns1.sysctls["kernel.panic"] sysctl',
        'links[0].endpoints[1] unknown-node',
      ].sort(),
    );
  });

  it('suggests what was probably meant', () => {
    const [issue] = issuesOf(`nodes:\n  ns1:\n    interfaces:\n      d0: { kind: dummy, adresses: [] }`);
    expect(issue!.message).toMatch(/did you mean "addresses"\?/);
    expect(issuesOf('nodes: { ns1: {} }\nlinks: [{ endpoints: ["nsl:a", "ns1:b"] }]')[0]!.message).toMatch(/did you mean "ns1"\?/);
    expect(issuesOf('nodes: {}\nlink: []')[0]!.message).toMatch(/did you mean "links"\?/);
    expect(issuesOf('nodes: { ns1: { interfaces: { b: { kind: brige } } } }')[0]!.message).toMatch(/did you mean "bridge"\?/);
  });

  it('tells the user how to fix a missing prefix and an unlinked interface', () => {
    expect(issuesOf(ns('    interfaces: { lo: { addresses: [10.1.5.10] } }'))[0]!.message).toContain('needs a prefix length, e.g. 10.1.5.10/24');
    expect(issuesOf(ns('    interfaces: { eth5: {} }'))[0]!.message).toMatch(/add a link with endpoint "ns1:eth5", or set kind/);
    expect(issuesOf(ns('    sysctls: { kernel.panic: 1 }'))[0]!.message).toMatch(/only net\.\* keys/);
  });

  it('quotes hostile text in messages instead of echoing it raw', () => {
    const [issue] = issuesOf('nodes: { "a\\nb": {} }');
    expect(issue!.message).not.toContain('\n');
    expect(issue!.message).toContain('"a\\nb"');
  });
});

describe('YAML safety', () => {
  it('reports syntax errors with line and column', () => {
    const [issue] = issuesOf('nodes:\n  ns1: [1, 2\n  ns2: {}\n');
    expect(issue!.field).toBe('yaml');
    expect(issue!.message).toMatch(/^line \d+, column \d+: /);
  });

  it('refuses duplicate keys', () => {
    expect(issuesOf('nodes: {}\nnodes: {}\n')[0]!.message).toMatch(/line 2, column 1: Map keys must be unique/);
  });

  it('refuses alias bombs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${new Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`), 'nodes: {}'].join('\n');
    const [issue] = issuesOf(bomb);
    expect(issue).toMatchObject({ field: 'yaml' });
  });

  it('refuses documents over 1 MiB', () => {
    const big = `nodes: {}\n# ${'x'.repeat(1024 * 1024)}\n`;
    expect(issuesOf(big)).toEqual([expect.objectContaining({ field: 'yaml', rule: 'size' })]);
  });

  it('refuses empty documents and non-map roots', () => {
    expect(issuesOf('')[0]).toMatchObject({ field: 'yaml', rule: 'required' });
    expect(issuesOf('- a\n- b\n')[0]).toMatchObject({ field: 'document', rule: 'type' });
  });

  it('throws TopologyError with code INVALID_TOPOLOGY', () => {
    try {
      parseTopology('nodes: [');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TopologyError);
      expect((e as TopologyError).code).toBe('INVALID_TOPOLOGY');
    }
  });
});
