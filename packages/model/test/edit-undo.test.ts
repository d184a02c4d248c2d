// Undo as edits: each edit's plan carries the edits that undo it, read from its inverse. Run through
// planEdit one at a time (as the web's undo does, each checked against the lab as it then is), they
// must give the lab back, and an undo the lab has moved past must be refused by name.
import { describe, expect, it } from 'vitest';
import type { Edit, ObservedLab } from '../src/index.ts';
import { EDIT_KINDS, HOST, TopologyError, describeEdit, planEdit, undoEdits } from '../src/index.ts';
import { canonical, iface, lab, node, run } from './edit-lab.ts';

/** Runs `edits` the way the server does: each planned against the lab the previous one left. */
function applyEdits(l: ObservedLab, edits: Edit[]): ObservedLab {
  for (const e of edits) l = run(l, planEdit(l, e).ops);
  return l;
}

/** A namespace with an address, a veth into the lab host's bridge, routes and forwarding on. */
function labWithNs5(): ObservedLab {
  const l = lab();
  l.nodes.push(
    node('ns5', 'netns', [
      iface('lo', 'loopback', { mtu: 65536, addresses: ['127.0.0.1/8'] }),
      iface('eth0', 'veth', { addresses: ['10.5.1.50/24', 'fe80::5/64'], mtu: 1400, peer: { node: HOST, interface: 'br-ns5', ifindex: 9 } }),
      iface('br5', 'bridge', { addresses: ['192.168.5.1/24'] }),
      iface('p1', 'veth', { master: 'br5', peer: { node: 'ns5', interface: 'p2', ifindex: 11 } }),
      iface('p2', 'veth', { up: false, peer: { node: 'ns5', interface: 'p1', ifindex: 10 } }),
    ], {
      routes: [
        { dst: 'default', via: '10.5.1.1', dev: 'eth0' },
        { dst: '10.5.1.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.5.1.50' },
        { dst: '172.16.0.0/12', via: '192.168.5.9', dev: 'br5', metric: 5 },
        { dst: '192.168.5.0/24', dev: 'br5', protocol: 'kernel', scope: 'link', prefsrc: '192.168.5.1' },
      ],
      sysctls: { 'net.ipv4.ip_forward': '1', 'net.ipv6.conf.all.forwarding': '0' },
    }),
  );
  const host = l.nodes.find((n) => n.kind === 'host')!;
  host.interfaces.push(iface('br-ns5', 'veth', { master: 'br0', peer: { node: 'ns5', interface: 'eth0', ifindex: 8 } }));
  host.routes.push({ dst: '10.55.0.0/16', via: '10.5.1.50', dev: 'br0' });
  l.bridges.find((b) => b.name === 'br0')!.ports.push('br-ns5');
  l.links.push(
    { a: { node: 'ns5', interface: 'eth0' }, b: { node: HOST, interface: 'br-ns5' } },
    { a: { node: HOST, interface: 'br-ns5' }, b: { node: 'ns5', interface: 'eth0' } },
    { a: { node: 'ns5', interface: 'p1' }, b: { node: 'ns5', interface: 'p2' } },
    { a: { node: 'ns5', interface: 'p2' }, b: { node: 'ns5', interface: 'p1' } },
  );
  l.bridges.push({ node: 'ns5', name: 'br5', ports: ['p1'], fdb: [] });
  return l;
}

