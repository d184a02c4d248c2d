// containerlab topology import. A clab file describes containers; nslab keeps the part that is
// about Linux networking (which node is wired to which, bridges, exec lines) and says, as
// warnings, what it does not reproduce, so a learner can still explore the wiring of any lab.
import type { InterfaceSpec, NodeSpec, Topology, VethLink } from './topology.ts';
import { HOST, hostNode } from './topology.ts';
import { TopologyError } from './issue.ts';
import { at, describeType, quote } from './display.ts';
import { MAX_INTERFACE_NAME_BYTES, didYouMeanSuffix } from './names.ts';
import type { Entries } from './read.ts';
import { Collector, isMapping, peekMap, readInt, readList, readMap, readScalarMap, readString, readStringList } from './read.ts';
import type { Locator } from './validate.ts';
import { checkTopologySteps, mergeIssues } from './validate.ts';
import type { LinkEnd } from './wiring.ts';
import { Wiring } from './wiring.ts';
import type { ParsedTopology } from './parse.ts';
import { runSync, type Steps } from './steps.ts';
import { mapInterfaceAlias } from './clab-aliases.ts';
import { Notes } from './clab-notes.ts';

const TOP_KEYS = ['name', 'prefix', 'mgmt', 'topology', 'settings', 'debug'];
const TOPOLOGY_KEYS = ['nodes', 'links', 'kinds', 'defaults', 'groups'];
const HANDLED_NODE_KEYS = ['kind', 'group', 'exec', 'sysctls'];
/** Container settings containerlab understands and nslab deliberately ignores. */
const CONTAINER_NODE_KEYS = [
  'image', 'image-pull-policy', 'type', 'license', 'startup-config', 'startup-delay', 'enforce-startup-config',
  'suppress-startup-config', 'auto-remove', 'restart-policy', 'binds', 'ports', 'env', 'env-files', 'user',
  'entrypoint', 'cmd', 'labels', 'runtime', 'mgmt-ipv4', 'mgmt-ipv6', 'mgmt_ipv4', 'mgmt_ipv6', 'network-mode',
  'publish', 'cpu', 'memory', 'cpu-set', 'shm-size', 'sandbox', 'kernel', 'extras', 'config', 'wait-for', 'stages',
  'dns', 'certificate', 'healthcheck', 'aliases', 'devices', 'cap-add', 'components', 'SANs', 'mgmt-net',
];
const NODE_KEYS = [...HANDLED_NODE_KEYS, ...CONTAINER_NODE_KEYS];
const MERGED_KEYS = ['exec', 'sysctls'];
const LINK_KEYS = ['type', 'endpoints', 'endpoint', 'host-interface', 'mtu', 'vars', 'labels'];
const ENDPOINT_KEYS = ['node', 'interface', 'mac', 'vars'];
/** Pseudo-nodes in endpoint strings that stand for something outside the lab. */
const EXTERNAL_ENDPOINTS = ['mgmt-net', 'macvlan'];
const BRIDGE_KINDS = ['bridge', 'ovs-bridge'];
/** Link types that stay inside the lab; the others (mgmt-net, macvlan, vxlan...) are left out. */
const REPRODUCED_LINK_TYPES = ['veth', 'host', 'dummy'];

const MISPLACED_LINKS =
  '`links:` is indented under `nodes:`, so it was read as a node named "links" and the lab has no links. ' +
  'Move `links:` left so it lines up with `nodes:` (a child of `topology:`).';

/** `clabKind`: a namespace's containerlab kind, whose interface aliases are mapped. */
type Role = { kind: 'netns'; node: NodeSpec; clabKind?: string } | { kind: 'bridge'; bridge: InterfaceSpec } | { kind: 'host' };

const CONTAINER_WHY = "nslab nodes are plain network namespaces using the lab host's tools, not containers";

export function parseClab(doc: unknown): ParsedTopology {
  return runSync(clabSteps(doc));
}

