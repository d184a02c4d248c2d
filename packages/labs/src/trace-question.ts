// A guided step that asks the learner to trace a packet and explain what it saw: the question's
// right answer is computed from the journey their own trace produced (never written in the lab), so
// a bridge that had already learned the MAC, or a NAT rule on another node, gives another right
// answer. Pure: the server, the CLI and the web guide judge the same way.
import type { Journey, JourneyEvent } from '@nslab/model';

export const TRACE_ASKS = ['which-node-rewrote-source', 'first-packet-flooded', 'where-dropped', 'next-hop-of'] as const;
export type TraceAskKind = (typeof TRACE_ASKS)[number];

export interface TraceAsk {
  kind: TraceAskKind;
  /** next-hop-of: the node whose next hop is asked. */
  node?: string;
}

/** A step's trace task: which trace to run, and what to explain about its journey. */
export interface TraceTask {
  from: string;
  /** A node or an IPv4 address, as the trace form and `nslab trace` take it. */
  to: string;
  protocol: 'icmp' | 'tcp' | 'udp';
  port?: number;
  ask: TraceAsk;
  /** The question in the author's words (a default one when the lab gives none). */
  question: string;
}

/** The learner's answer. `node` "none": no node did it (nothing rewrote the source, nothing dropped it). */
export interface TraceAnswer {
  node?: string;
  flooded?: boolean;
  /** first-packet-flooded with flooded true: the bridge ports the copies left by. */
  ports?: string[];
}

export interface Verdict {
  ok: boolean;
  /** The right answer from the journey, and what decided it (the rule, route, fdb entry, drop evidence). */
  text: string;
}

export const NONE = 'none';

export function defaultQuestion(ask: TraceAsk): string {
  switch (ask.kind) {
    case 'which-node-rewrote-source':
      return 'Which node rewrote the request\'s source address (or did none)?';
    case 'first-packet-flooded':
      return 'Did the bridge flood the first frame of your trace, and if so out of which ports?';
    case 'where-dropped':
      return 'Where was the packet dropped (or was it not)?';
    case 'next-hop-of':
      return `Where did ${ask.node ?? 'that node'} send the request next?`;
  }
}

/** The trace `nslab trace` runs for this task, as typed. */
export function traceCommandWords(lab: string, t: Pick<TraceTask, 'from' | 'to' | 'protocol' | 'port'>): string {
  return `nslab trace ${lab} ${t.from} ${t.to}${t.protocol === 'icmp' ? '' : ` --${t.protocol} ${t.port}`}`;
}

export function taskWords(t: Pick<TraceTask, 'from' | 'to' | 'protocol' | 'port'>): string {
  return `${t.from} → ${t.to} (${t.protocol === 'icmp' ? 'ICMP ping' : `${t.protocol.toUpperCase()} ${t.port}`})`;
}

/** Why a journey is not one this task can be answered from (null: it is). */
export function journeyMismatch(t: TraceTask, lab: string, j: Journey): string | null {
  if (j.lab !== lab) return `it is a trace of lab "${j.lab}", not of "${lab}"`;
  if (j.from !== t.from) return `it starts in ${j.from}, the question is about a trace from ${t.from}`;
  if (j.to !== t.to && j.target !== t.to) return `it goes to ${j.target ?? j.to}, the question is about a trace to ${t.to}`;
  if (j.probe.protocol !== t.protocol || (t.protocol !== 'icmp' && j.probe.port !== t.port)) return `it is a ${j.probe.protocol}${j.probe.port ? ` ${j.probe.port}` : ''} probe, the question is about ${t.protocol}${t.port ? ` ${t.port}` : ''}`;
  if (!j.reliable) return 'something in the lab interfered with that trace (its journey is marked unreliable); trace again once the lab is quiet';
  return null;
}

const where = (n: string) => (n === 'host' ? 'the lab host' : n);

