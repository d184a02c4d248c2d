// Small observed labs shaped like what the driver reports, for the pure tests.
import type { ObservedInterface, ObservedLab, ObservedNode } from '@nslab/model';

let ifindex = 1;

export function iface(name: string, over: Partial<ObservedInterface> = {}): ObservedInterface {
  return {
    name,
    ifindex: ifindex++,
    kind: 'veth',
    state: 'UP',
    up: true,
    carrier: true,
    mac: '02:00:00:00:00:01',
    mtu: 1500,
    addresses: [],
    promisc: false,
    ...over,
  };
}

export const lo = (up = true) => iface('lo', { kind: 'loopback', up, carrier: up, state: up ? 'UNKNOWN' : 'DOWN', addresses: up ? ['127.0.0.1/8'] : [] });

export function node(name: string, interfaces: ObservedInterface[], over: Partial<ObservedNode> = {}): ObservedNode {
  return { name, kind: name === 'host' ? 'host' : 'netns', interfaces, routes: [], neighbours: [], sysctls: { 'net.ipv4.ip_forward': '0' }, ...over };
}

/** labs/veth-pair: ns1:veth-01 <-> ns2:veth-10, lo down in both. */
export function vethPair(): ObservedLab {
  return {
    name: 'veth-pair',
    nodes: [
      node('host', [lo()]),
      node('ns1', [lo(false), iface('veth-01', { addresses: ['10.1.5.10/24'], peer: { node: 'ns2', interface: 'veth-10', ifindex: 0 } })], {
        routes: [{ dst: '10.1.5.0/24', dev: 'veth-01', protocol: 'kernel', scope: 'link', prefsrc: '10.1.5.10' }],
      }),
      node('ns2', [lo(false), iface('veth-10', { addresses: ['10.1.5.11/24'], peer: { node: 'ns1', interface: 'veth-01', ifindex: 0 } })]),
    ],
    links: [{ a: { node: 'ns1', interface: 'veth-01' }, b: { node: 'ns2', interface: 'veth-10' } }],
    bridges: [],
  };
}

/** labs/bridge: ns1:int0 and ns2:int1 plugged into host:br0 through br-int0 / br-int1. */
export function bridgeLab(): ObservedLab {
  return {
    name: 'bridge',
    nodes: [
      node('host', [
        lo(),
        iface('br0', { kind: 'bridge' }),
        iface('br-int0', { master: 'br0', peer: { node: 'ns1', interface: 'int0', ifindex: 0 } }),
        iface('br-int1', { master: 'br0', peer: { node: 'ns2', interface: 'int1', ifindex: 0 } }),
      ]),
      node('ns1', [lo(), iface('int0', { addresses: ['10.5.1.10/24'], peer: { node: 'host', interface: 'br-int0', ifindex: 0 } })]),
      node('ns2', [lo(), iface('int1', { addresses: ['10.5.1.11/24'], peer: { node: 'host', interface: 'br-int1', ifindex: 0 } })]),
    ],
    links: [
      { a: { node: 'host', interface: 'br-int0' }, b: { node: 'ns1', interface: 'int0' } },
      { a: { node: 'host', interface: 'br-int1' }, b: { node: 'ns2', interface: 'int1' } },
    ],
    bridges: [{ node: 'host', name: 'br0', ports: ['br-int0', 'br-int1'], fdb: [] }],
  };
}
