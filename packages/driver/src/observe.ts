// Reads what the kernel really has in a sandbox, whoever made it (nslab, a learner's shell, a
// script). One `ip -batch` and at most one `bridge` process per namespace.
import {
  HOST,
  checkIptablesRule,
  checkNodeName,
  rulesFromSave,
  checkInterfaceName,
  type ObservedBridge,
  type ObservedInterface,
  type ObservedLab,
  type ObservedNeighbour,
  type ObservedNode,
  type ObservedRoute,
} from '@nslab/model';
import type { Sandbox } from './sandbox.ts';
import { parseIpJsonDocuments } from './ip-json.ts';
import { run } from './run.ts';

export interface NamespaceName {
  name: string;
  /** Made by hand with characters nslab never passes to a command (all digits, control bytes...). */
  unsafe: boolean;
}

/**
 * The lab's namespaces, as /run/netns lists them. Read inside the sandbox by the lab's root: the
 * directory is the lab's to change (a learner may replace it with a symlink to anything), so the
 * server never opens it itself.
 */
export async function listNamespaces(sb: Sandbox): Promise<NamespaceName[]> {
  const r = await run(sb.enter(['find', '/run/netns', '-mindepth', '1', '-maxdepth', '1', '-printf', '%f\\0']), {
    timeoutMs: 10_000,
    maxOutput: 4 * 1024 * 1024,
  });
  if (r.code !== 0 && r.stdout === '') return [];
  return r.stdout
    .split('\0')
    .filter((name) => name.length > 0)
    .map((name) => ({ name, unsafe: name.includes('\uFFFD') || checkNodeName(name) !== null || name === HOST }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

interface RawLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu: number;
  operstate: string;
  link_type?: string;
  address?: string;
  master?: string;
  link?: string | null;
  link_index?: number;
  link_netnsid?: number;
  promiscuity?: number;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown>; info_slave_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number }[];
  stats64?: { rx: { bytes: number; packets: number; dropped: number }; tx: { bytes: number; packets: number; dropped: number } };
}

/** One namespace as read from the kernel, kept by the server so a change re-reads only that namespace. */
export interface NodeRaw {
  node: ObservedNode;
  links: RawLink[];
  nsids: Map<number, string | null>;
  bridges: ObservedBridge[];
}

function kindOf(l: RawLink): string {
  if (l.link_type === 'loopback') return 'loopback';
  const k = l.linkinfo?.info_kind;
  if (k === 'tun') {
    const t = l.linkinfo?.info_data?.type;
    return t === 'tap' ? 'tap' : 'tun';
  }
  return k ?? (l.link_type === 'ether' ? 'ether' : (l.link_type ?? 'unknown'));
}

function details(l: RawLink, kind: string): Record<string, unknown> | undefined {
  const d = l.linkinfo?.info_data ?? {};
  switch (kind) {
    case 'vxlan':
      return { id: d.id, dev: d.link ?? undefined, local: d.local, remote: d.remote, group: d.group, dstport: d.port };
    case 'macvlan':
      return { parent: l.link ?? undefined, mode: d.mode };
    case 'vlan':
      return { parent: l.link ?? undefined, id: d.id, protocol: d.protocol };
    case 'bridge':
      return { vlanFiltering: d.vlan_filtering === 1, stp: d.stp_state !== 0 };
    default:
      return undefined;
  }
}

function toInterface(l: RawLink): ObservedInterface {
  const kind = kindOf(l);
  const flags = l.flags ?? [];
  const iface: ObservedInterface = {
    name: l.ifname,
    ifindex: l.ifindex,
    kind,
    state: l.operstate,
    up: flags.includes('UP'),
    carrier: flags.includes('LOWER_UP'),
    mac: l.address ?? '',
    mtu: l.mtu,
    addresses: (l.addr_info ?? []).filter((a) => a.local).map((a) => `${a.local}/${a.prefixlen}`),
    promisc: flags.includes('PROMISC'),
  };
  if (l.master) iface.master = l.master;
  if (l.stats64) {
    iface.stats = {
      rxPackets: l.stats64.rx.packets, txPackets: l.stats64.tx.packets,
      rxBytes: l.stats64.rx.bytes, txBytes: l.stats64.tx.bytes,
      rxDropped: l.stats64.rx.dropped, txDropped: l.stats64.tx.dropped,
    };
  }
  const d = details(l, kind);
  if (d) iface.details = Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined));
  if (checkInterfaceName(l.ifname) !== null) iface.unsafeName = true;
  return iface;
}