/** parseClab in steps (see steps.ts). */
export function* clabSteps(doc: unknown): Steps<ParsedTopology> {
  const c = new Collector();
  const notes = new Notes();
  const root = readMap(doc, 'document', c, 'a containerlab topology (a map with name and topology)');
  if (!root) throw new TopologyError(c.allIssues());
  warnKeys(root, TOP_KEYS, '', notes);

  const name = readString(root, 'name', '', c);
  if (root.has('prefix')) notes.note('prefix', 'not needed: nslab names each namespace after its node');
  if (root.has('mgmt')) notes.note('mgmt', 'the management network is not reproduced; nodes only get the links listed in this file');
  for (const key of ['settings', 'debug']) if (root.has(key)) notes.note(key, `${key} is not reproduced`);

  if (!root.has('topology')) c.issue('topology', 'required', 'a containerlab file needs `topology:` with `nodes:` under it');
  const topo = readMap(root.get('topology'), 'topology', c) ?? new Map<string, unknown>();
  warnKeys(topo, TOPOLOGY_KEYS, 'topology', notes);

  const defaults = readSettings(topo.get('defaults'), 'topology.defaults', c, notes);
  const kinds = readSettingsMap(topo.get('kinds'), 'topology.kinds', c, notes);
  const groups = readSettingsMap(topo.get('groups'), 'topology.groups', c, notes);
  const nodesRaw = readMap(topo.get('nodes'), 'topology.nodes', c) ?? new Map<string, unknown>();
  if (!topo.has('nodes')) c.issue('topology.nodes', 'required', 'a containerlab topology needs `nodes:`');

  // The seed mistake: `links:` one level too deep becomes a node. Say so instead of importing a
  // lab without links and a mysterious node.
  const stray = nodesRaw.get('links');
  if (stray !== undefined && (Array.isArray(stray) || (isMapping(stray) && !peekMap(stray)!.has('kind') && peekMap(stray)!.has('endpoints')))) {
    c.issue('topology.nodes.links', 'misplaced-links', MISPLACED_LINKS);
    nodesRaw.delete('links');
  }

  const host = hostNode();
  const nodes: NodeSpec[] = [host];
  const paths = new Map<InterfaceSpec, string>();
  const nodePath = new Map<NodeSpec, string>([[host, 'topology']]);
  const fieldSource = new Map<NodeSpec, Map<string, string>>();
  const roles = new Map<string, Role>([[HOST, { kind: 'host' }]]);

  for (const [nodeName, raw] of nodesRaw) {
    const p = at('topology.nodes', nodeName);
    const own = readSettings(raw, p, c, notes);
    const group = stringSetting(own, 'group') ?? stringSetting(defaults, 'group');
    const groupSettings = group !== undefined ? groups.get(group) : undefined;
    if (group !== undefined && own.values.has('group') && !groupSettings && groups.size > 0) {
      const message = () => `group ${quote(group)} is not defined under topology.groups${didYouMeanSuffix(group, groups.keys())}`;
      notes.group(`group:${group}`, at(p, 'group'), nodeName, message, (list) => `${message()}; named by ${list}`);
    }
    const kind = stringSetting(own, 'kind') ?? stringSetting(groupSettings, 'kind') ?? stringSetting(defaults, 'kind');
    const layers = [defaults, kind !== undefined ? kinds.get(kind) : undefined, groupSettings, own].filter((l) => l !== undefined);
    // Later layers win key by key; lists such as exec are replaced, not merged (containerlab does the
    // same). Only the keys read below: copying every layer's keys per node costs nodes x keys.
    const merged = new Map<string, { value: unknown; from: string }>();
    for (const layer of layers) {
      for (const k of MERGED_KEYS) if (layer.values.has(k)) merged.set(k, { value: layer.values.get(k), from: layer.path });
    }

    if (nodeName === HOST || kind === 'host') {
      if (nodeName !== HOST) {
        notes.group('kind-host', at(p, 'kind'), nodeName, `kind host: ${quote(nodeName)} stands for the lab host; its endpoints are host interfaces`,
          (list) => `kind host: ${list} stand for the lab host; their endpoints are host interfaces`);
      }
      roles.set(nodeName, { kind: 'host' });
      continue;
    }
    if (kind !== undefined && BRIDGE_KINDS.includes(kind)) {
      if (kind === 'ovs-bridge') {
        notes.group('ovs-bridge', at(p, 'kind'), nodeName, `${quote(nodeName)} becomes a plain Linux bridge in the lab host; Open vSwitch features are not reproduced`,
          (list) => `${list} become plain Linux bridges in the lab host; Open vSwitch features are not reproduced`);
      }
      if (merged.has('exec')) {
        notes.group('bridge-exec', at(merged.get('exec')!.from, 'exec'), nodeName, `exec on a bridge is not run: ${quote(nodeName)} is a bridge in the lab host, not a container`,
          (list) => `exec on a bridge is not run: ${list} are bridges in the lab host, not containers`);
      }
      const bridge: InterfaceSpec = { name: nodeName, kind: 'bridge', addresses: [] };
      host.interfaces.push(bridge);
      paths.set(bridge, p);
      roles.set(nodeName, { kind: 'bridge', bridge });
      continue;
    }
    if (kind === undefined) {
      notes.group('no-kind', p, nodeName, `${quote(nodeName)} has no kind; it is imported as kind linux (a plain namespace)`,
        (list) => `${list} have no kind; they are imported as kind linux (plain namespaces)`);
    } else if (kind !== 'linux') {
      notes.group(`kind:${kind}`, at(p, 'kind'), nodeName, `kind ${quote(kind)} is not reproduced; ${nodeName} becomes a plain namespace so its wiring can be explored`,
        (list, n) => `kind ${quote(kind)} is not reproduced; its ${n} nodes (${list}) become plain namespaces so their wiring can be explored`);
    }
    // Docker brings lo up in every container; a fresh namespace has it down.
    const node: NodeSpec = { name: nodeName, kind: 'netns', interfaces: [{ name: 'lo', kind: 'loopback', addresses: [], up: true }], routes: [], sysctls: {}, exec: [] };
    nodes.push(node);
    nodePath.set(node, p);
    roles.set(nodeName, { kind: 'netns', node, ...(kind !== undefined ? { clabKind: kind } : {}) });
    const sources = new Map<string, string>();
    fieldSource.set(node, sources);
    const exec = merged.get('exec');
    if (exec) {
      // A folded (`- >`) or literal (`- |`) entry ends in a newline that YAML keeps; containerlab
      // hands the line to a shell, which never sees it as part of the command.
      node.exec = (readStringList(new Map([['exec', exec.value]]), 'exec', exec.from, c) ?? []).map((line) => line.replace(/\s+$/, ''));
      sources.set('exec', at(exec.from, 'exec'));
    }
    const sysctls = merged.get('sysctls');
    if (sysctls) {
      const values = readScalarMap(new Map([['sysctls', sysctls.value]]), 'sysctls', sysctls.from, c) ?? new Map<string, string>();
      for (const [key, value] of values) {
        // Non-network sysctls are container-wide settings; they are not the lab's to change.
        if (key.startsWith('net.')) node.sysctls[key] = value;
        else {
          notes.group(`sysctl:${key}`, at(at(sysctls.from, 'sysctls'), key), nodeName, `${quote(key)} is not a network sysctl and is not reproduced`,
            (list) => `${quote(key)} is not a network sysctl and is not reproduced (set for ${list})`);
        }
      }
      sources.set('sysctls', at(sysctls.from, 'sysctls'));
    }
  }

  const wiring = new Wiring(c, paths);
  const links: VethLink[] = [];
  const linkIndex: number[] = [];
  (readList(topo, 'links', 'topology', c) ?? []).forEach((raw, li) => {
    const link = readLink(raw, `topology.links[${li}]`, roles, host, wiring, c, notes);
    if (link) {
      links.push(link);
      linkIndex.push(li);
    }
  });

  const topology: Topology = { ...(name !== undefined ? { name } : {}), nodes, links, requires: [] };
  yield;
  const nodeAt = (n: NodeSpec) => nodePath.get(n) ?? at('topology.nodes', n.name);
  const locator: Locator = {
    name: 'name',
    requires: 'topology',
    nodes: 'topology.nodes',
    node: nodeAt,
    nodeField: (n, key) => fieldSource.get(n)?.get(key) ?? at(nodeAt(n), key),
    iface: (n, i) => paths.get(i) ?? at(nodeAt(n), i.name),
    link: (index) => `topology.links[${linkIndex[index] ?? index}]`,
    endpoint: (index, end) => `topology.links[${linkIndex[index] ?? index}].endpoints[${end}]`,
  };
  const issues = mergeIssues(c.allIssues(), yield* checkTopologySteps(topology, locator), wiring.peerlessFields());
  if (issues.length > 0) throw new TopologyError(issues);
  for (const w of notes.warnings()) c.warn(w.field, w.message);
  return { topology, warnings: c.allWarnings(), format: 'clab' };
}

