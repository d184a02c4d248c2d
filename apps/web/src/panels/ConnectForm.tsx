// The veth form that a drag (or "New veth pair…") opens: both ends' names proposed, editable and
// checked as you type; ending on a bridge plugs that end into it. In a guided lab the proposed
// names (and, opened from one element, the other end) are those the guide's steps expect, so a
// learner who draws the pair with the mouse makes what the step checks.
import { useModal } from '../ui/useModal.ts';
import { useId, useMemo, useState } from 'react';
import type { Edit, ObservedLab } from '@nslab/model';
import { checkInterfaceName } from '../checks.ts';
import { bridgeId } from '../graph/elements.ts';
import { proposeVethNames } from '../names.ts';
import { useAction } from '../ui/useAction.ts';
import { ErrorNote } from '../ui/ErrorNote.tsx';
import { useLab } from '../lab/context.ts';
import { useGuideState } from '../guide/guide-state.ts';
import { guidedOtherEnd, guidedVethNames } from '../guide/expected-names.ts';
import './connect.css';

export interface ConnectRequest {
  from: string;
  to?: string;
}

interface End {
  id: string;
  /** The namespace the new veth end goes into. */
  node: string;
  /** Plug the end into this bridge (in `node`). */
  bridge?: string;
  label: string;
}

/** Graph ids that can end a veth: namespaces, the lab host, bridges. */
export function endpoints(lab: ObservedLab): End[] {
  const out: End[] = [];
  for (const n of lab.nodes) if (!n.unsafeName) out.push({ id: n.name, node: n.name, label: n.kind === 'host' ? 'lab host' : n.name });
  for (const b of lab.bridges) {
    const i = lab.nodes.find((n) => n.name === b.node)?.interfaces.find((x) => x.name === b.name);
    if (!i?.unsafeName) out.push({ id: bridgeId(b.node, b.name), node: b.node, bridge: b.name, label: `bridge ${b.name}${b.node === 'host' ? '' : ` in ${b.node}`}` });
  }
  return out;
}

/** The edits for a veth between `a` and `b`; a bridge end is made the b end, which add-veth can plug in. */
export function vethEdits(x: End, y: End, nameX: string, nameY: string): Edit[] {
  const swap = x.bridge !== undefined && y.bridge === undefined;
  const [a, b, na, nb] = swap ? [y, x, nameY, nameX] : [x, y, nameX, nameY];
  const edits: Edit[] = [{ kind: 'add-veth', a: { node: a.node, interface: na }, b: { node: b.node, interface: nb }, ...(b.bridge ? { bridge: b.bridge } : {}) }];
  if (a.bridge) edits.push({ kind: 'set-link', node: a.node, interface: na, master: a.bridge });
  return edits;
}

export function ConnectForm({ request, lab, onClose }: { request: ConnectRequest | null; lab: ObservedLab | null; onClose(): void }) {
  const ref = useModal(request !== null);
  return (
    <dialog ref={ref} className="dialog connect-dialog" onClose={onClose} aria-labelledby="connect-title">
      {request && lab && <ConnectBody key={`${request.from}>${request.to ?? ''}`} request={request} lab={lab} onClose={onClose} />}
    </dialog>
  );
}

