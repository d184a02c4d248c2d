// "Why can't A reach B?": walk the observed lab the way the kernel would move a ping — source
// address and route lookup, egress interface, the wire (veth, bridge), routers, the destination —
// and then the reply back, and report the first broken hop with a fix a learner can type.
// Pure and deterministic: no I/O. IPv4 only (IPv6 targets are reported as not walked).
import { cidrContains, networkOf, parseCidr, parseIp, formatCidr, formatIp, sameSubnet } from './cidr.ts';
import { checkInterfaceName, checkNodeName, isMulticast } from './names.ts';
import { quote } from './display.ts';
import type { ObservedInterface, ObservedLab, ObservedNode, ObservedRoute } from './observed.ts';
import { filterPacket, type Packet } from './filter.ts';
import { shellLine, splitShellWords } from './shell-quote.ts';

export type Cause =
  | 'unknown-node'
  | 'unknown-target'
  | 'lo-down'
  | 'no-address'
  | 'different-subnet'
  | 'interface-down'
  | 'peer-down'
  | 'port-not-attached'
  | 'bridge-down'
  | 'no-route'
  | 'no-default-gateway'
  | 'ip-forward-off'
  | 'no-return-route'
  | 'missing-nat'
  | 'arp-incomplete'
  | 'wrong-neighbour-mac'
  | 'routing-loop'
  | 'unreachable'
  | 'vxlan-mismatch'
  /** A filter rule (or a chain's DROP policy) on the way throws the packet away. */
  | 'filtered'
  /** The path goes through something nslab does not follow (a macvlan, a vxlan without a known far end...): no verdict. */
  | 'not-followed';

export interface Hop {
  node: string;
  interface?: string;
  direction: 'forward' | 'return';
  /** What happens to the packet here, in plain words. */
  what: string;
}

export interface DiagnosisProblem {
  /** Index into `path` of the hop where the walk stopped. */
  hop: number;
  /** Where the broken thing is (where the fix applies). */
  node: string;
  interface?: string;
  cause: Cause;
  message: string;
  /** Commands typed in the lab host, keywords before names. Empty when nslab cannot say safely. */
  fix: string[];
}

export interface Diagnosis {
  from: string;
  to: string;
  target?: { node: string; interface: string; address: string };
  ok: boolean;
  path: Hop[];
  problem?: DiagnosisProblem;
  /**
   * Firewall rules on the path that may drop the packet but use matches nslab cannot judge: the
   * walk went on, and if the real ping fails these are the first suspects.
   */
  uncertain?: string[];
}

/** `iptables-save -t nat` output per node, when the caller read it. */
export type NatTables = Record<string, string>;

const FORWARD = 'net.ipv4.ip_forward';
/** Interface kinds the walk moves packets through; anything else stops it without a verdict. */
const FOLLOWED = new Set(['veth', 'bridge', 'loopback', 'vxlan']);
const MAX_STEPS = 32;

// ---------- small helpers ----------

const ipOf = (cidr: string) => cidr.split('/')[0]!;
const isV4 = (a: string) => !a.includes(':');
/** Usable IPv4 interface addresses (no loopback). */
const v4Addrs = (i: ObservedInterface) => i.addresses.filter((a) => isV4(a) && !a.startsWith('127.'));

function safeNode(n: ObservedNode | undefined, name: string): boolean {
  return !!n && !n.unsafeName && (n.kind === 'host' || checkNodeName(name) === null);
}
function safeIface(i: ObservedInterface | undefined): boolean {
  return !!i && !i.unsafeName && checkInterfaceName(i.name) === null;
}
function show(s: string): string {
  return /^[A-Za-z0-9_.:@/-]+$/.test(s) ? s : quote(s);
}

function routeCidr(r: ObservedRoute): string | null {
  if (r.dst === 'default') return '0.0.0.0/0';
  const c = r.dst.includes('/') ? r.dst : `${r.dst}/32`;
  const p = parseCidr(c);
  return p && p.family === 4 ? c : null;
}

function isPrivate(ip: string): boolean {
  return ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'].some((c) => cidrContains(c, ip));
}

function subnetOf(cidr: string): string {
  const c = parseCidr(cidr);
  return c ? formatCidr(networkOf(c)) : cidr;
}

interface End {
  node: ObservedNode;
  iface: ObservedInterface;
}

const key = (n: string, i: string) => `${n}\u0000${i}`;

class Walker {
  readonly path: Hop[] = [];
  problem?: DiagnosisProblem;
  private dir: 'forward' | 'return' = 'forward';
  /** The target was named by node (so its address may be changed by a fix), not by address. */
  targetNamed = false;
  /** VXLAN underlay walks in progress (one inside another means a loop). */
  tunnelDepth = 0;
  /** The interface the packet last came in on (for -i in FORWARD and INPUT). */
  ingress: string | undefined;
  readonly uncertain: string[] = [];

  constructor(
    readonly lab: ObservedLab,
    readonly nat: NatTables | undefined,
  ) {}

  node(name: string): ObservedNode | undefined {
    return this.lab.nodes.find((n) => n.name === name);
  }
  iface(n: string, i: string): ObservedInterface | undefined {
    return this.node(n)?.interfaces.find((x) => x.name === i);
  }
  setDirection(d: 'forward' | 'return') {
    this.dir = d;
  }

  hop(node: string, iface: string | undefined, what: string): number {
    this.path.push({ node, ...(iface !== undefined ? { interface: iface } : {}), direction: this.dir, what });
    return this.path.length - 1;
  }

  /** Records the problem at the last hop. `fix` is dropped when any name in it is unsafe. */
  fail(cause: Cause, node: string, iface: string | undefined, message: string, fix: string[], safe = true): false {
    if (this.problem) return false;
    if (this.path.length === 0) this.hop(node, iface, 'start');
    const hop = this.path.length - 1;
    this.problem = {
      hop,
      node,
      ...(iface !== undefined ? { interface: iface } : {}),
      cause,
      message: safe ? message : `${message} (a name here contains characters nslab will not put into a command, so there is no command to copy)`,
      fix: safe ? fix : [],
    };
    return false;
  }

  // ---- commands (only called with names checked by the caller) ----
  ip(n: string): string {
    return this.node(n)?.kind === 'host' ? 'ip' : `ip -n ${n}`;
  }
  nsExec(n: string): string {
    return this.node(n)?.kind === 'host' ? '' : `ip netns exec ${n} `;
  }
  where(n: string): string {
    return this.node(n)?.kind === 'host' ? 'the lab host' : show(n);
  }
  safe(...ends: { n: string; i?: string }[]): boolean {
    return ends.every(({ n, i }) => safeNode(this.node(n), n) && (i === undefined || safeIface(this.iface(n, i))));
  }

  // ---- firewall ----

