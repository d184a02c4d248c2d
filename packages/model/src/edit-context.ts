// What a granular edit names, looked up in the observed lab. Each lookup reports its problem against
// the edit's own field (`a.node`, `route.dev`...). Something made by hand with an unsafe name is
// named as such; other names are checked before they are looked up, so a hostile string is reported
// as a bad name, never as "not found".
import type { Issue, Message } from './issue.ts';
import { messageOf } from './issue.ts';
import type { ObservedInterface, ObservedLab, ObservedNode } from './observed.ts';
import type { RouteSpec } from './topology.ts';
import { HOST } from './topology.ts';
import { describeType, quote } from './display.ts';
import { checkInterfaceName, checkNodeName, didYouMeanSuffix, formatCidr, formatIp, parseCidr, parseIp } from './names.ts';
import { recreatableRoute } from './from-observed.ts';
import { nodeLabel } from './validate.ts';

const BY_HAND = 'was made by hand with characters nslab will not pass to a command; nslab shows it but never acts on it';

export class EditContext {
  readonly issues: Issue[] = [];
  /** The lab host as observed (an empty one if the observation has none). */
  readonly host: ObservedNode;

  constructor(readonly lab: ObservedLab) {
    this.host = lab.nodes.find((n) => n.kind === 'host') ?? { name: HOST, kind: 'host', interfaces: [], routes: [], neighbours: [], sysctls: {} };
  }

  add(field: string, rule: string, message: Message): void {
    this.issues.push({ field, rule, message: messageOf(message) });
  }

  /** True when `v` is a string; otherwise reports `required` or `type`. */
  text(field: string, v: unknown, what: string): v is string {
    if (typeof v === 'string') return true;
    if (v === undefined || v === null) this.add(field, 'required', `${what} is required`);
    else this.add(field, 'type', `${what} must be a string, got ${describeType(v)}`);
    return false;
  }

  /** `v` when it is a plain object; otherwise reports `required` or `type`. */
  record(field: string, v: unknown, what: string): Record<string, unknown> | undefined {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    this.add(field, v === undefined || v === null ? 'required' : 'type', `${field} must be ${what}, got ${describeType(v)}`);
    return undefined;
  }

  /** A node by the name edits use (`host` is the lab host); `missing` is the rule when there is none. */
  node(field: string, name: unknown, missing = 'unknown-node'): ObservedNode | undefined {
    if (!this.text(field, name, 'a node name')) return undefined;
    if (name === HOST) return this.host;
    const found = this.lab.nodes.find((n) => n.kind === 'netns' && n.name === name);
    if (found?.unsafeName) return this.unsafe(field, `node ${quote(name)}`);
    const why = checkNodeName(name);
    if (why) {
      this.add(field, 'node-name', `node name ${quote(name)} ${why}`);
      return undefined;
    }
    if (!found) {
      this.add(field, missing, `no node named ${quote(name)}${didYouMeanSuffix(name, this.nodeNames())}`);
      return undefined;
    }
    return found;
  }

  /** An existing interface of `node` (with `bridge`, one that must be a bridge: rule `master`). */
  iface(field: string, node: ObservedNode, name: unknown, missing = 'unknown-interface', bridge = false): ObservedInterface | undefined {
    if (!this.text(field, name, bridge ? 'a bridge name' : 'an interface name')) return undefined;
    const found = node.interfaces.find((i) => i.name === name);
    if (found?.unsafeName) return this.unsafe(field, `interface ${quote(name)} in ${nodeLabel(node)}`);
    const why = checkInterfaceName(name);
    if (why) {
      this.add(field, 'interface-name', `interface name ${quote(name)} ${why}`);
      return undefined;
    }
    const what = bridge ? 'bridge' : 'interface';
    if (!found) {
      const candidates = node.interfaces.filter((i) => !i.unsafeName && (!bridge || i.kind === 'bridge')).map((i) => i.name);
      this.add(field, missing, `${nodeLabel(node)} has no ${what} ${quote(name)}${didYouMeanSuffix(name, candidates)}`);
      return undefined;
    }
    if (bridge && found.kind !== 'bridge') {
      this.add(field, missing, `${quote(name)} in ${nodeLabel(node)} is a ${found.kind} interface, not a bridge`);
      return undefined;
    }
    return found;
  }

  /** A bridge of `node`, as `master` of a port. */
  bridge(field: string, node: ObservedNode, name: unknown): ObservedInterface | undefined {
    return this.iface(field, node, name, 'master', true);
  }

