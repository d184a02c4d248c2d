// The live lab read back as a desired topology ("save what I built by hand"). Only what nslab can
// recreate is kept; what the kernel adds by itself (link-local addresses, connected routes) is
// dropped so deploying the result does not collide with the kernel doing it again.
import type { InterfaceKind, InterfaceSpec, NeighbourSpec, NodeSpec, RouteSpec, Topology, VethLink, VxlanFdbEntry } from './topology.ts';
import { HOST, hostNode } from './topology.ts';
import type { ObservedInterface, ObservedLab, ObservedNeighbour, ObservedNode, ObservedRoute } from './observed.ts';
import { checkHostAddress, isIpv6LinkLocal, isMulticast, parseCidr, parseIp } from './names.ts';
import { DEFAULT_VXLAN_PORT, MACVLAN_MODES } from './validate.ts';

const CREATED_KINDS = new Set<InterfaceKind>(['veth', 'bridge', 'vxlan', 'macvlan', 'vlan', 'tun', 'tap', 'dummy']);
const DEFAULT_MTU = 1500;
/** lo gets these as soon as it is up; adding them again fails with "File exists". */
const LOOPBACK_ADDRESSES = new Set(['127.0.0.1/8', '::1/128']);
/** Routes the kernel installs itself: connected prefixes and router advertisements. */
const KERNEL_PROTOCOLS = new Set(['kernel', 'ra']);
/** The kernel's default metric for IPv6 routes; writing it out would only add noise. */
const IPV6_DEFAULT_METRIC = 1024;

export function observedToTopology(o: ObservedLab): Topology {
  const observed = o.nodes.filter((n) => !n.unsafeName);
  const ordered = [...observed.filter((n) => n.kind === 'host'), ...observed.filter((n) => n.kind !== 'host')];
  const nodes: NodeSpec[] = ordered.map((n) => ({
    name: n.kind === 'host' ? HOST : n.name,
    kind: n.kind,
    interfaces: interfacesOf(n),
    routes: [],
    // Only settings that differ from a fresh namespace's: forwarding is off by default.
    sysctls: Object.fromEntries(Object.entries(n.sysctls).filter(([, v]) => v !== '0')),
    ...(n.iptables !== undefined ? { iptables: [...n.iptables] } : {}),
    exec: [],
  }));
  if (!nodes.some((n) => n.kind === 'host')) nodes.unshift(hostNode());
  const byName = new Map(nodes.map((n) => [n.name, n]));
  // The lab host may be reported under another name; in a topology it is always HOST.
  const rename = new Map(ordered.filter((n) => n.kind === 'host').map((n) => [n.name, HOST]));
  const endpoint = (ep: { node: string; interface: string }) => ({ node: rename.get(ep.node) ?? ep.node, interface: ep.interface });
  const find = (ep: { node: string; interface: string }) => byName.get(ep.node)?.interfaces.find((i) => i.name === ep.interface);

  const links: VethLink[] = [];
  const seen = new Set<string>();
  for (const l of o.links) {
    const [ea, eb] = [endpoint(l.a), endpoint(l.b)];
    if (find(ea)?.kind !== 'veth' || find(eb)?.kind !== 'veth') continue;
    // Each pair is usually reported from both ends.
    const key = [`${ea.node}:${ea.interface}`, `${eb.node}:${eb.interface}`].sort().join(' ');
    if (seen.has(key)) continue;
    seen.add(key);
    links.push({ a: ea, b: eb });
  }
  const linked = new Set(links.flatMap((l) => [`${l.a.node}:${l.a.interface}`, `${l.b.node}:${l.b.interface}`]));
  for (const n of nodes) {
    // A veth whose peer is outside the lab (or unsafe to name) cannot be recreated on its own.
    n.interfaces = n.interfaces.filter((i) => i.kind !== 'veth' || linked.has(`${n.name}:${i.name}`));
    pruneDangling(n);
  }
  // A macvlan moved in from another node needs that node's interface.
  for (let changed = true; changed; ) {
    changed = false;
    for (const n of nodes) {
      const before = n.interfaces.length;
      n.interfaces = n.interfaces.filter((i) => {
        if (i.parentNode === undefined) return true;
        i.parentNode = rename.get(i.parentNode) ?? i.parentNode;
        return byName.get(i.parentNode)?.interfaces.some((x) => x.name === i.parent) ?? false;
      });
      if (n.interfaces.length !== before) {
        pruneDangling(n);
        changed = true;
      }
    }
  }
  for (const n of ordered) {
    const node = byName.get(n.kind === 'host' ? HOST : n.name)!;
    node.routes = n.routes.flatMap((r) => routeOf(r, node) ?? []);
    const neighbours = n.neighbours.flatMap((e) => neighbourOf(e, node) ?? []);
    if (neighbours.length > 0) node.neighbours = neighbours;
  }
  keepReferencedMacs(ordered, byName, rename);
  return { ...(o.name ? { name: o.name } : {}), nodes, links, requires: [] };
}