/** containerlab is lenient about extra keys across versions, so unknown keys warn rather than fail. */
function warnKeys(m: Entries, allowed: readonly string[], field: string, notes: Notes): void {
  for (const key of m.keys()) {
    if (!allowed.includes(key)) notes.note(at(field, key), () => `unknown key ${quote(key)}${didYouMeanSuffix(key, allowed)}; it is ignored`);
  }
}

/** How a block of settings is named in a grouped warning: the node's name, or `kinds.X`, `defaults`... */
function blockLabel(path: string): string {
  return path.startsWith('topology.nodes.') ? path.slice('topology.nodes.'.length) : path.replace(/^topology\./, '');
}

interface Settings {
  path: string;
  values: Entries;
}

function stringSetting(s: Settings | undefined, key: string): string | undefined {
  const v = s?.values.get(key);
  return typeof v === 'string' ? v : undefined;
}

/** One block of node settings (a node, defaults, a kind or a group), with warnings for what is ignored. */
function readSettings(raw: unknown, path: string, c: Collector, notes: Notes): Settings {
  const values = readMap(raw, path, c, 'node settings (a map)') ?? new Map<string, unknown>();
  const who = blockLabel(path);
  for (const [key, value] of values) {
    if (CONTAINER_NODE_KEYS.includes(key)) {
      const shown = typeof value === 'string' ? ` ${quote(value)}` : '';
      notes.group(`container:${key}`, at(path, key), who, `${key}${shown} is not reproduced: ${CONTAINER_WHY}`,
        (list) => `${key} is not reproduced (set for ${list}): ${CONTAINER_WHY}`);
    } else if (!HANDLED_NODE_KEYS.includes(key)) {
      const message = () => `unknown key ${quote(key)}${didYouMeanSuffix(key, NODE_KEYS)}; it is ignored`;
      notes.group(`unknown-key:${key}`, at(path, key), who, message, (list) => `${message()} (in ${list})`);
    }
  }
  for (const key of ['kind', 'group']) {
    const v = values.get(key);
    if (v !== undefined && v !== null && typeof v !== 'string') c.issue(at(path, key), 'type', `expected a string, got ${describeType(v)}`);
  }
  return { path, values };
}

