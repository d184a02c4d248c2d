// Sightings -> a journey. Sightings are correlated by the probe's marker (addresses, ICMP ids and
// ports may all be rewritten by NAT on the way, the marker is not), ordered on the kernel clock
// that every namespace shares, and read hop by hop: where the packet was, what changed since its
// previous sighting, and why it went there (the route, the bridge's fdb entry or a flood, the
// firewall rules it met). What the lab's root may forge (marker copies, floods) is set aside and
// makes the journey unreliable; it never makes this throw.
import { cidrContains, parseCidr } from '../cidr.ts';
import type { Diagnosis } from '../diagnose.ts';
import type { ObservedInterface, ObservedLab, ObservedNode, ObservedRoute } from '../observed.ts';
import { describeStep, dropStep } from './nft-trace.ts';
import { tupleText } from './monitors.ts';
import type { Change, ConntrackEvent, Evidence, Headers, Journey, JourneyDrop, JourneyEvent, Leg, NeighbourEvent, NftTrace, ProbeSpec, Sighting, Why } from './types.ts';

/** Sightings read at most (a flood beyond this is cut, and the journey marked unreliable). */
export const MAX_SIGHTINGS = 20_000;
/** Events in a journey at most. */
export const MAX_EVENTS = 400;
const MAX_ARP_EVENTS = 64;
const BROADCAST = 'ff:ff:ff:ff:ff:ff';

export interface JourneyInput {
  /** The lab as observed just before the probe (routes, neighbours, bridge fdbs). */
  lab: ObservedLab;
  from: string;
  to: string;
  /** The address the probe was sent to. */
  target?: string;
  probe: ProbeSpec;
  sightings: readonly Sighting[];
  nft: readonly NftTrace[];
  diagnosis?: Diagnosis;
  /** What the probe program said (ping's summary, an error). */
  probeOutput?: string;
  /** Did the probe program see its reply. */
  probeOk?: boolean;
  armed: string[];
  /** The collectors' own troubles (a capture died, output was cut, the trace table vanished). */
  warnings?: string[];
  /** `ip monitor neigh` in the armed namespaces: ARP entries resolved or FAILED, MACs bridges learned. */
  neighbours?: readonly NeighbourEvent[];
  /** `conntrack -E` in the armed namespaces that NAT: the entries with both tuples. */
  conntrack?: readonly ConntrackEvent[];
  /** What could not be watched (said in the journey, not a failure). */
  notes?: string[];
}

interface Seen extends Sighting {
  idx: number;
  leg: Leg;
  /** The headers of the probe itself: a VXLAN's inner packet, else the outer one. */
  eff: Headers;
}

const ipOf = (cidr: string) => cidr.split('/')[0]!;

function ns(s: Sighting, base: Sighting): number {
  return (s.sec - base.sec) * 1e9 + (s.nsec - base.nsec);
}

function effective(h: Headers): Headers {
  return h.inner?.ipv4 || h.inner?.arp ? h.inner : h;
}

/** Which part of the exchange a marked sighting is, or null when it cannot be ours. */
function legOf(s: Sighting, probe: ProbeSpec): Leg | null {
  const h = effective(s.headers);
  if (h.icmp && h.quoted) return 'error';
  if (probe.protocol === 'icmp') {
    if (h.icmp?.type === 8) return 'request';
    if (h.icmp?.type === 0) return 'reply';
    return null;
  }
  if (probe.protocol === 'udp' && h.udp) return h.udp.src === probe.port ? 'reply' : 'request';
  if (probe.protocol === 'tcp' && h.tcp) return h.tcp.flags.includes('S') && !h.tcp.flags.includes('.') ? 'request' : 'reply';
  return null;
}

/** A TCP answer to our SYN carries no marker: it acknowledges the SYN's sequence number. */
function answersSyn(s: Sighting, probe: ProbeSpec): boolean {
  const t = effective(s.headers).tcp;
  if (!t || probe.tcpSeq === undefined) return false;
  const next = (probe.tcpSeq + 1) >>> 0;
  return (t.flags.includes('R') || t.flags.includes('S')) && (t.ack === next || (t.ack - next) >>> 0 <= 64);
}

