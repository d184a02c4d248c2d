import { describe, expect, it } from 'vitest';
import { diagnose, networkOf, parseCidr, formatCidr, type ObservedInterface, type ObservedLab, type ObservedNode, type ObservedRoute } from '../src/index.ts';

// A tiny builder for observed labs: interfaces, veth cables, bridges, routes. Connected routes are
// added like the kernel does (only for interfaces that are up).
class Lab {
  nodes = new Map<string, ObservedNode>();
  private statics: [string, ObservedRoute][] = [];
  constructor() {
    this.node('host', { kind: 'host' });
  }
  node(name: string, o: { forward?: boolean; kind?: 'host' | 'netns'; loUp?: boolean; unsafe?: boolean } = {}): this {
    const n: ObservedNode = {
      name, kind: o.kind ?? 'netns', routes: [], neighbours: [], interfaces: [],
      sysctls: { 'net.ipv4.ip_forward': o.forward ? '1' : '0' }, ...(o.unsafe ? { unsafeName: true } : {}),
    };
    this.nodes.set(name, n);
    this.add(name, 'lo', [], { kind: 'loopback', up: o.loUp ?? name === 'host' });
    return this;
  }
  add(node: string, name: string, addresses: string[], o: { kind?: string; up?: boolean; master?: string } = {}): ObservedInterface {
    const n = this.nodes.get(node)!;
    const i: ObservedInterface = {
      name, ifindex: n.interfaces.length + 1, kind: o.kind ?? 'veth', state: 'UP', up: o.up ?? true, carrier: true,
      mac: `02:00:00:00:${n.interfaces.length.toString(16).padStart(2, '0')}:${(this.nodes.size).toString(16).padStart(2, '0')}`,
      mtu: 1500, addresses, promisc: false, ...(o.master ? { master: o.master } : {}),
    };
    n.interfaces.push(i);
    return i;
  }
  get(node: string, name: string) {
    return this.nodes.get(node)!.interfaces.find((i) => i.name === name)!;
  }
  /** A veth pair "n1:i1" <-> "n2:i2" (missing ends are created without addresses). */
  veth(a: string, b: string, o: { masterB?: string } = {}): this {
    const [an, ai] = a.split(':') as [string, string];
    const [bn, bi] = b.split(':') as [string, string];
    const x = this.nodes.get(an)!.interfaces.find((i) => i.name === ai) ?? this.add(an, ai, []);
    const y = this.nodes.get(bn)!.interfaces.find((i) => i.name === bi) ?? this.add(bn, bi, [], o.masterB ? { master: o.masterB } : {});
    x.peer = { node: bn, interface: bi, ifindex: y.ifindex };
    y.peer = { node: an, interface: ai, ifindex: x.ifindex };
    return this;
  }
  route(node: string, dst: string, via?: string, dev?: string): this {
    this.statics.push([node, { dst, ...(via ? { via } : {}), ...(dev ? { dev } : {}), protocol: 'boot', scope: 'global' }]);
    return this;
  }
  neigh(node: string, address: string, dev: string, state: string[], mac?: string): this {
    this.nodes.get(node)!.neighbours.push({ address, dev, state, ...(mac ? { mac } : {}) });
    return this;
  }
  build(): ObservedLab {
    const nodes = [...this.nodes.values()].map((n) => structuredClone(n));
    const find = (node: string, i: string) => nodes.find((x) => x.name === node)?.interfaces.find((y) => y.name === i);
    for (const n of nodes) {
      for (const i of n.interfaces) {
        if (i.peer) i.carrier = i.up && !!find(i.peer.node!, i.peer.interface!)?.up;
        i.state = i.up ? (i.carrier || i.kind === 'loopback' ? 'UP' : 'LOWER_LAYER_DOWN') : 'DOWN';
        if (!i.up || i.kind === 'loopback') continue;
        for (const a of i.addresses) {
          if (a.includes(':')) continue;
          n.routes.push({ dst: formatCidr(networkOf(parseCidr(a)!)), dev: i.name, protocol: 'kernel', scope: 'link', prefsrc: a.split('/')[0] });
        }
      }
    }
    for (const [node, r] of this.statics) {
      const n = nodes.find((x) => x.name === node)!;
      const dev = r.dev ?? n.interfaces.find((i) => i.up && i.addresses.some((a) => r.via && !a.includes(':') && cidrHas(a, r.via)))?.name;
      if (dev) n.routes.unshift({ ...r, dev }); // the kernel drops routes through a down interface
    }
    const bridges = nodes.flatMap((n) =>
      n.interfaces.filter((i) => i.kind === 'bridge').map((b) => ({ node: n.name, name: b.name, ports: n.interfaces.filter((p) => p.master === b.name).map((p) => p.name), fdb: [] })));
    return { name: 'lab', nodes, links: [], bridges };
  }
}
function cidrHas(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr)!;
  return formatCidr(networkOf(c)) === formatCidr(networkOf({ ...parseCidr(`${ip}/${c.prefix}`)! }));
}

