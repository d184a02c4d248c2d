// Pure: the observed lab (+ saved positions) as Cytoscape element definitions, and the difference
// between two such lists. Ids are stable and equal to the server's position keys, so a patch only
// ever touches the elements it names and a position never has to be translated:
//   namespace / lab host  -> its name ("ns1", "host")
//   bridge                -> "<node>:<bridge>" ("host:br0")
//   veth pair             -> "veth:<node>:<if>=<node>:<if>" (ends sorted)
import type { ObservedInterface, ObservedLab, ObservedNode } from '@nslab/model';
import type { Position } from '@nslab/protocol';
import { displayName } from '../names.ts';

export const HOST = 'host';

export interface NodeData {
  id: string;
  label: string;
  kind: 'host' | 'netns' | 'bridge';
  /** The namespace name, or for a bridge the namespace it lives in. */
  node: string;
  /** Bridge name (bridges only). */
  name?: string;
  parent?: string;
  /** Box size for the label (Cytoscape cannot size a node to its text). */
  w: number;
  h: number;
  /** Links drawn to this node: the canvas styles read it per edge end, where counting Cytoscape's edges would cost a collection each time. */
  links: number;
}

export interface EdgeData {
  id: string;
  source: string;
  target: string;
  sourceLabel: string;
  targetLabel: string;
  a: { node: string; interface: string };
  b: { node: string; interface: string };
}

export interface ElementDef {
  group: 'nodes' | 'edges';
  data: NodeData | EdgeData;
  /** Space-separated, sorted: compared as a string by the diff. */
  classes: string;
  position?: Position;
}

export type LinkState = 'up' | 'down' | 'no-carrier';

export const bridgeId = (node: string, name: string) => `${node}:${name}`;
export const endKey = (e: { node: string; interface: string }) => `${e.node}:${e.interface}`;
export function vethId(a: { node: string; interface: string }, b: { node: string; interface: string }): string {
  const [x, y] = [endKey(a), endKey(b)].sort();
  return `veth:${x}=${y}`;
}

/** Admin down beats no carrier: "down" is what the learner set, "no carrier" what the wire says. */
export function ifaceState(i: Pick<ObservedInterface, 'up' | 'carrier'>): LinkState {
  if (!i.up) return 'down';
  if (!i.carrier) return 'no-carrier';
  return 'up';
}

export function linkState(a: ObservedInterface | undefined, b: ObservedInterface | undefined): LinkState {
  const states = [a, b].map((i) => (i ? ifaceState(i) : 'down'));
  if (states.includes('down')) return 'down';
  if (states.includes('no-carrier')) return 'no-carrier';
  return 'up';
}

const MARK: Record<LinkState, string> = { up: '', down: ' ↓down', 'no-carrier': ' ✕no carrier' };

function nameOf(name: string, unsafe?: boolean): string {
  return unsafe ? `⚠ ${displayName(name)}` : name;
}

/** One end of a veth as an edge label: name (state) and its addresses, one per line. */
export function endLabel(i: ObservedInterface | undefined, fallback: string): string {
  if (!i) return fallback;
  // Link-local IPv6 addresses are automatic and the same story on every link: the panel lists them.
  const addrs = i.addresses.filter((a) => !a.toLowerCase().startsWith('fe80:'));
  return [nameOf(i.name, i.unsafeName) + MARK[ifaceState(i)], ...addrs].join('\n');
}

const MAX_BADGES = 4;

/** A box that fits `label` at the canvas font (about 6.5 px per character, 14 px per line). */
export function boxFor(label: string, min: { w: number; h: number }): { w: number; h: number } {
  const lines = label.split('\n');
  const longest = Math.max(...lines.map((l) => [...l].length));
  return { w: Math.max(min.w, Math.min(280, Math.round(longest * 6.6 + 24))), h: Math.max(min.h, 18 + lines.length * 14) };
}

/** Interfaces that are not drawn as an edge or a bridge: shown as a line of badges on their node. */
function badges(n: ObservedNode, drawn: ReadonlySet<string>, loudLo: boolean): string[] {
  const out: string[] = [];
  for (const i of n.interfaces) {
    if (i.kind === 'bridge' || drawn.has(endKey({ node: n.name, interface: i.name }))) continue;
    // Every namespace has a loopback, down until someone brings it up: news only where it matters.
    if (i.kind === 'loopback' && (i.up || !loudLo)) continue;
    const kind = i.kind === 'loopback' || i.name === i.kind ? '' : ` ${i.kind === 'veth' && i.peer?.node === null ? 'veth→outside' : i.kind}`;
    const state = ifaceState(i);
    out.push(`${nameOf(i.name, i.unsafeName)}${kind}${state === 'up' ? '' : state === 'down' ? ' down' : ' no-carrier'}`);
  }
  if (out.length > MAX_BADGES) return [...out.slice(0, MAX_BADGES - 1), `+${out.length - MAX_BADGES + 1} more`];
  return out;
}

function classes(...c: (string | false | undefined)[]): string {
  return c.filter((x): x is string => !!x).sort().join(' ');
}

/** The whole lab as element definitions, nodes first (parents before children), then edges. */
/**
 * `loopbackMatters`: namespaces where a down lo is the point (the step that teaches it, a diagnosis
 * that found it): they get the "lo down" badge and the warning border; elsewhere a faint marker.
 */