function typeOf(h: Headers): string {
  const e = effective(h);
  if (e.arp) return e.arp.op === 'request' ? 'arp request' : e.arp.op === 'reply' ? 'arp reply' : 'arp';
  if (e.icmp) return `icmp ${e.icmp.name}`;
  if (e.tcp) return `tcp ${e.tcp.flags.includes('R') ? 'RST' : e.tcp.flags.includes('S') && e.tcp.flags.includes('.') ? 'SYN-ACK' : e.tcp.flags.includes('S') ? 'SYN' : e.tcp.flags}`;
  if (e.udp) return 'udp';
  return e.ipv4 ? `ip proto ${e.ipv4.protocol}` : 'frame';
}

class Lab {
  constructor(readonly lab: ObservedLab) {}
  node(n: string): ObservedNode | undefined {
    return this.lab.nodes.find((x) => x.name === n);
  }
  iface(n: string, i: string): ObservedInterface | undefined {
    return this.node(n)?.interfaces.find((x) => x.name === i);
  }
  isLocal(n: string, ip: string): boolean {
    return !!this.node(n)?.interfaces.some((i) => i.addresses.some((a) => ipOf(a) === ip));
  }
  ownerOf(ip: string): string | undefined {
    return this.lab.nodes.find((n) => this.isLocal(n.name, ip))?.name;
  }
  /** A bridge port (its frames are switched, not routed, by this node). */
  isPort(n: string, i: string): boolean {
    const m = this.iface(n, i)?.master;
    return !!m && this.iface(n, m)?.kind === 'bridge';
  }
  peer(n: string, i: string): { node: string; interface: string } | undefined {
    const p = this.iface(n, i)?.peer;
    return p?.node && p.interface ? { node: p.node, interface: p.interface } : undefined;
  }
  /**
   * Where a frame seen coming in on (n, i) came from: a macvlan on that interface when the frame
   * carries its MAC (macvlans hand frames to each other inside their parent, never over its wire),
   * else the wire's other end.
   */
  cameFrom(n: string, i: string, srcMac: string | undefined): { node: string; interface: string } | undefined {
    const mac = srcMac?.toLowerCase();
    if (mac) {
      for (const node of this.lab.nodes) {
        for (const x of node.interfaces) {
          if (x.kind !== 'macvlan' || x.mac.toLowerCase() !== mac) continue;
          const parent = x.details?.parent;
          const parentNode = typeof x.details?.parentNode === 'string' ? x.details.parentNode : node.name;
          if (parent === i && parentNode === n) return { node: node.name, interface: x.name };
        }
      }
    }
    return this.peer(n, i);
  }
}

/** The route the kernel picks: longest prefix, then lowest metric (the main table, IPv4). */
export function routeFor(node: ObservedNode, dst: string): ObservedRoute | undefined {
  let best: { r: ObservedRoute; prefix: number; metric: number } | undefined;
  for (const r of node.routes) {
    const c = r.dst === 'default' ? '0.0.0.0/0' : r.dst.includes('/') ? r.dst : `${r.dst}/32`;
    const p = parseCidr(c);
    if (!p || p.family !== 4 || !cidrContains(c, dst)) continue;
    const metric = r.metric ?? 0;
    if (!best || p.prefix > best.prefix || (p.prefix === best.prefix && metric < best.metric)) best = { r, prefix: p.prefix, metric };
  }
  return best?.r;
}

export function routeText(r: ObservedRoute): string {
  return [r.dst, ...(r.via ? ['via', r.via] : []), ...(r.dev ? ['dev', r.dev] : []), ...(r.metric !== undefined ? ['metric', String(r.metric)] : [])].join(' ');
}

