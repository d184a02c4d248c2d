// A pair made under other names than the lab's checks use (drawn in the web editor, which proposes
// its own names, or typed with a typo) gets a hint naming the expected name and the rename, instead
// of a bare "ns1 has no interface veth-01". Over the real catalog labs and hand-built kernel states.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { ObservedInterface, ObservedLab, ObservedNode } from '@nslab/model';
import { checkProgress, checkStep, expectedVeths, loadLab, type LabProbe } from '../src/index.ts';
import { labFrom } from './helpers.ts';

const labs = join(import.meta.dirname, '../../../labs');
const vethPair = loadLab(labs, 'veth-pair');
const bridge = loadLab(labs, 'bridge');

function veth(name: string, peer: { node: string; interface: string }, o: Partial<ObservedInterface> = {}): ObservedInterface {
  return { name, ifindex: 2, kind: 'veth', state: 'UP', up: true, carrier: true, mac: '02:00:00:00:00:01', mtu: 1500, addresses: [], promisc: false, peer: { ...peer, ifindex: 3 }, ...o };
}
const lo: ObservedInterface = { name: 'lo', ifindex: 1, kind: 'loopback', state: 'DOWN', up: false, carrier: false, mac: '00:00:00:00:00:00', mtu: 65536, addresses: [], promisc: false };
const nd = (name: string, interfaces: ObservedInterface[]): ObservedNode => ({ name, kind: name === 'host' ? 'host' : 'netns', interfaces: [lo, ...interfaces], routes: [], neighbours: [], sysctls: {} });
const observed = (nodes: ObservedNode[]): ObservedLab => ({ name: 't', nodes: [nd('host', []), ...nodes], links: [], bridges: [] });
const probe = (lab: ObservedLab): LabProbe => ({ observe: async () => structuredClone(lab), exec: async () => ({ code: 1, stdout: '', stderr: '' }) });
const step = (id: string) => vethPair.steps.find((s) => s.id === id)!;

describe('expectedVeths', () => {
  it('reads the pairs a lab names from its peer checks, with the bridge each end is plugged into', () => {
    expect(expectedVeths(vethPair.steps, vethPair)).toEqual([{ step: 'veth', a: { node: 'ns1', name: 'veth-01' }, b: { node: 'ns2', name: 'veth-10' } }]);
    const b = expectedVeths(bridge.steps, bridge);
    expect(b.map((v) => [v.step, `${v.a.node}:${v.a.name}`, `${v.b.node}:${v.b.name}`, v.b.bridge])).toEqual([
      ['ports', 'ns1:int0', 'host:br-int0', 'br0'],
      ['ports', 'ns2:int1', 'host:br-int1', 'br0'],
      ['learning', 'ns3:int2', 'host:br-int2', 'br0'],
    ]);
  });
});

