// The layout and the placement of new elements, run headless (Cytoscape without a renderer, same
// styles and element sizes as the page), judged by counting what misleads a reader: node boxes on
// top of each other, and links whose line runs through a node that is not one of their ends.
import cytoscape from 'cytoscape';
import { describe, expect, it } from 'vitest';
import type { Position } from '@nslab/protocol';
import type { ObservedLab } from '@nslab/model';
import { labElements, type EdgeData, type ElementDef, type NodeData } from '../src/graph/elements.ts';
import { arrange, quality } from '../src/graph/layout.ts';
import { boxAt, measure, segmentHitsBox, segmentsCross } from '../src/graph/layout-geometry.ts';
import { placeNew, untangle, type Scene, type SceneNode } from '../src/graph/placement.ts';
import { graphStyle } from '../src/graph/style.ts';
import { bridge3Lab, starLab, treeLab } from './graph-labs.ts';

function headless(lab: ObservedLab): cytoscape.Core {
  return cytoscape({
    headless: true,
    styleEnabled: true,
    style: graphStyle,
    elements: labElements(lab).map((e) => ({ group: e.group, data: { ...e.data }, classes: e.classes })),
  });
}

function laidOut(lab: ObservedLab) {
  const cy = headless(lab);
  arrange(cy.elements());
  return { cy, q: quality(cy.elements()) };
}

describe('layout geometry', () => {
  it('sees a line through a box, and not one that passes beside it', () => {
    const b = boxAt({ x: 100, y: 0 }, 40, 20);
    expect(segmentHitsBox({ x: 0, y: 0 }, { x: 200, y: 0 }, b)).toBe(true);
    expect(segmentHitsBox({ x: 0, y: 30 }, { x: 200, y: 30 }, b)).toBe(false);
    expect(segmentHitsBox({ x: 0, y: 0 }, { x: 60, y: 0 }, b)).toBe(false); // stops short
    expect(segmentHitsBox({ x: 100, y: -50 }, { x: 100, y: 50 }, b)).toBe(true); // upright
  });

  it('counts crossing links but not links that share an end', () => {
    expect(segmentsCross({ x: 0, y: 0 }, { x: 10, y: 10 }, { x: 0, y: 10 }, { x: 10, y: 0 })).toBe(true);
    expect(segmentsCross({ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 0, y: 5 }, { x: 10, y: 5 })).toBe(false);
  });

  it('reads br0, ns1, ns2 in a row as a chain: overlap-free but one crossing', () => {
    const at = (id: string, x: number, parent?: string) => ({ id, box: boxAt({ x, y: 0 }, 76, 36), ...(parent ? { parent } : {}) });
    const host = { id: 'host', box: { x1: -80, y1: -70, x2: 80, y2: 60 } };
    const q = measure([host, at('host:br0', 0, 'host'), at('ns1', 280), at('ns2', 560)], [
      { id: 'a', source: 'ns1', target: 'host:br0' },
      { id: 'b', source: 'ns2', target: 'host:br0' },
    ]);
    // The host frame holds br0 and its links start inside it: neither an overlap nor a crossing.
    expect(q.overlaps).toEqual([]);
    expect(q.crossings).toEqual([{ edge: 'b', node: 'ns1' }]);
  });
});

describe('auto-layout (concentric start, fcose refinement)', () => {
  it('draws the 3-node bridge lab with br0 between its ports, nothing in the way, wider than tall', () => {
    const { cy, q } = laidOut(bridge3Lab());
    expect(q.overlaps).toEqual([]);
    expect(q.crossings).toEqual([]);
    const bb = cy.nodes().boundingBox({ includeLabels: false });
    expect(bb.w).toBeGreaterThan(bb.h);
    // br0 is the hub: it sits between ns1 and ns2, not at one end of a row.
    const x = (id: string) => cy.getElementById(id).position().x;
    expect(Math.min(x('ns1'), x('ns2'))).toBeLessThan(x('host:br0'));
    expect(Math.max(x('ns1'), x('ns2'))).toBeGreaterThan(x('host:br0'));
  });

  it('draws a 30-namespace star around its bridge with no overlaps and no link through a node', () => {
    const { cy, q } = laidOut(starLab(30));
    expect(q.overlaps).toEqual([]);
    expect(q.crossings).toEqual([]);
    expect(q.edgeCrossings).toBe(0);
    // Ports around the hub: every namespace is about as far from br0 as the others.
    const hub = cy.getElementById('host:br0').position();
    const r = cy.nodes('.netns').map((n) => Math.hypot(n.position().x - hub.x, n.position().y - hub.y));
    expect(Math.max(...r) / Math.min(...r)).toBeLessThan(1.5);
  });

  it('draws a tree (a bridge, routers, a bridge inside a router, leaves) with no overlaps and no link through a node', () => {
    const { q } = laidOut(treeLab());
    expect(q.overlaps).toEqual([]);
    expect(q.crossings).toEqual([]);
  });

  it('is deterministic: the same lab is drawn the same way twice', () => {
    const a = laidOut(treeLab()).cy.nodes().map((n) => n.position());
    const b = laidOut(treeLab()).cy.nodes().map((n) => n.position());
    expect(b).toEqual(a);
  });

  it('draws 300 namespaces on one bridge without overlaps or links through nodes', () => {
    const { q } = laidOut(starLab(300));
    expect(q.overlaps).toHaveLength(0);
    expect(q.crossings).toHaveLength(0);
  });
});

