// The canvas look, all in Cytoscape styles keyed by classes from elements.ts, so a state change is
// a class swap and never a React render. Colours match the legend in styles.css.
import type cytoscape from 'cytoscape';
import type { StylesheetJson } from 'cytoscape';

export const COLOURS = {
  up: '#15803d',
  down: '#94a3b8',
  noCarrier: '#c2410c',
  loDown: '#b45309',
  loDownQuiet: '#d4b48c',
  unsafe: '#b91c1c',
  select: '#2563eb',
  text: '#0f172a',
  muted: '#475569',
} as const;

/**
 * How far along an edge its end label sits from the node: half the label's extent in the edge's
 * direction (its width on a level edge, its height on an upright one) plus a gap, so the label clears
 * the node without sliding to the middle of a short upright edge, where the other end's label is.
 */
export function endOffset(label: unknown, dx = 1, dy = 0): number {
  const lines = String(label ?? '').split('\n');
  const width = Math.max(...lines.map((l) => l.length)) * 6.2;
  const height = lines.length * 12.5;
  const len = Math.hypot(dx, dy) || 1;
  return Math.round((Math.abs(dx) / len) * (width / 2) + (Math.abs(dy) / len) * (height / 2) + 12);
}

/** A hub's port labels stand on a ring this far out, so many of them sit side by side, not in a knot. */
export const HUB_MIN_PORTS = 7;
export function portRing(ports: number): number {
  return ports < HUB_MIN_PORTS ? 0 : Math.round((ports * 26) / (2 * Math.PI));
}

/** A label's size across a link going (dx, dy): its height on a level link, its width on an upright one. */
function acrossExtent(label: unknown, dx: number, dy: number): number {
  const lines = String(label ?? '').split('\n');
  const width = Math.max(...lines.map((l) => l.length)) * 6.2;
  const height = lines.length * 12.5;
  const len = Math.hypot(dx, dy) || 1;
  return (Math.abs(dy) / len) * width + (Math.abs(dx) / len) * height;
}

/**
 * The offset of the label at one end of a link going (dx, dy) from that end: clear of the node;
 * when another link leaves the same node `gap` radians away, far enough out that the two labels
 * sit side by side instead of on top of each other; at a hub (a bridge with many ports) out on the
 * ring of port labels. Never past 45% of the link, where the other end's label begins.
 */
export function endOffsetAt(label: unknown, dx: number, dy: number, degree: number, gap = Math.PI): number {
  const own = endOffset(label, dx, dy);
  const apart = gap < Math.PI / 2 ? (acrossExtent(label, dx, dy) + 4) / (2 * Math.sin(Math.max(gap, 0.05) / 2)) : 0;
  const want = Math.max(portRing(degree), apart);
  if (want <= own) return own;
  return Math.max(own, Math.round(Math.min(want, Math.hypot(dx, dy) * 0.45)));
}

/** The smallest angle between the link `e` and another link at `node`. */
function gapAt(node: cytoscape.NodeSingular, e: cytoscape.EdgeSingular, dx: number, dy: number): number {
  const p = node.position();
  const a = Math.atan2(dy, dx);
  let gap = Math.PI;
  node.connectedEdges().forEach((o) => {
    if (o.same(e)) return;
    const q = (o.source().same(node) ? o.target() : o.source()).position();
    let d = Math.abs(Math.atan2(q.y - p.y, q.x - p.x) - a);
    if (d > Math.PI) d = 2 * Math.PI - d;
    if (d < gap) gap = d;
  });
  return gap;
}

/** How much a hovered element's text grows so that it reads at its normal size when zoomed out. */
export function hoverScale(ele: cytoscape.SingularElementArgument): number {
  return ele.hasClass('hover') ? Math.max(1, 1 / ele.cy().zoom()) : 1;
}

