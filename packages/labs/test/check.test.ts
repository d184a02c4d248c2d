// The checker over a fake probe: a hand-built ObservedLab and scripted command results.
import { describe, expect, it } from 'vitest';
import type { ObservedInterface, ObservedLab, ObservedNode } from '@nslab/model';
import { checkLab, checkProgress, checkStep, type Check, type CheckSpec, type ExecResult, type LabProbe, type Step } from '../src/index.ts';

type Partialish = Partial<ObservedInterface> & { name: string };

function ifc(o: Partialish): ObservedInterface {
  return { ifindex: 1, kind: 'veth', state: 'UP', up: true, carrier: true, mac: '02:00:00:00:00:01', mtu: 1500, addresses: [], promisc: false, ...o };
}
const lo = (up: boolean) => ifc({ name: 'lo', kind: 'loopback', up, carrier: up, mac: '00:00:00:00:00:00', addresses: up ? ['127.0.0.1/8'] : [] });

function nd(name: string, interfaces: ObservedInterface[], extra: Partial<ObservedNode> = {}): ObservedNode {
  return { name, kind: name === 'host' ? 'host' : 'netns', interfaces, routes: [], neighbours: [], sysctls: {}, ...extra };
}

/**
 * ns1 (int0 10.5.1.10/24) and ns2 (int1 10.5.1.11/24) plugged into br0 in the lab host through
 * br-int0/br-int1; everything up; br0 learned int0's MAC.
 */
function bridgeLab(): ObservedLab {
  return {
    name: 't',
    nodes: [
      nd('host', [
        lo(true),
        ifc({ name: 'br0', kind: 'bridge', mac: '02:00:00:00:00:b0' }),
        ifc({ name: 'br-int0', master: 'br0', mac: '02:00:00:00:00:a0', peer: { node: 'ns1', interface: 'int0', ifindex: 2 } }),
        ifc({ name: 'br-int1', master: 'br0', mac: '02:00:00:00:00:a1', peer: { node: 'ns2', interface: 'int1', ifindex: 2 } }),
      ], { sysctls: { 'net.ipv4.ip_forward': '0' } }),
      nd('ns1', [lo(false), ifc({ name: 'int0', mac: '02:00:00:00:00:10', addresses: ['10.5.1.10/24'], peer: { node: 'host', interface: 'br-int0', ifindex: 3 } })], {
        routes: [{ dst: '10.5.1.0/24', dev: 'int0' }],
        neighbours: [{ address: '10.5.1.11', dev: 'int0', mac: '02:00:00:00:00:11', state: ['REACHABLE'] }],
      }),
      nd('ns2', [lo(true), ifc({ name: 'int1', mac: '02:00:00:00:00:11', addresses: ['10.5.1.11/24'], peer: { node: 'host', interface: 'br-int1', ifindex: 4 } })], {
        routes: [{ dst: '10.5.1.0/24', dev: 'int1' }, { dst: 'default', via: '10.5.1.1', dev: 'int1' }],
        neighbours: [{ address: '10.5.1.10', dev: 'int1', state: ['INCOMPLETE'] }],
      }),
    ],
    links: [],
    bridges: [{ node: 'host', name: 'br0', ports: ['br-int0', 'br-int1'], fdb: [{ mac: '02:00:00:00:00:10', port: 'br-int0', permanent: false, local: false }] }],
  };
}

type Script = (node: string, argv: string[]) => ExecResult | undefined;

/** A probe over a fixed lab; exec answers from the script (default: exit 1, no output) and is recorded. */
function fake(lab: ObservedLab, script: Script = () => undefined): LabProbe & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    observe: async () => structuredClone(lab),
    exec: async (node, argv) => {
      calls.push(`${node}: ${argv.join(' ')}`);
      return script(node, argv) ?? { code: 1, stdout: '', stderr: '' };
    },
  };
}

const ok = (stdout = ''): ExecResult => ({ code: 0, stdout, stderr: '' });
const step = (...checks: (Check | CheckSpec)[]): Step => ({
  id: 's', title: 'S', markdown: '', solution: [], mistakes: [],
  checks: checks.map((c) => ('check' in c ? (c as CheckSpec) : { check: c as Check, hints: [] })),
});

