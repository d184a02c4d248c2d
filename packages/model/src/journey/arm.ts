// Which namespaces a trace arms: every one in a lab of a few namespaces; in a larger one only those
// the diagnosis walker predicts the probe (and its reply) will cross and the probe's ends, with the
// far ends of their wires, so a packet that goes somewhere unexpected is still seen leaving and
// arriving once. Each armed namespace costs a process chain and ~0.1 s of CPU to arm (bench:trace):
// arming the 6 bystanders of a 10-namespace lab was a third of its trace.
import type { Diagnosis } from '../diagnose.ts';
import type { ObservedLab } from '../observed.ts';

/** Labs with at most this many nodes (lab host included) are armed whole. */
export const ARM_ALL_UP_TO = 6;

export function armedNodes(lab: ObservedLab, d: Diagnosis | undefined, from: string, allUpTo = ARM_ALL_UP_TO): string[] {
  const names = lab.nodes.filter((n) => !n.unsafeName).map((n) => n.name);
  if (names.length <= allUpTo) return names;
  const want = new Set<string>([from]);
  if (d?.target) want.add(d.target.node);
  for (const h of d?.path ?? []) want.add(h.node);
  // One wire further: the peers of every interface of a namespace on the path (not of the lab
  // host, whose bridges may have a port to every namespace of the lab).
  for (const n of [...want]) {
    const node = lab.nodes.find((x) => x.name === n);
    if (node?.kind === 'host') continue;
    for (const i of node?.interfaces ?? []) if (i.peer?.node) want.add(i.peer.node);
  }
  return names.filter((n) => want.has(n));
}
