// The walk reads the filter table of each node the ping meets (OUTPUT where it starts, FORWARD at
// routers, INPUT where it lands, and the same for the reply) and names the rule or policy that
// drops it, with the command that undoes it. Matches it cannot judge never give a green tick.
import { describe, expect, it } from 'vitest';
import { diagnose, filterPacket, nftSuspects, type ObservedLab, type ObservedNode } from '../src/index.ts';

function node(name: string, ifaces: [string, string, string, string][], o: { forward?: boolean; iptables?: string[]; routes?: [string, string?, string?][] } = {}): ObservedNode {
  return {
    name, kind: 'netns', neighbours: [], sysctls: { 'net.ipv4.ip_forward': o.forward ? '1' : '0' },
    ...(o.iptables ? { iptables: o.iptables } : {}),
    interfaces: [
      { name: 'lo', ifindex: 1, kind: 'loopback', state: 'UP', up: true, carrier: true, mac: '00:00:00:00:00:00', mtu: 65536, addresses: ['127.0.0.1/8'], promisc: false },
      ...ifaces.map(([n, addr, peerNode, peerIf], k) => ({
        name: n, ifindex: k + 2, kind: 'veth', state: 'UP', up: true, carrier: true, mac: `02:00:00:00:0${k}:${name.length}${k}`, mtu: 1500,
        addresses: [addr], promisc: false, peer: { node: peerNode, interface: peerIf, ifindex: 2 },
      })),
    ],
    routes: [
      ...ifaces.map(([n, addr]) => ({ dst: `${addr.split('.').slice(0, 3).join('.')}.0/24`, dev: n, protocol: 'kernel', scope: 'link' })),
      ...(o.routes ?? []).map(([dst, via, dev]) => ({ dst, ...(via ? { via } : {}), ...(dev ? { dev } : {}) })),
    ],
  };
}

/** client — router — server, with the given rules. */
function lab(rules: { client?: string[]; router?: string[]; server?: string[] } = {}): ObservedLab {
  return {
    name: 'fw', links: [], bridges: [],
    nodes: [
      { name: 'host', kind: 'host', interfaces: [], routes: [], neighbours: [], sysctls: {} },
      node('client', [['c0', '10.1.0.10/24', 'router', 'r0']], { routes: [['default', '10.1.0.1']], ...(rules.client ? { iptables: rules.client } : {}) }),
      node('router', [['r0', '10.1.0.1/24', 'client', 'c0'], ['r1', '10.2.0.1/24', 'server', 's0']], { forward: true, ...(rules.router ? { iptables: rules.router } : {}) }),
      node('server', [['s0', '10.2.0.20/24', 'router', 'r1']], { routes: [['default', '10.2.0.1']], ...(rules.server ? { iptables: rules.server } : {}) }),
    ],
  };
}