  /**
   * The filter table's `chain` in `n` meets packet `p`: true when it lets it through (or only
   * might drop it, noted in `uncertain`); false after recording the rule or policy that drops it.
   */
  filter(n: ObservedNode, chain: 'INPUT' | 'FORWARD' | 'OUTPUT', p: Packet, iface: string | undefined): boolean {
    if (!n.iptables?.length) return true;
    const r = filterPacket(n.iptables, chain, p);
    const drops = r.verdicts.filter((v) => v.verdict !== 'ACCEPT');
    if (drops.length === 0) return true;
    const what = p.proto === 'icmp' ? `the ${p.icmpType === 'echo-reply' ? 'reply' : 'ping'} from ${p.src} to ${p.dst}` : `the VXLAN packet from ${p.src} to ${p.dst}:${p.dport}`;
    const by = (v: (typeof drops)[number]) => (v.rule ? `rule ${v.rule}` : `the ${v.policy} chain's policy ${v.verdict} (no rule accepts it)`);
    if (drops.length < r.verdicts.length) {
      const note = `${this.where(n.name)}'s ${chain} chain may drop ${what}: ${drops.map(by).join('; ')} — nslab cannot judge ${r.unknown.map(show).join(', ') || 'every match'} there`;
      this.uncertain.push(note);
      this.hop(n.name, iface, `${chain} (filter table): may drop it, depending on ${r.unknown.join(', ') || 'matches nslab cannot judge'}`);
      return true;
    }
    const v = drops[0]!;
    this.hop(n.name, iface, `${chain} (filter table): ${v.verdict} by ${v.rule ?? `policy ${v.verdict}`}`);
    const x = this.nsExec(n.name);
    let fix: string[] = [];
    if (v.rule) {
      try {
        const words = splitShellWords(v.rule);
        const k = words.indexOf('-A');
        fix = [`${x}${shellLine(['iptables', ...words.slice(0, k), '-D', ...words.slice(k + 1)])}`];
      } catch {
        fix = [];
      }
    } else if (p.state === 'ESTABLISHED') {
      fix = [`${x}iptables -I ${chain} -m state --state ESTABLISHED,RELATED -j ACCEPT`];
    } else {
      const on = [...(chain !== 'OUTPUT' && p.in ? ['-i', p.in] : []), ...(chain !== 'INPUT' && p.out ? ['-o', p.out] : [])];
      fix = [`${x}${shellLine(['iptables', '-I', chain, ...on, '-p', p.proto, ...(p.dport !== undefined ? ['--dport', String(p.dport)] : []), '-j', 'ACCEPT'])}`];
    }
    const verb = v.verdict === 'REJECT' ? 'rejects' : 'drops';
    return this.fail('filtered', n.name, iface, `${this.where(n.name)}'s firewall ${verb} ${what} in its ${chain} chain: ${by(v)}`, fix,
      this.safe({ n: n.name }, ...(iface !== undefined ? [{ n: n.name, i: iface }] : [])));
  }

  // ---- routing ----
  lookup(n: ObservedNode, dst: string): ObservedRoute | undefined {
    let best: { r: ObservedRoute; prefix: number; metric: number } | undefined;
    for (const r of n.routes) {
      const c = routeCidr(r);
      if (!c || !cidrContains(c, dst)) continue;
      const prefix = parseCidr(c)!.prefix;
      const metric = r.metric ?? 0;
      if (!best || prefix > best.prefix || (prefix === best.prefix && metric < best.metric)) best = { r, prefix, metric };
    }
    return best?.r;
  }

  ownerOf(ip: string): End | undefined {
    for (const node of this.lab.nodes) for (const iface of node.interfaces) if (iface.addresses.some((a) => ipOf(a) === ip)) return { node, iface };
    return undefined;
  }

  forwards(n: ObservedNode): boolean {
    return n.sysctls[FORWARD] === '1';
  }

  /**
   * The far end of a VXLAN: the vxlan interface in the node that owns our remote address, with
   * the same VNI and port, that sends back to us. `why` says what is wrong when there is none.
   */
  tunnel(e: End): { far?: End; why?: string; followable: boolean; remote?: string } {
    const k = key(e.node.name, e.iface.name);
    const cached = this.tunnels.get(k);
    if (cached) return cached;
    const found = this.findTunnel(e);
    this.tunnels.set(k, found);
    return found;
  }
  private readonly tunnels = new Map<string, { far?: End; why?: string; followable: boolean; remote?: string }>();

  private findTunnel(e: End): { far?: End; why?: string; followable: boolean; remote?: string } {
    const d = e.iface.details ?? {};
    const remotes = typeof d.remote === 'string' ? [d.remote] : fdbRemotes(d.fdb);
    if (!remotes.length) {
      return { followable: false, why: `${show(e.iface.name)} in ${this.where(e.node.name)} has no fixed remote and no fdb entry with a dst (it learns where to send, or uses a multicast group)` };
    }
    // Static fdb entries may name several remotes; the first that leads to a matching vxlan is the far end.
    const tries = remotes.map((r) => ({ ...this.tunnelTo(e, r), remote: r }));
    return tries.find((t) => t.far) ?? tries[0]!;
  }

  private tunnelTo({ node, iface }: End, remote: string): { far?: End; why?: string; followable: boolean; remote?: string } {
    const d = iface.details ?? {};
    const me = `${show(iface.name)} in ${this.where(node.name)}`;
    const owner = this.ownerOf(remote);
    if (!owner) return { followable: false, why: `${me} sends to ${remote}, which is not in this lab` };
    const id = d.id;
    const port = d.dstport ?? 4789;
    const mine = new Set(node.interfaces.flatMap((i) => i.addresses.map(ipOf)));
    const there = owner.node.interfaces.filter((x) => x.kind === 'vxlan');
    const far = there.find((x) => {
      const o = x.details ?? {};
      return o.id === id && (o.dstport ?? 4789) === port && (typeof o.remote !== 'string' || mine.has(o.remote)) && (typeof o.local !== 'string' || o.local === remote);
    });
    if (far) return { far: { node: owner.node, iface: far }, followable: true };
    const at = this.where(owner.node.name);
    if (!there.length) return { followable: true, why: `${me} sends VNI ${String(id)} to ${remote} (${at}), but ${at} has no vxlan interface to receive it` };
    const diffs = there.map((x) => {
      const o = x.details ?? {};
      const what: string[] = [];
      if (o.id !== id) what.push(`VNI ${String(o.id)}, not ${String(id)}`);
      if ((o.dstport ?? 4789) !== port) what.push(`port ${String(o.dstport ?? 4789)}, not ${String(port)}`);
      if (typeof o.remote === 'string' && !mine.has(o.remote)) what.push(`remote ${o.remote}, which is not ${this.where(node.name)}`);
      if (typeof o.local === 'string' && o.local !== remote) what.push(`local ${o.local}, not ${remote}`);
      return `${show(x.name)} has ${what.join(', ')}`;
    });
    return {
      followable: true,
      why: `${me} sends VNI ${String(id)} to ${remote}:${String(port)}, but no vxlan in ${at} matches it: ${diffs.join('; ')} (vxlan settings are fixed when the interface is created: delete it and add it again)`,
    };
  }

