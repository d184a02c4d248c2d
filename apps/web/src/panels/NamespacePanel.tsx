// A namespace (or the lab host): its interfaces, routes, neighbours and ip_forward, all editable
// in place, plus the actions on the namespace itself.
import { useId, useState } from 'react';
import { routeText, type ObservedNode, type ObservedRoute } from '@nslab/model';
import { checkCidr, checkIp } from '../checks.ts';
import { displayName } from '../names.ts';
import { useAction } from '../ui/useAction.ts';
import { ErrorNote } from '../ui/ErrorNote.tsx';
import { useLab } from '../lab/context.ts';
import { askTrace } from '../trace/trace-store.ts';
import { InterfaceEditor } from './InterfaceEditor.tsx';
import { EditLock } from '../edit/EditLock.tsx';
import { requestDeletion } from '../edit/request-deletion.ts';

const FORWARD = 'net.ipv4.ip_forward';

function Forwarding({ node }: { node: ObservedNode }) {
  const { editor } = useLab();
  const act = useAction();
  const id = useId();
  const on = node.sysctls[FORWARD] === '1';
  return (
    <div className="inline-form">
      <input
        id={id}
        type="checkbox"
        checked={on}
        disabled={act.busy || node.sysctls[FORWARD] === undefined}
        onChange={() => void act.run(() => editor.run({ kind: 'set-sysctl', node: node.name, key: FORWARD, value: on ? '0' : '1' }))}
      />
      <label htmlFor={id}>
        IPv4 forwarding <code>{FORWARD}</code>
      </label>
      <ErrorNote error={act.error} />
    </div>
  );
}

function routeSpec(r: ObservedRoute) {
  return { to: r.dst, ...(r.via ? { via: r.via } : {}), ...(r.dev ? { dev: r.dev } : {}), ...(r.metric !== undefined ? { metric: r.metric } : {}) };
}

function RouteRow({ node, r }: { node: string; r: ObservedRoute }) {
  const { editor } = useLab();
  const act = useAction();
  return (
    // The route as a journey's "why" names it: Trace mode's link finds this row by it.
    <tr data-route={routeText(r)}>
      <td className="mono">{r.dst}</td>
      <td className="mono">{r.via ?? ''}</td>
      <td className="mono">{r.dev ?? ''}</td>
      <td className="muted">
        {r.protocol ?? ''}
        {r.metric !== undefined ? ` · metric ${r.metric}` : ''}
      </td>
      <td>
        <button
          type="button"
          className="icon"
          aria-label={`Remove route to ${r.dst}`}
          title="Remove route"
          disabled={act.busy}
          onClick={() => void act.run(() => editor.run({ kind: 'remove-route', node, route: routeSpec(r) }))}
        >
          ×
        </button>
        <ErrorNote error={act.error} />
      </td>
    </tr>
  );
}

