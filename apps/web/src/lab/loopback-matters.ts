// Where a down lo is worth shouting about. Every fresh namespace has lo down, so an orange badge on
// every node is noise; it matters in the step that teaches it (its checks or hints name that lo,
// or it pings the namespace's own address) and where a diagnosis blamed it. Pure.
import type { ObservedLab } from '@nslab/model';
import type { GuideState } from '../guide/guide-state.ts';

export function loopbackMatters(lab: ObservedLab | null, guide: GuideState | null, diagnosedLoDown?: string): Set<string> {
  const out = new Set<string>();
  if (diagnosedLoDown !== undefined) out.add(diagnosedLoDown);
  const step = guide?.steps.find((s) => s.id === guide.current);
  for (const n of step?.loopback ?? []) out.add(n);
  for (const p of step?.pings ?? []) {
    const from = lab?.nodes.find((n) => n.name === p.from);
    if (p.to === p.from || from?.interfaces.some((i) => i.addresses.some((a) => a.split('/')[0] === p.to))) out.add(p.from);
  }
  return out;
}