  /**
   * The layer-2 segment behind an interface, whatever the admin state: veth peers, bridge ports,
   * the bridge itself and the far end of a VXLAN. Returns every element with the element it was
   * reached from.
   */
  segment(start: End): Map<string, { end: End; from?: string }> {
    const seen = new Map<string, { end: End; from?: string }>();
    const queue: string[] = [];
    const add = (e: End | undefined, from?: string) => {
      if (!e) return;
      const k = key(e.node.name, e.iface.name);
      if (seen.has(k)) return;
      seen.set(k, { end: e, ...(from !== undefined ? { from } : {}) });
      queue.push(k);
    };
    add(start);
    while (queue.length) {
      const k = queue.shift()!;
      const { end } = seen.get(k)!;
      const { node, iface } = end;
      if (iface.peer?.node && iface.peer.interface) {
        const pn = this.node(iface.peer.node);
        add(pn && { node: pn, iface: pn.interfaces.find((x) => x.name === iface.peer!.interface)! }, k);
      }
      if (iface.master) {
        const br = node.interfaces.find((x) => x.name === iface.master);
        if (br?.kind === 'bridge') add({ node, iface: br }, k);
      }
      if (iface.kind === 'bridge') for (const p of node.interfaces) if (p.master === iface.name) add({ node, iface: p }, k);
      if (iface.kind === 'vxlan') add(this.tunnel(end).far, k);
    }
    return seen;
  }

  /** L3 endpoints on a segment: interfaces that are not bridge ports. */
  endpoints(seg: Map<string, { end: End }>): End[] {
    return [...seg.values()].map((v) => v.end).filter((e) => !e.iface.master);
  }

  chain(seg: Map<string, { end: End; from?: string }>, to: End): End[] {
    const out: End[] = [];
    let k: string | undefined = key(to.node.name, to.iface.name);
    while (k !== undefined) {
      const v: { end: End; from?: string } = seg.get(k)!;
      out.unshift(v.end);
      k = v.from;
    }
    return out;
  }

  /** A free host address in a subnet, not used anywhere in the lab. */
  freeAddress(cidr: string): string | undefined {
    const c = parseCidr(cidr);
    if (!c || c.family !== 4) return undefined;
    const used = new Set(this.lab.nodes.flatMap((n) => n.interfaces.flatMap((i) => i.addresses.map(ipOf))));
    const base = networkOf(c).bytes;
    const n = (base[0]! << 24) >>> 0 | (base[1]! << 16) | (base[2]! << 8) | base[3]!;
    const size = 2 ** (32 - c.prefix);
    const [lo, hi] = c.prefix >= 31 ? [0, size - 1] : [1, size - 2];
    for (let h = lo; h <= hi && h < 4096; h++) {
      const v = (n + h) >>> 0;
      const ip = formatIp({ family: 4, bytes: new Uint8Array([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]) });
      if (!used.has(ip)) return `${ip}/${c.prefix}`;
    }
    return undefined;
  }

  /** A neighbour on one of n's links that can carry packets to dst: its address on that link. */
  gatewayFor(n: ObservedNode, dst: string, avoid: Set<string> = new Set()): { ip: string; dev: string; node: string } | undefined {
    const mine = new Set(n.interfaces.flatMap((i) => v4Addrs(i).map(ipOf)));
    const candidates: { ip: string; dev: string; node: string; score: number }[] = [];
    for (const i of n.interfaces) {
      const my = v4Addrs(i);
      if (!my.length || i.kind === 'loopback') continue;
      for (const e of this.endpoints(this.segment({ node: n, iface: i }))) {
        if (e.node.name === n.name || avoid.has(e.node.name)) continue;
        for (const a of v4Addrs(e.iface)) {
          if (!my.some((m) => sameSubnet(m, a))) continue;
          const local = e.node.interfaces.some((x) => x.addresses.some((y) => ipOf(y) === dst));
          const r = local ? undefined : this.lookup(e.node, dst);
          // No way on, a way straight back to us, or a next hop nobody in the lab has: not a gateway.
          if (!local && (!r || (r.via && (mine.has(r.via) || !this.ownerOf(r.via))))) continue;
          candidates.push({ ip: ipOf(a), dev: i.name, node: e.node.name, score: (this.forwards(e.node) ? 2 : 0) + (r?.dst !== 'default' ? 1 : 0) });
        }
      }
    }
    candidates.sort((a, b) => b.score - a.score);
    return candidates[0];
  }

  /** Source address the kernel would pick for a route. */
  sourceFor(n: ObservedNode, r: ObservedRoute, nexthop: string): string | undefined {
    if (r.prefsrc) return r.prefsrc;
    const dev = n.interfaces.find((i) => i.name === r.dev);
    const on = dev ? v4Addrs(dev) : [];
    const inNet = on.find((a) => cidrContains(a, nexthop));
    const any = on[0] ?? n.interfaces.flatMap(v4Addrs)[0];
    return (inNet ?? any) && ipOf((inNet ?? any)!);
  }
}

// ---------- NAT rules ----------

interface NatRule {
  src?: string;
  out?: string;
  toSource?: string;
  masquerade: boolean;
}

function natRules(text: string | undefined): NatRule[] {
  if (!text) return [];
  const out: NatRule[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('-A POSTROUTING')) continue;
    const w = line.trim().split(/\s+/);
    const j = w[w.indexOf('-j') + 1];
    if (j !== 'MASQUERADE' && j !== 'SNAT') continue;
    const arg = (flag: string) => {
      const i = w.indexOf(flag);
      return i >= 0 && w[i - 1] !== '!' ? w[i + 1] : undefined;
    };
    const src = arg('-s');
    const o = arg('-o');
    const to = arg('--to-source')?.split(/[-:]/)[0];
    out.push({ masquerade: j === 'MASQUERADE', ...(src ? { src } : {}), ...(o ? { out: o } : {}), ...(to ? { toSource: to } : {}) });
  }
  return out;
}

// ---------- the walk ----------

interface WalkState {
  /** Source address of the packet as currently seen. */
  src: string;
  /** Routers that rewrote the source, innermost last. */
  nat: { node: string; original: string; translated: string }[];
  /** Routers the packet crossed in this direction, in order. */
  routers: { node: string; egress: string }[];
  /** Routers the forward packet crossed (the return walk keeps them for the NAT question). */
  forwardRouters: { node: string; egress: string }[];
  /** A VXLAN's UDP packet on the underlay (a ping otherwise). */
  udp?: { dport: number };
  /** The walk goes on from a router that un-NATed the reply: its first hop is a forward, not a send. */
  resumed?: boolean;
}