async function one(c: Check | CheckSpec, lab = bridgeLab(), script?: Script) {
  const r = await checkStep(step(c), fake(lab, script));
  return r.checks[0]!;
}

function mutate(f: (l: ObservedLab) => void): ObservedLab {
  const l = bridgeLab();
  f(l);
  return l;
}
const find = (l: ObservedLab, n: string, i: string) => l.nodes.find((x) => x.name === n)!.interfaces.find((x) => x.name === i)!;

describe('namespace', () => {
  it('passes when it exists, fails with the command otherwise; absent inverts', async () => {
    expect((await one({ namespace: 'ns1' })).ok).toBe(true);
    const r = await one({ namespace: 'ns9' });
    expect(r).toMatchObject({ ok: false, detail: 'there is no namespace ns9', hints: ['ip netns add ns9'] });
    expect((await one({ namespace: 'ns9', absent: true })).ok).toBe(true);
    expect((await one({ namespace: 'ns1', absent: true })).ok).toBe(false);
  });
});

describe('interface', () => {
  it('passes for an UP interface with carrier; bridges need no carrier', async () => {
    expect((await one({ interface: { node: 'ns1', name: 'int0' }, up: true, kind: 'veth', mtu: 1500, promisc: false })).ok).toBe(true);
    const l = mutate((x) => (find(x, 'host', 'br0').carrier = false));
    expect((await one({ interface: { node: 'host', name: 'br0' }, up: true, kind: 'bridge' }, l)).ok).toBe(true);
  });

  it('a DOWN interface gets the command to bring it up', async () => {
    const l = mutate((x) => Object.assign(find(x, 'ns2', 'int1'), { up: false, carrier: false }));
    const r = await one({ interface: { node: 'ns2', name: 'int1' }, up: true }, l);
    expect(r.ok).toBe(false);
    expect(r.detail).toBe('int1 is DOWN');
    expect(r.hints).toEqual(['int1 is still DOWN in ns2: ip -n ns2 link set dev int1 up']);
  });

  it('an UP interface without carrier because its peer is DOWN says so', async () => {
    const l = mutate((x) => {
      find(x, 'ns1', 'int0').carrier = false;
      find(x, 'host', 'br-int0').up = false;
    });
    const r = await one({ interface: { node: 'ns1', name: 'int0' }, up: true }, l);
    expect(r.detail).toBe('int0 is UP but has no carrier');
    expect(r.hints[0]).toContain('its peer br-int0 (in the lab host) is DOWN');
  });

  it('kind, mtu, promisc, exists: false', async () => {
    expect((await one({ interface: { node: 'ns1', name: 'int0' }, kind: 'tap' })).detail).toBe('int0 is a veth, not a tap');
    expect((await one({ interface: { node: 'ns1', name: 'int0' }, mtu: 1450 })).detail).toBe('int0 has MTU 1500');
    expect((await one({ interface: { node: 'ns1', name: 'int0' }, promisc: true })).detail).toBe('int0 is not in promiscuous mode');
    expect((await one({ interface: { node: 'ns1', name: 'int9' }, exists: false })).ok).toBe(true);
    expect((await one({ interface: { node: 'ns1', name: 'int0' }, exists: false })).detail).toBe('int0 still exists in ns1');
  });

  it('not attached to the bridge: says which bridge and how', async () => {
    const l = mutate((x) => delete find(x, 'host', 'br-int1').master);
    const r = await one({ interface: { node: 'host', name: 'br-int1' }, master: 'br0' }, l);
    expect(r.detail).toBe('br-int1 is in no bridge');
    expect(r.hints).toEqual(['br-int1 is not attached to br0: ip link set dev br-int1 master br0']);
    expect((await one({ interface: { node: 'host', name: 'br-int1' }, master: null })).detail).toBe('br-int1 is a port of br0');
  });

  it('an interface left in another node is found there', async () => {
    const r = await one({ interface: { node: 'ns2', name: 'br-int0' } });
    expect(r.detail).toBe('br-int0 is in the lab host, not in ns2');
    expect(r.hints).toEqual(['br-int0 is still in the lab host: move it with ip link set dev br-int0 netns ns2']);
    expect((await one({ interface: { node: 'ns9', name: 'x' } })).detail).toBe('there is no namespace ns9');
  });

  it('details: compared as text; a wrong vxlan setting means re-creating it, a macvlan mode can be changed', async () => {
    const l = mutate((x) => {
      x.nodes.push(nd('hostB', [ifc({ name: 'vx0', kind: 'vxlan', details: { id: 43, remote: '192.168.1.1', dstport: 4789 } }), ifc({ name: 'mv2', kind: 'macvlan', details: { mode: 'vepa' } })]));
    });
    expect((await one({ interface: { node: 'hostB', name: 'vx0' }, details: { remote: '192.168.1.1', dstport: 4789 } }, l)).ok).toBe(true);
    const r = await one({ interface: { node: 'hostB', name: 'vx0' }, kind: 'vxlan', details: { id: 42, dstport: 4789 } }, l);
    expect(r.ok).toBe(false);
    expect(r.detail).toBe('vx0 has id 43');
    expect(r.hints).toEqual(["vx0's id is 43, not 42: vxlan settings are fixed when the interface is created, so delete it (ip -n hostB link del vx0) and add it again with id 42"]);
    const m = await one({ interface: { node: 'hostB', name: 'mv2' }, details: { mode: 'bridge' } }, l);
    expect(m.hints).toEqual(["mv2's mode is vepa, not bridge: ip -n hostB link set dev mv2 type macvlan mode bridge"]);
    expect((await one({ interface: { node: 'ns1', name: 'int0' }, details: { id: 1 } })).detail).toBe('int0 reports no id');
  });
});

