// What the learner made of the workspace, remembered per browser: each pane's size in pixels and
// whether it is open, and the dock's chosen tab. Pixels rather than percentages, as VS Code does: a
// side pane keeps its width when the window changes size, and the canvas takes the difference.
// Panes the learner never touched have no entry, so their defaults can still follow the window
// and the lab (a guided lab starts with the outline closed).

export type PaneId = 'outline' | 'side' | 'dock' | 'guide';

export interface PaneMemory {
  /** Size when open, in pixels (width for side panes, height for the dock and the guide). */
  size: number;
  open: boolean;
}

const KEY = 'nslab.workspace.panes';
const DOCK_TAB_KEY = 'nslab.workspace.dockTab';

function readAll(): Partial<Record<PaneId, PaneMemory>> {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(KEY) ?? '{}');
    if (!v || typeof v !== 'object') return {};
    const out: Partial<Record<PaneId, PaneMemory>> = {};
    for (const [k, m] of Object.entries(v as Record<string, unknown>)) {
      const p = m as Partial<PaneMemory> | null;
      // Anything else in storage (an older shape, a hand edit) is ignored, not trusted.
      if (p && typeof p.size === 'number' && Number.isFinite(p.size) && p.size > 0 && typeof p.open === 'boolean') out[k as PaneId] = { size: p.size, open: p.open };
    }
    return out;
  } catch {
    return {};
  }
}

export function recallPane(id: PaneId): PaneMemory | undefined {
  return readAll()[id];
}

export function rememberPane(id: PaneId, m: PaneMemory): void {
  try {
    localStorage.setItem(KEY, JSON.stringify({ ...readAll(), [id]: { size: Math.round(m.size), open: m.open } }));
  } catch {
    /* storage disabled or full: the layout lasts for this page */
  }
}

export type DockTab = 'commands' | 'terminals' | 'captures' | 'trace';
const DOCK_TABS: readonly DockTab[] = ['commands', 'terminals', 'captures', 'trace'];

export function recallDockTab(): DockTab | undefined {
  try {
    const v = localStorage.getItem(DOCK_TAB_KEY);
    return DOCK_TABS.find((t) => t === v);
  } catch {
    return undefined;
  }
}

export function rememberDockTab(tab: DockTab): void {
  try {
    localStorage.setItem(DOCK_TAB_KEY, tab);
  } catch {
    /* as above */
  }
}