const pair = () => {
  const l = new Lab().node('ns1').node('ns2').veth('ns1:eth0', 'ns2:eth0');
  l.get('ns1', 'eth0').addresses = ['10.1.5.10/24'];
  l.get('ns2', 'eth0').addresses = ['10.1.5.11/24'];
  return l;
};
const bridged = () => {
  const l = new Lab().node('ns1').node('ns2');
  l.add('host', 'br0', [], { kind: 'bridge' });
  l.add('ns1', 'int0', ['10.5.1.10/24']);
  l.add('ns2', 'int1', ['10.5.1.11/24']);
  return l.veth('ns1:int0', 'host:br-int0', { masterB: 'br0' }).veth('ns2:int1', 'host:br-int1', { masterB: 'br0' });
};
const routed = (o: { forward?: boolean } = {}) => {
  const l = new Lab().node('ns1').node('router', { forward: o.forward ?? true }).node('ns2');
  l.add('ns1', 'eth0', ['10.1.1.10/24']);
  l.add('router', 'eth1', ['10.1.1.1/24']);
  l.add('router', 'eth2', ['10.1.2.1/24']);
  l.add('ns2', 'eth0', ['10.1.2.10/24']);
  return l.veth('ns1:eth0', 'router:eth1').veth('router:eth2', 'ns2:eth0').route('ns1', 'default', '10.1.1.1').route('ns2', 'default', '10.1.2.1');
};
const natLab = () => {
  const l = new Lab().node('app1').node('internet');
  l.nodes.get('host')!.sysctls['net.ipv4.ip_forward'] = '1';
  l.add('host', 'br0', ['10.10.0.1/24'], { kind: 'bridge' });
  l.add('host', 'uplink', ['203.0.113.1/24']);
  l.add('app1', 'eth0', ['10.10.0.2/24']);
  l.add('internet', 'eth0', ['203.0.113.2/24']);
  return l.veth('app1:eth0', 'host:veth-app1', { masterB: 'br0' }).veth('internet:eth0', 'host:uplink').route('app1', 'default', '10.10.0.1');
};

function problem(lab: ObservedLab, from: string, to: string, nat?: Record<string, string>) {
  const d = diagnose(lab, from, to, nat);
  expect(d.ok, JSON.stringify(d.path, null, 1)).toBe(false);
  const p = d.problem!;
  expect(d.path[p.hop]).toBeDefined();
  return { cause: p.cause, node: p.node, interface: p.interface, fix: p.fix, message: p.message, hop: d.path[p.hop]! };
}

