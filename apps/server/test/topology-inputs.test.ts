// The live lab makes its saved topology's YAML only when what it is made from changed
// (topologyInputs): counters and ARP states never reach a topology; everything else does.
import { describe, expect, it } from 'vitest';
import { observedToTopology, toNativeYaml, type ObservedLab } from '@nslab/model';
import { topologyInputs } from '../src/live-lab.ts';

function lab(): ObservedLab {
  const veth = (name: string, peerNode: string, peerIf: string, ifindex: number, addresses: string[]) => ({
    name, ifindex, kind: 'veth', state: 'UP', up: true, carrier: true, mac: `02:00:00:00:00:${String(ifindex).padStart(2, '0')}`, mtu: 1500, addresses, promisc: false,
    peer: { node: peerNode, interface: peerIf, ifindex: ifindex + 1 },
    stats: { rxPackets: 1, txPackets: 2, rxBytes: 3, txBytes: 4, rxDropped: 0, txDropped: 0 },
  });
  return {
    name: 'hb-inputs',
    nodes: [
      { name: 'host', kind: 'host', interfaces: [], routes: [], neighbours: [], sysctls: {} },
      { name: 'ns1', kind: 'netns', interfaces: [veth('eth0', 'ns2', 'eth0', 2, ['10.0.0.1/24'])], routes: [], neighbours: [{ address: '10.0.0.2', dev: 'eth0', mac: '02:00:00:00:00:03', state: ['REACHABLE'] }], sysctls: {} },
      { name: 'ns2', kind: 'netns', interfaces: [veth('eth0', 'ns1', 'eth0', 3, ['10.0.0.2/24'])], routes: [], neighbours: [], sysctls: {} },
    ],
    links: [{ a: { node: 'ns1', interface: 'eth0' }, b: { node: 'ns2', interface: 'eth0' } }],
    bridges: [],
  };
}

const yaml = (l: ObservedLab) => toNativeYaml(observedToTopology(l));

describe('what a saved topology is made from', () => {
  it('ignores counters and ARP states, as the topology does', () => {
    const a = lab();
    const b = lab();
    b.nodes[1]!.interfaces[0]!.stats = { rxPackets: 900, txPackets: 800, rxBytes: 70000, txBytes: 60000, rxDropped: 5, txDropped: 4 };
    b.nodes[1]!.neighbours[0]!.state = ['STALE'];
    b.nodes[2]!.neighbours.push({ address: '10.0.0.1', dev: 'eth0', state: ['INCOMPLETE'] });
    expect(yaml(b)).toBe(yaml(a));
    expect(topologyInputs(b)).toBe(topologyInputs(a));
  });

  it('sees every change a topology keeps', () => {
    const base = lab();
    const changes: ((l: ObservedLab) => void)[] = [
      (l) => (l.nodes[1]!.interfaces[0]!.mtu = 1400),
      (l) => l.nodes[2]!.interfaces[0]!.addresses.push('10.0.1.2/24'),
      (l) => (l.nodes[1]!.neighbours[0]!.state = ['PERMANENT']),
      (l) => (l.nodes[2]!.sysctls['net.ipv4.ip_forward'] = '1'),
      (l) => (l.nodes[1]!.interfaces[0]!.up = false),
    ];
    for (const change of changes) {
      const l = lab();
      change(l);
      expect(yaml(l), change.toString()).not.toBe(yaml(base));
      expect(topologyInputs(l), change.toString()).not.toBe(topologyInputs(base));
    }
  });
});
