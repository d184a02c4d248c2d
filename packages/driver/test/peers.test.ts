import { describe, expect, it } from 'vitest';
import type { ObservedNode } from '@nslab/model';
import { resolvePeers } from '../src/observe.ts';

type Raw = Parameters<typeof resolvePeers>[0][number];

function node(name: string, kind: 'host' | 'netns', links: Raw['links'], nsids: [number, string | null][]): Raw {
  const n: ObservedNode = {
    name, kind, routes: [], neighbours: [], sysctls: {},
    interfaces: links.map((l) => ({
      name: l.ifname, ifindex: l.ifindex, kind: l.linkinfo?.info_kind ?? 'loopback', state: 'UP', up: true,
      carrier: true, mac: '', mtu: 1500, addresses: [], promisc: false,
    })),
  };
  return { node: n, links, nsids: new Map(nsids), bridges: [] };
}
const veth = (ifname: string, ifindex: number, link_index: number, link_netnsid?: number) =>
  ({ ifname, ifindex, link_index, link_netnsid, mtu: 1500, operstate: 'UP', linkinfo: { info_kind: 'veth' } });

describe('veth peer resolution across namespaces', () => {
  it('names peers in other namespaces, the lab host side from the named end, and same-namespace pairs', () => {
    // ns1:eth0 (if 2) <-> ns2:eth0 (if 2): same ifindex in both, told apart by nsid.
    // ns1:up0 (if 3) <-> host:br-a (if 7): ns1 cannot name the lab host (no /run/netns entry).
    // host:x (if 8) <-> host:y (if 9)
    const host = node('host', 'host', [veth('br-a', 7, 3, 0), veth('x', 8, 9), veth('y', 9, 8)], [[0, 'ns1']]);
    const ns1 = node('ns1', 'netns', [veth('eth0', 2, 2, 0), veth('up0', 3, 7, 1)], [[0, 'ns2'], [1, null]]);
    const ns2 = node('ns2', 'netns', [veth('eth0', 2, 2, 5)], [[5, 'ns1']]);
    resolvePeers([host, ns1, ns2]);
    const peer = (r: Raw, i: string) => r.node.interfaces.find((x) => x.name === i)!.peer;
    expect(peer(ns1, 'eth0')).toEqual({ node: 'ns2', interface: 'eth0', ifindex: 2 });
    expect(peer(ns2, 'eth0')).toEqual({ node: 'ns1', interface: 'eth0', ifindex: 2 });
    expect(peer(host, 'br-a')).toEqual({ node: 'ns1', interface: 'up0', ifindex: 3 });
    expect(peer(ns1, 'up0')).toEqual({ node: 'host', interface: 'br-a', ifindex: 7 });
    expect(peer(host, 'x')).toEqual({ node: 'host', interface: 'y', ifindex: 9 });
  });

  it('leaves a peer outside the lab unnamed', () => {
    const ns1 = node('ns1', 'netns', [veth('eth0', 2, 4, 3)], [[3, null]]);
    resolvePeers([node('host', 'host', [], []), ns1]);
    expect(ns1.node.interfaces[0]!.peer).toEqual({ node: null, interface: null, ifindex: 4 });
  });
});
