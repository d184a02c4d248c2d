// Saving a running lab from the kernel's state: exec lines whose effect the model now holds are
// not replayed (twice would be "Address already assigned"); the others are.
import { describe, expect, it } from 'vitest';
import { capturedByModel, execToReplay, observedToTopology, parseTopology, planDeploy, render, type NodeSpec, type ObservedLab } from '../src/index.ts';
import { fixture } from './helpers.ts';

const iface = (name: string, kind: string, addresses: string[] = [], extra: object = {}) => ({
  name, ifindex: 0, kind, state: 'UP', up: true, carrier: true, mac: '02:00:00:00:00:01', mtu: 1500, addresses, promisc: false, ...extra,
});

/** The seed lab as the kernel has it once deployed: exec'd addresses on net0, lo up. */
function seedObserved(): ObservedLab {
  const node = (name: string, address: string) => ({
    name, kind: 'netns' as const,
    interfaces: [
      iface('lo', 'loopback', ['127.0.0.1/8', '::1/128'], { mtu: 65536 }),
      iface('net0', 'veth', [address, 'fe80::1/64'], { peer: { node: name === 'server1' ? 'server2' : 'server1', interface: 'net0', ifindex: 0 } }),
    ],
    routes: [{ dst: '10.1.5.0/24', dev: 'net0', protocol: 'kernel', scope: 'link' }],
    neighbours: [],
    sysctls: { 'net.ipv4.ip_forward': '0' },
  });
  return {
    name: 'veth',
    nodes: [
      { name: 'host', kind: 'host', interfaces: [iface('lo', 'loopback', [], { mtu: 65536 })], routes: [], neighbours: [], sysctls: {} },
      node('server1', '10.1.5.10/24'),
      node('server2', '10.1.5.11/24'),
    ],
    links: [{ a: { node: 'server1', interface: 'net0' }, b: { node: 'server2', interface: 'net0' } }],
    bridges: [],
  } as ObservedLab;
}

describe('execToReplay', () => {
  it('leaves out the seed\'s exec line once its address is read back, so a restart adds it once', () => {
    const seed = parseTopology(fixture('seed-veth.clab.yaml')).topology;
    const saved = observedToTopology(seedObserved());
    const server1 = saved.nodes.find((n) => n.name === 'server1')!;
    expect(server1.interfaces.find((i) => i.name === 'net0')!.addresses).toEqual(['10.1.5.10/24']);
    server1.exec = execToReplay(seed.nodes.find((n) => n.name === 'server1')!.exec, server1);
    expect(server1.exec).toEqual([]);
    // The restart's plan: the address once, from the model.
    const lines = planDeploy(saved).map((op) => render(op).line);
    expect(lines.filter((l) => l.includes('10.1.5.10/24'))).toEqual(['ip -n server1 addr add 10.1.5.10/24 dev net0']);
  });

  it('keeps what the model does not hold, drops what it does', () => {
    const node: NodeSpec = {
      name: 'r1', kind: 'netns', routes: [], sysctls: {}, exec: [],
      interfaces: [{ name: 'lo', kind: 'loopback', addresses: [], up: true }, { name: 'eth1', kind: 'veth', addresses: ['10.0.0.1/24'] }, { name: 'dummy0', kind: 'dummy', addresses: [] }],
    };
    const dropped = [
      'ip addr add 10.0.0.1/24 dev eth1',
      'ip a a 10.0.0.2/24 dev eth1',
      'ip -6 address add 2001:db8::1/64 dev eth1',
      '/sbin/ip addr replace 10.0.0.3/24 dev eth1',
      'ip route add default via 10.0.0.254',
      'ip r add 10.9.0.0/16 via 10.0.0.254 dev eth1 metric 10',
      'ip route add 10.8.0.0/16 dev eth1 proto static',
      'ip link set dev eth1 up',
      'ip l s eth1 mtu 1400 up',
      'ip link set dev lo up',
      'ip link add dummy0 type dummy',
      'ip link add name dummy0 type dummy',
      'sysctl -w net.ipv4.ip_forward=1',
      'sysctl net.ipv6.conf.all.forwarding=1',
      'sysctl -w net.ipv4.conf.all.rp_filter=0',
      'sysctl -w net.ipv4.conf.eth1.proxy_arp=1',
    ];
    const kept = [
      'iptables -t nat -A POSTROUTING -o eth1 -j MASQUERADE',
      'ip addr add 10.0.0.9/32 dev ipvl0',
      'ip route add 10.7.0.0/16 via 10.0.0.254 table 100',
      'ip route add blackhole 10.6.0.0/16',
      'ip link set dev eth1 arp off',
      'ip link add ipvl0 link eth1 type ipvlan mode l2',
      'ip -n other addr add 10.0.0.5/24 dev eth1',
      'sysctl -w net.ipv4.conf.all.arp_ignore=1',
      'bash -c "ip addr add 10.0.0.6/24 dev eth1"',
      'tc qdisc add dev eth1 root netem delay 10ms',
      "ip addr add 'unterminated",
    ];
    for (const line of dropped) expect(capturedByModel(line, node), line).toBe(true);
    for (const line of kept) expect(capturedByModel(line, node), line).toBe(false);
    expect(execToReplay([...dropped, ...kept], node)).toEqual(kept);
  });
});
