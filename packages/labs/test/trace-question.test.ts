// Trace steps: the lab format's `trace:` (every field checked), the right answer computed from the
// journey (bridge flood vs learned, SNAT, drop, next hop), and the recorded traces an answer is judged
// against: no answer without a trace, none from another lab's or another from/to's trace, one answer
// per trace, and a check that passes only on a right answer.
import { describe, expect, it } from 'vitest';
import type { Headers, Journey, JourneyEvent } from '@nslab/model';
import { AnswerError, answerStep, checkStep, emptyGuideTraces, judgeAnswer, rightAnswer, traceCheck, withTrace, type GuideTraces, type LabProbe } from '../src/index.ts';
import { labFrom, labIssues, pairs } from './helpers.ts';

const eth = (src: string, dst = 'ff:ff:ff:ff:ff:ff'): Headers => ({ ethernet: { src, dst, type: 0x806 } });
function ev(leg: JourneyEvent['leg'], node: string, iface: string, direction: 'in' | 'out', extra: Partial<JourneyEvent> = {}): JourneyEvent {
  return { t: 0, leg, type: leg === 'arp' ? 'arp request' : 'icmp echo-request', at: { node, interface: iface, direction }, headers: eth('aa:00:00:00:00:01'), changes: [], why: [], ...extra };
}
function journey(events: JourneyEvent[], extra: Partial<Journey> = {}): Journey {
  return { lab: 'mine', from: 'ns1', to: '10.5.1.11', target: '10.5.1.11', probe: { protocol: 'icmp', marker: '00' }, events, delivered: true, replied: true, armed: [], reliable: true, warnings: [], ...extra };
}
const flood = { kind: 'flood' as const, text: 'bridge br0 floods a broadcast out of every port' };
const fdb = { kind: 'fdb' as const, text: "bridge br0's fdb: aa:00:00:00:00:02 is on port br-int1", detail: 'aa:00:00:00:00:02 dev br-int1 master br0' };

/** The first trace in a fresh bridge lab: ARP request flooded out of br-int1 and br-int2. */
const FLOODED = journey([
  ev('arp', 'ns1', 'int0', 'out'),
  ev('arp', 'host', 'br-int0', 'in'),
  ev('arp', 'host', 'br-int1', 'out', { why: [flood], flooded: true }),
  ev('arp', 'host', 'br-int2', 'out', { why: [flood], flooded: true }),
  ev('arp', 'ns2', 'int1', 'in'),
  ev('request', 'ns1', 'int0', 'out'),
  ev('request', 'host', 'br-int0', 'in'),
  ev('request', 'host', 'br-int1', 'out', { why: [fdb] }),
  ev('request', 'ns2', 'int1', 'in'),
]);
/** The second trace: ARP cached, the bridge learned ns2's MAC. */
const LEARNED = journey([ev('request', 'ns1', 'int0', 'out'), ev('request', 'host', 'br-int0', 'in'), ev('request', 'host', 'br-int1', 'out', { why: [fdb] }), ev('request', 'ns2', 'int1', 'in')]);
/** app1 -> lab host (MASQUERADE on uplink) -> internet. */
const NAT = journey(
  [
    ev('request', 'app1', 'eth0', 'out', { why: [{ kind: 'route', text: 'default via 10.10.0.1', detail: 'default via 10.10.0.1 dev eth0' }] }),
    ev('request', 'host', 'veth-app1', 'in', { why: [{ kind: 'wire', text: 'into bridge br0 on port veth-app1' }] }),
    ev('request', 'host', 'uplink', 'out', {
      changes: [{ kind: 'snat', field: 'ipv4.src', from: '10.10.0.2', to: '203.0.113.1', text: 'source address translated at host: 10.10.0.2 -> 203.0.113.1 (SNAT)' }],
      why: [{ kind: 'nat', text: 'nat postrouting: masquerade', detail: 'oifname "uplink" ip saddr 10.10.0.0/24 masquerade' }],
    }),
    ev('request', 'internet', 'eth0', 'in', { from: { node: 'host', interface: 'uplink' } }),
  ],
  { from: 'app1', to: 'internet', target: '203.0.113.2' },
);
const DROPPED = journey([ev('request', 'ns1', 'eth0', 'out', { why: [{ kind: 'route', text: 'default via 10.1.1.1', detail: 'default via 10.1.1.1 dev eth0' }] }), ev('request', 'router', 'eth1', 'in')], {
  from: 'ns1',
  to: 'ns2',
  target: '10.1.2.10',
  delivered: false,
  replied: false,
  drop: { node: 'router', interface: 'eth1', leg: 'request', evidence: [{ kind: 'diagnosis', text: 'router has net.ipv4.ip_forward = 0' }] },
});

