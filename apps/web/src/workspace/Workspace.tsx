// The lab screen's workspace, laid out so the graph stays the largest thing on screen (VS Code's and
// JupyterLab's split panes): the outline on the left, the graph with one bottom dock (commands,
// terminals, captures as tabs) in the middle, the guide over the inspector on the right. Every pane
// is resizable (react-resizable-panels) and collapsible to a strip; what the learner chooses is kept
// per browser. Side panes keep their width in pixels when the window changes; the graph takes the
// difference, and re-fits itself (graph/Canvas.tsx) whenever its box changes.
import { useEffect, useLayoutEffect, useRef, useState, type JSX, type ReactNode } from 'react';
import { Group, Panel, Separator, type LayoutChangedMeta } from 'react-resizable-panels';
import type { CommandLogEntry } from '@nslab/protocol';
import { BottomDock } from './BottomDock.tsx';
import { useFitDiagrams } from './fit-diagrams.ts';
import { usePane, type Pane } from './usePane.ts';

/** Collapsed side panes leave a strip this wide (px) with their name, to open them again. */
const STRIP = 26;
/** The dock's tab bar: what is left of it when collapsed (px). */
const DOCK_BAR = 30;
/** The guide's own "Hide" leaves its title bar (px). */
const GUIDE_BAR = 36;
const TOPBAR = 44;

export interface WorkspacePanes {
  outline: Pane;
  side: Pane;
  dock: Pane;
  guide: Pane;
}

/** First-visit sizes follow the window: at 1280x720 the graph must still get half the screen. */
export function useWorkspacePanes(): WorkspacePanes {
  const w = globalThis.innerWidth || 1440;
  const h = Math.max(300, (globalThis.innerHeight || 900) - TOPBAR);
  return {
    outline: usePane('outline', { open: w >= 1400, size: 220, collapsedSize: STRIP }),
    side: usePane('side', { open: true, size: w < 1360 ? 300 : 340, collapsedSize: STRIP }),
    dock: usePane('dock', { open: true, size: Math.max(140, Math.round(h * 0.26)), collapsedSize: DOCK_BAR }),
    guide: usePane('guide', { open: true, size: Math.round(h * 0.62), collapsedSize: GUIDE_BAR }),
  };
}

/**
 * Dragging a separator takes the focus (to the page, or the separator); the keyboard goes back to whatever had it before (a terminal
 * being made taller, say). The library handles the pointer itself, so the last element focused
 * before a separator is tracked from focus events.
 */
function useFocusBackAfterDrag(): () => void {
  const before = useRef<HTMLElement | null>(null);
  useEffect(() => {
    const onFocus = (e: FocusEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && t !== document.body && !t.closest?.('[data-separator]')) before.current = t;
    };
    document.addEventListener('focusin', onFocus);
    return () => document.removeEventListener('focusin', onFocus);
  }, []);
  return () =>
    requestAnimationFrame(() => {
      const now = document.activeElement;
      // Not after arrow keys on a focused separator (:focus-visible): that keyboard user stays put.
      const lost = !now || now === document.body || (now instanceof HTMLElement && !!now.closest('[data-separator]') && !now.matches(':focus-visible'));
      if (lost && before.current?.isConnected) before.current.focus({ preventScroll: true });
    });
}

type GuideState = 'absent' | 'open' | 'hidden';

/**
 * The guide panel decides itself whether the lab has a guide and whether it is folded; the pane
 * around it follows what it renders rather than asking the server a second time.
 */
function useGuideState(slot: React.RefObject<HTMLDivElement | null>): GuideState {
  const [state, setState] = useState<GuideState>('absent');
  useLayoutEffect(() => {
    const el = slot.current;
    if (!el) return;
    const read = () => {
      const g = el.querySelector(':scope > .guide-panel');
      setState(!g ? 'absent' : g.classList.contains('collapsed') ? 'hidden' : 'open');
    };
    read();
    const mo = new MutationObserver(read);
    mo.observe(el, { childList: true, subtree: true, attributes: true, attributeFilter: ['class'] });
    return () => mo.disconnect();
  }, [slot]);
  return state;
}

function Strip({ label, onOpen, side }: { label: string; onOpen(): void; side: 'left' | 'right' }): JSX.Element {
  return (
    <button type="button" className={`pane-strip pane-strip-${side}`} onClick={onOpen} aria-label={`Show ${label}`} title={`Show ${label}`}>
      <span aria-hidden>{side === 'left' ? '›' : '‹'}</span>
      <span className="pane-strip-text">{label}</span>
    </button>
  );
}

export interface WorkspaceProps {
  lab: string;
  log: CommandLogEntry[];
  panes: WorkspacePanes;
  outline: ReactNode;
  /** The graph and what floats over it (banners, legend, the diagnosis). */
  canvas: ReactNode;
  inspector: ReactNode;
  /** What the inspector shows, for its title bar (the selection's name). */
  inspectorTitle: string;
  guide: ReactNode;
}

