// What a selected graph id refers to in the observed lab. Pure.
import type { ObservedBridge, ObservedInterface, ObservedLab, ObservedNode } from '@nslab/model';
import { bridgeId, vethId } from './graph/elements.ts';

export type Resolved =
  | { kind: 'node'; node: ObservedNode }
  | { kind: 'bridge'; node: ObservedNode; bridge: ObservedBridge; iface: ObservedInterface | undefined }
  | {
      kind: 'link';
      a: { node: string; interface: string; iface: ObservedInterface | undefined };
      b: { node: string; interface: string; iface: ObservedInterface | undefined };
    };

export function findIface(lab: ObservedLab, node: string, name: string): ObservedInterface | undefined {
  return lab.nodes.find((n) => n.name === node)?.interfaces.find((i) => i.name === name);
}

export function resolve(lab: ObservedLab | null, id: string | null): Resolved | null {
  if (!lab || !id) return null;
  const node = lab.nodes.find((n) => n.name === id);
  if (node) return { kind: 'node', node };
  if (id.startsWith('veth:')) {
    const l = lab.links.find((x) => vethId(x.a, x.b) === id);
    if (!l) return null;
    return {
      kind: 'link',
      a: { ...l.a, iface: findIface(lab, l.a.node, l.a.interface) },
      b: { ...l.b, iface: findIface(lab, l.b.node, l.b.interface) },
    };
  }
  for (const n of lab.nodes) {
    const bridge = lab.bridges.find((b) => b.node === n.name && bridgeId(b.node, b.name) === id);
    if (bridge) return { kind: 'bridge', node: n, bridge, iface: findIface(lab, n.name, bridge.name) };
    const i = n.interfaces.find((x) => x.kind === 'bridge' && bridgeId(n.name, x.name) === id);
    if (i) return { kind: 'bridge', node: n, bridge: { node: n.name, name: i.name, ports: [], fdb: [] }, iface: i };
  }
  return null;
}

/** The graph element that shows an interface: its veth edge, its bridge, or its node. */
export function elementOfIface(lab: ObservedLab, node: string, name: string): string {
  const l = lab.links.find((x) => (x.a.node === node && x.a.interface === name) || (x.b.node === node && x.b.interface === name));
  if (l) return vethId(l.a, l.b);
  const i = findIface(lab, node, name);
  if (i?.kind === 'bridge') return bridgeId(node, name);
  return node;
}
