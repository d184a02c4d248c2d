// Trace mode's pure parts: stepping (step / back / play / tick), the hop a step shows, which header
// fields changed at a router, the form's rules, and where a sighting sits on the graph.
import { describe, expect, it } from 'vitest';
import type { Headers, Ipv4Header, JourneyEvent } from '@nslab/model';
import { changedFields, copiesAt, formProblems, headerLayers, hopAt, initialStep, placeOnGraph, step, traceBody, whyRow, whyTarget, type StepState } from '../src/trace/journey-view.ts';
import { traceDockHeight } from '../src/trace/dock-room.ts';
import { bridgeLab } from './fixtures.ts';

const ip = (ttl: number, src = '10.1.0.10'): Ipv4Header => ({ src, dst: '10.2.0.10', ttl, id: 7, protocol: 1, length: 84 });
const icmp: Headers['icmp'] = { type: 8, code: 0, name: 'echo-request', id: 1, seq: 1 };
function ev(leg: JourneyEvent['leg'], node: string, iface: string, direction: 'in' | 'out', headers: Headers, extra: Partial<JourneyEvent> = {}): JourneyEvent {
  return { t: 0, leg, type: leg === 'arp' ? 'arp request' : 'icmp echo-request', at: { node, interface: iface, direction }, headers, changes: [], why: [], ...extra };
}

// a -> r -> b, with r's ARP for b in between its arrival and its departure.
const inR: Headers = { ethernet: { src: 'aa:00:00:00:00:01', dst: 'aa:00:00:00:00:02', type: 0x800 }, ipv4: ip(64), icmp };
const outR: Headers = { ethernet: { src: 'aa:00:00:00:00:03', dst: 'aa:00:00:00:00:04', type: 0x800 }, ipv4: ip(63), icmp };
const EVENTS: JourneyEvent[] = [
  ev('request', 'a', 'eth0', 'out', { ethernet: { src: 'aa:00:00:00:00:01', type: 0x800 }, ipv4: ip(64), icmp }),
  ev('request', 'r', 'eth0', 'in', inR),
  ev('arp', 'r', 'eth1', 'out', { ethernet: { src: 'aa:00:00:00:00:03', type: 0x806 } }),
  ev('arp', 'b', 'eth0', 'in', { ethernet: { src: 'aa:00:00:00:00:03', type: 0x806 } }),
  ev('request', 'r', 'eth1', 'out', outR, { changes: [{ kind: 'ttl', field: 'ipv4.ttl', from: '64', to: '63', text: 'TTL 64 -> 63' }] }),
  ev('request', 'b', 'eth0', 'in', outR),
];

describe('stepping through a journey', () => {
  it('starts before the first event; step and back stay within the events', () => {
    let s: StepState = initialStep(3);
    expect(s.index).toBe(-1);
    s = step(s, { kind: 'back' });
    expect(s.index).toBe(-1);
    for (let i = 0; i < 5; i++) s = step(s, { kind: 'next' });
    expect(s.index).toBe(2);
    s = step(s, { kind: 'back' });
    expect(s.index).toBe(1);
    expect(step(s, { kind: 'go', index: 99 }).index).toBe(2);
    expect(step(s, { kind: 'first' }).index).toBe(-1);
    expect(step(s, { kind: 'last' }).index).toBe(2);
  });

  it('plays tick by tick and stops at the last event; play at the end starts over; a step pauses', () => {
    let s = step(initialStep(2), { kind: 'play' });
    expect(s.playing).toBe(true);
    s = step(s, { kind: 'tick' });
    expect(s).toMatchObject({ index: 0, playing: true });
    s = step(s, { kind: 'tick' });
    expect(s).toMatchObject({ index: 1, playing: false });
    expect(step(s, { kind: 'tick' }).index).toBe(1);
    s = step(s, { kind: 'toggle' });
    expect(s).toMatchObject({ index: -1, playing: true });
    expect(step(s, { kind: 'next' })).toMatchObject({ index: 0, playing: false });
    expect(step(s, { kind: 'toggle' }).playing).toBe(false);
    expect(step(initialStep(0), { kind: 'play' }).playing).toBe(false);
  });
});

describe('the hop a step shows', () => {
  it('a departure pairs with its arrival at the same node, skipping the ARP in between', () => {
    const hop = hopAt(EVENTS, 4)!;
    expect(hop.node).toBe('r');
    expect(hop.inbound?.index).toBe(1);
    expect(hop.outbound?.index).toBe(4);
  });
  it('an arrival shows only itself; the first departure has no arrival', () => {
    expect(hopAt(EVENTS, 1)).toMatchObject({ node: 'r', inbound: { index: 1 } });
    expect(hopAt(EVENTS, 1)!.outbound).toBeUndefined();
    expect(hopAt(EVENTS, 0)!.inbound).toBeUndefined();
    expect(hopAt(EVENTS, -1)).toBeNull();
  });
});

