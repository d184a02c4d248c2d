// A journey (form, controls, events beside the hop's headers) needs more height than a terminal:
// asking for a trace grows the dock to half the centre column (the graph keeps the rest and
// all its width), never shrinks it, and leaves it as the learner left it otherwise.
import type { Pane } from '../workspace/usePane.ts';

/** The dock's height for a journey, from the centre column's height (px). */
export function traceDockHeight(column: number): number {
  return Math.round(Math.min(Math.max(300, column * 0.5), column * 0.55));
}

export function roomForTrace(pane: Pane): void {
  // After the open that came with the same ask has been laid out.
  requestAnimationFrame(() => {
    const p = pane.ref.current;
    if (!p || p.isCollapsed()) return;
    const size = p.getSize();
    if (size.asPercentage <= 0) return;
    const column = size.inPixels / (size.asPercentage / 100);
    const want = traceDockHeight(column);
    if (size.inPixels < want) p.resize(want);
  });
}
