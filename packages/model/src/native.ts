// The native topology format (see packages/model/README.md): read the document's shape, resolve
// link endpoints into veth interfaces, then run the shared semantic checks with paths that point
// back into the document.
import type { InterfaceKind, InterfaceSpec, NodeSpec, RouteSpec, Topology, VethLink, VxlanFdbEntry, VxlanParams } from './topology.ts';
import { HOST, hostNode } from './topology.ts';
import { TopologyError } from './issue.ts';
import { at, quote } from './display.ts';
import { didYouMeanSuffix } from './names.ts';
import type { Entries } from './read.ts';
import { Collector, checkKeys, peekMap, readBool, readInt, readList, readMap, readNumber, readScalarMap, readString, readStringList } from './read.ts';
import type { Locator } from './validate.ts';
import { DEFAULT_VXLAN_PORT, INTERFACE_KINDS, RESOLVED_LOCATOR, checkTopologySteps, mergeIssues } from './validate.ts';
import type { LinkEnd } from './wiring.ts';
import { Wiring } from './wiring.ts';
import type { ParsedTopology } from './parse.ts';
import { runSync, type Steps } from './steps.ts';

const TOP_KEYS = ['name', 'requires', 'nodes', 'bridges', 'links'];
const NODE_KEYS = ['interfaces', 'routes', 'neighbours', 'sysctls', 'iptables', 'exec', 'position'];
const NEIGHBOUR_KEYS = ['address', 'mac', 'dev'];
const LINK_KEYS = ['endpoints'];
const ROUTE_KEYS = ['to', 'via', 'dev', 'metric', 'onlink'];
const POSITION_KEYS = ['x', 'y'];
const FDB_KEYS = ['mac', 'dst'];
const COMMON_KEYS = ['kind', 'addresses', 'up', 'mtu', 'mac', 'master', 'promisc'];
const KIND_KEYS: Partial<Record<InterfaceKind, readonly string[]>> = {
  bridge: ['vlan_filtering'],
  vxlan: ['id', 'dev', 'local', 'remote', 'group', 'dstport', 'fdb'],
  macvlan: ['parent', 'mode'],
  vlan: ['parent', 'id'],
};
const ALL_INTERFACE_KEYS = [...new Set([...COMMON_KEYS, ...Object.values(KIND_KEYS).flat()])];
/** `bridges:` entries are always bridges in the lab host, so kind and master make no sense there. */
const BRIDGE_KEYS = ['addresses', 'up', 'mtu', 'mac', 'promisc', 'vlan_filtering'];

interface Reading {
  topology: Topology;
  locator: Locator;
  collector: Collector;
  peerless: Set<string>;
}

export function parseNative(doc: unknown): ParsedTopology {
  return runSync(nativeSteps(doc));
}

/** parseNative in steps (see steps.ts). */
export function* nativeSteps(doc: unknown): Steps<ParsedTopology> {
  const { topology, locator, collector, peerless } = yield* readNative(doc);
  yield;
  const issues = mergeIssues(collector.allIssues(), yield* checkTopologySteps(topology, locator), peerless);
  if (issues.length > 0) throw new TopologyError(issues);
  yield;
  // Same rules again on the resolved shape, as the server applies them after an edit; anything
  // found here means the reader resolved something wrongly, which must not reach the kernel.
  const again = yield* checkTopologySteps(topology, RESOLVED_LOCATOR);
  if (again.length > 0) throw new TopologyError(again);
  return { topology, warnings: collector.allWarnings(), format: 'native' };
}

/** Entries read between pauses. */
const PER_STEP = 200;

