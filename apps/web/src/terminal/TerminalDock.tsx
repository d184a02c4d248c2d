// The bottom dock: one tab per open terminal, collapsible, resizable by dragging its top edge. Every
// terminal stays mounted (inactive ones are only hidden) so switching tabs keeps screens and shells.
import { useEffect, useLayoutEffect, useRef, useState, type JSX, type KeyboardEvent, type PointerEvent } from 'react';
import '@xterm/xterm/css/xterm.css';
import './terminal.css';
import { closeTerminal, focus, restoreTerminals, setCollapsed, useLabTerminals, type TerminalInfo } from './terminal-store.ts';
import { getHandle, mountTerminal, unmountTerminal } from './terminal-view.ts';

const HEIGHT_KEY = 'nslab.terminalDock.height';
const MIN_HEIGHT = 120;

function savedHeight(): number {
  const h = Number(globalThis.localStorage?.getItem(HEIGHT_KEY));
  // First time: a third of the window, so the graph above keeps most of the room.
  return Number.isFinite(h) && h >= MIN_HEIGHT ? h : Math.max(MIN_HEIGHT, Math.min(360, Math.round((globalThis.innerHeight || 900) / 3)));
}

const STATUS_TEXT: Record<TerminalInfo['status'], string> = {
  connecting: 'connecting',
  open: 'connected',
  reconnecting: 'connection lost, reconnecting',
  exited: 'exited',
};

/** `docked`: inside the workspace's bottom dock, which sizes, collapses and hides it; no handle or toggle of its own. */
export function TerminalDock(props: { lab: string; docked?: boolean }): JSX.Element {
  // Normally done by the lab screen already; a page showing only the dock restores here.
  useState(() => restoreTerminals(props.lab));
  const { terminals, active, collapsed, focusRequest } = useLabTerminals(props.lab);
  const [height, setHeight] = useState(savedHeight);
  const drag = useRef<{ y: number; h: number } | null>(null);

  const onHandleDown = (e: PointerEvent<HTMLDivElement>) => {
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { y: e.clientY, h: height };
  };
  const onHandleMove = (e: PointerEvent<HTMLDivElement>) => {
    if (!drag.current) return;
    const max = Math.max(MIN_HEIGHT, window.innerHeight - 80);
    setHeight(Math.round(Math.min(max, Math.max(MIN_HEIGHT, drag.current.h + drag.current.y - e.clientY))));
  };
  const onHandleUp = () => {
    if (!drag.current) return;
    drag.current = null;
    globalThis.localStorage?.setItem(HEIGHT_KEY, String(height));
  };

  const docked = props.docked === true;
  const expanded = terminals.length > 0 && (docked || !collapsed);
  return (
    <section className="nslab-dock" data-expanded={expanded} data-docked={docked || undefined} style={expanded && !docked ? { height } : undefined} aria-label="Terminals">
      {expanded && !docked && (
        <div
          className="nslab-dock-handle"
          role="separator"
          aria-orientation="horizontal"
          aria-label="Resize terminals"
          // No focus change (the terminal keeps the keyboard) and no text selection while dragging.
          onMouseDown={(e) => e.preventDefault()}
          onPointerDown={onHandleDown}
          onPointerMove={onHandleMove}
          onPointerUp={onHandleUp}
          onPointerCancel={onHandleUp}
        />
      )}
      <div className="nslab-dock-bar">
        <div className="nslab-dock-tabs" role="tablist">
          {terminals.map((t) => (
            <div
              key={t.id}
              role="tab"
              tabIndex={0}
              aria-selected={t.id === active}
              className="nslab-dock-tab"
              data-terminal={t.id}
              data-node={t.node}
              data-status={t.status}
              title={`${t.node}: ${t.exitReason ?? STATUS_TEXT[t.status]}`}
              onClick={() => focus(t.id)}
              onKeyDown={(e: KeyboardEvent) => e.key === 'Enter' && focus(t.id)}
              onAuxClick={(e) => e.button === 1 && closeTerminal(t.id)}
            >
              <span className="nslab-dock-dot" data-status={t.status} aria-label={STATUS_TEXT[t.status]} />
              <span className="nslab-dock-title">{t.title}</span>
              <button
                className="nslab-dock-close"
                aria-label={`Close terminal ${t.title}`}
                title="Close (ends the shell)"
                onClick={(e) => {
                  e.stopPropagation();
                  closeTerminal(t.id);
                }}
              >
                ×
              </button>
            </div>
          ))}
          {terminals.length === 0 && <span className="nslab-dock-hint">Terminals — double-click a namespace to open a shell in it</span>}
        </div>
        {terminals.length > 0 && !docked && (
          <button
            className="nslab-dock-toggle"
            aria-label={collapsed ? 'Show terminals' : 'Hide terminals'}
            title={collapsed ? 'Show terminals' : 'Hide terminals'}
            onClick={() => setCollapsed(props.lab, !collapsed)}
          >
            {collapsed ? '▴' : '▾'}
          </button>
        )}
      </div>
      <div className="nslab-dock-panes" hidden={!expanded}>
        {terminals.map((t) => (
          <TerminalPane key={t.id} info={t} active={t.id === active} shown={expanded} focusRequest={focusRequest} />
        ))}
      </div>
    </section>
  );
}