function readSettingsMap(raw: unknown, path: string, c: Collector, notes: Notes): Map<string, Settings> {
  const out = new Map<string, Settings>();
  if (raw === undefined) return out;
  for (const [key, value] of readMap(raw, path, c) ?? []) out.set(key, readSettings(value, at(path, key), c, notes));
  return out;
}

function readLink(raw: unknown, lp: string, roles: Map<string, Role>, host: NodeSpec, wiring: Wiring, c: Collector, notes: Notes): VethLink | undefined {
  const body = readMap(raw, lp, c, 'a link (a map with endpoints)');
  if (!body) return undefined;
  const type = readString(body, 'type', lp, c) ?? 'veth';
  if (!REPRODUCED_LINK_TYPES.includes(type)) {
    // Its own keys (remote, vni, mode...) would only add noise: the whole link is left out.
    notes.group(`link-type:${type}`, at(lp, 'type'), lp.replace(/^topology\./, ''), `links of type ${quote(type)} reach outside the lab and are not reproduced`,
      (list) => `links of type ${quote(type)} reach outside the lab and are not reproduced: ${list}`);
    return undefined;
  }
  warnKeys(body, LINK_KEYS, lp, notes);
  for (const key of ['vars', 'labels']) {
    if (!body.has(key)) continue;
    notes.group(`link-${key}`, at(lp, key), lp.replace(/^topology\./, ''), `${key} feed containerlab's config templates and are not reproduced`,
      (list) => `${key} feed containerlab's config templates and are not reproduced (on ${list})`);
  }
  const mtu = readInt(body, 'mtu', lp, c);

  let raws: RawEndpoint[] | undefined;
  if (type === 'veth') {
    const eps = readList(body, 'endpoints', lp, c);
    if (!eps) {
      c.issue(at(lp, 'endpoints'), 'required', 'a link needs `endpoints`, e.g. ["server1:eth1", "server2:eth1"]');
      return undefined;
    }
    if (eps.length !== 2) {
      c.issue(at(lp, 'endpoints'), 'endpoint', `a veth link has exactly two endpoints, got ${eps.length}`);
      return undefined;
    }
    raws = eps.map((e, j) => readEndpoint(e, at(at(lp, 'endpoints'), j), c, notes)).filter((e) => e !== undefined);
    if (raws.length !== 2) return undefined;
  } else if (type === 'host') {
    const ep = readEndpoint(body.get('endpoint'), at(lp, 'endpoint'), c, notes);
    const hostIface = readString(body, 'host-interface', lp, c);
    if (hostIface === undefined) c.issue(at(lp, 'host-interface'), 'required', 'a host link needs `host-interface`: the name of its end in the lab host');
    if (!ep || hostIface === undefined) return undefined;
    raws = [ep, { node: HOST, iface: hostIface, path: at(lp, 'host-interface') }];
  } else if (type === 'dummy') {
    const ep = readEndpoint(body.get('endpoint'), at(lp, 'endpoint'), c, notes);
    const role = ep ? roles.get(ep.node) : undefined;
    if (ep && role?.kind === 'netns') {
      const iface = kernelName(ep, role, c, notes);
      if (iface === undefined) return undefined;
      const spec: InterfaceSpec = { name: iface, kind: 'dummy', addresses: [] };
      if (mtu !== undefined) spec.mtu = mtu;
      role.node.interfaces.push(spec);
    } else if (ep) {
      notes.group('dummy-outside', at(lp, 'endpoint'), `${ep.node}:${ep.iface}`, `a dummy interface on ${quote(ep.node)} is not reproduced; only namespaces get dummy links`,
        (list) => `dummy interfaces outside namespaces are not reproduced; only namespaces get dummy links: ${list}`);
    }
    return undefined;
  }
  if (!raws) return undefined;

  const ends: (LinkEnd | undefined)[] = [];
  for (const ep of raws) {
    if (EXTERNAL_ENDPOINTS.includes(ep.node) && !roles.has(ep.node)) {
      notes.group(`external:${ep.node}`, ep.path, `${ep.node}:${ep.iface}`, `${ep.node}:${ep.iface} reaches outside the lab; this link is not reproduced`,
        (list) => `${ep.node} endpoints reach outside the lab; their links are not reproduced: ${list}`);
      return undefined;
    }
    const role = roles.get(ep.node);
    if (!role) {
      c.issue(ep.path, 'unknown-node', () => `${quote(`${ep.node}:${ep.iface}`)} names ${quote(ep.node)}, which is not under topology.nodes${didYouMeanSuffix(ep.node, roles.keys())}`);
      ends.push(undefined);
      continue;
    }
    if (role.kind === 'netns') {
      const iface = kernelName(ep, role, c, notes);
      ends.push(iface === undefined ? undefined : { node: role.node, iface, path: ep.path });
      continue;
    }
    // An end in the lab host (a host interface, a bridge port) is named by the file alone; a name
    // Linux cannot hold leaves the link out rather than the whole lab.
    const bytes = new TextEncoder().encode(ep.iface).length;
    if (bytes > MAX_INTERFACE_NAME_BYTES) {
      const where = role.kind === 'bridge' ? `port of bridge ${quote(role.bridge.name)}` : 'host interface';
      notes.group('long-host-name', ep.path, `${ep.path.replace(/^topology\./, '').replace(/\.(endpoints?\[\d\]|endpoint|host-interface)$/, '')} (${ep.node}:${ep.iface}, ${bytes} bytes)`,
        `${quote(ep.iface)} (${where}) is ${bytes} bytes; Linux interface names are at most ${MAX_INTERFACE_NAME_BYTES} bytes (IFNAMSIZ), so this link is not reproduced`,
        (list) => `ends in the lab host with names over ${MAX_INTERFACE_NAME_BYTES} bytes (IFNAMSIZ) cannot be made; their links are not reproduced: ${list}`);
      return undefined;
    }
    if (role.kind === 'bridge') ends.push({ node: host, iface: ep.iface, master: role.bridge.name, path: ep.path });
    else ends.push({ node: host, iface: ep.iface, path: ep.path });
  }
  const link = wiring.connect(ends[0], ends[1], lp);
  if (!link) return undefined;
  for (const [j, ep] of raws.entries()) {
    const end = ends[j]!;
    const spec = wiring.find(end.node, end.iface)!;
    if (mtu !== undefined) spec.mtu = mtu;
    if (ep.mac !== undefined) spec.mac = ep.mac;
  }
  return link;
}