function* readNative(doc: unknown): Steps<Reading> {
  const c = new Collector();
  const root = readMap(doc, 'document', c, 'a topology (a map with nodes and links)');
  if (!root) throw new TopologyError(c.allIssues());
  checkKeys(root, TOP_KEYS, '', c);

  const name = readString(root, 'name', '', c);
  const requires = readStringList(root, 'requires', '', c) ?? [];
  const nodesRaw = readMap(root.get('nodes'), 'nodes', c) ?? new Map<string, unknown>();
  const bridgesRaw = readMap(root.get('bridges'), 'bridges', c) ?? new Map<string, unknown>();
  const linksRaw = readList(root, 'links', '', c) ?? [];

  const paths = new Map<InterfaceSpec, string>();
  const host = hostNode();
  const nodes: NodeSpec[] = [host];
  const nodePath = new Map<NodeSpec, string>([[host, 'nodes.host']]);
  const nodeBodies = new Map<NodeSpec, Entries>();
  let n = 0;
  for (const [nodeName, raw] of nodesRaw) {
    if (++n % PER_STEP === 0) yield;
    const node = nodeName === HOST ? host : { name: nodeName, kind: 'netns' as const, interfaces: [], routes: [], sysctls: {}, exec: [] };
    if (node !== host) nodes.push(node);
    const p = at('nodes', nodeName);
    nodePath.set(node, p);
    const body = readMap(raw, p, c, 'a node (a map with interfaces, routes, sysctls, exec, position)');
    if (body) {
      checkKeys(body, NODE_KEYS, p, c);
      nodeBodies.set(node, body);
    }
  }
  const byName = new Map(nodes.map((n) => [n.name, n]));

  // Host bridges first: they are the backbone the rest of the host's wiring hangs off.
  for (const [bridge, raw] of bridgesRaw) {
    const p = at('bridges', bridge);
    const body = readMap(raw, p, c, 'a bridge (a map with addresses, up, mtu, ...)') ?? new Map<string, unknown>();
    checkKeys(body, BRIDGE_KEYS, p, c);
    const spec = readInterface(body, bridge, 'bridge', p, c);
    host.interfaces.push(spec);
    paths.set(spec, p);
  }
  const hostBridges = new Set([...bridgesRaw.keys(), ...configuredHostBridges(nodeBodies.get(host))]);

  // Endpoints are resolved before interface configs so a config without `kind` can be recognised
  // as a link end.
  const ends: (LinkEnd | undefined)[][] = [];
  for (const [li, raw] of linksRaw.entries()) {
    ends.push(readLinkEnds(raw, li, byName, hostBridges, c));
    if (li % PER_STEP === PER_STEP - 1) yield;
  }
  const linked = new Set(ends.flat().filter((e) => e !== undefined).map((e) => `${e.node.name}\u0000${e.iface}`));

  for (const [k, node] of nodes.entries()) {
    const body = nodeBodies.get(node);
    if (body) readInterfaces(node, body, nodePath.get(node)!, linked, paths, c);
    if (k % PER_STEP === PER_STEP - 1) yield;
  }

  const wiring = new Wiring(c, paths);
  const links: VethLink[] = [];
  const linkIndex: number[] = [];
  for (const [li, pair] of ends.entries()) {
    if (li % PER_STEP === PER_STEP - 1) yield;
    if (pair.length !== 2) continue;
    const link = wiring.connect(pair[0], pair[1], `links[${li}]`);
    if (link) {
      links.push(link);
      linkIndex.push(li);
    }
  }

  for (const [k, node] of nodes.entries()) {
    const body = nodeBodies.get(node);
    if (body) readNodeSettings(node, body, nodePath.get(node)!, c);
    if (k % PER_STEP === PER_STEP - 1) yield;
  }

  const topology: Topology = { ...(name !== undefined ? { name } : {}), nodes, links, requires: requires as Topology['requires'] };
  const locator: Locator = {
    name: 'name',
    requires: 'requires',
    nodes: 'nodes',
    node: (n) => nodePath.get(n) ?? at('nodes', n.name),
    nodeField: (n, key) => at(nodePath.get(n) ?? at('nodes', n.name), key),
    iface: (n, i) => paths.get(i) ?? at(at(nodePath.get(n) ?? at('nodes', n.name), 'interfaces'), i.name),
    link: (index) => `links[${linkIndex[index] ?? index}]`,
    endpoint: (index, end) => `links[${linkIndex[index] ?? index}].endpoints[${end}]`,
  };
  return { topology, locator, collector: c, peerless: wiring.peerlessFields() };
}

function configuredHostBridges(body: Entries | undefined): string[] {
  const entries = peekMap(body?.get('interfaces'));
  return [...(entries ?? [])].filter(([, v]) => peekMap(v)?.get('kind') === 'bridge').map(([k]) => k);
}