function interfacesOf(n: ObservedNode): InterfaceSpec[] {
  return n.interfaces.flatMap((i) => interfaceOf(i) ?? []);
}

/** An observed interface as the spec that recreates it, or undefined when nslab cannot (lo aside, kernel-made or unsafe). */
export function interfaceOf(o: ObservedInterface): InterfaceSpec | undefined {
  if (o.unsafeName) return undefined;
  const isLo = o.kind === 'loopback';
  if (isLo && o.name !== 'lo') return undefined;
  if (!isLo && !CREATED_KINDS.has(o.kind as InterfaceKind)) return undefined;
  const kind = (isLo ? 'loopback' : o.kind) as InterfaceKind;
  // An address typed by hand that no interface can use (0.0.0.0/0, a network address) would make
  // the saved topology fail its own checks on the next deploy.
  const addresses = o.addresses.filter((a) => !isIpv6LinkLocal(a) && !(isLo && LOOPBACK_ADDRESSES.has(a)) && checkHostAddress(a, o.name) === null);
  const spec: InterfaceSpec = { name: o.name, kind, addresses };
  if (isLo) {
    if (o.up) spec.up = true;
    else if (addresses.length === 0) return undefined;
  } else {
    if (!o.up) spec.up = false;
    if (o.mtu !== DEFAULT_MTU) spec.mtu = o.mtu;
  }
  if (o.master) spec.master = o.master;
  if (o.promisc) spec.promisc = true;

  const d = o.details ?? {};
  const str = (k: string) => (typeof d[k] === 'string' && d[k] !== '' ? (d[k] as string) : undefined);
  const num = (k: string) => (typeof d[k] === 'number' && Number.isInteger(d[k]) ? (d[k] as number) : undefined);
  switch (kind) {
    case 'bridge':
      if (d.vlanFiltering === true || d.vlan_filtering === true || d.vlan_filtering === 1) spec.vlanFiltering = true;
      break;
    case 'vxlan': {
      const id = num('id');
      if (id === undefined) return undefined;
      spec.vxlan = { id, dstport: num('dstport') ?? DEFAULT_VXLAN_PORT };
      for (const k of ['dev', 'local', 'remote', 'group'] as const) {
        const v = str(k);
        if (v !== undefined) spec.vxlan[k] = v;
      }
      const fdb = staticFdb(d.fdb, spec.vxlan.remote);
      if (fdb.length > 0) spec.vxlan.fdb = fdb;
      break;
    }
    case 'macvlan': {
      const parent = str('parent');
      if (parent === undefined) return undefined;
      spec.parent = parent;
      const parentNode = str('parentNode');
      if (parentNode !== undefined) spec.parentNode = parentNode;
      const mode = str('mode');
      if (mode !== undefined && (MACVLAN_MODES as readonly string[]).includes(mode)) spec.macvlanMode = mode as InterfaceSpec['macvlanMode'];
      break;
    }
    case 'vlan': {
      const parent = str('parent');
      const id = num('id');
      if (parent === undefined || id === undefined) return undefined;
      spec.parent = parent;
      const parentNode = str('parentNode');
      if (parentNode !== undefined) spec.parentNode = parentNode;
      spec.vlanId = id;
      break;
    }
    default:
      break;
  }
  return spec;
}

/**
 * The entries someone added (`bridge fdb append`): learned ones come back by themselves, and the
 * one `remote` makes is made again with the vxlan.
 */
function staticFdb(raw: unknown, remote: string | undefined): VxlanFdbEntry[] {
  if (!Array.isArray(raw)) return [];
  const out: VxlanFdbEntry[] = [];
  for (const e of raw as Record<string, unknown>[]) {
    if (e?.permanent !== true || typeof e.mac !== 'string' || typeof e.dst !== 'string') continue;
    if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(e.mac) || parseIp(e.dst) === null) continue;
    if (e.mac === '00:00:00:00:00:00' && e.dst === remote) continue;
    if (out.some((x) => x.mac === e.mac && x.dst === e.dst)) continue;
    out.push({ mac: e.mac, dst: e.dst });
  }
  return out;
}

