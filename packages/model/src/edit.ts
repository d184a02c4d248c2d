// Granular edits of a live lab (add a veth, set an MTU, add a route...). Each is checked against
// what the kernel really has (ObservedLab) before anything runs, then planned as Operations
// together with an inverse, so the server can undo it or roll back an edit that failed half way.
import type { Issue } from './issue.ts';
import { TopologyError } from './issue.ts';
import type { ObservedInterface, ObservedNode } from './observed.ts';
import type { ObservedLab } from './observed.ts';
import type { Operation } from './operation.ts';
import type { InterfaceSpec, NodeSpec, RouteSpec, VethLink } from './topology.ts';
import { HOST } from './topology.ts';
import { quote } from './display.ts';
import { checkCidr, checkHostAddress, checkMtu, checkNodeName, didYouMeanSuffix, parseCidr } from './names.ts';
import { checkRoute, checkSysctlKey, checkSysctlValue, nodeLabel } from './validate.ts';
import { interfaceOf, recreatableRoute, routeSpecOf } from './from-observed.ts';
import { planDeploy } from './plan.ts';
import { describeEdit, undoEdits } from './edit-undo.ts';

export { describeEdit, undoEdits } from './edit-undo.ts';
import {
  EditContext,
  describeRoutes,
  effectiveMetric,
  opNode,
  routeFamily,
  routeMatches,
  routesThrough,
  sameAddress,
  sameDestination,
  shown,
  where,
} from './edit-context.ts';

export type Edit =
  /** `ip netns add` */
  | { kind: 'add-node'; name: string }
  /** `ip netns del`: its interfaces go with it, and so do the other ends of its veths. */
  | { kind: 'remove-node'; name: string }
  /** A bridge in `node`: the lab host (the default) or a namespace. */
  | { kind: 'add-bridge'; node?: string; name: string }
  /** A veth pair, both ends up. With `bridge`, the b end becomes a port of that bridge, which must be in b.node. */
  | { kind: 'add-veth'; a: { node: string; interface: string }; b: { node: string; interface: string }; bridge?: string }
  /** `ip link del`; a veth's peer goes too. */
  | { kind: 'remove-link'; node: string; interface: string }
  /** `master: null` = nomaster. At least one setting must differ from what the interface has. */
  | { kind: 'set-link'; node: string; interface: string; up?: boolean; mtu?: number; master?: string | null; promisc?: boolean }
  | { kind: 'add-address'; node: string; interface: string; address: string }
  | { kind: 'remove-address'; node: string; interface: string; address: string }
  | { kind: 'add-route'; node: string; route: RouteSpec }
  /** Unset via/dev/metric match any; the observed route must be the only match. */
  | { kind: 'remove-route'; node: string; route: RouteSpec }
  /** Network sysctls only (`net.*`). */
  | { kind: 'set-sysctl'; node: string; key: string; value: string };

export type EditKind = Edit['kind'];

export interface EditPlan {
  /** Run in order. */
  ops: Operation[];
  /**
   * Undoes the whole edit when run in order after `ops`. After a half-applied edit, run it all and
   * ignore the failures of steps whose counterpart never ran.
   */
  inverse: Operation[];
  /** Human notes on side effects and on what undo cannot restore, e.g. "deleting ns1 also removes br-int0 in the lab host". */
  effects: string[];
  /**
   * `inverse` as edits, for an undo button: run in order, each planned against the lab as it is by
   * then, so an undo the lab has moved past is refused by name rather than half-run.
   */
  undo: Edit[];
  /** What the edit does, in a few words: "add ns5", "delete ns1:veth0". */
  label: string;
}

/** What a handler plans; planEdit adds the undo edits and the label. */
type Planned = Omit<EditPlan, 'undo' | 'label'>;

/** Checks an edit (issues from the checks below), returns a planner to call when there are none. */
type Handler<K extends EditKind> = (cx: EditContext, e: Extract<Edit, { kind: K }>) => () => Planned;

const LINK_SETTINGS = ['mtu', 'master', 'promisc', 'up'] as const;
type LinkSetting = (typeof LINK_SETTINGS)[number];