describe('diagnose: the walk finds nothing wrong', () => {
  it('veth pair, bridge, router, NAT', () => {
    const ok = (lab: ObservedLab, from: string, to: string) => {
      const d = diagnose(lab, from, to);
      expect(d.problem, JSON.stringify(d.problem)).toBeUndefined();
      expect(d.ok).toBe(true);
      return d;
    };
    const d = ok(pair().build(), 'ns1', 'ns2');
    expect(d.target).toEqual({ node: 'ns2', interface: 'eth0', address: '10.1.5.11' });
    expect(d.path.some((h) => h.direction === 'return')).toBe(true);
    ok(bridged().build(), 'ns1', '10.5.1.11');
    const r = ok(routed().build(), 'ns1', 'ns2');
    expect(r.path.map((h) => h.node)).toContain('router');
    const n = diagnose(natLab().build(), 'app1', 'internet', { host: '*nat\n-A POSTROUTING -s 10.10.0.0/24 -o uplink -j MASQUERADE\nCOMMIT\n' });
    expect(n.problem).toBeUndefined();
    expect(n.path.some((h) => h.what.includes('MASQUERADE'))).toBe(true);
    // Own address with lo up.
    const l = pair();
    l.get('ns1', 'lo').up = true;
    ok(l.build(), 'ns1', '10.1.5.10');
  });

  it('does not walk IPv6, and says so', () => {
    const d = diagnose(pair().build(), 'ns1', 'fd00::1');
    expect(d.ok).toBe(true);
    expect(d.path.at(-1)!.what).toContain('IPv4 only');
  });
});

