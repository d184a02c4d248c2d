import { describe, expect, it } from 'vitest';
import { diagnose, type ObservedLab } from '@nslab/model';
import { checkFrom, checkTarget, fixArgv, fixPlan, highlightOf, pingAgrees, targetSuggestions, verdictOf, walkSignature, type LiveDiagnosis } from '../src/diagnose/diagnosis.ts';
import { bridgeLab, vethPair } from './fixtures.ts';

/** The fixtures with the connected routes the kernel would add. */
function routed(lab: ObservedLab): ObservedLab {
  for (const n of lab.nodes) {
    for (const i of n.interfaces) {
      for (const a of i.addresses) if (i.up && !a.startsWith('127.')) n.routes.push({ dst: a.replace(/\.\d+\//, '.0/'), dev: i.name, protocol: 'kernel', scope: 'link' });
    }
  }
  return lab;
}
const find = (l: ObservedLab, n: string, i: string) => l.nodes.find((x) => x.name === n)!.interfaces.find((x) => x.name === i)!;
const live = (lab: ObservedLab, from: string, to: string, pingOk: boolean): LiveDiagnosis => ({ ...diagnose(lab, from, to), ping: { ok: pingOk, output: '', address: '10.5.1.11' } });

describe('the form follows the server\'s rules', () => {
  it('to: an address when it looks like one, else a node name', () => {
    expect(checkTarget('ns2')).toBeNull();
    expect(checkTarget('host')).toBeNull();
    expect(checkTarget('10.5.1.11')).toBeNull();
    expect(checkTarget('10.5.1.300')).toMatch(/^Not an IP address: .*300/);
    expect(checkTarget('10.5.1.0/24')).toMatch(/^Not an IP address/);
    expect(checkTarget('ns 2')).toMatch(/^Neither a node name nor an IP address: the name contains a space/);
    expect(checkTarget('')).toBe('Say where to: a node name or an IP address.');
    expect(checkFrom('host')).toBeNull();
    expect(checkFrom('-x')).toMatch(/must not start with "-"/);
  });

  it('offers the other nodes and the lab\'s IPv4 addresses', () => {
    expect(targetSuggestions(bridgeLab(), 'ns1')).toEqual(['host', 'ns2', '10.5.1.10', '10.5.1.11']);
  });
});

describe('the graph highlight', () => {
  it('lights the walked path and marks the broken element: a bridge port is its veth edge', () => {
    const lab = routed(bridgeLab());
    find(lab, 'host', 'br-int1').up = false;
    const d = diagnose(lab, 'ns1', 'ns2');
    expect(d.problem).toMatchObject({ cause: 'interface-down', node: 'host', interface: 'br-int1' });
    const h = highlightOf(lab, d);
    expect(h.broken).toEqual(['veth:host:br-int1=ns2:int1']);
    expect(h.verdict).toBe('broken');
    expect(h.path).toEqual(expect.arrayContaining(['ns1', 'veth:host:br-int0=ns1:int0', 'host:br0']));
    expect(h.path).not.toContain('veth:host:br-int1=ns2:int1');
  });

  it('marks a node for what is wrong in the node itself (lo down), and nothing when all is well', () => {
    const lab = routed(vethPair());
    const d = diagnose(lab, 'ns1', '10.1.5.10');
    expect(d.problem?.cause).toBe('lo-down');
    expect(highlightOf(lab, d).broken).toEqual(['ns1']);
    const okLab = routed(bridgeLab());
    const ok = diagnose(okLab, 'ns1', 'ns2');
    expect(ok.ok).toBe(true);
    const h = highlightOf(okLab, ok);
    expect(h).toMatchObject({ broken: [], verdict: 'ok' });
    expect(h.path).toEqual(expect.arrayContaining(['ns1', 'ns2', 'host:br0', 'veth:host:br-int1=ns2:int1']));
  });

  it('a walk that cannot follow a macvlan marks where it stopped as unknown, and leaves it to the ping', () => {
    const lab = routed(vethPair());
    const mv = find(lab, 'ns1', 'veth-01');
    Object.assign(mv, { kind: 'macvlan', peer: undefined, details: { mode: 'bridge' } });
    lab.links = [];
    const d = diagnose(lab, 'ns1', '10.1.5.11');
    expect(d.problem?.cause).toBe('not-followed');
    expect(highlightOf(lab, d)).toMatchObject({ broken: ['ns1'], verdict: 'unknown' });
    expect(pingAgrees({ ...d, ping: { ok: true, output: '', address: '10.1.5.11' } })).toBeNull();
  });

  it('says whether the real ping agrees', () => {
    const lab = routed(bridgeLab());
    expect(pingAgrees(live(lab, 'ns1', 'ns2', true))).toBe(true);
    expect(pingAgrees(live(lab, 'ns1', 'ns2', false))).toBe(false);
    find(lab, 'ns2', 'int1').up = false;
    expect(verdictOf(live(lab, 'ns1', 'ns2', false))).toBe('broken');
    expect(pingAgrees(live(lab, 'ns1', 'ns2', false))).toBe(true);
    expect(pingAgrees({ ...live(lab, 'ns1', 'ns2', false), ping: { ok: false, output: 'ns9 has no address to ping' } })).toBeNull();
  });
});

describe('Apply fix runs only plain commands of ip, sysctl and iptables, as argv', () => {
  it('splits the model\'s fix commands into argv', () => {
    expect(fixArgv('ip -n ns2 link set dev veth-10 up')).toEqual(['ip', '-n', 'ns2', 'link', 'set', 'dev', 'veth-10', 'up']);
    expect(fixArgv('ip netns exec router sysctl -w net.ipv4.ip_forward=1')).toEqual(['ip', 'netns', 'exec', 'router', 'sysctl', '-w', 'net.ipv4.ip_forward=1']);
    expect(fixArgv('iptables -t nat -A POSTROUTING -s 10.10.0.0/24 -o uplink -j MASQUERADE')).toHaveLength(11);
    expect(fixPlan(['ip -n ns1 addr del 10.5.1.10/24 dev int0', 'ip -n ns1 addr add 10.5.1.10/16 dev int0'])).toHaveLength(2);
  });

  it('refuses anything else: other programs, shell syntax, quoting, a program hidden behind ip netns exec', () => {
    expect(fixArgv('rm -rf /')).toBeNull();
    expect(fixArgv('ip link set dev x up; reboot')).toBeNull();
    expect(fixArgv("ip link set dev 'a b' up")).toBeNull();
    expect(fixArgv('ip link set dev $(x) up')).toBeNull();
    expect(fixArgv('ip netns exec ns1 bash')).toBeNull();
    expect(fixArgv('ip netns exec -x sysctl -w a=1')).toBeNull();
    expect(fixPlan(['ip -n ns1 link set dev lo up', 'bash -c x'])).toBeNull();
    expect(fixPlan([])).toBeNull();
  });
});

describe('a shown diagnosis goes stale when what the walk reads changes', () => {
  it('an interface going down or an address changes the signature; ARP entries and counters do not', () => {
    const base = walkSignature(bridgeLab());
    const arp = bridgeLab();
    arp.nodes[1]!.neighbours.push({ address: '10.5.1.11', dev: 'int0', mac: '02:00:00:00:00:11', state: ['REACHABLE'] });
    find(arp, 'ns1', 'int0').stats = { rxPackets: 9, txPackets: 9, rxBytes: 1, txBytes: 1, rxDropped: 0, txDropped: 0 };
    expect(walkSignature(arp)).toBe(base);
    const down = bridgeLab();
    find(down, 'ns2', 'int1').up = false;
    expect(walkSignature(down)).not.toBe(base);
    const addr = bridgeLab();
    find(addr, 'ns2', 'int1').addresses = ['10.5.1.12/24'];
    expect(walkSignature(addr)).not.toBe(base);
  });
});