/** Both ends of one link (undefined for an end that is wrong), or [] when the link itself is malformed. */
function readLinkEnds(raw: unknown, li: number, nodes: Map<string, NodeSpec>, hostBridges: Set<string>, c: Collector): (LinkEnd | undefined)[] {
  const lp = `links[${li}]`;
  const body = readMap(raw, lp, c, 'a link (a map with endpoints)');
  if (!body) return [];
  checkKeys(body, LINK_KEYS, lp, c);
  const eps = readList(body, 'endpoints', lp, c);
  if (eps === undefined) {
    if (!body.has('endpoints') || body.get('endpoints') === null) {
      c.issue(at(lp, 'endpoints'), 'required', 'a link needs `endpoints`, e.g. ["ns1:veth-01", "ns2:veth-10"]');
    }
    return [];
  }
  if (eps.length !== 2) {
    c.issue(at(lp, 'endpoints'), 'endpoint', `a link has exactly two endpoints, got ${eps.length}`);
    return [];
  }
  return eps.map((e, j) => {
    const p = at(at(lp, 'endpoints'), j);
    if (typeof e !== 'string') {
      c.issue(p, 'type', 'an endpoint is a string "node:interface"');
      return undefined;
    }
    const parts = e.split(':');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      c.issue(p, 'endpoint', `${quote(e)} must be "node:interface" with exactly one ":", e.g. "ns1:veth-01"`);
      return undefined;
    }
    const [nodeName, iface] = parts as [string, string];
    const node = nodes.get(nodeName);
    if (node) return { node, iface, path: p };
    if (hostBridges.has(nodeName)) return { node: nodes.get(HOST)!, iface, master: nodeName, path: p };
    c.issue(p, 'unknown-node', () => `${quote(e)} names ${quote(nodeName)}, which is neither a node nor a host bridge${didYouMeanSuffix(nodeName, [...nodes.keys(), ...hostBridges])}; define it under nodes: or bridges:`);
    return undefined;
  });
}

function readInterfaces(node: NodeSpec, body: Entries, nodeAt: string, linked: Set<string>, paths: Map<InterfaceSpec, string>, c: Collector): void {
  const ifacesAt = at(nodeAt, 'interfaces');
  const raw = body.get('interfaces');
  if (raw === undefined) return;
  const entries = readMap(raw, ifacesAt, c, 'a map of interface name -> settings') ?? new Map<string, unknown>();
  for (const [ifName, value] of entries) {
    const p = at(ifacesAt, ifName);
    const config = readMap(value, p, c, 'interface settings (a map)');
    const m = config ?? new Map<string, unknown>();
    const explicitKind = readString(m, 'kind', p, c);
    const kind = (explicitKind ?? (ifName === 'lo' ? 'loopback' : 'veth')) as InterfaceKind;
    if (explicitKind === undefined && ifName !== 'lo' && config && !linked.has(`${node.name}\u0000${ifName}`)) {
      c.issue(
        p,
        'unlinked',
        `${quote(ifName)} has settings but no kind and is not an end of any link: add a link with endpoint "${node.name}:${ifName}", or set kind (bridge, vxlan, macvlan, vlan, tun, tap, dummy)`,
      );
    }
    checkInterfaceKeys(m, kind, p, c);
    const spec = readInterface(m, ifName, kind, p, c);
    node.interfaces.push(spec);
    paths.set(spec, p);
  }
}

function checkInterfaceKeys(m: Entries, kind: string, p: string, c: Collector): void {
  const known = INTERFACE_KINDS.includes(kind as InterfaceKind);
  const allowed = known ? [...COMMON_KEYS, ...(KIND_KEYS[kind as InterfaceKind] ?? [])] : ALL_INTERFACE_KEYS;
  for (const key of m.keys()) {
    if (allowed.includes(key)) continue;
    if (ALL_INTERFACE_KEYS.includes(key)) {
      const owners = Object.entries(KIND_KEYS).filter(([, keys]) => keys.includes(key)).map(([k]) => k);
      c.issue(at(p, key), 'unknown-key', `${quote(key)} does not apply to a ${kind} interface; it is for ${owners.join(' and ')}`);
    } else {
      c.issue(at(p, key), 'unknown-key', () => `unknown key ${quote(key)}${didYouMeanSuffix(key, allowed)}; a ${kind} interface takes ${allowed.join(', ')}`);
    }
  }
}

function readInterface(m: Entries, name: string, kind: InterfaceKind, p: string, c: Collector): InterfaceSpec {
  const spec: InterfaceSpec = { name, kind, addresses: readStringList(m, 'addresses', p, c) ?? [] };
  const up = readBool(m, 'up', p, c);
  if (up !== undefined) spec.up = up;
  const mtu = readInt(m, 'mtu', p, c);
  if (mtu !== undefined) spec.mtu = mtu;
  const mac = readString(m, 'mac', p, c);
  if (mac !== undefined) spec.mac = mac;
  const master = readString(m, 'master', p, c);
  if (master !== undefined) spec.master = master;
  const promisc = readBool(m, 'promisc', p, c);
  if (promisc !== undefined) spec.promisc = promisc;
  switch (kind) {
    case 'bridge': {
      const vf = readBool(m, 'vlan_filtering', p, c);
      if (vf !== undefined) spec.vlanFiltering = vf;
      break;
    }
    case 'vxlan': {
      const vxlan = { dstport: readInt(m, 'dstport', p, c) ?? DEFAULT_VXLAN_PORT } as VxlanParams;
      const id = readInt(m, 'id', p, c);
      if (id !== undefined) vxlan.id = id;
      for (const key of ['dev', 'local', 'remote', 'group'] as const) {
        const v = readString(m, key, p, c);
        if (v !== undefined) vxlan[key] = v;
      }
      const fdb = readList(m, 'fdb', p, c);
      if (fdb !== undefined) vxlan.fdb = fdb.map((raw, k) => readFdbEntry(raw, at(at(p, 'fdb'), k), c));
      spec.vxlan = vxlan;
      break;
    }
    case 'macvlan': {
      readParent(spec, readString(m, 'parent', p, c));
      const mode = readString(m, 'mode', p, c);
      if (mode !== undefined) spec.macvlanMode = mode as InterfaceSpec['macvlanMode'];
      break;
    }
    case 'vlan': {
      readParent(spec, readString(m, 'parent', p, c));
      const id = readInt(m, 'id', p, c);
      if (id !== undefined) spec.vlanId = id;
      break;
    }
    default:
      break;
  }
  return spec;
}

