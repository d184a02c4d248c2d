// One interface, live: state, MAC, MTU, master, addresses (CIDR checked as you type), counters
// and, while the page is visible, their rates.
// Each control keeps its own error beside it; values shown are always the kernel's, never ours.
import { useId, useState } from 'react';
import type { ObservedInterface, ObservedNode } from '@nslab/model';
import { checkCidr, checkMtu } from '../checks.ts';
import { ifaceState } from '../graph/elements.ts';
import { displayName } from '../names.ts';
import { useAction } from '../ui/useAction.ts';
import { ErrorNote } from '../ui/ErrorNote.tsx';
import { useLab } from '../lab/context.ts';
import { elementOfIface } from '../selection.ts';
import { useTraffic } from '../live/useLab.ts';
import { formatBytesRate, formatPacketRate, rateKey, type InterfaceRates } from '../live/traffic.ts';
import { CaptureButton } from '../capture/CaptureButton.tsx';
import { LinkLocalNote } from './LinkLocalNote.tsx';

const STATE_TEXT = { up: 'up', down: 'down', 'no-carrier': 'no carrier' } as const;

export function StatePill({ i }: { i: Pick<ObservedInterface, 'up' | 'carrier'> }) {
  const s = ifaceState(i);
  return <span className={`pill state-${s}`}>{STATE_TEXT[s]}</span>;
}

