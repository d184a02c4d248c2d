import { describe, expect, it } from 'vitest';
import type { Edit, EditPlan, Issue, Operation } from '../src/index.ts';
import { EDIT_KINDS, HOST, TopologyError, planEdit, render, validateEdit } from '../src/index.ts';
import { canonical, iface, lab, node, run } from './edit-lab.ts';

const lines = (ops: Operation[]) => ops.map((op) => render(op).line);
const planLines = (e: Edit) => {
  const p = planEdit(lab(), e);
  return { ops: lines(p.ops), inverse: lines(p.inverse), effects: p.effects };
};
const pairs = (issues: Issue[]) => issues.map((i) => `${i.field} ${i.rule}`);
const issuesOf = (e: unknown) => pairs(validateEdit(lab(), e as Edit));

// --- plans ---------------------------------------------------------------------------------------

describe('planEdit: exact operations, commands and inverse', () => {
  it('add-node', () => {
    expect(planLines({ kind: 'add-node', name: 'ns3' })).toEqual({ ops: ['ip netns add ns3'], inverse: ['ip netns del ns3'], effects: [] });
  });

  it('remove-node says what goes with it; its inverse brings back its veth, bridge port, address and routes', () => {
    expect(planLines({ kind: 'remove-node', name: 'ns1' })).toEqual({
      ops: ['ip netns del ns1'],
      inverse: [
        'ip netns add ns1',
        'ip link add name int0 netns ns1 type veth peer name br-int0',
        'ip link set dev br-int0 master br0',
        'ip link set dev br-int0 up',
        'ip -n ns1 link set dev int0 up',
        'ip -n ns1 addr add 10.5.1.10/24 dev int0',
        'ip -n ns1 route add default via 10.5.1.1 dev int0',
        'ip -n ns1 route add 10.9.0.0/16 via 10.5.1.1 dev int0 metric 10',
        'ip -n ns1 route add 10.9.0.0/16 via 10.5.1.1 dev int0 metric 20',
      ],
      effects: ['deleting ns1 also removes br-int0 in the lab host'],
    });
  });

  it('add-bridge in the lab host (the default) and in a namespace, brought up', () => {
    expect(planLines({ kind: 'add-bridge', name: 'br2' })).toEqual({
      ops: ['ip link add name br2 type bridge', 'ip link set dev br2 up'],
      inverse: ['ip link del dev br2'],
      effects: [],
    });
    expect(planLines({ kind: 'add-bridge', node: 'ns2', name: 'br9' })).toEqual({
      ops: ['ip -n ns2 link add name br9 type bridge', 'ip -n ns2 link set dev br9 up'],
      inverse: ['ip -n ns2 link del dev br9'],
      effects: [],
    });
  });

  it('add-veth between two namespaces: both ends created in place and brought up', () => {
    expect(planLines({ kind: 'add-veth', a: { node: 'ns1', interface: 'veth-01' }, b: { node: 'ns2', interface: 'veth-10' } })).toEqual({
      ops: [
        'ip link add name veth-01 index 2 netns ns1 type veth peer name veth-10 index 3 netns ns2',
        'ip -n ns1 link set dev veth-01 up',
        'ip -n ns2 link set dev veth-10 up',
      ],
      inverse: ['ip -n ns1 link del dev veth-01'],
      effects: [],
    });
  });

  it('add-veth gives its ends indexes past every one either namespace shows, so they differ', () => {
    // Left to the kernel, two namespaces that each hold lo and one veth both hand out index 3.
    const l = lab();
    const ns1 = l.nodes.find((n) => n.name === 'ns1')!;
    ns1.interfaces.forEach((i, k) => (i.ifindex = k + 1));
    l.nodes.find((n) => n.name === HOST)!.interfaces.forEach((i, k) => (i.ifindex = 10 + k));
    const p = planEdit(l, { kind: 'add-veth', a: { node: 'ns1', interface: 'v1' }, b: { node: HOST, interface: 'v2' } });
    expect(p.ops[0]).toEqual({ op: 'veth-add', a: { node: 'ns1', interface: 'v1' }, b: { node: HOST, interface: 'v2' }, ifindex: [13, 14] });
  });

  it('add-veth into a bridge: master before up', () => {
    const p = planEdit(lab(), { kind: 'add-veth', a: { node: 'ns2', interface: 'int1' }, b: { node: HOST, interface: 'br-int1' }, bridge: 'br0' });
    expect(p.ops).toEqual([
      { op: 'veth-add', a: { node: 'ns2', interface: 'int1' }, b: { node: HOST, interface: 'br-int1' }, ifindex: [2, 3] },
      { op: 'link-set', node: HOST, name: 'br-int1', master: 'br0' },
      { op: 'link-set', node: 'ns2', name: 'int1', up: true },
      { op: 'link-set', node: HOST, name: 'br-int1', up: true },
    ]);
    expect(lines(p.ops)).toEqual([
      'ip link add name int1 index 2 netns ns2 type veth peer name br-int1 index 3',
      'ip link set dev br-int1 master br0',
      'ip -n ns2 link set dev int1 up',
      'ip link set dev br-int1 up',
    ]);
    expect(lines(p.inverse)).toEqual(['ip -n ns2 link del dev int1']);
  });

  it('remove-link of a veth recreates both ends with master, addresses and the routes the kernel drops', () => {
    expect(planLines({ kind: 'remove-link', node: 'ns1', interface: 'int0' })).toEqual({
      ops: ['ip -n ns1 link del dev int0'],
      inverse: [
        'ip link add name int0 netns ns1 type veth peer name br-int0',
        'ip link set dev br-int0 master br0',
        'ip link set dev br-int0 up',
        'ip -n ns1 link set dev int0 up',
        'ip -n ns1 addr add 10.5.1.10/24 dev int0',
        'ip -n ns1 route add default via 10.5.1.1 dev int0',
        'ip -n ns1 route add 10.9.0.0/16 via 10.5.1.1 dev int0 metric 10',
        'ip -n ns1 route add 10.9.0.0/16 via 10.5.1.1 dev int0 metric 20',
      ],
      effects: [
        'removing int0 also removes its peer br-int0 in the lab host',
        'the kernel drops the routes through int0 in node "ns1" (default via 10.5.1.1, 10.9.0.0/16 via 10.5.1.1 metric 10, 10.9.0.0/16 via 10.5.1.1 metric 20); undo adds them back',
      ],
    });
  });

  it('remove-link from the host end gives the same pair back', () => {
    const p = planLines({ kind: 'remove-link', node: HOST, interface: 'br-int0' });
    expect(p.ops).toEqual(['ip link del dev br-int0']);
    expect(p.inverse[0]).toBe('ip link add name br-int0 type veth peer name int0 netns ns1');
    expect(p.effects[0]).toBe('removing br-int0 also removes its peer int0 in node "ns1"');
  });

  it('remove-link of a bridge re-attaches its ports on undo', () => {
    expect(planLines({ kind: 'remove-link', node: HOST, interface: 'br0' })).toEqual({
      ops: ['ip link del dev br0'],
      inverse: ['ip link add name br0 type bridge', 'ip link set dev br0 up', 'ip addr add 10.5.1.1/24 dev br0', 'ip link set dev br-int0 master br0'],
      effects: ['the ports of br0 (br-int0) stay, without a master; undo puts them back'],
    });
  });

  it('remove-link of a dummy keeps its MTU and says the vlan on it is lost', () => {
    expect(planLines({ kind: 'remove-link', node: 'ns2', interface: 'dm0' })).toEqual({
      ops: ['ip -n ns2 link del dev dm0'],
      inverse: ['ip -n ns2 link add name dm0 type dummy', 'ip -n ns2 link set dev dm0 mtu 9000', 'ip -n ns2 link set dev dm0 up', 'ip -n ns2 addr add 192.168.9.1/24 dev dm0'],
      effects: ['removing dm0 also removes dm0.7, stacked on it; undo does not recreate it', "undo cannot recreate dm0 in ns2: nslab's edits do not make dummy interfaces"],
    });
  });

  it('set-link changes only what differs, one step each, and restores the observed values', () => {
    expect(planLines({ kind: 'set-link', node: 'ns1', interface: 'int0', mtu: 1400, up: true, promisc: true })).toEqual({
      ops: ['ip -n ns1 link set dev int0 mtu 1400', 'ip -n ns1 link set dev int0 promisc on'],
      inverse: ['ip -n ns1 link set dev int0 promisc off', 'ip -n ns1 link set dev int0 mtu 1500'],
      effects: [],
    });
  });

  it('set-link master: null is nomaster, undone by the observed master', () => {
    expect(planLines({ kind: 'set-link', node: HOST, interface: 'br-int0', master: null })).toEqual({
      ops: ['ip link set dev br-int0 nomaster'],
      inverse: ['ip link set dev br-int0 master br0'],
      effects: [],
    });
    expect(planLines({ kind: 'set-link', node: 'ns2', interface: 'dm0', master: 'br1' })).toEqual({
      ops: ['ip -n ns2 link set dev dm0 master br1'],
      inverse: ['ip -n ns2 link set dev dm0 nomaster'],
      effects: [],
    });
  });

  it('set-link down: undo brings the link up, then the routes the kernel dropped', () => {
    expect(planLines({ kind: 'set-link', node: 'ns1', interface: 'int0', up: false })).toEqual({
      ops: ['ip -n ns1 link set dev int0 down'],
      inverse: [
        'ip -n ns1 link set dev int0 up',
        'ip -n ns1 route add default via 10.5.1.1 dev int0',
        'ip -n ns1 route add 10.9.0.0/16 via 10.5.1.1 dev int0 metric 10',
        'ip -n ns1 route add 10.9.0.0/16 via 10.5.1.1 dev int0 metric 20',
      ],
      effects: [
        'taking int0 in node "ns1" down makes the kernel drop its routes (default via 10.5.1.1, 10.9.0.0/16 via 10.5.1.1 metric 10, 10.9.0.0/16 via 10.5.1.1 metric 20); undo adds them back',
      ],
    });
  });

  it('add-address', () => {
    expect(planLines({ kind: 'add-address', node: 'ns1', interface: 'int0', address: '10.5.1.20/24' })).toEqual({
      ops: ['ip -n ns1 addr add 10.5.1.20/24 dev int0'],
      inverse: ['ip -n ns1 addr del 10.5.1.20/24 dev int0'],
      effects: [],
    });
    expect(planLines({ kind: 'add-address', node: HOST, interface: 'br0', address: '2001:db8::1/64' }).ops).toEqual(['ip addr add 2001:db8::1/64 dev br0']);
  });

  it('remove-address of the last IPv4 address also restores the routes on undo', () => {
    expect(planLines({ kind: 'remove-address', node: 'ns1', interface: 'int0', address: '10.5.1.10/24' })).toEqual({
      ops: ['ip -n ns1 addr del 10.5.1.10/24 dev int0'],
      inverse: [
        'ip -n ns1 addr add 10.5.1.10/24 dev int0',
        'ip -n ns1 route add default via 10.5.1.1 dev int0',
        'ip -n ns1 route add 10.9.0.0/16 via 10.5.1.1 dev int0 metric 10',
        'ip -n ns1 route add 10.9.0.0/16 via 10.5.1.1 dev int0 metric 20',
      ],
      effects: [
        'removing the last IPv4 address of int0 in node "ns1" makes the kernel drop its routes (default via 10.5.1.1, 10.9.0.0/16 via 10.5.1.1 metric 10, 10.9.0.0/16 via 10.5.1.1 metric 20); undo adds them back',
      ],
    });
  });

  it('remove-address uses the address as the kernel spells it', () => {
    const p = planEdit(lab(), { kind: 'remove-address', node: 'ns1', interface: 'int0', address: 'FE80::2/64' });
    expect(lines(p.ops)).toEqual(['ip -n ns1 addr del fe80::2/64 dev int0']);
    expect(lines(p.inverse)).toEqual(['ip -n ns1 addr add fe80::2/64 dev int0']);
    expect(p.effects).toEqual([]);
  });

  it('add-route', () => {
    expect(planLines({ kind: 'add-route', node: 'ns1', route: { to: '10.7.0.0/16', via: '10.5.1.1' } })).toEqual({
      ops: ['ip -n ns1 route add 10.7.0.0/16 via 10.5.1.1'],
      inverse: ['ip -n ns1 route del 10.7.0.0/16 via 10.5.1.1'],
      effects: [],
    });
    expect(planLines({ kind: 'add-route', node: HOST, route: { to: '10.9.0.0/16', via: '10.5.1.10', dev: 'br0', metric: 5 } }).ops).toEqual([
      'ip route add 10.9.0.0/16 via 10.5.1.10 dev br0 metric 5',
    ]);
  });

  it('remove-route deletes exactly the observed route and adds it back on undo', () => {
    expect(planLines({ kind: 'remove-route', node: 'ns1', route: { to: 'default' } })).toEqual({
      ops: ['ip -n ns1 route del default via 10.5.1.1 dev int0'],
      inverse: ['ip -n ns1 route add default via 10.5.1.1 dev int0'],
      effects: [],
    });
    expect(planLines({ kind: 'remove-route', node: 'ns1', route: { to: '10.9.0.0/16', metric: 20 } }).ops).toEqual([
      'ip -n ns1 route del 10.9.0.0/16 via 10.5.1.1 dev int0 metric 20',
    ]);
  });

  it('remove-route of an IPv6 route, which the driver does not observe, is planned with a note', () => {
    expect(planLines({ kind: 'remove-route', node: 'ns1', route: { to: '2001:db8::/64', dev: 'int0' } })).toEqual({
      ops: ['ip -n ns1 route del 2001:db8::/64 dev int0'],
      inverse: ['ip -n ns1 route add 2001:db8::/64 dev int0'],
      effects: ['nslab does not observe IPv6 routes, so it could not check that node "ns1" has this one'],
    });
  });

  it('set-sysctl restores the observed value, or says it cannot', () => {
    expect(planLines({ kind: 'set-sysctl', node: 'ns1', key: 'net.ipv4.ip_forward', value: '1' })).toEqual({
      ops: ['ip netns exec ns1 sysctl -w net.ipv4.ip_forward=1'],
      inverse: ['ip netns exec ns1 sysctl -w net.ipv4.ip_forward=0'],
      effects: [],
    });
    expect(planLines({ kind: 'set-sysctl', node: HOST, key: 'net.ipv6.conf.all.forwarding', value: '1' }).ops).toEqual(['sysctl -w net.ipv6.conf.all.forwarding=1']);
    expect(planLines({ kind: 'set-sysctl', node: 'ns2', key: 'net.ipv4.ip_forward', value: '1' })).toEqual({
      ops: ['ip netns exec ns2 sysctl -w net.ipv4.ip_forward=1'],
      inverse: [],
      effects: ['the current value of net.ipv4.ip_forward in node "ns2" is not known, so undo cannot restore it'],
    });
  });

  it('throws a TopologyError carrying every issue', () => {
    let err: unknown;
    try {
      planEdit(lab(), { kind: 'add-veth', a: { node: 'ns9', interface: 'x' }, b: { node: HOST, interface: 'br-int0' }, bridge: 'br0' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TopologyError);
    expect(pairs((err as TopologyError).issues)).toEqual(['a.node unknown-node', 'b.interface duplicate']);
  });

  it('does not modify the observed lab', () => {
    const l = lab();
    for (const e of roundTrips) planEdit(l, e);
    expect(l).toEqual(lab());
  });
});

// --- inverse ---------------------------------------------------------------------------------------

const roundTrips: Edit[] = [
  { kind: 'add-node', name: 'ns3' },
  { kind: 'add-bridge', name: 'br2' },
  { kind: 'add-bridge', node: 'ns1', name: 'br2' },
  { kind: 'add-veth', a: { node: 'ns1', interface: 'veth-01' }, b: { node: 'ns2', interface: 'veth-10' } },
  { kind: 'add-veth', a: { node: 'ns2', interface: 'int1' }, b: { node: HOST, interface: 'br-int1' }, bridge: 'br0' },
  { kind: 'add-veth', a: { node: 'ns2', interface: 'a' }, b: { node: 'ns2', interface: 'b' }, bridge: 'br1' },
  { kind: 'remove-link', node: 'ns1', interface: 'int0' },
  { kind: 'remove-link', node: HOST, interface: 'br-int0' },
  { kind: 'remove-link', node: HOST, interface: 'br0' },
  { kind: 'remove-link', node: 'ns2', interface: 'br1' },
  { kind: 'set-link', node: 'ns1', interface: 'int0', mtu: 1400, promisc: true },
  { kind: 'set-link', node: 'ns1', interface: 'int0', up: false },
  { kind: 'set-link', node: HOST, interface: 'br-int0', master: null, up: false },
  { kind: 'set-link', node: 'ns2', interface: 'dm0', master: 'br1', mtu: 1500 },
  { kind: 'set-link', node: 'ns2', interface: 'br1', up: true },
  { kind: 'add-address', node: 'ns1', interface: 'int0', address: '10.5.1.20/24' },
  { kind: 'remove-address', node: 'ns1', interface: 'int0', address: '10.5.1.10/24' },
  { kind: 'remove-address', node: HOST, interface: 'br0', address: '10.5.1.1/24' },
  { kind: 'add-route', node: 'ns1', route: { to: '10.7.0.0/16', via: '10.5.1.1' } },
  { kind: 'add-route', node: 'ns1', route: { to: '10.9.0.0/16', via: '10.5.1.1', metric: 30 } },
  { kind: 'remove-route', node: 'ns1', route: { to: 'default' } },
  { kind: 'remove-route', node: 'ns1', route: { to: '10.9.0.0/16', via: '10.5.1.1', metric: 10 } },
  { kind: 'set-sysctl', node: 'ns1', key: 'net.ipv4.ip_forward', value: '1' },
  { kind: 'set-sysctl', node: HOST, key: 'net.ipv4.ip_forward', value: '1' },
];

describe('inverse: ops then inverse give the lab back', () => {
  it('covers every edit kind but remove-node', () => {
    expect(new Set(roundTrips.map((e) => e.kind))).toEqual(new Set(EDIT_KINDS.filter((k) => k !== 'remove-node')));
  });

  it.each(roundTrips.map((e) => [`${e.kind} ${JSON.stringify(e).slice(0, 90)}`, e] as const))('%s', (_, e) => {
    const p: EditPlan = planEdit(lab(), e);
    const after = run(lab(), p.ops);
    // The edit did something nslab can see, and the inverse undoes exactly that.
    expect(canonical(after)).not.toEqual(canonical(lab()));
    expect(canonical(run(after, p.inverse))).toEqual(canonical(lab()));
  });

  it('a half-applied add-veth with bridge is rolled back by the inverse alone', () => {
    const p = planEdit(lab(), { kind: 'add-veth', a: { node: 'ns2', interface: 'int1' }, b: { node: HOST, interface: 'br-int1' }, bridge: 'br0' });
    const half = run(lab(), p.ops.slice(0, 2));
    expect(canonical(run(half, p.inverse))).toEqual(canonical(lab()));
  });

  it('remove-node: the inverse gives back what nslab can make, and says what it cannot', () => {
    const p = planEdit(lab(), { kind: 'remove-node', name: 'ns1' });
    expect(canonical(run(run(lab(), p.ops), p.inverse))).toEqual(canonical(lab()));
    const q = planEdit(lab(), { kind: 'remove-node', name: 'ns2' });
    const back = canonical(run(run(lab(), q.ops), q.inverse));
    expect(back.nodes.find((n) => n.name === 'ns2')).toEqual(canonical(lab()).nodes.find((n) => n.name === 'ns2'));
    expect(q.effects).toEqual([
      'undo cannot recreate "eth 0": its name is unsafe',
      "undo cannot recreate dm0 in ns2: nslab's edits do not make dummy interfaces",
      "undo cannot recreate dm0.7 in ns2: nslab's edits do not make vlan interfaces",
    ]);
  });

  it('the kernel model refuses what a wrong plan would do', () => {
    // Guards the round trips above: without the route-adds, undoing `down` would lose the routes.
    const p = planEdit(lab(), { kind: 'set-link', node: 'ns1', interface: 'int0', up: false });
    const withoutRoutes = p.inverse.filter((op) => op.op !== 'route-add');
    expect(canonical(run(run(lab(), p.ops), withoutRoutes))).not.toEqual(canonical(lab()));
    expect(() => run(lab(), [{ op: 'addr-add', node: 'ns1', dev: 'int0', address: '10.5.1.10/24' }])).toThrow(/File exists/);
  });
});

// --- validation ----------------------------------------------------------------------------------

describe('validateEdit: rules, with the edit\'s own field names', () => {
  const cases: [string, unknown, string[]][] = [
    ['valid edits have no issues', { kind: 'add-node', name: 'ns3' }, []],
    ['unknown kind', { kind: 'add-nod', name: 'x' }, ['kind enum']],
    ['no kind', { name: 'x' }, ['kind required']],
    ['not an object', null, ['kind required']],

    ['add-node: host is reserved', { kind: 'add-node', name: 'host' }, ['name reserved']],
    ['add-node: exists', { kind: 'add-node', name: 'ns1' }, ['name duplicate']],
    ['add-node: named like a host bridge', { kind: 'add-node', name: 'br0' }, ['name duplicate']],
    ['add-node: missing name', { kind: 'add-node' }, ['name required']],
    ['add-node: name not a string', { kind: 'add-node', name: 5 }, ['name type']],

    ['remove-node: the lab host', { kind: 'remove-node', name: 'host' }, ['name reserved']],
    ['remove-node: absent', { kind: 'remove-node', name: 'ns9' }, ['name not-found']],
    ['remove-node: made by hand', { kind: 'remove-node', name: 'ns 3' }, ['name unsafe-name']],

    ['add-bridge: unknown node', { kind: 'add-bridge', node: 'ns9', name: 'br2' }, ['node unknown-node']],
    ['add-bridge: unsafe node', { kind: 'add-bridge', node: 'ns 3', name: 'br2' }, ['node unsafe-name']],
    ['add-bridge: name taken', { kind: 'add-bridge', name: 'br0' }, ['name duplicate']],
    ['add-bridge: name taken in its node only', { kind: 'add-bridge', node: 'ns2', name: 'br0' }, []],
    ['add-bridge: named like a node', { kind: 'add-bridge', name: 'ns2' }, ['name duplicate']],
    ['add-bridge: a namespace bridge may share a node name', { kind: 'add-bridge', node: 'ns1', name: 'ns2' }, []],

    ['add-veth: missing ends', { kind: 'add-veth' }, ['a required', 'b required']],
    ['add-veth: unknown nodes', { kind: 'add-veth', a: { node: 'ns9', interface: 'x' }, b: { node: 'nsX', interface: 'y' } }, ['a.node unknown-node', 'b.node unknown-node']],
    ['add-veth: an end name in use in its node', { kind: 'add-veth', a: { node: 'ns1', interface: 'int0' }, b: { node: HOST, interface: 'br-int0' } }, ['a.interface duplicate', 'b.interface duplicate']],
    ['add-veth: names free in each node', { kind: 'add-veth', a: { node: 'ns2', interface: 'int0' }, b: { node: 'ns1', interface: 'br-int0' } }, []],
    ['add-veth: the same end twice', { kind: 'add-veth', a: { node: 'ns2', interface: 'v' }, b: { node: 'ns2', interface: 'v' } }, ['b.interface same-endpoint']],
    ['add-veth: missing interface', { kind: 'add-veth', a: { node: 'ns2' }, b: { node: 'ns1', interface: 'v' } }, ['a.interface required']],
    ['add-veth: no such bridge', { kind: 'add-veth', a: { node: 'ns2', interface: 'v' }, b: { node: HOST, interface: 'w' }, bridge: 'br9' }, ['bridge master']],
    ['add-veth: bridge is not a bridge', { kind: 'add-veth', a: { node: 'ns2', interface: 'v' }, b: { node: HOST, interface: 'w' }, bridge: 'br-int0' }, ['bridge master']],
    ['add-veth: bridge in another node than b', { kind: 'add-veth', a: { node: 'ns2', interface: 'v' }, b: { node: HOST, interface: 'w' }, bridge: 'br1' }, ['bridge master']],
    ['add-veth: bridge made by hand', { kind: 'add-veth', a: { node: HOST, interface: 'v' }, b: { node: 'ns2', interface: 'w' }, bridge: 'eth 0' }, ['bridge unsafe-name']],

    ['remove-link: lo', { kind: 'remove-link', node: 'ns1', interface: 'lo' }, ['interface reserved']],
    ['remove-link: absent', { kind: 'remove-link', node: 'ns1', interface: 'int9' }, ['interface not-found']],
    ['remove-link: made by hand', { kind: 'remove-link', node: 'ns2', interface: 'eth 0' }, ['interface unsafe-name']],
    ['remove-link: in a namespace made by hand', { kind: 'remove-link', node: 'ns 3', interface: 'x' }, ['node unsafe-name']],

    ['set-link: nothing given', { kind: 'set-link', node: 'ns1', interface: 'int0' }, [' empty']],
    ['set-link: nothing differs', { kind: 'set-link', node: 'ns1', interface: 'int0', up: true, mtu: 1500, master: null }, [' empty']],
    ['set-link: unknown interface', { kind: 'set-link', node: 'ns1', interface: 'int9', up: true }, ['interface unknown-interface']],
    ['set-link: bad MTU', { kind: 'set-link', node: 'ns1', interface: 'int0', mtu: 10 }, ['mtu mtu']],
    ['set-link: MTU not a number', { kind: 'set-link', node: 'ns1', interface: 'int0', mtu: '1400' }, ['mtu mtu']],
    ['set-link: up not a boolean', { kind: 'set-link', node: 'ns1', interface: 'int0', up: 'yes' }, ['up type']],
    ['set-link: promisc not a boolean', { kind: 'set-link', node: 'ns1', interface: 'int0', promisc: 1 }, ['promisc type']],
    ['set-link: no such master', { kind: 'set-link', node: HOST, interface: 'br-int0', master: 'br9' }, ['master master']],
    ['set-link: master not a bridge', { kind: 'set-link', node: 'ns2', interface: 'dm0', master: 'dm0.7' }, ['master master']],
    ['set-link: master of itself', { kind: 'set-link', node: 'ns2', interface: 'dm0', master: 'dm0' }, ['master master']],
    ['set-link: a bridge cannot be a port', { kind: 'set-link', node: HOST, interface: 'br0', master: 'br0' }, ['master master']],
    ['set-link: master not a string', { kind: 'set-link', node: 'ns2', interface: 'dm0', master: 7 }, ['master type']],
    ['set-link: interface made by hand', { kind: 'set-link', node: 'ns2', interface: 'eth 0', up: false }, ['interface unsafe-name']],

    ['add-address: bad CIDR', { kind: 'add-address', node: 'ns1', interface: 'int0', address: '10.5.1.300/24' }, ['address cidr']],
    ['add-address: no prefix', { kind: 'add-address', node: 'ns1', interface: 'int0', address: '10.5.1.20' }, ['address cidr']],
    ['add-address: already there', { kind: 'add-address', node: 'ns1', interface: 'int0', address: '10.5.1.10/24' }, ['address duplicate']],
    ['add-address: an IPv6 address already there with another prefix', { kind: 'add-address', node: 'ns1', interface: 'int0', address: 'fe80::2/128' }, ['address duplicate']],
    ['add-address: same IPv4 address, other prefix', { kind: 'add-address', node: 'ns1', interface: 'int0', address: '10.5.1.10/16' }, []],
    ['add-address: unknown interface', { kind: 'add-address', node: 'ns1', interface: 'eth0', address: '10.5.1.20/24' }, ['interface unknown-interface']],
    ['add-address: missing address', { kind: 'add-address', node: 'ns1', interface: 'int0' }, ['address required']],
    ['remove-address: absent', { kind: 'remove-address', node: 'ns1', interface: 'int0', address: '10.5.1.11/24' }, ['address not-found']],
    ['remove-address: other prefix', { kind: 'remove-address', node: 'ns1', interface: 'int0', address: '10.5.1.10/16' }, ['address not-found']],
    ['remove-address: bad CIDR', { kind: 'remove-address', node: 'ns1', interface: 'int0', address: '10.5.1.10/33' }, ['address cidr']],

    ['add-route: bad destination', { kind: 'add-route', node: 'ns1', route: { to: '10.7.0.0/33', via: '10.5.1.1' } }, ['route.to cidr']],
    ['add-route: destination with host bits', { kind: 'add-route', node: 'ns1', route: { to: '10.7.0.1/16', via: '10.5.1.1' } }, ['route.to cidr']],
    ['add-route: missing destination', { kind: 'add-route', node: 'ns1', route: { via: '10.5.1.1' } }, ['route.to required']],
    ['add-route: via not an IP', { kind: 'add-route', node: 'ns1', route: { to: '10.7.0.0/16', via: '10.5.1.1/24' } }, ['route.via ip']],
    ['add-route: via of another family', { kind: 'add-route', node: 'ns1', route: { to: '10.7.0.0/16', via: 'fe80::1' } }, ['route.via family']],
    ['add-route: dev absent', { kind: 'add-route', node: 'ns1', route: { to: '10.7.0.0/16', dev: 'eth0' } }, ['route.dev unknown-interface']],
    ['add-route: dev made by hand', { kind: 'add-route', node: 'ns2', route: { to: '10.7.0.0/16', dev: 'eth 0' } }, ['route.dev unsafe-name']],
    ['add-route: neither via nor dev', { kind: 'add-route', node: 'ns1', route: { to: '10.7.0.0/16' } }, ['route required']],
    ['add-route: bad metric', { kind: 'add-route', node: 'ns1', route: { to: '10.7.0.0/16', dev: 'int0', metric: -1 } }, ['route.metric range']],
    ['add-route: same destination and metric exists', { kind: 'add-route', node: 'ns1', route: { to: 'default', via: '10.5.1.2' } }, ['route duplicate']],
    ['add-route: same destination, other metric', { kind: 'add-route', node: 'ns1', route: { to: 'default', via: '10.5.1.2', metric: 5 } }, []],
    ['add-route: not an object', { kind: 'add-route', node: 'ns1', route: 'default via 10.5.1.1' }, ['route type']],
    ['remove-route: absent', { kind: 'remove-route', node: 'ns1', route: { to: '10.8.0.0/16' } }, ['route not-found']],
    ['remove-route: other gateway', { kind: 'remove-route', node: 'ns1', route: { to: 'default', via: '10.5.1.2' } }, ['route not-found']],
    ['remove-route: two match', { kind: 'remove-route', node: 'ns1', route: { to: '10.9.0.0/16' } }, ['route ambiguous']],
    ['remove-route: bad destination', { kind: 'remove-route', node: 'ns1', route: { to: 'everything' } }, ['route.to cidr']],

    ['set-sysctl: not a network sysctl', { kind: 'set-sysctl', node: 'ns1', key: 'kernel.panic', value: '1' }, ['key sysctl']],
    ['set-sysctl: path tricks', { kind: 'set-sysctl', node: 'ns1', key: 'net..ipv4', value: '1' }, ['key sysctl']],
    ['set-sysctl: bad value', { kind: 'set-sysctl', node: 'ns1', key: 'net.ipv4.ip_forward', value: '1;reboot' }, ['value sysctl']],
    ['set-sysctl: missing key and value', { kind: 'set-sysctl', node: 'ns1' }, ['key required', 'value required']],
    ['set-sysctl: unknown node', { kind: 'set-sysctl', node: 'ns9', key: 'net.ipv4.ip_forward', value: '1' }, ['node unknown-node']],
  ];

  it.each(cases)('%s', (_, edit, expected) => {
    expect(issuesOf(edit)).toEqual(expected);
  });

  it('suggests the name that was probably meant', () => {
    const msg = (e: unknown) => validateEdit(lab(), e as Edit)[0]!.message;
    expect(msg({ kind: 'add-nod', name: 'x' })).toContain('did you mean "add-node"');
    expect(msg({ kind: 'add-bridge', node: 'ns9', name: 'b' })).toContain('did you mean "ns1"');
    expect(msg({ kind: 'set-link', node: 'ns1', interface: 'int9', up: true })).toContain('did you mean "int0"');
    expect(msg({ kind: 'set-link', node: HOST, interface: 'br-int0', master: 'bR0x' })).toContain('did you mean "br0"');
    expect(msg({ kind: 'remove-node', name: 'ns 3' })).toContain('made by hand');
  });

  it('lists what is there when removing what is not', () => {
    const msg = validateEdit(lab(), { kind: 'remove-address', node: 'ns1', interface: 'int0', address: '10.5.1.11/24' })[0]!.message;
    expect(msg).toBe('int0 in node "ns1" has no address 10.5.1.11/24; it has 10.5.1.10/24, fe80::2/64');
  });
});

describe('validateEdit: hostile strings in every name field', () => {
  const hostile = ['a;reboot', '$(id)', '-x', '../x', 'a\nb', 'ns\u04301', '', '.', 'a b', '`id`', "x'y"];
  const hostileNode = [...hostile, '123', 'n'.repeat(65)];
  const hostileIface = [...hostile, 'abcdefghijklmnop', '..'];

  type Build = (s: string) => unknown;
  const nodeFields: [string, Build][] = [
    ['add-node name', (s) => ({ kind: 'add-node', name: s })],
    ['remove-node name', (s) => ({ kind: 'remove-node', name: s })],
    ['add-bridge node', (s) => ({ kind: 'add-bridge', node: s, name: 'br2' })],
    ['add-veth a.node', (s) => ({ kind: 'add-veth', a: { node: s, interface: 'v' }, b: { node: 'ns2', interface: 'w' } })],
    ['add-veth b.node', (s) => ({ kind: 'add-veth', a: { node: 'ns2', interface: 'v' }, b: { node: s, interface: 'w' } })],
    ['remove-link node', (s) => ({ kind: 'remove-link', node: s, interface: 'int0' })],
    ['set-link node', (s) => ({ kind: 'set-link', node: s, interface: 'int0', mtu: 1400 })],
    ['add-address node', (s) => ({ kind: 'add-address', node: s, interface: 'int0', address: '10.0.0.1/24' })],
    ['remove-address node', (s) => ({ kind: 'remove-address', node: s, interface: 'int0', address: '10.5.1.10/24' })],
    ['add-route node', (s) => ({ kind: 'add-route', node: s, route: { to: 'default', dev: 'int0' } })],
    ['remove-route node', (s) => ({ kind: 'remove-route', node: s, route: { to: 'default' } })],
    ['set-sysctl node', (s) => ({ kind: 'set-sysctl', node: s, key: 'net.ipv4.ip_forward', value: '1' })],
  ];
  const ifaceFields: [string, Build][] = [
    ['add-bridge name', (s) => ({ kind: 'add-bridge', name: s })],
    ['add-veth a.interface', (s) => ({ kind: 'add-veth', a: { node: 'ns2', interface: s }, b: { node: 'ns1', interface: 'w' } })],
    ['add-veth b.interface', (s) => ({ kind: 'add-veth', a: { node: 'ns2', interface: 'v' }, b: { node: 'ns1', interface: s } })],
    ['add-veth bridge', (s) => ({ kind: 'add-veth', a: { node: 'ns2', interface: 'v' }, b: { node: HOST, interface: 'w' }, bridge: s })],
    ['remove-link interface', (s) => ({ kind: 'remove-link', node: 'ns1', interface: s })],
    ['set-link interface', (s) => ({ kind: 'set-link', node: 'ns1', interface: s, mtu: 1400 })],
    ['set-link master', (s) => ({ kind: 'set-link', node: 'ns1', interface: 'int0', master: s })],
    ['add-address interface', (s) => ({ kind: 'add-address', node: 'ns1', interface: s, address: '10.0.0.1/24' })],
    ['remove-address interface', (s) => ({ kind: 'remove-address', node: 'ns1', interface: s, address: '10.5.1.10/24' })],
    ['add-route route.dev', (s) => ({ kind: 'add-route', node: 'ns1', route: { to: 'default', dev: s } })],
    ['remove-route route.dev', (s) => ({ kind: 'remove-route', node: 'ns1', route: { to: 'default', dev: s } })],
  ];
  const fieldOf = (label: string) => label.split(' ')[1]!;

  const cases = [
    ...nodeFields.flatMap(([label, build]) => hostileNode.map((s) => [label, s, build, 'node-name'] as const)),
    ...ifaceFields.flatMap(([label, build]) => hostileIface.map((s) => [label, s, build, 'interface-name'] as const)),
  ];

  it.each(cases.map(([label, s, build, rule]) => [`${label} ${JSON.stringify(s)}`, label, s, build, rule] as const))('%s', (_, label, s, build, rule) => {
    const field = fieldOf(label);
    const issues = validateEdit(lab(), build(s) as Edit);
    expect(pairs(issues.filter((i) => i.field === field))).toEqual([`${field} ${rule}`]);
    // Nothing else is reported about a name that was refused, and messages show it escaped.
    expect(issues.filter((i) => i.field !== field)).toEqual([]);
    for (const i of issues) expect(i.message).not.toMatch(/[\n\u0430]/);
    expect(() => planEdit(lab(), build(s) as Edit)).toThrow(TopologyError);
  });

  it('rejects sysctl keys that are not network sysctls', () => {
    for (const key of ['kernel.panic', 'net.ipv4.ip_forward;reboot', '../net', 'net.', 'NET.ipv4.ip_forward', 'net/ipv4/ip_forward', 'net.ipv4.ip_forward\n']) {
      expect(issuesOf({ kind: 'set-sysctl', node: 'ns1', key, value: '1' })).toEqual(['key sysctl']);
    }
  });
});