function packetOf(st: WalkState, dst: string, direction: 'forward' | 'return', inIf?: string, outIf?: string): Packet {
  const base = { src: st.src, dst, ...(inIf !== undefined ? { in: inIf } : {}), ...(outIf !== undefined ? { out: outIf } : {}) };
  if (st.udp) return { ...base, proto: 'udp', dport: st.udp.dport, state: 'NEW' };
  return { ...base, proto: 'icmp', icmpType: direction === 'forward' ? 'echo-request' : 'echo-reply', state: direction === 'forward' ? 'NEW' : 'ESTABLISHED' };
}

/**
 * Move a packet from node `start` to `dst`, hop by hop, checking every element. Returns the node
 * that accepted it, or undefined after recording a problem.
 */
function carry(w: Walker, startNode: ObservedNode, dst: string, st: WalkState, direction: 'forward' | 'return'): ObservedNode | undefined {
  let cur = startNode;
  const visited = new Set<string>();
  for (let step = 0; step < MAX_STEPS; step++) {
    if (visited.has(cur.name)) {
      w.fail('routing-loop', cur.name, undefined, `the packet for ${dst} comes back to ${w.where(cur.name)}: the routes form a loop`, []);
      return undefined;
    }
    visited.add(cur.name);
    const local = cur.interfaces.find((i) => i.addresses.some((a) => ipOf(a) === dst));
    if (local) return cur; // delivery checks are done by the caller
    const forwarder = step > 0 || st.resumed === true;
    if (forwarder && !w.forwards(cur)) {
      w.hop(cur.name, undefined, `${w.where(cur.name)} must forward the packet to ${dst}`);
      const safe = w.safe({ n: cur.name });
      w.fail('ip-forward-off', cur.name, undefined,
        `${w.where(cur.name)} has net.ipv4.ip_forward = 0: it drops packets that are not addressed to itself, so the packet for ${dst} dies there`,
        [`${w.nsExec(cur.name)}sysctl -w net.ipv4.ip_forward=1`], safe);
      return undefined;
    }
    const r = w.lookup(cur, dst);
    if (!r) {
      noRoute(w, cur, dst, st, direction, forwarder);
      return undefined;
    }
    const nexthop = r.via ?? dst;
    const egress = cur.interfaces.find((i) => i.name === r.dev) ?? cur.interfaces.find((i) => v4Addrs(i).some((a) => cidrContains(a, nexthop)));
    if (!egress) {
      w.hop(cur.name, r.dev, `route ${r.dst} ${r.via ? `via ${r.via}` : ''}`);
      w.fail('unreachable', cur.name, r.dev, `${w.where(cur.name)}'s route to ${dst} uses ${show(r.dev ?? '?')}, which nslab does not see`, []);
      return undefined;
    }
    if (direction === 'forward' && step === 0 && !st.src) st.src = w.sourceFor(cur, r, nexthop) ?? '';
    w.hop(cur.name, egress.name, `${dst} matches route ${r.dst}${r.via ? ` via ${r.via}` : ''}: out of ${show(egress.name)}${forwarder ? ' (forwarded)' : ''}`);
    if (!w.filter(cur, forwarder ? 'FORWARD' : 'OUTPUT', packetOf(st, dst, direction, forwarder ? w.ingress : undefined, egress.name), egress.name)) return undefined;
    if (forwarder) {
      st.routers.push({ node: cur.name, egress: egress.name });
      if (direction === 'forward') applyNat(w, cur, egress, st);
    }
    const next = crossLink(w, cur, egress, nexthop, !!r.via, dst);
    if (!next) return undefined;
    cur = next;
  }
  w.fail('routing-loop', cur.name, undefined, `the packet for ${dst} takes more than ${MAX_STEPS} hops`, []);
  return undefined;
}

function applyNat(w: Walker, router: ObservedNode, egress: ObservedInterface, st: WalkState) {
  for (const rule of natRules(w.nat?.[router.name])) {
    if (rule.out && rule.out !== egress.name) continue;
    if (rule.src && !cidrContains(rule.src.includes('/') ? rule.src : `${rule.src}/32`, st.src)) continue;
    const to = rule.toSource ?? (v4Addrs(egress)[0] && ipOf(v4Addrs(egress)[0]!));
    if (!to) continue;
    st.nat.push({ node: router.name, original: st.src, translated: to });
    w.hop(router.name, egress.name, `${rule.masquerade ? 'MASQUERADE' : 'SNAT'}: the source ${st.src} becomes ${to}`);
    st.src = to;
    return;
  }
}

/** Egress checks, the wire, the owner of the next hop. Returns the next node, or undefined. */
function crossLink(w: Walker, cur: ObservedNode, egress: ObservedInterface, nexthop: string, viaGateway: boolean, dst: string): ObservedNode | undefined {
  const n = cur.name;
  if (!egress.up) {
    w.fail('interface-down', n, egress.name, `${show(egress.name)} is still DOWN in ${w.where(n)}: nothing leaves through it`,
      [`${w.ip(n)} link set dev ${egress.name} up`], w.safe({ n, i: egress.name }));
    return undefined;
  }
  const seg = w.segment({ node: cur, iface: egress });
  const owner = w.endpoints(seg).find((e) => e.node.name !== n && e.iface.addresses.some((a) => ipOf(a) === nexthop));
  if (!owner) return noOwner(w, cur, egress, seg, nexthop, viaGateway, dst);

  // Walk the wire element by element, checking admin state.
  const chain = w.chain(seg, owner);
  for (const [idx, e] of chain.entries()) {
    if (idx === 0) continue;
    const en = e.node.name;
    const prev = chain[idx - 1]!;
    if (e.iface.kind === 'vxlan' && prev.iface.kind === 'vxlan' && prev.node.name !== en && !underlay(w, prev, e)) return undefined;
    const kind = e.iface.kind === 'bridge' ? `through bridge ${show(e.iface.name)}` : e.iface.master ? `bridge port ${show(e.iface.name)}` : `into ${w.where(en)} on ${show(e.iface.name)}`;
    w.hop(en, e.iface.name, kind);
    if (!e.iface.up) {
      const fix = [`${w.ip(en)} link set dev ${e.iface.name} up`];
      const safe = w.safe({ n: en, i: e.iface.name });
      if (e.iface.kind === 'bridge') {
        w.fail('bridge-down', en, e.iface.name, `bridge ${show(e.iface.name)} is DOWN in ${w.where(en)}: it forwards nothing between its ports`, fix, safe);
      } else if (idx === 1) {
        w.fail('peer-down', en, e.iface.name, `${show(e.iface.name)} is still DOWN in ${w.where(en)}: ${show(egress.name)} is UP but its peer ${show(e.iface.name)} is DOWN, so there is no carrier`, fix, safe);
      } else if (e.iface.master) {
        w.fail('interface-down', en, e.iface.name, `bridge port ${show(e.iface.name)} is DOWN: frames stop at ${show(e.iface.master)}`, fix, safe);
      } else {
        w.fail('interface-down', en, e.iface.name, `${show(e.iface.name)} is still DOWN in ${w.where(en)}, so ${nexthop} does not answer`, fix, safe);
      }
      return undefined;
    }
  }

  // Both ends must agree on the subnet, or the far end cannot answer.
  const myAddr = v4Addrs(egress).find((a) => cidrContains(a, nexthop));
  const theirs = owner.iface.addresses.find((a) => ipOf(a) === nexthop)!;
  if (myAddr && !cidrContains(theirs, ipOf(myAddr))) {
    differentSubnet(w, { node: cur, iface: egress, cidr: myAddr }, { node: owner.node, iface: owner.iface, cidr: theirs }, 'far');
    return undefined;
  }

  // ARP: a pinned wrong MAC is a real break; a FAILED entry towards a healthy owner is retried.
  const ne = cur.neighbours.find((x) => x.address === nexthop && x.dev === egress.name);
  if (ne?.mac && ne.state.includes('PERMANENT') && ne.mac.toLowerCase() !== owner.iface.mac.toLowerCase()) {
    w.fail('wrong-neighbour-mac', n, egress.name,
      `${w.where(n)} has a permanent neighbour entry ${nexthop} -> ${ne.mac}, but ${nexthop} is ${owner.iface.mac} (${show(owner.iface.name)} in ${w.where(owner.node.name)})`,
      [`${w.ip(n)} neigh del ${nexthop} dev ${egress.name}`], w.safe({ n, i: egress.name }));
    return undefined;
  }
  w.ingress = owner.iface.name;
  return owner.node;
}