const HANDLERS: { [K in EditKind]: Handler<K> } = {
  'add-node': (cx, e) => {
    if (cx.text('name', e.name, 'a node name')) {
      const why = checkNodeName(e.name);
      if (e.name === HOST) cx.add('name', 'reserved', `${quote(HOST)} is the lab host; a namespace needs another name`);
      else if (why) cx.add('name', 'node-name', `node name ${quote(e.name)} ${why}`);
      else if (cx.lab.nodes.some((n) => n.name === e.name)) cx.add('name', 'duplicate', `node ${quote(e.name)} already exists`);
      else if (cx.host.interfaces.some((i) => i.kind === 'bridge' && i.name === e.name)) {
        cx.add('name', 'duplicate', `the lab host has a bridge named ${quote(e.name)}; endpoints "${e.name}:..." would be ambiguous`);
      }
    }
    return () => ({ ops: [{ op: 'netns-add', node: e.name }], inverse: [{ op: 'netns-del', node: e.name }], effects: [] });
  },

  'remove-node': (cx, e) => {
    let node: ObservedNode | undefined;
    if (e.name === HOST) cx.add('name', 'reserved', 'the lab host cannot be removed; remove its interfaces instead');
    else node = cx.node('name', e.name, 'not-found');
    return () => {
      const n = node!;
      const effects = n.interfaces.flatMap((i) => {
        const peer = i.kind === 'veth' ? i.peer : undefined;
        if (!peer || peer.node === n.name) return [];
        if (peer.node === null) return [`deleting ${n.name} also removes the other end of ${shown(i.name)}, outside the lab`];
        const other = cx.peerOf(i);
        return [`deleting ${n.name} also removes ${other ? where(other.node, other.iface.name) : `the other end of ${shown(i.name)}`}`];
      });
      const back = recreateNode(cx, n);
      return { ops: [{ op: 'netns-del', node: n.name }], inverse: back.inverse, effects: [...effects, ...back.effects] };
    };
  },

  'add-bridge': (cx, e) => {
    const node = cx.node('node', e.node ?? HOST);
    if (node && cx.freeIface('name', node, e.name) && node.kind === 'host' && cx.lab.nodes.some((n) => n.name === e.name)) {
      cx.add('name', 'duplicate', `a node is named ${quote(e.name)}; endpoints "${e.name}:..." would be ambiguous`);
    }
    return () => {
      const n = opNode(node!);
      return {
        ops: [
          { op: 'link-add', node: n, iface: { name: e.name, kind: 'bridge', addresses: [] } },
          { op: 'link-set', node: n, name: e.name, up: true },
        ],
        inverse: [{ op: 'link-del', node: n, name: e.name }],
        effects: [],
      };
    };
  },

  'add-veth': (cx, e) => {
    const a = cx.record('a', e.a, 'an endpoint {node, interface}');
    const b = cx.record('b', e.b, 'an endpoint {node, interface}');
    const nodeA = a && cx.node('a.node', a.node);
    const nodeB = b && cx.node('b.node', b.node);
    if (nodeA) cx.freeIface('a.interface', nodeA, a!.interface);
    if (nodeB) {
      if (nodeA === nodeB && a!.interface === b!.interface) cx.add('b.interface', 'same-endpoint', 'both ends have the same name in the same node; a veth joins two different interfaces');
      else cx.freeIface('b.interface', nodeB, b!.interface);
      if (e.bridge !== undefined) cx.bridge('bridge', nodeB, e.bridge);
    }
    return () => {
      const ea = { node: opNode(nodeA!), interface: e.a.interface };
      const eb = { node: opNode(nodeB!), interface: e.b.interface };
      // Past every index either namespace shows, so the ends differ as on a real host (left to
      // themselves, two namespaces each hand out their own next index, often the same one).
      let next = 2;
      for (const i of [...nodeA!.interfaces, ...nodeB!.interfaces]) next = Math.max(next, i.ifindex + 1);
      const ops: Operation[] = [{ op: 'veth-add', a: ea, b: eb, ifindex: [next, next + 1] }];
      if (e.bridge !== undefined) ops.push({ op: 'link-set', node: eb.node, name: eb.interface, master: e.bridge });
      ops.push({ op: 'link-set', node: ea.node, name: ea.interface, up: true }, { op: 'link-set', node: eb.node, name: eb.interface, up: true });
      return { ops, inverse: [{ op: 'link-del', node: ea.node, name: ea.interface }], effects: [] };
    };
  },

  'remove-link': (cx, e) => {
    const node = cx.node('node', e.node);
    const iface = node && cx.iface('interface', node, e.interface, 'not-found');
    if (iface?.kind === 'loopback') cx.add('interface', 'reserved', `${iface.name} is the loopback interface every namespace has; it cannot be removed`);
    return () => {
      const { inverse, effects } = recreate(cx, node!, iface!);
      return { ops: [{ op: 'link-del', node: opNode(node!), name: iface!.name }], inverse, effects };
    };
  },

  'set-link': (cx, e) => {
    const node = cx.node('node', e.node);
    const iface = node && cx.iface('interface', node, e.interface);
    const given = LINK_SETTINGS.filter((k) => e[k] !== undefined);
    if (given.length === 0) cx.add('', 'empty', `nothing to change: set at least one of ${LINK_SETTINGS.join(', ')}`);
    for (const k of ['up', 'promisc'] as const) {
      if (e[k] !== undefined && typeof e[k] !== 'boolean') cx.add(k, 'type', `${k} must be true or false`);
    }
    const badMtu = e.mtu === undefined ? null : checkMtu(e.mtu);
    if (badMtu) cx.add('mtu', 'mtu', badMtu);
    if (e.master !== undefined && e.master !== null) {
      if (iface && (iface.kind === 'bridge' || iface.kind === 'loopback')) cx.add('master', 'master', `a ${iface.kind} interface cannot be a bridge port`);
      else if (e.master === e.interface) cx.add('master', 'master', 'an interface cannot be a port of itself');
      else if (node) cx.bridge('master', node, e.master);
    }
    const before = iface && { mtu: iface.mtu, master: iface.master ?? null, promisc: iface.promisc, up: iface.up };
    const changed = LINK_SETTINGS.filter((k) => before && e[k] !== undefined && e[k] !== before[k]);
    if (before && given.length > 0 && cx.issues.length === 0 && changed.length === 0) {
      cx.add('', 'empty', `nothing to change: ${where(node!, iface!.name)} already has ${given.map((k) => `${k} ${String(e[k])}`).join(', ')}`);
    }
    return () => setLink(node!, iface!, e, before!, changed);
  },

  'add-address': (cx, e) => {
    const node = cx.node('node', e.node);
    const iface = node && cx.iface('interface', node, e.interface);
    if (cx.text('address', e.address, 'an address')) {
      const bad = checkCidr(e.address);
      const notHost = bad ? null : checkHostAddress(e.address, typeof e.interface === 'string' ? e.interface : undefined);
      if (bad) cx.add('address', 'cidr', bad);
      else if (notHost) cx.add('address', 'host-address', notHost);
      else if (iface?.addresses.some((x) => sameAddress(x, e.address, true))) cx.add('address', 'duplicate', `${where(node!, iface.name)} already has ${e.address}`);
    }
    return () => {
      const n = opNode(node!);
      return {
        ops: [{ op: 'addr-add', node: n, dev: iface!.name, address: e.address }],
        inverse: [{ op: 'addr-del', node: n, dev: iface!.name, address: e.address }],
        effects: [],
      };
    };
  },

  'remove-address': (cx, e) => {
    const node = cx.node('node', e.node);
    const iface = node && cx.iface('interface', node, e.interface);
    let found: string | undefined;
    if (cx.text('address', e.address, 'an address')) {
      const bad = checkCidr(e.address);
      found = iface?.addresses.find((x) => sameAddress(x, e.address));
      if (bad) cx.add('address', 'cidr', bad);
      else if (iface && found === undefined) {
        const has = iface.addresses.length > 0 ? `; it has ${iface.addresses.join(', ')}` : '';
        cx.add('address', 'not-found', `${where(node!, iface.name)} has no address ${e.address}${has}`);
      }
    }
    return () => removeAddress(node!, iface!, found!);
  },

  'add-route': (cx, e) => {
    const node = cx.node('node', e.node);
    const route = node && checkRouteFields(cx, node, e.route, false);
    const clash = route && node!.routes.flatMap((r) => routeSpecOf(r) ?? []).find((r) => sameDestination(r, route) && effectiveMetric(r) === effectiveMetric(route));
    if (clash) {
      cx.add('route', 'duplicate', `${nodeLabel(node!)} already has a route to ${clash.to} with metric ${effectiveMetric(clash)}${clash.via ? ` (via ${clash.via})` : ''}; remove it or use another metric`);
    }
    return () => {
      const n = opNode(node!);
      return { ops: [{ op: 'route-add', node: n, route: route! }], inverse: [{ op: 'route-del', node: n, route: route! }], effects: [] };
    };
  },

  'remove-route': (cx, e) => {
    const node = cx.node('node', e.node);
    const route = node && checkRouteFields(cx, node, e.route, true);
    const observed = node ? node.routes.flatMap((r) => routeSpecOf(r) ?? []) : [];
    const matches = route ? observed.filter((r) => routeMatches(route, r)) : [];
    // `ip route show` lists IPv4 only, so an IPv6 route that is not observed may still exist.
    const unobserved = !!route && routeFamily(route) === 6 && !observed.some((r) => routeFamily(r) === 6);
    if (route && matches.length === 0 && !unobserved) {
      cx.add('route', 'not-found', `${nodeLabel(node!)} has no route to ${route.to} like this; it has ${describeRoutes(observed) || 'none'}`);
    } else if (matches.length > 1) {
      cx.add('route', 'ambiguous', `${matches.length} routes to ${route!.to} match (${describeRoutes(matches)}); give via, dev or metric to pick one`);
    }
    return () => {
      const n = opNode(node!);
      const target = matches[0] ?? route!;
      const effects = unobserved ? [`nslab does not observe IPv6 routes, so it could not check that ${nodeLabel(node!)} has this one`] : [];
      const restorable = target.via !== undefined || target.dev !== undefined;
      if (!restorable) effects.push('undo cannot add this route back: it needs via or dev');
      const inverse: Operation[] = restorable ? [{ op: 'route-add', node: n, route: target }] : [];
      return { ops: [{ op: 'route-del', node: n, route: target }], inverse, effects };
    };
  },

  'set-sysctl': (cx, e) => {
    const node = cx.node('node', e.node);
    const badKey = cx.text('key', e.key, 'a sysctl key') ? checkSysctlKey(e.key) : null;
    if (badKey) cx.add('key', 'sysctl', badKey);
    const badValue = cx.text('value', e.value, 'a sysctl value') ? checkSysctlValue(e.value) : null;
    if (badValue) cx.add('value', 'sysctl', badValue);
    return () => {
      const n = opNode(node!);
      const old = node!.sysctls[e.key];
      return {
        ops: [{ op: 'sysctl', node: n, key: e.key, value: e.value }],
        inverse: old === undefined ? [] : [{ op: 'sysctl', node: n, key: e.key, value: old }],
        effects: old === undefined ? [`the current value of ${e.key} in ${nodeLabel(node!)} is not known, so undo cannot restore it`] : [],
      };
    };
  },
};