describe('address', () => {
  it('passes on the right interface; a different prefix is a subnet mismatch', async () => {
    expect((await one({ address: { node: 'ns1', interface: 'int0', address: '10.5.1.10/24' } })).ok).toBe(true);
    const l = mutate((x) => (find(x, 'ns2', 'int1').addresses = ['10.5.1.11/16']));
    const r = await one({ address: { node: 'ns2', interface: 'int1', address: '10.5.1.11/24' } }, l);
    expect(r.ok).toBe(false);
    expect(r.hints[0]).toContain('10.5.1.11/16 is in a different subnet from 10.5.1.11/24');
  });

  it('missing: the command to add it; on another interface: says where', async () => {
    const r = await one({ address: { node: 'ns1', interface: 'int0', address: '10.5.1.20/24' } });
    expect(r.hints).toEqual(['ip -n ns1 addr add 10.5.1.20/24 dev int0']);
    const l = mutate((x) => find(x, 'ns1', 'lo').addresses.push('10.9.9.9/32'));
    expect((await one({ address: { node: 'ns1', interface: 'int0', address: '10.9.9.9/32' } }, l)).detail).toBe('10.9.9.9/32 is on lo, not on int0');
  });
});

describe('peer, bridgePort, fdb, neighbour, route', () => {
  it('peer', async () => {
    expect((await one({ peer: { a: { node: 'ns1', interface: 'int0' }, b: { node: 'host', interface: 'br-int0' } } })).ok).toBe(true);
    expect((await one({ peer: { a: { node: 'ns1', interface: 'int0' }, b: { node: 'host', interface: 'br-int1' } } })).detail).toBe("int0's peer is host:br-int0");
  });

  it('bridgePort: attached, not attached (with the command), no bridge', async () => {
    expect((await one({ bridgePort: { bridge: 'br0', port: 'br-int1' } })).ok).toBe(true);
    const l = mutate((x) => delete find(x, 'host', 'br-int1').master);
    expect((await one({ bridgePort: { bridge: 'br0', port: 'br-int1' } }, l)).hints).toEqual(['br-int1 is not attached to br0: ip link set dev br-int1 master br0']);
    expect((await one({ bridgePort: { node: 'ns1', bridge: 'br0', port: 'int0' } })).detail).toBe('there is no bridge br0 in ns1');
  });

  it('fdb: learned or not yet', async () => {
    expect((await one({ fdb: { bridge: 'br0', macOf: { node: 'ns1', name: 'int0' } } })).ok).toBe(true);
    const r = await one({ fdb: { bridge: 'br0', macOf: { node: 'ns2', name: 'int1' } } });
    expect(r.detail).toBe('br0 has not seen 02:00:00:00:00:11 yet');
    expect(r.hints[0]).toContain('send some traffic from ns2');
  });

  it('neighbour: a resolved entry passes, INCOMPLETE does not', async () => {
    expect((await one({ neighbour: { node: 'ns1', address: '10.5.1.11' } })).ok).toBe(true);
    const r = await one({ neighbour: { node: 'ns2', address: '10.5.1.10' } });
    expect(r.ok).toBe(false);
    expect(r.hints[0]).toContain('ping 10.5.1.10 from ns2');
  });

  it('route: exact destination, via and dev when given', async () => {
    expect((await one({ route: { node: 'ns2', to: 'default', via: '10.5.1.1' } })).ok).toBe(true);
    const r = await one({ route: { node: 'ns2', to: 'default', via: '10.5.1.254' } });
    expect(r.detail).toBe('the route to default goes via 10.5.1.1');
    const m = await one({ route: { node: 'ns1', to: 'default', via: '10.5.1.1' } });
    expect(m).toMatchObject({ ok: false, detail: 'ns1 has no route to default', hints: ['ip -n ns1 route add default via 10.5.1.1'] });
  });
});

