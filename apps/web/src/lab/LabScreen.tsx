// /labs/<name>: the top bar, then the workspace (workspace/Workspace.tsx): outline | graph over the
// bottom dock (commands, terminals, captures) | guide over the inspector. Banners float over the
// graph and forms open as popovers, so nothing that comes and goes pushes the graph around.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { LabStore } from '../live/lab-store.ts';
import { useEditorState, useLabState } from '../live/useLab.ts';
import { Editor } from '../edit/editor.ts';
import { Canvas, type CanvasApi } from '../graph/Canvas.tsx';
import { Outline } from '../outline/Outline.tsx';
import { SidePanel } from '../panels/SidePanel.tsx';
import { ConnectForm, type ConnectRequest } from '../panels/ConnectForm.tsx';
import { Confirm, type ConfirmRequest } from '../ui/Confirm.tsx';
import { ErrorNote } from '../ui/ErrorNote.tsx';
import { useAction } from '../ui/useAction.ts';
import { openTerminal, restoreTerminals } from '../terminal/terminal-store.ts';
import { linkClick } from '../router.ts';
import { resolve } from '../selection.ts';
import { takeNotices } from '../notices.ts';
import { LabContext, type LabContextValue } from './context.ts';
import { Toolbar } from './Toolbar.tsx';
import { useLabShortcuts } from './shortcuts.ts';
import { requestDeletion } from '../edit/request-deletion.ts';
import { GuidePanel } from '../guide/GuidePanel.tsx';
import { DiagnosePanel, type DiagnoseRequest } from '../diagnose/DiagnosePanel.tsx';
import { useGuideState } from '../guide/guide-state.ts';
import { loopbackMatters } from './loopback-matters.ts';
import type { Highlight } from '../diagnose/diagnosis.ts';
import { LayoutToggles, Workspace, useWorkspacePanes } from '../workspace/Workspace.tsx';
import { labView, useLabView } from '../classroom/lab-view.ts';
import { useIdleReturn } from './idle-return.ts';
import { IdleNotice } from './IdleNotice.tsx';
import { WatchTerminal } from '../classroom/WatchTerminal.tsx';

const STATUS_TEXT = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', destroyed: 'destroyed', error: 'not available' } as const;

