// Resolved Topology -> YAML: the native format (round-trips exactly through parseNative) and a
// containerlab file that reproduces the lab with real containers.
import YAML from 'yaml';
import type { Endpoint, InterfaceSpec, NodeSpec, RouteSpec, Topology } from './topology.ts';
import { HOST } from './topology.ts';
import type { Operation } from './operation.ts';
import { planDeploy } from './plan.ts';
import { fdbAppendArgs, render } from './render.ts';
import { shellLine } from './shell-quote.ts';
import { DEFAULT_VXLAN_PORT } from './validate.ts';

export { observedToTopology } from './from-observed.ts';

/** Image for exported containerlab nodes: it carries ip, bridge, sysctl, tcpdump, ping... */
export const CLAB_IMAGE = 'nicolaka/netshoot';

type YamlMap = Map<string, unknown>;

/** Short lists and maps that read best on one line. */
const FLOW_KEYS = new Set(['endpoints', 'addresses', 'requires', 'position']);

function toYaml(value: YamlMap, comment?: string): string {
  const doc = new YAML.Document(value);
  YAML.visit(doc, {
    Pair(_, pair) {
      const key = YAML.isScalar(pair.key) ? String(pair.key.value) : '';
      if (FLOW_KEYS.has(key) && (YAML.isSeq(pair.value) || YAML.isMap(pair.value))) pair.value.flow = true;
      // "ns1:veth-01" unquoted in a flow list trips up some YAML 1.1 readers.
      if (key === 'endpoints' && YAML.isSeq(pair.value)) for (const e of pair.value.items) if (YAML.isScalar(e)) e.type = 'QUOTE_DOUBLE';
      if ((key === 'routes' || key === 'fdb' || key === 'neighbours') && YAML.isSeq(pair.value)) for (const r of pair.value.items) if (YAML.isMap(r)) r.flow = true;
      // YAML 1.1 readers take an unquoted 00:00:00:00:00:00 for a base-60 number.
      if (key === 'mac' && YAML.isScalar(pair.value)) pair.value.type = 'QUOTE_DOUBLE';
    },
  });
  if (comment) doc.commentBefore = comment;
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

interface Wiring {
  hostBridges: Set<string>;
  /** node -> its interface names in the order links mention them. */
  linkOrder: Map<string, string[]>;
}

function wiringOf(t: Topology): Wiring {
  const host = t.nodes.find((n) => n.name === HOST);
  const hostBridges = new Set((host?.interfaces ?? []).filter((i) => i.kind === 'bridge').map((i) => i.name));
  const linkOrder = new Map<string, string[]>();
  for (const l of t.links) {
    for (const ep of [l.a, l.b]) linkOrder.set(ep.node, [...(linkOrder.get(ep.node) ?? []), ep.interface]);
  }
  return { hostBridges, linkOrder };
}

/** A lab-host link end plugged into a host bridge, written `br0:port` in both formats. */
function isBridgePort(n: NodeSpec, i: InterfaceSpec, w: Wiring): boolean {
  return n.name === HOST && i.master !== undefined && w.hostBridges.has(i.master) && (w.linkOrder.get(n.name) ?? []).includes(i.name);
}

function endpointText(t: Topology, ep: Endpoint, w: Wiring): string {
  const n = t.nodes.find((x) => x.name === ep.node);
  const i = n?.interfaces.find((x) => x.name === ep.interface);
  if (n && i && isBridgePort(n, i, w)) return `${i.master}:${ep.interface}`;
  return `${ep.node}:${ep.interface}`;
}

// ---- native ----

export function toNativeYaml(t: Topology): string {
  const w = wiringOf(t);
  const root: YamlMap = new Map();
  if (t.name !== undefined) root.set('name', t.name);
  if (t.requires.length > 0) root.set('requires', [...t.requires]);
  const nodes: YamlMap = new Map();
  const bridges: YamlMap = new Map();

  for (const n of t.nodes) {
    let interfaces = n.interfaces;
    if (n.name === HOST) {
      // The parser puts `bridges:` first in the host, so only a leading run of bridges can go there.
      let k = 0;
      while (interfaces[k]?.kind === 'bridge') k++;
      for (const b of interfaces.slice(0, k)) bridges.set(b.name, bridgeConfig(b));
      interfaces = interfaces.slice(k);
    }
    const linked = w.linkOrder.get(n.name) ?? [];
    const keep = interfaces.length - omittableTail(interfaces, linked, (i) => isBare(n, i, w));
    const body: YamlMap = new Map();
    if (keep > 0) {
      body.set('interfaces', new Map(interfaces.slice(0, keep).map((i) => [i.name, interfaceConfig(n, i, linked.includes(i.name), w)])));
    }
    if (n.routes.length > 0) body.set('routes', n.routes.map(routeConfig));
    if (Object.keys(n.sysctls).length > 0) body.set('sysctls', new Map(Object.entries(n.sysctls)));
    if (n.neighbours?.length) body.set('neighbours', n.neighbours.map((e) => new Map([['address', e.address], ['mac', e.mac], ['dev', e.dev]])));
    if (n.iptables?.length) body.set('iptables', [...n.iptables]);
    if (n.exec.length > 0) body.set('exec', [...n.exec]);
    if (n.position) body.set('position', new Map([['x', n.position.x], ['y', n.position.y]]));
    if (n.name === HOST && body.size === 0) continue;
    nodes.set(n.name, body);
  }
  root.set('nodes', nodes);
  if (bridges.size > 0) root.set('bridges', bridges);
  if (t.links.length > 0) {
    root.set('links', t.links.map((l) => new Map([['endpoints', [endpointText(t, l.a, w), endpointText(t, l.b, w)]]])));
  }
  return toYaml(root);
}

/** A link end with nothing to configure, which the parser recreates from the link alone. */
function isBare(n: NodeSpec, i: InterfaceSpec, w: Wiring): boolean {
  return (
    i.kind === 'veth' &&
    i.addresses.length === 0 &&
    i.up === undefined &&
    i.mtu === undefined &&
    i.mac === undefined &&
    i.promisc === undefined &&
    (i.master === undefined || isBridgePort(n, i, w))
  );
}

/**
 * How many trailing interfaces can be left out of `interfaces:`: the parser appends unconfigured
 * link ends after the configured ones, in link order, so a suffix may be omitted only when it is
 * bare and already in that order.
 */
function omittableTail(interfaces: InterfaceSpec[], linkOrder: string[], bare: (i: InterfaceSpec) => boolean): number {
  for (let k = interfaces.length; k > 0; k--) {
    const tail = interfaces.slice(interfaces.length - k);
    if (!tail.every(bare)) continue;
    const names = new Set(tail.map((i) => i.name));
    const expected = linkOrder.filter((x) => names.has(x));
    if (expected.length === tail.length && expected.every((x, j) => x === tail[j]!.name)) return k;
  }
  return 0;
}

function interfaceConfig(n: NodeSpec, i: InterfaceSpec, linked: boolean, w: Wiring): YamlMap {
  const m: YamlMap = new Map();
  const implicitKind = (i.kind === 'veth' && linked) || (i.kind === 'loopback' && i.name === 'lo');
  if (!implicitKind) m.set('kind', i.kind);
  if (i.addresses.length > 0) m.set('addresses', [...i.addresses]);
  if (i.up !== undefined) m.set('up', i.up);
  if (i.mtu !== undefined) m.set('mtu', i.mtu);
  if (i.mac !== undefined) m.set('mac', i.mac);
  if (i.master !== undefined && !isBridgePort(n, i, w)) m.set('master', i.master);
  if (i.promisc !== undefined) m.set('promisc', i.promisc);
  if (i.vlanFiltering !== undefined) m.set('vlan_filtering', i.vlanFiltering);
  if (i.kind === 'vxlan' && i.vxlan) {
    const v = i.vxlan;
    m.set('id', v.id);
    for (const key of ['dev', 'local', 'remote', 'group'] as const) if (v[key] !== undefined) m.set(key, v[key]);
    if (v.dstport !== DEFAULT_VXLAN_PORT) m.set('dstport', v.dstport);
    if (v.fdb?.length) m.set('fdb', v.fdb.map((e) => new Map([['mac', e.mac], ['dst', e.dst]])));
  }
  if (i.parent !== undefined) m.set('parent', i.parentNode !== undefined ? `${i.parentNode}:${i.parent}` : i.parent);
  if (i.macvlanMode !== undefined) m.set('mode', i.macvlanMode);
  if (i.vlanId !== undefined) m.set('id', i.vlanId);
  return m;
}

function bridgeConfig(b: InterfaceSpec): YamlMap {
  const m: YamlMap = new Map();
  if (b.addresses.length > 0) m.set('addresses', [...b.addresses]);
  if (b.up !== undefined) m.set('up', b.up);
  if (b.mtu !== undefined) m.set('mtu', b.mtu);
  if (b.mac !== undefined) m.set('mac', b.mac);
  if (b.promisc !== undefined) m.set('promisc', b.promisc);
  if (b.vlanFiltering !== undefined) m.set('vlan_filtering', b.vlanFiltering);
  return m;
}

function routeConfig(r: RouteSpec): YamlMap {
  const m: YamlMap = new Map([['to', r.to]]);
  if (r.via !== undefined) m.set('via', r.via);
  if (r.dev !== undefined) m.set('dev', r.dev);
  if (r.metric !== undefined) m.set('metric', r.metric);
  if (r.onlink) m.set('onlink', true);
  return m;
}

// ---- containerlab ----

/**
 * A containerlab file for the same lab: namespaces become `kind: linux` containers whose `exec:`
 * lines replay nslab's own setup commands, host bridges become `kind: bridge` nodes.
 */
export function toClabYaml(t: Topology): string {
  const w = wiringOf(t);
  const ops = planDeploy(t);
  const host = t.nodes.find((n) => n.name === HOST);
  const bridgePorts = new Set((host?.interfaces ?? []).filter((i) => isBridgePort(host!, i, w)).map((i) => i.name));
  const spec = (node: string, name: string) => t.nodes.find((n) => n.name === node)?.interfaces.find((i) => i.name === name);
  // containerlab creates link ends, brings them up and attaches `br0:port` ends to their bridge
  // (and Docker brings lo up), so the planner's steps for exactly that are left out.
  const doneByClab = (op: Extract<Operation, { op: 'link-set' }>): boolean => {
    if (op.mtu !== undefined || op.mac !== undefined || op.promisc !== undefined || op.up === false) return false;
    if (op.master !== undefined) return op.node === HOST && bridgePorts.has(op.name);
    const i = spec(op.node, op.name);
    // Docker brings lo up in every container.
    if (i?.kind === 'loopback' && op.up === true && op.node !== HOST) return true;
    return i?.kind === 'veth' && i.up === undefined;
  };
  const lines = (node: string): string[] =>
    ops.flatMap((op) => {
      if (op.op === 'netns-add' || op.op === 'veth-add' || op.op === 'exec' || op.op === 'netns-del' || op.node !== node) return [];
      if (op.op === 'sysctl') return [shellLine(['sysctl', '-w', `${op.key}=${op.value}`])];
      if (op.op === 'fdb-append') return [shellLine(['bridge', ...fdbAppendArgs(op)])];
      if (op.op === 'iptables') return [shellLine(['iptables', ...op.args])];
      if (op.op === 'link-set' && doneByClab(op)) return [];
      // containerlab makes these itself, from a `macvlan:IF` link (or cannot: see below).
      if (op.op === 'link-add' && op.iface.parentNode !== undefined) return [];
      return [shellLine(['ip', ...render(op).ipBatchArgs!])];
    });

  const nodes: YamlMap = new Map();
  for (const n of t.nodes) {
    if (n.kind !== 'netns') continue;
    const body: YamlMap = new Map<string, unknown>([['kind', 'linux'], ['image', CLAB_IMAGE]]);
    const exec = [...lines(n.name), ...n.exec];
    if (exec.length > 0) body.set('exec', exec);
    nodes.set(n.name, body);
  }
  for (const b of w.hostBridges) nodes.set(b, new Map([['kind', 'bridge']]));

  const topology: YamlMap = new Map([['nodes', nodes]]);
  const links: YamlMap[] = t.links.map((l) => new Map([['endpoints', [endpointText(t, l.a, w), endpointText(t, l.b, w)]]]));
  // A namespace's macvlan on a lab-host interface is containerlab's macvlan link; one on another
  // namespace's interface has no containerlab form.
  const lost: string[] = [];
  for (const n of t.nodes) {
    for (const i of n.interfaces) {
      if (i.parentNode === undefined || n.kind !== 'netns') continue;
      if (i.kind !== 'macvlan' || i.parentNode !== HOST) {
        lost.push(`${i.kind} ${n.name}:${i.name} on ${i.parentNode}:${i.parent}`);
      } else if ((i.macvlanMode ?? 'bridge') === 'bridge') {
        links.push(new Map([['endpoints', [`${n.name}:${i.name}`, `macvlan:${i.parent}`]]]));
      } else {
        links.push(new Map<string, unknown>([['type', 'macvlan'], ['endpoint', new Map([['node', n.name], ['interface', i.name]])], ['host-interface', i.parent], ['mode', i.macvlanMode]]));
      }
    }
  }
  if (links.length > 0) topology.set('links', links);
  const root: YamlMap = new Map<string, unknown>([['name', t.name ?? 'nslab'], ['topology', topology]]);

  const hostLines = [...lines(HOST), ...(host?.exec ?? [])];
  const comment = [
    ' Exported from nslab.',
    ...(hostLines.length
      ? [
          ' containerlab does not configure the machine it runs on: create the',
          ' bridges before `clab deploy` and run the remaining lines after it, on the host.',
          ...hostLines.map((l) => `   ${l.replace(/[\r\n]/g, ' ')}`),
        ]
      : []),
    ...(lost.length ? [' Not reproduced (containerlab makes macvlans only on host interfaces):', ...lost.map((l) => `   ${l}`)] : []),
  ].join('\n');
  return toYaml(root, comment);
}