describe('diagnose: the first broken hop, with the fix', () => {
  it('lo down when pinging your own address', () => {
    const p = problem(pair().build(), 'ns1', '10.1.5.10');
    expect(p).toMatchObject({ cause: 'lo-down', node: 'ns1', interface: 'lo', fix: ['ip -n ns1 link set dev lo up'] });
    expect(p.message).toContain("ns1's lo is down");
  });

  it('no address on the target (named by address, then by node)', () => {
    const l = pair();
    l.get('ns2', 'eth0').addresses = [];
    expect(problem(l.build(), 'ns1', '10.1.5.11')).toMatchObject({ cause: 'no-address', node: 'ns2', interface: 'eth0', fix: ['ip -n ns2 addr add 10.1.5.11/24 dev eth0'] });
    expect(problem(l.build(), 'ns1', 'ns2')).toMatchObject({ cause: 'no-address', node: 'ns2', interface: 'eth0', fix: ['ip -n ns2 addr add 10.1.5.1/24 dev eth0'] });
  });

  it('no address on the source', () => {
    const l = pair();
    l.get('ns1', 'eth0').addresses = [];
    const p = problem(l.build(), 'ns1', 'ns2');
    expect(p).toMatchObject({ cause: 'no-address', node: 'ns1', interface: 'eth0', fix: ['ip -n ns1 addr add 10.1.5.1/24 dev eth0'] });
    expect(p.message).toContain('has no address');
  });

  it('addresses in different subnets', () => {
    const l = pair();
    l.get('ns2', 'eth0').addresses = ['10.1.6.11/24'];
    const p = problem(l.build(), 'ns1', 'ns2');
    expect(p).toMatchObject({ cause: 'different-subnet', node: 'ns2', interface: 'eth0', fix: ['ip -n ns2 addr del 10.1.6.11/24 dev eth0', 'ip -n ns2 addr add 10.1.5.1/24 dev eth0'] });
    expect(p.message).toContain('10.1.6.11/24 is in a different subnet from 10.1.5.10/24');
    // Named by address: keep the target's address and move the source.
    expect(problem(l.build(), 'ns1', '10.1.6.11')).toMatchObject({ cause: 'different-subnet', node: 'ns1', fix: ['ip -n ns1 addr del 10.1.5.10/24 dev eth0', 'ip -n ns1 addr add 10.1.6.1/24 dev eth0'] });
  });

  it('same network, different prefix lengths (the reply cannot come back)', () => {
    const l = pair();
    l.get('ns2', 'eth0').addresses = ['10.1.5.130/25'];
    expect(problem(l.build(), 'ns1', '10.1.5.130')).toMatchObject({ cause: 'different-subnet', node: 'ns2', interface: 'eth0', fix: ['ip -n ns2 addr del 10.1.5.130/25 dev eth0', 'ip -n ns2 addr add 10.1.5.130/24 dev eth0'] });
    // The source's prefix is the odd one: fix the source.
    const m = pair();
    m.get('ns1', 'eth0').addresses = ['10.1.5.10/28'];
    m.get('ns2', 'eth0').addresses = ['10.1.5.20/24'];
    expect(problem(m.build(), 'ns1', '10.1.5.20')).toMatchObject({ cause: 'different-subnet', node: 'ns1', fix: ['ip -n ns1 addr del 10.1.5.10/28 dev eth0', 'ip -n ns1 addr add 10.1.5.10/24 dev eth0'] });
  });

  it('own interface down', () => {
    const l = pair();
    l.get('ns1', 'eth0').up = false;
    const p = problem(l.build(), 'ns1', 'ns2');
    expect(p).toMatchObject({ cause: 'interface-down', node: 'ns1', interface: 'eth0', fix: ['ip -n ns1 link set dev eth0 up'] });
    expect(p.message).toContain('is still DOWN');
  });

  it('veth peer down', () => {
    const l = pair();
    l.get('ns2', 'eth0').up = false;
    const p = problem(l.build(), 'ns1', 'ns2');
    expect(p).toMatchObject({ cause: 'peer-down', node: 'ns2', interface: 'eth0', fix: ['ip -n ns2 link set dev eth0 up'] });
    expect(p.hop).toMatchObject({ node: 'ns2', interface: 'eth0' });
  });

  it('bridge port not attached', () => {
    const l = bridged();
    delete l.get('host', 'br-int1').master;
    const p = problem(l.build(), 'ns1', 'ns2');
    expect(p).toMatchObject({ cause: 'port-not-attached', node: 'host', interface: 'br-int1', fix: ['ip link set dev br-int1 master br0'] });
    expect(p.message).toContain('br-int1 is not attached to br0');
  });

  it('bridge down, bridge port down, target down behind the bridge', () => {
    const a = bridged();
    a.get('host', 'br0').up = false;
    expect(problem(a.build(), 'ns1', 'ns2')).toMatchObject({ cause: 'bridge-down', node: 'host', interface: 'br0', fix: ['ip link set dev br0 up'] });
    const b = bridged();
    b.get('host', 'br-int1').up = false;
    const pb = problem(b.build(), 'ns1', 'ns2');
    expect(pb).toMatchObject({ cause: 'interface-down', node: 'host', interface: 'br-int1', fix: ['ip link set dev br-int1 up'] });
    expect(pb.message).toContain('bridge port br-int1 is DOWN');
    const c = bridged();
    c.get('ns2', 'int1').up = false;
    const pc = problem(c.build(), 'ns1', 'ns2');
    expect(pc).toMatchObject({ cause: 'interface-down', node: 'ns2', interface: 'int1', fix: ['ip -n ns2 link set dev int1 up'] });
    expect(pc.message).toContain('int1 is still DOWN');
  });

  it('no default gateway', () => {
    const l = routed();
    (l as unknown as { statics: [string, ObservedRoute][] }).statics.splice(0, 1); // ns1's default route
    expect(problem(l.build(), 'ns1', 'ns2')).toMatchObject({ cause: 'no-default-gateway', node: 'ns1', interface: 'eth0', fix: ['ip -n ns1 route add default via 10.1.1.1'] });
  });

  it('no route onward on a router', () => {
    const l = new Lab().node('ns1').node('r1', { forward: true }).node('r2', { forward: true }).node('ns2');
    l.add('ns1', 'eth0', ['10.1.1.10/24']);
    l.add('r1', 'eth1', ['10.1.1.1/24']);
    l.add('r1', 'eth2', ['10.1.2.1/24']);
    l.add('r2', 'eth1', ['10.1.2.2/24']);
    l.add('r2', 'eth2', ['10.1.3.1/24']);
    l.add('ns2', 'eth0', ['10.1.3.10/24']);
    l.veth('ns1:eth0', 'r1:eth1').veth('r1:eth2', 'r2:eth1').veth('r2:eth2', 'ns2:eth0');
    l.route('ns1', 'default', '10.1.1.1').route('ns2', 'default', '10.1.3.1').route('r2', '10.1.1.0/24', '10.1.2.1');
    expect(problem(l.build(), 'ns1', 'ns2')).toMatchObject({ cause: 'no-route', node: 'r1', interface: 'eth2', fix: ['ip -n r1 route add 10.1.3.0/24 via 10.1.2.2'] });
    // With it, the walk goes through; without r2's route back, the reply stops at r2.
    l.route('r1', '10.1.3.0/24', '10.1.2.2');
    expect(diagnose(l.build(), 'ns1', 'ns2').ok).toBe(true);
    (l as unknown as { statics: [string, ObservedRoute][] }).statics.splice(2, 1);
    const p = problem(l.build(), 'ns1', 'ns2');
    expect(p).toMatchObject({ cause: 'no-return-route', node: 'r2', interface: 'eth1', fix: ['ip -n r2 route add 10.1.1.0/24 via 10.1.2.1'] });
    expect(p.hop.direction).toBe('return');
  });

  it('missing return route on the target', () => {
    const l = routed();
    (l as unknown as { statics: [string, ObservedRoute][] }).statics.splice(1, 1); // ns2's default route
    const p = problem(l.build(), 'ns1', 'ns2');
    expect(p).toMatchObject({ cause: 'no-return-route', node: 'ns2', interface: 'eth0', fix: ['ip -n ns2 route add default via 10.1.2.1'] });
  });

  it('ip_forward off on a router', () => {
    const p = problem(routed({ forward: false }).build(), 'ns1', 'ns2');
    expect(p).toMatchObject({ cause: 'ip-forward-off', node: 'router', fix: ['ip netns exec router sysctl -w net.ipv4.ip_forward=1'] });
    expect(p.hop.node).toBe('router');
    // ...in the lab host, the fix has no ip netns exec.
    const n = natLab();
    n.nodes.get('host')!.sysctls['net.ipv4.ip_forward'] = '0';
    expect(problem(n.build(), 'app1', 'internet').fix).toEqual(['sysctl -w net.ipv4.ip_forward=1']);
  });

  it('missing NAT: only when the router has no MASQUERADE/SNAT and the reply has no way back', () => {
    const empty = { host: '*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n' };
    const p = problem(natLab().build(), 'app1', 'internet', empty);
    expect(p).toMatchObject({ cause: 'missing-nat', node: 'host', interface: 'uplink', fix: ['iptables -t nat -A POSTROUTING -s 10.10.0.0/24 -o uplink -j MASQUERADE'] });
    expect(p.message).toContain('missing NAT');
    // Not told about NAT: a missing return route.
    expect(problem(natLab().build(), 'app1', 'internet').cause).toBe('no-return-route');
    // SNAT counts too.
    expect(diagnose(natLab().build(), 'app1', 'internet', { host: '-A POSTROUTING -o uplink -j SNAT --to-source 203.0.113.1\n' }).ok).toBe(true);
    // A MASQUERADE for the wrong outgoing interface matches other packets: still missing NAT, said so.
    const wrong = problem(natLab().build(), 'app1', 'internet', { host: '*nat\n-A POSTROUTING -s 10.10.0.0/24 -o br0 -j MASQUERADE\nCOMMIT\n' });
    expect(wrong).toMatchObject({ cause: 'missing-nat', fix: ['iptables -t nat -A POSTROUTING -s 10.10.0.0/24 -o uplink -j MASQUERADE'] });
    expect(wrong.message).toContain('without MASQUERADE (its NAT rule matches other packets, not these)');
    // Between two private networks, a return route is the answer, not NAT.
    const r = routed();
    (r as unknown as { statics: [string, ObservedRoute][] }).statics.splice(1, 1);
    expect(problem(r.build(), 'ns1', 'ns2', { router: '' }).cause).toBe('no-return-route');
  });

  it('ARP incomplete: the gateway address belongs to nobody', () => {
    const l = routed();
    (l as unknown as { statics: [string, ObservedRoute][] }).statics[0]![1].via = '10.1.1.99';
    l.neigh('ns1', '10.1.1.99', 'eth0', ['INCOMPLETE']);
    const p = problem(l.build(), 'ns1', 'ns2');
    expect(p).toMatchObject({ cause: 'arp-incomplete', node: 'ns1', interface: 'eth0', fix: ['ip -n ns1 route replace default via 10.1.1.1'] });
    // A stale FAILED entry towards a healthy neighbour is not a problem: the kernel asks again.
    const m = pair().neigh('ns1', '10.1.5.11', 'eth0', ['FAILED']);
    expect(diagnose(m.build(), 'ns1', 'ns2').ok).toBe(true);
    // A pinned wrong MAC is.
    const w = pair().neigh('ns1', '10.1.5.11', 'eth0', ['PERMANENT'], '02:00:00:00:99:99');
    expect(problem(w.build(), 'ns1', 'ns2')).toMatchObject({ cause: 'wrong-neighbour-mac', fix: ['ip -n ns1 neigh del 10.1.5.11 dev eth0'] });
  });

  it('unknown nodes and addresses nobody has', () => {
    expect(problem(pair().build(), 'nope', 'ns2').cause).toBe('unknown-node');
    expect(problem(pair().build(), 'ns1', 'nope').cause).toBe('unknown-node');
    expect(problem(pair().build(), 'ns1', '10.1.5.99').cause).toBe('unknown-target');
  });

  it('never puts a hand-made unsafe name into a fix command', () => {
    const l = new Lab().node('ns1').node('bad;rm', { unsafe: true }).veth('ns1:eth0', 'bad;rm:eth0');
    l.get('ns1', 'eth0').addresses = ['10.1.5.10/24'];
    l.get('bad;rm', 'eth0').addresses = ['10.1.5.11/24'];
    l.get('bad;rm', 'eth0').up = false;
    const p = problem(l.build(), 'ns1', '10.1.5.11');
    expect(p.cause).toBe('peer-down');
    expect(p.fix).toEqual([]);
    expect(p.message).toContain('nslab will not put into a command');
    const m = pair();
    m.get('ns2', 'eth0').up = false;
    m.get('ns2', 'eth0').name = 'e$(x)';
    m.get('ns1', 'eth0').peer!.interface = 'e$(x)';
    expect(problem(m.build(), 'ns1', '10.1.5.11').fix).toEqual([]);
  });

  it('is deterministic', () => {
    const lab = routed({ forward: false }).build();
    expect(JSON.stringify(diagnose(lab, 'ns1', 'ns2'))).toBe(JSON.stringify(diagnose(structuredClone(lab), 'ns1', 'ns2')));
  });
});

