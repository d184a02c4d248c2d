// Pure: where to put elements that have no saved position, without moving any that do. A new
// namespace goes next to what it is wired to (so `ip link add` in a terminal grows the picture
// where the learner is looking); a lone one goes beside the rest of the lab. Either way the spot is
// free: no box on top of another, no existing link running through it, its own links running
// through nothing. A lone namespace is also kept out of line with the others, so that the link the
// learner draws next (ns2 to br0) does not pass through a third node (ns1) and read as a chain.
import type { Position } from '@nslab/protocol';
import { boxAt, boxesOverlap, centre, segmentHitsBox, type Box } from './layout-geometry.ts';

// Nodes are wider than tall (a name and a line of badges): keep more room sideways.
const GAP_X = 280;
const GAP_Y = 150;
/** Clear space kept around a placed box. */
const MARGIN = 24;
/** A frame (a namespace drawn around its bridges) is its children's box plus this, and a title. */
const FRAME_PAD = 40;
const FRAME_TITLE = 18;
/** Above this many nodes the look-ahead for future links (pairs of nodes) is skipped. */
const LOOKAHEAD_MAX = 80;
const STRICT_RINGS = 8;

export interface SceneNode {
  w: number;
  h: number;
  /** The frame this node is drawn in (a bridge inside its namespace). */
  parent?: string;
}

export interface Scene {
  /** Every node, placed or not. Frames are listed too; their size is derived from their children. */
  nodes: ReadonlyMap<string, SceneNode>;
  /** Links as [end, end] node ids. */
  links: readonly (readonly [string, string])[];
  /** Positions of the nodes drawn so far (frames with children have none of their own). */
  positions: ReadonlyMap<string, Position>;
}

interface SearchContext {
  /** Everything drawn but the node being placed. */
  boxes: { id: string; box: Box }[];
  /** Those it must not overlap (all but its own frame). */
  others: { id: string; box: Box }[];
  /** Links drawn so far that are not its own. */
  segments: [Position, Position][];
  /** Its own links to drawn nodes. */
  mine: { at: Position; ends: string[] }[];
  /** Nodes it may be linked to later. */
  targets: { id: string; box: Box }[];
}

class Drawing {
  readonly at: Map<string, Position>;
  private readonly children = new Map<string, string[]>();
  constructor(private readonly scene: Scene) {
    this.at = new Map(scene.positions);
    for (const [id, n] of scene.nodes) if (n.parent !== undefined) this.children.set(n.parent, [...(this.children.get(n.parent) ?? []), id]);
  }

  private placedChildren(id: string): string[] {
    return (this.children.get(id) ?? []).filter((c) => this.box(c) !== null);
  }

  /** The box a node is drawn in now, or null when it is not drawn yet. */
  box(id: string): Box | null {
    const kids = this.placedChildren(id);
    if (kids.length > 0) {
      const bs = kids.map((k) => this.box(k)!);
      return {
        x1: Math.min(...bs.map((b) => b.x1)) - FRAME_PAD,
        y1: Math.min(...bs.map((b) => b.y1)) - FRAME_PAD - FRAME_TITLE,
        x2: Math.max(...bs.map((b) => b.x2)) + FRAME_PAD,
        y2: Math.max(...bs.map((b) => b.y2)) + FRAME_PAD,
      };
    }
    const p = this.at.get(id);
    const n = this.scene.nodes.get(id);
    return p && n ? boxAt(p, n.w, n.h) : null;
  }

  private readonly ancestorMemo = new Map<string, Set<string>>();
  private ancestors(id: string): Set<string> {
    const known = this.ancestorMemo.get(id);
    if (known) return known;
    const s = new Set<string>();
    this.ancestorMemo.set(id, s);
    for (let p = this.scene.nodes.get(id)?.parent; p !== undefined && !s.has(p); p = this.scene.nodes.get(p)?.parent) s.add(p);
    return s;
  }

  /** The outermost frame around `id` that does not also hold `except`. */
  outermost(id: string, except: string): string {
    let top = id;
    for (const p of this.ancestors(id)) if (!this.related(p, except)) top = p;
    return top;
  }

  related(a: string, b: string): boolean {
    return a === b || this.ancestors(a).has(b) || this.ancestors(b).has(a);
  }

  /** Drawn boxes (frames included), each with its id. */
  boxes(): { id: string; box: Box }[] {
    const out: { id: string; box: Box }[] = [];
    for (const id of this.scene.nodes.keys()) {
      const b = this.box(id);
      if (b) out.push({ id, box: b });
    }
    return out;
  }

  neighbours(id: string): string[] {
    const out: string[] = [];
    for (const [a, b] of this.scene.links) {
      if (a === id && b !== id) out.push(b);
      else if (b === id && a !== id) out.push(a);
    }
    return out;
  }

