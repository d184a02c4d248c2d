// The benchmark topology: a star of N namespaces h1..hN on one bridge br0 in the lab host.
// Each hI has a veth eth0 (10.0.x.y/16) whose host-side peer brI is a port of br0.
import { HOST, hostNode, type InterfaceSpec, type NodeSpec, type Topology } from '../packages/model/src/index.ts';

/** Address of host number i (1-based): 10.0.0.1 .. 10.0.0.200, 10.0.1.1 .. (never .0 or .255). */
export function starAddress(i: number): string {
  return `10.0.${Math.floor((i - 1) / 200)}.${((i - 1) % 200) + 1}`;
}

export function starTopology(n: number): Topology {
  const host = hostNode();
  host.interfaces.push({ name: 'br0', kind: 'bridge', addresses: [] });
  const nodes: NodeSpec[] = [host];
  const links: Topology['links'] = [];
  for (let i = 1; i <= n; i++) {
    const port: InterfaceSpec = { name: `br${i}`, kind: 'veth', addresses: [], master: 'br0' };
    host.interfaces.push(port);
    nodes.push({
      name: `h${i}`,
      kind: 'netns',
      interfaces: [{ name: 'eth0', kind: 'veth', addresses: [`${starAddress(i)}/16`] }],
      routes: [],
      sysctls: {},
      exec: [],
    });
    links.push({ a: { node: `h${i}`, interface: 'eth0' }, b: { node: HOST, interface: `br${i}` } });
  }
  return { name: `star-${n}`, nodes, links, requires: [] };
}