describe('sysctl, iptables, command', () => {
  it('sysctl: from the observed state, else read with sysctl -n', async () => {
    expect((await one({ sysctl: { node: 'host', key: 'net.ipv4.ip_forward', value: '0' } })).ok).toBe(true);
    const r = await one({ sysctl: { node: 'host', key: 'net.ipv4.ip_forward', value: '1' } });
    expect(r).toMatchObject({ ok: false, detail: 'net.ipv4.ip_forward is 0', hints: ['sysctl -w net.ipv4.ip_forward=1'] });
    const p = fake(bridgeLab(), (n, a) => (n === 'ns1' && a.join(' ') === 'sysctl -n net.ipv4.conf.all.rp_filter' ? ok('2\n') : undefined));
    const s = await checkStep(step({ sysctl: { node: 'ns1', key: 'net.ipv4.conf.all.rp_filter', value: '2' } }), p);
    expect(s.ok).toBe(true);
    expect(p.calls).toEqual(['ns1: sysctl -n net.ipv4.conf.all.rp_filter']);
  });

  it('iptables: searches iptables-save of the table in the node', async () => {
    const script: Script = (n, a) => (n === 'host' && a.join(' ') === 'iptables-save -t nat' ? ok('*nat\n-A POSTROUTING -s 10.10.0.0/24 -o uplink -j MASQUERADE\nCOMMIT\n') : undefined);
    expect((await one({ iptables: { table: 'nat', contains: '-o uplink -j MASQUERADE' } }, bridgeLab(), script)).ok).toBe(true);
    const r = await one({ iptables: { table: 'nat', contains: 'DNAT' } }, bridgeLab(), script);
    expect(r.detail).toBe('no nat rule in the lab host contains "DNAT"');
    expect((await one({ iptables: { contains: 'MASQUERADE' } }, bridgeLab(), script)).ok).toBe(false); // filter table
  });

  it('command: split into words, outputContains and exitCode', async () => {
    const p = fake(bridgeLab(), (n, a) => (a[0] === 'ethtool' ? ok('NIC statistics:\n     peer_ifindex: 3\n') : a[0] === 'bash' ? { code: 3, stdout: '', stderr: 'x' } : undefined));
    const r = await checkStep(step(
      { command: { node: 'ns1', run: 'ethtool -S int0', outputContains: 'peer_ifindex' } },
      { command: { node: 'ns1', run: "bash -c 'exit 3'", exitCode: 3 } },
      { command: { node: 'ns1', run: 'ethtool -S int0', outputContains: 'rx_queue' } },
      { command: { node: 'ns1', run: 'false' } },
    ), p);
    expect(r.checks.map((c) => c.ok)).toEqual([true, true, false, false]);
    expect(p.calls[1]).toBe('ns1: bash -c exit 3');
    expect(r.checks[3]!.detail).toBe('exit 1: ');
  });

  it('a check that runs in a node that does not exist fails without running', async () => {
    const p = fake(bridgeLab());
    const r = await checkStep(step({ command: { node: 'ns9', run: 'true' } }), p);
    expect(r.checks[0]).toMatchObject({ ok: false, detail: 'there is no namespace ns9', hints: ['ip netns add ns9'] });
    expect(p.calls).toEqual([]);
  });
});

