// The veth pairs a guided lab expects by name, read from its own checks: which namespace each end
// is in, its name, and the bridge an end is plugged into. Two readers: the web editor, which
// proposes these names when a learner draws the pair a step asks for, and the checker, which tells
// a pair made under other names (same namespaces, same role) from a pair never made.
import { HOST } from '@nslab/model';
import type { Check, Lab, Step } from './format.ts';

export interface ExpectedEnd {
  node: string;
  name: string;
  /** The bridge (in `node`) this end is to be plugged into, when a check says so. */
  bridge?: string;
}

export interface ExpectedVeth {
  /** The step whose check names this pair. */
  step: string;
  a: ExpectedEnd;
  b: ExpectedEnd;
}

const checksOf = (steps: readonly Step[]): Check[] => steps.flatMap((s) => s.checks.flatMap((c) => [c.check, ...c.hints.map((h) => h.when)]));

/** "node\0name" -> bridge, from bridgePort checks and interface checks with a master. */
function bridgesOf(checks: readonly Check[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of checks) {
    if ('bridgePort' in c) out.set(`${c.bridgePort.node ?? HOST}\0${c.bridgePort.port}`, c.bridgePort.bridge);
    else if ('interface' in c && typeof c.master === 'string') out.set(`${c.interface.node}\0${c.interface.name}`, c.master);
  }
  return out;
}

/**
 * The veth pairs `steps` check by name (peer checks; hints' conditions are not expectations), with
 * the bridge of each end that any step of `lab` plugs in. One entry per pair, first step wins.
 */
export function expectedVeths(steps: readonly Step[], lab?: Pick<Lab, 'steps'>): ExpectedVeth[] {
  const bridges = bridgesOf(checksOf(lab?.steps ?? steps));
  const end = (node: string, name: string): ExpectedEnd => {
    const bridge = bridges.get(`${node}\0${name}`);
    return bridge ? { node, name, bridge } : { node, name };
  };
  const seen = new Set<string>();
  const out: ExpectedVeth[] = [];
  for (const s of steps) {
    for (const { check: c } of s.checks) {
      if (!('peer' in c)) continue;
      const { a, b } = c.peer;
      const key = [`${a.node}\0${a.interface}`, `${b.node}\0${b.interface}`].sort().join('\0\0');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ step: s.id, a: end(a.node, a.interface), b: end(b.node, b.interface) });
    }
  }
  return out;
}

/** The expected end named `name` in `node`, with the other end of its pair. */
export function expectedEnd(veths: readonly ExpectedVeth[], node: string, name: string): { self: ExpectedEnd; other: ExpectedEnd } | undefined {
  for (const v of veths) {
    if (v.a.node === node && v.a.name === name) return { self: v.a, other: v.b };
    if (v.b.node === node && v.b.name === name) return { self: v.b, other: v.a };
  }
  return undefined;
}
