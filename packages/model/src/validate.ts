// Semantic rules on a resolved Topology. This is the one place those rules live: the YAML readers
// only check shape and wiring, then run these checks with a Locator that maps each part back to
// where it was written, and the server runs them (with plain paths) after granular edits.
import type { Issue, Message } from './issue.ts';
import { IssueList, capIssues } from './issue.ts';
import type { InterfaceKind, InterfaceSpec, NodeSpec, RouteSpec, Topology } from './topology.ts';
import { CAPABILITIES, HOST } from './topology.ts';
import { at, quote } from './display.ts';
import {
  checkCidr,
  checkHostAddress,
  checkInterfaceName,
  checkIp,
  checkMac,
  checkMtu,
  checkLabName,
  checkNodeName,
  didYouMeanSuffix,
  formatCidr,
  hasHostBits,
  isMulticast,
  networkOf,
  parseCidr,
  parseIp,
} from './names.ts';
import { checkIptablesRule } from './iptables.ts';
import { splitShellWords } from './shell-quote.ts';
import { runSync, type Steps } from './steps.ts';

export const INTERFACE_KINDS: readonly InterfaceKind[] = ['veth', 'bridge', 'vxlan', 'macvlan', 'vlan', 'tun', 'tap', 'dummy', 'loopback'];
export const MACVLAN_MODES = ['bridge', 'private', 'vepa', 'passthru'] as const;
export const DEFAULT_VXLAN_PORT = 4789;
export const MAX_VXLAN_ID = 16_777_215;

// Only the namespace's own network settings: other sysctls (kernel.*, vm.*) are global to the host.
const SYSCTL_KEY = /^net\.[a-z0-9_.-]+$/;
const SYSCTL_VALUE = /^[A-Za-z0-9_. -]{0,64}$/;

/** Where each part of a resolved topology was written, in the source document's vocabulary. */
export interface Locator {
  name: string;
  requires: string;
  nodes: string;
  node(n: NodeSpec): string;
  nodeField(n: NodeSpec, key: 'routes' | 'neighbours' | 'sysctls' | 'iptables' | 'exec' | 'position'): string;
  iface(n: NodeSpec, i: InterfaceSpec): string;
  link(index: number): string;
  endpoint(index: number, end: 0 | 1): string;
}

/** Paths for a topology edited directly: native-format names (`nodes.ns1.interfaces.int0.mtu`). */
export const RESOLVED_LOCATOR: Locator = {
  name: 'name',
  requires: 'requires',
  nodes: 'nodes',
  node: (n) => at('nodes', n.name),
  nodeField: (n, key) => at(at('nodes', n.name), key),
  iface: (n, i) => at(at(at('nodes', n.name), 'interfaces'), i.name),
  link: (index) => `links[${index}]`,
  endpoint: (index, end) => `links[${index}].endpoints[${end}]`,
};

/** Records an issue; a message given as a function is only made while issues are still listed. */
export type Add = (field: string, rule: string, message: Message) => void;

export function validateTopology(t: Topology): Issue[] {
  return checkTopology(t, RESOLVED_LOCATOR);
}

/** Every issue in `t`, with fields from `loc`. */
export function checkTopology(t: Topology, loc: Locator): Issue[] {
  return runSync(checkTopologySteps(t, loc));
}

/** Nodes, then links, checked between pauses (see steps.ts). */
const NODES_PER_STEP = 100;
const LINKS_PER_STEP = 500;