export function buildJourney(input: JourneyInput): Journey {
  const lab = new Lab(input.lab);
  const warnings = [...(input.warnings ?? [])];
  let reliable = warnings.length === 0;
  const unreliable = (why: string) => {
    warnings.push(why);
    reliable = false;
  };

  let raw = input.sightings;
  if (raw.length > MAX_SIGHTINGS) {
    unreliable(`${raw.length} packets were captured, more than the ${MAX_SIGHTINGS} nslab reads: only the first ${MAX_SIGHTINGS} were looked at`);
    raw = raw.slice(0, MAX_SIGHTINGS);
  }
  // Kernel clock order; a tie keeps capture order (a send is captured before its receipt).
  const sorted = raw
    .map((s, idx) => ({ s, idx }))
    .sort((a, b) => a.s.sec - b.s.sec || a.s.nsec - b.s.nsec || a.idx - b.idx)
    .map(({ s }, idx) => ({ ...s, idx }));

  // ---- the probe's own packets ----
  const marked: Seen[] = [];
  let unclassified = 0;
  for (const s of sorted) {
    const leg = s.marked ? legOf(s, input.probe) : input.probe.protocol === 'tcp' && answersSyn(s, input.probe) ? 'reply' : null;
    if (leg === null) {
      if (s.marked) unclassified++;
      continue;
    }
    marked.push({ ...s, leg, eff: effective(s.headers) });
  }
  // The probe leaves the source once; its IP ID stays the same across routers and NAT. Marked
  // packets with another ID, or seen twice at one place, are copies someone else sent.
  const first = marked.find((s) => s.leg === 'request' && s.node === input.from && s.direction === 'out');
  const kept: Seen[] = [];
  let forged = unclassified;
  const probeId = first?.eff.ipv4?.id;
  let replyId: number | undefined;
  const seenAt = new Map<string, number>();
  for (const s of marked) {
    const id = s.eff.ipv4?.id;
    if (!first || s.idx < first.idx) {
      forged++;
      continue;
    }
    if (s.leg === 'request' && id !== probeId) {
      forged++;
      continue;
    }
    if (s.leg === 'reply') {
      if (replyId === undefined) replyId = id;
      else if (id !== replyId) {
        forged++;
        continue;
      }
    }
    if (s.leg === 'error' && s.eff.quoted?.ipv4?.id !== probeId) {
      forged++;
      continue;
    }
    const place = `${s.leg}\0${s.node}\0${s.interface}\0${s.direction}\0${s.eff.ipv4?.dst ?? ''}`;
    const n = (seenAt.get(place) ?? 0) + 1;
    seenAt.set(place, n);
    if (n > 1) {
      forged++;
      continue;
    }
    kept.push(s);
  }
  if (forged > 0) unreliable(`${forged} packet${forged === 1 ? '' : 's'} carrying the probe's marker ${forged === 1 ? 'was' : 'were'} not the probe (sent by someone else in the lab?): left out`);

  // ---- ARP that the journey needed ----
  const involved = new Set<string>();
  for (const s of kept) {
    const ip = s.eff.ipv4;
    if (ip) {
      involved.add(ip.src);
      involved.add(ip.dst);
    }
    for (const i of lab.node(s.node)?.interfaces ?? []) for (const a of i.addresses) involved.add(ipOf(a));
  }
  if (input.target) involved.add(input.target);
  for (const n of [input.from]) for (const i of lab.node(n)?.interfaces ?? []) for (const a of i.addresses) involved.add(ipOf(a));
  const lastProbe = kept.at(-1)?.idx ?? sorted.length;
  const arps: Seen[] = [];
  for (const s of sorted) {
    const a = s.headers.arp;
    if (!a || s.idx > lastProbe) continue;
    if (!involved.has(a.targetIp) || !involved.has(a.senderIp)) continue;
    if (arps.length >= MAX_ARP_EVENTS) break;
    arps.push({ ...s, leg: 'arp', eff: s.headers });
  }
  const all = [...kept, ...arps].sort((a, b) => a.idx - b.idx);
  if (all.length > MAX_EVENTS) unreliable(`the journey has ${all.length} events; only the first ${MAX_EVENTS} are shown`);
  const seen = all.slice(0, MAX_EVENTS);
  inferDestinationMacs(seen, lab);

  // ---- events ----
  const base = seen[0];
  const events: JourneyEvent[] = [];
  const prevOnLeg = new Map<Leg, Seen>();
  const cited = new Set<string>();
  for (const [k, s] of seen.entries()) {
    const prev = s.leg === 'arp' ? undefined : prevOnLeg.get(s.leg);
    const e: JourneyEvent = {
      t: base ? ns(s, base) : 0,
      leg: s.leg,
      type: typeOf(s.headers),
      at: { node: s.node, interface: s.interface, direction: s.direction },
      headers: s.headers,
      changes: prev ? changes(prev, s, lab) : [],
      why: [],
    };
    const from = s.direction === 'in' ? lab.cameFrom(s.node, s.interface, s.headers.ethernet?.src) : prev && prev.node === s.node && prev.direction === 'in' ? { node: s.node, interface: prev.interface } : undefined;
    if (from) e.from = from;
    e.why = why(s, prev, seen, k, lab, input);
    e.why.push(...monitorWhy(s, prev, e.changes, lab, input, cited));
    if (e.why.some((w) => w.kind === 'flood')) e.flooded = true;
    events.push(e);
    if (s.leg !== 'arp') prevOnLeg.set(s.leg, s);
  }

  // ---- how it ended ----
  const requests = kept.filter((s) => s.leg === 'request');
  const replies = kept.filter((s) => s.leg === 'reply');
  const deliveredAt = requests.find((s) => s.direction === 'in' && s.node !== input.from && !lab.isPort(s.node, s.interface) && !!s.eff.ipv4 && lab.isLocal(s.node, s.eff.ipv4.dst));
  const delivered = !!deliveredAt || (input.probeOk === true && requests.length > 0);
  const replied = replies.some((s) => s.node === input.from && s.direction === 'in') || (input.probeOk === true && replies.length > 0);
  let drop: JourneyDrop | undefined;
  if (!delivered || !replied) {
    const leg = delivered ? 'reply' : 'request';
    const last = (delivered ? replies : requests).at(-1) ?? (delivered ? deliveredAt : undefined);
    drop = {
      node: last?.node ?? (delivered ? (deliveredAt?.node ?? input.from) : input.from),
      ...(last ? { interface: last.interface } : {}),
      leg,
      evidence: evidence(input, kept, arps, lab, leg, last),
    };
  }

  const dg = input.diagnosis;
  return {
    lab: input.lab.name,
    from: input.from,
    to: input.to,
    ...(input.target ? { target: input.target } : {}),
    probe: input.probe,
    ...(base ? { startedAt: new Date(base.sec * 1000 + Math.floor(base.nsec / 1e6)).toISOString() } : {}),
    events,
    delivered,
    replied,
    ...(drop ? { drop } : {}),
    armed: input.armed,
    reliable,
    warnings,
    ...(input.notes?.length ? { notes: input.notes } : {}),
    ...(dg
      ? { diagnosis: { ok: dg.ok, ...(dg.problem ? { problem: { node: dg.problem.node, ...(dg.problem.interface !== undefined ? { interface: dg.problem.interface } : {}), cause: dg.problem.cause, message: dg.problem.message } } : {}) } }
      : {}),
  };
}