// labs/vxlan: podA - hostA:br0 - vxlan42 ==(underlay 192.168.1.0/24)== vxlan42 - hostB:br0 - podB.
const overlay = (o: { idB?: number; remoteB?: string | null } = {}) => {
  const l = new Lab().node('hostA').node('hostB').node('podA').node('podB');
  l.add('hostA', 'eth0', ['192.168.1.1/24']);
  l.add('hostB', 'eth0', ['192.168.1.2/24']);
  l.veth('hostA:eth0', 'hostB:eth0');
  for (const [h, me, other, id] of [['hostA', '192.168.1.1', '192.168.1.2', 42], ['hostB', '192.168.1.2', '192.168.1.1', o.idB ?? 42]] as const) {
    l.add(h, 'br0', [], { kind: 'bridge' });
    const remote = h === 'hostB' && o.remoteB !== undefined ? o.remoteB : other;
    l.add(h, 'vxlan42', [], { kind: 'vxlan', master: 'br0' }).details = { id, dev: 'eth0', local: me, dstport: 4789, ...(remote ? { remote } : {}) };
  }
  l.add('podA', 'eth0', ['10.0.0.1/24']);
  l.add('podB', 'eth0', ['10.0.0.2/24']);
  return l.veth('podA:eth0', 'hostA:veth-a', { masterB: 'br0' }).veth('podB:eth0', 'hostB:veth-b', { masterB: 'br0' });
};

