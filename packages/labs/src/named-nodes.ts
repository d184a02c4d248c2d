// The namespaces a step's checks and hints name: what a check must read fresh from the kernel. The
// rest of the lab (a ping's path, where a misplaced interface went, a veth's far end) only explains
// a failure, and may come from a view that netlink events keep fresh (the server's live lab).
import { HOST } from '@nslab/model';
import type { Check, Step } from './format.ts';

/** The nodes one check reads or runs a command in (`host` for the lab host). */
export function checkNodes(c: Check): string[] {
  if ('namespace' in c) return [c.namespace];
  if ('interface' in c) return [c.interface.node];
  if ('address' in c) return [c.address.node];
  if ('peer' in c) return [c.peer.a.node, c.peer.b.node];
  if ('bridgePort' in c) return [c.bridgePort.node ?? HOST];
  if ('fdb' in c) return [c.fdb.node ?? HOST, c.fdb.macOf.node];
  if ('neighbour' in c) return [c.neighbour.node];
  if ('route' in c) return [c.route.node];
  if ('sysctl' in c) return [c.sysctl.node];
  if ('ping' in c) return [c.ping.from];
  if ('iptables' in c) return [c.iptables.node ?? HOST];
  return [c.command.node];
}

/** Every node a step's checks and their hints' conditions name, each once, in order of appearance. */
export function stepNodes(step: Pick<Step, 'checks'>): string[] {
  const out = new Set<string>();
  for (const spec of step.checks) {
    for (const n of checkNodes(spec.check)) out.add(n);
    for (const h of spec.hints) for (const n of checkNodes(h.when)) out.add(n);
  }
  return [...out];
}
