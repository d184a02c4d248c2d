// Desired topology -> ordered operations for a fresh sandbox. Ordering puts every lab-host step
// first (namespaces, bridges, all veth pairs), then each namespace's own steps, so the driver can
// run each run of same-namespace `ip` lines as one `ip -batch` process.
import type { Operation } from './operation.ts';
import type { InterfaceSpec, NodeSpec, Topology } from './topology.ts';
import { HOST } from './topology.ts';
import { splitShellWords } from './shell-quote.ts';

const STANDALONE = new Set(['bridge', 'dummy', 'tun', 'tap']);
const STACKED = new Set(['vxlan', 'macvlan', 'vlan']);

function created(i: InterfaceSpec): boolean {
  return i.kind !== 'loopback';
}

/** Steps that configure one node's interfaces after they exist. */
function configure(node: NodeSpec): Operation[] {
  const ops: Operation[] = [];
  const n = node.name;
  for (const i of node.interfaces) {
    if (i.mtu !== undefined) ops.push({ op: 'link-set', node: n, name: i.name, mtu: i.mtu });
    if (i.mac !== undefined) ops.push({ op: 'link-set', node: n, name: i.name, mac: i.mac });
  }
  for (const i of node.interfaces) {
    if (i.master !== undefined) ops.push({ op: 'link-set', node: n, name: i.name, master: i.master });
  }
  for (const i of node.interfaces) {
    if (i.promisc !== undefined) ops.push({ op: 'link-set', node: n, name: i.name, promisc: i.promisc });
  }
  // Created interfaces come up unless told otherwise (containerlab brings link endpoints up);
  // loopback is left as the kernel made it unless asked, which is the seed's "ping my own address" lesson.
  for (const i of node.interfaces) {
    const up = i.up ?? (created(i) ? true : undefined);
    if (up !== undefined && !(i.kind === 'loopback' && up === false)) {
      ops.push({ op: 'link-set', node: n, name: i.name, up });
    }
  }
  for (const i of node.interfaces) {
    for (const a of i.addresses) ops.push({ op: 'addr-add', node: n, dev: i.name, address: a });
  }
  for (const r of node.routes) ops.push({ op: 'route-add', node: n, route: r });
  for (const i of node.interfaces) {
    for (const e of i.kind === 'vxlan' ? (i.vxlan?.fdb ?? []) : []) ops.push({ op: 'fdb-append', node: n, dev: i.name, mac: e.mac, dst: e.dst });
  }
  for (const e of node.neighbours ?? []) ops.push({ op: 'neigh-add', node: n, address: e.address, mac: e.mac, dev: e.dev });
  return ops;
}

function stackedInOrder(node: NodeSpec): InterfaceSpec[] {
  // vlan/macvlan may sit on another stacked interface (macvlan on a vxlan): parents first, and
  // otherwise file order. Each step takes the first interface (in file order) whose parent is made
  // or is not one of these; the heap and a cursor keep that linear for thousands of interfaces.
  const pending = node.interfaces.filter((i) => STACKED.has(i.kind));
  // A parent on another node is made before this node's turn (see byParentNodes).
  const parentOf = (i: InterfaceSpec) => (i.kind === 'vxlan' ? i.vxlan?.dev : i.parentNode === undefined ? i.parent : undefined);
  const made = new Set(node.interfaces.filter((i) => !STACKED.has(i.kind)).map((i) => i.name));
  const names = new Set(pending.map((i) => i.name));
  // Pending interfaces waiting for the first interface of a name to be made.
  const waiting = new Map<string, number[]>();
  const ready = new MinHeap();
  pending.forEach((i, k) => {
    const parent = parentOf(i);
    if (parent === undefined || made.has(parent) || !names.has(parent)) ready.push(k);
    else {
      const list = waiting.get(parent);
      if (list) list.push(k);
      else waiting.set(parent, [k]);
    }
  });
  const done = new Array<boolean>(pending.length).fill(false);
  const out: InterfaceSpec[] = [];
  let cursor = 0;
  while (out.length < pending.length) {
    let k = ready.pop();
    while (k !== undefined && done[k]) k = ready.pop();
    if (k === undefined) {
      // Only cycles are left (the validator refuses them): take the first in file order.
      while (done[cursor]) cursor++;
      k = cursor;
    }
    done[k] = true;
    const next = pending[k]!;
    out.push(next);
    for (const w of waiting.get(next.name) ?? []) ready.push(w);
    waiting.delete(next.name);
  }
  return out;
}

