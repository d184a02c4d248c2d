// Whose MAC a bridge learned: the interfaces of the lab that carry it, so the fdb table can say
// "ns1 · int0" next to a bare 02:…:10. Pure.
import type { ObservedLab } from '@nslab/model';

export interface MacOwner {
  node: string;
  iface: string;
}

/**
 * Every interface with that MAC (lower-case compare), the bridge's own node last. A port's own MAC
 * (a local entry) is that port's, though the bridge took the same MAC from it: only the port.
 */
export function macOwners(lab: ObservedLab | null, mac: string, bridgeNode?: string, port?: string): MacOwner[] {
  if (!lab) return [];
  const m = mac.toLowerCase();
  const out: MacOwner[] = [];
  for (const n of lab.nodes) for (const i of n.interfaces) if (i.mac?.toLowerCase() === m) out.push({ node: n.name, iface: i.name });
  const own = out.find((o) => o.node === bridgeNode && o.iface === port);
  if (own) return [own];
  return out.sort((a, b) => Number(a.node === bridgeNode) - Number(b.node === bridgeNode));
}

/** "ns1 · int0", "lab host · br-int0"; several joined; '' when the MAC is no interface of the lab. */
export function macOwnerText(owners: readonly MacOwner[]): string {
  return owners.map((o) => `${o.node === 'host' ? 'lab host' : o.node} · ${o.iface}`).join(', ');
}