// --- placement of elements that appear one by one ------------------------------------------------

/** A scene grown step by step as the canvas does: new nodes placed, new links untangled. */
class Growing {
  nodes = new Map<string, SceneNode>();
  links: [string, string][] = [];
  at = new Map<string, Position>();
  scene(): Scene {
    return { nodes: this.nodes, links: this.links, positions: this.at };
  }
  add(id: string, size: SceneNode = { w: 76, h: 36 }): void {
    this.nodes.set(id, size);
    for (const [k, p] of placeNew([id], this.scene(), { x: 0, y: 0 })) this.at.set(k, p);
  }
  /** A bridge inside `parent`: the canvas puts the first one where the namespace was. */
  addBridge(id: string, parent: string): void {
    const p = this.at.get(parent)!;
    this.nodes.set(id, { w: 72, h: 30, parent });
    this.at.delete(parent);
    this.at.set(id, p);
  }
  link(a: string, b: string): void {
    this.links.push([a, b]);
    for (const [k, p] of untangle([[a, b]], this.scene())) this.at.set(k, p);
  }
  quality() {
    // Frames as the page draws them: the children's box and padding.
    const boxes = [...this.nodes].flatMap(([id, n]) => {
      const kids = [...this.nodes].filter(([, c]) => c.parent === id).map(([k]) => k);
      if (kids.length > 0) {
        const bs = kids.map((k) => boxAt(this.at.get(k)!, this.nodes.get(k)!.w, this.nodes.get(k)!.h));
        return [{ id, box: { x1: Math.min(...bs.map((b) => b.x1)) - 40, y1: Math.min(...bs.map((b) => b.y1)) - 40, x2: Math.max(...bs.map((b) => b.x2)) + 40, y2: Math.max(...bs.map((b) => b.y2)) + 40 } }];
      }
      const p = this.at.get(id);
      return p ? [{ id, box: boxAt(p, n.w, n.h), ...(n.parent ? { parent: n.parent } : {}) }] : [];
    });
    return measure(boxes, this.links.map(([a, b], i) => ({ id: `${i}`, source: a, target: b })));
  }
}