export function labElements(lab: ObservedLab, positions: Record<string, Position> = {}, loopbackMatters: ReadonlySet<string> = new Set()): ElementDef[] {
  const nodes = new Map(lab.nodes.map((n) => [n.name, n]));
  const iface = (node: string, name: string) => nodes.get(node)?.interfaces.find((i) => i.name === name);

  // Bridges as the kernel lists them, plus any bridge interface the bridge list missed.
  const bridges = new Map<string, { node: string; name: string }>();
  for (const b of lab.bridges) bridges.set(bridgeId(b.node, b.name), { node: b.node, name: b.name });
  for (const n of lab.nodes) for (const i of n.interfaces) if (i.kind === 'bridge' && !bridges.has(bridgeId(n.name, i.name))) bridges.set(bridgeId(n.name, i.name), { node: n.name, name: i.name });

  const drawn = new Set<string>();
  const edges: ElementDef[] = [];
  const seen = new Set<string>();
  for (const l of lab.links) {
    const id = vethId(l.a, l.b);
    if (seen.has(id) || !nodes.has(l.a.node) || !nodes.has(l.b.node)) continue;
    seen.add(id);
    drawn.add(endKey(l.a));
    drawn.add(endKey(l.b));
    const ia = iface(l.a.node, l.a.interface);
    const ib = iface(l.b.node, l.b.interface);
    // A bridge port's edge ends at the bridge, not at the namespace that holds the port.
    const end = (e: { node: string }, i: ObservedInterface | undefined) =>
      i?.master !== undefined && bridges.has(bridgeId(e.node, i.master)) ? bridgeId(e.node, i.master) : e.node;
    const data: EdgeData = {
      id,
      source: end(l.a, ia),
      target: end(l.b, ib),
      sourceLabel: endLabel(ia, l.a.interface),
      targetLabel: endLabel(ib, l.b.interface),
      a: { ...l.a },
      b: { ...l.b },
    };
    const port = ia?.master !== undefined || ib?.master !== undefined;
    edges.push({
      group: 'edges',
      data,
      classes: classes('veth', linkState(ia, ib), port && 'port', (ia?.unsafeName || ib?.unsafeName) && 'unsafe', data.source === data.target && 'loop'),
    });
  }

  const links = new Map<string, number>();
  for (const e of edges) {
    const d = e.data as EdgeData;
    for (const end of new Set([d.source, d.target])) links.set(end, (links.get(end) ?? 0) + 1);
  }
  const out: ElementDef[] = [];
  const withPos = (id: string, d: Omit<ElementDef, 'position'>): ElementDef => {
    const p = positions[id];
    return p ? { ...d, position: { x: p.x, y: p.y } } : d;
  };
  for (const n of lab.nodes) {
    const host = n.kind === 'host';
    const lo = n.interfaces.find((i) => i.kind === 'loopback');
    const loDown = !!lo && !lo.up;
    const loud = loDown && loopbackMatters.has(n.name);
    const list = badges(n, drawn, loud);
    const title = host ? 'lab host' : nameOf(n.name, n.unsafeName);
    const label = list.length > 0 ? `${title}\n${list.join(' · ')}` : title;
    const data: NodeData = { id: n.name, label, kind: host ? 'host' : 'netns', node: n.name, ...boxFor(label, host ? { w: 130, h: 56 } : { w: 76, h: 36 }), links: links.get(n.name) ?? 0 };
    out.push(withPos(n.name, { group: 'nodes', data, classes: classes(host ? 'host' : 'netns', loud && 'lo-down', loDown && !loud && 'lo-down-quiet', n.unsafeName && 'unsafe') }));
  }
  for (const [id, b] of bridges) {
    if (!nodes.has(b.node)) continue;
    const i = iface(b.node, b.name);
    const label = nameOf(b.name, i?.unsafeName);
    const data: NodeData = { id, label, kind: 'bridge', node: b.node, name: b.name, parent: b.node, ...boxFor(label, { w: 72, h: 30 }), links: links.get(id) ?? 0 };
    out.push(withPos(id, { group: 'nodes', data, classes: classes('bridge', i ? ifaceState(i) : 'down', i?.unsafeName && 'unsafe') }));
  }
  return out.concat(edges);
}

export interface ElementDiff {
  added: ElementDef[];
  removed: string[];
  /** Same id, new data or classes. Positions are never part of a change. */
  changed: ElementDef[];
}

// Cytoscape cannot re-parent or re-attach an element in place; such an element is replaced.
function structural(d: NodeData | EdgeData): string {
  return 'source' in d ? `${d.source}>${d.target}` : `${d.parent ?? ''}`;
}

/** What to do to go from `prev` to `next`, element by element. */
export function diffElements(prev: readonly ElementDef[], next: readonly ElementDef[]): ElementDiff {
  const before = new Map(prev.map((e) => [e.data.id, e]));
  const added: ElementDef[] = [];
  const changed: ElementDef[] = [];
  const removed: string[] = [];
  const nextIds = new Set<string>();
  for (const e of next) {
    nextIds.add(e.data.id);
    const old = before.get(e.data.id);
    if (!old) added.push(e);
    else if (structural(old.data) !== structural(e.data)) {
      removed.push(e.data.id);
      added.push(e);
    } else if (old.classes !== e.classes || JSON.stringify(old.data) !== JSON.stringify(e.data)) {
      const { position: _p, ...rest } = e;
      changed.push(rest);
    }
  }
  for (const e of prev) if (!nextIds.has(e.data.id)) removed.push(e.data.id);
  return { added, removed, changed };
}

/** Element ids that are namespaces or bridges: the things that have positions. */
export function positionKeys(lab: ObservedLab): string[] {
  return labElements(lab).filter((e) => e.group === 'nodes').map((e) => e.data.id);
}
