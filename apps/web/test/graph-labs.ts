// Observed labs of the shapes the layout has to draw well: a star of N namespaces on one bridge
// (the bench's lab), a tree of routers and leaves, and the 3-node bridge lab.
import type { ObservedInterface, ObservedLab, ObservedNode } from '@nslab/model';
import { bridgeLab, iface, lo, node } from './fixtures.ts';

const peer = (n: string, i: string) => ({ peer: { node: n, interface: i, ifindex: 0 } });

/** N namespaces h1..hN, each eth0 plugged into host:br0 through brI (as bench/star.ts deploys it). */
export function starLab(n: number): ObservedLab {
  const host: ObservedInterface[] = [lo(), iface('br0', { kind: 'bridge' })];
  const nodes: ObservedNode[] = [];
  const links: ObservedLab['links'] = [];
  for (let i = 1; i <= n; i++) {
    host.push(iface(`br${i}`, { master: 'br0', ...peer(`h${i}`, 'eth0') }));
    nodes.push(node(`h${i}`, [lo(), iface('eth0', { addresses: [`10.0.${Math.floor((i - 1) / 200)}.${((i - 1) % 200) + 1}/16`], ...peer('host', `br${i}`) })]));
    links.push({ a: { node: `h${i}`, interface: 'eth0' }, b: { node: 'host', interface: `br${i}` } });
  }
  return { name: `star-${n}`, nodes: [node('host', host), ...nodes], links, bridges: [{ node: 'host', name: 'br0', ports: host.slice(2).map((i) => i.name), fdb: [] }] };
}

/**
 * A tree: routers r1..r3 on host:br0; r1 holds a bridge of its own (br1, a frame inside r1) with
 * three leaves, r2 and r3 reach three leaves each over plain veths.
 */
export function treeLab(): ObservedLab {
  const host: ObservedInterface[] = [lo(), iface('br0', { kind: 'bridge' })];
  const nodes: ObservedNode[] = [];
  const links: ObservedLab['links'] = [];
  const bridges: ObservedLab['bridges'] = [{ node: 'host', name: 'br0', ports: [], fdb: [] }];
  for (let r = 1; r <= 3; r++) {
    const rname = `r${r}`;
    host.push(iface(`up${r}`, { master: 'br0', ...peer(rname, 'up') }));
    bridges[0]!.ports.push(`up${r}`);
    links.push({ a: { node: 'host', interface: `up${r}` }, b: { node: rname, interface: 'up' } });
    const rif: ObservedInterface[] = [lo(), iface('up', { addresses: [`10.0.0.${r}/24`], ...peer('host', `up${r}`) })];
    if (r === 1) {
      rif.push(iface('br1', { kind: 'bridge', addresses: ['10.1.0.1/24'] }));
      bridges.push({ node: rname, name: 'br1', ports: [], fdb: [] });
    }
    for (let l = 1; l <= 3; l++) {
      const leaf = `l${r}${l}`;
      rif.push(iface(`d${l}`, { ...(r === 1 ? { master: 'br1' } : { addresses: [`10.${r}.${l}.1/24`] }), ...peer(leaf, 'eth0') }));
      if (r === 1) bridges[1]!.ports.push(`d${l}`);
      nodes.push(node(leaf, [lo(), iface('eth0', { addresses: [`10.${r}.${l}.2/24`], ...peer(rname, `d${l}`) })]));
      links.push({ a: { node: rname, interface: `d${l}` }, b: { node: leaf, interface: 'eth0' } });
    }
    nodes.push(node(rname, rif));
  }
  return { name: 'tree', nodes: [node('host', host), ...nodes], links, bridges };
}

/** The 3-node bridge lab: ns1 and ns2 plugged into host:br0. */
export const bridge3Lab = bridgeLab;
