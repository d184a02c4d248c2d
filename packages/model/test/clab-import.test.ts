// containerlab files containerlab accepts: interface aliases, folded exec lines, environment
// variables, grouped warnings, links nslab leaves out with a warning, lo up.
import { describe, expect, it } from 'vitest';
import { mapInterfaceAlias } from '../src/clab-aliases.ts';
import { expandEnv } from '../src/clab-env.ts';
import { fieldPattern } from '../src/clab-notes.ts';
import { parseTopology, planDeploy, render } from '../src/index.ts';
import { fixture, issuesOf, pairs } from './helpers.ts';

const parse = (text: string, env?: Record<string, string>) => parseTopology(text, { format: 'clab', ...(env ? { env } : {}) });
const ifaces = (text: string, node: string) => parse(text).topology.nodes.find((n) => n.name === node)!.interfaces.map((i) => i.name);

describe('interface aliases (containerlab maps them to kernel names)', () => {
  it('maps each kind the way containerlab does', () => {
    const cases: [string, string, string][] = [
      ['nokia_srlinux', 'ethernet-1/1', 'e1-1'],
      ['srl', 'ethernet-2/10/3', 'e2-10-3'],
      ['nokia_srsim', '1/1/c1/1', 'e1-1-c1-1'],
      ['nokia_srsim', '1/x2/1/c3/1', 'e1-x2-1-c3-1'],
      ['nokia_srsim', '2/1/4', 'e2-1-4'],
      ['nokia_sros', '1/1/3', 'eth3'],
      ['nokia_sros', '1/1/c2/1', 'eth2'],
      ['juniper_vmx', 'ge-0/0/0', 'eth1'],
      ['cisco_xrv9k', 'Gi0/0/0/2', 'eth3'],
      ['cisco_csr1000v', 'GigabitEthernet2', 'eth1'],
      ['arista_veos', 'Et1/4', 'eth4'],
      ['juniper_cjunosevolved', 'et-0/0/0', 'eth4'],
      ['cisco_iol', 'e0/1', 'eth1'],
      ['cisco_iol', 'Ethernet1/0', 'eth4'],
      ['nvidia_cumulusvx', 'swp3', 'eth3'],
    ];
    for (const [kind, alias, name] of cases) expect(mapInterfaceAlias(kind, alias), `${kind} ${alias}`).toEqual({ name });
    // Not aliases: Linux names, and kinds without aliases.
    expect(mapInterfaceAlias('nokia_srlinux', 'e1-1')).toBeUndefined();
    expect(mapInterfaceAlias('juniper_vmx', 'eth2')).toBeUndefined();
    expect(mapInterfaceAlias('linux', 'ethernet-1/1')).toBeUndefined();
    expect(mapInterfaceAlias(undefined, 'ethernet-1/1')).toBeUndefined();
  });

  it('links name the kernel interface, and a warning shows it', () => {
    const text = `
name: sros-srl
topology:
  nodes:
    srl: { kind: nokia_srlinux, image: ghcr.io/nokia/srlinux }
    sros: { kind: nokia_srsim, image: nokia_srsim:25.7 }
  links:
    - endpoints: ["srl:ethernet-1/1", "sros:1/1/c1/1"]
`;
    const { topology, warnings } = parse(text);
    expect(topology.links).toEqual([{ a: { node: 'srl', interface: 'e1-1' }, b: { node: 'sros', interface: 'e1-1-c1-1' } }]);
    expect(ifaces(text, 'srl')).toEqual(['lo', 'e1-1']);
    expect(warnings).toContainEqual({
      field: 'topology.links[0].endpoints[*]',
      message: 'interface aliases become their Linux names, as containerlab maps them: srl:ethernet-1/1 -> e1-1, sros:1/1/c1/1 -> e1-1-c1-1',
    });
  });

  it('one alias alone: the warning names the node, the alias and the kernel name', () => {
    const { warnings } = parse('topology:\n  nodes:\n    r1: { kind: srl }\n    h1: { kind: linux }\n  links:\n    - endpoints: ["r1:ethernet-1/3", "h1:eth1"]\n');
    expect(warnings).toContainEqual({
      field: 'topology.links[0].endpoints[0]',
      message: 'r1:ethernet-1/3 is "e1-3" in the kernel: containerlab maps srl interface names to Linux names, and so does nslab',
    });
  });

  it('an alias containerlab refuses is an error naming the endpoint and the rule', () => {
    const issues = issuesOf('topology:\n  nodes:\n    r1: { kind: srl }\n    r2: { kind: nokia_sros }\n  links:\n    - endpoints: ["r1:ethernet-0/1", "r2:2/1/1"]\n', { format: 'clab' });
    expect(pairs(issues)).toEqual(['topology.links[0].endpoints[0] interface-alias', 'topology.links[0].endpoints[1] interface-alias']);
    expect(issues[0]!.message).toBe('"ethernet-0/1" on srl node "r1": the linecard number in ethernet-0/1 is 0; containerlab needs it to be 1 or more');
    expect(issues[1]!.message).toMatch(/not on slot 1 \/ MDA 1/);
  });

  it('a linux node has no aliases: a "/" in its interface name is still refused', () => {
    expect(pairs(issuesOf('topology:\n  nodes:\n    a: { kind: linux }\n    b: { kind: linux }\n  links:\n    - endpoints: ["a:ethernet-1/1", "b:eth1"]\n', { format: 'clab' })))
      .toEqual(['topology.links[0].endpoints[0] interface-name']);
  });
});

