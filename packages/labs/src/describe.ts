// Checks in words, for the step list and for results.
import type { Check } from './format.ts';

/** "node1: " for a bridge outside the lab host, so two hosts' br0 read differently. */
const inNode = (n: string | undefined) => (n && n !== 'host' ? `${n}: ` : '');

export function describeCheck(c: Check): string {
  if ('namespace' in c) return c.absent ? `namespace ${c.namespace} is gone` : `namespace ${c.namespace} exists`;
  if ('interface' in c) {
    const what = `${c.interface.node}:${c.interface.name}`;
    const parts: string[] = [];
    if (c.exists === false) return `${what} does not exist`;
    if (c.kind) parts.push(`is a ${c.kind}`);
    if (c.up !== undefined) parts.push(c.up ? 'is UP' : 'is DOWN');
    if (c.mtu !== undefined) parts.push(`has MTU ${c.mtu}`);
    if (c.master !== undefined) parts.push(c.master === null ? 'is in no bridge' : `is a port of ${c.master}`);
    if (c.promisc !== undefined) parts.push(c.promisc ? 'is in promiscuous mode' : 'is not promiscuous');
    if (c.details) parts.push(`has ${Object.entries(c.details).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    return `${what} ${parts.length ? parts.join(', ') : 'exists'}`;
  }
  if ('address' in c) return `${c.address.node}${c.address.interface ? `:${c.address.interface}` : ''} has address ${c.address.address}`;
  if ('peer' in c) return `${c.peer.a.node}:${c.peer.a.interface} and ${c.peer.b.node}:${c.peer.b.interface} are the two ends of one veth pair`;
  if ('bridgePort' in c) return `${inNode(c.bridgePort.node)}${c.bridgePort.port} is plugged into bridge ${c.bridgePort.bridge}`;
  if ('fdb' in c) return `${inNode(c.fdb.node)}bridge ${c.fdb.bridge} has learned the MAC of ${c.fdb.macOf.node}:${c.fdb.macOf.name}`;
  if ('neighbour' in c) return `${c.neighbour.node} has an ARP/neighbour entry for ${c.neighbour.address}`;
  if ('route' in c) return `${c.route.node} has a route to ${c.route.to}${c.route.via ? ` via ${c.route.via}` : ''}${c.route.dev ? ` dev ${c.route.dev}` : ''}`;
  if ('sysctl' in c) return `${c.sysctl.key} = ${c.sysctl.value} in ${c.sysctl.node}`;
  if ('ping' in c) return `${c.ping.from} ${c.ping.expect === 'failure' ? 'cannot' : 'can'} ping ${c.ping.to}`;
  if ('iptables' in c) return `${c.iptables.node ?? 'host'} has an iptables ${c.iptables.table ?? 'filter'} rule with "${c.iptables.contains}"`;
  return `\`${c.command.run}\` in ${c.command.node} ${c.command.outputContains ? `prints "${c.command.outputContains}"` : `exits ${c.command.exitCode ?? 0}`}`;
}