/** Unicast destinations of a vxlan's observed fdb entries (`details.fdb`), in order, once each. */
function fdbRemotes(fdb: unknown): string[] {
  if (!Array.isArray(fdb)) return [];
  const out: string[] = [];
  for (const e of fdb as Record<string, unknown>[]) {
    if (typeof e?.dst === 'string' && !isMulticast(e.dst) && !out.includes(e.dst)) out.push(e.dst);
  }
  return out;
}

/**
 * A frame crossing a VXLAN tunnel from `near` to `far`: the encapsulated UDP packet must make it
 * across the underlay, so walk that packet like any other.
 */
function underlay(w: Walker, near: End, far: End): boolean {
  const d = near.iface.details ?? {};
  // The remote the tunnel was followed to: the fixed one, or the fdb dst that leads to the far end.
  const remote = w.tunnel(near).remote ?? String(d.remote);
  w.hop(near.node.name, near.iface.name, `${show(near.iface.name)} wraps the frame in UDP to ${remote}:${String(d.dstport ?? 4789)} (VNI ${String(d.id)}): the underlay carries it`);
  // An underlay that only reaches the remote through the overlay itself would never end.
  if (w.tunnelDepth >= 4) return w.fail('routing-loop', near.node.name, near.iface.name, `the underlay route to ${remote} goes back into the tunnel it carries`, []);
  const st: WalkState = { src: '', nat: [], routers: [], forwardRouters: [], udp: { dport: Number(d.dstport ?? 4789) } };
  w.tunnelDepth++;
  const ingress = w.ingress;
  const got = carry(w, near.node, remote, st, 'forward');
  const delivered = !!got && deliver(w, got, remote, false, packetOf(st, remote, 'forward', w.ingress));
  w.ingress = ingress;
  w.tunnelDepth--;
  if (!delivered) return false;
  w.hop(far.node.name, far.iface.name, `${show(far.iface.name)} in ${w.where(far.node.name)} unwraps it (VNI ${String(d.id)})`);
  return true;
}