  /** True when `name` is a valid interface name not yet used in `node`. */
  freeIface(field: string, node: ObservedNode, name: unknown): name is string {
    if (!this.text(field, name, 'an interface name')) return false;
    const why = checkInterfaceName(name);
    if (why) {
      this.add(field, 'interface-name', `interface name ${quote(name)} ${why}`);
      return false;
    }
    if (node.interfaces.some((i) => i.name === name)) {
      this.add(field, 'duplicate', `${nodeLabel(node)} already has an interface ${quote(name)}`);
      return false;
    }
    return true;
  }

  /** The other end of a veth, when it is in the lab. */
  peerOf(iface: ObservedInterface): { node: ObservedNode; iface: ObservedInterface } | undefined {
    const p = iface.peer;
    if (iface.kind !== 'veth' || !p || p.node === null || p.interface === null) return undefined;
    const node = this.lab.nodes.find((n) => n.name === p.node);
    const other = node?.interfaces.find((i) => i.name === p.interface);
    return node && other ? { node, iface: other } : undefined;
  }

  private nodeNames(): string[] {
    return [HOST, ...this.lab.nodes.filter((n) => n.kind === 'netns' && !n.unsafeName).map((n) => n.name)];
  }

  private unsafe(field: string, what: string): undefined {
    this.add(field, 'unsafe-name', `${what} ${BY_HAND}`);
    return undefined;
  }
}

/** The node name operations use: HOST for the lab host. */
export function opNode(n: ObservedNode): string {
  return n.kind === 'host' ? HOST : n.name;
}

/** A name as it appears in notes: bare when it is a safe interface name, quoted otherwise. */
export function shown(name: string): string {
  return checkInterfaceName(name) === null ? name : quote(name);
}

/** "ns1:int0" or "int0 in the lab host", for notes. */
export function where(node: ObservedNode, iface: string): string {
  return `${shown(iface)} in ${nodeLabel(node)}`;
}

// --- addresses and routes, compared the way the kernel does ---------------------------------------

/**
 * Do two interface addresses name the same kernel address? IPv4 keeps one entry per address and
 * prefix; IPv6 one per address, so with `anyPrefix` a v6 address matches whatever its prefix.
 */
export function sameAddress(a: string, b: string, anyPrefix = false): boolean {
  const [x, y] = [parseCidr(a), parseCidr(b)];
  if (!x || !y || x.family !== y.family) return false;
  if (anyPrefix && x.family === 6) return formatIp(x) === formatIp(y);
  return formatCidr(x) === formatCidr(y);
}

export function routeFamily(r: RouteSpec): 4 | 6 {
  const to = r.to !== 'default' ? parseCidr(r.to)?.family : undefined;
  return to ?? (r.via !== undefined ? parseIp(r.via)?.family : undefined) ?? 4;
}

/** The metric the kernel gives a route added without one. */
export function effectiveMetric(r: RouteSpec): number {
  return r.metric ?? (routeFamily(r) === 6 ? 1024 : 0);
}

/** Same family and destination (the kernel's key for "File exists" together with the metric). */
export function sameDestination(a: RouteSpec, b: RouteSpec): boolean {
  if (routeFamily(a) !== routeFamily(b)) return false;
  if (a.to === 'default' || b.to === 'default') return a.to === b.to;
  const [x, y] = [parseCidr(a.to), parseCidr(b.to)];
  return !!x && !!y && formatCidr(x) === formatCidr(y);
}

function sameIp(a: string, b: string): boolean {
  const [x, y] = [parseIp(a), parseIp(b)];
  return !!x && !!y && formatIp(x) === formatIp(y);
}

/** Does the observed route `r` fit `want`, whose unset via/dev/metric match anything (as `ip route del` does)? */
export function routeMatches(want: RouteSpec, r: RouteSpec): boolean {
  if (!sameDestination(want, r)) return false;
  if (want.via !== undefined && (r.via === undefined || !sameIp(want.via, r.via))) return false;
  if (want.dev !== undefined && want.dev !== r.dev) return false;
  return want.metric === undefined || want.metric === effectiveMetric(r);
}

/** Routes someone added through `dev` (optionally of one family): the kernel drops them with the link. */
export function routesThrough(node: ObservedNode, dev: string, family?: 4 | 6): RouteSpec[] {
  return node.routes
    .filter((r) => r.dev === dev)
    .flatMap((r) => recreatableRoute(r) ?? [])
    .filter((r) => family === undefined || routeFamily(r) === family);
}

/** "default via 10.5.1.1, 10.9.0.0/16 dev int0 metric 10": routes in a note. */
export function describeRoutes(routes: RouteSpec[]): string {
  const one = (r: RouteSpec) =>
    [r.to, r.via !== undefined ? `via ${r.via}` : '', r.via === undefined && r.dev !== undefined ? `dev ${shown(r.dev)}` : '', r.metric !== undefined ? `metric ${r.metric}` : '']
      .filter((w) => w !== '')
      .join(' ');
  return routes.map(one).join(', ');
}