describe('filter rules on the path', () => {
  it('without rules (or with rules that accept) the ping goes through', () => {
    expect(diagnose(lab(), 'client', 'server').ok).toBe(true);
    expect(diagnose(lab({ server: ['-A INPUT -p tcp -j DROP', '-A INPUT -s 10.9.0.0/16 -j DROP'] }), 'client', 'server').ok).toBe(true);
  });

  it('a DROP in the destination\'s INPUT is named, with the command that deletes it', () => {
    const d = diagnose(lab({ server: ['-A INPUT -p icmp --icmp-type echo-request -j DROP'] }), 'client', 'server');
    expect(d.ok).toBe(false);
    expect(d.problem).toMatchObject({ node: 'server', interface: 's0', cause: 'filtered' });
    expect(d.problem!.message).toContain('rule -A INPUT -p icmp --icmp-type echo-request -j DROP');
    expect(d.problem!.message).toMatch(/drops the ping from 10\.1\.0\.10 to 10\.2\.0\.20 in its INPUT chain/);
    expect(d.problem!.fix).toEqual(['ip netns exec server iptables -D INPUT -p icmp --icmp-type echo-request -j DROP']);
  });

  it('a FORWARD policy DROP that lets requests out but not replies back says so and offers the ESTABLISHED rule', () => {
    const d = diagnose(lab({ router: ['-P FORWARD DROP', '-A FORWARD -i r0 -o r1 -j ACCEPT'] }), 'client', 'server');
    expect(d.problem).toMatchObject({ node: 'router', cause: 'filtered' });
    expect(d.path[d.problem!.hop]!.direction).toBe('return');
    expect(d.problem!.message).toContain("the FORWARD chain's policy DROP");
    expect(d.problem!.fix).toEqual(['ip netns exec router iptables -I FORWARD -m state --state ESTABLISHED,RELATED -j ACCEPT']);
    const fixed = diagnose(lab({ router: ['-P FORWARD DROP', '-A FORWARD -i r0 -o r1 -j ACCEPT', '-A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT'] }), 'client', 'server');
    expect(fixed.ok).toBe(true);
  });

  it('user chains, RETURN, REJECT and the source\'s OUTPUT are followed', () => {
    const chains = ['-N CHECK', '-A FORWARD -j CHECK', '-A CHECK -s 10.1.0.0/24 -j RETURN', '-A CHECK -d 10.1.0.0/24 -j RETURN', '-A CHECK -j DROP'];
    expect(diagnose(lab({ router: chains }), 'client', 'server').ok).toBe(true);
    const other = diagnose(lab({ router: chains.map((r) => r.replaceAll('10.1.0.0/24', '10.7.0.0/24')) }), 'client', 'server');
    expect(other.problem?.message).toContain('rule -A CHECK -j DROP');
    const out = diagnose(lab({ client: ['-A OUTPUT -o c0 -j REJECT --reject-with icmp-port-unreachable'] }), 'client', 'server');
    expect(out.problem).toMatchObject({ node: 'client', cause: 'filtered' });
    expect(out.problem!.message).toMatch(/rejects the ping .* in its OUTPUT chain/);
  });

  it('a match nslab cannot judge is taken both ways: no certain break, and the rule is listed as a suspect', () => {
    const d = diagnose(lab({ server: ['-A INPUT -m limit --limit 1/hour -j DROP'] }), 'client', 'server');
    expect(d.ok).toBe(true);
    expect(d.uncertain).toEqual([expect.stringMatching(/server's INPUT chain may drop the ping .*rule -A INPUT -m limit --limit 1\/hour -j DROP.*cannot judge .*--limit 1\/hour/)]);
    expect(filterPacket(['-A INPUT -m limit --limit 1/hour -j DROP'], 'INPUT', { src: '1.1.1.1', dst: '2.2.2.2', proto: 'icmp', icmpType: 'echo-request', state: 'NEW' }).verdicts.map((v) => v.verdict).sort()).toEqual(['ACCEPT', 'DROP']);
  });

  it('a rule whose text carries shell syntax gets a fix that quotes it, never one that runs it', () => {
    const rule = '-A INPUT -m comment --comment "$(reboot)" -j DROP';
    const d = diagnose(lab({ server: [rule] }), 'client', 'server');
    expect(d.problem!.fix).toEqual(["ip netns exec server iptables -D INPUT -m comment --comment '$(reboot)' -j DROP"]);
  });
});

describe('nftables tables of a node\'s own', () => {
  const ruleset = (extra: object[]) => JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6' } }, { table: { family: 'ip', name: 'filter', handle: 2 } },
    { chain: { family: 'ip', table: 'filter', name: 'INPUT', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'drop' } },
    { rule: { family: 'ip', table: 'filter', chain: 'INPUT', handle: 2, expr: [{ drop: null }] } }, ...extra] });
  it('a native chain on a walked hook that can drop is a suspect; iptables-nft\'s own tables and harmless chains are not', () => {
    expect(nftSuspects(ruleset([]), 'ns2')).toEqual([]);
    const fw = [
      { table: { family: 'inet', name: 'fw', handle: 1 } },
      { chain: { family: 'inet', table: 'fw', name: 'input', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
      { rule: { family: 'inet', table: 'fw', chain: 'input', handle: 2, expr: [{ match: { op: '==', left: { payload: { protocol: 'icmp', field: 'type' } }, right: 'echo-request' } }, { drop: null }] } },
      { chain: { family: 'inet', table: 'fw', name: 'count', handle: 3, type: 'filter', hook: 'output', prio: 0, policy: 'accept' } },
      { rule: { family: 'inet', table: 'fw', chain: 'count', handle: 4, expr: [{ counter: null }] } },
    ];
    expect(nftSuspects(ruleset(fw), 'ns2')).toEqual([
      "ns2's nftables chain inet fw input (hook input) has 1 rule that drop, reject or jump: nslab does not evaluate nftables rules of their own (nft list chain inet fw input shows them)",
    ]);
    expect(nftSuspects('not json', 'ns2')).toEqual([]);
    expect(nftSuspects('{"nftables": 5}', 'ns2')).toEqual([]);
  });
});