/** Nobody on the egress segment owns the next hop: say why. */
function noOwner(w: Walker, cur: ObservedNode, egress: ObservedInterface, seg: Map<string, { end: End }>, nexthop: string, viaGateway: boolean, dst: string): undefined {
  const n = cur.name;
  // A VXLAN whose far end does not match: the frames are sent, and nobody takes them.
  const ends = [...seg.values()].map((v) => v.end);
  const badTunnel = ends.find((e) => e.iface.kind === 'vxlan' && w.tunnel(e).followable && !w.tunnel(e).far);
  if (badTunnel) {
    w.hop(badTunnel.node.name, badTunnel.iface.name, `${show(badTunnel.iface.name)} is a VXLAN tunnel on the way to ${nexthop}`);
    w.fail('vxlan-mismatch', badTunnel.node.name, badTunnel.iface.name, w.tunnel(badTunnel).why!, []);
    return undefined;
  }
  // A device nslab does not follow (macvlan, a vxlan with no fixed remote...): say so, blame nothing.
  const opaque = ends.find((e) => !FOLLOWED.has(e.iface.kind) || (e.iface.kind === 'veth' && !e.iface.peer?.node) || (e.iface.kind === 'vxlan' && !w.tunnel(e).far));
  const global = w.ownerOf(nexthop);
  const hidden = opaque ?? (global && !FOLLOWED.has(global.iface.kind) ? global : undefined);
  if (hidden) {
    const kind = hidden.iface.kind;
    const what = kind === 'veth' ? 'a veth whose peer is outside the lab' : `a ${show(kind)}`;
    const at = `${show(hidden.iface.name)} in ${w.where(hidden.node.name)}`;
    const lead = hidden === opaque ? `the way to ${nexthop} goes through ${at}, ${what}` : `${nexthop} is on ${at}, ${what}`;
    const why = kind === 'vxlan' ? w.tunnel(hidden).why! : `nslab does not follow packets through ${kind === 'veth' ? 'it' : `${show(kind)} interfaces`}`;
    w.hop(hidden.node.name, hidden.iface.name, `${at} is ${what}: the walk cannot follow the packet further`);
    w.fail('not-followed', hidden.node.name, hidden.iface.name, `${lead}: ${why}, so the walk cannot say whether this hop works — the real ping decides`, []);
    return undefined;
  }
  // The owner is cabled to a bridge port that is not in the bridge.
  if (global) {
    const p = global.iface.peer;
    const pn = p?.node ? w.node(p.node) : undefined;
    const port = pn?.interfaces.find((x) => x.name === p!.interface);
    if (pn && port && !port.master && !v4Addrs(port).length) {
      const bridges = [...seg.values()].map((v) => v.end).filter((e) => e.iface.kind === 'bridge' && e.node.name === pn.name);
      const br = bridges[0]?.iface ?? pn.interfaces.find((x) => x.kind === 'bridge');
      if (br) {
        w.hop(pn.name, port.name, `${show(port.name)} is the cable to ${w.where(global.node.name)}`);
        w.fail('port-not-attached', pn.name, port.name,
          `${show(port.name)} is not attached to ${show(br.name)}: the cable from ${w.where(global.node.name)} ends in ${w.where(pn.name)} without reaching the bridge`,
          [`${w.ip(pn.name)} link set dev ${port.name} master ${br.name}`], w.safe({ n: pn.name, i: port.name }, { n: pn.name, i: br.name }));
        return undefined;
      }
    }
    // Our own cable ends in the bridge's node without reaching the bridge the owner is on.
    const ownerBridge = [...w.segment(global).values()].map((v) => v.end).find((e) => e.iface.kind === 'bridge');
    const loose = ownerBridge && w.endpoints(seg).find((e) => e.node.name === ownerBridge.node.name && e.iface.kind === 'veth' && !v4Addrs(e.iface).length);
    if (ownerBridge && loose) {
      const [ln, li, br] = [loose.node.name, loose.iface.name, ownerBridge.iface.name];
      w.hop(ln, li, `${show(li)} is the cable from ${w.where(n)}`);
      w.fail('port-not-attached', ln, li,
        `${show(li)} is not attached to ${show(br)}: the cable from ${w.where(n)} ends in ${w.where(ln)} without reaching the bridge ${nexthop} is on`,
        [`${w.ip(ln)} link set dev ${li} master ${br}`], w.safe({ n: ln, i: li }, { n: ln, i: br }));
      return undefined;
    }
  }
  // Someone on this wire has no address: give it the one we are looking for.
  if (!viaGateway || !global) {
    const bare = w.endpoints(seg).find((e) => e.node.name !== n && e.iface.kind !== 'bridge' && !v4Addrs(e.iface).length);
    const mine = v4Addrs(egress).find((a) => cidrContains(a, nexthop));
    if (bare && mine && !global) {
      const prefix = mine.split('/')[1]!;
      w.hop(bare.node.name, bare.iface.name, `${show(bare.iface.name)} in ${w.where(bare.node.name)} is on the same wire`);
      w.fail('no-address', bare.node.name, bare.iface.name, `${show(bare.iface.name)} in ${w.where(bare.node.name)} has no address yet, so nobody answers for ${nexthop}`,
        [`${w.ip(bare.node.name)} addr add ${nexthop}/${prefix} dev ${bare.iface.name}`], w.safe({ n: bare.node.name, i: bare.iface.name }));
      return undefined;
    }
  }
  const ne = cur.neighbours.find((x) => x.address === nexthop && x.dev === egress.name);
  const failed = ne && (ne.state.includes('FAILED') || ne.state.includes('INCOMPLETE'));
  const gw = viaGateway ? w.gatewayFor(cur, dst) : undefined;
  const fix = gw ? [`${w.ip(n)} route replace ${routeOf(w, cur, dst) ?? 'default'} via ${gw.ip}`] : [];
  const safe = w.safe({ n });
  const who = global ? `${nexthop} belongs to ${show(global.iface.name)} in ${w.where(global.node.name)}, which is not on ${show(egress.name)}'s wire` : `nobody in the lab has ${nexthop}`;
  if (failed) {
    w.fail('arp-incomplete', n, egress.name,
      `ARP for ${nexthop} on ${show(egress.name)} is ${ne!.state.join(',')} in ${w.where(n)}: ${who}${viaGateway ? `, so the gateway never answers` : ''}${gw ? `; the router on this link is ${gw.ip}` : ''}`, fix, safe);
  } else {
    w.fail(global ? 'unreachable' : 'unknown-target', n, egress.name, `${w.where(n)} sends ${viaGateway ? `to gateway ${nexthop}` : `to ${nexthop}`} out of ${show(egress.name)}, but ${who}${gw ? `; the router on this link is ${gw.ip}` : ''}`, fix, safe);
  }
  return undefined;
}

function routeOf(w: Walker, n: ObservedNode, dst: string): string | undefined {
  return w.lookup(n, dst)?.dst;
}

interface Side {
  node: ObservedNode;
  iface: ObservedInterface;
  cidr: string;
}

/** Report two ends of one wire that disagree on the subnet, fixing the `change` side. */
function differentSubnet(w: Walker, near: Side, far: Side, change: 'near' | 'far') {
  const [fix, keep] = change === 'far' ? [far, near] : [near, far];
  const ip = ipOf(fix.cidr);
  const keepPrefix = keep.cidr.split('/')[1]!;
  // Same address with the other side's prefix, if that puts both in one subnet; else a free one.
  let next = `${ip}/${keepPrefix}`;
  if (!sameSubnet(next, keep.cidr)) next = w.freeAddress(keep.cidr) ?? next;
  const fn = fix.node.name;
  w.fail('different-subnet', fn, fix.iface.name,
    `${far.cidr} is in a different subnet from ${near.cidr}: both ends of one link need addresses in the same subnet, with the same prefix length`,
    [`${w.ip(fn)} addr del ${fix.cidr} dev ${fix.iface.name}`, `${w.ip(fn)} addr add ${next} dev ${fix.iface.name}`], w.safe({ n: fn, i: fix.iface.name }));
}