/** checkTopology in steps. */
export function* checkTopologySteps(t: Topology, loc: Locator): Steps<Issue[]> {
  const issues = new IssueList();
  const add: Add = (field, rule, message) => issues.add(field, rule, message);
  const nodes = Array.isArray(t.nodes) ? t.nodes : [];

  if (t.name !== undefined) {
    const why = checkLabName(t.name);
    if (why) add(loc.name, checkNodeName(t.name) ? 'lab-name' : 'reserved', `lab name ${quote(String(t.name))} ${why}`);
  }
  checkRequires(t.requires ?? [], loc, add);

  const byName = new Map<string, NodeSpec>();
  for (const n of nodes) {
    const p = loc.node(n);
    if (byName.has(n.name)) add(p, 'duplicate', `node ${quote(n.name)} is defined twice`);
    else byName.set(n.name, n);
    if (n.kind === 'host' || n.name === HOST) {
      if (n.kind !== 'host' || n.name !== HOST) {
        add(p, 'reserved', `${quote(HOST)} is the lab host and the only node of kind host; rename this node`);
      }
    } else if (n.kind !== 'netns') {
      add(at(p, 'kind'), 'enum', `node kind must be "netns" (or "host" for the lab host), got ${quote(String(n.kind))}`);
    } else {
      const why = checkNodeName(n.name);
      if (why) add(p, 'node-name', `node name ${quote(n.name)} ${why}`);
    }
  }
  const host = byName.get(HOST);
  if (!host || host.kind !== 'host') add(loc.nodes, 'required', `the topology must contain the lab host node ${quote(HOST)} (kind host)`);

  // `br0:port` endpoints name a host bridge the way `ns1:port` names a node, so they must differ.
  for (const b of host?.interfaces ?? []) {
    if (b.kind === 'bridge' && byName.has(b.name)) {
      add(loc.iface(host!, b), 'duplicate', `bridge ${quote(b.name)} has the same name as a node; endpoints "${b.name}:..." would be ambiguous`);
    }
  }

  const interfaces = new Map<NodeSpec, Map<string, InterfaceSpec>>();
  for (const [k, n] of nodes.entries()) {
    interfaces.set(n, checkNode(n, loc, add));
    if (k % NODES_PER_STEP === NODES_PER_STEP - 1) yield;
  }
  checkForeignParents(nodes, byName, interfaces, loc, add);
  yield* checkLinks(t, byName, interfaces, loc, add);
  return issues.list();
}

function checkRequires(requires: readonly string[], loc: Locator, add: Add): void {
  const seen = new Set<string>();
  requires.forEach((r, k) => {
    const p = at(loc.requires, k);
    if (!(CAPABILITIES as readonly string[]).includes(r)) {
      add(p, 'enum', `unknown capability ${quote(String(r))}${didYouMeanSuffix(String(r), CAPABILITIES)}; known: ${CAPABILITIES.join(', ')}`);
    } else if (seen.has(r)) {
      add(p, 'duplicate', `capability ${quote(r)} is listed twice`);
    }
    seen.add(r);
  });
}

/** The node's checks; returns its interfaces by name (the first of each name). */
function checkNode(n: NodeSpec, loc: Locator, add: Add): Map<string, InterfaceSpec> {
  const interfaces = Array.isArray(n.interfaces) ? n.interfaces : [];
  const byName = new Map<string, InterfaceSpec>();
  for (const i of interfaces) {
    if (byName.has(i.name)) add(loc.iface(n, i), 'duplicate', `node ${quote(n.name)} has two interfaces named ${quote(i.name)}`);
    else byName.set(i.name, i);
  }
  const bridges = lazy(() => [...byName.values()].filter((x) => x.kind === 'bridge').map((x) => x.name));
  for (const i of interfaces) checkInterface(n, i, byName, bridges, loc.iface(n, i), add);
  checkParentCycles(n, interfaces, byName, loc, add);

  const routesAt = loc.nodeField(n, 'routes');
  const seenRoutes = new Set<string>();
  (n.routes ?? []).forEach((r, k) => checkRoute(n, r, byName, at(routesAt, k), seenRoutes, add));

  const sysctlsAt = loc.nodeField(n, 'sysctls');
  for (const [key, value] of Object.entries(n.sysctls ?? {})) {
    const p = at(sysctlsAt, key);
    const whyKey = checkSysctlKey(key);
    if (whyKey) add(p, 'sysctl', whyKey);
    const whyValue = checkSysctlValue(value);
    if (whyValue) add(p, 'sysctl', whyValue);
  }

  const neighboursAt = loc.nodeField(n, 'neighbours');
  (n.neighbours ?? []).forEach((e, k) => {
    const p = at(neighboursAt, k);
    const w = e.address === '' ? 'a neighbour entry needs `address`: the IPv4 or IPv6 address it resolves' : checkIp(e.address);
    if (w) add(at(p, 'address'), e.address === '' ? 'required' : 'ip', w);
    if (!FDB_MAC.test(e.mac)) add(at(p, 'mac'), e.mac === '' ? 'required' : 'mac', e.mac === '' ? 'a neighbour entry needs `mac`: the link-layer address, e.g. 0a:58:0a:f4:02:00' : `mac ${quote(e.mac)} must be six hex byte pairs separated by ":"`);
    if (e.dev === '') add(at(p, 'dev'), 'required', 'a neighbour entry needs `dev`: the interface of this node it is on');
    else if (!byName.has(e.dev)) add(at(p, 'dev'), 'unknown-interface', () => `${nodeLabel(n)} has no interface ${quote(e.dev)}${didYouMeanSuffix(e.dev, byName.keys())}`);
  });

  const iptablesAt = loc.nodeField(n, 'iptables');
  (n.iptables ?? []).forEach((rule, k) => {
    const why = checkIptablesRule(rule);
    if (why) add(at(iptablesAt, k), 'iptables', why);
  });

  const execAt = loc.nodeField(n, 'exec');
  (n.exec ?? []).forEach((line, k) => {
    const why = checkExecLine(line);
    if (why) add(at(execAt, k), 'exec', why);
  });

  if (n.position !== undefined) {
    const p = loc.nodeField(n, 'position');
    for (const axis of ['x', 'y'] as const) {
      if (typeof n.position[axis] !== 'number' || !Number.isFinite(n.position[axis])) add(at(p, axis), 'type', `position.${axis} must be a finite number`);
    }
  }
  return byName;
}