export function Workspace({ lab, log, panes, outline, canvas, inspector, inspectorTitle, guide }: WorkspaceProps): JSX.Element {
  const { outline: outlinePane, side, dock, guide: guidePane } = panes;
  const guideSlot = useRef<HTMLDivElement>(null);
  const sideRef = useRef<HTMLDivElement>(null);
  const guideState = useGuideState(guideSlot);
  useFitDiagrams(sideRef);
  const focusBack = useFocusBackAfterDrag();

  // The guide pane follows the guide: no room when there is none, its title bar when folded.
  useEffect(() => {
    const p = guidePane.ref.current;
    if (!p) return;
    if (guideState === 'open') guidePane.setOpen(true, false);
    else p.collapse();
  }, [guideState, guidePane]);
  // A guided lab is read beside the graph: unless the learner chose otherwise, the outline makes room.
  useEffect(() => {
    if (guideState !== 'absent' && !outlinePane.touched) outlinePane.setOpen(false, false);
  }, [guideState, outlinePane]);

  // Dragging an edge is the learner's choice: remember every pane of that group as it now is.
  const rememberAfterDrag = (group: Pane[]) => (_: unknown, meta: LayoutChangedMeta) => {
    if (!meta.isUserInteraction) return;
    for (const p of group) p.remember();
    focusBack();
  };

  return (
    <Group className="workspace" orientation="horizontal" id="nslab-ws" onLayoutChanged={rememberAfterDrag([outlinePane, side])}>
      <Panel
        id="outline"
        className="ws-pane ws-outline"
        panelRef={outlinePane.ref}
        collapsible
        collapsedSize={STRIP}
        minSize={160}
        maxSize="40%"
        defaultSize={outlinePane.initialSize}
        groupResizeBehavior="preserve-pixel-size"
        onResize={outlinePane.onResize}
      >
        {!outlinePane.open && <Strip label="Outline" side="left" onOpen={() => outlinePane.setOpen(true)} />}
        <div className="ws-pane-body" hidden={!outlinePane.open}>
          <div className="ws-pane-head">
            <h2>Outline</h2>
            <button type="button" className="icon ws-hide" aria-label="Hide the outline" title="Hide the outline (the graph takes its room)" onClick={() => outlinePane.setOpen(false)}>
              «
            </button>
          </div>
          {outline}
        </div>
      </Panel>
      <Separator className="ws-sep ws-sep-v" />
      <Panel id="center" className="ws-center" minSize={320}>
        <Group orientation="vertical" id="nslab-ws-center" onLayoutChanged={rememberAfterDrag([dock])}>
          <Panel id="canvas" className="ws-canvas" minSize={160}>
            {canvas}
          </Panel>
          <Separator className="ws-sep ws-sep-h" aria-label="Resize the dock" />
          <Panel
            id="dock"
            className="ws-dock"
            panelRef={dock.ref}
            collapsible
            collapsedSize={DOCK_BAR}
            minSize={110}
            maxSize="80%"
            defaultSize={dock.initialSize}
            groupResizeBehavior="preserve-pixel-size"
            onResize={dock.onResize}
          >
            <BottomDock lab={lab} log={log} pane={dock} />
          </Panel>
        </Group>
      </Panel>
      <Separator className="ws-sep ws-sep-v" />
      <Panel
        id="side"
        className="ws-pane ws-side"
        panelRef={side.ref}
        collapsible
        collapsedSize={STRIP}
        minSize={240}
        maxSize="50%"
        defaultSize={side.initialSize}
        groupResizeBehavior="preserve-pixel-size"
        onResize={side.onResize}
      >
        {!side.open && <Strip label={guideState === 'absent' ? 'Inspector' : 'Guide · Inspector'} side="right" onOpen={() => side.setOpen(true)} />}
        <div className="ws-pane-body" hidden={!side.open} ref={sideRef}>
          <Group orientation="vertical" id="nslab-ws-side" onLayoutChanged={rememberAfterDrag([guidePane])}>
            <Panel
              id="guide"
              className="ws-guide"
              panelRef={guidePane.ref}
              collapsible
              collapsedSize={guideState === 'hidden' ? GUIDE_BAR : 0}
              minSize={160}
              defaultSize={0}
              disabled={guideState !== 'open'}
              onResize={guidePane.onResize}
            >
              <div className="ws-guide-slot" ref={guideSlot}>
                {guide}
              </div>
            </Panel>
            <Separator className="ws-sep ws-sep-h" disabled={guideState !== 'open'} data-absent={guideState === 'absent' || undefined} />
            <Panel id="inspector" className="ws-inspector" minSize={90}>
              <div className="ws-pane-head">
                <h2>
                  Inspector<span className="ws-pane-sub">{inspectorTitle}</span>
                </h2>
                <button type="button" className="icon ws-hide" aria-label="Hide the side panel" title="Hide the inspector and the guide (the graph takes their room)" onClick={() => side.setOpen(false)}>
                  »
                </button>
              </div>
              <aside className="side-panel" aria-label="Inspector">
                {inspector}
              </aside>
            </Panel>
          </Group>
        </div>
      </Panel>
    </Group>
  );
}

/** The top bar's layout switches (VS Code's): each pane on or off, the graph taking the room. */
export function LayoutToggles({ panes }: { panes: WorkspacePanes }): JSX.Element {
  const item = (p: Pane, label: string, glyph: string) => (
    <button type="button" className={`layout-toggle layout-${p.id}`} aria-pressed={p.open} aria-label={`${label} pane`} title={`${p.open ? 'Hide' : 'Show'} the ${label.toLowerCase()}`} onClick={() => p.toggle()}>
      <span aria-hidden>{glyph}</span>
    </button>
  );
  return (
    <div className="group layout-toggles" aria-label="Layout">
      {item(panes.outline, 'Outline', '◧')}
      {item(panes.dock, 'Dock', '⬓')}
      {item(panes.side, 'Side panel', '◨')}
    </div>
  );
}