/** No route at `cur` for `dst`: find the most useful reason. */
function noRoute(w: Walker, cur: ObservedNode, dst: string, st: WalkState, direction: 'forward' | 'return', forwarder: boolean) {
  const n = cur.name;
  w.hop(n, undefined, `${w.where(n)} looks up a route to ${dst}: none matches`);
  // A down interface that would have given the route (its connected route left with it).
  const down = cur.interfaces.find((i) => !i.up && i.kind !== 'loopback' && v4Addrs(i).some((a) => cidrContains(a, dst)))
    ?? (!cur.routes.length ? cur.interfaces.find((i) => !i.up && i.kind !== 'loopback' && v4Addrs(i).length) : undefined);
  if (down) {
    w.fail('interface-down', n, down.name, `${show(down.name)} is still DOWN in ${w.where(n)}, and the routes through it went away with it`,
      [`${w.ip(n)} link set dev ${down.name} up`], w.safe({ n, i: down.name }));
    return;
  }
  const owner = w.ownerOf(dst);
  // Is the destination on one of our wires, only addressed differently (or are we unaddressed)?
  for (const i of cur.interfaces) {
    if (i.kind === 'loopback') continue;
    const seg = w.segment({ node: cur, iface: i });
    const there = owner && w.endpoints(seg).find((e) => e.node.name === owner.node.name && e.iface.name === owner.iface.name);
    if (!there || !owner) continue;
    const theirs = owner.iface.addresses.find((a) => ipOf(a) === dst)!;
    const mine = v4Addrs(i);
    if (!mine.length) {
      const addr = w.freeAddress(theirs);
      w.hop(n, i.name, `${show(i.name)} is on the same wire as ${dst}`);
      w.fail('no-address', n, i.name, `${w.where(n)} has no address yet on ${show(i.name)}, so it has no route to ${dst}`,
        addr ? [`${w.ip(n)} addr add ${addr} dev ${i.name}`] : [], w.safe({ n, i: i.name }));
      return;
    }
    w.hop(n, i.name, `${show(i.name)} is on the same wire as ${dst}`);
    // The user named the target by address: keep it and move this side; else move the far side.
    const near = { node: cur, iface: i, cidr: mine[0]! };
    const far = { node: owner.node, iface: owner.iface, cidr: theirs };
    const change = cidrContains(near.cidr, dst) ? 'far' : cidrContains(theirs, ipOf(near.cidr)) ? 'near' : direction === 'forward' && st.routers.length === 0 && !w.targetNamed ? 'near' : 'far';
    differentSubnet(w, near, far, change);
    return;
  }
  // A source with no address at all: that comes before any talk of routes.
  if (direction === 'forward' && !forwarder && !cur.interfaces.some((i) => i.kind !== 'loopback' && v4Addrs(i).length)) {
    const wired = cur.interfaces.filter((i) => i.kind !== 'loopback').map((i) => show(i.name));
    const nobody = owner ? '' : `; nobody in the lab has ${dst} yet either`;
    w.fail('no-address', n, undefined,
      `${w.where(n)} has no IPv4 address yet${wired.length ? ` (on ${wired.join(', ')})` : ''}, so it has no route to ${dst}${nobody}`, []);
    return;
  }
  if (direction === 'return') {
    // The reply to a private source dies here: did a router on the way forget NAT?
    const original = st.nat.length === 0;
    const edge = [...st.forwardRouters].reverse().find((r) => r.node !== n);
    // NAT is the answer only from a private source to a public destination (st.src is the replier).
    // A rule that matched would have rewritten the source (st.nat): any rules there are for other packets.
    if (original && isPrivate(dst) && !isPrivate(st.src) && edge && w.nat?.[edge.node] !== undefined) {
      const srcCidr = sourceCidr(w, dst);
      const others = natRules(w.nat[edge.node]).length;
      w.hop(edge.node, edge.egress, `${w.where(edge.node)} forwarded it without rewriting the private source ${dst}`);
      w.fail('missing-nat', edge.node, edge.egress,
        `missing NAT: ${w.where(n)} has no route back to the private address ${dst}, and ${w.where(edge.node)} sends it out of ${show(edge.egress)} without MASQUERADE${others ? ` (its ${others === 1 ? 'NAT rule matches' : `${others} NAT rules match`} other packets, not these)` : ''}`,
        [`${w.nsExec(edge.node)}iptables -t nat -A POSTROUTING -s ${srcCidr} -o ${edge.egress} -j MASQUERADE`], w.safe({ n: edge.node, i: edge.egress }));
      return;
    }
    const gw = w.gatewayFor(cur, dst);
    const end = !w.forwards(cur);
    const to = end ? 'default' : sourceCidr(w, dst);
    w.fail('no-return-route', n, gw?.dev, `${w.where(n)} has no route back to ${dst}${end ? ' (no default gateway)' : ''}, so the reply never leaves`,
      gw ? [`${w.ip(n)} route add ${to} via ${gw.ip}`] : [], w.safe({ n }, ...(gw ? [{ n, i: gw.dev }] : [])));
    return;
  }
  const gw = w.gatewayFor(cur, dst);
  if (!forwarder && !cur.routes.some((r) => r.dst === 'default')) {
    w.fail('no-default-gateway', n, gw?.dev, `${w.where(n)} has no route to ${dst}: no address in its subnet and no default gateway`,
      gw ? [`${w.ip(n)} route add default via ${gw.ip}`] : [], w.safe({ n }, ...(gw ? [{ n, i: gw.dev }] : [])));
    return;
  }
  const to = owner ? subnetOf(owner.iface.addresses.find((a) => ipOf(a) === dst)!) : `${dst}/32`;
  w.fail('no-route', n, gw?.dev, `${w.where(n)} has no route to ${dst}`, gw ? [`${w.ip(n)} route add ${to} via ${gw.ip}`] : [], w.safe({ n }, ...(gw ? [{ n, i: gw.dev }] : [])));
}

function sourceCidr(w: Walker, ip: string): string {
  const o = w.ownerOf(ip);
  const c = o?.iface.addresses.find((a) => ipOf(a) === ip);
  return c ? subnetOf(c) : `${ip}/32`;
}

/** Checks at the node that owns the address: the interface holding it must be up. */
function deliver(w: Walker, at: ObservedNode, ip: string, own: boolean, p?: Packet): boolean {
  const holder = at.interfaces.find((i) => i.addresses.some((a) => ipOf(a) === ip))!;
  const lo = at.interfaces.find((i) => i.kind === 'loopback');
  // A packet to your own address goes through lo: with lo down it is never delivered.
  const loDown = own && lo !== undefined && !lo.up;
  w.hop(at.name, loDown ? lo.name : holder.name, loDown ? `${ip} is ${show(holder.name)}'s own address in ${w.where(at.name)}: it goes through lo, which is down — not delivered` : `${ip} is ${show(holder.name)}'s address in ${w.where(at.name)}: delivered`);
  if (own) {
    if (lo && !lo.up) {
      return w.fail('lo-down', at.name, lo.name,
        `${show(at.name)}'s lo is down — that is why pinging ${ip} from ${show(at.name)} fails: packets to your own address go through loopback`,
        [`${w.ip(at.name)} link set dev ${lo.name} up`], w.safe({ n: at.name, i: lo.name }));
    }
  }
  if (!holder.up) {
    return w.fail('interface-down', at.name, holder.name, `${show(holder.name)} is still DOWN in ${w.where(at.name)}, and its address ${ip} with it`,
      [`${w.ip(at.name)} link set dev ${holder.name} up`], w.safe({ n: at.name, i: holder.name }));
  }
  if (p && !w.filter(at, 'INPUT', p, p.in ?? holder.name)) return false;
  return true;
}

/** Pick the address of a named target: one the source can reach directly, else the first one. */
function targetAddress(w: Walker, src: ObservedNode, t: ObservedNode): { iface: ObservedInterface; cidr: string } | undefined {
  const all = t.interfaces.filter((i) => i.kind !== 'loopback').flatMap((iface) => v4Addrs(iface).map((cidr) => ({ iface, cidr })));
  const direct = all.find(({ cidr }) => src.interfaces.some((i) => v4Addrs(i).some((a) => sameSubnet(a, cidr))));
  const routed = all.find(({ cidr }) => src.interfaces.some((i) => v4Addrs(i).some((a) => cidrContains(a, ipOf(cidr)))));
  return direct ?? routed ?? all[0];
}