describe('ping and its automatic hints', () => {
  const answers = (reachable: string[]): Script => (n, a) => (a[0] === 'ping' && reachable.includes(`${n}>${a.at(-1)}`) ? ok() : undefined);

  it('success and expected failure', async () => {
    expect((await one({ ping: { from: 'ns1', to: '10.5.1.11' } }, bridgeLab(), answers(['ns1>10.5.1.11']))).ok).toBe(true);
    expect((await one({ ping: { from: 'ns1', to: '10.5.1.99', expect: 'failure' } })).ok).toBe(true);
    const r = await one({ ping: { from: 'ns1', to: '10.5.1.11', expect: 'failure' } }, bridgeLab(), answers(['ns1>10.5.1.11']));
    expect(r).toMatchObject({ ok: false, detail: 'ns1 can still reach 10.5.1.11', hints: [] });
  });

  it('own address with lo down: blames lo', async () => {
    const r = await one({ ping: { from: 'ns1', to: '10.5.1.10' } });
    expect(r.hints).toEqual(["ns1's lo is down — that is why pinging 10.5.1.10 from ns1 fails: packets to your own address go through loopback: ip -n ns1 link set dev lo up"]);
  });

  it('subnet mismatch between the two ends', async () => {
    // The target's subnet covers the source, but not the other way round.
    const wide = mutate((x) => (find(x, 'ns2', 'int1').addresses = ['10.5.2.11/16']));
    // The target was named by its address, so the source's side is the one to change.
    expect((await one({ ping: { from: 'ns1', to: '10.5.2.11' } }, wide)).hints).toEqual([
      '10.5.2.11/16 is in a different subnet from 10.5.1.10/24: both ends of one link need addresses in the same subnet, with the same prefix length: ip -n ns1 addr del 10.5.1.10/24 dev int0 && ip -n ns1 addr add 10.5.1.10/16 dev int0',
    ]);
    // The source's subnet covers the target, but the target's does not cover the source.
    const narrow = mutate((x) => (find(x, 'ns2', 'int1').addresses = ['10.5.1.11/32']));
    expect((await one({ ping: { from: 'ns1', to: '10.5.1.11' } }, narrow)).hints).toEqual([
      '10.5.1.11/32 is in a different subnet from 10.5.1.10/24: both ends of one link need addresses in the same subnet, with the same prefix length: ip -n ns2 addr del 10.5.1.11/32 dev int1 && ip -n ns2 addr add 10.5.1.11/24 dev int1',
    ]);
  });

  it('target DOWN, bridge port DOWN, bridge DOWN: every link to bring up, in path order', async () => {
    const l = mutate((x) => {
      find(x, 'ns2', 'int1').up = false;
      find(x, 'host', 'br-int1').up = false;
      find(x, 'host', 'br0').up = false;
    });
    expect((await one({ ping: { from: 'ns1', to: '10.5.1.11' } }, l)).hints).toEqual([
      'bridge br0 is DOWN in the lab host: it forwards nothing between its ports: ip link set dev br0 up',
      'bridge port br-int1 is DOWN: frames stop at br0: ip link set dev br-int1 up',
      'int1 is still DOWN in ns2, so 10.5.1.11 does not answer: ip -n ns2 link set dev int1 up',
    ]);
  });

  it('no route, no address, nobody has the target', async () => {
    const hints = async (lab: ObservedLab, to: string) => (await one({ ping: { from: 'ns1', to } }, lab)).hints;
    // ns2's own default route leads to an address nobody has: not offered as a gateway.
    expect(await hints(bridgeLab(), '192.168.9.9')).toEqual(['ns1 has no route to 192.168.9.9: no address in its subnet and no default gateway']);
    const l = mutate((x) => {
      find(x, 'ns1', 'int0').addresses = [];
      x.nodes.find((n) => n.name === 'ns1')!.routes = [];
    });
    // A free address in the target's subnet, on the interface that shares its wire.
    expect(await hints(l, '10.5.1.11')).toEqual(['ns1 has no address yet on int0, so it has no route to 10.5.1.11: ip -n ns1 addr add 10.5.1.1/24 dev int0']);
    expect(await hints(bridgeLab(), '10.5.1.99')).toEqual(['ns1 sends to 10.5.1.99 out of int0, but nobody in the lab has 10.5.1.99']);
  });

  it('a failed ping over a path that looks right says what the walk cannot see', async () => {
    expect((await one({ ping: { from: 'ns1', to: '10.5.1.11' } })).hints).toEqual([
      "every hop from ns1 to 10.5.1.11 and back looks right in the kernel's state (addresses, links, bridges, routes, forwarding, iptables filter rules): what drops the ping is something the walk does not read, such as the raw or mangle table or tc — or ARP was still resolving, so check again",
    ]);
  });

  it('reads the NAT table of a router on the way: a private source without MASQUERADE', async () => {
    // ns1 (10.5.1.10) -> br0 (10.5.1.1, the lab host forwards) -> uplink -> wan (203.0.113.2).
    const l = mutate((x) => {
      const host = x.nodes.find((n) => n.name === 'host')!;
      host.sysctls['net.ipv4.ip_forward'] = '1';
      find(x, 'host', 'br0').addresses = ['10.5.1.1/24'];
      host.interfaces.push(ifc({ name: 'uplink', addresses: ['203.0.113.1/24'], peer: { node: 'wan', interface: 'eth0', ifindex: 2 } }));
      host.routes = [{ dst: '10.5.1.0/24', dev: 'br0' }, { dst: '203.0.113.0/24', dev: 'uplink' }];
      x.nodes.push(nd('wan', [lo(true), ifc({ name: 'eth0', addresses: ['203.0.113.2/24'], peer: { node: 'host', interface: 'uplink', ifindex: 9 } })], { routes: [{ dst: '203.0.113.0/24', dev: 'eth0' }] }));
      x.nodes.find((n) => n.name === 'ns1')!.routes.push({ dst: 'default', via: '10.5.1.1', dev: 'int0' });
    });
    const p = fake(l, (n, a) => (n === 'host' && a[0] === 'iptables-save' ? ok('*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n') : undefined));
    const r = (await checkStep(step({ ping: { from: 'ns1', to: '203.0.113.2' } }), p)).checks[0]!;
    expect(p.calls).toContain('host: iptables-save');
    expect(r.hints).toEqual([
      'missing NAT: wan has no route back to the private address 10.5.1.10, and the lab host sends it out of uplink without MASQUERADE: iptables -t nat -A POSTROUTING -s 10.5.1.0/24 -o uplink -j MASQUERADE',
    ]);
  });

  it('retries once while an earlier ARP resolution is still pending in the source', async () => {
    let n = 0;
    const flaky: Script = (node, a) => (a[0] === 'ping' && node === 'ns2' && ++n === 2 ? ok() : undefined);
    expect((await one({ ping: { from: 'ns2', to: '10.5.1.10' } }, bridgeLab(), flaky)).ok).toBe(true);
    // ns1 has nothing pending: one attempt only.
    const p = fake(bridgeLab());
    await checkStep(step({ ping: { from: 'ns1', to: '10.5.1.11' } }), p);
    expect(p.calls.filter((c) => c.includes('ping'))).toEqual(['ns1: ping -c 1 -W 1 10.5.1.11']);
  });
});