  /** Does a line from p to q pass through a drawn box other than those of `ends` (and their frames)? */
  blocked(p: Position, q: Position, ends: readonly string[], boxes: readonly { id: string; box: Box }[]): boolean {
    return boxes.some(({ id, box }) => !ends.some((e) => this.related(id, e)) && segmentHitsBox(p, q, box));
  }

  /** Is `p` a good spot for `id`? `strict` adds the look-ahead for links not drawn yet. */
  private fits(id: string, p: Position, strict: boolean, c: SearchContext): boolean {
    const n = this.scene.nodes.get(id)!;
    // A node inside a frame stretches the frame to its box plus the frame's padding.
    const pad = n.parent !== undefined ? FRAME_PAD + MARGIN / 2 : MARGIN;
    const mine = boxAt(p, n.w, n.h, pad);
    if (n.parent !== undefined) mine.y1 -= FRAME_TITLE;
    // Not on top of anything but its own frame.
    if (c.others.some(({ box }) => boxesOverlap(mine, box))) return false;
    // No link drawn so far runs through it.
    const tight = boxAt(p, n.w, n.h, MARGIN / 2);
    if (c.segments.some(([a, b]) => segmentHitsBox(a, b, tight))) return false;
    // Its own links to what is drawn run through nothing else.
    for (const { at, ends } of c.mine) if (this.blocked(p, at, ends, c.boxes)) return false;
    // A link it may get later, to any node drawn so far, would not pass through a third one.
    if (strict && c.boxes.length <= LOOKAHEAD_MAX) {
      for (const { id: other, box } of c.targets) if (this.blocked(p, centre(box), [id, other], c.boxes)) return false;
    }
    return true;
  }

  private context(id: string): SearchContext {
    const boxes = this.boxes().filter((b) => b.id !== id);
    const segments: [Position, Position][] = [];
    for (const [a, b] of this.scene.links) {
      if (a === id || b === id || this.related(a, id) || this.related(b, id)) continue;
      const ba = this.box(a);
      const bb = this.box(b);
      if (ba && bb) segments.push([centre(ba), centre(bb)]);
    }
    const mine = this.neighbours(id).flatMap((other) => {
      const ob = this.box(other);
      return ob ? [{ at: centre(ob), ends: [id, other] }] : [];
    });
    return {
      boxes,
      others: boxes.filter((b) => !this.related(b.id, id)),
      segments,
      mine,
      targets: boxes.filter((b) => !this.related(b.id, id) && this.placedChildren(b.id).length === 0),
    };
  }

  /** The first good spot: `start`, then rings around it, nearest first. */
  spotFor(id: string, start: Position): Position {
    const c = this.context(id);
    // The look-ahead is for a lone node, and worth a short search only: crowded labs fall back to the plain checks.
    for (const strict of c.mine.length === 0 ? [true, false] : [false]) {
      for (let ring = 0; ring < (strict ? STRICT_RINGS : 40); ring++) {
        const steps = Math.max(1, ring * 8);
        for (let k = 0; k < steps; k++) {
          const a = (2 * Math.PI * k) / steps + Math.PI / 2; // below first, then round
          const p = { x: Math.round(start.x + Math.cos(a) * ring * GAP_X * 0.75), y: Math.round(start.y + Math.sin(a) * ring * GAP_Y * 0.75) };
          if (this.fits(id, p, strict, c)) return p;
        }
      }
    }
    return start;
  }

  /** Where a node would like to be: under what it is wired to, or beside the rest. */
  preferred(id: string, fallback: Position): Position {
    const wired = this.neighbours(id).filter((n) => this.box(n) !== null);
    if (wired.length > 0) {
      const cs = wired.map((n) => centre(this.box(n)!));
      const c = { x: cs.reduce((s, p) => s + p.x, 0) / cs.length, y: cs.reduce((s, p) => s + p.y, 0) / cs.length };
      if (wired.length > 1) return c;
      // Just under the neighbour, outside the frame it is drawn in (br0's lab host frame).
      const mine = this.scene.nodes.get(id)!;
      const frame = this.box(this.outermost(wired[0]!, id))!;
      return { x: c.x, y: frame.y2 + MARGIN + GAP_Y / 4 + mine.h / 2 };
    }
    // A bridge with no ports yet goes beside its namespace's other bridges, inside the same frame.
    const parent = this.scene.nodes.get(id)?.parent;
    const frame = parent !== undefined ? this.box(parent) : null;
    if (frame) return { x: frame.x2 - FRAME_PAD + this.scene.nodes.get(id)!.w / 2 + MARGIN, y: (frame.y1 + FRAME_TITLE + frame.y2) / 2 };
    const all = this.boxes().filter((b) => b.id !== id).map((b) => b.box);
    if (all.length === 0) return fallback;
    const x2 = Math.max(...all.map((b) => b.x2));
    const y1 = Math.min(...all.map((b) => b.y1));
    const y2 = Math.max(...all.map((b) => b.y2));
    // Far enough for a link's two end labels and its traffic rate between them.
    return { x: x2 + GAP_X * 0.75, y: (y1 + y2) / 2 };
  }
}

