// How the server's guide checks look at a lab: through its live view. A check reads from the kernel
// only the namespaces its step names (and the list of namespaces); the rest of the lab, which only
// explains a failure (a ping's path, where a misplaced interface went), is the live view that
// netlink events keep fresh. A lab of 300 namespaces costs a check what a 3-namespace one does.
import { HOST, type ObservedLab } from '@nslab/model';
import { execInLab, UnknownNodeError } from '@nslab/driver';
import type { LabProbe } from '@nslab/labs';
import type { LiveLab } from './live-lab.ts';

/** A check's commands (a ping, iptables-save) wait this long, as the CLI's do. */
const CHECK_EXEC_TIMEOUT_MS = 15_000;

/**
 * The lab as `nslab inspect` shows it: without the firewall rules the live view keeps (a check or a
 * walk reads the rules it needs itself, now).
 */
function withoutFirewalls(lab: ObservedLab): ObservedLab {
  return { ...lab, nodes: lab.nodes.map(({ iptables: _rules, ...n }) => n) };
}

export function liveProbe(live: LiveLab): LabProbe {
  return {
    async observe(nodes = []) {
      return withoutFirewalls(await live.observe(nodes));
    },
    async exec(node, argv) {
      // Only a node the live view has just listed under a name nslab passes on; nothing else is run.
      const known = live.state.nodes.filter((n) => n.name !== HOST && !n.unsafeName).map((n) => n.name);
      if (node !== HOST && !known.includes(node)) throw new UnknownNodeError(live.name, node, known);
      return execInLab(live.name, node, argv, { timeoutMs: CHECK_EXEC_TIMEOUT_MS, nodeListed: true });
    },
  };
}