/** The kinds of edit, for clients and messages. */
export const EDIT_KINDS = Object.keys(HANDLERS) as EditKind[];

const ENDPOINT_KEYS = ['node', 'interface'];
const ROUTE_KEYS = ['to', 'via', 'dev', 'metric'];
/** Every key each kind takes, and the keys of its nested objects. */
const EDIT_KEYS: { [K in EditKind]: { keys: string[]; nested?: Record<string, string[]> } } = {
  'add-node': { keys: ['name'] },
  'remove-node': { keys: ['name'] },
  'add-bridge': { keys: ['node', 'name'] },
  'add-veth': { keys: ['a', 'b', 'bridge'], nested: { a: ENDPOINT_KEYS, b: ENDPOINT_KEYS } },
  'remove-link': { keys: ['node', 'interface'] },
  'set-link': { keys: ['node', 'interface', ...LINK_SETTINGS] },
  'add-address': { keys: ['node', 'interface', 'address'] },
  'remove-address': { keys: ['node', 'interface', 'address'] },
  'add-route': { keys: ['node', 'route'], nested: { route: ROUTE_KEYS } },
  'remove-route': { keys: ['node', 'route'], nested: { route: ROUTE_KEYS } },
  'set-sysctl': { keys: ['node', 'key', 'value'] },
};

