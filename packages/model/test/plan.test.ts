import { describe, expect, it } from 'vitest';
import { parseTopology, planDeploy, render, renderScript } from '../src/index.ts';
import { fixture } from './helpers.ts';

const argvOf = (name: string) => planDeploy(parseTopology(fixture(name)).topology).map((op) => render(op).argv);

describe('planDeploy + render for the seeds', () => {
  it('rebuilds the veth pair like 1-setup-env.sh, creating each end in place', () => {
    expect(argvOf('veth.yaml')).toEqual([
      ['ip', 'netns', 'add', 'ns1'],
      ['ip', 'netns', 'add', 'ns2'],
      ['ip', 'link', 'add', 'name', 'veth-01', 'netns', 'ns1', 'type', 'veth', 'peer', 'name', 'veth-10', 'netns', 'ns2'],
      ['ip', '-n', 'ns1', 'link', 'set', 'dev', 'veth-01', 'up'],
      ['ip', '-n', 'ns1', 'addr', 'add', '10.1.5.10/24', 'dev', 'veth-01'],
      ['ip', '-n', 'ns2', 'link', 'set', 'dev', 'veth-10', 'up'],
      ['ip', '-n', 'ns2', 'addr', 'add', '10.1.5.11/24', 'dev', 'veth-10'],
    ]);
  });

  it('rebuilds the bridge lab', () => {
    expect(argvOf('bridge.yaml')).toEqual([
      ['ip', 'netns', 'add', 'ns1'],
      ['ip', 'netns', 'add', 'ns2'],
      ['ip', 'link', 'add', 'name', 'br0', 'type', 'bridge'],
      ['ip', 'link', 'add', 'name', 'int0', 'netns', 'ns1', 'type', 'veth', 'peer', 'name', 'br-int0'],
      ['ip', 'link', 'add', 'name', 'int1', 'netns', 'ns2', 'type', 'veth', 'peer', 'name', 'br-int1'],
      ['ip', 'link', 'set', 'dev', 'br-int0', 'master', 'br0'],
      ['ip', 'link', 'set', 'dev', 'br-int1', 'master', 'br0'],
      ['ip', 'link', 'set', 'dev', 'br0', 'up'],
      ['ip', 'link', 'set', 'dev', 'br-int0', 'up'],
      ['ip', 'link', 'set', 'dev', 'br-int1', 'up'],
      ['ip', '-n', 'ns1', 'link', 'set', 'dev', 'int0', 'up'],
      ['ip', '-n', 'ns1', 'addr', 'add', '10.5.1.10/24', 'dev', 'int0'],
      ['ip', '-n', 'ns2', 'link', 'set', 'dev', 'int1', 'up'],
      ['ip', '-n', 'ns2', 'addr', 'add', '10.5.1.11/24', 'dev', 'int1'],
    ]);
  });

  it('gives veth ends ifindexes of their own in a fresh sandbox, numbered on from the lab host', () => {
    // Made in place, both ends of the seed pair would be index 2 (each namespace counts on its
    // own) and `ethtool -S net0` could not show the peer as another interface.
    const seed = planDeploy(parseTopology(fixture('veth.yaml')).topology, { assignIfindexes: true }).map((op) => render(op).argv);
    expect(seed[2]).toEqual(['ip', 'link', 'add', 'name', 'veth-01', 'index', '2', 'netns', 'ns1', 'type', 'veth', 'peer', 'name', 'veth-10', 'index', '3', 'netns', 'ns2']);
    // br0 takes index 2 in the lab host before any pair exists.
    const bridge = planDeploy(parseTopology(fixture('bridge.yaml')).topology, { assignIfindexes: true }).flatMap((op) => (op.op === 'veth-add' ? [op.ifindex] : []));
    expect(bridge).toEqual([[3, 4], [5, 6]]);
    // Elsewhere (a bare host, a running lab) any index may be taken: the kernel chooses.
    expect(planDeploy(parseTopology(fixture('bridge.yaml')).topology).some((op) => op.op === 'veth-add' && op.ifindex !== undefined)).toBe(false);
  });

  it('puts a keyword before every user-given name (ma, dev, link, type, up, mtu)', () => {
    // `ip link add ma ...` would parse "ma" as "master"; every name below sits in a keyword's slot.
    expect(argvOf('keywords.yaml')).toEqual([
      ['ip', 'netns', 'add', 'ma'],
      ['ip', 'netns', 'add', 'link'],
      ['ip', 'link', 'add', 'name', 'up', 'type', 'bridge'],
      ['ip', 'link', 'add', 'name', 'dev', 'netns', 'ma', 'type', 'veth', 'peer', 'name', 'mtu', 'netns', 'link'],
      ['ip', 'link', 'add', 'name', 'ma', 'netns', 'link', 'type', 'veth', 'peer', 'name', 'link'],
      ['ip', 'link', 'set', 'dev', 'link', 'master', 'up'],
      ['ip', 'link', 'set', 'dev', 'up', 'up'],
      ['ip', 'link', 'set', 'dev', 'link', 'up'],
      ['ip', '-n', 'ma', 'link', 'add', 'name', 'type', 'type', 'bridge'],
      ['ip', '-n', 'ma', 'link', 'add', 'name', 'up', 'type', 'dummy'],
      ['ip', '-n', 'ma', 'link', 'add', 'name', 'mtu', 'link', 'dev', 'type', 'macvlan', 'mode', 'bridge'],
      ['ip', '-n', 'ma', 'link', 'add', 'name', 'link', 'link', 'dev', 'type', 'vlan', 'id', '5'],
      ['ip', '-n', 'ma', 'link', 'set', 'dev', 'dev', 'mtu', '1400'],
      ['ip', '-n', 'ma', 'link', 'set', 'dev', 'up', 'master', 'type'],
      ['ip', '-n', 'ma', 'link', 'set', 'dev', 'dev', 'up'],
      ['ip', '-n', 'ma', 'link', 'set', 'dev', 'type', 'up'],
      ['ip', '-n', 'ma', 'link', 'set', 'dev', 'up', 'up'],
      ['ip', '-n', 'ma', 'link', 'set', 'dev', 'mtu', 'up'],
      ['ip', '-n', 'ma', 'link', 'set', 'dev', 'link', 'up'],
      ['ip', '-n', 'ma', 'addr', 'add', '10.0.0.1/24', 'dev', 'dev'],
      ['ip', '-n', 'ma', 'route', 'add', '10.9.0.0/16', 'dev', 'dev'],
      ['ip', '-n', 'link', 'link', 'set', 'dev', 'mtu', 'up'],
      ['ip', '-n', 'link', 'link', 'set', 'dev', 'ma', 'up'],
    ]);
  });

  it('runs exec lines and sysctls inside their node without a shell', () => {
    const ops = planDeploy(parseTopology(fixture('full.yaml')).topology);
    const argv = ops.map((op) => render(op).argv);
    expect(argv).toContainEqual(['ip', 'netns', 'exec', 'ns1', 'sysctl', '-w', 'net.ipv4.conf.all.rp_filter=0']);
    expect(argv).toContainEqual(['sysctl', '-w', 'net.ipv4.ip_forward=1']);
    expect(argv).toContainEqual(['ip', 'netns', 'exec', 'ns1', 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'int0', '-j', 'MASQUERADE']);
    expect(argv).toContainEqual(['ip', '-n', 'ns1', 'link', 'add', 'name', 'vx0', 'type', 'vxlan', 'id', '42', 'dev', 'int0', 'local', '10.5.1.10', 'remote', '10.5.1.11', 'dstport', '4790']);
    expect(renderScript(ops, 'everything')).toMatch(/^#!\/usr\/bin\/env bash\n# everything\nset -euo pipefail\n/);
  });
});