function endOffsetOf(e: cytoscape.EdgeSingular, end: 'source' | 'target'): number {
  const s = e.source().position();
  const t = e.target().position();
  const node = end === 'source' ? e.source() : e.target();
  const [dx, dy] = end === 'source' ? [t.x - s.x, t.y - s.y] : [s.x - t.x, s.y - t.y];
  const degree = Number(node.data('links') ?? 1);
  // A hub's ports are spread round it (portRing); elsewhere the neighbouring link decides.
  const gap = degree >= HUB_MIN_PORTS || degree <= 1 ? Math.PI : gapAt(node, e, dx, dy);
  const scale = hoverScale(e);
  return Math.round(endOffsetAt(e.data(end === 'source' ? 'sourceLabel' : 'targetLabel'), dx / scale, dy / scale, degree, gap) * scale);
}

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';

export const graphStyle: StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'font-family': FONT,
      'font-size': 11,
      color: COLOURS.text,
      'text-wrap': 'wrap',
      'text-valign': 'center',
      'text-halign': 'center',
      'min-zoomed-font-size': 5,
      width: 'data(w)',
      height: 'data(h)',
      shape: 'round-rectangle',
      'background-color': '#ffffff',
      'border-width': 1.5,
      'border-color': '#64748b',
    },
  },
  {
    selector: 'node.host',
    style: {
      'background-color': '#eef2ff',
      'border-color': '#6366f1',
      'border-style': 'dashed',
      'border-width': 2,
      color: '#3730a3',
      'font-weight': 'bold',
    },
  },
  {
    // With bridges inside, the lab host is a frame around them, titled at the top.
    selector: 'node.host:parent',
    style: {
      'text-valign': 'top',
      'text-margin-y': -4,
      // Room for the host-side port names inside the frame; the title stays readable over edges.
      padding: '40px',
      'text-background-color': '#eef2ff',
      'text-background-opacity': 1,
      'text-background-padding': '3px',
      'background-opacity': 0.55,
      shape: 'round-rectangle',
    },
  },
  {
    // A namespace holding bridges is a frame too, titled with its name (the bridge would hide a centred one).
    selector: 'node.netns:parent',
    style: {
      'text-valign': 'top',
      'text-margin-y': -4,
      padding: '24px',
      'text-background-color': '#ffffff',
      'text-background-opacity': 1,
      'text-background-padding': '3px',
      shape: 'round-rectangle',
    },
  },
  {
    selector: 'node.bridge',
    style: {
      shape: 'round-rectangle',
      'background-color': '#0f766e',
      color: '#ffffff',
      'font-weight': 'bold',
      'border-width': 3,
      'border-color': COLOURS.up,
    },
  },
  { selector: 'node.bridge.down', style: { 'background-color': '#64748b', 'border-color': COLOURS.down } },
  { selector: 'node.bridge.no-carrier', style: { 'border-color': COLOURS.noCarrier, 'border-style': 'dotted' } },
  { selector: 'node.lo-down', style: { 'border-color': COLOURS.loDown, 'border-style': 'dashed', 'border-width': 2 } },
  // lo is down in every fresh namespace: a faint dotted edge, no text, unless it matters there.
  { selector: 'node.lo-down-quiet', style: { 'border-color': COLOURS.loDownQuiet, 'border-style': 'dotted', 'border-width': 1.5 } },
  { selector: 'node.unsafe', style: { 'border-color': COLOURS.unsafe, 'border-width': 2.5, color: COLOURS.unsafe } },
  {
    selector: 'edge',
    style: {
      width: 2.5,
      'curve-style': 'bezier',
      'line-color': COLOURS.up,
      'font-family': FONT,
      'font-size': 10,
      color: COLOURS.text,
      'text-wrap': 'wrap',
      'source-label': 'data(sourceLabel)',
      'target-label': 'data(targetLabel)',
      // Computed from positions: the canvas refreshes edge styles after a drag or a layout.
      'source-text-offset': (e: cytoscape.EdgeSingular) => endOffsetOf(e, 'source'),
      'target-text-offset': (e: cytoscape.EdgeSingular) => endOffsetOf(e, 'target'),
      'text-background-color': '#ffffff',
      'text-background-opacity': 0.9,
      'text-background-padding': '2px',
      'text-background-shape': 'roundrectangle',
      'min-zoomed-font-size': 6,
    },
  },
  { selector: 'edge.port', style: { 'line-color': COLOURS.up, width: 2 } },
  { selector: 'edge.down', style: { 'line-color': COLOURS.down, 'line-style': 'dashed' } },
  { selector: 'edge.no-carrier', style: { 'line-color': COLOURS.noCarrier, 'line-style': 'dotted' } },
  { selector: 'edge.unsafe', style: { color: COLOURS.unsafe } },
  { selector: 'edge.loop', style: { 'loop-direction': '0deg', 'loop-sweep': '-40deg', 'control-point-step-size': 60 } },
  // Live traffic (data set by the canvas from the counters): wider per decade of bytes/s, rate written along the edge.
  {
    selector: 'edge[traffic > 0]',
    style: {
      width: 'mapData(traffic, 1, 5, 3.5, 10)',
      label: 'data(rate)',
      'font-size': 9,
      'font-weight': 'bold',
      color: '#0369a1',
      // A pill on the line itself: readable over the wire and apart from the end labels.
      'text-background-color': '#e0f2fe',
      'text-background-opacity': 1,
      'text-background-shape': 'roundrectangle',
      'text-background-padding': '2px',
    },
  },
  {
    selector: '.match',
    style: { 'underlay-color': '#facc15', 'underlay-opacity': 0.55, 'underlay-padding': 8, 'underlay-shape': 'round-rectangle' },
  },
  // A diagnosis: a light halo along the walked path, a strong one where it broke (or had to stop).
  { selector: '.diag-path', style: { 'underlay-color': '#60a5fa', 'underlay-opacity': 0.3, 'underlay-padding': 5, 'underlay-shape': 'round-rectangle' } },
  { selector: '.diag-broken', style: { 'underlay-color': '#dc2626', 'underlay-opacity': 0.45, 'underlay-padding': 9, 'underlay-shape': 'round-rectangle' } },
  { selector: 'node.diag-broken', style: { 'border-color': '#dc2626', 'border-width': 3.5, 'border-style': 'solid' } },
  { selector: 'edge.diag-broken', style: { width: 4.5 } },
  { selector: '.diag-unknown', style: { 'underlay-color': '#f59e0b', 'underlay-opacity': 0.45, 'underlay-padding': 9, 'underlay-shape': 'round-rectangle' } },
  // Hovered (see the canvas): labels at least their normal size on screen, over everything else.
  {
    selector: 'node.hover',
    style: { 'min-zoomed-font-size': 0, 'font-size': (n: cytoscape.NodeSingular) => 11 * hoverScale(n), 'z-index': 20, 'text-background-color': '#ffffff', 'text-background-opacity': 0.9, 'text-background-padding': '2px' },
  },
  { selector: 'edge.hover', style: { 'min-zoomed-font-size': 0, 'font-size': (e: cytoscape.EdgeSingular) => 10 * hoverScale(e), 'z-index': 20, 'text-background-opacity': 1 } },
  { selector: 'node:active', style: { 'overlay-opacity': 0.08, 'overlay-padding': 4 } },
  { selector: 'node.sel', style: { 'border-color': COLOURS.select, 'border-width': 3.5, 'border-style': 'solid' } },
  { selector: 'edge.sel', style: { 'line-color': COLOURS.select, width: 4 } },
  { selector: 'node.drop-target', style: { 'border-color': COLOURS.select, 'border-width': 4, 'border-style': 'double' } },
  { selector: 'node.ghost', style: { width: 1, height: 1, 'background-opacity': 0, 'border-width': 0, label: '' } },
  {
    selector: 'edge.ghost',
    style: { 'line-color': COLOURS.select, 'line-style': 'dashed', width: 2, 'source-label': '', 'target-label': '', 'target-arrow-shape': 'triangle', 'target-arrow-color': COLOURS.select },
  },
];