/** A key the edit does not take would be silently ignored (a typo like `nmae` or `gateway`): refuse it. */
function checkEditKeys(cx: EditContext, edit: Record<string, unknown>, kind: EditKind): void {
  const { keys, nested = {} } = EDIT_KEYS[kind];
  const report = (obj: object, allowed: string[], base: string) => {
    for (const k of Object.keys(obj)) {
      if (allowed.includes(k)) continue;
      const field = base === '' ? k : `${base}.${k}`;
      cx.add(field, 'unknown-key', () => `unknown key ${quote(k)}${didYouMeanSuffix(k, allowed)}; ${kind}${base === '' ? '' : ` ${base}`} takes ${allowed.join(', ')}`);
    }
  };
  report(edit, ['kind', ...keys], '');
  for (const [key, allowed] of Object.entries(nested)) {
    const v = edit[key];
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) report(v, allowed, key);
  }
}

function analyse(observed: ObservedLab, edit: Edit): { issues: Issue[]; planner?: () => Planned } {
  const cx = new EditContext(observed);
  const kind = (edit as { kind?: unknown } | null)?.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(HANDLERS, kind)) {
    const known = `known: ${EDIT_KINDS.join(', ')}`;
    if (kind === undefined) cx.add('kind', 'required', `an edit needs \`kind\`; ${known}`);
    else cx.add('kind', 'enum', `unknown edit kind ${quote(String(kind))}${typeof kind === 'string' ? didYouMeanSuffix(kind, EDIT_KINDS) : ''}; ${known}`);
    return { issues: cx.issues };
  }
  checkEditKeys(cx, edit as unknown as Record<string, unknown>, edit.kind);
  const planner = (HANDLERS[edit.kind] as Handler<EditKind>)(cx, edit);
  return { issues: cx.issues, planner };
}