function ConnectBody({ request, lab, onClose }: { request: ConnectRequest; lab: ObservedLab; onClose(): void }) {
  const { editor, lab: labName } = useLab();
  const guide = useGuideState(labName);
  const act = useAction();
  const id = useId();
  const ends = useMemo(() => endpoints(lab), [lab]);
  const from = ends.find((e) => e.id === request.from);
  const taken = (node: string) => new Set(lab.nodes.find((n) => n.name === node)?.interfaces.map((i) => i.name) ?? []);
  const [toId, setToId] = useState(
    () =>
      request.to ??
      (from && guidedOtherEnd(guide, from, ends.filter((e) => e.id !== from.id), taken)?.id) ??
      ends.find((e) => e.id !== request.from && e.id !== 'host')?.id ??
      '',
  );
  const to = ends.find((e) => e.id === toId);
  const guided = useMemo(() => (from && to ? guidedVethNames(guide, from, to, taken) : null), [from?.id, to?.id, guide]);
  const proposal = useMemo(() => {
    if (!from || !to) return { a: '', b: '' };
    if (guided) return guided;
    const short = (e: End) => e.bridge ?? e.node;
    return proposeVethNames(short(from), short(to), taken(from.node), taken(to.node), from.node === to.node);
  }, [from?.id, to?.id, guided]);
  const [names, setNames] = useState<{ a: string | null; b: string | null }>({ a: null, b: null });
  const nameA = names.a ?? proposal.a;
  const nameB = names.b ?? proposal.b;

  if (!from) {
    return (
      <div className="dialog-body">
        <p>That element can no longer be connected.</p>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    );
  }
  const problem = (name: string, end: End | undefined, other: string, sameNode: boolean) => {
    const bad = checkInterfaceName(name);
    if (bad) return `The name ${bad}.`;
    if (end && taken(end.node).has(name)) return `${end.node === 'host' ? 'The lab host' : end.node} already has an interface named ${name}.`;
    if (sameNode && name === other) return 'Both ends are in the same namespace, so they need different names.';
    return null;
  };
  const same = !!to && from.node === to.node;
  const probA = problem(nameA, from, nameB, same);
  const probB = to ? problem(nameB, to, nameA, same) : null;
  // Which end of the request each server field refers to (vethEdits may swap them).
  const swapped = from.bridge !== undefined && to?.bridge === undefined;
  const serverA = act.error?.field?.startsWith(swapped ? 'b.' : 'a.') ? act.error : null;
  const serverB = act.error?.field?.startsWith(swapped ? 'a.' : 'b.') ? act.error : null;
  const general = act.error && !serverA && !serverB ? act.error : null;

  return (
    <form
      className="dialog-body"
      onSubmit={async (e) => {
        e.preventDefault();
        if (!to || probA || probB) return;
        if (await act.run(() => editor.run(vethEdits(from, to, nameA, nameB)))) onClose();
      }}
    >
      <h2 id="connect-title">New veth pair</h2>
      <p className="muted">
        Runs <code>ip link add … type veth peer name …</code>, brings both ends up{to?.bridge || from.bridge ? ' and plugs the bridge end in' : ''}.
      </p>
      {guided && names.a === null && names.b === null && (
        <p className="connect-guided" role="note">
          Names from the guide: step {guided.step} ({guided.title}) expects <code>{guided.a}</code> and <code>{guided.b}</code>.
        </p>
      )}
      <div className="connect-grid">
        <div>
          <div className="end-title">{from.label}</div>
          <label htmlFor={`${id}-a`}>Interface name</label>
          <input
            id={`${id}-a`}
            className="mono"
            value={nameA}
            maxLength={40}
            spellCheck={false}
            aria-invalid={probA ? true : undefined}
            onChange={(e) => setNames({ ...names, a: e.target.value })}
          />
          {probA && <div className="field-hint">{probA}</div>}
          <ErrorNote error={serverA} />
        </div>
        <div>
          <label htmlFor={`${id}-to`} className="end-title">
            Other end
          </label>
          <select id={`${id}-to`} value={toId} onChange={(e) => setToId(e.target.value)}>
            {ends
              .filter((e) => e.id !== from.id)
              .map((e) => (
                <option key={e.id} value={e.id}>
                  {e.label}
                </option>
              ))}
          </select>
          <label htmlFor={`${id}-b`}>Interface name</label>
          <input
            id={`${id}-b`}
            className="mono"
            value={nameB}
            maxLength={40}
            spellCheck={false}
            aria-invalid={probB ? true : undefined}
            onChange={(e) => setNames({ ...names, b: e.target.value })}
          />
          {probB && <div className="field-hint">{probB}</div>}
          <ErrorNote error={serverB} />
        </div>
      </div>
      <ErrorNote error={general} />
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={!to || !!probA || !!probB || act.busy}>
          Create veth pair
        </button>
      </div>
    </form>
  );
}