describe('placing new elements', () => {
  it('adding br0, ns1, ns2 and plugging both into br0 does not draw a chain through ns1', () => {
    const g = new Growing();
    g.add('host', { w: 130, h: 56 });
    g.addBridge('host:br0', 'host');
    g.add('ns1');
    g.add('ns2');
    const before = { ...g.at.get('ns1')! };
    g.link('ns1', 'host:br0');
    g.link('ns2', 'host:br0');
    const q = g.quality();
    expect(q.overlaps).toEqual([]);
    expect(q.crossings).toEqual([]);
    expect(g.at.get('ns1')).toEqual(before); // nothing needed moving for the first link
  });

  it('moves a freshly plugged-in namespace whose new link would run through another node, and only that one', () => {
    const g = new Growing();
    for (const id of ['a', 'b', 'c']) g.nodes.set(id, { w: 76, h: 36 });
    g.at.set('a', { x: 0, y: 0 });
    g.at.set('b', { x: 300, y: 0 });
    g.at.set('c', { x: 600, y: 0 });
    g.links.push(['a', 'b']);
    const moves = untangle([['c', 'a']], { ...g.scene(), links: [...g.links, ['c', 'a']] });
    expect([...moves.keys()]).toEqual(['c']);
    g.at.set('c', moves.get('c')!);
    g.links.push(['c', 'a']);
    expect(g.quality().crossings).toEqual([]);
  });

  it('leaves a link alone when both ends have other links (the learner placed them)', () => {
    const g = new Growing();
    for (const id of ['a', 'b', 'c', 'd', 'e']) g.nodes.set(id, { w: 76, h: 36 });
    [[0, 0], [300, 0], [600, 0], [0, 200], [600, 200]].forEach(([x, y], i) => g.at.set('abcde'[i]!, { x: x!, y: y! }));
    const links: [string, string][] = [['a', 'd'], ['c', 'e'], ['a', 'c']];
    expect(untangle([['a', 'c']], { ...g.scene(), links }).size).toBe(0);
  });

  it('grows a 30-namespace star one namespace at a time (added, then plugged in) without overlaps or crossings', () => {
    const g = new Growing();
    g.add('host', { w: 130, h: 56 });
    g.addBridge('host:br0', 'host');
    for (let i = 1; i <= 30; i++) {
      g.add(`h${i}`);
      g.link(`h${i}`, 'host:br0');
    }
    const q = g.quality();
    expect(q.overlaps).toEqual([]);
    expect(q.crossings).toEqual([]);
  });

  it('places namespaces created already wired (a veth typed in a terminal) next to their neighbour', () => {
    const g = new Growing();
    g.add('ns1');
    g.nodes.set('ns2', { w: 76, h: 36 });
    g.links.push(['ns1', 'ns2']);
    const p = placeNew(['ns2'], g.scene()).get('ns2')!;
    const q = g.at.get('ns1')!;
    expect(Math.hypot(p.x - q.x, p.y - q.y)).toBeLessThan(300);
  });

  it('grows a tree of routers and leaves, each leaf created with its veth, without overlaps or crossings', () => {
    const g = new Growing();
    g.add('host', { w: 130, h: 56 });
    g.addBridge('host:br0', 'host');
    for (let r = 1; r <= 3; r++) {
      g.nodes.set(`r${r}`, { w: 76, h: 36 });
      g.links.push([`r${r}`, 'host:br0']);
      for (const [k, p] of placeNew([`r${r}`], g.scene())) g.at.set(k, p);
      for (let l = 1; l <= 3; l++) {
        g.nodes.set(`l${r}${l}`, { w: 76, h: 50 });
        g.links.push([`l${r}${l}`, `r${r}`]);
        for (const [k, p] of placeNew([`l${r}${l}`], g.scene())) g.at.set(k, p);
      }
    }
    const q = g.quality();
    expect(q.overlaps).toEqual([]);
    expect(q.crossings).toEqual([]);
  });

  it('places the elements of a lab with no positions at all without overlaps or crossings (first render fallback)', () => {
    const els: ElementDef[] = labElements(treeLab());
    const nodes = new Map<string, SceneNode>();
    const links: [string, string][] = [];
    for (const e of els) {
      if (e.group === 'nodes') {
        const d = e.data as NodeData;
        nodes.set(d.id, { w: d.w, h: d.h, ...(d.parent ? { parent: d.parent } : {}) });
      } else links.push([(e.data as EdgeData).source, (e.data as EdgeData).target]);
    }
    const frames = new Set([...nodes.values()].map((n) => n.parent).filter((p): p is string => !!p));
    const ids = [...nodes.keys()].filter((id) => !frames.has(id));
    const at = placeNew(ids, { nodes, links, positions: new Map() });
    expect(at.size).toBe(ids.length);
    const g = new Growing();
    g.nodes = nodes;
    g.links = links;
    g.at = at;
    expect(g.quality().overlaps).toEqual([]);
  });
});

describe('placing around frames', () => {
  it('finds no spot for a frame (the lab host around br0): it is drawn around its children', () => {
    const nodes = new Map<string, SceneNode>([
      ['host', { w: 130, h: 56 }],
      ['host:br0', { w: 72, h: 30, parent: 'host' }],
      ['ns1', { w: 76, h: 36 }],
    ]);
    const out = placeNew(['host', 'ns1'], { nodes, links: [['ns1', 'host:br0']], positions: new Map([['host:br0', { x: 0, y: 0 }]]) });
    expect([...out.keys()]).toEqual(['ns1']);
  });
});