describe('folded exec lines', () => {
  it('drops the newline a folded or literal block leaves at the end', () => {
    const { topology } = parse(`
topology:
  nodes:
    a:
      kind: linux
      exec:
        - >
          ip addr add
          10.0.0.1/24 dev eth1
        - |
          ip link set dev eth1 mtu 1400
        - "ip route add default via 10.0.0.254   "
`);
    expect(topology.nodes[1]!.exec).toEqual(['ip addr add 10.0.0.1/24 dev eth1', 'ip link set dev eth1 mtu 1400', 'ip route add default via 10.0.0.254']);
  });

  it('a block of two commands is still refused: no shell runs exec lines', () => {
    const issues = issuesOf('topology:\n  nodes:\n    a:\n      kind: linux\n      exec:\n        - |\n          ip link set lo up\n          reboot\n', { format: 'clab' });
    expect(pairs(issues)).toEqual(['topology.nodes.a.exec[0] exec']);
  });
});

describe('environment variables (containerlab expands them in the text)', () => {
  it('follows envsubst: values, defaults, unset left as written, $$ and $1', () => {
    const env = { SET: 'v', EMPTY: '' };
    const x = (s: string) => expandEnv(s, env).text;
    expect(x('$SET ${SET} ${SET:=d} ${SET:-d} ${SET=d} ${SET:+alt}')).toBe('v v v v v alt');
    expect(x('${NOPE:=d} ${NOPE:-d} ${NOPE=d} ${NOPE+alt}|')).toBe('d d d |');
    expect(x('${EMPTY:=d} ${EMPTY=d}')).toBe('d ${EMPTY=d}');
    expect(x('$NOPE ${NOPE} costs $$5, $1 and ${1} stay')).toBe('$NOPE ${NOPE} costs $5, $1 and ${1} stay');
    expect(x('${A:=$SET}')).toBe('v');
    expect(expandEnv('$NOPE ${EMPTY} $NOPE', env).unset).toEqual(['NOPE', 'EMPTY']);
  });

  it('expands a clab file from the given environment, with defaults', () => {
    const text = `
name: \${LAB_NAME:=quick}
prefix: \${CLAB_PREFIX:=""}
topology:
  nodes:
    srl:
      kind: linux
      image: \${SRL_IMAGE:=ghcr.io/nokia/srlinux}:\${SRL_VERSION:=latest}
      exec: ["ip addr add \${SRV_IP:=10.0.0.1/24} dev eth1"]
    \${PEER:=h1}: { kind: linux }
  links:
    - endpoints: ["srl:eth1", "\${PEER:=h1}:eth1"]
`;
    const defaults = parse(text, {});
    expect(defaults.topology.name).toBe('quick');
    expect(defaults.topology.nodes.map((n) => n.name)).toEqual(['host', 'srl', 'h1']);
    expect(defaults.topology.nodes[1]!.exec).toEqual(['ip addr add 10.0.0.1/24 dev eth1']);
    expect(defaults.warnings.map((w) => w.message).join('\n')).toContain('image "ghcr.io/nokia/srlinux:latest" is not reproduced');
    const set = parse(text, { LAB_NAME: 'mine', SRV_IP: '192.0.2.1/24', PEER: 'client' });
    expect(set.topology.name).toBe('mine');
    expect(set.topology.nodes[1]!.exec).toEqual(['ip addr add 192.0.2.1/24 dev eth1']);
    expect(set.topology.links).toEqual([{ a: { node: 'srl', interface: 'eth1' }, b: { node: 'client', interface: 'eth1' } }]);
  });

  it('a file found to be containerlab by its topology: key is expanded too; a native file is not', () => {
    const clab = parseTopology('name: ${N:=x}\ntopology:\n  nodes: { a: { kind: linux } }\n', { env: {} });
    expect(clab.topology.name).toBe('x');
    const native = parseTopology('nodes:\n  a:\n    exec: ["echo ${N:=x}"]\n', { env: {} });
    expect(native.topology.nodes[1]!.exec).toEqual(['echo ${N:=x}']);
  });

  it('says which variables were left as written, and that a server reads no environment', () => {
    const text = 'topology:\n  nodes:\n    a: { kind: linux, exec: ["ip addr add $ADDR dev eth1"] }\n';
    expect(parse(text, {}).warnings[0]).toEqual({ field: 'yaml', message: 'environment variables not set and without a default, left as written: ADDR' });
    // No environment at all (the server's own must not leak into a stranger's lab): defaults only.
    expect(parseTopology(text, { format: 'clab' }).warnings[0]!.message).toMatch(/^environment variables are not read here, only their defaults .*: ADDR$/);
  });

  it('a ${ with no } on its line is an error with its line', () => {
    const issues = issuesOf('name: x\ntopology:\n  nodes:\n    a:\n      image: ${IMG\n', { fileName: 'x.clab.yml', env: {} });
    expect(pairs(issues)).toEqual(['yaml env']);
    expect(issues[0]!.message).toMatch(/^line 5, column 14: `\$\{` has no closing `\}` on its line/);
  });
});