/**
 * Cooked captures keep only the sender's MAC. A frame keeps its destination MAC from the router
 * (or host) that sent it to the one that received it, and the receiver's packet type says whether
 * that was its own MAC or broadcast: fill it in back along the frame's way.
 */
function inferDestinationMacs(seen: Seen[], lab: Lab): void {
  const pending = new Map<string, Seen[]>();
  for (const s of seen) {
    const eth = s.headers.ethernet;
    if (!eth) continue;
    const k = `${s.leg}\0${eth.src}\0${s.leg === 'arp' ? s.idx : ''}`;
    if (s.headers.arp) {
      // ARP says it itself: a request is broadcast, a reply goes to the asker.
      eth.dst = s.headers.arp.op === 'reply' ? s.headers.arp.targetMac : BROADCAST;
      eth.dstInferred = true;
      continue;
    }
    const list = pending.get(k) ?? [];
    list.push(s);
    pending.set(k, list);
    if (s.direction !== 'in' || lab.isPort(s.node, s.interface)) continue;
    const dst = s.packetType === 'host' ? lab.iface(s.node, s.interface)?.mac : s.packetType === 'broadcast' ? BROADCAST : undefined;
    if (dst) for (const x of list) if (x.headers.ethernet && !x.headers.ethernet.dst) x.headers.ethernet = { ...x.headers.ethernet, dst, dstInferred: true };
    pending.delete(k);
  }
}

