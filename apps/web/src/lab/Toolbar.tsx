// The lab screen's palette and view controls. Adding asks for a name (a free one proposed), and
// the new element appears when the kernel reports it, not when the request returns.
import { useEffect, useId, useRef, useState } from 'react';
import type { ObservedLab } from '@nslab/model';
import { checkInterfaceName, checkNodeName } from '../checks.ts';
import { api } from '../api.ts';
import { nextName } from '../names.ts';
import { useAction } from '../ui/useAction.ts';
import { ErrorNote } from '../ui/ErrorNote.tsx';
import type { CanvasApi } from '../graph/Canvas.tsx';
import type { EditorState } from '../edit/editor.ts';
import { useLab } from './context.ts';
import { focusCanvas } from './shortcuts.ts';
import { UndoNote } from '../edit/UndoNote.tsx';
import { askTrace } from '../trace/trace-store.ts';

type Adding = 'namespace' | 'bridge' | null;

function AddForm({ kind, lab, onDone }: { kind: 'namespace' | 'bridge'; lab: ObservedLab; onDone(): void }) {
  const { editor } = useLab();
  const act = useAction();
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const taken = new Set(kind === 'namespace' ? lab.nodes.map((n) => n.name) : lab.nodes.find((n) => n.kind === 'host')?.interfaces.map((i) => i.name));
  const [name, setName] = useState(() => (kind === 'namespace' ? nextName('ns', taken) : nextName('br', taken, 0)));
  useEffect(() => input.current?.select(), []);
  const why = name === '' ? null : kind === 'namespace' ? checkNodeName(name) : checkInterfaceName(name);
  const dup = taken.has(name) ? `${name} already exists` : null;
  const problem = why ? `The name ${why}.` : dup;
  return (
    <form
      className="add-form"
      onSubmit={async (e) => {
        e.preventDefault();
        if (problem || name === '') return;
        const ok = await act.run(() => editor.run(kind === 'namespace' ? { kind: 'add-node', name } : { kind: 'add-bridge', node: 'host', name }));
        if (ok) onDone();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onDone();
        }
      }}
    >
      <label htmlFor={id}>{kind === 'namespace' ? 'New namespace' : 'New bridge (in the lab host)'}</label>
      <input id={id} ref={input} className="mono" value={name} spellCheck={false} aria-invalid={problem ? true : undefined} onChange={(e) => setName(e.target.value)} />
      <button type="submit" className="primary" disabled={!!problem || name === '' || act.busy}>
        Add
      </button>
      <button type="button" onClick={onDone}>
        Cancel
      </button>
      {problem && <div className="field-hint">{problem}</div>}
      <ErrorNote error={act.error} />
    </form>
  );
}

export interface ToolbarProps {
  lab: ObservedLab | null;
  canvas: CanvasApi | null;
  connectMode: boolean;
  onConnectMode(on: boolean): void;
  editorState: EditorState;
  adding: Adding;
  onAdding(a: Adding): void;
}

export function Toolbar({ lab, canvas, connectMode, onConnectMode, editorState, adding, onAdding }: ToolbarProps) {
  const { lab: name, editor, notify, diagnose } = useLab();
  const undoAct = useAction();
  const last = editorState.undo.at(-1);
  const locked = editorState.locked !== null;
  const closeForm = () => {
    onAdding(null);
    // Back to the graph, so N, C, Delete work again without a click.
    focusCanvas();
  };
  return (
    <div className="toolbar-wrap">
      <div className="toolbar" role="toolbar" aria-label="Lab tools">
        <div className="group" aria-label="Add">
          <button type="button" disabled={!lab || locked} aria-expanded={adding === 'namespace'} onClick={() => onAdding(adding === 'namespace' ? null : 'namespace')}>
            + Namespace
          </button>
          <button type="button" disabled={!lab || locked} aria-expanded={adding === 'bridge'} onClick={() => onAdding(adding === 'bridge' ? null : 'bridge')}>
            + Bridge
          </button>
          <button
            type="button"
            aria-pressed={connectMode}
            disabled={locked}
            className={connectMode ? 'active' : undefined}
            title="Drag from one node to another to create a veth pair (C, or hold Shift)"
            onClick={() => onConnectMode(!connectMode)}
          >
            ⇄ Connect
          </button>
        </div>
        <div className="group">
          <button
            type="button"
            disabled={!last || undoAct.busy || locked}
            aria-label={last ? `Undo: ${last.label}` : 'Undo'}
            title={last ? `Undo: ${last.label} (Ctrl+Z)` : 'Nothing to undo'}
            onClick={() => void undoAct.run(async () => {
              const r = await editor.undo();
              if (r?.effects.length) notify(r.effects.join(' · '));
            })}
          >
            ↶ Undo
          </button>
        </div>
        <div className="group" aria-label="Diagnose">
          <button type="button" disabled={!lab || locked} onClick={() => diagnose()} title="Why can't a node reach another? Walks a ping and finds the first broken hop">
            Why can't it reach…?
          </button>
          <button type="button" disabled={!lab} onClick={() => askTrace(name)} title="Send one real packet and follow it hop by hop: what changed at each hop and why">
            Trace
          </button>
        </div>
        <div className="group" aria-label="View">
          <button type="button" onClick={() => canvas?.autoLayout()} title="Arrange automatically and save the positions">
            Auto-layout
          </button>
          <button type="button" onClick={() => canvas?.fit()} title="Fit the lab in view (F)">
            Fit
          </button>
          <button type="button" onClick={() => canvas?.zoomBy(1.25)} aria-label="Zoom in" title="Zoom in">
            +
          </button>
          <button type="button" onClick={() => canvas?.zoomBy(0.8)} aria-label="Zoom out" title="Zoom out">
            −
          </button>
        </div>
        {/* One menu rather than three buttons: the top bar stays one line at 1280 px. */}
        <details className="group menu" aria-label="Export">
          <summary className="button">Export ▾</summary>
          <div className="menu-items">
            <a className="button" href={api.exportUrl(name, 'sh')} download title="A bash script of ip commands that rebuilds this lab on a bare host">
              Export script
            </a>
            <a className="button" href={api.exportUrl(name, 'yaml')} download>
              Export YAML
            </a>
            <a className="button" href={api.exportUrl(name, 'clab')} download>
              Export containerlab
            </a>
          </div>
        </details>
        {editorState.busy > 0 && (
          <span className="busy" role="status">
            running…
          </span>
        )}
      </div>
      {adding && lab && !locked && <AddForm key={adding} kind={adding} lab={lab} onDone={closeForm} />}
      <UndoNote />
      <ErrorNote error={undoAct.error} />
    </div>
  );
}
