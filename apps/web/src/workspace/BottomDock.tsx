// The one bottom dock: Commands, Terminals and Captures as tabs of a single resizable pane (VS Code's
// panel), instead of three strips stacked under the graph. Every tab stays mounted and only the
// chosen one is visible, so shells, their screens and live capture lines keep running behind it.
// Opening a terminal or asking for a capture brings its tab forward and opens the dock. The chosen
// tab's own row of tabs (one per shell, one per capture) sits in the dock's bar, right of the three
// tabs, so a terminal gets that row's height back (--dock-tabs-w, measured here, places it).
import { useEffect, useLayoutEffect, useRef, useState, type JSX, type KeyboardEvent } from 'react';
import type { CommandLogEntry } from '@nslab/protocol';
import { CommandLog } from '../log/CommandLog.tsx';
import { TerminalDock } from '../terminal/TerminalDock.tsx';
import { CaptureDock } from '../capture/CaptureDock.tsx';
import { useLabTerminals } from '../terminal/terminal-store.ts';
import { useLabCaptures } from '../capture/capture-store.ts';
import { TracePanel } from '../trace/TracePanel.tsx';
import { useTrace } from '../trace/trace-store.ts';
import { roomForTrace } from '../trace/dock-room.ts';
import { recallDockTab, rememberDockTab, type DockTab } from './pane-memory.ts';
import type { Pane } from './usePane.ts';

const TABS: { id: DockTab; title: string }[] = [
  { id: 'commands', title: 'Commands' },
  { id: 'terminals', title: 'Terminals' },
  { id: 'captures', title: 'Captures' },
  { id: 'trace', title: 'Trace' },
];

