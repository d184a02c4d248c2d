// Pure parts of the Trace mode: stepping through a journey's events (step / back / play), the hop a
// step shows (the packet as it came in and as it left that node), its headers layer by layer with
// the fields that changed, and where on the graph each sighting sits (for the moving envelope).
import type { Headers, Journey, JourneyEvent, ObservedLab } from '@nslab/model';
import { checkFrom, checkTarget } from '../diagnose/diagnosis.ts';
import { bridgeId, vethId } from '../graph/elements.ts';
import { findIface } from '../selection.ts';

// ---------- stepping ----------

/** `index` -1 is "before the first event": the envelope still at the source. */
export interface StepState {
  index: number;
  playing: boolean;
  count: number;
}

export type StepAction = { kind: 'next' } | { kind: 'back' } | { kind: 'first' } | { kind: 'last' } | { kind: 'go'; index: number } | { kind: 'play' } | { kind: 'pause' } | { kind: 'toggle' } | { kind: 'tick' };

export function initialStep(count: number): StepState {
  return { index: -1, playing: false, count };
}

const clamp = (s: StepState, i: number) => Math.max(-1, Math.min(s.count - 1, i));

export function step(s: StepState, a: StepAction): StepState {
  switch (a.kind) {
    case 'next':
      return { ...s, index: clamp(s, s.index + 1), playing: false };
    case 'back':
      return { ...s, index: clamp(s, s.index - 1), playing: false };
    case 'first':
      return { ...s, index: -1, playing: false };
    case 'last':
      return { ...s, index: s.count - 1, playing: false };
    case 'go':
      return { ...s, index: clamp(s, a.index), playing: false };
    case 'play':
      if (s.count === 0) return s;
      // Play at the end starts over, as a media player does.
      return { ...s, index: s.index >= s.count - 1 ? -1 : s.index, playing: true };
    case 'pause':
      return { ...s, playing: false };
    case 'toggle':
      return step(s, { kind: s.playing ? 'pause' : 'play' });
    case 'tick': {
      if (!s.playing) return s;
      const index = clamp(s, s.index + 1);
      return { ...s, index, playing: index < s.count - 1 };
    }
  }
}

/** Milliseconds between two steps while playing, for a speed factor. */
export function stepMs(speed: number): number {
  return Math.round(1200 / Math.max(0.25, Math.min(8, speed)));
}

// ---------- the form ----------

export interface TraceForm {
  from: string;
  to: string;
  protocol: 'icmp' | 'tcp' | 'udp';
  port: string;
}

