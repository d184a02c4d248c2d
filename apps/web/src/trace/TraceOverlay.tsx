// The envelope on the graph: a layer inside Cytoscape's container (drawn by the browser, not by
// Cytoscape, so the graph's own rendering is untouched), placed from the nodes' rendered positions
// and moved again on every pan, zoom or drag. Each step's envelope flies from where the previous step
// left it; a bridge's flooded copies fly out together; a red ✕ marks where the packet was dropped.
import { useEffect, useReducer, type JSX } from 'react';
import { createPortal } from 'react-dom';
import type { Core } from 'cytoscape';
import type { Journey, JourneyEvent, ObservedLab } from '@nslab/model';
import { alongWire, copiesAt, placeOnGraph } from './journey-view.ts';

/**
 * The Canvas keeps its Cytoscape instance to itself (it is published on `window` for tests and
 * tools); reading it here spares the canvas a prop it would only pass through.
 */
function currentCy(): Core | null {
  const cy = window.__nslab_cy;
  return cy && !cy.destroyed() ? cy : null;
}

interface Point {
  x: number;
  y: number;
}

function pointOf(cy: Core, lab: ObservedLab | null, node: string, iface: string | undefined, direction: 'in' | 'out' | undefined): Point | null {
  const place = placeOnGraph(lab, node, iface);
  const self = cy.getElementById(place.self);
  if (self.empty()) return null;
  const a = self.renderedPosition();
  if (!place.peer || !direction) return { x: a.x, y: a.y };
  const peer = cy.getElementById(place.peer);
  if (peer.empty() || place.peer === place.self) return { x: a.x, y: a.y };
  const b = peer.renderedPosition();
  const f = alongWire(direction);
  return { x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f };
}

const eventPoint = (cy: Core, lab: ObservedLab | null, e: JourneyEvent) => pointOf(cy, lab, e.at.node, e.at.interface, e.at.direction);

export function TraceOverlay({ journey, index, lab, ms, showDrop = true }: { journey: Journey; index: number; lab: ObservedLab | null; ms: number; showDrop?: boolean }): JSX.Element | null {
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const cy = currentCy();
  useEffect(() => {
    if (!cy) return;
    let frame = 0;
    const later = () => {
      if (!frame) frame = requestAnimationFrame(() => ((frame = 0), redraw()));
    };
    cy.on('viewport resize position', later);
    return () => {
      cy.off('viewport resize position', later);
      cancelAnimationFrame(frame);
    };
  }, [cy]);
  // A new journey whose path is partly out of view: the whole lab is fitted, as the Fit button does
  // (once; the learner's own pan and zoom are theirs afterwards). Fitting the path alone zooms a
  // two-node journey far in.
  useEffect(() => {
    if (!cy) return;
    const ids = new Set<string>([journey.from]);
    for (const e of journey.events) {
      const p = placeOnGraph(lab, e.at.node, e.at.interface);
      ids.add(p.self);
      if (p.peer) ids.add(p.peer);
    }
    const els = cy.collection(cy.nodes().filter((n) => ids.has(n.id())));
    if (els.empty()) return;
    const bb = els.boundingBox({});
    const ext = cy.extent();
    if (bb.x1 < ext.x1 || bb.y1 < ext.y1 || bb.x2 > ext.x2 || bb.y2 > ext.y2) cy.animate({ fit: { eles: cy.elements(), padding: 30 }, duration: 250 });
    // Once per journey.
  }, [cy, journey]);
  if (!cy) return null;
  const events = journey.events;
  const last = index >= events.length - 1;
  const start = pointOf(cy, lab, journey.from, undefined, undefined);
  const shown = index < 0 ? [] : copiesAt(events, index);
  const before = shown.length > 0 && shown[0]! > 0 ? eventPoint(cy, lab, events[shown[0]! - 1]!) : start;
  const envelopes = shown.flatMap((i) => {
    const e = events[i]!;
    const p = eventPoint(cy, lab, e);
    return p ? [{ i, e, p }] : [];
  });
  // Predict mode keeps the ✕ until the learner has said where the packet went from its last sighting.
  const drop = journey.drop && last && showDrop ? pointOf(cy, lab, journey.drop.node, journey.drop.interface, journey.drop.interface ? 'in' : undefined) : null;
  const fly = Math.min(700, Math.round(ms * 0.7));
  return createPortal(
    <div className="trace-layer" aria-hidden data-step={index}>
      {index < 0 && start && <span className="trace-envelope request waiting" style={{ left: start.x, top: start.y }}>✉</span>}
      {envelopes.map(({ i, e, p }) => (
        <span
          key={`${index}:${i}`}
          className={`trace-envelope ${e.leg}${e.flooded ? ' flooded' : ''}`}
          data-at={`${e.at.node}:${e.at.interface}`}
          style={{
            left: p.x,
            top: p.y,
            ['--dx' as string]: `${before ? before.x - p.x : 0}px`,
            ['--dy' as string]: `${before ? before.y - p.y : 0}px`,
            animationDuration: `${fly}ms`,
          }}
        >
          ✉
        </span>
      ))}
      {drop && (
        <span className="trace-drop" data-at={journey.drop!.node} style={{ left: drop.x, top: drop.y }} title="dropped here">
          ✕
        </span>
      )}
    </div>,
    cy.container() ?? document.body,
  );
}