describe('undo of deleting a namespace', () => {
  it('is the namespace again with its addresses, routes, veths, bridge ports and forwarding', () => {
    const p = planEdit(labWithNs5(), { kind: 'remove-node', name: 'ns5' });
    expect(p.label).toBe('delete ns5');
    expect(p.undo).toEqual([
      { kind: 'add-node', name: 'ns5' },
      { kind: 'add-veth', a: { node: 'ns5', interface: 'eth0' }, b: { node: HOST, interface: 'br-ns5' } },
      { kind: 'add-veth', a: { node: 'ns5', interface: 'p1' }, b: { node: 'ns5', interface: 'p2' } },
      { kind: 'set-link', node: HOST, interface: 'br-ns5', master: 'br0' },
      { kind: 'add-bridge', node: 'ns5', name: 'br5' },
      { kind: 'set-link', node: 'ns5', interface: 'eth0', mtu: 1400 },
      { kind: 'set-link', node: 'ns5', interface: 'p1', master: 'br5' },
      { kind: 'set-link', node: 'ns5', interface: 'lo', up: true },
      { kind: 'set-link', node: 'ns5', interface: 'p2', up: false },
      { kind: 'add-address', node: 'ns5', interface: 'eth0', address: '10.5.1.50/24' },
      { kind: 'add-address', node: 'ns5', interface: 'br5', address: '192.168.5.1/24' },
      { kind: 'add-route', node: 'ns5', route: { to: 'default', via: '10.5.1.1', dev: 'eth0' } },
      { kind: 'add-route', node: 'ns5', route: { to: '172.16.0.0/12', via: '192.168.5.9', dev: 'br5', metric: 5 } },
      { kind: 'set-sysctl', node: 'ns5', key: 'net.ipv4.ip_forward', value: '1' },
    ]);
    expect(p.effects).toEqual(['deleting ns5 also removes br-ns5 in the lab host']);
  });

  it('run as edits, each checked against the lab as it then is, gives the lab back', () => {
    const p = planEdit(labWithNs5(), { kind: 'remove-node', name: 'ns5' });
    const deleted = run(labWithNs5(), p.ops);
    expect(canonical(deleted).nodes.some((n) => n.name === 'ns5')).toBe(false);
    expect(canonical(applyEdits(deleted, p.undo))).toEqual(canonical(labWithNs5()));
  });

  it('gives back the routes of the other end that the kernel dropped with it', () => {
    // The lab host's route via ns5 goes through br0, not the deleted veth end: it stays, and undo
    // must not add it twice. A route through the host-side end itself is dropped and comes back.
    const l = labWithNs5();
    l.nodes.find((n) => n.kind === 'host')!.routes.push({ dst: '10.66.0.0/16', dev: 'br-ns5' });
    const p = planEdit(l, { kind: 'remove-node', name: 'ns5' });
    expect(p.undo).toContainEqual({ kind: 'add-route', node: HOST, route: { to: '10.66.0.0/16', dev: 'br-ns5' } });
    expect(p.undo.filter((e) => e.kind === 'add-route' && e.node === HOST)).toHaveLength(1);
  });

  it('names what it cannot bring back and leaves out the steps that depend on it', () => {
    const p = planEdit(lab(), { kind: 'remove-node', name: 'ns2' });
    // br1 only: dm0 (a dummy) and the vlan on it have no edit, nor their MTU and address.
    expect(p.undo).toEqual([
      { kind: 'add-node', name: 'ns2' },
      { kind: 'add-bridge', node: 'ns2', name: 'br1' },
      { kind: 'set-link', node: 'ns2', interface: 'br1', up: false },
    ]);
    expect(p.effects).toContain("undo cannot recreate dm0 in ns2: nslab's edits do not make dummy interfaces");
  });
});

// Every kind of edit, on the lab of edit.test.ts.
const undoable: Edit[] = [
  { kind: 'add-node', name: 'ns3' },
  { kind: 'remove-node', name: 'ns1' },
  { kind: 'add-bridge', name: 'br2' },
  { kind: 'add-bridge', node: 'ns1', name: 'br2' },
  { kind: 'add-veth', a: { node: 'ns1', interface: 'veth-01' }, b: { node: 'ns2', interface: 'veth-10' } },
  { kind: 'add-veth', a: { node: 'ns2', interface: 'int1' }, b: { node: HOST, interface: 'br-int1' }, bridge: 'br0' },
  { kind: 'remove-link', node: 'ns1', interface: 'int0' },
  { kind: 'remove-link', node: HOST, interface: 'br-int0' },
  { kind: 'remove-link', node: HOST, interface: 'br0' },
  { kind: 'remove-link', node: 'ns2', interface: 'br1' },
  { kind: 'set-link', node: 'ns1', interface: 'int0', mtu: 1400, promisc: true },
  { kind: 'set-link', node: 'ns1', interface: 'int0', up: false },
  { kind: 'set-link', node: HOST, interface: 'br-int0', master: null, up: false },
  { kind: 'set-link', node: 'ns2', interface: 'dm0', master: 'br1', mtu: 1500 },
  { kind: 'add-address', node: 'ns1', interface: 'int0', address: '10.5.1.20/24' },
  { kind: 'remove-address', node: 'ns1', interface: 'int0', address: '10.5.1.10/24' },
  { kind: 'remove-address', node: HOST, interface: 'br0', address: '10.5.1.1/24' },
  { kind: 'add-route', node: 'ns1', route: { to: '10.7.0.0/16', via: '10.5.1.1' } },
  { kind: 'remove-route', node: 'ns1', route: { to: 'default' } },
  { kind: 'remove-route', node: 'ns1', route: { to: '10.9.0.0/16', via: '10.5.1.1', metric: 10 } },
  { kind: 'set-sysctl', node: 'ns1', key: 'net.ipv4.ip_forward', value: '1' },
];

describe('undo edits give the lab back', () => {
  it('covers every edit kind', () => {
    expect(new Set(undoable.map((e) => e.kind))).toEqual(new Set(EDIT_KINDS));
  });

  it.each(undoable.map((e) => [describeEdit(e), e] as const))('%s', (_, e) => {
    const p = planEdit(lab(), e);
    expect(p.undo.length).toBeGreaterThan(0);
    const after = run(lab(), p.ops);
    expect(canonical(after)).not.toEqual(canonical(lab()));
    expect(canonical(applyEdits(after, p.undo))).toEqual(canonical(lab()));
  });

  it('the undo of a remove-route names the route as the kernel had it', () => {
    // The request named only the destination; adding it back needs its gateway and device.
    expect(planEdit(lab(), { kind: 'remove-route', node: 'ns1', route: { to: 'default' } }).undo).toEqual([
      { kind: 'add-route', node: 'ns1', route: { to: 'default', via: '10.5.1.1', dev: 'int0' } },
    ]);
  });

  it('taking a link down: the undo brings it up and adds back the routes the kernel dropped', () => {
    expect(planEdit(lab(), { kind: 'set-link', node: 'ns1', interface: 'int0', up: false }).undo).toEqual([
      { kind: 'set-link', node: 'ns1', interface: 'int0', up: true },
      { kind: 'add-route', node: 'ns1', route: { to: 'default', via: '10.5.1.1', dev: 'int0' } },
      { kind: 'add-route', node: 'ns1', route: { to: '10.9.0.0/16', via: '10.5.1.1', dev: 'int0', metric: 10 } },
      { kind: 'add-route', node: 'ns1', route: { to: '10.9.0.0/16', via: '10.5.1.1', dev: 'int0', metric: 20 } },
    ]);
  });
});