function changes(prev: Seen, cur: Seen, lab: Lab): Change[] {
  const out: Change[] = [];
  const a = prev.eff;
  const b = cur.eff;
  const add = (kind: Change['kind'], field: string, from: string, to: string, text: string) => out.push({ kind, field, from, to, text });
  if (!prev.headers.vxlan && cur.headers.vxlan) add('encapsulated', 'vxlan.vni', '', String(cur.headers.vxlan.vni), `wrapped in VXLAN (VNI ${cur.headers.vxlan.vni}) by ${cur.node}: outer ${cur.headers.ipv4?.src} -> ${cur.headers.ipv4?.dst}, UDP ${cur.headers.udp?.dst}`);
  if (prev.headers.vxlan && !cur.headers.vxlan) add('decapsulated', 'vxlan.vni', String(prev.headers.vxlan.vni), '', `unwrapped from VXLAN (VNI ${prev.headers.vxlan.vni}) at ${cur.node}`);
  // A link layer is rewritten only by the node that routed the packet (in here, out there).
  const routed = prev.node === cur.node && prev.direction === 'in' && cur.direction === 'out' && !lab.isPort(cur.node, cur.interface);
  const ea = a.ethernet ?? (prev.headers === a ? undefined : prev.headers.ethernet);
  const eb = b.ethernet ?? (cur.headers === b ? undefined : cur.headers.ethernet);
  if (routed && ea && eb) {
    if (ea.src !== eb.src) add('mac-rewrite', 'ethernet.src', ea.src, eb.src, `source MAC rewritten by router ${cur.node}: ${ea.src} -> ${eb.src} (its ${cur.interface})`);
    if (ea.dst && eb.dst && ea.dst !== eb.dst) add('mac-rewrite', 'ethernet.dst', ea.dst, eb.dst, `destination MAC rewritten by ${cur.node}: ${ea.dst} -> ${eb.dst} (the next hop's)`);
  }
  if (a.ipv4 && b.ipv4) {
    if (a.ipv4.ttl !== b.ipv4.ttl) add('ttl', 'ipv4.ttl', String(a.ipv4.ttl), String(b.ipv4.ttl), `TTL ${a.ipv4.ttl} -> ${b.ipv4.ttl}: ${cur.node} forwarded it`);
    if (a.ipv4.src !== b.ipv4.src) add('snat', 'ipv4.src', a.ipv4.src, b.ipv4.src, `source address translated at ${cur.node}: ${a.ipv4.src} -> ${b.ipv4.src} (SNAT)`);
    if (a.ipv4.dst !== b.ipv4.dst) add('dnat', 'ipv4.dst', a.ipv4.dst, b.ipv4.dst, `destination address translated at ${cur.node}: ${a.ipv4.dst} -> ${b.ipv4.dst} (DNAT)`);
  }
  const pa = a.tcp ?? a.udp;
  const pb = b.tcp ?? b.udp;
  if (pa && pb) {
    if (pa.src !== pb.src) add('port-snat', `${a.tcp ? 'tcp' : 'udp'}.src`, String(pa.src), String(pb.src), `source port translated at ${cur.node}: ${pa.src} -> ${pb.src}`);
    if (pa.dst !== pb.dst) add('port-dnat', `${a.tcp ? 'tcp' : 'udp'}.dst`, String(pa.dst), String(pb.dst), `destination port translated at ${cur.node}: ${pa.dst} -> ${pb.dst}`);
  }
  if (a.icmp?.id !== undefined && b.icmp?.id !== undefined && a.icmp.id !== b.icmp.id) add('port-snat', 'icmp.id', String(a.icmp.id), String(b.icmp.id), `ICMP id translated at ${cur.node}: ${a.icmp.id} -> ${b.icmp.id} (NAT)`);
  if ((prev.headers.vlan?.id ?? 0) !== (cur.headers.vlan?.id ?? 0)) add('vlan', 'vlan.id', String(prev.headers.vlan?.id ?? 'none'), String(cur.headers.vlan?.id ?? 'none'), `VLAN tag ${prev.headers.vlan ? prev.headers.vlan.id : 'none'} -> ${cur.headers.vlan ? cur.headers.vlan.id : 'none'}`);
  return out;
}