/** The interface of `t` that shares a wire with `src`, when t has no address. */
function facing(w: Walker, src: ObservedNode, t: ObservedNode): { mine?: string; theirs: ObservedInterface } | undefined {
  for (const i of src.interfaces) {
    if (i.kind === 'loopback') continue;
    const e = w.endpoints(w.segment({ node: src, iface: i })).find((x) => x.node.name === t.name);
    if (e) return { ...(v4Addrs(i)[0] ? { mine: v4Addrs(i)[0] } : {}), theirs: e.iface };
  }
  return undefined;
}

export function diagnose(lab: ObservedLab, from: string, to: string, nat?: NatTables): Diagnosis {
  const w = new Walker(lab, nat);
  const result = (target?: Diagnosis['target']): Diagnosis => ({
    from,
    to,
    ...(target ? { target } : {}),
    ok: !w.problem,
    path: w.path,
    ...(w.problem ? { problem: w.problem } : {}),
    ...(w.uncertain.length ? { uncertain: [...w.uncertain] } : {}),
  });
  const src = w.node(from);
  if (!src) {
    w.fail('unknown-node', from, undefined, `there is no namespace ${show(from)} in lab ${show(lab.name)}`, []);
    return result();
  }
  w.hop(from, undefined, `start in ${w.where(from)}`);

  // Resolve the target to an address.
  let dst: string;
  const asIp = parseIp(to);
  w.targetNamed = !asIp;
  if (asIp) {
    if (asIp.family !== 4) {
      w.hop(from, undefined, `${to} is an IPv6 address: nslab walks IPv4 only, so nothing was checked`);
      return result();
    }
    dst = formatIp(asIp);
  } else {
    const t = w.node(to);
    if (!t) {
      w.fail('unknown-node', to, undefined, `there is no namespace ${show(to)} in lab ${show(lab.name)}, and it is not an IP address`, []);
      return result();
    }
    const ta = t.name === src.name ? { iface: t.interfaces.find((i) => v4Addrs(i).length)!, cidr: t.interfaces.flatMap(v4Addrs)[0]! } : targetAddress(w, src, t);
    if (!ta?.iface) {
      const f = facing(w, src, t);
      const addr = f?.mine ? w.freeAddress(f.mine) : undefined;
      w.hop(t.name, f?.theirs.name, `${w.where(t.name)} is the target`);
      w.fail('no-address', t.name, f?.theirs.name, `${w.where(t.name)} has no address yet, so there is nothing to ping`,
        f && addr ? [`${w.ip(t.name)} addr add ${addr} dev ${f.theirs.name}`] : [], w.safe({ n: t.name }, ...(f ? [{ n: t.name, i: f.theirs.name }] : [])));
      return result();
    }
    dst = ipOf(ta.cidr);
  }
  const owner = w.ownerOf(dst);
  const target = owner ? { node: owner.node.name, interface: owner.iface.name, address: dst } : undefined;

  // Pinging yourself: loopback.
  if (owner?.node.name === src.name || dst.startsWith('127.')) {
    if (dst.startsWith('127.') && !owner) {
      const lo = src.interfaces.find((i) => i.kind === 'loopback');
      if (lo && !lo.up) w.fail('lo-down', from, lo.name, `${show(from)}'s lo is down — that is why pinging ${dst} from ${show(from)} fails`, [`${w.ip(from)} link set dev ${lo.name} up`], w.safe({ n: from, i: lo.name }));
      return result({ node: from, interface: lo?.name ?? 'lo', address: dst });
    }
    deliver(w, src, dst, true);
    return result(target);
  }

  const st: WalkState = { src: '', nat: [], routers: [], forwardRouters: [] };
  const reached = carry(w, src, dst, st, 'forward');
  if (!reached) return result(target);
  if (!deliver(w, reached, dst, false, packetOf(st, dst, 'forward', w.ingress))) return result(target);

  // The reply: from the target back to the (possibly translated) source.
  w.setDirection('return');
  if (!st.src) return result(target);
  let at = reached;
  let back = st.src;
  const routersForward = [...st.routers];
  const stack = [...st.nat];
  let resumed = false;
  for (let guard = 0; guard < 8; guard++) {
    const rs: WalkState = { src: dst, nat: stack, routers: [], forwardRouters: routersForward, ...(resumed ? { resumed } : {}) };
    w.hop(at.name, undefined, `the reply from ${at === reached ? dst : w.where(at.name)} goes back to ${back}`);
    const got = carry(w, at, back, rs, 'return');
    if (!got) return result(target);
    const top = stack[stack.length - 1];
    if (top && top.node === got.name && top.translated === back) {
      stack.pop();
      w.hop(got.name, undefined, `un-NAT: ${back} is really ${top.original}`);
      at = got;
      back = top.original;
      resumed = true;
      continue;
    }
    // The reply is delivered to the source's INPUT chain.
    if (!w.filter(got, 'INPUT', packetOf(rs, back, 'return', w.ingress), w.ingress)) return result(target);
    if (got.name === src.name) w.hop(src.name, undefined, `the reply reaches ${w.where(src.name)}`);
    break;
  }
  return result(target);
}

/** Causes whose fix is "bring this interface up", which `assumeFixed` can play forward. */
const LINK_DOWN: ReadonlySet<Cause> = new Set(['lo-down', 'interface-down', 'peer-down', 'bridge-down']);

/**
 * The lab as it would be once a link-state problem is fixed (the interface up, with carrier, and
 * the connected routes the kernel adds back), so the walk can go on to the next problem; undefined
 * for any other cause, whose fix nslab does not play forward.
 */
export function assumeFixed(lab: ObservedLab, p: DiagnosisProblem): ObservedLab | undefined {
  if (!LINK_DOWN.has(p.cause) || p.interface === undefined) return undefined;
  const next = structuredClone(lab);
  const node = next.nodes.find((n) => n.name === p.node);
  const i = node?.interfaces.find((x) => x.name === p.interface);
  if (!node || !i || i.up) return undefined;
  i.up = true;
  i.state = 'UP';
  const peer = i.peer?.node ? next.nodes.find((n) => n.name === i.peer!.node)?.interfaces.find((x) => x.name === i.peer!.interface) : undefined;
  i.carrier = i.kind === 'loopback' || i.kind === 'bridge' || !i.peer || !!peer?.up;
  if (peer?.up) peer.carrier = true;
  for (const a of v4Addrs(i)) {
    const dst = subnetOf(a);
    if (!node.routes.some((r) => r.dst === dst && r.dev === i.name)) node.routes.push({ dst, dev: i.name, protocol: 'kernel', scope: 'link', prefsrc: ipOf(a) });
  }
  return next;
}