/**
 * The Linux name of an endpoint's interface: a router kind's alias (`ethernet-1/1`) becomes what
 * containerlab names it in the container (`e1-1`), with a warning that says so. Undefined when
 * containerlab would refuse the alias (an issue says why).
 */
function kernelName(ep: RawEndpoint, role: { node: NodeSpec; clabKind?: string }, c: Collector, notes: Notes): string | undefined {
  const mapped = mapInterfaceAlias(role.clabKind, ep.iface);
  if (mapped === undefined) return ep.iface;
  if ('error' in mapped) {
    c.issue(ep.path, 'interface-alias', `${quote(ep.iface)} on ${role.clabKind} node ${quote(ep.node)}: ${mapped.error}`);
    return undefined;
  }
  notes.group('alias', ep.path, `${ep.node}:${ep.iface} -> ${mapped.name}`,
    `${ep.node}:${ep.iface} is ${quote(mapped.name)} in the kernel: containerlab maps ${role.clabKind} interface names to Linux names, and so does nslab`,
    (list) => `interface aliases become their Linux names, as containerlab maps them: ${list}`);
  return mapped.name;
}

interface RawEndpoint {
  node: string;
  iface: string;
  mac?: string;
  path: string;
}

/** "node:iface" or {node, interface, mac?}. */
function readEndpoint(raw: unknown, p: string, c: Collector, notes: Notes): RawEndpoint | undefined {
  if (typeof raw === 'string') {
    const parts = raw.split(':');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      c.issue(p, 'endpoint', `${quote(raw)} must be "node:interface" with exactly one ":", e.g. "server1:eth1"`);
      return undefined;
    }
    return { node: parts[0]!, iface: parts[1]!, path: p };
  }
  if (raw === undefined || raw === null) {
    c.issue(p, 'required', 'an endpoint is needed here: "node:interface" or {node, interface}');
    return undefined;
  }
  const m = readMap(raw, p, c, 'an endpoint ("node:interface" or {node, interface})');
  if (!m) return undefined;
  warnKeys(m, ENDPOINT_KEYS, p, notes);
  const node = readString(m, 'node', p, c);
  const iface = readString(m, 'interface', p, c);
  if (node === undefined) c.issue(at(p, 'node'), 'required', 'an endpoint needs `node`');
  if (iface === undefined) c.issue(at(p, 'interface'), 'required', 'an endpoint needs `interface`');
  if (node === undefined || iface === undefined) return undefined;
  const mac = readString(m, 'mac', p, c);
  return { node, iface, ...(mac !== undefined ? { mac } : {}), path: p };
}