/** Smallest index first. */
class MinHeap {
  private readonly a: number[] = [];

  push(x: number): void {
    const a = this.a;
    a.push(x);
    for (let i = a.length - 1; i > 0; ) {
      const up = (i - 1) >> 1;
      if (a[up]! <= x) break;
      [a[i], a[up]] = [a[up]!, x];
      i = up;
    }
  }

  pop(): number | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]! < a[m]!) m = l;
        if (r < a.length && a[r]! < a[m]!) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Namespaces in file order, except that one holding a macvlan made on another namespace's
 * interface comes after that namespace (whose interfaces exist once its turn is over). A cycle
 * (which the kernel could not build either) keeps file order.
 */
function byParentNodes(namespaces: NodeSpec[]): NodeSpec[] {
  const deps = new Map(namespaces.map((n) => [n.name, new Set(n.interfaces.flatMap((i) => (i.parentNode !== undefined && i.parentNode !== n.name && i.parentNode !== HOST ? [i.parentNode] : [])))]));
  if ([...deps.values()].every((d) => d.size === 0)) return namespaces;
  const out: NodeSpec[] = [];
  const placed = new Set<string>();
  const known = new Set(namespaces.map((n) => n.name));
  let rest = namespaces;
  while (rest.length > 0) {
    const next = rest.find((n) => [...deps.get(n.name)!].every((d) => placed.has(d) || !known.has(d))) ?? rest[0]!;
    out.push(next);
    placed.add(next.name);
    rest = rest.filter((n) => n !== next);
  }
  return out;
}

export interface PlanOptions {
  /**
   * Give every veth end an ifindex of its own, numbered on from the lab host's interfaces, as if
   * each pair had been made in the lab host and its ends moved (what containerlab and a learner on
   * a real host get: `ethtool -S` shows a peer index that differs from the interface's own).
   * Only for a fresh sandbox, where nslab knows every index in use; a bare host or a running lab
   * may hold any index already.
   */
  assignIfindexes?: boolean;
}

export function planDeploy(t: Topology, opts: PlanOptions = {}): Operation[] {
  const ops: Operation[] = [];
  const host = t.nodes.find((n) => n.name === HOST);
  const namespaces = byParentNodes(t.nodes.filter((n) => n.kind === 'netns'));

  for (const n of namespaces) ops.push({ op: 'netns-add', node: n.name });
  let made = 0;
  for (const i of host?.interfaces ?? []) {
    if (!STANDALONE.has(i.kind)) continue;
    ops.push({ op: 'link-add', node: HOST, iface: i });
    made++;
  }
  // A fresh lab host holds lo (1), then the interfaces just made (2..). Making each pair there and
  // moving its ends costs a namespace move (an RCU grace period) per end: 5.5 s for the 300 pairs
  // of a star that are made in place in 0.1 s. So the indexes a move would keep are given outright.
  let next = 2 + made;
  for (const l of t.links) {
    if (opts.assignIfindexes) {
      ops.push({ op: 'veth-add', a: l.a, b: l.b, ifindex: [next, next + 1] });
      next += 2;
    } else {
      ops.push({ op: 'veth-add', a: l.a, b: l.b });
    }
  }
  if (host) {
    for (const i of stackedInOrder(host)) ops.push({ op: 'link-add', node: HOST, iface: i });
    ops.push(...configure(host));
  }
  for (const n of namespaces) {
    for (const i of n.interfaces) if (STANDALONE.has(i.kind)) ops.push({ op: 'link-add', node: n.name, iface: i });
    for (const i of stackedInOrder(n)) ops.push({ op: 'link-add', node: n.name, iface: i });
    ops.push(...configure(n));
  }
  for (const n of t.nodes) {
    for (const [key, value] of Object.entries(n.sysctls)) ops.push({ op: 'sysctl', node: n.name, key, value });
  }
  for (const n of t.nodes) {
    for (const rule of n.iptables ?? []) ops.push({ op: 'iptables', node: n.name, args: splitShellWords(rule) });
  }
  for (const n of t.nodes) {
    for (const line of n.exec) ops.push({ op: 'exec', node: n.name, argv: splitShellWords(line) });
  }
  return ops;
}
