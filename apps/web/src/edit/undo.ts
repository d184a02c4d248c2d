// Pure: the edits that undo an edit, worked out from the lab as it was just before it. Undo is a
// best effort the learner can read: recreating a deleted veth brings back its names, addresses and
// bridge port, not its counters; a deleted namespace comes back empty.
import type { Edit, ObservedInterface, ObservedLab } from '@nslab/model';
import { HOST } from '../graph/elements.ts';

export interface Undo {
  /** Run in order. */
  edits: Edit[];
  /** Shown on the undo button. */
  label: string;
}

function iface(lab: ObservedLab, node: string, name: string): ObservedInterface | undefined {
  return lab.nodes.find((n) => n.name === node)?.interfaces.find((i) => i.name === name);
}

/** Everything needed to configure `i` again once it exists. */
function restore(node: string, i: ObservedInterface): Edit[] {
  const out: Edit[] = i.addresses
    .filter((a) => !a.toLowerCase().startsWith('fe80:'))
    .map((address) => ({ kind: 'add-address', node, interface: i.name, address }));
  if (i.mtu !== 1500) out.unshift({ kind: 'set-link', node, interface: i.name, mtu: i.mtu });
  return out;
}

/** The inverse of `e` applied to `before`, or null when it cannot be undone by edits. */
export function inverseOf(e: Edit, before: ObservedLab): Undo | null {
  switch (e.kind) {
    case 'add-node':
      return { edits: [{ kind: 'remove-node', name: e.name }], label: `delete ${e.name}` };
    case 'remove-node':
      return { edits: [{ kind: 'add-node', name: e.name }], label: `recreate ${e.name} (empty)` };
    case 'add-bridge':
      return { edits: [{ kind: 'remove-link', node: e.node ?? HOST, interface: e.name }], label: `delete bridge ${e.name}` };
    case 'add-veth':
      return { edits: [{ kind: 'remove-link', node: e.a.node, interface: e.a.interface }], label: `delete ${e.a.interface}` };
    case 'remove-link': {
      const i = iface(before, e.node, e.interface);
      if (!i || i.unsafeName) return null;
      if (i.kind === 'bridge') {
        const ports = before.nodes.find((n) => n.name === e.node)!.interfaces.filter((p) => p.master === i.name && !p.unsafeName);
        return {
          edits: [
            { kind: 'add-bridge', node: e.node, name: i.name },
            ...restore(e.node, i),
            ...ports.map((p): Edit => ({ kind: 'set-link', node: e.node, interface: p.name, master: i.name })),
          ],
          label: `recreate bridge ${i.name}`,
        };
      }
      if (i.kind !== 'veth' || !i.peer?.node || !i.peer.interface) return null;
      const peer = iface(before, i.peer.node, i.peer.interface);
      if (!peer || peer.unsafeName) return null;
      const a = { node: e.node, interface: i.name };
      const b = { node: i.peer.node, interface: peer.name };
      // add-veth can plug only its b end into a bridge: make the bridged end b when one is.
      const [ea, eb, ia, ib] = i.master !== undefined && peer.master === undefined ? [b, a, peer, i] : [a, b, i, peer];
      const edits: Edit[] = [{ kind: 'add-veth', a: ea, b: eb, ...(ib.master !== undefined ? { bridge: ib.master } : {}) }];
      if (ia.master !== undefined) edits.push({ kind: 'set-link', node: ea.node, interface: ea.interface, master: ia.master });
      edits.push(...restore(ea.node, ia), ...restore(eb.node, ib));
      // add-veth brings both ends up; put back an end that was down.
      for (const [end, x] of [[ea, ia], [eb, ib]] as const) if (!x.up) edits.push({ kind: 'set-link', node: end.node, interface: end.interface, up: false });
      return { edits, label: `recreate ${i.name}` };
    }
    case 'set-link': {
      const i = iface(before, e.node, e.interface);
      if (!i) return null;
      const back: Extract<Edit, { kind: 'set-link' }> = { kind: 'set-link', node: e.node, interface: e.interface };
      if (e.up !== undefined && e.up !== i.up) back.up = i.up;
      if (e.mtu !== undefined && e.mtu !== i.mtu) back.mtu = i.mtu;
      if (e.master !== undefined && e.master !== (i.master ?? null)) back.master = i.master ?? null;
      if (e.promisc !== undefined && e.promisc !== i.promisc) back.promisc = i.promisc;
      if (Object.keys(back).length === 3) return null;
      const edits: Edit[] = [back];
      // Taking a link down makes the kernel drop the routes through it.
      if (e.up === false && i.up) {
        const node = before.nodes.find((n) => n.name === e.node);
        for (const r of node?.routes ?? []) {
          if (r.dev === e.interface && r.protocol !== 'kernel' && r.scope !== 'link') {
            edits.push({ kind: 'add-route', node: e.node, route: { to: r.dst, ...(r.via ? { via: r.via } : {}), dev: e.interface, ...(r.metric !== undefined ? { metric: r.metric } : {}) } });
          }
        }
      }
      return { edits, label: `set ${e.interface} back` };
    }
    case 'add-address':
      return { edits: [{ kind: 'remove-address', node: e.node, interface: e.interface, address: e.address }], label: `remove ${e.address}` };
    case 'remove-address':
      return { edits: [{ kind: 'add-address', node: e.node, interface: e.interface, address: e.address }], label: `add ${e.address} back` };
    case 'add-route':
      return { edits: [{ kind: 'remove-route', node: e.node, route: e.route }], label: `remove route to ${e.route.to}` };
    case 'remove-route': {
      // The observed route has what the request may have left out (dev, via) and add-route needs.
      const node = before.nodes.find((n) => n.name === e.node);
      const r = node?.routes.find(
        (x) => x.dst === e.route.to && (e.route.via === undefined || x.via === e.route.via) && (e.route.dev === undefined || x.dev === e.route.dev),
      );
      const route = r
        ? { to: r.dst, ...(r.via ? { via: r.via } : {}), ...(r.dev ? { dev: r.dev } : {}), ...(r.metric !== undefined ? { metric: r.metric } : {}) }
        : e.route;
      if (route.via === undefined && route.dev === undefined) return null;
      return { edits: [{ kind: 'add-route', node: e.node, route }], label: `add route to ${route.to} back` };
    }
    case 'set-sysctl': {
      const old = before.nodes.find((n) => n.name === e.node)?.sysctls[e.key];
      if (old === undefined || old === e.value) return null;
      return { edits: [{ kind: 'set-sysctl', node: e.node, key: e.key, value: old }], label: `set ${e.key} back to ${old}` };
    }
  }
}