/** The server's rules, checked as the learner types: a problem per field (absent when fine). */
export function formProblems(f: TraceForm): Partial<Record<'from' | 'to' | 'port', string>> {
  const out: Partial<Record<'from' | 'to' | 'port', string>> = {};
  const from = f.from === '' ? 'Choose where the packet starts.' : checkFrom(f.from);
  if (from) out.from = from;
  const to = checkTarget(f.to.trim());
  if (to) out.to = to;
  if (f.protocol !== 'icmp') {
    const p = f.port.trim();
    if (!/^[0-9]{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) out.port = `A ${f.protocol} probe needs a destination port from 1 to 65535.`;
  }
  return out;
}

/** The request body of POST /labs/:lab/trace. */
export function traceBody(f: TraceForm): { from: string; to: string; protocol: 'icmp' | 'tcp' | 'udp'; port?: number } {
  return { from: f.from, to: f.to.trim(), protocol: f.protocol, ...(f.protocol !== 'icmp' ? { port: Number(f.port.trim()) } : {}) };
}

// ---------- the hop a step shows ----------

export interface Hop {
  node: string;
  leg: JourneyEvent['leg'];
  /** The packet as it arrived at this node (absent when it started here). */
  inbound?: { index: number; event: JourneyEvent };
  /** The packet as it left this node (absent when it was delivered or dropped here, or not yet reached). */
  outbound?: { index: number; event: JourneyEvent };
}

/**
 * The hop of step `index`: an arrival pairs with the same leg's departure from that node right after
 * it (shown only once the step reaches it), a departure with the arrival that came before it.
 */
export function hopAt(events: readonly JourneyEvent[], index: number): Hop | null {
  const e = events[index];
  if (!e) return null;
  const same = (o: JourneyEvent) => o.leg === e.leg && o.at.node === e.at.node;
  const hop: Hop = { node: e.at.node, leg: e.leg };
  if (e.at.direction === 'in') {
    hop.inbound = { index, event: e };
  } else {
    hop.outbound = { index, event: e };
    for (let i = index - 1; i >= 0; i--) {
      const o = events[i]!;
      if (!same(o)) {
        if (o.leg === e.leg) break; // the same leg moved on elsewhere: this departure has no arrival here
        continue;
      }
      if (o.at.direction === 'in') hop.inbound = { index: i, event: o };
      break;
    }
  }
  return hop;
}

// ---------- headers by layer ----------

export interface HeaderField {
  /** Dotted path as the model's changes name it: "ethernet.src", "ipv4.ttl", "inner.ipv4.src". */
  field: string;
  label: string;
  value: string;
  note?: string;
}

export interface HeaderLayer {
  /** "ethernet", "ipv4", "inner.ipv4"... */
  key: string;
  title: string;
  fields: HeaderField[];
}

const ETHER_TYPES: Record<number, string> = { 0x0800: 'IPv4', 0x0806: 'ARP', 0x86dd: 'IPv6', 0x8100: '802.1Q' };
const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP' };

/** Headers outermost first, one layer each, with a VXLAN's packet or an ICMP error's quote after. */
export function headerLayers(h: Headers, prefix = '', titlePrefix = ''): HeaderLayer[] {
  const layers: HeaderLayer[] = [];
  const f = (field: string, label: string, value: string | number, note?: string): HeaderField => ({ field: prefix + field, label, value: String(value), ...(note ? { note } : {}) });
  const add = (key: string, title: string, fields: HeaderField[]) => layers.push({ key: prefix + key, title: titlePrefix + title, fields });
  if (h.ethernet) {
    const e = h.ethernet;
    add('ethernet', 'Ethernet', [
      f('ethernet.src', 'src MAC', e.src),
      f('ethernet.dst', 'dst MAC', e.dst ?? '—', e.dst && e.dstInferred ? 'inferred from where it was delivered' : e.dst ? undefined : 'not captured'),
      f('ethernet.type', 'type', ETHER_TYPES[e.type] ?? `0x${e.type.toString(16).padStart(4, '0')}`),
    ]);
  }
  if (h.vlan) add('vlan', '802.1Q VLAN', [f('vlan.id', 'VLAN id', h.vlan.id)]);
  if (h.arp) {
    const a = h.arp;
    add('arp', 'ARP', [f('arp.op', 'op', a.op), f('arp.senderMac', 'sender MAC', a.senderMac), f('arp.senderIp', 'sender IP', a.senderIp), f('arp.targetMac', 'target MAC', a.targetMac), f('arp.targetIp', 'target IP', a.targetIp)]);
  }
  if (h.ipv4) {
    const ip = h.ipv4;
    add('ipv4', 'IPv4', [f('ipv4.src', 'src', ip.src), f('ipv4.dst', 'dst', ip.dst), f('ipv4.ttl', 'TTL', ip.ttl), f('ipv4.id', 'ID', ip.id), f('ipv4.protocol', 'protocol', PROTOCOLS[ip.protocol] ?? ip.protocol), f('ipv4.length', 'length', ip.length)]);
  }
  if (h.udp) add('udp', 'UDP', [f('udp.src', 'src port', h.udp.src), f('udp.dst', 'dst port', h.udp.dst)]);
  if (h.vxlan) add('vxlan', 'VXLAN', [f('vxlan.vni', 'VNI', h.vxlan.vni)]);
  if (h.icmp) {
    const i = h.icmp;
    add('icmp', 'ICMP', [f('icmp.name', 'type', `${i.name} (${i.type}/${i.code})`), ...(i.id !== undefined ? [f('icmp.id', 'id', i.id)] : []), ...(i.seq !== undefined ? [f('icmp.seq', 'seq', i.seq)] : [])]);
  }
  if (h.tcp) {
    const t = h.tcp;
    add('tcp', 'TCP', [f('tcp.src', 'src port', t.src), f('tcp.dst', 'dst port', t.dst), f('tcp.flags', 'flags', t.flags), f('tcp.seq', 'seq', t.seq), f('tcp.ack', 'ack', t.ack)]);
  }
  if (h.inner) layers.push(...headerLayers(h.inner, `${prefix}inner.`, 'inner '));
  if (h.quoted) layers.push(...headerLayers(h.quoted, `${prefix}quoted.`, 'quoted '));
  return layers;
}

/** Every field's value by its path, for comparing two sightings. */
function flat(h: Headers | undefined): Map<string, string> {
  const m = new Map<string, string>();
  if (h) for (const l of headerLayers(h)) for (const f of l.fields) m.set(f.field, f.value);
  return m;
}

/**
 * The fields of `out` that differ from `before` (the packet as it came in), plus the ones the
 * journey itself names as changed. A destination MAC that was not captured on one side is not a
 * change; a layer that appears or goes (encapsulation) marks all its fields.
 */
export function changedFields(before: Headers | undefined, out: JourneyEvent | Headers | undefined): Set<string> {
  const changed = new Set<string>();
  if (!out) return changed;
  const ev = 'headers' in out && 'at' in out ? (out as JourneyEvent) : null;
  const after = ev ? ev.headers : (out as Headers);
  if (ev) {
    for (const c of ev.changes) {
      changed.add(c.field);
      // A change named by layer ("vxlan", "inner") marks that layer's fields.
      if (!c.field.includes('.') || c.kind === 'encapsulated' || c.kind === 'decapsulated') for (const k of flat(after).keys()) if (k.startsWith(`${c.field}.`)) changed.add(k);
    }
  }
  if (!before) return changed;
  const a = flat(before);
  const b = flat(after);
  for (const [k, v] of b) {
    const was = a.get(k);
    if (was === undefined) {
      // A whole new layer (encapsulation), not a field that was merely not captured before.
      const layer = k.slice(0, k.lastIndexOf('.'));
      if (![...a.keys()].some((x) => x.startsWith(`${layer}.`))) changed.add(k);
      continue;
    }
    if (k.endsWith('ethernet.dst') && (v === '—' || was === '—')) continue;
    if (was !== v) changed.add(k);
  }
  return changed;
}

/** The value a changed field had before, for "64 → 63". */
export function previousValue(before: Headers | undefined, field: string): string | undefined {
  return flat(before).get(field);
}

// ---------- words ----------

export function placeWords(p: { node: string; interface: string; direction?: 'in' | 'out' }): string {
  const node = p.node === 'host' ? 'lab host' : p.node;
  return `${node} · ${p.interface}${p.direction ? (p.direction === 'in' ? ' ←in' : ' out→') : ''}`;
}

/** The event list's short form: "r:eth1 out". */
export function placeShort(p: { node: string; interface: string; direction?: 'in' | 'out' }): string {
  return `${p.node}:${p.interface}${p.direction ? ` ${p.direction}` : ''}`;
}

/** Milliseconds since the first sighting, three decimals. */
export function timeWords(tNs: number): string {
  return `${(tNs / 1e6).toFixed(3)} ms`;
}

export function legWords(leg: JourneyEvent['leg']): string {
  return leg === 'arp' ? 'ARP' : leg === 'request' ? 'request' : leg === 'reply' ? 'reply' : 'ICMP error';
}

/** One line for the whole journey. */
export function outcomeWords(j: Journey): string {
  const where = (n: string) => (n === 'host' ? 'the lab host' : n);
  if (j.drop) return `Dropped at ${where(j.drop.node)}${j.drop.interface ? ` · ${j.drop.interface}` : ''} (${j.drop.leg})`;
  if (j.replied) return `Delivered to ${j.to}${j.target && j.target !== j.to ? ` (${j.target})` : ''}, and the reply came back`;
  if (j.delivered) return `Delivered to ${j.to}, but no reply came back`;
  return 'Not delivered';
}

// ---------- where on the graph ----------

/** The graph element of a place (a bridge port: its bridge; anything else: its node), and the element at the other end of its wire. */
export function placeOnGraph(lab: ObservedLab | null, node: string, iface?: string): { self: string; peer?: string; edge?: string } {
  if (!lab || !lab.nodes.some((n) => n.name === node)) return { self: node };
  const elementOf = (n: string, i: string): string => {
    const x = findIface(lab, n, i);
    if (x?.kind === 'bridge') return bridgeId(n, i);
    if (x?.master) return bridgeId(n, x.master);
    return n;
  };
  if (iface === undefined) return { self: node };
  const self = elementOf(node, iface);
  const l = lab.links.find((x) => (x.a.node === node && x.a.interface === iface) || (x.b.node === node && x.b.interface === iface));
  if (!l) return { self };
  const other = l.a.node === node && l.a.interface === iface ? l.b : l.a;
  return { self, peer: elementOf(other.node, other.interface), edge: vethId(l.a, l.b) };
}

/** How far along the wire from this end an envelope sits: leaving, a little out; arriving, close in. */
export function alongWire(direction: 'in' | 'out'): number {
  return direction === 'out' ? 0.38 : 0.14;
}

/** The events shown at once with step `index`: a bridge's flooded copies travel together. */
export function copiesAt(events: readonly JourneyEvent[], index: number): number[] {
  const e = events[index];
  if (!e) return [];
  if (!e.flooded) return [index];
  const key = (o: JourneyEvent) => `${o.leg}|${o.from?.node ?? ''}|${o.at.direction}|${o.type}`;
  const out = [index];
  for (let i = index - 1; i >= 0 && events[i]!.flooded && key(events[i]!) === key(e); i--) out.unshift(i);
  for (let i = index + 1; i < events.length && events[i]!.flooded && key(events[i]!) === key(e); i++) out.push(i);
  return out;
}

/** The graph element a "why" points at in the inspector: the node for a route or rule, the bridge for an fdb entry or a flood. */
export function whyTarget(lab: ObservedLab | null, e: JourneyEvent, kind: string): string | null {
  if (!lab || !lab.nodes.some((n) => n.name === e.at.node)) return null;
  if (kind === 'fdb' || kind === 'flood') {
    const p = placeOnGraph(lab, e.at.node, e.at.interface);
    return p.self !== e.at.node ? p.self : null;
  }
  if (kind === 'wire' || kind === 'sent') return null;
  return e.at.node;
}

/**
 * The inspector row that holds what decided (a "why" of kind route or fdb), as a selector the
 * namespace and bridge panels answer to (data-route, data-mac); null when the inspector has no row
 * for it (rules, conntrack entries, floods: the text says it all).
 */
export function whyRow(w: { kind: string; detail?: string }): string | null {
  if (!w.detail) return null;
  if (w.kind === 'route') return `tr[data-route="${cssString(w.detail)}"]`;
  if (w.kind === 'fdb') {
    const mac = /^([0-9a-f]{2}(?::[0-9a-f]{2}){5})\b/i.exec(w.detail)?.[1];
    return mac ? `tr[data-mac="${mac.toLowerCase()}"]` : null;
  }
  return null;
}

/** A value inside a double-quoted CSS attribute selector. */
function cssString(v: string): string {
  return v.replace(/["\\]/g, (c) => `\\${c}`);
}
