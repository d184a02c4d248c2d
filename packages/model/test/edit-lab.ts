// The lab the edit tests plan against, and a small model of the kernel that runs plans on it, so a
// test can check that an edit's inverse (or its undo edits) really gives the lab back.
import type { ObservedInterface, ObservedLab, ObservedNode, Operation, Topology } from '../src/index.ts';
import { HOST, cidrContains, observedToTopology } from '../src/index.ts';

// --- the lab as the driver would observe it ------------------------------------------------------

export function iface(name: string, kind: string, extra: Partial<ObservedInterface> = {}): ObservedInterface {
  const up = extra.up ?? true;
  return { name, ifindex: 0, kind, state: up ? 'UP' : 'DOWN', up, carrier: up, mac: '02:00:00:00:00:01', mtu: 1500, addresses: [], promisc: false, ...extra };
}

export function node(name: string, kind: 'host' | 'netns', interfaces: ObservedInterface[], extra: Partial<ObservedNode> = {}): ObservedNode {
  return { name, kind, interfaces, routes: [], neighbours: [], sysctls: {}, ...extra };
}

/**
 * The bridge seed after a few hand edits: br0 (10.5.1.1/24) in the lab host with port br-int0,
 * whose peer is ns1's int0 (10.5.1.10/24, routes via 10.5.1.1); ns2 with a down bridge, a dummy
 * with a vlan on it and an interface made by hand; a namespace made by hand.
 */
export function lab(): ObservedLab {
  return {
    name: 'bridge',
    nodes: [
      node(HOST, 'host', [
        iface('lo', 'loopback', { mtu: 65536, addresses: ['127.0.0.1/8', '::1/128'] }),
        iface('br0', 'bridge', { addresses: ['10.5.1.1/24', 'fe80::1/64'] }),
        iface('br-int0', 'veth', { master: 'br0', peer: { node: 'ns1', interface: 'int0', ifindex: 2 } }),
      ], {
        routes: [{ dst: '10.5.1.0/24', dev: 'br0', protocol: 'kernel', scope: 'link', prefsrc: '10.5.1.1' }],
        sysctls: { 'net.ipv4.ip_forward': '0', 'net.ipv6.conf.all.forwarding': '0' },
      }),
      node('ns1', 'netns', [
        iface('lo', 'loopback', { up: false, mtu: 65536 }),
        iface('int0', 'veth', { addresses: ['10.5.1.10/24', 'fe80::2/64'], peer: { node: HOST, interface: 'br-int0', ifindex: 3 } }),
      ], {
        routes: [
          { dst: 'default', via: '10.5.1.1', dev: 'int0' },
          { dst: '10.5.1.0/24', dev: 'int0', protocol: 'kernel', scope: 'link', prefsrc: '10.5.1.10' },
          { dst: '10.9.0.0/16', via: '10.5.1.1', dev: 'int0', metric: 10 },
          { dst: '10.9.0.0/16', via: '10.5.1.1', dev: 'int0', metric: 20 },
        ],
        sysctls: { 'net.ipv4.ip_forward': '0' },
      }),
      node('ns2', 'netns', [
        iface('lo', 'loopback', { up: false, mtu: 65536 }),
        iface('br1', 'bridge', { up: false }),
        iface('dm0', 'dummy', { addresses: ['192.168.9.1/24'], mtu: 9000 }),
        iface('dm0.7', 'vlan', { details: { parent: 'dm0', id: 7 } }),
        iface('eth 0', 'dummy', { unsafeName: true }),
      ]),
      node('ns 3', 'netns', [], { unsafeName: true }),
    ],
    links: [
      { a: { node: 'ns1', interface: 'int0' }, b: { node: HOST, interface: 'br-int0' } },
      { a: { node: HOST, interface: 'br-int0' }, b: { node: 'ns1', interface: 'int0' } },
    ],
    bridges: [
      { node: HOST, name: 'br0', ports: ['br-int0'], fdb: [] },
      { node: 'ns2', name: 'br1', ports: [], fdb: [] },
    ],
  };
}

// --- a small model of the kernel, to check that ops then inverse give the lab back -----------------

function findNode(l: ObservedLab, name: string): ObservedNode {
  const n = l.nodes.find((x) => (name === HOST ? x.kind === 'host' : x.name === name));
  if (!n) throw new Error(`Cannot open network namespace "${name}"`);
  return n;
}

function findIface(n: ObservedNode, name: string): ObservedInterface {
  const i = n.interfaces.find((x) => x.name === name);
  if (!i) throw new Error(`Cannot find device "${name}" in ${n.name}`);
  return i;
}

/** Deletes a link with what the kernel deletes along: its routes, a veth's peer, links stacked on it. */
function dropLink(l: ObservedLab, n: ObservedNode, name: string): void {
  const i = findIface(n, name);
  n.interfaces = n.interfaces.filter((x) => x !== i);
  n.routes = n.routes.filter((r) => r.dev !== name);
  for (const x of n.interfaces) if (x.master === name) delete x.master;
  for (const x of n.interfaces.filter((s) => s.details?.parent === name)) dropLink(l, n, x.name);
  const peerNode = i.peer?.node ? l.nodes.find((x) => x.name === i.peer!.node) : undefined;
  if (peerNode?.interfaces.some((x) => x.name === i.peer!.interface)) dropLink(l, peerNode, i.peer!.interface!);
}