/** Every problem with `edit` against the lab as observed; [] when it can be planned. */
export function validateEdit(observed: ObservedLab, edit: Edit): Issue[] {
  return analyse(observed, edit).issues;
}

/** The operations for `edit`, their inverse and notes; throws TopologyError with every issue. */
export function planEdit(observed: ObservedLab, edit: Edit): EditPlan {
  const { issues, planner } = analyse(observed, edit);
  if (issues.length > 0 || !planner) throw new TopologyError(issues);
  const plan = planner();
  const { edits, lost } = undoEdits(plan.inverse);
  return { ...plan, effects: [...plan.effects, ...lost], undo: edits, label: describeEdit(edit) };
}

// --- planning helpers ----------------------------------------------------------------------------

function routeAdds(node: string, routes: RouteSpec[]): Operation[] {
  return routes.map((route) => ({ op: 'route-add', node, route }));
}

function setLink(
  node: ObservedNode,
  iface: ObservedInterface,
  e: Extract<Edit, { kind: 'set-link' }>,
  before: Record<LinkSetting, unknown>,
  changed: LinkSetting[],
): Planned {
  const n = opNode(node);
  const set = (k: LinkSetting, v: unknown): Operation => ({ op: 'link-set', node: n, name: iface.name, [k]: v });
  const ops = changed.map((k) => set(k, e[k]));
  const effects: string[] = [];
  const inverse: Operation[] = [];
  // Settings come back in reverse order, so `up` is restored before the routes that need it.
  for (const k of [...changed].reverse()) {
    const old = before[k];
    if (k === 'master' && typeof old === 'string' && shown(old) !== old) effects.push(`undo cannot put ${shown(iface.name)} back into ${shown(old)}: that bridge has an unsafe name`);
    else inverse.push(set(k, old));
  }
  if (changed.includes('up') && e.up === false) {
    const routes = routesThrough(node, iface.name);
    if (routes.length > 0) {
      effects.push(`taking ${where(node, iface.name)} down makes the kernel drop its routes (${describeRoutes(routes)}); undo adds them back`);
      inverse.push(...routeAdds(n, routes));
    }
  }
  return { ops, inverse, effects };
}

function removeAddress(node: ObservedNode, iface: ObservedInterface, address: string): Planned {
  const n = opNode(node);
  const inverse: Operation[] = [{ op: 'addr-add', node: n, dev: iface.name, address }];
  const effects: string[] = [];
  // The kernel flushes a link's IPv4 routes when its last IPv4 address goes.
  const v4 = (a: string) => parseCidr(a)?.family === 4;
  if (v4(address) && !iface.addresses.some((a) => a !== address && v4(a))) {
    const routes = routesThrough(node, iface.name, 4);
    if (routes.length > 0) {
      effects.push(`removing the last IPv4 address of ${where(node, iface.name)} makes the kernel drop its routes (${describeRoutes(routes)}); undo adds them back`);
      inverse.push(...routeAdds(n, routes));
    }
  }
  return { ops: [{ op: 'addr-del', node: n, dev: iface.name, address }], inverse, effects };
}