/** The right answer to `ask` in this journey, and the evidence for it. */
export function rightAnswer(ask: TraceAsk, j: Journey): { answer: TraceAnswer; because: string } {
  switch (ask.kind) {
    case 'which-node-rewrote-source': {
      for (const e of j.events) {
        if (e.leg !== 'request') continue;
        const c = e.changes.find((x) => x.kind === 'snat' && x.field === 'ipv4.src');
        if (!c) continue;
        const rule = e.why.find((w) => w.kind === 'nat');
        return { answer: { node: e.at.node }, because: `${c.text}${rule ? ` — ${rule.detail ?? rule.text}` : ''}` };
      }
      return { answer: { node: NONE }, because: 'the request kept its source address all the way: no node rewrote it' };
    }
    case 'first-packet-flooded': {
      // A bridge's decision is on the copy leaving a port: the frame entering it carries an fdb why
      // too when the bridge learned its source MAC there, which says nothing about where it went.
      const first = j.events.findIndex((e) => e.at.direction === 'out' && e.why.some((w) => w.kind === 'flood' || w.kind === 'fdb'));
      if (first < 0) return { answer: { flooded: false, ports: [] }, because: 'no bridge forwarded a frame of this trace' };
      const e = j.events[first]!;
      const ports = floodPorts(j.events, first);
      const w = e.why.find((x) => x.kind === 'flood' || x.kind === 'fdb')!;
      return e.flooded
        ? { answer: { flooded: true, ports }, because: `the first frame (${e.leg} ${e.type}) was flooded out of ${ports.join(', ')}: ${w.text}` }
        : { answer: { flooded: false, ports: [] }, because: `the first frame (${e.leg} ${e.type}) went out of ${e.at.interface} only: ${w.text}` };
    }
    case 'where-dropped': {
      if (!j.drop) return { answer: { node: NONE }, because: j.replied ? 'it was delivered and the reply came back: nothing dropped it' : 'the journey ends without a drop' };
      const ev = j.drop.evidence[0];
      return { answer: { node: j.drop.node }, because: `dropped at ${where(j.drop.node)}${j.drop.interface ? ` (${j.drop.interface})` : ''} on the ${j.drop.leg}${ev ? `: ${ev.text}` : ''}` };
    }
    case 'next-hop-of': {
      const x = ask.node ?? '';
      const out = j.events.findIndex((e) => e.leg === 'request' && e.at.node === x && e.at.direction === 'out');
      if (out < 0) return { answer: { node: NONE }, because: `the request never left ${where(x)}` };
      const sent = j.events[out]!;
      const route = sent.why.find((w) => w.kind === 'route') ?? sent.why[0];
      for (let i = out + 1; i < j.events.length; i++) {
        const e = j.events[i]!;
        if (e.leg !== 'request' || e.at.direction !== 'in' || e.at.node === x) continue;
        // A bridge on the way is a wire at this layer: the next hop is where the packet is routed or delivered.
        if (e.why.some((w) => w.kind === 'wire' && w.text.startsWith('into bridge'))) continue;
        return { answer: { node: e.at.node }, because: `${where(x)} sent it to ${where(e.at.node)}${route ? `: ${route.detail ?? route.text}` : ''}` };
      }
      return { answer: { node: NONE }, because: `the request left ${where(x)} by ${sent.at.interface} and was not seen arriving anywhere` };
    }
  }
}

/** The ports a flooded frame left its bridge by (the copies of event `first`). */
function floodPorts(events: readonly JourneyEvent[], first: number): string[] {
  const e = events[first]!;
  if (!e.flooded) return [e.at.interface];
  const ports: string[] = [];
  for (let i = first; i < events.length; i++) {
    const o = events[i]!;
    if (o.leg !== e.leg || o.type !== e.type || o.at.node !== e.at.node) continue;
    if (i > first && o.at.direction === 'in') break; // the next frame of this kind entered the bridge
    if (o.at.direction === 'out' && o.flooded && !ports.includes(o.at.interface)) ports.push(o.at.interface);
  }
  return ports.sort();
}

/** The learner's answer against the journey. */
export function judgeAnswer(ask: TraceAsk, j: Journey, given: TraceAnswer): Verdict {
  const { answer, because } = rightAnswer(ask, j);
  if (ask.kind === 'first-packet-flooded') {
    if (given.flooded === undefined) return { ok: false, text: 'answer whether the first frame was flooded (yes or no)' };
    const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((p) => b.includes(p));
    const ok = given.flooded === answer.flooded && (!answer.flooded || sameSet([...new Set(given.ports ?? [])], answer.ports ?? []));
    const said = given.flooded ? `flooded${given.ports?.length ? ` out of ${[...given.ports].sort().join(', ')}` : ''}` : 'not flooded';
    return { ok, text: ok ? `Right: ${because}.` : `Not quite (you said ${said}): ${because}.` };
  }
  const right = answer.node ?? NONE;
  const ok = given.node === right;
  const said = given.node === undefined ? 'nothing' : given.node === NONE ? 'none' : where(given.node);
  return { ok, text: ok ? `Right: ${because}.` : `Not quite (you said ${said}): ${because}.` };
}