function apply(l: ObservedLab, op: Operation): void {
  const fresh = (name: string, kind: string, extra: Partial<ObservedInterface> = {}) => iface(name, kind, { up: false, ...extra });
  const free = (n: ObservedNode, name: string) => {
    if (n.interfaces.some((i) => i.name === name)) throw new Error(`RTNETLINK answers: File exists (${name})`);
  };
  switch (op.op) {
    case 'netns-add':
      if (l.nodes.some((n) => n.name === op.node)) throw new Error('File exists');
      l.nodes.push(node(op.node, 'netns', [fresh('lo', 'loopback', { mtu: 65536 })]));
      return;
    case 'netns-del': {
      const n = findNode(l, op.node);
      for (const i of n.interfaces) if (i.peer?.node && i.peer.node !== n.name && i.peer.interface) dropLink(l, findNode(l, i.peer.node), i.peer.interface);
      l.nodes = l.nodes.filter((x) => x !== n);
      return;
    }
    case 'link-add': {
      const n = findNode(l, op.node);
      free(n, op.iface.name);
      const details = op.iface.parent !== undefined ? { parent: op.iface.parent, id: op.iface.vlanId } : undefined;
      n.interfaces.push(fresh(op.iface.name, op.iface.kind, details ? { details } : {}));
      return;
    }
    case 'veth-add': {
      const [na, nb] = [findNode(l, op.a.node), findNode(l, op.b.node)];
      free(na, op.a.interface);
      free(nb, op.b.interface);
      na.interfaces.push(fresh(op.a.interface, 'veth', { peer: { node: op.b.node, interface: op.b.interface, ifindex: 0 } }));
      nb.interfaces.push(fresh(op.b.interface, 'veth', { peer: { node: op.a.node, interface: op.a.interface, ifindex: 0 } }));
      return;
    }
    case 'link-del':
      dropLink(l, findNode(l, op.node), op.name);
      return;
    case 'link-set': {
      const n = findNode(l, op.node);
      const i = findIface(n, op.name);
      if (op.mtu !== undefined) i.mtu = op.mtu;
      if (op.master === null) delete i.master;
      else if (op.master !== undefined) {
        if (findIface(n, op.master).kind !== 'bridge') throw new Error('not a bridge');
        i.master = op.master;
      }
      if (op.promisc !== undefined) i.promisc = op.promisc;
      if (op.up === false) n.routes = n.routes.filter((r) => r.dev !== op.name);
      if (op.up !== undefined) i.up = op.up;
      return;
    }
    case 'addr-add': {
      const i = findIface(findNode(l, op.node), op.dev);
      if (i.addresses.includes(op.address)) throw new Error('RTNETLINK answers: File exists');
      i.addresses.push(op.address);
      return;
    }
    case 'addr-del': {
      const n = findNode(l, op.node);
      const i = findIface(n, op.dev);
      if (!i.addresses.includes(op.address)) throw new Error('RTNETLINK answers: Cannot assign requested address');
      i.addresses = i.addresses.filter((a) => a !== op.address);
      if (!i.addresses.some((a) => !a.includes(':'))) n.routes = n.routes.filter((r) => r.dev !== op.dev);
      return;
    }
    case 'route-add': {
      const n = findNode(l, op.node);
      const r = op.route;
      if (n.routes.some((x) => x.dst === r.to && (x.metric ?? 0) === (r.metric ?? 0))) throw new Error('RTNETLINK answers: File exists');
      const dev = r.dev ?? n.interfaces.find((i) => i.addresses.some((a) => r.via !== undefined && cidrContains(a, r.via)))?.name;
      if (dev === undefined || !findIface(n, dev).up) throw new Error('RTNETLINK answers: Network is unreachable');
      n.routes.push({ dst: r.to, dev, ...(r.via !== undefined ? { via: r.via } : {}), ...(r.metric !== undefined ? { metric: r.metric } : {}) });
      return;
    }
    case 'route-del': {
      const n = findNode(l, op.node);
      const r = op.route;
      const idx = n.routes.findIndex((x) => x.dst === r.to && (r.via === undefined || x.via === r.via) && (r.dev === undefined || x.dev === r.dev) && (r.metric === undefined || (x.metric ?? 0) === r.metric));
      if (idx < 0) throw new Error('RTNETLINK answers: No such process');
      n.routes.splice(idx, 1);
      return;
    }
    case 'sysctl':
      findNode(l, op.node).sysctls[op.key] = op.value;
      return;
    case 'exec':
      throw new Error('edits never exec');
  }
}

export function run(l: ObservedLab, ops: Operation[]): ObservedLab {
  for (const op of ops) apply(l, op);
  // Veth pairs as the driver lists them: from each end.
  l.links = l.nodes.flatMap((n) =>
    n.interfaces.flatMap((i) => (i.peer?.node && i.peer.interface ? [{ a: { node: n.name, interface: i.name }, b: { node: i.peer.node, interface: i.peer.interface } }] : [])),
  );
  return l;
}

/** What nslab could recreate of a lab, in a canonical order. */
export function canonical(l: ObservedLab): Topology {
  const t = observedToTopology(l);
  for (const n of t.nodes) {
    n.interfaces.sort((a, b) => a.name.localeCompare(b.name));
    n.routes.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  t.nodes.sort((a, b) => a.name.localeCompare(b.name));
  t.links = t.links.map((x) => ([x.a, x.b].sort((p, q) => `${p.node}:${p.interface}`.localeCompare(`${q.node}:${q.interface}`)) as [typeof x.a, typeof x.b])).map(([a, b]) => ({ a, b }));
  t.links.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
  return t;
}
