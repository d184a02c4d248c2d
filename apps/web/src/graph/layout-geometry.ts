// Pure geometry for judging a drawing: which node boxes overlap, and which links run through a
// node they do not belong to (the line then reads as passing through that node: "ns1 is between
// br0 and ns2"). Used by placement to pick free spots and by the tests that measure layouts.
import type { Position } from '@nslab/protocol';

export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface DrawnNode {
  id: string;
  box: Box;
  /** The compound node this one is drawn inside (a bridge inside its namespace's frame). */
  parent?: string;
}

export interface DrawnEdge {
  id: string;
  source: string;
  target: string;
}

export const centre = (b: Box): Position => ({ x: (b.x1 + b.x2) / 2, y: (b.y1 + b.y2) / 2 });

export function boxAt(p: Position, w: number, h: number, margin = 0): Box {
  return { x1: p.x - w / 2 - margin, y1: p.y - h / 2 - margin, x2: p.x + w / 2 + margin, y2: p.y + h / 2 + margin };
}

export function boxesOverlap(a: Box, b: Box): boolean {
  return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
}

/** Does the segment p→q pass through the inside of `b` (Liang–Barsky clipping)? */
export function segmentHitsBox(p: Position, q: Position, b: Box): boolean {
  const dx = q.x - p.x;
  const dy = q.y - p.y;
  let t0 = 0;
  let t1 = 1;
  const clip = (num: number, den: number): boolean => {
    // Inside when den * t <= num.
    if (den === 0) return num > 0;
    const t = num / den;
    if (den > 0) {
      if (t < t0) return false;
      if (t < t1) t1 = t;
    } else {
      if (t > t1) return false;
      if (t > t0) t0 = t;
    }
    return true;
  };
  return clip(p.x - b.x1, -dx) && clip(b.x2 - p.x, dx) && clip(p.y - b.y1, -dy) && clip(b.y2 - p.y, dy) && t1 - t0 > 1e-9;
}

function ancestorsOf(nodes: ReadonlyMap<string, DrawnNode>): (id: string) => Set<string> {
  const memo = new Map<string, Set<string>>();
  return (id: string) => {
    let s = memo.get(id);
    if (s) return s;
    s = new Set();
    for (let p = nodes.get(id)?.parent; p !== undefined && !s.has(p); p = nodes.get(p)?.parent) s.add(p);
    memo.set(id, s);
    return s;
  };
}

export interface Quality {
  /** Pairs of node boxes that overlap (a frame and what it holds do not count). */
  overlaps: [string, string][];
  /** Links whose straight line runs through a node box that is neither end nor a frame around an end. */
  crossings: { edge: string; node: string }[];
  /** Pairs of links that cross each other (links sharing an end do not count). */
  edgeCrossings: number;
}

/** Do segments a→b and c→d cross at a point inside both? */
export function segmentsCross(a: Position, b: Position, c: Position, d: Position): boolean {
  const side = (p: Position, q: Position, r: Position) => Math.sign((q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x));
  return side(a, b, c) * side(a, b, d) < 0 && side(c, d, a) * side(c, d, b) < 0;
}

/** Overlapping nodes and node-edge crossings of a drawing; edges are drawn centre to centre. */
export function measure(nodeList: readonly DrawnNode[], edges: readonly DrawnEdge[]): Quality {
  const nodes = new Map(nodeList.map((n) => [n.id, n]));
  const ancestors = ancestorsOf(nodes);
  const related = (a: string, b: string) => a === b || ancestors(a).has(b) || ancestors(b).has(a);
  const overlaps: [string, string][] = [];
  // Sweep along x so 300 nodes cost far less than all pairs.
  const sorted = [...nodeList].sort((a, b) => a.box.x1 - b.box.x1);
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i]!;
    for (let j = i + 1; j < sorted.length && sorted[j]!.box.x1 < a.box.x2; j++) {
      const b = sorted[j]!;
      if (!related(a.id, b.id) && boxesOverlap(a.box, b.box)) overlaps.push([a.id, b.id]);
    }
  }
  const crossings: { edge: string; node: string }[] = [];
  for (const e of edges) {
    const s = nodes.get(e.source);
    const t = nodes.get(e.target);
    if (!s || !t || e.source === e.target) continue;
    const p = centre(s.box);
    const q = centre(t.box);
    const lo = { x: Math.min(p.x, q.x), y: Math.min(p.y, q.y) };
    const hi = { x: Math.max(p.x, q.x), y: Math.max(p.y, q.y) };
    for (const n of nodeList) {
      const b = n.box;
      if (b.x2 < lo.x || b.x1 > hi.x || b.y2 < lo.y || b.y1 > hi.y) continue;
      if (related(n.id, e.source) || related(n.id, e.target)) continue;
      if (segmentHitsBox(p, q, b)) crossings.push({ edge: e.id, node: n.id });
    }
  }
  let edgeCrossings = 0;
  const segs = edges
    .filter((e) => e.source !== e.target && nodes.has(e.source) && nodes.has(e.target))
    .map((e) => ({ e, p: centre(nodes.get(e.source)!.box), q: centre(nodes.get(e.target)!.box) }));
  for (let i = 0; i < segs.length; i++) {
    const a = segs[i]!;
    for (let j = i + 1; j < segs.length; j++) {
      const b = segs[j]!;
      const ends = [a.e.source, a.e.target];
      if (ends.includes(b.e.source) || ends.includes(b.e.target)) continue;
      if (segmentsCross(a.p, a.q, b.p, b.q)) edgeCrossings++;
    }
  }
  return { overlaps, crossings, edgeCrossings };
}
