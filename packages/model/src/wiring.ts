// Turning link endpoints into veth interfaces, shared by the native and containerlab readers: a
// link end either claims a veth the node already configures or creates a bare one.
import type { InterfaceSpec, NodeSpec, VethLink } from './topology.ts';
import { quote } from './display.ts';
import type { Collector } from './read.ts';

export interface LinkEnd {
  node: NodeSpec;
  iface: string;
  /** Set when the endpoint named a host bridge (`br0:port`): the port joins that bridge. */
  master?: string;
  /** Field path of the endpoint, for issues. */
  path: string;
}

function nodeLabel(n: NodeSpec): string {
  return n.kind === 'host' ? 'the lab host' : `node ${quote(n.name)}`;
}

export class Wiring {
  /** "node\0iface" -> path of the endpoint that made it a link end. */
  private readonly claimed = new Map<string, string>();
  /** Each node's interfaces by name, caught up with its list on each lookup (readers only append). */
  private readonly index = new Map<NodeSpec, { byName: Map<string, InterfaceSpec>; seen: number }>();
  /** Interfaces that are ends of links that could not be made. */
  readonly peerless = new Set<InterfaceSpec>();

  /** Field paths of `peerless`, for mergeIssues. */
  peerlessFields(): Set<string> {
    return new Set([...this.peerless].map((i) => this.paths.get(i)).filter((p) => p !== undefined));
  }

  constructor(
    private readonly c: Collector,
    /** Where each interface was written; link-created ones are located at their endpoint. */
    private readonly paths: Map<InterfaceSpec, string>,
  ) {}

  /**
   * Adds the veth pair for one link, or reports why it cannot exist. Ends that are fine still get
   * their interface when the link is dropped, so routes and masters naming them do not cascade
   * into more errors.
   */
  connect(a: LinkEnd | undefined, b: LinkEnd | undefined, linkPath: string): VethLink | undefined {
    if (a && b && a.node === b.node && a.iface === b.iface) {
      this.c.issue(linkPath, 'same-endpoint', `both ends are ${a.node.name}:${a.iface}; a link joins two different interfaces`);
      this.peerless.add(this.ensure(a));
      return undefined;
    }
    const okA = a !== undefined && this.usable(a);
    const okB = b !== undefined && this.usable(b);
    if (!okA || !okB) {
      if (okA) this.peerless.add(this.ensure(a));
      if (okB) this.peerless.add(this.ensure(b));
      return undefined;
    }
    for (const end of [a, b]) {
      const spec = this.ensure(end);
      this.claimed.set(this.key(end), end.path);
      if (end.master !== undefined) {
        if (spec.master !== undefined && spec.master !== end.master) {
          this.c.issue(end.path, 'master', `${end.iface} joins bridge ${end.master} here but is configured with master ${quote(spec.master)}`);
        } else {
          spec.master = end.master;
        }
      }
    }
    return { a: { node: a.node.name, interface: a.iface }, b: { node: b.node.name, interface: b.iface } };
  }

  /** The first interface of `node` named `name`, without scanning the list (a hub may have thousands). */
  find(node: NodeSpec, name: string): InterfaceSpec | undefined {
    let entry = this.index.get(node);
    if (!entry) this.index.set(node, (entry = { byName: new Map(), seen: 0 }));
    for (; entry.seen < node.interfaces.length; entry.seen++) {
      const i = node.interfaces[entry.seen]!;
      if (!entry.byName.has(i.name)) entry.byName.set(i.name, i);
    }
    return entry.byName.get(name);
  }

  private key(end: LinkEnd): string {
    return `${end.node.name}\u0000${end.iface}`;
  }

  private usable(end: LinkEnd): boolean {
    const earlier = this.claimed.get(this.key(end));
    if (earlier !== undefined) {
      this.c.issue(end.path, 'duplicate', `${end.node.name}:${end.iface} is already an end of ${earlier.replace(/\.endpoints\[\d\]$/, '')}; an interface can be in one link only`);
      return false;
    }
    const existing = this.find(end.node, end.iface);
    if (existing && existing.kind !== 'veth') {
      const where = this.paths.get(existing);
      this.c.issue(
        end.path,
        'duplicate',
        `${nodeLabel(end.node)} already has a ${existing.kind} interface named ${quote(end.iface)}${where ? ` (${where})` : ''}; a link end is a new veth, so rename one of them`,
      );
      return false;
    }
    return true;
  }

  private ensure(end: LinkEnd): InterfaceSpec {
    const existing = this.find(end.node, end.iface);
    if (existing) return existing;
    const spec: InterfaceSpec = { name: end.iface, kind: 'veth', addresses: [] };
    end.node.interfaces.push(spec);
    this.paths.set(spec, end.path);
    return spec;
  }
}