/** `make()` once, on first use. */
function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) [value, made] = [make(), true];
    return value as T;
  };
}

/** null when `key` is a network sysctl a namespace may set, else why not. */
export function checkSysctlKey(key: string): string | null {
  if (typeof key !== 'string' || !SYSCTL_KEY.test(key) || key.includes('..') || key.endsWith('.')) {
    return `${quote(String(key))} is not a network sysctl: only net.* keys (lowercase, e.g. net.ipv4.ip_forward) are allowed, because other sysctls are shared with the whole host`;
  }
  return null;
}

/** null when `value` is a sysctl value nslab will write, else why not. */
export function checkSysctlValue(value: string): string | null {
  if (typeof value !== 'string' || !SYSCTL_VALUE.test(value)) return 'sysctl values are at most 64 letters, digits, spaces, "_", "." or "-"';
  return null;
}

/** null when an exec line is a usable command, else why not. */
export function checkExecLine(line: string): string | null {
  if (typeof line !== 'string') return 'an exec line must be a string';
  if (line.trim() === '') return 'an exec line must not be empty';
  const ctl = /[\u0000-\u0008\u000a-\u001f\u007f]/.exec(line);
  if (ctl) {
    const code = `U+${ctl[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    return `contains a control character (${code}); put each command on its own exec line`;
  }
  let words: string[];
  try {
    words = splitShellWords(line);
  } catch (e) {
    return `cannot be split into words: ${(e as Error).message}`;
  }
  if (words.length === 0 || words[0] === '') return 'an exec line must start with a command';
  return null;
}

/** "the lab host" or `node "ns1"`, for messages. */
export function nodeLabel(n: Pick<NodeSpec, 'name' | 'kind'>): string {
  return n.kind === 'host' ? 'the lab host' : `node ${quote(n.name)}`;
}

function checkInterface(n: NodeSpec, i: InterfaceSpec, byName: Map<string, InterfaceSpec>, bridges: () => string[], p: string, add: Add): void {
  const why = checkInterfaceName(i.name);
  if (why) add(p, 'interface-name', `interface name ${quote(String(i.name))} ${why}`);

  if (!INTERFACE_KINDS.includes(i.kind)) {
    add(at(p, 'kind'), 'enum', `unknown interface kind ${quote(String(i.kind))}${didYouMeanSuffix(String(i.kind), INTERFACE_KINDS)}; known: ${INTERFACE_KINDS.filter((k) => k !== 'loopback').join(', ')}`);
  } else if (i.kind === 'loopback' && i.name !== 'lo') {
    add(at(p, 'kind'), 'kind', `only "lo" is a loopback interface; ${quote(i.name)} needs another kind`);
  } else if (i.name === 'lo' && i.kind !== 'loopback') {
    add(p, 'kind', `"lo" is the loopback interface every namespace already has; it cannot be a ${i.kind}`);
  }

  if (i.mtu !== undefined) {
    const w = checkMtu(i.mtu);
    if (w) add(at(p, 'mtu'), 'mtu', w);
  }
  if (i.mac !== undefined) {
    const w = checkMac(i.mac);
    if (w) add(at(p, 'mac'), 'mac', w);
  }
  const seen = new Set<string>();
  (Array.isArray(i.addresses) ? i.addresses : []).forEach((a, k) => {
    const w = checkCidr(a);
    const host = w ? null : checkHostAddress(a, i.name);
    if (w) add(at(at(p, 'addresses'), k), 'cidr', w);
    else if (host) add(at(at(p, 'addresses'), k), 'host-address', host);
    else if (seen.has(a)) add(at(at(p, 'addresses'), k), 'duplicate', `${a} is listed twice`);
    seen.add(a);
  });

  if (i.master !== undefined) {
    const m = byName.get(i.master);
    const master = i.master;
    if (i.kind === 'bridge' || i.kind === 'loopback') {
      add(at(p, 'master'), 'master', `a ${i.kind} interface cannot be a bridge port`);
    } else if (!m) {
      add(at(p, 'master'), 'master', () => `${nodeLabel(n)} has no bridge ${quote(master)}${didYouMeanSuffix(master, bridges())}; master must name a bridge in the same node`);
    } else if (m.kind !== 'bridge') {
      add(at(p, 'master'), 'master', `${quote(i.master)} is a ${m.kind} interface, not a bridge`);
    }
  }

  // Settings of another kind would be silently ignored by the planner (and refused on re-import).
  const foreign: [keyof InterfaceSpec, string, InterfaceKind[]][] = [
    ['vlanFiltering', 'vlan_filtering', ['bridge']],
    ['vxlan', 'id', ['vxlan']],
    ['parent', 'parent', ['macvlan', 'vlan']],
    ['macvlanMode', 'mode', ['macvlan']],
    ['vlanId', 'id', ['vlan']],
  ];
  for (const [prop, key, kinds] of foreign) {
    if (i[prop] !== undefined && !kinds.includes(i.kind)) add(at(p, key), 'kind', `${key} applies to ${kinds.join(' and ')} interfaces, not to a ${i.kind}`);
  }

  switch (i.kind) {
    case 'vxlan':
      checkVxlan(n, i, byName, p, add);
      break;
    case 'macvlan':
      checkParent(n, i, i.parent, byName, at(p, 'parent'), add);
      if (i.macvlanMode !== undefined && !(MACVLAN_MODES as readonly string[]).includes(i.macvlanMode)) {
        add(at(p, 'mode'), 'enum', `macvlan mode must be one of ${MACVLAN_MODES.join(', ')}${didYouMeanSuffix(String(i.macvlanMode), MACVLAN_MODES)}`);
      }
      break;
    case 'vlan':
      checkParent(n, i, i.parent, byName, at(p, 'parent'), add);
      if (i.vlanId === undefined) add(at(p, 'id'), 'required', 'a vlan interface needs `id`: the VLAN tag, 1-4094');
      else if (!Number.isInteger(i.vlanId) || i.vlanId < 1 || i.vlanId > 4094) add(at(p, 'id'), 'range', `VLAN id ${i.vlanId} is outside 1-4094`);
      break;
    default:
      break;
  }
}

function checkParent(n: NodeSpec, i: InterfaceSpec, parent: string | undefined, byName: Map<string, InterfaceSpec>, p: string, add: Add): void {
  // On another node: checked with the whole topology (checkForeignParents).
  if (i.parentNode !== undefined && parent !== undefined) return;
  if (parent === undefined) {
    add(p, 'required', `a ${i.kind} interface needs \`parent\`: the interface of ${nodeLabel(n)} it is stacked on`);
  } else if (parent === i.name) {
    add(p, 'parent', 'an interface cannot be stacked on itself');
  } else if (!byName.has(parent)) {
    add(p, 'unknown-interface', () => `${nodeLabel(n)} has no interface ${quote(parent)}${didYouMeanSuffix(parent, byName.keys())}; it must be in the same node`);
  }
}