function RouteAdder({ node }: { node: ObservedNode }) {
  const { editor } = useLab();
  const act = useAction();
  const [to, setTo] = useState('');
  const [via, setVia] = useState('');
  const [dev, setDev] = useState('');
  const id = useId();
  const toProblem = to.trim() === '' || to.trim() === 'default' ? null : checkCidr(to.trim());
  const viaProblem = via.trim() === '' ? null : checkIp(via.trim());
  const missing = to.trim() === '' || (via.trim() === '' && dev === '');
  const devs = node.interfaces.filter((i) => !i.unsafeName && i.kind !== 'loopback').map((i) => i.name);
  return (
    <form
      className="route-form"
      onSubmit={async (e) => {
        e.preventDefault();
        if (toProblem || viaProblem || missing) return;
        const route = { to: to.trim(), ...(via.trim() ? { via: via.trim() } : {}), ...(dev ? { dev } : {}) };
        if (await act.run(() => editor.run({ kind: 'add-route', node: node.name, route }))) {
          setTo('');
          setVia('');
        }
      }}
    >
      <div className="fields">
        <label htmlFor={`${id}-to`}>To</label>
        <input id={`${id}-to`} className="mono" placeholder="10.2.0.0/24 or default" value={to} aria-invalid={toProblem ? true : undefined} onChange={(e) => setTo(e.target.value)} />
        <label htmlFor={`${id}-via`}>Via</label>
        <input id={`${id}-via`} className="mono" placeholder="gateway (optional)" value={via} aria-invalid={viaProblem ? true : undefined} onChange={(e) => setVia(e.target.value)} />
        <label htmlFor={`${id}-dev`}>Dev</label>
        <select id={`${id}-dev`} value={dev} onChange={(e) => setDev(e.target.value)}>
          <option value="">any</option>
          {devs.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
      </div>
      {toProblem && <div className="field-hint">{toProblem}</div>}
      {viaProblem && <div className="field-hint">{viaProblem}</div>}
      <button type="submit" disabled={!!toProblem || !!viaProblem || missing || act.busy}>
        Add route
      </button>
      <ErrorNote error={act.error} />
    </form>
  );
}

export function NamespacePanel({ node }: { node: ObservedNode }) {
  const { lab, store, editor, openTerminal, confirm, connect, select, notify, diagnose } = useLab();
  const act = useAction();
  const host = node.kind === 'host';
  const title = host ? 'Lab host' : displayName(node.name);
  const visible = node.interfaces.filter((i) => i.kind !== 'bridge');
  const remove = () =>
    requestDeletion({ kind: 'remove-node', name: node.name }, { lab, observed: store.getState().lab, confirm }, () =>
      void act.run(async () => {
        const r = await editor.run({ kind: 'remove-node', name: node.name });
        select(null);
        if (r.effects.length) notify(r.effects.join(' · '));
      }),
    );
  return (
    <section className="panel-section" aria-labelledby="panel-title">
      <header className="panel-head">
        <h2 id="panel-title">
          {node.unsafeName && '⚠ '}
          {title}
        </h2>
        <span className="muted">{host ? 'bridges and host-side veth ends live here' : 'network namespace'}</span>
      </header>
      <EditLock>
        {node.unsafeName ? (
          <p className="note">This namespace was made by hand with a name nslab will not pass to a command; it is shown, not edited.</p>
        ) : (
          <div className="actions">
            <button type="button" onClick={() => openTerminal(host ? 'host' : node.name)}>
              Open terminal
            </button>
            <button type="button" onClick={() => connect(node.name)}>
              New veth pair…
            </button>
            <button type="button" onClick={() => diagnose(host ? 'host' : node.name)} title="Walk a ping from here and find the first broken hop">
              Why can't it reach…?
            </button>
            <button type="button" onClick={() => askTrace(lab, host ? 'host' : node.name)} title="Send one real packet from here and follow it hop by hop">
              Trace a packet from here
            </button>
            {!host && (
              <button type="button" className="danger" onClick={remove} disabled={act.busy}>
                Delete namespace
              </button>
            )}
          </div>
        )}
        <ErrorNote error={act.error} />
        {!node.unsafeName && <Forwarding node={node} />}

        <h3>Interfaces</h3>
        {visible.map((i) => (
          <InterfaceEditor key={i.name} node={node} i={i} open={i.kind !== 'loopback' && visible.length <= 4} />
        ))}

        <h3>Routes</h3>
        {node.routes.length === 0 ? (
          <p className="muted">No routes: give an interface an address and bring it up, and the kernel adds one for its subnet.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Destination</th>
                <th scope="col">Via</th>
                <th scope="col">Dev</th>
                <th scope="col">Source</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {node.routes.map((r) => (
                <RouteRow key={`${r.dst} ${r.via ?? ''} ${r.dev ?? ''} ${r.metric ?? ''}`} node={node.name} r={r} />
              ))}
            </tbody>
          </table>
        )}
        {!node.unsafeName && <RouteAdder node={node} />}

        <h3>Neighbours (ARP)</h3>
        {node.neighbours.length === 0 ? (
          <p className="muted">Empty: the kernel learns neighbours when it talks to them (try a ping).</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">MAC</th>
                <th scope="col">Dev</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {node.neighbours.map((n) => (
                <tr key={`${n.address} ${n.dev}`}>
                  <td className="mono">{n.address}</td>
                  <td className="mono">{n.mac ?? '—'}</td>
                  <td className="mono">{n.dev}</td>
                  <td className="muted">{n.state.join(' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </EditLock>
    </section>
  );
}