/**
 * Positions for `ids` (which have none yet), given the scene drawn so far. `fallback` is where an
 * unconnected element goes when nothing is drawn yet (e.g. the viewport centre).
 */
export function placeNew(ids: readonly string[], scene: Scene, fallback: Position = { x: 0, y: 0 }): Map<string, Position> {
  const d = new Drawing(scene);
  const out = new Map<string, Position>();
  for (const id of ids) d.at.delete(id);
  // Those wired to something drawn go first, so a chain of new elements grows outwards from it.
  // A frame is drawn around its children: it has no spot of its own to find.
  const frames = new Set([...scene.nodes.values()].map((n) => n.parent).filter((p): p is string => p !== undefined));
  const pending = ids.filter((id) => scene.nodes.has(id) && !frames.has(id));
  while (pending.length > 0) {
    let i = pending.findIndex((id) => d.neighbours(id).some((n) => d.box(n) !== null));
    if (i < 0) i = 0;
    const id = pending.splice(i, 1)[0]!;
    const p = d.spotFor(id, d.preferred(id, fallback));
    d.at.set(id, p);
    out.set(id, p);
  }
  return out;
}

/**
 * New links that run through a node: the end that hangs on this link alone (a namespace just
 * plugged in) moves next to the other end, to a spot where its link is clear. Nodes with other
 * links, and nodes inside a frame, stay where the learner has them. Returns the moves.
 */
export function untangle(links: readonly (readonly [string, string])[], scene: Scene): Map<string, Position> {
  const d = new Drawing(scene);
  const out = new Map<string, Position>();
  const degree = (id: string) => d.neighbours(id).length;
  const movable = (id: string) => {
    const n = scene.nodes.get(id);
    return !!n && n.parent === undefined && d.at.has(id) && degree(id) === 1 && ![...scene.nodes.values()].some((o) => o.parent === id);
  };
  for (const [a, b] of links) {
    const ba = d.box(a);
    const bb = d.box(b);
    if (!ba || !bb || a === b) continue;
    if (!d.blocked(centre(ba), centre(bb), [a, b], d.boxes())) continue;
    const id = [b, a].find(movable);
    if (id === undefined) continue;
    const other = id === a ? b : a;
    d.at.delete(id);
    const p = d.spotFor(id, d.preferred(id, centre(d.box(other)!)));
    d.at.set(id, p);
    out.set(id, p);
  }
  return out;
}

/**
 * After a layout: nodes that overlap another or sit on a link, and that hang on at most one link
 * (a leaf namespace), move to the nearest good spot by their neighbour; when the node in the way
 * cannot move, a leaf end of the link does. Returns the moves.
 */
export function repair(scene: Scene): Map<string, Position> {
  const d = new Drawing(scene);
  const out = new Map<string, Position>();
  const hasChildren = new Set([...scene.nodes.values()].map((n) => n.parent).filter((p): p is string => p !== undefined));
  const movable = (id: string) => {
    const n = scene.nodes.get(id);
    return !!n && n.parent === undefined && !hasChildren.has(id) && d.at.has(id) && d.neighbours(id).length <= 1;
  };
  const move = (id: string) => {
    d.at.delete(id);
    const other = d.neighbours(id)[0];
    const p = d.spotFor(id, d.preferred(id, other !== undefined && d.box(other) ? centre(d.box(other)!) : { x: 0, y: 0 }));
    d.at.set(id, p);
    out.set(id, p);
  };
  // Overlaps first: a leaf on top of something moves off it.
  for (const { id, box } of d.boxes()) {
    if (!movable(id)) continue;
    if (d.boxes().some((o) => o.id !== id && !d.related(o.id, id) && boxesOverlap(box, o.box))) move(id);
  }
  for (const [a, b] of scene.links) {
    const ba = d.box(a);
    const bb = d.box(b);
    if (!ba || !bb || a === b) continue;
    const p = centre(ba);
    const q = centre(bb);
    for (const { id, box } of d.boxes()) {
      if (d.related(id, a) || d.related(id, b) || !segmentHitsBox(p, q, box)) continue;
      const who = [id, b, a].find(movable);
      if (who === undefined) continue;
      move(who);
      if (who !== id) break; // the link itself moved: its other blockers are judged again next time
    }
  }
  return out;
}
