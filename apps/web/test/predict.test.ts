// "Predict the next hop": which steps ask (a new place only; a flood once for all its copies; the
// last step of a dropped journey), judging a click or a pick with the journey's reason, the score.
import { describe, expect, it } from 'vitest';
import type { Journey, JourneyEvent, ObservedLab } from '@nslab/model';
import { choices, DROPPED, FLOODED, judge, predictPlan, score, type Judged } from '../src/trace/predict.ts';
import { bridgeLab, iface, node } from './fixtures.ts';

function ev(leg: JourneyEvent['leg'], n: string, i: string, direction: 'in' | 'out', extra: Partial<JourneyEvent> = {}): JourneyEvent {
  return { t: 0, leg, type: leg === 'arp' ? 'arp request' : 'icmp echo-request', at: { node: n, interface: i, direction }, headers: {}, changes: [], why: [], ...extra };
}
const journey = (events: JourneyEvent[], extra: Partial<Journey> = {}): Journey => ({
  lab: 'l', from: 'ns1', to: 'ns2', probe: { protocol: 'icmp', marker: '0' }, events, delivered: true, replied: true, armed: [], reliable: true, warnings: [], ...extra,
});

/** ns1 eth0 -- eth1 r eth2 -- eth0 ns2 */
function routed(): ObservedLab {
  return {
    name: 'routed',
    nodes: [
      node('ns1', [iface('eth0', { addresses: ['10.1.1.10/24'] })]),
      node('r', [iface('eth1', { addresses: ['10.1.1.1/24'] }), iface('eth2', { addresses: ['10.1.2.1/24'] })]),
      node('ns2', [iface('eth0', { addresses: ['10.1.2.10/24'] })]),
    ],
    links: [
      { a: { node: 'ns1', interface: 'eth0' }, b: { node: 'r', interface: 'eth1' } },
      { a: { node: 'r', interface: 'eth2' }, b: { node: 'ns2', interface: 'eth0' } },
    ],
    bridges: [],
  };
}
const route = { kind: 'route' as const, text: '10.1.2.10 matches route default via 10.1.1.1 dev eth0: out of eth0', detail: 'default via 10.1.1.1 dev eth0' };
const ROUTED = journey([
  ev('request', 'ns1', 'eth0', 'out', { why: [route] }),
  ev('request', 'r', 'eth1', 'in'),
  ev('request', 'r', 'eth2', 'out', { why: [{ kind: 'route', text: '10.1.2.10 matches route 10.1.2.0/24 dev eth2 (forwarded)', detail: '10.1.2.0/24 dev eth2' }] }),
  ev('request', 'ns2', 'eth0', 'in'),
  ev('reply', 'ns2', 'eth0', 'out'),
  ev('reply', 'r', 'eth2', 'in'),
]);

describe('which steps ask', () => {
  it('a routed ping: before each new place, never for arriving then leaving the same node', () => {
    const plan = predictPlan(ROUTED, routed());
    expect([...plan.keys()]).toEqual([-1, 1, 3]);
    expect(plan.get(-1)).toMatchObject({ kind: 'hop', places: ['r'], reasons: [expect.stringContaining('default via 10.1.1.1')] });
    expect(plan.get(1)).toMatchObject({ kind: 'hop', places: ['ns2'], reasons: [expect.stringContaining('10.1.2.0/24 dev eth2')] });
    expect(plan.get(3)).toMatchObject({ places: ['r'] });
  });

  it('a flood is asked once, with every copy\'s destination; its arrivals ask nothing more', () => {
    const lab = bridgeLab();
    lab.nodes.find((n) => n.name === 'host')!.interfaces.push(iface('br-int2', { master: 'br0' }));
    lab.nodes.push(node('ns3', [iface('int2')]));
    lab.links.push({ a: { node: 'host', interface: 'br-int2' }, b: { node: 'ns3', interface: 'int2' } });
    const flood = { kind: 'flood' as const, text: 'bridge br0 floods a broadcast out of every port' };
    const j = journey([
      ev('arp', 'ns1', 'int0', 'out', { from: undefined }),
      ev('arp', 'host', 'br-int0', 'in', { from: { node: 'ns1', interface: 'int0' } }),
      ev('arp', 'host', 'br-int1', 'out', { why: [flood], flooded: true }),
      ev('arp', 'host', 'br-int2', 'out', { why: [flood], flooded: true }),
      ev('arp', 'ns2', 'int1', 'in'),
      ev('arp', 'ns3', 'int2', 'in'),
    ]);
    const plan = predictPlan(j, lab);
    expect([...plan.keys()]).toEqual([-1, 1]);
    expect(plan.get(-1)!.places).toEqual(['host:br0']);
    const q = plan.get(1)!;
    expect(q).toMatchObject({ kind: 'flood', places: ['ns2', 'ns3'], reasons: [flood.text] });
    expect(judge(q, FLOODED).right).toBe(true);
    const one = judge(q, 'ns2');
    expect(one).toMatchObject({ right: false, text: expect.stringContaining('Not only ns2: the bridge flooded it to ns2 and ns3') });
    expect(judge(plan.get(-1)!, 'host:br0').text).toMatch(/^Right: bridge br0/);
  });

  it('a dropped journey asks at its last step, and "dropped here" is the answer', () => {
    const j = journey(ROUTED.events.slice(0, 2), { drop: { node: 'r', interface: 'eth1', leg: 'request', evidence: [{ kind: 'diagnosis', text: 'r has net.ipv4.ip_forward = 0: it does not forward' }] }, delivered: false, replied: false });
    const plan = predictPlan(j, routed());
    expect([...plan.keys()]).toEqual([-1, 1]);
    const q = plan.get(1)!;
    expect(q.kind).toBe('drop');
    expect(judge(q, DROPPED)).toEqual({ right: true, text: 'Right: it was dropped here — r has net.ipv4.ip_forward = 0: it does not forward' });
    expect(judge(q, 'ns2')).toMatchObject({ right: false, text: expect.stringContaining('dropped here') });
    // Saying "dropped" where it went on is wrong, with the route that sent it.
    expect(judge(plan.get(-1)!, DROPPED)).toMatchObject({ right: false, text: expect.stringContaining('default via 10.1.1.1 dev eth0') });
  });
});

describe('answers and score', () => {
  it('a wrong pick names where it went and why; the score counts the right ones', () => {
    const q = predictPlan(ROUTED, routed()).get(1)!;
    expect(judge(q, 'ns1')).toEqual({ right: false, text: 'No: it went to ns2, not ns1 — 10.1.2.10 matches route 10.1.2.0/24 dev eth2 (forwarded)' });
    const answers = new Map<number, Judged>([[-1, { right: true, text: '' }], [1, { right: false, text: '' }], [3, { right: true, text: '' }]]);
    expect(score(answers)).toEqual({ right: 2, asked: 3 });
  });

  it('the list offers every node and bridge and both outcomes, whatever the answer', () => {
    const c = choices(bridgeLab());
    expect(c.map((x) => x.label)).toEqual(['lab host', 'ns1', 'ns2', 'bridge br0', 'flooded out of every port', 'dropped here']);
  });
});