describe('the right answer comes from the journey', () => {
  it('first-packet-flooded: a fresh bridge floods the ARP broadcast (ports named); one that learned forwards out of one port', () => {
    expect(rightAnswer({ kind: 'first-packet-flooded' }, FLOODED).answer).toEqual({ flooded: true, ports: ['br-int1', 'br-int2'] });
    expect(rightAnswer({ kind: 'first-packet-flooded' }, LEARNED).answer).toEqual({ flooded: false, ports: [] });
    expect(judgeAnswer({ kind: 'first-packet-flooded' }, FLOODED, { flooded: true, ports: ['br-int2', 'br-int1'] }).ok).toBe(true);
    const partly = judgeAnswer({ kind: 'first-packet-flooded' }, FLOODED, { flooded: true, ports: ['br-int1'] });
    expect(partly.ok).toBe(false);
    expect(partly.text).toContain('flooded out of br-int1, br-int2');
    const wrong = judgeAnswer({ kind: 'first-packet-flooded' }, LEARNED, { flooded: true, ports: ['br-int1'] });
    expect(wrong).toMatchObject({ ok: false });
    expect(wrong.text).toContain("br0's fdb");
  });

  it('first-packet-flooded: the bridge learning the source MAC on the port it came in by is not where the frame went', () => {
    const learnedIn = { kind: 'fdb' as const, text: "bridge br0 learned aa:00:00:00:00:01 on port br-int0 from this frame's source MAC" };
    const fresh = journey(FLOODED.events.map((e) => (e.at.node === 'host' && e.at.direction === 'in' ? { ...e, why: [learnedIn] } : e)));
    expect(rightAnswer({ kind: 'first-packet-flooded' }, fresh).answer).toEqual({ flooded: true, ports: ['br-int1', 'br-int2'] });
    expect(judgeAnswer({ kind: 'first-packet-flooded' }, fresh, { flooded: false }).ok).toBe(false);
  });

  it('which-node-rewrote-source: the node of the SNAT with its rule; none when nothing rewrote it', () => {
    const r = rightAnswer({ kind: 'which-node-rewrote-source' }, NAT);
    expect(r.answer).toEqual({ node: 'host' });
    expect(r.because).toContain('masquerade');
    expect(judgeAnswer({ kind: 'which-node-rewrote-source' }, NAT, { node: 'app1' }).ok).toBe(false);
    expect(judgeAnswer({ kind: 'which-node-rewrote-source' }, LEARNED, { node: 'none' }).ok).toBe(true);
  });

  it('where-dropped: the drop node with its evidence, or none when it was delivered', () => {
    const v = judgeAnswer({ kind: 'where-dropped' }, DROPPED, { node: 'router' });
    expect(v.ok).toBe(true);
    expect(v.text).toContain('ip_forward = 0');
    expect(judgeAnswer({ kind: 'where-dropped' }, LEARNED, { node: 'none' }).ok).toBe(true);
    expect(judgeAnswer({ kind: 'where-dropped' }, LEARNED, { node: 'host' }).ok).toBe(false);
  });

  it('next-hop-of: the next node the request arrived in (a bridge is a wire), with the route that sent it', () => {
    const r = rightAnswer({ kind: 'next-hop-of', node: 'app1' }, NAT);
    expect(r.answer).toEqual({ node: 'internet' });
    expect(r.because).toContain('default via 10.10.0.1 dev eth0');
    expect(rightAnswer({ kind: 'next-hop-of', node: 'ns1' }, DROPPED).answer).toEqual({ node: 'router' });
    expect(rightAnswer({ kind: 'next-hop-of', node: 'ns9' }, DROPPED).answer).toEqual({ node: 'none' });
  });
});

const LAB = `
title: t
summary: s
steps:
  - id: explain
    title: Trace and explain
    doc: s.md
    trace: { from: ns1, to: 10.5.1.11, ask: first-packet-flooded }
`;

const MD = { 's.md': '## Goal\nTrace it.' };

describe('the lab format', () => {
  it('a trace step needs no checks; protocol defaults to icmp; a default question is written', () => {
    const lab = labFrom(LAB, MD);
    expect(lab.steps[0]!.trace).toEqual({ from: 'ns1', to: '10.5.1.11', protocol: 'icmp', ask: { kind: 'first-packet-flooded' }, question: expect.stringContaining('flood') });
    const hop = labFrom(LAB.replace('ask: first-packet-flooded', 'protocol: tcp, port: 80, ask: { next-hop-of: router }, question: "Where next?"'), MD);
    expect(hop.steps[0]!.trace).toMatchObject({ protocol: 'tcp', port: 80, ask: { kind: 'next-hop-of', node: 'router' }, question: 'Where next?' });
  });

  it('every field of a bad trace is named with its rule', () => {
    const bad = (t: string) => pairs(labIssues(LAB.replace('{ from: ns1, to: 10.5.1.11, ask: first-packet-flooded }', t), MD));
    expect(bad('{ from: ns1, to: 10.5.1.11, ask: who-knows }')).toEqual(['lab.steps[0].trace.ask ask']);
    expect(bad('{ from: ns1, to: 10.5.1.11, ask: next-hop-of }')).toEqual(['lab.steps[0].trace.ask ask']);
    expect(bad('{ from: ns1, to: "bad name!", ask: where-dropped }')).toEqual(['lab.steps[0].trace.to target']);
    expect(bad('{ from: ns1, to: ns2, protocol: tcp, ask: where-dropped }')).toEqual(['lab.steps[0].trace.port port']);
    expect(bad('{ from: ns1, to: ns2, protocol: sctp, ask: where-dropped }')).toEqual(['lab.steps[0].trace.protocol enum']);
    expect(bad('{ from: ns1, to: ns2, port: 80, ask: where-dropped }')).toEqual(['lab.steps[0].trace.port port']);
    expect(bad('{ from: ns1, to: ns2, ask: where-dropped, via: r1 }')).toEqual(['lab.steps[0].trace.via unknown-key']);
    expect(bad('{ to: ns2, ask: where-dropped }')).toEqual(['lab.steps[0].trace.from type']);
    expect(pairs(labIssues(LAB.replace(/    trace: .*\n/, ''), MD))).toEqual(['lab.steps[0].checks required']);
  });
});

