// Pure: what deleting a namespace, bridge or veth pair throws away besides the element itself, for
// the confirmation the learner sees first. Deleting something with no configuration needs no
// question (undo brings it back as it was); deleting a namespace with addresses, links and routes,
// or a bridge with ports, does: that is an afternoon's typing.
import { planEdit, type Edit, type ObservedInterface, type ObservedLab, type ObservedNode } from '@nslab/model';

export type Deletion = Extract<Edit, { kind: 'remove-node' }> | Extract<Edit, { kind: 'remove-link' }>;

export interface DeletionSummary {
  /** "Delete ns5", "Delete bridge br0": the confirm button. */
  action: string;
  /** "Delete ns5?" */
  title: string;
  /** What goes with it, one thing a line; empty when only the element itself goes. */
  items: string[];
  /** What undo does about it. */
  undo: string;
}

const isLinkLocal = (a: string) => /^fe80:/i.test(a);
/** Routes the kernel made itself (a subnet's, IPv6 autoconfiguration, link-local, multicast) go and come back on their own. */
const isKernelRoute = (r: ObservedNode['routes'][number]) => r.protocol === 'kernel' || r.protocol === 'ra' || /^(fe80:|ff[0-9a-f]{2}:)/i.test(r.dst);
const nodeText = (n: string) => (n === 'host' ? 'the lab host' : n);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function addressesOf(i: ObservedInterface): string[] {
  return i.addresses.filter((a) => !isLinkLocal(a) && !(i.kind === 'loopback' && (a.startsWith('127.') || a === '::1/128')));
}

function routesOf(n: ObservedNode, dev?: string): string[] {
  return n.routes
    .filter((r) => !isKernelRoute(r) && (dev === undefined || r.dev === dev))
    .map((r) => `route ${r.dst}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.metric !== undefined ? ` metric ${r.metric}` : ''}${dev === undefined ? '' : ` in ${nodeText(n.name)}`}`);
}

function find(lab: ObservedLab, node: string): ObservedNode | undefined {
  return lab.nodes.find((n) => (node === 'host' ? n.kind === 'host' : n.name === node));
}

/** One veth end's configuration: addresses, bridge port, routes through it. */
function endItems(node: ObservedNode, i: ObservedInterface): string[] {
  const out: string[] = [];
  const at = `${i.name} in ${nodeText(node.name)}`;
  const addrs = addressesOf(i);
  if (addrs.length) out.push(`${addrs.join(', ')} on ${at}`);
  if (i.master) out.push(`${at} as a port of ${i.master}`);
  out.push(...routesOf(node, i.name));
  return out;
}

function nodeItems(lab: ObservedLab, n: ObservedNode, terminals: number): string[] {
  const out: string[] = [];
  for (const i of n.interfaces) {
    const addrs = addressesOf(i);
    if (i.kind === 'veth' && i.peer) {
      const p = i.peer;
      const other = p.node && p.node !== n.name ? find(lab, p.node) : undefined;
      const otherIface = other?.interfaces.find((x) => x.name === p.interface);
      if (p.node === n.name) {
        // Both ends here: listed once, from the end that sorts first.
        if (p.interface !== null && i.name < p.interface) out.push(`the veth pair ${i.name} ↔ ${p.interface}`);
      } else if (other && otherIface) {
        const port = otherIface.master ? `, a port of ${otherIface.master}` : '';
        out.push(`the veth pair ${i.name} ↔ ${otherIface.name} in ${nodeText(other.name)}${port}`);
        const theirs = addressesOf(otherIface);
        if (theirs.length) out.push(`${theirs.join(', ')} on ${otherIface.name} in ${nodeText(other.name)}`);
        out.push(...routesOf(other, otherIface.name));
      } else out.push(`the veth ${i.name} (its peer is outside the lab)`);
    } else if (i.kind === 'bridge') {
      const ports = n.interfaces.filter((x) => x.master === i.name).length;
      out.push(`the bridge ${i.name}${ports ? ` with ${plural(ports, 'port')}` : ''}`);
    } else if (i.kind !== 'loopback') out.push(`the ${i.kind} interface ${i.name}`);
    if (addrs.length) out.push(`${addrs.join(', ')} on ${i.name}`);
  }
  out.push(...routesOf(n));
  if (n.sysctls['net.ipv4.ip_forward'] === '1') out.push('IPv4 forwarding (on)');
  if (terminals > 0) out.push(`${plural(terminals, 'open terminal')} (the shell ends)`);
  return out;
}

/** What deleting `edit`'s target loses, and what undo will do about it. */
export function summarizeDeletion(lab: ObservedLab, edit: Deletion, terminals = 0): DeletionSummary {
  let action: string;
  let items: string[] = [];
  if (edit.kind === 'remove-node') {
    action = `Delete ${edit.name}`;
    const n = find(lab, edit.name);
    if (n) items = nodeItems(lab, n, terminals);
  } else {
    const n = find(lab, edit.node);
    const i = n?.interfaces.find((x) => x.name === edit.interface);
    const peer = i?.kind === 'veth' && i.peer?.node && i.peer.interface ? ` ↔ ${i.peer.node}:${i.peer.interface}` : '';
    action = i?.kind === 'bridge' ? `Delete bridge ${edit.interface}` : i?.kind === 'veth' ? `Delete veth pair ${edit.node}:${edit.interface}${peer}` : `Delete ${edit.interface}`;
    if (n && i) {
      if (i.kind === 'bridge') {
        const ports = n.interfaces.filter((x) => x.master === i.name).map((x) => x.name);
        if (ports.length) items.push(`its ${ports.length === 1 ? 'port' : 'ports'} ${ports.join(', ')} (unplugged, not deleted)`);
        const addrs = addressesOf(i);
        if (addrs.length) items.push(`${addrs.join(', ')} on ${i.name}`);
        items.push(...routesOf(n, i.name));
      } else {
        items = endItems(n, i);
        const p = i.peer;
        const other = p?.node ? find(lab, p.node) : undefined;
        const otherIface = other?.interfaces.find((x) => x.name === p?.interface);
        if (other && otherIface) items.push(...endItems(other, otherIface));
      }
    }
  }
  return { action, title: `${action}?`, items, undo: undoText(lab, edit) };
}

/** What Ctrl+Z will bring back, from the model's own plan of the deletion. */
function undoText(lab: ObservedLab, edit: Deletion): string {
  let lost: string[];
  try {
    lost = planEdit(lab, edit).effects.filter((e) => e.startsWith('undo '));
  } catch {
    return 'The server checks the deletion against the lab as it is now.';
  }
  if (lost.length === 0) return 'Undo (Ctrl+Z) puts it all back.';
  return `Undo (Ctrl+Z) puts back the rest, but: ${lost.map((l) => l.replace(/^undo /, '')).join('; ')}.`;
}

/** True when the deletion throws away configuration worth a question. */
export function needsConfirmation(s: DeletionSummary): boolean {
  return s.items.length > 0;
}