// labs/macvlan: lan:eth0 <-> host:eth0 (the parent), mv1 in ns1 and mv2 in ns2 (parents not visible from there).
const macvlans = () => {
  const l = new Lab().node('lan').node('ns1').node('ns2');
  l.add('lan', 'eth0', ['192.168.50.1/24']);
  l.veth('lan:eth0', 'host:eth0');
  l.add('ns1', 'mv1', ['192.168.50.11/24'], { kind: 'macvlan' }).details = { mode: 'bridge' };
  l.add('ns2', 'mv2', ['192.168.50.12/24'], { kind: 'macvlan' }).details = { mode: 'bridge' };
  return l;
};

describe('diagnose: tunnels and devices it cannot follow', () => {
  it('follows a VXLAN to its far end, walking the underlay packet on the way', () => {
    const d = diagnose(overlay().build(), 'podA', 'podB');
    expect(d.problem, JSON.stringify(d.problem)).toBeUndefined();
    expect(d.ok).toBe(true);
    const where = d.path.map((h) => `${h.node}:${h.interface ?? ''}`);
    // There: through hostA's bridge, into the tunnel, across the underlay, out of hostB's bridge.
    expect(where.indexOf('hostA:vxlan42')).toBeLessThan(where.indexOf('hostB:eth0'));
    expect(where.indexOf('hostB:eth0')).toBeLessThan(where.indexOf('hostB:veth-b'));
    expect(d.path.some((h) => h.what.includes('wraps the frame in UDP to 192.168.1.2:4789 (VNI 42)'))).toBe(true);
    expect(d.path.some((h) => h.direction === 'return' && h.what.includes('UDP to 192.168.1.1:4789'))).toBe(true);
  });

  it('finds a break behind the tunnel, or in its underlay', () => {
    const port = overlay();
    port.get('hostB', 'veth-b').up = false;
    expect(problem(port.build(), 'podA', '10.0.0.2')).toMatchObject({ cause: 'interface-down', node: 'hostB', interface: 'veth-b', fix: ['ip -n hostB link set dev veth-b up'] });
    const under = overlay();
    under.get('hostB', 'eth0').up = false;
    const p = problem(under.build(), 'podA', '10.0.0.2');
    expect(p).toMatchObject({ cause: 'peer-down', node: 'hostB', interface: 'eth0', fix: ['ip -n hostB link set dev eth0 up'] });
    expect(p.hop.what).toContain('into hostB on eth0');
  });

  it('says which setting of the far vxlan does not match, with no command to type', () => {
    const p = problem(overlay({ idB: 43 }).build(), 'podA', 'podB');
    expect(p).toMatchObject({ cause: 'vxlan-mismatch', node: 'hostA', interface: 'vxlan42', fix: [] });
    expect(p.message).toContain('vxlan42 in hostA sends VNI 42 to 192.168.1.2:4789, but no vxlan in hostB matches it: vxlan42 has VNI 43, not 42');
  });

  it('stops without a verdict at a vxlan with no fixed remote', () => {
    const p = problem(overlay({ remoteB: null }).build(), 'podB', 'podA');
    expect(p).toMatchObject({ cause: 'not-followed', node: 'hostB', interface: 'vxlan42', fix: [] });
    expect(p.message).toContain('vxlan42 in hostB has no fixed remote');
    expect(p.message).toContain('the real ping decides');
  });

  it('follows a vxlan without a fixed remote to the dst of its fdb entries', () => {
    const l = overlay({ remoteB: null });
    // A learned entry for a MAC elsewhere comes first; the walk still finds the remote that leads to a vxlan.
    l.get('hostB', 'vxlan42').details!.fdb = [
      { mac: '02:00:00:00:00:99', dst: '192.168.1.9', permanent: false },
      { mac: '00:00:00:00:00:00', dst: '192.168.1.1', permanent: true },
    ];
    const d = diagnose(l.build(), 'podB', 'podA');
    expect(d.problem, JSON.stringify(d.path)).toBeUndefined();
    expect(d.ok).toBe(true);
    expect(d.path.map((h) => h.what)).toContain('vxlan42 wraps the frame in UDP to 192.168.1.1:4789 (VNI 42): the underlay carries it');
  });

  it('says a vxlan has neither a remote nor fdb entries when both are missing', () => {
    const l = overlay({ remoteB: null });
    l.get('hostB', 'vxlan42').details!.fdb = [];
    expect(problem(l.build(), 'podB', 'podA').message).toContain('vxlan42 in hostB has no fixed remote and no fdb entry with a dst');
  });

  it('stops without a verdict at a macvlan instead of blaming the wire', () => {
    // Out of a macvlan: nothing on its "wire" is visible.
    const out = problem(macvlans().build(), 'ns1', '192.168.50.12');
    expect(out).toMatchObject({ cause: 'not-followed', node: 'ns1', interface: 'mv1', fix: [] });
    expect(out.message).toBe('the way to 192.168.50.12 goes through mv1 in ns1, a macvlan: nslab does not follow packets through macvlan interfaces, so the walk cannot say whether this hop works — the real ping decides');
    // Into one, from the parent's wire: the target is on a macvlan, not "not on eth0's wire".
    const into = problem(macvlans().build(), 'lan', 'ns1');
    expect(into).toMatchObject({ cause: 'not-followed', node: 'ns1', interface: 'mv1' });
    expect(into.message).toMatch(/^192\.168\.50\.11 is on mv1 in ns1, a macvlan: /);
  });
});