function why(s: Seen, prev: Seen | undefined, seen: Seen[], k: number, lab: Lab, input: JourneyInput): Why[] {
  const out: Why[] = [];
  const node = lab.node(s.node);
  const ip = s.headers.ipv4; // the outer header decides where a VXLAN packet goes
  const eth = s.headers.ethernet;
  if (s.direction === 'out' && lab.isPort(s.node, s.interface)) {
    const bridge = lab.iface(s.node, s.interface)!.master!;
    // Every port this frame left by, between its way into the bridge and its next stop.
    const copies = siblings(s, seen, k, lab, bridge);
    const entry = eth?.dst ? input.lab.bridges.find((b) => b.node === s.node && b.name === bridge)?.fdb.find((f) => f.mac === eth.dst && !f.local) : undefined;
    if (copies > 1 || eth?.dst === BROADCAST) {
      out.push({ kind: 'flood', text: eth?.dst === BROADCAST ? `bridge ${bridge} floods a broadcast out of every port` : `bridge ${bridge} has no fdb entry for ${eth?.dst ?? 'the destination'}: it floods the frame out of every port (${copies} copies)` });
    } else if (entry) {
      out.push({ kind: 'fdb', text: `bridge ${bridge}'s fdb: ${entry.mac} is on port ${entry.port}`, detail: `${entry.mac} dev ${entry.port} master ${bridge}${entry.permanent ? ' permanent' : ''}` });
    } else {
      out.push({ kind: 'fdb', text: `bridge ${bridge} sends it out of ${s.interface} (it learned ${eth?.dst ?? 'the destination'} there during the trace)` });
    }
  } else if (s.direction === 'out' && node) {
    const dst = s.headers.arp?.targetIp ?? ip?.dst;
    const r = dst ? routeFor(node, dst) : undefined;
    const forwarded = prev && prev.node === s.node && prev.direction === 'in';
    if (s.leg === 'arp') {
      out.push({ kind: 'neighbour', text: s.headers.arp?.op === 'request' ? `${s.node} needs the MAC address of ${s.headers.arp.targetIp} before it can send to it` : `${s.node} answers: ${s.headers.arp?.senderIp} is at ${s.headers.arp?.senderMac}` });
    } else if (r) {
      out.push({ kind: 'route', text: `${dst} matches route ${routeText(r)}${forwarded ? ' (forwarded)' : ''}: out of ${s.interface}${r.via ? `, to gateway ${r.via}` : ''}`, detail: routeText(r) });
    } else if (!forwarded) {
      out.push({ kind: 'sent', text: `${s.node} sends it out of ${s.interface}` });
    }
  } else if (s.direction === 'in') {
    if (lab.isPort(s.node, s.interface)) out.push({ kind: 'wire', text: `into bridge ${lab.iface(s.node, s.interface)!.master} on port ${s.interface}` });
    else if (s.leg === 'arp') out.push({ kind: 'neighbour', text: s.headers.arp?.op === 'request' ? `who has ${s.headers.arp.targetIp}? asks ${s.headers.arp.senderIp}` : `${s.headers.arp?.senderIp} is at ${s.headers.arp?.senderMac}` });
    else if (ip && lab.isLocal(s.node, ip.dst)) out.push({ kind: 'local', text: `${ip.dst} is ${s.node}'s own address: delivered` });
    else out.push({ kind: 'wire', text: `arrives in ${s.node} on ${s.interface}` });
  }
  // Firewall and NAT rules this packet met here: nft traced it in this node, and each step ran
  // in a hook with an output interface (forward, output, postrouting) or only an input one.
  if (s.leg !== 'arp' && ip) {
    for (const t of input.nft) {
      if (t.node !== s.node || (t.ipId !== undefined && t.ipId !== ip.id)) continue;
      for (const step of t.steps) {
        const here = s.direction === 'out' ? step.oif === s.interface : step.oif === undefined && step.iif === s.interface;
        if (!here) continue;
        const nat = /\b(masquerade|snat|dnat|redirect)\b/.test(step.rule ?? '');
        out.push({ kind: nat ? 'nat' : 'rule', text: describeStep(step), ...(step.rule ? { detail: step.rule } : {}) });
      }
    }
  }
  return out;
}

