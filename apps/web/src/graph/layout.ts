// Auto-layout: hubs in the middle with what hangs off them around them, then fcose (an established
// force-directed layout with compound support) relaxes the drawing from there.
//
// Why two steps: fcose's own start (a spectral layout) puts every leaf of a star on the same spot,
// since they are alike, and the forces then settle them in layers, the lines to the outer leaves
// running through the inner ones. Starting from Cytoscape's concentric rings (hubs inside, leaves
// outside, each ring spaced for its nodes) and letting fcose refine that start (`randomize: false`)
// keeps the leaves around their hub and is deterministic: the same lab is drawn the same way.
import cytoscape from 'cytoscape';
import fcose, { type FcoseLayoutOptions } from 'cytoscape-fcose';
import { measure, type DrawnNode, type Quality } from './layout-geometry.ts';
import { repair, type Scene, type SceneNode } from './placement.ts';

let registered = false;
function register(): void {
  if (registered) return;
  cytoscape.use(fcose);
  registered = true;
}

/** More room for each retry. */
const ROOM = [1, 1.3, 1.7];

/** Beyond this many nodes the rings are the drawing: fcose's refinement would cost more than the render budget. */
export const REFINE_MAX_NODES = 150;

/** Room along a link for both of its end labels (about 6.2 px per character of the widest line). */
function labelRoom(e: cytoscape.EdgeSingular): number {
  const width = (s: unknown) => Math.max(0, ...String(s ?? '').split('\n').map((l) => [...l].length)) * 6.2;
  return width(e.data('sourceLabel')) + width(e.data('targetLabel')) + 36;
}

/** A hub's links are long enough for its neighbours to sit side by side on one ring around it. */
function hubRoom(e: cytoscape.EdgeSingular): number {
  const degree = Math.max(e.source().degree(false), e.target().degree(false));
  return (degree * 110) / (2 * Math.PI);
}

export function idealLength(e: cytoscape.EdgeSingular): number {
  return Math.max(120, labelRoom(e), hubRoom(e));
}

/**
 * Rings by distance from the middle of the lab, nodes on each ring in depth-first order from it, so
 * every branch keeps to its own sector (a radial tree) and a star's leaves share one ring round the
 * hub. Links to a frame (a namespace holding bridges) count as links to what it holds.
 */
function rings(eles: cytoscape.Collection): { order: string[]; ring: Map<string, number> } {
  const leaves = eles.nodes().filter((n) => n.isChildless());
  const ids = leaves.map((n) => n.id());
  const adj = new Map<string, string[]>(ids.map((id) => [id, []]));
  const inside = (n: cytoscape.NodeSingular): string => (n.isChildless() ? n.id() : inside(n.children().first()));
  const link = (a: string, b: string) => {
    if (a === b) return;
    adj.get(a)?.push(b);
    adj.get(b)?.push(a);
  };
  eles.edges().forEach((e) => link(inside(e.source()), inside(e.target())));
  // Bridges in one namespace belong together.
  leaves.forEach((n) => {
    const sib = n.siblings().filter((x) => x.isChildless());
    if (n.parent().nonempty() && sib.nonempty()) link(n.id(), sib.first().id());
  });
  const bfs = (root: string) => {
    const depth = new Map([[root, 0]]);
    const queue = [root];
    for (let i = 0; i < queue.length; i++) for (const m of adj.get(queue[i]!)!) if (!depth.has(m)) depth.set(m, depth.get(queue[i]!)! + 1) && queue.push(m);
    return depth;
  };
  const ring = new Map<string, number>();
  const order: string[] = [];
  let offset = 0;
  for (const start of ids) {
    if (ring.has(start)) continue;
    const component = [...bfs(start).keys()];
    // The middle: the node with the smallest greatest distance (small labs), or the busiest one.
    let root = component[0]!;
    if (component.length <= REFINE_MAX_NODES) {
      let best = Infinity;
      for (const id of component) {
        const ecc = Math.max(...bfs(id).values()) * 1000 - adj.get(id)!.length;
        if (ecc < best) [best, root] = [ecc, id];
      }
    } else for (const id of component) if (adj.get(id)!.length > adj.get(root)!.length) root = id;
    const depth = bfs(root);
    const seen = new Set<string>();
    const visit = (id: string) => {
      seen.add(id);
      order.push(id);
      ring.set(id, offset + depth.get(id)!);
      for (const m of adj.get(id)!) if (!seen.has(m) && depth.get(m) === depth.get(id)! + 1) visit(m);
    };
    visit(root);
    // Anything the depth-first walk did not reach through a tree link (a second path in a mesh).
    for (const id of component) if (!seen.has(id)) visit(id);
    offset += Math.max(...depth.values()) + 1;
  }
  return { order, ring };
}

function startOptions(ring: ReadonlyMap<string, number>): cytoscape.ConcentricLayoutOptions {
  const outer = Math.max(0, ...ring.values());
  return {
    name: 'concentric',
    fit: false,
    animate: false,
    avoidOverlap: true,
    minNodeSpacing: 30,
    concentric: (n: cytoscape.NodeSingular) => outer - (ring.get(n.id()) ?? outer),
    levelWidth: () => 1,
  } as cytoscape.ConcentricLayoutOptions;
}