function fmt(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const STILL: InterfaceRates = { rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0 };

/** Totals (live ones while counters stream, else as last read) and, once known, rates per second. */
export function Counters({ node, i }: { node: string; i: ObservedInterface }) {
  const { store } = useLab();
  const traffic = useTraffic(store);
  const s = traffic.totals.get(node)?.get(i.name) ?? i.stats;
  if (!s) return null;
  const r = traffic.ready ? (traffic.rates.get(rateKey(node, i.name)) ?? STILL) : null;
  const rate = (pps: number, bps: number) => (
    <span className={pps > 0 ? 'rate moving' : 'rate'}>
      {formatPacketRate(pps)} · {formatBytesRate(bps)}
    </span>
  );
  return (
    <>
      <dl className="counters" data-counters={i.name}>
        <dt>RX</dt>
        <dd>
          {s.rxPackets} pkts · {fmt(s.rxBytes)}
          {i.stats && i.stats.rxDropped > 0 && <span className="warn"> · {i.stats.rxDropped} dropped</span>}
          {r && rate(r.rxPackets, r.rxBytes)}
        </dd>
        <dt>TX</dt>
        <dd>
          {s.txPackets} pkts · {fmt(s.txBytes)}
          {i.stats && i.stats.txDropped > 0 && <span className="warn"> · {i.stats.txDropped} dropped</span>}
          {r && rate(r.txPackets, r.txBytes)}
        </dd>
      </dl>
      <LinkLocalNote ifaces={[i]} traffic={s.rxPackets + s.txPackets} />
    </>
  );
}

/** In a folded interface's summary: its traffic right now, when there is any. */
function RateBadge({ node, name }: { node: string; name: string }) {
  const { store } = useLab();
  const r = useTraffic(store).rates.get(rateKey(node, name));
  if (!r) return null;
  return (
    <span className="rate-badge" title={`RX ${formatPacketRate(r.rxPackets)}, ${formatBytesRate(r.rxBytes)} · TX ${formatPacketRate(r.txPackets)}, ${formatBytesRate(r.txBytes)}`}>
      {formatBytesRate(r.rxBytes + r.txBytes)}
    </span>
  );
}

function AddressAdder({ node, iface }: { node: string; iface: string }) {
  const { editor } = useLab();
  const [text, setText] = useState('');
  const act = useAction();
  const id = useId();
  const problem = text.trim() === '' ? null : checkCidr(text.trim());
  const submit = async () => {
    if (problem || text.trim() === '') return;
    const ok = await act.run(() => editor.run({ kind: 'add-address', node, interface: iface, address: text.trim() }));
    if (ok) setText('');
  };
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label className="sr-only" htmlFor={id}>
        New address for {iface} (CIDR)
      </label>
      <input
        id={id}
        className="mono"
        placeholder="10.0.0.1/24"
        value={text}
        spellCheck={false}
        autoComplete="off"
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${id}-why` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          act.clear();
        }}
      />
      <button type="submit" disabled={!!problem || text.trim() === '' || act.busy}>
        Add address
      </button>
      {problem && (
        <div className="field-hint" id={`${id}-why`}>
          {problem}
        </div>
      )}
      <ErrorNote error={act.error} />
    </form>
  );
}

function AddressChip({ node, iface, address }: { node: string; iface: string; address: string }) {
  const { editor } = useLab();
  const act = useAction();
  return (
    <li className="chip">
      <span className="mono">{address}</span>
      <button
        type="button"
        className="icon"
        aria-label={`Remove ${address} from ${iface}`}
        title="Remove address"
        disabled={act.busy}
        onClick={() => void act.run(() => editor.run({ kind: 'remove-address', node, interface: iface, address }))}
      >
        ×
      </button>
      <ErrorNote error={act.error} />
    </li>
  );
}

function MtuField({ node, i }: { node: string; i: ObservedInterface }) {
  const { editor } = useLab();
  const [text, setText] = useState<string | null>(null);
  const act = useAction();
  const id = useId();
  const value = text ?? String(i.mtu);
  const n = Number(value);
  const problem = text === null ? null : checkMtu(n);
  return (
    <form
      className="inline-form"
      onSubmit={async (e) => {
        e.preventDefault();
        if (problem || text === null || n === i.mtu) return;
        if (await act.run(() => editor.run({ kind: 'set-link', node, interface: i.name, mtu: n }))) setText(null);
      }}
    >
      <label htmlFor={id}>MTU</label>
      <input id={id} className="mono narrow" inputMode="numeric" value={value} aria-invalid={problem ? true : undefined} onChange={(e) => setText(e.target.value)} />
      {text !== null && Number(text) !== i.mtu && (
        <button type="submit" disabled={!!problem || act.busy}>
          Set
        </button>
      )}
      {problem && <div className="field-hint">{problem}</div>}
      <ErrorNote error={act.error} />
    </form>
  );
}

function MasterField({ node, i, bridges }: { node: string; i: ObservedInterface; bridges: string[] }) {
  const { editor } = useLab();
  const act = useAction();
  const id = useId();
  const options = bridges.filter((b) => b !== i.name);
  if (i.kind === 'bridge' || i.kind === 'loopback' || (options.length === 0 && i.master === undefined)) return null;
  return (
    <div className="inline-form">
      <label htmlFor={id}>Bridge</label>
      <select
        id={id}
        value={i.master ?? ''}
        disabled={act.busy}
        onChange={(e) => {
          const master = e.target.value === '' ? null : e.target.value;
          void act.run(() => editor.run({ kind: 'set-link', node, interface: i.name, master }));
        }}
      >
        <option value="">none</option>
        {i.master !== undefined && !options.includes(i.master) && <option value={i.master}>{displayName(i.master)}</option>}
        {options.map((b) => (
          <option key={b} value={b}>
            {b}
          </option>
        ))}
      </select>
      <ErrorNote error={act.error} />
    </div>
  );
}

export function UpDown({ node, i }: { node: string; i: ObservedInterface }) {
  const { editor } = useLab();
  const act = useAction();
  return (
    <>
      <button
        type="button"
        className="small"
        disabled={act.busy || !!i.unsafeName}
        aria-label={`${i.up ? 'Bring down' : 'Bring up'} ${displayName(i.name)}`}
        onClick={(e) => {
          // Inside a <summary>: set the link, do not also fold the details.
          e.preventDefault();
          void act.run(() => editor.run({ kind: 'set-link', node, interface: i.name, up: !i.up }));
        }}
      >
        {i.up ? 'Set down' : 'Set up'}
      </button>
      <ErrorNote error={act.error} />
    </>
  );
}

export function InterfaceEditor({ node, i, showPeer = true, open = false }: { node: ObservedNode; i: ObservedInterface; showPeer?: boolean; open?: boolean }) {
  const { select, store } = useLab();
  const bridges = node.interfaces.filter((x) => x.kind === 'bridge' && !x.unsafeName).map((x) => x.name);
  const name = displayName(i.name);
  const lab = store.getState().lab;
  return (
    <details className="iface" open={open} data-iface={i.name}>
      <summary>
        <span className="iface-name mono">
          {i.unsafeName && '⚠ '}
          {name}
        </span>
        <span className="muted">{i.kind}</span>
        <StatePill i={i} />
        <RateBadge node={node.name} name={i.name} />
        {!i.unsafeName && <UpDown node={node.name} i={i} />}
        {i.addresses.length > 0 && <span className="mono muted addr-summary">{i.addresses.filter((a) => !a.startsWith('fe80:')).join(', ')}</span>}
      </summary>
      {i.unsafeName ? (
        <p className="note">This name was made by hand and contains characters nslab will not pass to a command, so it can only be inspected here. Rename or delete it in a terminal.</p>
      ) : (
        <div className="iface-body">
          <div className="row">
            <span className="muted">MAC</span>
            <span className="mono">{i.mac}</span>
            <CaptureButton node={node.name} iface={i.name} kind={i.kind} />
          </div>
          <MtuField key={`${i.mtu}`} node={node.name} i={i} />
          <MasterField node={node.name} i={i} bridges={bridges} />
          {showPeer && i.peer && (
            <p className="peer">
              Peer:{' '}
              {i.peer.node === null ? (
                <span className="muted">outside the lab (ifindex {i.peer.ifindex})</span>
              ) : (
                <button type="button" className="link" onClick={() => lab && select(elementOfIface(lab, node.name, i.name), true)}>
                  {i.peer.node === 'host' ? 'lab host' : i.peer.node}:{i.peer.interface ?? '?'}
                </button>
              )}
            </p>
          )}
          <ul className="chips" aria-label={`Addresses of ${name}`}>
            {i.addresses.map((a) => (
              <AddressChip key={a} node={node.name} iface={i.name} address={a} />
            ))}
            {i.addresses.length === 0 && <li className="muted">no addresses</li>}
          </ul>
          <AddressAdder node={node.name} iface={i.name} />
          <Counters node={node.name} i={i} />
        </div>
      )}
    </details>
  );
}