describe('a pair under other names', () => {
  it('names the expected name and the rename of both ends (down first when up)', async () => {
    // What the editor's own proposal made: veth-ns1-ns2 <-> veth-ns2-ns1, both up.
    const lab = observed([nd('ns1', [veth('veth-ns1-ns2', { node: 'ns2', interface: 'veth-ns2-ns1' })]), nd('ns2', [veth('veth-ns2-ns1', { node: 'ns1', interface: 'veth-ns1-ns2' })])]);
    const r = await checkStep(step('veth'), probe(lab), vethPair);
    expect(r.ok).toBe(false);
    const c = r.checks[0]!;
    expect(c.detail).toBe('ns1 has no interface veth-01');
    expect(c.hints).toEqual([
      'ns1 has a veth to ns2 named veth-ns1-ns2; this step expects it to be named veth-01: ip -n ns1 link set dev veth-ns1-ns2 down && ip -n ns1 link set dev veth-ns1-ns2 name veth-01 && ip -n ns1 link set dev veth-01 up',
      'Its other end, in ns2, is named veth-ns2-ns1; this step expects veth-10: ip -n ns2 link set dev veth-ns2-ns1 down && ip -n ns2 link set dev veth-ns2-ns1 name veth-10 && ip -n ns2 link set dev veth-10 up',
      'Or delete that pair and create it again as veth-01 in ns1 and veth-10 in ns2.',
    ]);
  });

  it('renames only the wrong end, and a down end without bringing it down', async () => {
    const lab = observed([nd('ns1', [veth('veth-01', { node: 'ns2', interface: 'eth0' })]), nd('ns2', [veth('eth0', { node: 'ns1', interface: 'veth-01' }, { up: false })])]);
    const c = (await checkStep(step('veth'), probe(lab), vethPair)).checks[0]!;
    expect(c.ok).toBe(false);
    expect(c.detail).toBe("veth-01's peer is ns2:eth0");
    expect(c.hints).toEqual(["veth-01's other end, in ns2, is named eth0; this step expects veth-10: ip -n ns2 link set dev eth0 name veth-10"]);
  });

  it('swapped names are renamed in place, not moved across', async () => {
    const lab = observed([nd('ns1', [veth('veth-10', { node: 'ns2', interface: 'veth-01' }, { up: false })]), nd('ns2', [veth('veth-01', { node: 'ns1', interface: 'veth-10' }, { up: false })])]);
    const c = (await checkStep(step('veth'), probe(lab), vethPair)).checks[0]!;
    expect(c.hints[0]).toBe('ns1 has a veth to ns2 named veth-10; this step expects it to be named veth-01: ip -n ns1 link set dev veth-10 name veth-01');
    expect(c.hints[1]).toBe('Its other end, in ns2, is named veth-01; this step expects veth-10: ip -n ns2 link set dev veth-01 name veth-10');
    expect(c.hints.join(' ')).not.toContain('netns');
  });

  it('later steps know the names too (an address check on the expected name)', async () => {
    const lab = observed([nd('ns1', [veth('a', { node: 'ns2', interface: 'b' })]), nd('ns2', [veth('b', { node: 'ns1', interface: 'a' })])]);
    const r = await checkStep(step('addresses'), probe(lab), vethPair);
    const addr = r.checks.find((c) => c.title.includes('10.1.5.10/24'))!;
    expect(addr.ok).toBe(false);
    expect(addr.hints[0]).toContain('ns1 has a veth to ns2 named a; this step expects it to be named veth-01');
  });

  it('a bridge lab end in the lab host: the host-side rename has no -n', async () => {
    const lab = observed([nd('ns1', [veth('veth-ns1-br0', { node: 'host', interface: 'veth-br0-ns1' })]), nd('ns2', [])]);
    lab.nodes[0]!.interfaces.push(veth('veth-br0-ns1', { node: 'ns1', interface: 'veth-ns1-br0' }, { master: 'br0' }));
    const r = await checkStep(bridge.steps.find((s) => s.id === 'ports')!, probe(lab), bridge);
    expect(r.checks[0]!.hints).toContain('Its other end, in the lab host, is named veth-br0-ns1; this step expects br-int0: ip link set dev veth-br0-ns1 down && ip link set dev veth-br0-ns1 name br-int0 && ip link set dev br-int0 up');
  });

  it('no rename hint when nothing of that role exists: the plain missing-interface answer stays', async () => {
    const lab = observed([nd('ns1', []), nd('ns2', [])]);
    const c = (await checkStep(step('veth'), probe(lab), vethPair)).checks[0]!;
    expect(c.detail).toBe('ns1 has no interface veth-01');
    expect(c.hints.join(' ')).not.toContain('this step expects');
  });

  it('an interface the lab expects under its own name is never proposed for renaming', async () => {
    // Two pairs between ns1 and ns2: a <-> b is there, c <-> d not yet. a is not "c misnamed".
    const two = labFrom(`title: T
summary: S
steps:
  - id: one
    title: One
    doc: one.md
    checks:
      - peer: { a: { node: ns1, interface: a }, b: { node: ns2, interface: b } }
  - id: two
    title: Two
    doc: one.md
    checks:
      - peer: { a: { node: ns1, interface: c }, b: { node: ns2, interface: d } }
`, { 'one.md': 'x' });
    const lab = observed([nd('ns1', [veth('a', { node: 'ns2', interface: 'b' })]), nd('ns2', [veth('b', { node: 'ns1', interface: 'a' })])]);
    const c = (await checkStep(two.steps[1]!, probe(lab), two)).checks[0]!;
    expect(c.detail).toBe('ns1 has no interface c');
    expect(c.hints.join(' ')).not.toContain('this step expects');
    // With a third, unexpected pair it is that one.
    lab.nodes[1]!.interfaces.push(veth('veth-x', { node: 'ns2', interface: 'veth-y' }));
    lab.nodes[2]!.interfaces.push(veth('veth-y', { node: 'ns1', interface: 'veth-x' }));
    const again = (await checkStep(two.steps[1]!, probe(lab), two)).checks[0]!;
    expect(again.hints[0]).toContain('ns1 has a veth to ns2 named veth-x; this step expects it to be named c');
  });

  it('checkProgress passes the lab, so the guide and nslab lab check give the hint', async () => {
    const lab = observed([nd('ns1', [veth('x1', { node: 'ns2', interface: 'x2' })]), nd('ns2', [veth('x2', { node: 'ns1', interface: 'x1' })])]);
    const p = await checkProgress(vethPair, probe(lab), ['namespaces']);
    expect(p.current?.step).toBe('veth');
    expect(p.results[0]!.checks[0]!.hints[0]).toContain('this step expects it to be named veth-01');
  });
});