/** `parent: eth0` (same node) or `parent: host:eth0` (made on another node's interface). */
function readParent(spec: InterfaceSpec, parent: string | undefined): void {
  if (parent === undefined) return;
  const colon = parent.indexOf(':');
  // Interface names cannot hold ":", so the first one separates a node.
  if (colon > 0) {
    spec.parentNode = parent.slice(0, colon);
    spec.parent = parent.slice(colon + 1);
  } else {
    spec.parent = parent;
  }
}

function readNodeSettings(node: NodeSpec, body: Entries, nodeAt: string, c: Collector): void {
  const routesAt = at(nodeAt, 'routes');
  node.routes = (readList(body, 'routes', nodeAt, c) ?? []).map((raw, k) => readRoute(raw, at(routesAt, k), c));
  const sysctls = readScalarMap(body, 'sysctls', nodeAt, c);
  if (sysctls) node.sysctls = Object.fromEntries(sysctls);
  if (body.has('neighbours')) {
    const at0 = at(nodeAt, 'neighbours');
    node.neighbours = (readList(body, 'neighbours', nodeAt, c) ?? []).map((raw, k) => {
      const p = at(at0, k);
      const m = readMap(raw, p, c, 'a neighbour entry (a map with address, mac, dev)') ?? new Map<string, unknown>();
      checkKeys(m, NEIGHBOUR_KEYS, p, c);
      return { address: readString(m, 'address', p, c) ?? '', mac: readString(m, 'mac', p, c) ?? '', dev: readString(m, 'dev', p, c) ?? '' };
    });
  }
  const iptables = readStringList(body, 'iptables', nodeAt, c);
  if (iptables !== undefined) node.iptables = iptables;
  node.exec = readStringList(body, 'exec', nodeAt, c) ?? [];
  if (body.has('position')) {
    const p = at(nodeAt, 'position');
    const m = readMap(body.get('position'), p, c, 'a position {x, y}');
    if (m) {
      checkKeys(m, POSITION_KEYS, p, c);
      const coord = (axis: 'x' | 'y') => {
        const v = readNumber(m, axis, p, c);
        if (v === undefined && (m.get(axis) ?? null) === null) c.issue(at(p, axis), 'required', `position needs ${axis}`);
        return v ?? Number.NaN;
      };
      node.position = { x: coord('x'), y: coord('y') };
    }
  }
}

/** A vxlan fdb entry; missing fields stay "" so the validator reports them at the right index. */
function readFdbEntry(raw: unknown, p: string, c: Collector): VxlanFdbEntry {
  const m = readMap(raw, p, c, 'an fdb entry (a map with mac, dst)') ?? new Map<string, unknown>();
  checkKeys(m, FDB_KEYS, p, c);
  return { mac: readString(m, 'mac', p, c) ?? '', dst: readString(m, 'dst', p, c) ?? '' };
}

/** A route; a missing `to` stays "" so the validator reports it at the right index. */
function readRoute(raw: unknown, p: string, c: Collector): RouteSpec {
  const m = readMap(raw, p, c, 'a route (a map with to, via, dev, metric, onlink)') ?? new Map<string, unknown>();
  checkKeys(m, ROUTE_KEYS, p, c);
  const route: RouteSpec = { to: readString(m, 'to', p, c) ?? '' };
  const via = readString(m, 'via', p, c);
  if (via !== undefined) route.via = via;
  const dev = readString(m, 'dev', p, c);
  if (dev !== undefined) route.dev = dev;
  const metric = readInt(m, 'metric', p, c);
  if (metric !== undefined) route.metric = metric;
  const onlink = readBool(m, 'onlink', p, c);
  if (onlink) route.onlink = true;
  return route;
}