/** How many ports of `bridge` the same frame left by after entering it (a flood when more than one). */
function siblings(s: Seen, seen: Seen[], k: number, lab: Lab, bridge: string): number {
  const same = (x: Seen) => x.leg === s.leg && x.node === s.node && x.headers.ethernet?.src === s.headers.ethernet?.src && (s.leg !== 'arp' || sameArp(x, s));
  // Back to the frame's way into this node, then forward while it is still inside it.
  let start = k;
  while (start > 0 && !(same(seen[start]!) && seen[start]!.direction === 'in')) start--;
  let n = 0;
  for (let j = start; j < seen.length; j++) {
    const x = seen[j]!;
    if (j > k && x.direction === 'in' && same(x)) break;
    if (same(x) && x.direction === 'out' && lab.isPort(x.node, x.interface) && lab.iface(x.node, x.interface)?.master === bridge) n++;
  }
  return n;
}

function sameArp(a: Seen, b: Seen): boolean {
  const x = a.headers.arp;
  const y = b.headers.arp;
  return !!x && !!y && x.op === y.op && x.senderIp === y.senderIp && x.targetIp === y.targetIp;
}

function evidence(input: JourneyInput, kept: Seen[], arps: Seen[], lab: Lab, leg: 'request' | 'reply', last: Seen | undefined): Evidence[] {
  const out: Evidence[] = [];
  for (const t of input.nft) {
    const d = dropStep(t);
    if (d) out.push({ kind: 'rule', node: t.node, text: `${t.node}: ${describeStep(d)}`, ...(d.rule ? { detail: d.rule } : {}) });
  }
  for (const e of kept.filter((s) => s.leg === 'error')) {
    if (e.direction !== 'out') continue;
    out.push({ kind: 'icmp-error', node: e.node, text: `${e.node} sent back ICMP ${e.eff.icmp?.name ?? 'error'} from ${e.eff.ipv4?.src}` });
  }
  // A neighbour that never answered: requests for an address with no reply from it.
  const asked = new Map<string, Seen>();
  for (const a of arps) {
    const h = a.headers.arp!;
    if (h.op === 'request' && a.direction === 'out' && !lab.isPort(a.node, a.interface)) asked.set(`${a.node}\0${h.targetIp}`, a);
  }
  for (const a of arps) {
    const h = a.headers.arp!;
    if (h.op === 'reply' && a.direction === 'in') for (const k of [...asked.keys()]) if (k.endsWith(`\0${h.senderIp}`)) asked.delete(k);
  }
  // The kernel's own word first: its neighbour entry went FAILED (ip monitor neigh).
  const failed = new Set<string>();
  for (const n of input.neighbours ?? []) {
    if (n.state !== 'FAILED' || !n.ip || n.deleted || failed.has(`${n.node}\0${n.ip}`)) continue;
    failed.add(`${n.node}\0${n.ip}`);
    out.push({ kind: 'neighbour', node: n.node, text: `neighbour ${n.ip} on ${n.node} dev ${n.dev} FAILED`, detail: n.line });
  }
  for (const a of asked.values()) {
    if (failed.has(`${a.node}\0${a.headers.arp!.targetIp}`)) continue;
    out.push({ kind: 'neighbour', node: a.node, text: `${a.node} asked who has ${a.headers.arp!.targetIp} (ARP) and got no answer: the neighbour failed` });
  }
  if (!last) {
    out.push({ kind: 'no-sighting', node: input.from, text: leg === 'request' ? `the probe was never seen leaving ${input.from}` : `no reply was seen leaving the target` });
  }
  if (input.probeOutput?.trim()) out.push({ kind: 'probe', node: input.from, text: input.probeOutput.trim().split('\n').slice(0, 4).join('\n').slice(0, 500) });
  const p = input.diagnosis?.problem;
  if (p) out.push({ kind: 'diagnosis', node: p.node, text: p.message, detail: p.cause });
  return out;
}