function TerminalPane(props: { info: TerminalInfo; active: boolean; shown: boolean; focusRequest: number }): JSX.Element {
  const { info, active, shown, focusRequest } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [searching, setSearching] = useState(false);

  useLayoutEffect(() => {
    const el = ref.current!;
    const h = mountTerminal(info, el);
    h.onSearchRequest = () => setSearching(true);
    // Refit when the pane changes size (dock dragged, window resized, dock expanded), once per frame.
    let raf = 0;
    const ro = new ResizeObserver(() => {
      cancelAnimationFrame(raf);
      raf = requestAnimationFrame(() => h.fit());
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      cancelAnimationFrame(raf);
      h.onSearchRequest = null;
      unmountTerminal(info.id, el);
    };
    // Keyed by id only: the terminal is created once; status changes in `info` need no remount.
  }, [info.id]);

  useEffect(() => {
    if (!active || !shown) return;
    const h = getHandle(info.id);
    h?.fit();
    h?.term.focus();
  }, [active, shown, focusRequest, info.id]);

  return (
    <div className="nslab-term-pane" data-active={active} data-terminal={info.id}>
      {/* xterm's own DOM goes here, outside React's children */}
      <div className="nslab-term-slot" ref={ref} />
      {searching && <SearchBox id={info.id} onClose={() => setSearching(false)} />}
    </div>
  );
}

function SearchBox(props: { id: string; onClose: () => void }): JSX.Element {
  const [q, setQ] = useState('');
  const [missing, setMissing] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.select(), []);
  const h = getHandle(props.id);
  const find = (query: string, back: boolean, incremental: boolean) => {
    if (!h || !query) return setMissing(false);
    const found = back ? h.search.findPrevious(query) : h.search.findNext(query, { incremental });
    setMissing(!found);
  };
  const close = () => {
    h?.search.clearDecorations();
    h?.term.clearSelection();
    props.onClose();
    h?.term.focus();
  };
  return (
    <div className="nslab-term-search" role="search">
      <input
        ref={input}
        aria-label="Find in terminal"
        placeholder="Find"
        value={q}
        data-missing={missing}
        onChange={(e) => {
          setQ(e.target.value);
          find(e.target.value, false, true);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') find(q, e.shiftKey, false);
          else if (e.key === 'Escape') close();
          else if (e.key.toLowerCase() === 'f' && e.ctrlKey && e.shiftKey) e.preventDefault();
        }}
      />
      <button aria-label="Previous match" title="Previous (Shift+Enter)" onClick={() => find(q, true, false)}>
        ↑
      </button>
      <button aria-label="Next match" title="Next (Enter)" onClick={() => find(q, false, false)}>
        ↓
      </button>
      <button aria-label="Close search" title="Close (Esc)" onClick={close}>
        ×
      </button>
    </div>
  );
}
