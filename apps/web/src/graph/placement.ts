// Pure: where to put elements that have no saved position, without moving any that do. A new
// namespace goes next to what it is wired to (so `ip link add` in a terminal grows the picture
// where the learner is looking); a lone one goes beside the rest of the lab.
import type { Position } from '@nslab/protocol';

// Nodes are wider than tall (a name and a line of badges): keep more room sideways.
const GAP_X = 280;
const GAP_Y = 150;

function taken(p: Position, used: readonly Position[]): boolean {
  return used.some((q) => Math.abs(q.x - p.x) < GAP_X * 0.8 && Math.abs(q.y - p.y) < GAP_Y * 0.8);
}

/** The first free spot on rings around `c`. */
function freeSpotNear(c: Position, used: readonly Position[]): Position {
  if (!taken(c, used)) return c;
  for (let ring = 1; ring < 60; ring++) {
    const steps = ring * 8;
    for (let k = 0; k < steps; k++) {
      const a = (2 * Math.PI * k) / steps - Math.PI / 2;
      const p = { x: Math.round(c.x + Math.cos(a) * ring * GAP_X), y: Math.round(c.y + Math.sin(a) * ring * GAP_Y) };
      if (!taken(p, used)) return p;
    }
  }
  return c;
}

/**
 * Positions for `ids` (which have none yet), given the ones that exist and who is wired to whom.
 * `fallback` is where an unconnected element goes when nothing is placed yet (e.g. the viewport centre).
 */
export function placeNew(
  ids: readonly string[],
  neighbours: ReadonlyMap<string, readonly string[]>,
  existing: ReadonlyMap<string, Position>,
  fallback: Position = { x: 0, y: 0 },
): Map<string, Position> {
  const placed = new Map(existing);
  const used = [...existing.values()];
  const out = new Map<string, Position>();
  // Place those with placed neighbours first, so a chain of new elements grows outwards.
  const pending = [...ids];
  for (let guard = 0; pending.length > 0 && guard < ids.length + 1; guard++) {
    for (let i = 0; i < pending.length; ) {
      const id = pending[i]!;
      const near = (neighbours.get(id) ?? []).map((n) => placed.get(n)).filter((p): p is Position => !!p);
      if (near.length === 0 && guard === 0 && pending.length > 1) {
        i++;
        continue;
      }
      let centre: Position;
      if (near.length > 0) {
        centre = { x: near.reduce((s, p) => s + p.x, 0) / near.length, y: near.reduce((s, p) => s + p.y, 0) / near.length + (near.length === 1 ? GAP_Y : 0) };
      } else if (used.length > 0) {
        const ys = used.map((p) => p.y);
        centre = { x: Math.max(...used.map((p) => p.x)) + GAP_X, y: (Math.min(...ys) + Math.max(...ys)) / 2 };
      } else centre = fallback;
      const p = freeSpotNear({ x: Math.round(centre.x), y: Math.round(centre.y) }, used);
      out.set(id, p);
      placed.set(id, p);
      used.push(p);
      pending.splice(i, 1);
    }
  }
  return out;
}
