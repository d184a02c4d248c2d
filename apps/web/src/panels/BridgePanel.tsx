// A bridge: state, its ports (and who is on the other end of each), and the MAC table it learned.
import type { ObservedBridge, ObservedInterface, ObservedNode } from '@nslab/model';
import { displayName } from '../names.ts';
import { useAction } from '../ui/useAction.ts';
import { ErrorNote } from '../ui/ErrorNote.tsx';
import { useLab } from '../lab/context.ts';
import { elementOfIface } from '../selection.ts';
import { StatePill, UpDown } from './InterfaceEditor.tsx';
import { CaptureButton } from '../capture/CaptureButton.tsx';
import { EditLock } from '../edit/EditLock.tsx';
import { requestDeletion } from '../edit/request-deletion.ts';
import { macOwnerText, macOwners } from './mac-owner.ts';

export function BridgePanel({ node, bridge, iface }: { node: ObservedNode; bridge: ObservedBridge; iface: ObservedInterface | undefined }) {
  const { lab: labName, editor, select, store, notify, confirm } = useLab();
  const act = useAction();
  const lab = store.getState().lab;
  const ports = node.interfaces.filter((i) => i.master === bridge.name);
  const where = node.kind === 'host' ? 'the lab host' : node.name;
  return (
    <section className="panel-section" aria-labelledby="panel-title">
      <header className="panel-head">
        <h2 id="panel-title">
          {iface?.unsafeName && '⚠ '}
          {displayName(bridge.name)}
        </h2>
        <span className="muted">bridge in {where}</span>
        {iface && <StatePill i={iface} />}
      </header>
      <EditLock>
        {iface && !iface.unsafeName && (
          <div className="actions">
            <UpDown node={node.name} i={iface} />
            <CaptureButton node={node.name} iface={bridge.name} kind="bridge" />
            <button
              type="button"
              className="danger"
              disabled={act.busy}
              onClick={() =>
                requestDeletion({ kind: 'remove-link', node: node.name, interface: bridge.name }, { lab: labName, observed: store.getState().lab, confirm }, () =>
                  void act.run(async () => {
                    const r = await editor.run({ kind: 'remove-link', node: node.name, interface: bridge.name });
                    select(null);
                    if (r.effects.length) notify(r.effects.join(' · '));
                  }),
                )
              }
            >
              Delete bridge
            </button>
          </div>
        )}
      </EditLock>
      <ErrorNote error={act.error} />
      {iface?.carrier === false && iface.up && <p className="note">No carrier: a bridge reports carrier only while at least one of its ports is up.</p>}

      <h3>Ports</h3>
      {ports.length === 0 ? (
        <p className="muted">No ports yet. Drag from a namespace onto this bridge to plug a new veth into it.</p>
      ) : (
        <ul className="plain-list">
          {ports.map((p) => (
            <li key={p.name}>
              <button type="button" className="link mono" onClick={() => lab && select(elementOfIface(lab, node.name, p.name), true)}>
                {displayName(p.name)}
              </button>{' '}
              <StatePill i={p} />{' '}
              {p.peer?.node ? (
                <span className="muted">
                  ↔ {p.peer.node === 'host' ? 'lab host' : p.peer.node}:{p.peer.interface}
                </span>
              ) : (
                <span className="muted">{p.kind}</span>
              )}
            </li>
          ))}
        </ul>
      )}

      <h3>MAC table (fdb)</h3>
      {bridge.fdb.length === 0 ? (
        <p className="muted">Empty: the bridge learns a MAC address when a frame from it arrives on a port.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">MAC</th>
              <th scope="col">Port</th>
              <th scope="col">Belongs to</th>
              <th scope="col">Kind</th>
            </tr>
          </thead>
          <tbody>
            {bridge.fdb.map((f) => (
              <tr key={`${f.mac} ${f.port} ${f.vlan ?? ''}`} data-mac={f.mac.toLowerCase()}>
                <td className="mono">{f.mac}</td>
                <td className="mono">{displayName(f.port)}</td>
                <td className="mono">{macOwnerText(macOwners(lab, f.mac, node.name, f.port)) || <span className="muted" title="No interface of this lab has this MAC (gone, or from outside the lab)">—</span>}</td>
                <td className="muted">
                  {f.local ? 'local' : f.permanent ? 'permanent' : 'learned'}
                  {f.vlan !== undefined ? ` · vlan ${f.vlan}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