/** `parent: NODE:IF`: the node and its interface exist, and the kernel can make it that way. */
function checkForeignParents(nodes: NodeSpec[], byName: Map<string, NodeSpec>, interfaces: Map<NodeSpec, Map<string, InterfaceSpec>>, loc: Locator, add: Add): void {
  for (const n of nodes) {
    for (const i of Array.isArray(n.interfaces) ? n.interfaces : []) {
      if (i.parentNode === undefined || i.parent === undefined) continue;
      const p = at(loc.iface(n, i), 'parent');
      const owner = byName.get(i.parentNode);
      if (!owner) {
        add(p, 'unknown-node', () => `parent ${quote(`${i.parentNode}:${i.parent}`)} names node ${quote(i.parentNode!)}, which is not in the topology${didYouMeanSuffix(i.parentNode!, byName.keys())}`);
      } else if (n.kind === 'host' && owner !== n) {
        add(p, 'parent', `a ${i.kind} in the lab host must be stacked on a lab-host interface (write parent: IF): nslab moves interfaces into namespaces, not out of them`);
      } else if (!interfaces.get(owner)?.has(i.parent)) {
        add(p, 'unknown-interface', () => `${nodeLabel(owner)} has no interface ${quote(i.parent!)}${didYouMeanSuffix(i.parent!, interfaces.get(owner)?.keys() ?? [])}`);
      } else if (['loopback'].includes(interfaces.get(owner)!.get(i.parent)!.kind)) {
        add(p, 'parent', `a ${i.kind} cannot be stacked on a loopback interface`);
      }
    }
  }
}