/** `route` checked as a route of `node` (for removal, via and dev may both be missing); the clean spec or undefined. */
function checkRouteFields(cx: EditContext, node: ObservedNode, raw: unknown, removal: boolean): RouteSpec | undefined {
  const r = cx.record('route', raw, 'a route {to, via, dev, metric}');
  if (!r) return undefined;
  const before = cx.issues.length;
  if (r.dev !== undefined) cx.iface('route.dev', node, r.dev);
  const devs = new Map(node.interfaces.map((i) => [i.name, i]));
  checkRoute(node, r as unknown as RouteSpec, devs, 'route', new Set(), (field, rule, message) => {
    // route.dev is reported by the lookup above; a removal can name just the destination.
    if (field === 'route.dev' || (removal && field === 'route' && rule === 'required')) return;
    cx.add(field, rule, message);
  });
  if (cx.issues.length > before) return undefined;
  const route: RouteSpec = { to: r.to as string };
  if (r.via !== undefined) route.via = r.via as string;
  if (r.dev !== undefined) route.dev = r.dev as string;
  if (r.metric !== undefined) route.metric = r.metric as number;
  return route;
}

/** Fresh namespaces start with these; only other values need setting again. */
const FRESH_SYSCTLS: Record<string, string> = { 'net.ipv4.ip_forward': '0', 'net.ipv6.conf.all.forwarding': '0', 'net.ipv4.conf.all.rp_filter': '0', 'net.ipv4.conf.all.proxy_arp': '0' };

/**
 * Undo of deleting namespace `n`: the namespace again with its interfaces (addresses, MTU, state,
 * bridge ports), its veth pairs with their other ends as they were (addresses, bridge port, the
 * routes through them), its routes and forwarding settings.
 */
function recreateNode(cx: EditContext, n: ObservedNode): { inverse: Operation[]; effects: string[] } {
  const effects: string[] = [];
  const blank = (o: ObservedNode): NodeSpec => ({ name: opNode(o), kind: o.kind, interfaces: [], routes: [], sysctls: {}, exec: [] });
  const self = blank(n);
  const others = new Map<ObservedNode, NodeSpec>();
  const links: VethLink[] = [];
  const made = new Set<string>();
  for (const i of n.interfaces) {
    const spec = i.unsafeName ? undefined : interfaceOf(i);
    if (!spec) {
      if (i.unsafeName) effects.push(`undo cannot recreate ${shown(i.name)}: its name is unsafe`);
      else if (i.kind !== 'loopback') effects.push(`undo cannot recreate ${shown(i.name)}: nslab does not create ${i.kind} interfaces`);
      continue;
    }
    if (spec.master !== undefined && shown(spec.master) !== spec.master) {
      effects.push(`undo cannot put ${shown(i.name)} back into ${shown(spec.master)}: that bridge has an unsafe name`);
      delete spec.master;
    }
    if (i.kind === 'veth') {
      const peer = cx.peerOf(i);
      const peerSpec = peer && !peer.iface.unsafeName ? interfaceOf(peer.iface) : undefined;
      if (!peer || !peerSpec) {
        effects.push(`undo cannot recreate ${shown(i.name)}: its peer is outside the lab or has a name nslab will not use`);
        continue;
      }
      if (peer.node === n) {
        // Both ends here: one pair, listed once.
        if (!made.has(peer.iface.name)) links.push({ a: { node: n.name, interface: i.name }, b: { node: n.name, interface: peer.iface.name } });
      } else {
        links.push({ a: { node: n.name, interface: i.name }, b: { node: opNode(peer.node), interface: peer.iface.name } });
        const other = others.get(peer.node) ?? blank(peer.node);
        if (peerSpec.master !== undefined && shown(peerSpec.master) !== peerSpec.master) delete peerSpec.master;
        other.interfaces.push(peerSpec);
        other.routes.push(...routesThrough(peer.node, peer.iface.name));
        others.set(peer.node, other);
      }
    }
    made.add(i.name);
    self.interfaces.push(spec);
  }
  // Stacked interfaces whose parent is not coming back cannot either.
  self.interfaces = self.interfaces.filter((s) => {
    const parent = s.kind === 'vxlan' ? s.vxlan?.dev : s.parent;
    if (parent === undefined || made.has(parent)) return true;
    effects.push(`undo cannot recreate ${shown(s.name)}: it sits on ${shown(parent)}, which undo cannot recreate`);
    made.delete(s.name);
    return false;
  });
  for (const r of n.routes) {
    const spec = recreatableRoute(r);
    if (!spec) continue;
    if (spec.dev !== undefined && !made.has(spec.dev)) effects.push(`undo cannot add the route to ${spec.to} back: it goes through ${shown(spec.dev)}`);
    else self.routes.push(spec);
  }
  for (const [key, value] of Object.entries(n.sysctls)) if (FRESH_SYSCTLS[key] !== value) self.sysctls[key] = value;
  if ((n.iptables?.length ?? 0) > 0) effects.push(`undo does not restore the firewall rules of ${n.name}`);
  const inverse = planDeploy({ nodes: [self, ...others.values()], links, requires: [] }).filter((op) => op.op !== 'netns-add' || op.node === n.name);
  return { inverse, effects };
}