export function LabScreen({ name }: { name: string }) {
  const store = useMemo(() => {
    // Tabs open before a page reload come back first, so every panel sees them on its first render.
    restoreTerminals(name);
    return new LabStore(name);
  }, [name]);
  const editor = useMemo(() => {
    const e = new Editor(name, store);
    // Classroom mode: an instructor in a student's lab only looks (the server says 403 READ_ONLY).
    const readOnly = labView(name)?.readOnly;
    if (readOnly) e.lock(readOnly);
    return e;
  }, [name, store]);
  const view = useLabView(name);
  const title = view?.displayName ?? name;
  // An instructor in a student's lab cannot open a shell there: a namespace's terminal is the
  // student's, watched read-only.
  const [watchNode, setWatchNode] = useState<string | null>(null);
  const readOnlyView = !!view?.readOnly;
  const terminalFor = useCallback((node: string) => (readOnlyView ? setWatchNode(node) : openTerminal(name, node)), [readOnlyView, name]);
  useEffect(() => {
    store.connect();
    return () => store.close();
  }, [store]);
  const state = useLabState(store);
  const editorState = useEditorState(editor);
  // Classroom mode: a lab stopped while its owner was away says so, and its terminals come back.
  const [idleNotice, dismissIdle] = useIdleReturn(name, state.status);

  const [selection, setSelection] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const [connectMode, setConnectMode] = useState(false);
  const [adding, setAdding] = useState<'namespace' | 'bridge' | null>(null);
  const [connectReq, setConnectReq] = useState<ConnectRequest | null>(null);
  const [confirmReq, setConfirmReq] = useState<ConfirmRequest | null>(null);
  const [notices, setNotices] = useState<string[]>(() => takeNotices(name));
  const [canvas, setCanvas] = useState<CanvasApi | null>(null);
  const [diagnoseReq, setDiagnoseReq] = useState<DiagnoseRequest | null>(null);
  const [highlight, setHighlight] = useState<Highlight | null>(null);
  const canvasRef = useRef<CanvasApi | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  // "/" asks for the search box; it is focused once the outline holding it is on screen.
  const [searchWanted, setSearchWanted] = useState(0);
  const keyAct = useAction();

  useEffect(() => {
    document.title = `${title} · nslab`;
  }, [title]);

  // A selection whose element the kernel removed goes away with it.
  useEffect(() => {
    if (selection && state.lab && !resolve(state.lab, selection)) setSelection(null);
  }, [state.lab, selection]);

  const select = useCallback((id: string | null, center = false) => {
    setSelection(id);
    if (id && center) canvasRef.current?.center(id);
  }, []);
  const notify = useCallback((text: string) => setNotices((n) => [...n.slice(-2), text]), []);

  const ctx: LabContextValue = useMemo(
    () => ({
      lab: name,
      store,
      editor,
      select,
      openTerminal: terminalFor,
      confirm: setConfirmReq,
      connect: (from: string, to?: string) => setConnectReq(to ? { from, to } : { from }),
      notify,
      diagnose: (from?: string) => setDiagnoseReq({ ...(from !== undefined ? { from } : {}), n: Date.now() }),
    }),
    [name, store, editor, select, notify, terminalFor],
  );

  const deleteSelection = useCallback(() => {
    const lab = store.getState().lab;
    const r = resolve(lab, selection);
    if (!r) return;
    const remove = (edit: Parameters<typeof requestDeletion>[0]) =>
      requestDeletion(edit, { lab: name, observed: lab, confirm: setConfirmReq }, () =>
        void keyAct.run(async () => {
          const res = await editor.run(edit);
          setSelection(null);
          if (res.effects.length) notify(res.effects.join(' · '));
        }),
      );
    if (r.kind === 'node') {
      if (r.node.kind !== 'host' && !r.node.unsafeName) remove({ kind: 'remove-node', name: r.node.name });
    } else if (r.kind === 'bridge') {
      if (!r.iface?.unsafeName) remove({ kind: 'remove-link', node: r.node.name, interface: r.bridge.name });
    } else if (r.a.iface && !r.a.iface.unsafeName) remove({ kind: 'remove-link', node: r.a.node, interface: r.a.interface });
  }, [selection, store, editor, name, keyAct, notify]);

  useLabShortcuts((s, e) => {
    const locked = editor.getState().locked !== null;
    switch (s) {
      case 'undo':
        e.preventDefault();
        if (!locked) void keyAct.run(() => editor.undo());
        break;
      case 'escape':
        if (connectMode) setConnectMode(false);
        else setSelection(null);
        break;
      case 'delete':
        if (!selection || locked) return;
        e.preventDefault();
        deleteSelection();
        break;
      case 'connect':
        if (!locked) setConnectMode((m) => !m);
        break;
      case 'fit':
        canvasRef.current?.fit();
        break;
      case 'new-namespace':
      case 'new-bridge':
        e.preventDefault();
        if (!locked) setAdding(s === 'new-namespace' ? 'namespace' : 'bridge');
        break;
      case 'search':
        e.preventDefault();
        // A collapsed outline hides its search box: open it first, then focus once it is shown.
        if (!panes.outline.open) panes.outline.setOpen(true);
        setSearchWanted((n) => n + 1);
        break;
    }
  });

  // The diagnosis column narrows the canvas, which re-fits itself to what is left (graph/Canvas.tsx).
  const panes = useWorkspacePanes();
  const guide = useGuideState(name);
  const loMatters = useMemo(() => loopbackMatters(state.lab, guide, highlight?.loDown), [state.lab, guide, highlight?.loDown]);
  useEffect(() => {
    if (searchWanted > 0 && panes.outline.open) searchRef.current?.focus();
  }, [searchWanted, panes.outline.open]);
  const selected = resolve(state.lab, selection);
  const inspectorTitle = !selected ? '' : selected.kind === 'node' ? (selected.node.kind === 'host' ? 'lab host' : selected.node.name) : selected.kind === 'bridge' ? selected.bridge.name : 'veth pair';

  const onSelectOutline = useCallback((id: string) => select(id, true), [select]);
  const onReady = useCallback((c: CanvasApi) => {
    canvasRef.current = c;
    setCanvas(c);
  }, []);

  return (
    <LabContext.Provider value={ctx}>
      <div className="lab-screen">
        <header className="topbar">
          <a href="/" onClick={linkClick('/')} className="brand">
            nslab
          </a>
          <span className="crumb" aria-hidden>
            /
          </span>
          <h1 className="lab-name" title={title === name ? undefined : name}>
            {title}
          </h1>
          <span className={`pill status-${state.status}`} role="status">
            {STATUS_TEXT[state.status]}
          </span>
          <Toolbar
            lab={state.lab}
            canvas={canvas}
            connectMode={connectMode}
            onConnectMode={setConnectMode}
            editorState={editorState}
            adding={adding}
            onAdding={setAdding}
          />
          <LayoutToggles panes={panes} />
        </header>
        <Workspace
          lab={name}
          log={state.log}
          panes={panes}
          outline={<Outline lab={state.lab} selection={selection} search={search} onSearch={setSearch} onSelect={onSelectOutline} searchRef={searchRef} loopbackMatters={loMatters} />}
          inspectorTitle={inspectorTitle}
          inspector={<SidePanel state={state} selection={selection} />}
          guide={<GuidePanel lab={name} store={store} />}
          canvas={
            <div className={diagnoseReq ? 'canvas-wrap diagnosing' : 'canvas-wrap'} tabIndex={0} aria-label="Lab graph" aria-keyshortcuts="N B C F / Delete">
              <Canvas
                store={store}
                lab={name}
                selection={selection}
                search={search}
                connectMode={connectMode}
                onSelect={select}
                onConnect={(from, to) => setConnectReq({ from, to })}
                onOpenTerminal={terminalFor}
                onReady={onReady}
                highlight={highlight}
                loopbackMatters={loMatters}
              />
              {!state.lab && state.status !== 'error' && <div className="canvas-empty">Waiting for the kernel's view of {name}…</div>}
              {state.lab && state.lab.nodes.length <= 1 && (
                <div className="canvas-empty hint">
                  An empty lab: add a namespace with <strong>+ Namespace</strong> (<kbd>N</kbd>).
                </div>
              )}
              <Legend />
              <DiagnosePanel lab={state.lab} selection={selection} request={diagnoseReq} onClose={() => setDiagnoseReq(null)} onHighlight={setHighlight} />
              <div className="canvas-overlay">
                <IdleNotice notice={idleNotice} onDismiss={dismissIdle} />
                {state.status === 'destroyed' && (
                  <div className="banner danger" role="alert">
                    This lab was destroyed (from another tab, the CLI or the API): editing is locked, and what you see is its last state.{' '}
                    <a href="/" onClick={linkClick('/')}>
                      Back to the labs
                    </a>
                  </div>
                )}
                {state.status === 'error' && (
                  <div className="banner danger" role="alert">
                    {state.error ?? 'This lab is not available.'}{' '}
                    <a href="/" onClick={linkClick('/')}>
                      Back to the labs
                    </a>
                  </div>
                )}
                {state.status === 'reconnecting' && (
                  <div className="banner" role="status">
                    Lost the connection to the server; reconnecting. Changes made meanwhile appear when it is back.
                  </div>
                )}
                {connectMode && (
                  <div className="banner info" role="status">
                    Connect mode: drag from one namespace or bridge to another to create a veth pair. <kbd>Esc</kbd> leaves it.
                  </div>
                )}
                {notices.length > 0 && (
                  <div className="banner info notices" role="status">
                    <ul>
                      {notices.map((n, i) => (
                        <li key={i}>{n}</li>
                      ))}
                    </ul>
                    <button type="button" className="small" onClick={() => setNotices([])}>
                      Dismiss
                    </button>
                  </div>
                )}
                <ErrorNote error={keyAct.error} />
              </div>
              {watchNode !== null && (
                <div className="lab-watch">
                  <WatchTerminal key={watchNode} lab={name} student={view?.owner ?? 'The student'} node={watchNode} onClose={() => setWatchNode(null)} />
                </div>
              )}
            </div>
          }
        />
        <ConnectForm request={connectReq} lab={state.lab} onClose={() => setConnectReq(null)} />
        <Confirm request={confirmReq} onClose={() => setConfirmReq(null)} />
      </div>
    </LabContext.Provider>
  );
}

function Legend() {
  return (
    <div className="legend" aria-hidden>
      <span>
        <i className="swatch up" /> up
      </span>
      <span>
        <i className="swatch down" /> down
      </span>
      <span>
        <i className="swatch no-carrier" /> no carrier
      </span>
      <span>
        <i className="swatch lo-down" /> lo down
      </span>
    </div>
  );
}