function checkVxlan(n: NodeSpec, i: InterfaceSpec, byName: Map<string, InterfaceSpec>, p: string, add: Add): void {
  const v = i.vxlan;
  if (!v || v.id === undefined) {
    add(at(p, 'id'), 'required', `a vxlan interface needs \`id\`: the VNI, 0-${MAX_VXLAN_ID}`);
  } else if (!Number.isInteger(v.id) || v.id < 0 || v.id > MAX_VXLAN_ID) {
    add(at(p, 'id'), 'range', `VXLAN id ${v.id} is outside 0-${MAX_VXLAN_ID}`);
  }
  if (!v) return;
  if (!Number.isInteger(v.dstport) || v.dstport < 1 || v.dstport > 65535) add(at(p, 'dstport'), 'range', `dstport ${v.dstport} is outside 1-65535`);
  const families = new Set<number>();
  for (const key of ['local', 'remote', 'group'] as const) {
    const addr = v[key];
    if (addr === undefined) continue;
    const w = checkIp(addr);
    if (w) {
      add(at(p, key), 'ip', w);
      continue;
    }
    families.add(parseIp(addr)!.family);
    if (key === 'group' && !isMulticast(addr)) add(at(p, key), 'ip', `group ${addr} is not a multicast address; use remote for a single peer`);
    if (key !== 'group' && isMulticast(addr)) add(at(p, key), 'ip', `${key} ${addr} is a multicast address; multicast goes in group`);
  }
  if (v.remote !== undefined && v.group !== undefined) add(at(p, 'group'), 'conflict', 'set either remote (one peer) or group (multicast), not both');
  if (families.size > 1) add(p, 'family', 'local, remote and group must all be IPv4 or all IPv6');
  (v.fdb ?? []).forEach((e, k) => {
    const ep = at(at(p, 'fdb'), k);
    // Any Ethernet address may be forwarded (all zeros is the default destination), so only the form is checked.
    if (!FDB_MAC.test(e.mac)) add(at(ep, 'mac'), e.mac === '' ? 'required' : 'mac', e.mac === '' ? 'an fdb entry needs `mac`, e.g. 00:00:00:00:00:00 for the default destination' : `mac ${quote(e.mac)} must be six hex byte pairs separated by ":", e.g. 00:00:00:00:00:00`);
    if (e.dst === '') {
      add(at(ep, 'dst'), 'required', 'an fdb entry needs `dst`: the remote VTEP\'s IPv4 or IPv6 address');
    } else {
      const w = checkIp(e.dst);
      if (w) add(at(ep, 'dst'), 'ip', w);
      else if (isMulticast(e.dst) && !(e.mac.toLowerCase() === ZERO_MAC)) add(at(ep, 'dst'), 'ip', `dst ${e.dst} is a multicast address; only the default entry (${ZERO_MAC}) may send to a group`);
      else if (families.size === 1 && !families.has(parseIp(e.dst)!.family)) add(at(ep, 'dst'), 'family', `dst ${e.dst} is not the same IP family as local/remote/group`);
    }
  });
  if (v.dev !== undefined) {
    if (v.dev === i.name) add(at(p, 'dev'), 'parent', 'a vxlan interface cannot use itself as its underlay');
    else if (!byName.has(v.dev)) {
      const dev = v.dev;
      add(at(p, 'dev'), 'unknown-interface', () => `${nodeLabel(n)} has no interface ${quote(dev)}${didYouMeanSuffix(dev, byName.keys())}; dev must be in the same node`);
    }
  }
}