function toRoute(r: Record<string, unknown>): ObservedRoute {
  const out: ObservedRoute = { dst: String(r.dst) };
  if (r.gateway) out.via = String(r.gateway);
  if (r.dev) out.dev = String(r.dev);
  if (r.protocol) out.protocol = String(r.protocol);
  if (r.scope) out.scope = String(r.scope);
  if (typeof r.metric === 'number') out.metric = r.metric;
  if (r.prefsrc) out.prefsrc = String(r.prefsrc);
  if (Array.isArray(r.flags) && r.flags.includes('onlink')) out.onlink = true;
  return out;
}

function toNeighbour(n: Record<string, unknown>): ObservedNeighbour {
  const out: ObservedNeighbour = { address: String(n.dst), dev: String(n.dev), state: (n.state as string[] | undefined) ?? [] };
  if (n.lladdr) out.mac = String(n.lladdr);
  return out;
}

const RP_FILTER: Record<string, string> = { off: '0', strict: '1', loose: '2' };

/**
 * The network sysctls `ip netconf show` reports (same batch, no process of its own): forwarding
 * from the "all" entries (net.ipv4.ip_forward sets net.ipv4.conf.all.forwarding), and
 * rp_filter and proxy_arp for "all" and for each interface where they are on. Interfaces whose
 * names sysctl would read differently (a "." in them) are left out. Pure.
 */
export function netconfSysctls(netconf: readonly Record<string, unknown>[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of netconf) {
    if (typeof e.interface !== 'string') continue;
    if (e.interface === 'all' && typeof e.forwarding === 'boolean') {
      if (e.family === 'inet') out['net.ipv4.ip_forward'] = e.forwarding ? '1' : '0';
      else if (e.family === 'inet6') out['net.ipv6.conf.all.forwarding'] = e.forwarding ? '1' : '0';
    }
    if (e.family !== 'inet' || e.interface === 'default' || e.interface === 'lo' || !/^[A-Za-z0-9_-]{1,15}$/.test(e.interface)) continue;
    const at = `net.ipv4.conf.${e.interface}`;
    const rp = typeof e.rp_filter === 'string' ? RP_FILTER[e.rp_filter] : undefined;
    if (rp !== undefined && (e.interface === 'all' || rp !== '0')) out[`${at}.rp_filter`] = rp;
    if (typeof e.proxy_neigh === 'boolean' && (e.interface === 'all' || e.proxy_neigh)) out[`${at}.proxy_arp`] = e.proxy_neigh ? '1' : '0';
  }
  return out;
}

export async function readNode(sb: Sandbox, name: string, kind: 'host' | 'netns', unsafe = false): Promise<NodeRaw> {
  if (unsafe) {
    return { node: { name, kind, interfaces: [], routes: [], neighbours: [], sysctls: {}, unsafeName: true }, links: [], nsids: new Map(), bridges: [] };
  }
  const ns = kind === 'host' ? null : name;
  const ipArgv = ns === null ? ['ip', '-s', '-d', '-j', '-batch', '-'] : ['ip', '-n', ns, '-s', '-d', '-j', '-batch', '-'];
  // One process per namespace read: every command prints exactly one JSON document (maybe `[]`).
  const ipRes = await run(sb.enter(ipArgv), { input: 'addr show\nroute show\nneigh show\nnetns list-id\nnetconf show\n', timeoutMs: 30_000 });
  const node: ObservedNode = { name, kind, interfaces: [], routes: [], neighbours: [], sysctls: {} };
  const nsids = new Map<number, string | null>();
  let links: RawLink[] = [];
  // A namespace deleted between listing and reading simply comes back empty.
  if (ipRes.code === 0) {
    const docs = parseIpJsonDocuments(ipRes.stdout) as Record<string, unknown>[][];
    links = (docs[0] ?? []) as unknown as RawLink[];
    node.interfaces = links.map(toInterface);
    node.routes = (docs[1] ?? []).map(toRoute);
    node.neighbours = (docs[2] ?? []).map(toNeighbour);
    for (const e of docs[3] ?? []) nsids.set(Number(e.nsid), typeof e.name === 'string' ? e.name : null);
    node.sysctls = netconfSysctls(docs[4] ?? []);
  }
  return { node, links, nsids, bridges: await readFdb(sb, node) };
}