/** Best-effort undo of removing `iface`: recreate it (and a veth's peer) as observed, with its routes and bridge ports. */
function recreate(cx: EditContext, node: ObservedNode, iface: ObservedInterface): { inverse: Operation[]; effects: string[] } {
  const effects: string[] = [];
  const name = shown(iface.name);
  const peer = cx.peerOf(iface);
  if (iface.kind === 'veth' && iface.peer && iface.peer.node !== null) {
    effects.push(`removing ${name} also removes its peer ${peer ? where(peer.node, peer.iface.name) : 'in another node'}`);
  }
  for (const s of node.interfaces) {
    const d = s.details ?? {};
    if (d.parent === iface.name || d.dev === iface.name) effects.push(`removing ${name} also removes ${shown(s.name)}, stacked on it; undo does not recreate it`);
  }

  const spec = interfaceOf(iface);
  const peerSpec = peer && interfaceOf(peer.iface);
  if (!spec || (iface.kind === 'veth' && !peerSpec)) {
    const why = iface.kind === 'veth' ? 'its peer is outside the lab or has a name nslab will not use' : `nslab does not create ${iface.kind} interfaces`;
    effects.push(`undo cannot recreate ${name}: ${why}`);
    return { inverse: [], effects };
  }
  const ends: [ObservedNode, InterfaceSpec][] = [[node, spec]];
  const links: VethLink[] = [];
  if (peer && peerSpec) {
    ends.push([peer.node, peerSpec]);
    links.push({ a: { node: opNode(node), interface: iface.name }, b: { node: opNode(peer.node), interface: peer.iface.name } });
  }
  const nodes = new Map<ObservedNode, NodeSpec>();
  for (const [n, s] of ends) {
    const ns = nodes.get(n) ?? { name: opNode(n), kind: n.kind, interfaces: [], routes: [], sysctls: {}, exec: [] };
    const routes = routesThrough(n, s.name);
    if (routes.length > 0) effects.push(`the kernel drops the routes through ${where(n, s.name)} (${describeRoutes(routes)}); undo adds them back`);
    ns.interfaces.push(s);
    ns.routes.push(...routes);
    nodes.set(n, ns);
  }
  // The deploy planner already knows how to create and configure interfaces; namespaces exist.
  const inverse = planDeploy({ nodes: [...nodes.values()], links, requires: [] }).filter((op) => op.op !== 'netns-add');

  const ports = node.interfaces.filter((p) => p.master === iface.name);
  if (ports.length > 0) effects.push(`the ports of ${name} (${ports.map((p) => shown(p.name)).join(', ')}) stay, without a master; undo puts them back`);
  for (const p of ports) {
    if (p.unsafeName) effects.push(`undo cannot put ${shown(p.name)} back: its name is unsafe`);
    else inverse.push({ op: 'link-set', node: opNode(node), name: p.name, master: iface.name });
  }
  return { inverse, effects };
}