const FDB_MAC = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;
const ZERO_MAC = '00:00:00:00:00:00';

function parentOf(i: InterfaceSpec): string | undefined {
  if (i.kind === 'vxlan') return i.vxlan?.dev;
  if ((i.kind === 'macvlan' || i.kind === 'vlan') && i.parentNode === undefined) return i.parent;
  return undefined;
}

/** a on b on a can never be created; the planner would silently pick an order. */
function checkParentCycles(n: NodeSpec, interfaces: InterfaceSpec[], byName: Map<string, InterfaceSpec>, loc: Locator, add: Add): void {
  // Each interface has at most one parent, so each is walked once: 1 = on the current walk, 2 = done.
  const state = new Map<string, 1 | 2>();
  const onCycle = new Set<string>();
  for (const start of interfaces) {
    const walk: string[] = [];
    let cur: string | undefined = start.name;
    while (cur !== undefined && byName.has(cur) && state.get(cur) === undefined) {
      state.set(cur, 1);
      walk.push(cur);
      const parent = parentOf(byName.get(cur)!);
      // Stacked on itself directly is checkParent's (and checkVxlan's) to report.
      cur = parent === cur ? undefined : parent;
    }
    if (cur !== undefined && state.get(cur) === 1) for (const x of walk.slice(walk.indexOf(cur))) onCycle.add(x);
    for (const x of walk) state.set(x, 2);
  }
  for (const start of interfaces) {
    if (!onCycle.has(start.name) || byName.get(start.name) !== start) continue;
    add(loc.iface(n, start), 'parent', () => {
      const chain: string[] = [];
      for (let cur = parentOf(start); cur !== undefined && cur !== start.name && chain.length <= 10; cur = parentOf(byName.get(cur)!)) chain.push(cur);
      const shown = chain.length > 10 ? [...chain.slice(0, 10).map(quote), '...'] : chain.map(quote);
      return `${quote(start.name)} is stacked on itself through ${shown.join(' -> ')}`;
    });
  }
}

/**
 * One route of node `n` at path `p`: `to`, `via`, `dev` (one of `byName`'s keys, or lo), metric,
 * and a repeat of a destination+metric already in `seen`.
 */
export function checkRoute(n: Pick<NodeSpec, 'name' | 'kind'>, r: RouteSpec, byName: ReadonlyMap<string, unknown>, p: string, seen: Set<string>, add: Add): void {
  let family: number | undefined;
  if (typeof r.to !== 'string' || r.to === '') {
    add(at(p, 'to'), 'required', 'a route needs `to`: "default" or a prefix such as 10.9.0.0/16');
  } else if (r.to !== 'default') {
    const w = checkCidr(r.to);
    const c = parseCidr(r.to);
    if (w) add(at(p, 'to'), 'cidr', w);
    else if (c && hasHostBits(c)) add(at(p, 'to'), 'cidr', `${r.to} has bits set past its prefix; the destination network is ${formatCidr(networkOf(c))}`);
    family = c?.family;
  }
  if (r.via === undefined && r.dev === undefined) {
    add(p, 'required', 'a route needs `via` (a gateway address) or `dev` (an interface of this node)');
  }
  if (r.via !== undefined) {
    const w = checkIp(r.via);
    if (w) add(at(p, 'via'), 'ip', w);
    else if (family !== undefined && parseIp(r.via)!.family !== family) add(at(p, 'via'), 'family', `gateway ${r.via} is not the same IP version as ${r.to}`);
    if (!w) family ??= parseIp(r.via)!.family;
  }
  // Every namespace has lo even when the topology does not configure it.
  if (r.dev !== undefined && r.dev !== 'lo' && !byName.has(r.dev)) {
    const dev = r.dev;
    add(at(p, 'dev'), 'unknown-interface', () => `${nodeLabel(n)} has no interface ${quote(dev)}${didYouMeanSuffix(dev, byName.keys())}`);
  }
  if (r.onlink !== undefined && r.onlink !== false && (r.via === undefined || r.dev === undefined)) {
    add(at(p, 'onlink'), 'onlink', 'onlink needs both `via` (the gateway) and `dev` (the interface it is taken to be on)');
  }
  if (r.metric !== undefined && (!Number.isInteger(r.metric) || r.metric < 0 || r.metric > 4_294_967_295)) {
    add(at(p, 'metric'), 'range', 'metric must be a whole number 0-4294967295');
  }
  // The kernel refuses a second route to the same destination with the same metric ("File exists").
  const key = `${family ?? '?'} ${r.to} ${r.metric ?? 0}`;
  if (typeof r.to === 'string' && r.to !== '' && seen.has(key)) add(p, 'duplicate', `a route to ${r.to} with this metric is already listed`);
  seen.add(key);
}