/**
 * Bridges' forwarding tables, and each vxlan's entries with a remote (`details.fdb`), from one
 * `bridge fdb show` for the whole namespace.
 */
async function readFdb(sb: Sandbox, node: ObservedNode): Promise<ObservedBridge[]> {
  const bridges = node.interfaces.filter((i) => i.kind === 'bridge' && !i.unsafeName);
  const vxlans = node.interfaces.filter((i) => i.kind === 'vxlan' && !i.unsafeName);
  if (bridges.length === 0 && vxlans.length === 0) return [];
  const argv = node.kind === 'host' ? ['bridge', '-j', 'fdb', 'show'] : ['bridge', '-n', node.name, '-j', 'fdb', 'show'];
  const res = await run(sb.enter(argv), { timeoutMs: 30_000 });
  const entries = res.code === 0 ? (parseIpJsonDocuments(res.stdout)[0] as Record<string, unknown>[] | undefined) ?? [] : [];
  for (const vx of vxlans) {
    const fdb = entries
      .filter((e) => e.ifname === vx.name && typeof e.dst === 'string' && e.master === undefined)
      .map((e) => ({ mac: String(e.mac), dst: String(e.dst), permanent: e.state === 'permanent' }));
    vx.details = { ...vx.details, fdb };
  }
  return bridges.map((br) => ({
    node: node.name,
    name: br.name,
    ports: node.interfaces.filter((i) => i.master === br.name).map((i) => i.name),
    fdb: entries
      // "self" entries are a port's own multicast list, not the bridge's forwarding table.
      .filter((e) => e.master === br.name && !((e.flags as string[] | undefined) ?? []).includes('self'))
      .map((e) => {
        const permanent = e.state === 'permanent';
        const out = { mac: String(e.mac), port: String(e.ifname), permanent, local: permanent };
        return typeof e.vlan === 'number' ? { ...out, vlan: e.vlan } : out;
      }),
  }));
}

export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const idx = next++;
        out[idx] = await fn(items[idx]!);
      }
    }),
  );
  return out;
}

/**
 * A node's IPv4 firewall as rule lines (`iptables-save`, run inside the sandbox in the node), or
 * undefined when it cannot be read (no iptables, no nf_tables). The lab's root can put anything
 * in that program's place, so the output is bounded and only well-formed rules are kept.
 */
export async function readIptables(sb: Sandbox, node: Pick<ObservedNode, 'name' | 'kind' | 'unsafeName'>): Promise<string[] | undefined> {
  if (node.unsafeName) return undefined;
  const r = await run(sb.enterNetns(node.kind === 'host' ? HOST : node.name, ['iptables-save']), { timeoutMs: 10_000, maxOutput: 1024 * 1024 });
  if (r.code !== 0 || r.truncated) return undefined;
  return rulesFromSave(r.stdout).filter((rule) => checkIptablesRule(rule) === null);
}

/** Every node's firewall read into `lab` (one iptables-save per node). */
export async function readFirewalls(sb: Sandbox, lab: ObservedLab): Promise<void> {
  const rules = await mapLimit(lab.nodes, 8, (n) => readIptables(sb, n));
  lab.nodes.forEach((n, k) => {
    if (rules[k] !== undefined) n.iptables = rules[k];
  });
}

/**
 * The observed state of a whole lab, the JSON `nslab inspect --json` prints. `firewall`: read each
 * node's iptables too (a process per node; the live view reads them only when they may change).
 */
export async function observeLab(sb: Sandbox, opts: { firewall?: boolean } = {}): Promise<ObservedLab> {
  const names = await listNamespaces(sb);
  const targets: { name: string; kind: 'host' | 'netns'; unsafe: boolean }[] = [
    { name: HOST, kind: 'host', unsafe: false },
    ...names.map((n) => ({ name: n.name, kind: 'netns' as const, unsafe: n.unsafe })),
  ];
  const raws = await mapLimit(targets, 8, (t) => readNode(sb, t.name, t.kind, t.unsafe));
  const lab = assembleLab(sb.name, raws);
  if (opts.firewall) await readFirewalls(sb, lab);
  return lab;
}

