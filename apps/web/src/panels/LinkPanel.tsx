// A veth pair: both ends side by side (peer, MAC, addresses, counters), and deleting the pair.
import type { Resolved } from '../selection.ts';
import { useAction } from '../ui/useAction.ts';
import { ErrorNote } from '../ui/ErrorNote.tsx';
import { useLab } from '../lab/context.ts';
import { InterfaceEditor } from './InterfaceEditor.tsx';
import { useTraffic } from '../live/useLab.ts';
import { formatBytesRate, linkRate } from '../live/traffic.ts';
import { EditLock } from '../edit/EditLock.tsx';
import { requestDeletion } from '../edit/request-deletion.ts';
import { LinkLocalNote } from './LinkLocalNote.tsx';

/** Both directions together, as the canvas draws it. */
function LinkTraffic({ link }: { link: Extract<Resolved, { kind: 'link' }> }) {
  const { store } = useLab();
  const t = useTraffic(store);
  if (!t.ready) return null;
  const bps = linkRate(t.rates, link.a, link.b);
  const ifaces = [link.a.iface, link.b.iface].filter((i) => i !== undefined);
  return (
    <>
      <p className="muted link-traffic">Traffic now: <span className={bps > 0 ? 'rate-badge' : 'mono'}>{formatBytesRate(bps)}</span></p>
      <LinkLocalNote ifaces={ifaces} traffic={bps} />
    </>
  );
}

export function LinkPanel({ link }: { link: Extract<Resolved, { kind: 'link' }> }) {
  const { lab: labName, editor, select, store, notify, confirm } = useLab();
  const act = useAction();
  const lab = store.getState().lab;
  const ends = [link.a, link.b];
  const safe = ends.every((e) => e.iface && !e.iface.unsafeName);
  const label = (n: string) => (n === 'host' ? 'lab host' : n);
  return (
    <section className="panel-section" aria-labelledby="panel-title">
      <header className="panel-head">
        <h2 id="panel-title">veth pair</h2>
        <span className="muted mono">
          {label(link.a.node)}:{link.a.interface} ↔ {label(link.b.node)}:{link.b.interface}
        </span>
      </header>
      <EditLock>
        {safe && (
          <div className="actions">
            <button
              type="button"
              className="danger"
              disabled={act.busy}
              onClick={() =>
                requestDeletion({ kind: 'remove-link', node: link.a.node, interface: link.a.interface }, { lab: labName, observed: lab, confirm }, () =>
                  void act.run(async () => {
                    const r = await editor.run({ kind: 'remove-link', node: link.a.node, interface: link.a.interface });
                    select(null);
                    if (r.effects.length) notify(r.effects.join(' · '));
                  }),
                )
              }
            >
              Delete veth pair
            </button>
          </div>
        )}
        <ErrorNote error={act.error} />
        <LinkTraffic link={link} />
        {ends.map((e) => {
          const node = lab?.nodes.find((n) => n.name === e.node);
          return (
            <div key={`${e.node}:${e.interface}`} className="end">
              <h3>
                End in <button type="button" className="link" onClick={() => select(e.node, true)}>{label(e.node)}</button>
              </h3>
              {node && e.iface ? <InterfaceEditor node={node} i={e.iface} open showPeer={false} /> : <p className="muted">not visible yet</p>}
            </div>
          );
        })}
      </EditLock>
    </section>
  );
}
