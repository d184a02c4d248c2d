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
  return ops;
}

function stackedInOrder(node: NodeSpec): InterfaceSpec[] {
  // vlan/macvlan may sit on another stacked interface (macvlan on a vxlan): parents first.
  const pending = node.interfaces.filter((i) => STACKED.has(i.kind));
  const done = new Set(node.interfaces.filter((i) => !STACKED.has(i.kind)).map((i) => i.name));
  const out: InterfaceSpec[] = [];
  while (pending.length) {
    const idx = pending.findIndex((i) => {
      const parent = i.kind === 'vxlan' ? i.vxlan?.dev : i.parent;
      return !parent || done.has(parent) || !pending.some((p) => p.name === parent);
    });
    const next = pending.splice(idx < 0 ? 0 : idx, 1)[0]!;
    out.push(next);
    done.add(next.name);
  }
  return out;
}

export function planDeploy(t: Topology): Operation[] {
  const ops: Operation[] = [];
  const host = t.nodes.find((n) => n.name === HOST);
  const namespaces = t.nodes.filter((n) => n.kind === 'netns');

  for (const n of namespaces) ops.push({ op: 'netns-add', node: n.name });
  for (const i of host?.interfaces ?? []) if (STANDALONE.has(i.kind)) ops.push({ op: 'link-add', node: HOST, iface: i });
  for (const l of t.links) ops.push({ op: 'veth-add', a: l.a, b: l.b });
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
    for (const line of n.exec) ops.push({ op: 'exec', node: n.name, argv: splitShellWords(line) });
  }
  return ops;
}