describe('grouped warnings', () => {
  it('one warning per kind of thing not reproduced, listing the nodes', () => {
    const nodes = Array.from({ length: 44 }, (_, i) => `    leaf${i + 1}: { kind: nokia_srlinux, image: ghcr.io/nokia/srlinux, startup-config: leaf${i + 1}.cfg }`).join('\n');
    const { warnings } = parse(`name: fabric\ntopology:\n  nodes:\n${nodes}\n`);
    expect(warnings).toHaveLength(3);
    const leaves = 'leaf1, leaf2, leaf3, leaf4, leaf5, leaf6, leaf7, leaf8, leaf9, leaf10, leaf11, leaf12 and 32 more';
    expect(warnings).toEqual([
      { field: 'topology.nodes.*.image', message: `image is not reproduced (set for ${leaves}): nslab nodes are plain network namespaces using the lab host's tools, not containers` },
      { field: 'topology.nodes.*.startup-config', message: `startup-config is not reproduced (set for ${leaves}): nslab nodes are plain network namespaces using the lab host's tools, not containers` },
      { field: 'topology.nodes.*.kind', message: `kind "nokia_srlinux" is not reproduced; its 44 nodes (${leaves}) become plain namespaces so their wiring can be explored` },
    ]);
  });

  it('fieldPattern stars the one segment that differs', () => {
    expect(fieldPattern(['topology.nodes.a.image', 'topology.nodes["b.c"].image'])).toBe('topology.nodes.*.image');
    expect(fieldPattern(['topology.links[0].endpoints[1]', 'topology.links[3].endpoints[1]'])).toBe('topology.links[*].endpoints[1]');
    expect(fieldPattern(['topology.kinds.x.image', 'topology.nodes.y.image'])).toBe('topology.kinds.x.image');
  });
});