/** Whole-lab view from per-namespace reads: peers resolved across namespaces, links, bridges. */
export function assembleLab(name: string, raws: NodeRaw[]): ObservedLab {
  resolvePeers(raws);
  resolveForeignParents(raws);
  const nodes = raws.map((r) => r.node);
  return { name, nodes, links: collectLinks(nodes), bridges: raws.flatMap((r) => r.bridges) };
}

/**
 * veth peers: the kernel reports the peer's ifindex and, when it lives elsewhere, an nsid relative
 * to the viewing namespace; `netns list-id` names those nsids for namespaces in /run/netns. The lab
 * host has no /run/netns entry, so its side is matched from the other end.
 */
export function resolvePeers(raws: NodeRaw[]): void {
  const byName = new Map(raws.map((r) => [r.node.name, r]));
  for (const r of raws) {
    r.links.forEach((l, idx) => {
      if (l.linkinfo?.info_kind !== 'veth') return;
      const iface = r.node.interfaces[idx]!;
      const peerIndex = l.link_index;
      if (l.link_netnsid === undefined || l.link_netnsid < 0) {
        // Peer in the same namespace.
        const peer = r.links.find((p) => (peerIndex !== undefined ? p.ifindex === peerIndex : p.ifname === l.link));
        if (peer) iface.peer = { node: r.node.name, interface: peer.ifname, ifindex: peer.ifindex };
        return;
      }
      const peerNode = r.nsids.get(l.link_netnsid);
      if (peerNode && byName.has(peerNode)) {
        const pr = byName.get(peerNode)!;
        const peer = pr.links.find((p) => p.ifindex === peerIndex);
        iface.peer = { node: peerNode, interface: peer?.ifname ?? null, ifindex: peerIndex ?? -1 };
      } else {
        iface.peer = { node: null, interface: null, ifindex: peerIndex ?? -1 };
      }
    });
  }
  // Fill unnamed sides (the lab host) from the named end.
  for (const r of raws) {
    for (const iface of r.node.interfaces) {
      const p = iface.peer;
      if (!p || p.node === null || p.node === r.node.name) continue;
      const other = byName.get(p.node)?.node.interfaces.find((i) => i.ifindex === p.ifindex);
      if (other && other.peer && other.peer.node === null && other.peer.ifindex === iface.ifindex) {
        other.peer = { node: r.node.name, interface: iface.name, ifindex: iface.ifindex };
      }
    }
  }
}

/**
 * A macvlan (or vlan) made on another namespace's interface and moved: the kernel reports its
 * parent's ifindex and the nsid of the parent's namespace. A named nsid is that namespace; an
 * unnamed one is the lab host when the host has an interface of that index (the lab host has no
 * /run/netns name). Sets details.parent and details.parentNode.
 */
export function resolveForeignParents(raws: NodeRaw[]): void {
  const byName = new Map(raws.map((r) => [r.node.name, r]));
  const host = raws.find((r) => r.node.kind === 'host');
  for (const r of raws) {
    r.links.forEach((l, idx) => {
      const kind = l.linkinfo?.info_kind;
      if ((kind !== 'macvlan' && kind !== 'vlan') || l.link_netnsid === undefined || l.link_netnsid < 0 || l.link_index === undefined) return;
      const named = r.nsids.get(l.link_netnsid);
      const owner = named ? byName.get(named) : host !== r ? host : undefined;
      const parent = owner?.links.find((p) => p.ifindex === l.link_index);
      if (!owner || !parent) return;
      const iface = r.node.interfaces[idx]!;
      iface.details = { ...iface.details, parent: parent.ifname, parentNode: owner.node.name };
    });
  }
}

function collectLinks(nodes: ObservedNode[]): ObservedLab['links'] {
  const seen = new Set<string>();
  const links: ObservedLab['links'] = [];
  for (const n of nodes) {
    for (const i of n.interfaces) {
      if (!i.peer || i.peer.node === null || i.peer.interface === null) continue;
      const a = { node: n.name, interface: i.name };
      const b = { node: i.peer.node, interface: i.peer.interface };
      const key = [`${a.node}\0${a.interface}`, `${b.node}\0${b.interface}`].sort().join('\0\0');
      if (seen.has(key)) continue;
      seen.add(key);
      links.push({ a, b });
    }
  }
  return links;
}
