// The topology canvas. Cytoscape is created once; each store update is diffed against the last
// element list and applied inside one cy.batch(), so a patch to one namespace costs one element
// update at 300 namespaces, and nothing on the canvas goes through a React render.
import { useEffect, useRef } from 'react';
import cytoscape, { type Core, type EventObject, type NodeSingular, type Position as CyPosition } from 'cytoscape';
import type { ObservedLab } from '@nslab/model';
import type { Position, ServerMessage } from '@nslab/protocol';
import { api } from '../api.ts';
import type { LabState, LabStore } from '../live/lab-store.ts';
import { formatBytesRate, linkRate, trafficLevel, type Traffic } from '../live/traffic.ts';
import { diffElements, labElements, type EdgeData, type ElementDef, type NodeData } from './elements.ts';
import { arrange } from './layout.ts';
import { placeNew, untangle, type Scene, type SceneNode } from './placement.ts';
import { graphStyle } from './style.ts';
import type { Highlight } from '../diagnose/diagnosis.ts';

export interface CanvasApi {
  fit(): void;
  zoomBy(factor: number): void;
  autoLayout(): void;
  center(id: string): void;
}

export interface CanvasProps {
  store: LabStore;
  lab: string;
  selection: string | null;
  search: string;
  connectMode: boolean;
  onSelect(id: string | null): void;
  onConnect(from: string, to: string): void;
  onOpenTerminal(node: string): void;
  onReady(api: CanvasApi): void;
  /** A diagnosis to show: the walked path, and the broken hop (or where the walk had to stop). */
  highlight?: Highlight | null;
  /** Namespaces where a down lo matters now (the exercise, a diagnosis): drawn loudly there, quietly elsewhere. */
  loopbackMatters?: ReadonlySet<string>;
}

declare global {
  interface Window {
    /** The Cytoscape instance, for end-to-end tests to find where things are drawn. */
    __nslab_cy?: Core;
  }
}

const SAVE_DELAY_MS = 400;
/** A position patch for an element moved here this recently is our own echo (or stale): ignored. */
const ECHO_MS = 3000;
const TRANSIENT = ['sel', 'match', 'drop-target', 'diag-path', 'diag-broken', 'diag-unknown', 'hover'];
/** Fitting a small lab should not blow two nodes up to fill the screen. */
const FIT_MAX_ZOOM = 1.3;