describe('links nslab leaves out, with a warning instead of a refusal', () => {
  it('host ends whose names Linux cannot hold, macvlan, mgmt-net and vxlan links', () => {
    const long = 'veth-to-the-host-0123456789abcde'; // 32 bytes
    const { topology, warnings } = parse(`
name: outside
topology:
  nodes:
    a: { kind: linux }
    b: { kind: linux }
    br: { kind: bridge }
  links:
    - endpoints: ["a:eth1", "b:eth1"]
    - endpoints: ["a:eth2", "host:${long}"]
    - { type: host, endpoint: { node: b, interface: eth2 }, host-interface: ${long} }
    - endpoints: ["b:eth3", "br:port-with-a-long-name"]
    - endpoints: ["a:eth4", "macvlan:enp0s3"]
    - { type: macvlan, endpoint: { node: a, interface: eth5 }, host-interface: enp0s3, mode: bridge }
    - endpoints: ["a:eth0", "mgmt-net:a-eth0"]
    - { type: vxlan, endpoint: { node: b, interface: vx1 }, remote: 192.0.2.1, vni: 100, udp-port: 4789 }
`);
    expect(topology.links).toEqual([{ a: { node: 'a', interface: 'eth1' }, b: { node: 'b', interface: 'eth1' } }]);
    const text = warnings.map((w) => `${w.field}: ${w.message}`);
    expect(text).toContainEqual(
      'topology.links[1].endpoints[1]: ends in the lab host with names over 15 bytes (IFNAMSIZ) cannot be made; their links are not reproduced: ' +
        `links[1] (host:${long}, 32 bytes), links[2] (host:${long}, 32 bytes), links[3] (br:port-with-a-long-name, 21 bytes)`,
    );
    expect(text).toContainEqual('topology.links[4].endpoints[1]: macvlan:enp0s3 reaches outside the lab; this link is not reproduced');
    expect(text).toContainEqual('topology.links[5].type: links of type "macvlan" reach outside the lab and are not reproduced');
    expect(text).toContainEqual('topology.links[6].endpoints[1]: mgmt-net:a-eth0 reaches outside the lab; this link is not reproduced');
    expect(text).toContainEqual('topology.links[7].type: links of type "vxlan" reach outside the lab and are not reproduced');
    // The keys of a link that is left out (mode, remote, vni) are not warned about one by one.
    expect(text.filter((t) => /unknown key/.test(t))).toEqual([]);
  });

  it('one such end alone: the warning says what it is and how long', () => {
    const { warnings } = parse('topology:\n  nodes:\n    a: { kind: linux }\n  links:\n    - { type: host, endpoint: { node: a, interface: eth2 }, host-interface: a-very-long-host-name }\n');
    expect(warnings).toEqual([{
      field: 'topology.links[0].host-interface',
      message: '"a-very-long-host-name" (host interface) is 21 bytes; Linux interface names are at most 15 bytes (IFNAMSIZ), so this link is not reproduced',
    }]);
  });

  it('keeps the refusal where the file is broken: the seed\'s misindented links:', () => {
    expect(pairs(issuesOf(fixture('seed-veth-mistake.clab.yaml'), { fileName: 'clab.yaml' }))).toEqual(['topology.nodes.links misplaced-links']);
  });
});

describe('lo', () => {
  it('is up in every namespace made from a clab node, before the exec lines run', () => {
    const { topology } = parseTopology(fixture('seed-veth.clab.yaml'));
    const lines = planDeploy(topology).map((op) => render(op).line);
    const loUp = lines.indexOf('ip -n server1 link set dev lo up');
    expect(loUp).toBeGreaterThan(-1);
    expect(lines.indexOf('ip netns exec server1 ip addr add 10.1.5.10/24 dev net0')).toBeGreaterThan(loUp);
    expect(lines).toContain('ip -n server2 link set dev lo up');
  });
});