/** Drops references to interfaces that were skipped, and stacked interfaces that lost their parent. */
function pruneDangling(n: NodeSpec): void {
  for (let changed = true; changed; ) {
    const names = new Set(n.interfaces.map((i) => i.name));
    const before = n.interfaces.length;
    n.interfaces = n.interfaces.filter((i) => i.parent === undefined || i.parentNode !== undefined || names.has(i.parent));
    changed = n.interfaces.length !== before;
  }
  const names = new Set(n.interfaces.map((i) => i.name));
  for (const i of n.interfaces) {
    if (i.master !== undefined && !names.has(i.master)) delete i.master;
    if (i.vxlan?.dev !== undefined && !names.has(i.vxlan.dev)) delete i.vxlan.dev;
  }
}

/** A permanent entry on a kept interface; the kernel's own (reachable, stale...) come back with traffic. */
function neighbourOf(e: ObservedNeighbour, node: NodeSpec): NeighbourSpec | undefined {
  if (!e.state.includes('PERMANENT') || e.mac === undefined || !MAC.test(e.mac)) return undefined;
  if (!node.interfaces.some((i) => i.name === e.dev) || parseIp(e.address) === undefined) return undefined;
  return { address: e.address, mac: e.mac, dev: e.dev };
}

/**
 * MACs are left to the kernel (random, different each time) unless something in the lab names
 * one: a permanent neighbour entry or a vxlan's fdb entry pointing at it (flannel's gateways).
 */
function keepReferencedMacs(observed: ObservedNode[], byName: Map<string, NodeSpec>, rename: Map<string, string>): void {
  const named = new Set<string>();
  for (const n of byName.values()) {
    for (const e of n.neighbours ?? []) named.add(e.mac.toLowerCase());
    for (const i of n.interfaces) for (const e of i.vxlan?.fdb ?? []) named.add(e.mac.toLowerCase());
  }
  named.delete('00:00:00:00:00:00');
  if (named.size === 0) return;
  for (const o of observed) {
    const node = byName.get(rename.get(o.name) ?? o.name);
    for (const i of node?.interfaces ?? []) {
      const mac = o.interfaces.find((x) => x.name === i.name)?.mac.toLowerCase();
      if (mac !== undefined && named.has(mac) && i.kind !== 'loopback') i.mac = mac;
    }
  }
}

const MAC = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;

function routeOf(r: ObservedRoute, node: NodeSpec): RouteSpec | undefined {
  if (r.dev !== undefined && r.dev !== 'lo' && !node.interfaces.some((i) => i.name === r.dev)) return undefined;
  return recreatableRoute(r);
}

/** A route someone added (not one the kernel makes itself) as the spec that adds it again. */
export function recreatableRoute(r: ObservedRoute): RouteSpec | undefined {
  if (r.protocol !== undefined && KERNEL_PROTOCOLS.has(r.protocol)) return undefined;
  if (r.dst !== 'default' && (isIpv6LinkLocal(r.dst) || isMulticast(r.dst))) return undefined;
  return routeSpecOf(r);
}

/** Any observed route as a RouteSpec (host routes get their /32 or /128 back); undefined if unparsable. */
export function routeSpecOf(r: ObservedRoute): RouteSpec | undefined {
  let to = r.dst;
  let family: number | undefined;
  if (to !== 'default') {
    // `ip -j route` prints host routes without their /32 or /128.
    if (!to.includes('/')) {
      const ip = parseIp(to);
      if (!ip) return undefined;
      to = `${to}/${ip.family === 4 ? 32 : 128}`;
    }
    const c = parseCidr(to);
    if (!c) return undefined;
    family = c.family;
  }
  const route: RouteSpec = { to };
  if (r.via !== undefined) {
    route.via = r.via;
    family ??= parseIp(r.via)?.family;
  }
  if (r.dev !== undefined) route.dev = r.dev;
  if (r.onlink && r.via !== undefined) route.onlink = true;
  if (r.metric !== undefined && r.metric !== 0 && !(family === 6 && r.metric === IPV6_DEFAULT_METRIC)) route.metric = r.metric;
  return route;
}