function fitAll(cy: Core, animate: boolean): void {
  const eles = cy.elements().not('.ghost');
  if (eles.empty()) return;
  const done = () => {
    if (cy.zoom() > FIT_MAX_ZOOM) cy.zoom({ level: FIT_MAX_ZOOM, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
  };
  if (!animate) {
    cy.fit(eles, 40);
    done();
    return;
  }
  // Work out the capped viewport first, then animate to it in one move.
  const before = { zoom: cy.zoom(), pan: { ...cy.pan() } };
  cy.fit(eles, 40);
  done();
  const target = { zoom: cy.zoom(), pan: { ...cy.pan() } };
  cy.viewport(before);
  cy.animate(target, { duration: 200 });
}

/**
 * A User Timing measure (`nslab:<name>`) around `fn`: the bench reads where a first render's time goes
 * from the page's performance timeline, with nothing to switch on.
 */
function timed<T>(name: string, fn: () => T): T {
  const start = performance.now();
  try {
    return fn();
  } finally {
    performance.measure(`nslab:${name}`, { start, end: performance.now() });
  }
}

/** Is every node of `ids` inside the visible part of the canvas (or inside `ext`, a part it showed before)? */
function inView(cy: Core, ids: readonly string[], ext: cytoscape.BoundingBox12 = cy.extent()): boolean {
  return ids.every((id) => {
    const bb = cy.getElementById(id).boundingBox();
    return bb.x1 >= ext.x1 && bb.x2 <= ext.x2 && bb.y1 >= ext.y1 && bb.y2 <= ext.y2;
  });
}

/** The lab as placement sees it: sizes and frames from the element list, positions from `at`. */
function sceneOf(els: readonly ElementDef[], at: ReadonlyMap<string, Position>): Scene {
  const nodes = new Map<string, SceneNode>();
  const links: [string, string][] = [];
  for (const e of els) {
    if (e.group === 'edges') {
      const d = e.data as EdgeData;
      links.push([d.source, d.target]);
    } else {
      const d = e.data as NodeData;
      nodes.set(d.id, { w: d.w, h: d.h, ...(d.parent !== undefined ? { parent: d.parent } : {}) });
    }
  }
  return { nodes, links, positions: at };
}

/** Positions worth saving: compound parents are derived from their children. */
function savable(n: NodeSingular): boolean {
  return !n.hasClass('ghost') && !n.isParent();
}

/**
 * Recompute style functions that read positions (end-label offsets): Cytoscape re-evaluates them
 * only when data or classes change. `updateStyle` is public API the typings leave out.
 */
function restyle(eles: cytoscape.EdgeCollection): void {
  (eles as unknown as { updateStyle(): void }).updateStyle();
}

export function Canvas(props: CanvasProps) {
  const container = useRef<HTMLDivElement>(null);
  const cyRef = useRef<Core | null>(null);
  const propsRef = useRef(props);
  propsRef.current = props;
  const connectRef = useRef({ mode: props.connectMode, shift: false });
  const applyRef = useRef<{ applySelection(): void; applySearch(): void; applyConnect(): void; applyHighlight(): void; resync(): void } | null>(null);

  useEffect(() => {
    const el = container.current!;
    const { store, lab } = propsRef.current;
    const cy = cytoscape({
      container: el,
      style: graphStyle,
      elements: [],
      minZoom: 0.05,
      maxZoom: 4,
      autounselectify: true,
      boxSelectionEnabled: false,
    });
    cyRef.current = cy;
    window.__nslab_cy = cy;

    let shown: ElementDef[] = [];
    // The viewport is the canvas's own choice (a fit) until the learner pans or zooms: a box change
    // then fits again whatever the old extent showed.
    let ownView = true;
    const fit = (animate: boolean) => {
      fitAll(cy, animate);
      ownView = true;
    };
    const movedAt = new Map<string, number>();
    const pendingSave = new Set<string>();
    let saveTimer: ReturnType<typeof setTimeout> | null = null;

    const flushSave = () => {
      saveTimer = null;
      const positions: Record<string, Position> = {};
      for (const id of pendingSave) {
        const n = cy.getElementById(id);
        if (n.nonempty() && n.isNode() && savable(n)) {
          const p = n.position();
          positions[id] = { x: Math.round(p.x), y: Math.round(p.y) };
        }
      }
      pendingSave.clear();
      if (Object.keys(positions).length === 0) return;
      // Positions are a convenience: a node deleted meanwhile makes the server refuse the batch, and the next drag saves again.
      api.putPositions(lab, positions).catch(() => undefined);
    };
    const save = (ids: Iterable<string>) => {
      const now = Date.now();
      for (const id of ids) {
        pendingSave.add(id);
        movedAt.set(id, now);
      }
      if (saveTimer) clearTimeout(saveTimer);
      saveTimer = setTimeout(flushSave, SAVE_DELAY_MS);
    };

    const runLayout = () => {
      const eles = cy.elements().not('.ghost');
      if (eles.nodes().empty()) return;
      timed('layout', () => arrange(eles));
      save(eles.nodes().filter(savable).map((n) => n.id()));
      restyle(cy.edges()); // end-label offsets follow the edges' new directions
      timed('fit', () => fit(false));
    };

    const sync = (state: LabState, cause: ServerMessage | null) => {
      const lab = state.lab;
      if (!lab) return;
      if (shown.length === 0) timed('first-sync', () => syncLab(lab, state.positions, cause));
      else syncLab(lab, state.positions, cause);
    };
    const syncLab = (lab: ObservedLab, positions: LabState['positions'], cause: ServerMessage | null) => {
      const next = labElements(lab, positions, propsRef.current.loopbackMatters);
      const diff = diffElements(shown, next);
      const firstRender = shown.length === 0;
      shown = next;
      let placedNew: string[] = [];
      let layoutAll = false;
      const add = performance.now();
      cy.batch(() => {
        for (const id of diff.removed) cy.getElementById(id).remove();
        if (diff.added.length > 0) {
          const unplaced = diff.added.filter((e) => e.group === 'nodes' && !e.position).map((e) => e.data.id);
          const nodeCount = next.filter((e) => e.group === 'nodes').length;
          layoutAll = firstRender ? unplaced.length > 3 && unplaced.length > nodeCount / 2 : false;
          const spots = new Map<string, CyPosition>();
          if (!layoutAll && unplaced.length > 0) {
            const existing = new Map<string, Position>();
            cy.nodes().forEach((n) => {
              if (!n.isParent()) existing.set(n.id(), { ...n.position() });
            });
            for (const e of diff.added) if (e.position) existing.set(e.data.id, e.position);
            // The first bridge in a namespace takes the namespace's place, so its new frame does not jump.
            for (const e of diff.added) {
              const parent = (e.data as NodeData).parent;
              const at = parent !== undefined ? existing.get(parent) : undefined;
              if (!e.position && at && cy.getElementById(parent!).children().empty() && !diff.added.some((o) => o !== e && (o.data as NodeData).parent === parent && spots.has(o.data.id))) {
                spots.set(e.data.id, { ...at });
              }
            }
            const free = unplaced.filter((id) => !spots.has(id));
            const ext = cy.extent();
            const drawn = new Map(existing);
            for (const [id, p] of spots) drawn.set(id, p);
            for (const [id, p] of placeNew(free, sceneOf(next, drawn), { x: (ext.x1 + ext.x2) / 2, y: (ext.y1 + ext.y2) / 2 })) spots.set(id, p);
            placedNew = unplaced;
          }
          // Parents before children, nodes before edges: Cytoscape needs both ends to exist.
          cy.add(
            diff.added.map((e) => ({
              group: e.group,
              data: { ...e.data },
              classes: e.classes,
              ...(e.group === 'nodes' ? { position: { ...(e.position ?? spots.get(e.data.id) ?? { x: 0, y: 0 }) } } : {}),
            })),
          );
        }
        // A link between two drawn nodes that runs through a third: the end that just got plugged in moves beside the other.
        // Not on opening the lab: saved positions are the learner's (or the layout's) choice.
        const wired = diff.added.filter((e) => e.group === 'edges').map((e) => [(e.data as EdgeData).source, (e.data as EdgeData).target] as const);
        if (!layoutAll && !firstRender && wired.length > 0) {
          const at = new Map<string, Position>();
          cy.nodes().forEach((n) => {
            if (!n.isParent() && !n.hasClass('ghost')) at.set(n.id(), { ...n.position() });
          });
          for (const [id, p] of untangle(wired, sceneOf(next, at))) {
            const n = cy.getElementById(id);
            if (n.grabbed()) continue;
            n.position(p);
            placedNew.push(id);
          }
        }
        for (const e of diff.changed) {
          const ele = cy.getElementById(e.data.id);
          const keep = TRANSIENT.filter((c) => ele.hasClass(c));
          ele.data({ ...e.data });
          ele.classes([e.classes, ...keep].join(' '));
        }
        // Moves made in another tab; our own echoes and nodes being dragged here are left alone.
        if (cause?.type === 'patch' && cause.positions) {
          const now = Date.now();
          for (const [id, p] of Object.entries(cause.positions)) {
            const n = cy.getElementById(id);
            if (n.empty() || !n.isNode() || n.grabbed() || n.isParent() || now - (movedAt.get(id) ?? 0) < ECHO_MS) continue;
            const cur = n.position();
            if (cur.x !== p.x || cur.y !== p.y) n.position({ x: p.x, y: p.y });
          }
        }
      });
      if (firstRender) performance.measure('nslab:add', { start: add, end: performance.now() });
      if (layoutAll) runLayout();
      else if (placedNew.length > 0) save(placedNew);
      // Placed or moved nodes (here or in another tab) change their edges' directions.
      if (!layoutAll && (diff.added.length > 0 || (cause?.type === 'patch' && cause.positions))) restyle(cy.edges());
      if (firstRender && !layoutAll) timed('fit', () => fit(false));
      // Something new appeared off screen (a namespace added here, or typed in a terminal): show it.
      else if (!firstRender && diff.added.some((e) => e.group === 'nodes') && !inView(cy, diff.added.filter((e) => e.group === 'nodes').map((e) => e.data.id))) fit(true);
      applySelection();
      applySearch();
      applyHighlight();
    };

    // --- selection and search (classes we own, kept across diffs) --------------------------------
    const applySelection = () => {
      const id = propsRef.current.selection;
      cy.batch(() => {
        cy.$('.sel').removeClass('sel');
        if (id) cy.getElementById(id).addClass('sel');
      });
    };
    const applySearch = () => {
      const q = propsRef.current.search.trim().toLowerCase();
      cy.batch(() => {
        cy.$('.match').removeClass('match');
        if (q) cy.nodes().not('.ghost').filter((n) => String(n.data('label')).split('\n')[0]!.toLowerCase().includes(q) || n.id().toLowerCase().includes(q)).addClass('match');
      });
    };
    const applyHighlight = () => {
      const h = propsRef.current.highlight;
      cy.batch(() => {
        cy.$('.diag-path, .diag-broken, .diag-unknown').removeClass('diag-path diag-broken diag-unknown');
        if (!h) return;
        for (const id of h.path) cy.getElementById(id).addClass('diag-path');
        for (const id of h.broken) cy.getElementById(id).addClass(h.verdict === 'unknown' ? 'diag-unknown' : 'diag-broken');
      });
    };
    applyRef.current = { applySelection, applySearch, applyConnect: () => applyConnect(), applyHighlight, resync: () => sync(store.getState(), null) };

    // --- gestures -------------------------------------------------------------------------------
    cy.on('tap', (evt: EventObject) => {
      if (evt.target === cy) propsRef.current.onSelect(null);
      else if (!evt.target.hasClass('ghost')) propsRef.current.onSelect(evt.target.id());
    });
    cy.on('dbltap', 'node', (evt: EventObject) => {
      const d = evt.target.data() as NodeData;
      if (d.kind === 'netns' || d.kind === 'host') propsRef.current.onOpenTerminal(d.kind === 'host' ? 'host' : d.node);
      else propsRef.current.onOpenTerminal(d.node);
    });
    // Zoomed out, labels are too small to draw: the one under the pointer and its links' end labels show at a readable size.
    cy.on('mouseover', 'node, edge', (evt: EventObject) => {
      const t = evt.target as cytoscape.SingularElementArgument;
      if (t.hasClass('ghost')) return;
      const lit = t.isNode() ? t.union((t as NodeSingular).connectedEdges()) : t.union((t as cytoscape.EdgeSingular).connectedNodes());
      cy.batch(() => {
        cy.$('.hover').removeClass('hover');
        lit.addClass('hover');
      });
    });
    cy.on('mouseout', 'node, edge', () => cy.$('.hover').removeClass('hover'));
    cy.on('dragfree', 'node', (evt: EventObject) => {
      const n = evt.target as NodeSingular;
      const moved = n.union(n.descendants());
      save(moved.filter(savable).map((x) => x.id()));
      restyle(moved.connectedEdges());
    });

    // Drag-to-connect: in connect mode (or with Shift held) nodes stop being draggable and a press
    // on one draws a dashed line that follows the pointer; releasing on another node proposes a veth.
    let drawing: { from: string } | null = null;
    const nodeAt = (p: CyPosition): NodeSingular | null => {
      let best: NodeSingular | null = null;
      let bestArea = Infinity;
      cy.nodes().not('.ghost').forEach((n) => {
        const bb = n.boundingBox({ includeLabels: false, includeOverlays: false });
        if (p.x >= bb.x1 && p.x <= bb.x2 && p.y >= bb.y1 && p.y <= bb.y2 && bb.w * bb.h < bestArea) {
          best = n;
          bestArea = bb.w * bb.h;
        }
      });
      return best;
    };
    const connecting = () => connectRef.current.mode || connectRef.current.shift;
    const applyConnect = () => {
      const on = connecting();
      cy.autoungrabify(on);
      cy.userPanningEnabled(!on);
      el.classList.toggle('connecting', on);
    };
    const endDrawing = () => {
      cy.remove('.ghost');
      cy.$('.drop-target').removeClass('drop-target');
      drawing = null;
    };
    cy.on('tapstart', 'node', (evt: EventObject) => {
      if (!connecting() || evt.target.hasClass('ghost')) return;
      drawing = { from: evt.target.id() };
      cy.add([
        { group: 'nodes', data: { id: '__ghost', label: '', w: 1, h: 1 }, classes: 'ghost', position: { ...evt.position }, grabbable: false, selectable: false },
        { group: 'edges', data: { id: '__ghost_edge', source: drawing.from, target: '__ghost' }, classes: 'ghost' },
      ]);
    });
    cy.on('tapdrag', (evt: EventObject) => {
      if (!drawing) return;
      cy.getElementById('__ghost').position({ ...evt.position });
      const over = nodeAt(evt.position);
      cy.$('.drop-target').removeClass('drop-target');
      if (over && over.id() !== drawing.from) over.addClass('drop-target');
    });
    cy.on('tapend', (evt: EventObject) => {
      if (!drawing) return;
      const from = drawing.from;
      const over = nodeAt(evt.position);
      endDrawing();
      if (over && over.id() !== from) propsRef.current.onConnect(from, over.id());
    });
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Shift') return;
      const down = e.type === 'keydown';
      if (connectRef.current.shift === down) return;
      connectRef.current.shift = down;
      if (!down && drawing) endDrawing();
      applyConnect();
    };
    const onBlur = () => {
      connectRef.current.shift = false;
      applyConnect();
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('keyup', onKey);
    window.addEventListener('blur', onBlur);
    applyConnect();

    // Panes opening, closing or being dragged change the canvas's box. A lab that was wholly in view
    // is fitted again to the new box (a terminal opening must not cut nodes off, closing it must not
    // leave the lab small in a corner); one the learner zoomed into keeps its centre and zoom.
    // What was shown is remembered from the last viewport change: Cytoscape resizes itself on a
    // window resize before this observer's frame, so cy.extent() may already be the new box's.
    let resizeFrame = 0;
    let shownExtent = cy.extent();
    cy.on('viewport', () => {
      shownExtent = cy.extent();
    });
    cy.on('dragpan scrollzoom pinchzoom', () => {
      ownView = false;
    });
    const onBoxChange = () => {
      resizeFrame = 0;
      if (el.clientWidth === 0 || el.clientHeight === 0) return;
      const nodes = cy.nodes().not('.ghost');
      const ext = shownExtent;
      const wholeLab = ownView || nodes.empty() || inView(cy, nodes.map((n) => n.id()), ext);
      const centre = { x: (ext.x1 + ext.x2) / 2, y: (ext.y1 + ext.y2) / 2 };
      cy.resize();
      // A viewport animation under way (a fit asked for the old box) would undo this one.
      cy.stop(true);
      if (wholeLab) fit(false);
      else cy.pan({ x: cy.width() / 2 - centre.x * cy.zoom(), y: cy.height() / 2 - centre.y * cy.zoom() });
      shownExtent = cy.extent();
    };
    const resize = new ResizeObserver(() => {
      if (!resizeFrame) resizeFrame = requestAnimationFrame(onBoxChange);
    });
    resize.observe(el);

    const unsubscribe = store.subscribe(sync);
    sync(store.getState(), null);

    // Live traffic, once a second: only edges whose width level or rate text changed are touched.
    const applyTraffic = (t: Traffic) => {
      cy.batch(() => {
        cy.edges('.veth').forEach((e) => {
          const d = e.data() as EdgeData;
          const bps = linkRate(t.rates, d.a, d.b);
          const traffic = trafficLevel(bps);
          const rate = traffic > 0 ? formatBytesRate(bps) : '';
          if ((e.data('traffic') ?? 0) !== traffic || (e.data('rate') ?? '') !== rate) e.data({ traffic, rate });
        });
      });
    };
    const unsubscribeTraffic = store.subscribeTraffic(applyTraffic);

    propsRef.current.onReady({
      fit: () => fit(true),
      zoomBy: (f) => {
        ownView = false;
        const z = Math.min(cy.maxZoom(), Math.max(cy.minZoom(), cy.zoom() * f));
        cy.animate({ zoom: { level: z, renderedPosition: { x: el.clientWidth / 2, y: el.clientHeight / 2 } }, duration: 120 });
      },
      autoLayout: runLayout,
      center: (id) => {
        const ele = cy.getElementById(id);
        // Already in view: selecting it is enough; moving the graph would only lose the rest of it.
        if (ele.empty() || inView(cy, [id])) return;
        ownView = false;
        cy.animate({ center: { eles: ele }, zoom: Math.max(cy.zoom(), 0.9), duration: 250 });
      },
    });

    return () => {
      unsubscribe();
      unsubscribeTraffic();
      resize.disconnect();
      cancelAnimationFrame(resizeFrame);
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('keyup', onKey);
      window.removeEventListener('blur', onBlur);
      if (saveTimer) {
        clearTimeout(saveTimer);
        flushSave();
      }
      if (window.__nslab_cy === cy) delete window.__nslab_cy;
      cy.destroy();
      cyRef.current = null;
    };
  }, []);

  useEffect(() => applyRef.current?.applySelection(), [props.selection]);
  useEffect(() => applyRef.current?.applySearch(), [props.search]);
  useEffect(() => applyRef.current?.applyHighlight(), [props.highlight]);
  const loopbackKey = [...(props.loopbackMatters ?? [])].sort().join('\u0000');
  useEffect(() => applyRef.current?.resync(), [loopbackKey]);
  useEffect(() => {
    connectRef.current.mode = props.connectMode;
    applyRef.current?.applyConnect();
  }, [props.connectMode]);

  return <div ref={container} className="canvas" role="img" aria-label="Topology graph; the outline lists the same elements" />;
}