describe('diagnose: what comes before routes', () => {
  it('a source with no address at all says so, and whether anyone has the target', () => {
    const l = new Lab().node('ns1').node('ns2').veth('ns1:eth0', 'ns2:eth0');
    const p = problem(l.build(), 'ns1', '10.1.5.11');
    expect(p).toMatchObject({ cause: 'no-address', node: 'ns1', fix: [] });
    expect(p.message).toBe('ns1 has no IPv4 address yet (on eth0), so it has no route to 10.1.5.11; nobody in the lab has 10.1.5.11 yet either');
  });

  it("the source's own cable not plugged into the bridge the target is on", () => {
    // labs/docker-bridge: c1 is on docker0; c2's host end veth-c2 is up but in no bridge.
    const l = new Lab().node('c1').node('c2');
    l.add('host', 'docker0', ['172.17.0.1/16'], { kind: 'bridge' });
    l.add('c1', 'eth0', ['172.17.0.2/16']);
    l.add('c2', 'eth0', ['172.17.0.3/16']);
    l.veth('c1:eth0', 'host:veth-c1', { masterB: 'docker0' }).veth('c2:eth0', 'host:veth-c2');
    const p = problem(l.build(), 'c2', 'c1');
    expect(p).toMatchObject({ cause: 'port-not-attached', node: 'host', interface: 'veth-c2', fix: ['ip link set dev veth-c2 master docker0'] });
    expect(p.message).toBe('veth-c2 is not attached to docker0: the cable from c2 ends in the lab host without reaching the bridge 172.17.0.2 is on');
    // Pinging the bridge's own address finds the same loose end.
    expect(problem(l.build(), 'c2', '172.17.0.1')).toMatchObject({ cause: 'port-not-attached', interface: 'veth-c2' });
  });
});
