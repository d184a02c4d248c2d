// Which names to propose for a new veth pair in a guided lab: those of a pair the guide's steps
// name between the same two places, the current step's first, then the other open steps', then
// passed ones' (a pair deleted since). Pure.
import type { GuideVethEnd } from '../api.ts';
import type { GuideState } from './guide-state.ts';

/** One end of the pair being drawn: a namespace (or the lab host), or a bridge in it. */
export interface DrawnEnd {
  node: string;
  bridge?: string;
}

export interface GuidedNames {
  a: string;
  b: string;
  /** 1-based number of the step that names the pair, and its title. */
  step: number;
  title: string;
}

/** Steps in the order their names are preferred: current, other open ones, passed ones. */
function stepOrder(g: GuideState): number[] {
  const idx = g.steps.map((_, i) => i);
  const rank = (i: number) => {
    const s = g.steps[i]!;
    if (s.id === g.current) return 0;
    return g.passed.has(s.id) ? 2 : 1;
  };
  return idx.sort((x, y) => rank(x) - rank(y) || x - y);
}

const fits = (end: DrawnEnd, want: GuideVethEnd) => end.node === want.node;
/** Both ends plugged (or not) as the step wants scores higher than the right namespaces alone. */
const exact = (end: DrawnEnd, want: GuideVethEnd) => (end.bridge ?? null) === (want.bridge ?? null);

function match(g: GuideState, from: DrawnEnd, to: DrawnEnd, taken: (node: string) => ReadonlySet<string>): { names: GuidedNames; score: number } | null {
  let best: { names: GuidedNames; score: number } | null = null;
  for (const [order, i] of stepOrder(g).entries()) {
    const step = g.steps[i]!;
    for (const v of step.veths ?? []) {
      for (const [x, y] of [[v.a, v.b], [v.b, v.a]] as const) {
        if (!fits(from, x) || !fits(to, y)) continue;
        if (taken(from.node).has(x.name) || taken(to.node).has(y.name)) continue;
        if (from.node === to.node && x.name === y.name) continue;
        // Step order first; within a step, the better-fitting pair.
        const score = order * 4 + (exact(from, x) ? 0 : 1) + (exact(to, y) ? 0 : 1);
        if (!best || score < best.score) best = { names: { a: x.name, b: y.name, step: i + 1, title: step.title }, score };
      }
    }
  }
  return best;
}

/**
 * Names for a pair from `from` to `to` that the guide expects, or null. A pair whose names are
 * already taken at either end is skipped: it exists (or its names are in use for something else).
 */
export function guidedVethNames(g: GuideState | null, from: DrawnEnd, to: DrawnEnd, taken: (node: string) => ReadonlySet<string>): GuidedNames | null {
  return g ? (match(g, from, to, taken)?.names ?? null) : null;
}

/**
 * Of `candidates`, the other end the guide expects a pair from `from` to go to (the veth dialog
 * opened from one element only): the best-fitting pair of the most current step.
 */
export function guidedOtherEnd<T extends DrawnEnd>(g: GuideState | null, from: DrawnEnd, candidates: readonly T[], taken: (node: string) => ReadonlySet<string>): T | undefined {
  if (!g) return undefined;
  let best: { end: T; score: number } | undefined;
  for (const c of candidates) {
    const m = match(g, from, c, taken);
    if (m && (!best || m.score < best.score)) best = { end: c, score: m.score };
  }
  return best?.end;
}