function* checkLinks(t: Topology, nodes: Map<string, NodeSpec>, interfaces: Map<NodeSpec, Map<string, InterfaceSpec>>, loc: Locator, add: Add): Steps<void> {
  const used = new Map<string, number>();
  const keyOf = (node: string, iface: string) => `${node}\u0000${iface}`;
  for (const [index, l] of (Array.isArray(t.links) ? t.links : []).entries()) {
    if (index % LINKS_PER_STEP === LINKS_PER_STEP - 1) yield;
    ([l.a, l.b] as const).forEach((ep, end) => {
      const p = loc.endpoint(index, end as 0 | 1);
      const node = nodes.get(ep.node);
      if (!node) {
        add(p, 'unknown-node', () => `no node named ${quote(ep.node)}${didYouMeanSuffix(ep.node, nodes.keys())}`);
        return;
      }
      const iface = interfaces.get(node)?.get(ep.interface);
      if (!iface) {
        add(p, 'unknown-interface', `${nodeLabel(node)} has no interface ${quote(ep.interface)}; a link end must be one of its veth interfaces`);
        return;
      }
      if (iface.kind !== 'veth') add(p, 'kind', `${quote(ep.interface)} in ${nodeLabel(node)} is a ${iface.kind} interface; link ends are veth interfaces`);
      const key = keyOf(ep.node, ep.interface);
      const other = used.get(key);
      if (other !== undefined && other !== index) add(p, 'duplicate', `${ep.node}:${ep.interface} is already an end of ${loc.link(other)}; an interface can be in one link only`);
      else used.set(key, index);
    });
    if (l.a.node === l.b.node && l.a.interface === l.b.interface) {
      add(loc.link(index), 'same-endpoint', `both ends are ${l.a.node}:${l.a.interface}; a link joins two different interfaces`);
    }
  }
  for (const n of nodes.values()) {
    for (const i of n.interfaces) {
      if (i.kind === 'veth' && !used.has(keyOf(n.name, i.name))) {
        add(loc.iface(n, i), 'unpaired', `veth ${quote(i.name)} in ${nodeLabel(n)} is not an end of any link; veths are created in pairs by links`);
      }
    }
  }
}

/**
 * Reader issues plus validator issues, minus validator issues about something the reader already
 * reported (a field or anything under it), so one mistake produces one message. `peerless` are
 * fields of interfaces whose link the reader had to drop: their missing peer is not news.
 */
export function mergeIssues(reader: Issue[], validator: Issue[], peerless: ReadonlySet<string> = new Set()): Issue[] {
  const reported = new Set(reader.map((r) => r.field));
  // The field itself or any path it extends (`a.b` and `a[0]` extend `a`), one lookup per prefix.
  const shadowed = (v: Issue) => {
    if (v.rule === 'unpaired' && peerless.has(v.field)) return true;
    if (reported.has(v.field)) return true;
    for (let i = 0; i < v.field.length; i++) {
      const c = v.field[i];
      if ((c === '.' || c === '[') && reported.has(v.field.slice(0, i))) return true;
    }
    return false;
  };
  return capIssues([...reader, ...validator.filter((v) => !shadowed(v))]);
}