describe('authored hints', () => {
  const spec: CheckSpec = {
    check: { ping: { from: 'ns1', to: '10.5.1.10' } },
    hints: [
      { when: { interface: { node: 'ns1', name: 'lo' }, up: false }, text: "ns1's lo is down" },
      { when: { sysctl: { node: 'host', key: 'net.ipv4.ip_forward', value: '1' } }, text: 'forwarding is on' },
    ],
  };

  it('are chosen by their `when` on the real state, first, then the automatic ones', async () => {
    const r = await one(spec);
    expect(r.hints[0]).toBe("ns1's lo is down");
    expect(r.hints).not.toContain('forwarding is on');
    expect(r.hints.length).toBe(2);
  });

  it('are not shown when the check passes', async () => {
    const l = mutate((x) => (find(x, 'ns1', 'lo').up = true));
    const r = await one(spec, l, (n, a) => (a[0] === 'ping' ? ok() : undefined));
    expect(r).toEqual({ title: 'ns1 can ping 10.5.1.10', ok: true, hints: [] });
  });

  it('the title defaults to a description of the check and can be given', async () => {
    expect((await one({ bridgePort: { node: 'hostA', bridge: 'br0', port: 'vx0' } })).title).toBe('hostA: vx0 is plugged into bridge br0');
    expect((await one({ ...spec, title: 'ns1 pings itself' })).title).toBe('ns1 pings itself');
  });

  it('duplicates of an automatic hint are shown once', async () => {
    const text = 'int1 is still DOWN in ns2: ip -n ns2 link set dev int1 up';
    const l = mutate((x) => Object.assign(find(x, 'ns2', 'int1'), { up: false, carrier: false }));
    const r = await one({ check: { interface: { node: 'ns2', name: 'int1' }, up: true }, hints: [{ when: { namespace: 'ns2' }, text }] }, l);
    expect(r.hints).toEqual([text]);
  });
});