/**
 * What the monitors add to a hop: the ARP entry an answer resolved, the MAC a bridge learned from
 * the frame on its way in (cited once per bridge port and MAC: the bridge case is "first frame
 * flooded, then learned"), and the conntrack entry behind a NAT rewrite (original and reply tuples).
 */
function monitorWhy(s: Seen, prev: Seen | undefined, changes: Change[], lab: Lab, input: JourneyInput, cited: Set<string>): Why[] {
  const out: Why[] = [];
  const t = s.sec * 1e9 + s.nsec;
  // The monitors' stamps are when they read the event (microseconds, after the packet): a little slack before.
  const after = (e: { sec: number; nsec: number }) => e.sec * 1e9 + e.nsec >= t - 5e6;
  const eth = s.headers.ethernet;
  if (s.direction === 'in' && lab.isPort(s.node, s.interface) && eth) {
    const key = `${s.node}\0${s.interface}\0${eth.src}`;
    const learned = (input.neighbours ?? []).find((n) => n.node === s.node && !n.ip && !n.deleted && n.dev === s.interface && n.mac === eth.src && n.state !== 'PERMANENT' && after(n));
    if (learned && !cited.has(key)) {
      cited.add(key);
      const bridge = lab.iface(s.node, s.interface)!.master;
      out.push({ kind: 'fdb', text: `bridge ${bridge} learned ${eth.src} on port ${s.interface} from this frame's source MAC`, detail: `${learned.line} master ${bridge}` });
    }
  }
  const arp = s.headers.arp;
  if (arp?.op === 'reply' && s.direction === 'in' && !lab.isPort(s.node, s.interface)) {
    const n = (input.neighbours ?? []).find((x) => x.node === s.node && x.ip === arp.senderIp && !x.deleted && x.state !== 'FAILED' && after(x));
    if (n) out.push({ kind: 'neighbour', text: `${s.node}'s neighbour ${n.ip} on ${n.dev} is now ${n.state}${n.mac ? ` (${n.mac})` : ''}`, detail: n.line });
  }
  const nat = changes.some((c) => c.kind === 'snat' || c.kind === 'dnat' || c.kind === 'port-snat' || c.kind === 'port-dnat');
  if (nat && prev?.eff.ipv4 && s.eff.ipv4) {
    const before = prev.eff.ipv4;
    const now = s.eff.ipv4;
    // The entry whose one tuple is the packet before the rewrite and whose other is the answer to
    // the packet after it (the request's original tuple; the reply's own direction for the reply leg).
    const ct = (input.conntrack ?? []).find((c) => c.node === s.node && ((c.original.src === before.src && c.original.dst === before.dst && c.reply.dst === now.src && c.reply.src === now.dst) || (c.reply.src === before.src && c.reply.dst === before.dst && c.original.dst === now.src && c.original.src === now.dst)));
    if (ct) {
      out.push({ kind: 'conntrack', text: `conntrack entry in ${s.node} (${ct.event}): original ${tupleText(ct.original)}, reply ${tupleText(ct.reply)}: ${s.leg === 'reply' ? 'the reply is translated back by it' : 'the reply will be translated back by it'}`, detail: ct.line });
    } else {
      const note = input.notes?.find((n) => n.startsWith(`conntrack events are not available in ${s.node}`));
      if (note) out.push({ kind: 'conntrack', text: note });
    }
  }
  return out;
}
