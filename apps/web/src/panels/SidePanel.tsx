// The inspector for the selection: what it is decides which panel edits it.
import type { LabState } from '../live/lab-store.ts';
import { resolve } from '../selection.ts';
import { BridgePanel } from './BridgePanel.tsx';
import { LinkPanel } from './LinkPanel.tsx';
import { NamespacePanel } from './NamespacePanel.tsx';

export function SidePanel({ state, selection }: { state: LabState; selection: string | null }) {
  const r = resolve(state.lab, selection);
  if (!r) {
    return (
      <section className="panel-section empty-panel">
        <h2>Nothing selected</h2>
        <p>Select a namespace, bridge or veth pair on the canvas or in the outline to inspect and edit it.</p>
        <ul className="tips">
          <li>
            <strong>Connect</strong>: press <kbd>C</kbd> (or hold <kbd>Shift</kbd>) and drag from one node to another to create a veth pair; drop on a bridge to plug it in.
          </li>
          <li>
            <strong>Double-click</strong> a namespace to open a terminal in it.
          </li>
          <li>
            <kbd>Delete</kbd> removes the selection, <kbd>Ctrl</kbd>+<kbd>Z</kbd> undoes the last edit, <kbd>/</kbd> searches.
          </li>
        </ul>
      </section>
    );
  }
  switch (r.kind) {
    case 'node':
      return <NamespacePanel key={r.node.name} node={r.node} />;
    case 'bridge':
      return <BridgePanel key={`${r.node.name}:${r.bridge.name}`} node={r.node} bridge={r.bridge} iface={r.iface} />;
    case 'link':
      return <LinkPanel key={`${r.a.node}:${r.a.interface}`} link={r} />;
  }
}