describe('checkStep / checkLab', () => {
  it('a step passes only when every check passes; checkLab can run one step', async () => {
    const s1 = step({ namespace: 'ns1' }, { namespace: 'ns2' });
    const s2 = { ...step({ namespace: 'ns1' }, { namespace: 'ns9' }), id: 's2' };
    const lab = { id: 'l', title: 'L', summary: '', requires: [], tools: [], topology: '', steps: [s1, s2] };
    const all = await checkLab(lab, fake(bridgeLab()));
    expect(all.map((r) => [r.step, r.ok])).toEqual([['s', true], ['s2', false]]);
    const only = await checkLab(lab, fake(bridgeLab()), 1);
    expect(only.map((r) => r.step)).toEqual(['s2']);
  });

  it('a namespace that vanishes mid-check is a failed check, not a crash', async () => {
    const p: LabProbe = { observe: async () => bridgeLab(), exec: async () => { throw new Error('lab "t" has no node ns1'); } };
    const r = await checkStep(step({ ping: { from: 'ns1', to: '10.5.1.11' } }), p);
    expect(r.checks[0]).toMatchObject({ ok: false, detail: 'lab "t" has no node ns1' });
  });
});

describe('checkProgress', () => {
  // The promisc lab's shape: step "on" turns on what step "off" turns off again.
  const promisc = (on: boolean) => mutate((x) => Object.assign(find(x, 'ns1', 'int0'), { promisc: on }));
  const at = (id: string, c: Check): Step => ({ ...step(c), id, title: id });
  const lab = {
    id: 'p', title: 'P', summary: '', requires: [], tools: [], topology: '',
    steps: [at('ports', { namespace: 'ns1' }), at('on', { interface: { node: 'ns1', name: 'int0' }, promisc: true }), at('off', { interface: { node: 'ns1', name: 'int0' }, promisc: false })],
  };

  it('keeps passed steps passed, so a lab whose last step undoes an earlier one can be done', async () => {
    let p = await checkProgress(lab, fake(promisc(false)), []);
    // "ports" passes, "on" does not yet: the current step; "off" is not looked at (it would pass by accident).
    expect(p.results.map((r) => [r.step, r.ok])).toEqual([['ports', true], ['on', false]]);
    expect(p).toMatchObject({ passed: ['ports'], current: { index: 2, step: 'on', title: 'on' }, done: false });
    p = await checkProgress(lab, fake(promisc(true)), p.passed);
    expect(p.results.map((r) => [r.step, r.ok])).toEqual([['on', true], ['off', false]]);
    expect(p.current?.step).toBe('off');
    // Turning it off fails "on" now, but "on" stays passed and is not checked again.
    p = await checkProgress(lab, fake(promisc(false)), p.passed);
    expect(p.results.map((r) => [r.step, r.ok])).toEqual([['off', true]]);
    expect(p).toMatchObject({ passed: ['ports', 'on', 'off'], current: null, done: true });
  });

  it('checks one step when asked, whatever came before; ids of steps the lab no longer has are dropped', async () => {
    const p = await checkProgress(lab, fake(promisc(false)), ['gone'], 2);
    expect(p.results.map((r) => [r.step, r.ok])).toEqual([['off', true]]);
    expect(p).toMatchObject({ passed: ['off'], current: { index: 1, step: 'ports' }, done: false });
  });
});