describe('answers are judged against the learner\'s own recorded trace', () => {
  const lab = labFrom(LAB, MD);
  const step = lab.steps[0]!;
  const at = '2026-12-08T00:00:00.000Z';
  const right = { flooded: true, ports: ['br-int1', 'br-int2'] };

  it('no trace, a trace of another lab, or of another from/to: refused with what to trace', () => {
    const err = (rec: GuideTraces, a: unknown = right) => {
      try {
        answerStep(rec, 'mine', step, a, at);
      } catch (e) {
        if (e instanceof AnswerError) return `${e.code} ${e.field}: ${e.message}`;
        throw e;
      }
      return 'accepted';
    };
    expect(err(emptyGuideTraces())).toMatch(/^NO_TRACE step: trace ns1 → 10.5.1.11 \(ICMP ping\) first .*nslab trace mine ns1 10.5.1.11/);
    expect(err(withTrace(emptyGuideTraces(), { ...FLOODED, lab: 'theirs' }, 't1', at))).toMatch(/^NO_TRACE step: trace ns1/);
    expect(err(withTrace(emptyGuideTraces(), { ...FLOODED, from: 'ns2' }, 't1', at))).toMatch(/^NO_TRACE.*starts in ns2/);
    expect(err(withTrace(emptyGuideTraces(), { ...FLOODED, probe: { protocol: 'udp', port: 53, marker: '0' } }, 't1', at))).toMatch(/^NO_TRACE.*udp 53/);
    expect(err(withTrace(emptyGuideTraces(), { ...FLOODED, reliable: false }, 't1', at))).toMatch(/^NO_TRACE.*interfered/);
    // Bad shapes name the field.
    const rec = withTrace(emptyGuideTraces(), FLOODED, 't1', at);
    expect(err(rec, { node: 'host' })).toMatch(/^BAD_ANSWER answer.node/);
    expect(err(rec, { flooded: 'yes' })).toMatch(/^BAD_ANSWER answer.flooded/);
    expect(err(rec, { flooded: true })).toMatch(/^BAD_ANSWER answer.ports/);
    expect(err(rec, 'yes')).toMatch(/^BAD_ANSWER answer:/);
  });

  it('one answer per trace: a wrong guess needs a fresh trace; the check passes only on a right answer', async () => {
    let rec = withTrace(emptyGuideTraces(), FLOODED, 't1', at);
    const wrong = answerStep(rec, 'mine', step, { flooded: false }, at);
    expect(wrong.answer.ok).toBe(false);
    rec = wrong.rec;
    expect(traceCheck(rec, 'mine', step)).toMatchObject({ ok: false, detail: expect.stringContaining('not right') });
    expect(() => answerStep(rec, 'mine', step, right, at)).toThrow(/already used/);
    // The second trace in a bridge that learned: the right answer is now "not flooded".
    rec = withTrace(rec, LEARNED, 't2', at);
    expect(answerStep(rec, 'mine', step, right, at).answer.ok).toBe(false);
    const ok = answerStep(rec, 'mine', step, { flooded: false }, at);
    expect(ok.answer).toMatchObject({ ok: true, trace: 't2' });
    expect(traceCheck(ok.rec, 'mine', step).ok).toBe(true);
    // Another lab's record of the same answer does not pass this one.
    expect(traceCheck(ok.rec, 'other', step).ok).toBe(false);
    // checkStep asks the probe for the record; without one the step cannot pass.
    const probe = (record: GuideTraces | null): LabProbe => ({ observe: async () => ({ name: 'mine', nodes: [], links: [], bridges: [] }) as never, exec: async () => ({ code: 0, stdout: '', stderr: '' }), guideTraces: () => ({ lab: 'mine', record }) });
    expect((await checkStep(step, probe(ok.rec))).ok).toBe(true);
    expect((await checkStep(step, probe(rec))).ok).toBe(false);
    const { guideTraces: _, ...bare } = probe(ok.rec);
    expect((await checkStep(step, bare)).ok).toBe(false);
  });
});