export function BottomDock({ lab, log, pane }: { lab: string; log: CommandLogEntry[]; pane: Pane }): JSX.Element {
  const terms = useLabTerminals(lab);
  const caps = useLabCaptures(lab);
  const trace = useTrace(lab);
  const [tab, setTabState] = useState<DockTab>(() => recallDockTab() ?? (terms.terminals.length > 0 ? 'terminals' : 'commands'));
  const setTab = (t: DockTab) => {
    setTabState(t);
    rememberDockTab(t);
  };
  const show = (t: DockTab) => {
    setTab(t);
    pane.setOpen(true, false);
  };

  // A terminal opened (double-click, inspector, a guide's button) or focused, or "Capture…" pressed
  // in the inspector: that tab comes forward in this very render, so the terminal's own effect
  // (which focuses it) finds it visible.
  const [seen, setSeen] = useState({ focus: terms.focusRequest, target: caps.target, trace: trace.ask?.n });
  let wanted: DockTab | null = null;
  if (seen.focus !== terms.focusRequest || seen.target !== caps.target || seen.trace !== trace.ask?.n) {
    if (seen.focus !== terms.focusRequest) wanted = 'terminals';
    else if (caps.target && seen.target !== caps.target) wanted = 'captures';
    else if (trace.ask && seen.trace !== trace.ask.n) wanted = 'trace';
    setSeen({ focus: terms.focusRequest, target: caps.target, trace: trace.ask?.n });
    if (wanted && wanted !== tab) setTabState(wanted);
  }
  const [bring, setBring] = useState(0);
  if (wanted) setBring((n) => n + 1);
  useEffect(() => {
    if (bring === 0) return;
    rememberDockTab(tab);
    pane.setOpen(true, false);
    // A journey needs more than a terminal's height: the dock grows to it (the graph keeps its width).
    if (tab === 'trace') roomForTrace(pane);
    // Only when something asked to be shown.
  }, [bring]);

  const dockRef = useRef<HTMLElement>(null);
  const tabsRef = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const tabs = tabsRef.current!;
    const put = () => dockRef.current?.style.setProperty('--dock-tabs-w', `${Math.ceil(tabs.getBoundingClientRect().width)}px`);
    put();
    const ro = new ResizeObserver(put);
    ro.observe(tabs);
    return () => ro.disconnect();
  }, []);

  const failed = log.filter((e) => !e.ok).length;
  const running = caps.tabs.some((t) => t.info.state === 'running');
  const count: Record<DockTab, string> = {
    commands: String(log.length),
    terminals: String(terms.terminals.length),
    captures: String(caps.tabs.length),
    trace: trace.running ? '…' : trace.journey ? String(trace.journey.events.length) : '',
  };
  const title = TABS.find((t) => t.id === tab)!.title.toLowerCase();
  const onTabKey = (e: KeyboardEvent, i: number) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const next = TABS[(i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length]!;
    setTab(next.id);
    (e.currentTarget.parentElement?.querySelector(`[data-dock-tab="${next.id}"]`) as HTMLElement | null)?.focus();
  };

  return (
    <section className="bottom-dock" ref={dockRef} data-open={pane.open} aria-label="Dock">
      <div className="bottom-dock-bar">
        <div className="bottom-dock-tabs" role="tablist" aria-label="Dock tabs" ref={tabsRef}>
          {TABS.map((t, i) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`dock-tab-${t.id}`}
              data-dock-tab={t.id}
              aria-selected={t.id === tab}
              aria-controls={`dock-panel-${t.id}`}
              tabIndex={t.id === tab ? 0 : -1}
              onClick={() => (t.id === tab && !pane.open ? pane.setOpen(true) : show(t.id))}
              onKeyDown={(e) => onTabKey(e, i)}
            >
              {t.title}
              {count[t.id] !== '' && <span className="bottom-dock-count">{count[t.id]}</span>}
              {t.id === 'commands' && failed > 0 && (
                <span className="bottom-dock-failed" title={`${failed} failed`}>
                  {failed} failed
                </span>
              )}
              {t.id === 'captures' && running && <span className="bottom-dock-live" role="img" aria-label="capturing" />}
            </button>
          ))}
        </div>
        <span className="spacer" />
        <button
          type="button"
          className="bottom-dock-toggle"
          aria-expanded={pane.open}
          aria-label={pane.open ? `Hide ${title}` : `Show ${title}`}
          title={pane.open ? 'Hide the dock (the graph takes its room)' : 'Show the dock'}
          onClick={() => pane.toggle()}
        >
          {pane.open ? '▾' : '▴'}
        </button>
      </div>
      <div className="bottom-dock-body" hidden={!pane.open}>
        <div className="bottom-dock-panel" role="tabpanel" id="dock-panel-commands" aria-labelledby="dock-tab-commands" data-active={tab === 'commands'} inert={tab !== 'commands'}>
          {/* Rendered only while shown: a 300-namespace deploy's log rows were a third of opening the lab. */}
          {pane.open && tab === 'commands' && <CommandLog lab={lab} log={log} />}
        </div>
        <div className="bottom-dock-panel" role="tabpanel" id="dock-panel-terminals" aria-labelledby="dock-tab-terminals" data-active={tab === 'terminals'} inert={tab !== 'terminals'}>
          <TerminalDock lab={lab} docked />
        </div>
        <div className="bottom-dock-panel" role="tabpanel" id="dock-panel-captures" aria-labelledby="dock-tab-captures" data-active={tab === 'captures'} inert={tab !== 'captures'}>
          <CaptureDock lab={lab} />
          {caps.tabs.length === 0 && !caps.target && (
            <p className="bottom-dock-empty">
              No captures yet. Select a namespace or a veth pair, then press <strong>Capture…</strong> beside an interface in the inspector.
            </p>
          )}
        </div>
        <div className="bottom-dock-panel" role="tabpanel" id="dock-panel-trace" aria-labelledby="dock-tab-trace" data-active={tab === 'trace'} inert={tab !== 'trace'}>
          <TracePanel lab={lab} />
        </div>
      </div>
    </section>
  );
}