function refineOptions(scale: number): FcoseLayoutOptions {
  return {
    name: 'fcose',
    quality: 'proof',
    randomize: false,
    animate: false,
    fit: false,
    nodeDimensionsIncludeLabels: false, // node boxes are already sized to their labels (elements.ts)
    packComponents: false,
    idealEdgeLength: (e: cytoscape.EdgeSingular) => idealLength(e) * scale,
    nodeRepulsion: () => 4500 * scale * scale,
    edgeElasticity: () => 0.45,
    nestingFactor: 0.1,
    gravity: 0.25,
    numIter: 2500,
    tile: true,
    tilingPaddingVertical: 30,
    tilingPaddingHorizontal: 30,
  };
}

/** Screens are wider than tall: a drawing that came out upright is turned a quarter. */
function landscape(nodes: cytoscape.NodeCollection): void {
  const leaves = nodes.filter((n) => n.isChildless());
  const bb = leaves.boundingBox({ includeLabels: false, includeOverlays: false });
  if (bb.h <= bb.w * 1.2) return;
  const cx = (bb.x1 + bb.x2) / 2;
  const cy = (bb.y1 + bb.y2) / 2;
  leaves.positions((n) => {
    const p = n.position();
    return { x: cx + (p.y - cy), y: cy - (p.x - cx) };
  });
}

/** What the drawing of `eles` gets wrong: overlapping nodes, links through nodes, links crossing. */
export function quality(eles: cytoscape.Collection): Quality {
  const nodes: DrawnNode[] = eles.nodes().map((n) => {
    const bb = n.boundingBox({ includeLabels: false, includeOverlays: false });
    const parent = n.parent();
    return { id: n.id(), box: { x1: bb.x1, y1: bb.y1, x2: bb.x2, y2: bb.y2 }, ...(parent.nonempty() ? { parent: parent.first().id() } : {}) };
  });
  return measure(nodes, eles.edges().map((e) => ({ id: e.id(), source: e.source().id(), target: e.target().id() })));
}

/** The drawing of `eles` as placement sees it (sizes from elements.ts, frames from parents). */
export function sceneOf(eles: cytoscape.Collection): Scene {
  const nodes = new Map<string, SceneNode>();
  const positions = new Map<string, cytoscape.Position>();
  eles.nodes().forEach((n) => {
    const parent = n.data('parent') as string | undefined;
    nodes.set(n.id(), { w: Number(n.data('w')) || n.width(), h: Number(n.data('h')) || n.height(), ...(parent !== undefined ? { parent } : {}) });
    if (n.isChildless()) positions.set(n.id(), { ...n.position() });
  });
  const links = eles.edges().map((e) => [e.source().id(), e.target().id()] as const);
  return { nodes, links, positions };
}

const faults = (q: Quality) => q.overlaps.length * 1000 + q.crossings.length * 100 + q.edgeCrossings;

/**
 * Lays out `eles` (nodes and the links between them) in place, synchronously. Compound frames
 * (a namespace around its bridges) follow their children. Forces can settle with a frame on top of
 * a neighbour; then the same deterministic layout is tried with more room, and the drawing with
 * the fewest faults is kept.
 */
export function arrange(eles: cytoscape.Collection): Quality | null {
  register();
  const nodes = eles.nodes();
  const leaves = nodes.filter((n) => n.isChildless());
  if (leaves.empty()) return null;
  const refine = leaves.length <= REFINE_MAX_NODES && eles.edges().nonempty();
  let best: { q: Quality; at: Map<string, cytoscape.Position> } | null = null;
  const { order, ring } = rings(eles);
  // Concentric keeps the collection's order on each ring.
  const cy = leaves.first().cy();
  const start = order.reduce((c, id) => c.union(cy.getElementById(id)), cy.collection());
  for (const scale of refine ? ROOM : [1]) {
    start.layout(startOptions(ring)).run();
    if (refine) eles.layout(refineOptions(scale)).run();
    landscape(nodes);
    let q = quality(eles);
    if (q.overlaps.length + q.crossings.length > 0) {
      // Forces can leave a leaf in the way; placement moves it to the nearest free spot by its neighbour.
      const moves = repair(sceneOf(eles));
      if (moves.size > 0) {
        leaves.positions((n) => moves.get(n.id()) ?? (n as cytoscape.NodeSingular).position());
        q = quality(eles);
      }
    }
    if (!best || faults(q) < faults(best.q)) best = { q, at: new Map(leaves.map((n) => [n.id(), { ...(n as cytoscape.NodeSingular).position() }])) };
    // Links crossing each other can be unavoidable (a mesh); nodes in the way never are.
    if (q.overlaps.length + q.crossings.length === 0) break;
  }
  const at = best!.at;
  leaves.positions((n) => at.get(n.id())!);
  return best!.q;
}