describe('an undo the lab has moved past', () => {
  it('is refused by name, and an older undo still runs', () => {
    // Tab A adds ns4, then ns5; tab B deletes ns5 again. A's undo of "add ns5" is stale.
    let l = lab();
    const add4 = planEdit(l, { kind: 'add-node', name: 'ns4' });
    l = run(l, add4.ops);
    const add5 = planEdit(l, { kind: 'add-node', name: 'ns5' });
    l = run(l, add5.ops);
    l = run(l, planEdit(l, { kind: 'remove-node', name: 'ns5' }).ops);
    expect(add5.label).toBe('add ns5');
    let refused: unknown;
    try {
      applyEdits(l, add5.undo);
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(TopologyError);
    expect((refused as TopologyError).issues.map((i) => i.message)).toEqual(['no node named "ns5" (did you mean "ns1"?)']);
    expect(canonical(applyEdits(l, add4.undo))).toEqual(canonical(lab()));
  });
});

describe('undoEdits', () => {
  it('drops bringing up what add-veth or add-bridge already brought up, keeps the rest', () => {
    const { edits, lost } = undoEdits([
      { op: 'link-add', node: HOST, iface: { name: 'br9', kind: 'bridge', addresses: [] } },
      { op: 'link-set', node: HOST, name: 'br9', up: true },
      { op: 'link-set', node: 'ns1', name: 'lo', up: true },
      { op: 'link-set', node: HOST, name: 'br9', mac: '02:00:00:00:00:09', mtu: 9000 },
    ]);
    expect(edits).toEqual([
      { kind: 'add-bridge', node: HOST, name: 'br9' },
      { kind: 'set-link', node: 'ns1', interface: 'lo', up: true },
      { kind: 'set-link', node: HOST, interface: 'br9', mtu: 9000 },
    ]);
    expect(lost).toEqual(['undo cannot give br9 in the lab host its MAC address 02:00:00:00:00:09 back']);
  });

  it('says which step no edit can make', () => {
    expect(undoEdits([{ op: 'fdb-append', node: HOST, dev: 'vx0', mac: '00:00:00:00:00:00', dst: '10.0.0.2' }]).lost).toEqual([
      'undo cannot replay `bridge fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.2`',
    ]);
  });
});

describe('describeEdit: what was done, in a few words', () => {
  it.each<[Edit, string]>([
    [{ kind: 'add-node', name: 'ns5' }, 'add ns5'],
    [{ kind: 'remove-node', name: 'ns5' }, 'delete ns5'],
    [{ kind: 'add-bridge', node: HOST, name: 'br0' }, 'add bridge br0'],
    [{ kind: 'add-bridge', node: 'ns1', name: 'br0' }, 'add bridge br0 in ns1'],
    [{ kind: 'add-veth', a: { node: 'ns1', interface: 'a' }, b: { node: HOST, interface: 'b' }, bridge: 'br0' }, 'connect ns1:a ↔ host:b (into br0)'],
    [{ kind: 'remove-link', node: 'ns1', interface: 'a' }, 'delete ns1:a'],
    [{ kind: 'set-link', node: 'ns1', interface: 'a', up: false, mtu: 9000 }, 'set ns1:a down, mtu 9000'],
    [{ kind: 'set-link', node: 'ns1', interface: 'a', master: null }, 'set ns1:a out of its bridge'],
    [{ kind: 'add-address', node: 'ns1', interface: 'a', address: '10.0.0.1/24' }, 'add 10.0.0.1/24 to ns1:a'],
    [{ kind: 'remove-address', node: 'ns1', interface: 'a', address: '10.0.0.1/24' }, 'remove 10.0.0.1/24 from ns1:a'],
    [{ kind: 'add-route', node: 'ns1', route: { to: 'default', via: '10.0.0.1' } }, 'add route to default in ns1'],
    [{ kind: 'remove-route', node: 'ns1', route: { to: '10.2.0.0/16' } }, 'remove route to 10.2.0.0/16 in ns1'],
    [{ kind: 'set-sysctl', node: 'ns1', key: 'net.ipv4.ip_forward', value: '1' }, 'set net.ipv4.ip_forward=1 in ns1'],
  ])('%j', (e, text) => {
    expect(describeEdit(e)).toBe(text);
  });

  it('is the label of the plan', () => {
    expect(planEdit(lab(), { kind: 'add-node', name: 'ns5' }).label).toBe('add ns5');
  });
});