describe('which fields changed', () => {
  it('at a router: both MACs and the TTL, nothing else', () => {
    expect([...changedFields(inR, EVENTS[4]!)].sort()).toEqual(['ethernet.dst', 'ethernet.src', 'ipv4.ttl']);
  });
  it('SNAT: the source address; a destination MAC not captured on one side is not a change', () => {
    const before: Headers = { ethernet: { src: 'aa:00:00:00:00:01', type: 0x800 }, ipv4: ip(64) };
    const after: Headers = { ethernet: { src: 'aa:00:00:00:00:01', dst: 'aa:00:00:00:00:09', type: 0x800 }, ipv4: ip(64, '192.0.2.1') };
    expect([...changedFields(before, after)]).toEqual(['ipv4.src']);
  });
  it('encapsulation: the new layers are changes, the inner packet kept as it was', () => {
    const inner: Headers = { ethernet: { src: 'aa:00:00:00:00:01', type: 0x800 }, ipv4: ip(64) };
    const vx: Headers = { ethernet: { src: 'bb:00:00:00:00:01', type: 0x800 }, ipv4: { ...ip(64, '192.168.0.1'), protocol: 17 }, udp: { src: 40000, dst: 4789 }, vxlan: { vni: 42 }, inner };
    const changed = changedFields(inner, vx);
    expect(changed.has('vxlan.vni')).toBe(true);
    expect(changed.has('udp.dst')).toBe(true);
    expect(changed.has('inner.ipv4.src')).toBe(true);
    expect(changed.has('ipv4.ttl')).toBe(false);
  });
  it('layers come outermost first, with the inner packet after', () => {
    const layers = headerLayers({ ethernet: { src: 'x', type: 0x800 }, ipv4: ip(64), udp: { src: 1, dst: 4789 }, vxlan: { vni: 5 }, inner: { ipv4: ip(64) } });
    expect(layers.map((l) => l.key)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'inner.ipv4']);
    expect(layers[0]!.fields.find((f) => f.field === 'ethernet.dst')?.note).toBe('not captured');
  });
});

describe('the form', () => {
  it('names the field at fault', () => {
    expect(formProblems({ from: 'a', to: 'b', protocol: 'icmp', port: '' })).toEqual({});
    expect(Object.keys(formProblems({ from: 'a', to: '10.1.0.300', protocol: 'icmp', port: '' }))).toEqual(['to']);
    expect(Object.keys(formProblems({ from: 'a b', to: 'b', protocol: 'icmp', port: '' }))).toEqual(['from']);
    expect(formProblems({ from: 'a', to: 'b', protocol: 'tcp', port: '70000' }).port).toMatch(/1 to 65535/);
    expect(formProblems({ from: 'a', to: 'b', protocol: 'udp', port: '5x' }).port).toBeDefined();
  });
  it('sends a port only for tcp and udp', () => {
    expect(traceBody({ from: 'a', to: ' b ', protocol: 'icmp', port: '80' })).toEqual({ from: 'a', to: 'b', protocol: 'icmp' });
    expect(traceBody({ from: 'a', to: 'b', protocol: 'tcp', port: '80' })).toEqual({ from: 'a', to: 'b', protocol: 'tcp', port: 80 });
  });
});

describe('on the graph', () => {
  it('a bridge port is its bridge; a veth end knows the element at the other end', () => {
    const lab = bridgeLab();
    const l = lab.links.find((x) => x.a.node === 'host' || x.b.node === 'host')!;
    const port = l.a.node === 'host' ? l.a : l.b;
    const ns = l.a.node === 'host' ? l.b : l.a;
    const master = lab.nodes.find((n) => n.name === 'host')!.interfaces.find((i) => i.name === port.interface)!.master!;
    expect(placeOnGraph(lab, port.node, port.interface).self).toBe(`host:${master}`);
    expect(placeOnGraph(lab, ns.node, ns.interface)).toMatchObject({ self: ns.node, peer: `host:${master}` });
    const e = ev('request', 'host', port.interface, 'out', {});
    expect(whyTarget(lab, e, 'fdb')).toBe(`host:${master}`);
    expect(whyTarget(lab, e, 'route')).toBe('host');
    expect(whyTarget(lab, e, 'wire')).toBeNull();
  });
  it("a bridge's flooded copies are shown together", () => {
    const f = (iface: string) => ev('request', 'host', iface, 'out', {}, { flooded: true, from: { node: 'host', interface: 'p-a' } });
    const events = [ev('request', 'host', 'p-a', 'in', {}), f('p-b'), f('p-c'), ev('request', 'b', 'eth0', 'in', {})];
    expect(copiesAt(events, 2)).toEqual([1, 2]);
    expect(copiesAt(events, 3)).toEqual([3]);
  });
  it('the dock grows to half the column for a journey, within bounds', () => {
    expect(traceDockHeight(800)).toBe(400);
    expect(traceDockHeight(500)).toBe(275);
  });
});

describe('the inspector row a why link marks', () => {
  it('a route by the text the journey names it with, an fdb entry by its MAC', () => {
    expect(whyRow({ kind: 'route', detail: '10.2.0.0/24 dev eth1' })).toBe('tr[data-route="10.2.0.0/24 dev eth1"]');
    expect(whyRow({ kind: 'fdb', detail: 'AA:bb:cc:dd:ee:01 dev p-a master br0' })).toBe('tr[data-mac="aa:bb:cc:dd:ee:01"]');
  });
  it('nothing for what the inspector has no row of, and a quote in a name cannot break out of the selector', () => {
    expect(whyRow({ kind: 'rule', detail: '-A FORWARD -j DROP' })).toBeNull();
    expect(whyRow({ kind: 'route' })).toBeNull();
    expect(whyRow({ kind: 'fdb', detail: 'learned' })).toBeNull();
    const sel = whyRow({ kind: 'route', detail: 'x" ], body [a="' })!;
    expect(sel).toBe('tr[data-route="x\\" ], body [a=\\""]');
  });
});
