// The capture panel, docked above the terminals: one tab per capture, the start form for the
// interface chosen in the inspector, and live tcpdump lines (rendered outside React, newest kept,
// following the tail unless the learner scrolled up). Pause stops rendering but keeps receiving;
// Clear empties the view; Stop ends tcpdump; the pcap stays downloadable until the tab is closed.
import { useEffect, useId, useLayoutEffect, useRef, useState, type JSX } from 'react';
import type { CaptureInfo } from '@nslab/protocol';
import { checkCaptureFilter } from '../../../../packages/model/src/capture-filter.ts';
import { api } from '../api.ts';
import { explain, type Explained } from '../errors.ts';
import { ErrorNote } from '../ui/ErrorNote.tsx';
import {
  adoptCaptures,
  cancelRequest,
  clearLines,
  closeCapture,
  detachLab,
  linesOf,
  onLines,
  setCollapsed,
  setPaused,
  showCapture,
  startCapture,
  stopCapture,
  useLabCaptures,
  type CaptureTab,
  type CaptureTarget,
} from './capture-store.ts';
import './capture.css';

/** Lines in the DOM at most (the store keeps a few more for a resumed view). */
const MAX_DOM_LINES = 1000;
const SUGGESTED = ['icmp', 'arp', 'icmp or arp', 'not ip6'];

const END_TEXT: Record<string, string> = {
  stopped: 'stopped',
  'duration-limit': 'time limit reached',
  'byte-limit': 'size limit reached',
  'interface-gone': 'interface gone',
  'lab-gone': 'lab destroyed',
  'server-closing': 'server stopped',
  failed: 'failed',
};

function where(node: string): string {
  return node === 'host' ? 'lab host' : node;
}

function size(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function tabTitle(info: CaptureInfo): string {
  return `${where(info.node)}:${info.interface}${info.filter ? ` · ${info.filter}` : ''}`;
}

export function CaptureDock({ lab }: { lab: string }): JSX.Element | null {
  const s = useLabCaptures(lab);
  useEffect(() => {
    void adoptCaptures(lab).catch(() => {});
    return () => detachLab(lab);
  }, [lab]);
  if (s.tabs.length === 0 && !s.target) return null;
  const active = s.tabs.find((t) => t.id === s.active);
  return (
    <section className="capture-dock" data-collapsed={s.collapsed} aria-label="Packet captures">
      <div className="capture-bar">
        <h2>Captures</h2>
        <div className="capture-tabs" role="tablist">
          {s.tabs.map((t) => (
            <div key={t.id} role="tab" tabIndex={0} aria-selected={t.id === s.active} className="capture-tab" data-capture={t.id} data-state={t.info.state} onClick={() => showCapture(lab, t.id)} onKeyDown={(e) => e.key === 'Enter' && showCapture(lab, t.id)}>
              <span className="capture-dot" data-state={t.info.state} aria-hidden />
              <span className="mono">{tabTitle(t.info)}</span>
              <button
                type="button"
                className="capture-close"
                aria-label={`Close capture ${tabTitle(t.info)}`}
                title="Close (stops the capture and discards its pcap)"
                onClick={(e) => {
                  e.stopPropagation();
                  void closeCapture(lab, t.id);
                }}
              >
                ×
              </button>
            </div>
          ))}
          {s.target && (
            <div role="tab" tabIndex={0} aria-selected={s.active === 'new'} className="capture-tab" onClick={() => showCapture(lab, 'new')} onKeyDown={(e) => e.key === 'Enter' && showCapture(lab, 'new')}>
              <span className="mono">new: {where(s.target.node)}:{s.target.iface}</span>
            </div>
          )}
        </div>
        <button type="button" className="small capture-toggle" aria-label={s.collapsed ? 'Show captures' : 'Hide captures'} onClick={() => setCollapsed(lab, !s.collapsed)}>
          {s.collapsed ? '▴' : '▾'}
        </button>
      </div>
      {!s.collapsed && (
        <div className="capture-body">
          {s.active === 'new' && s.target ? <StartForm key={`${s.target.node}:${s.target.iface}`} lab={lab} target={s.target} /> : active ? <CapturePane key={active.id} tab={active} /> : null}
        </div>
      )}
    </section>
  );
}

function StartForm({ lab, target }: { lab: string; target: CaptureTarget }): JSX.Element {
  const [filter, setFilter] = useState('');
  const [linkHeader, setLinkHeader] = useState(target.kind === 'bridge');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Explained | null>(null);
  const id = useId();
  const local = filter.trim() ? checkCaptureFilter(filter.trim()) : null;
  const filterError = local ?? (error?.field === 'filter' ? error.summary : null);
  const submit = async () => {
    if (local || busy) return;
    setBusy(true);
    setError(null);
    try {
      await startCapture(lab, target, { filter, linkHeader });
    } catch (e) {
      setError(explain(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="capture-start"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <p>
        Capture on <strong className="mono">{where(target.node)}:{target.iface}</strong> with tcpdump, inside the lab.
      </p>
      {target.kind === 'bridge' && (
        <p className="note">
          A bridge device sees frames flooded to every port (ARP requests, broadcasts) and those addressed to the lab host, not unicast it forwards from one port to another: capture on a port for that.
        </p>
      )}
      <div className="capture-filter-row">
        <label htmlFor={id}>Filter</label>
        <input
          id={id}
          className="mono"
          value={filter}
          placeholder="e.g. icmp or arp (empty: every packet)"
          spellCheck={false}
          autoComplete="off"
          aria-invalid={filterError ? true : undefined}
          aria-describedby={filterError ? `${id}-why` : undefined}
          onChange={(e) => {
            setFilter(e.target.value);
            if (error?.field === 'filter') setError(null);
          }}
        />
        <button type="submit" className="primary" disabled={busy || !!local}>
          {busy ? 'Starting…' : 'Start capture'}
        </button>
        <button type="button" onClick={() => cancelRequest(lab)}>
          Cancel
        </button>
      </div>
      {filterError && (
        <div className="field-hint capture-filter-error" id={`${id}-why`} role="alert">
          {filterError}
        </div>
      )}
      <div className="capture-options">
        <span className="muted">Try:</span>
        {SUGGESTED.map((f) => (
          <button key={f} type="button" className="small mono" onClick={() => setFilter(f)}>
            {f}
          </button>
        ))}
        <label className="capture-check">
          <input type="checkbox" checked={linkHeader} onChange={(e) => setLinkHeader(e.target.checked)} /> show MAC addresses (tcpdump -e)
        </label>
      </div>
      {error && error.field !== 'filter' && <ErrorNote error={error} />}
    </form>
  );
}

function CapturePane({ tab }: { tab: CaptureTab }): JSX.Element {
  const { info, lab } = tab;
  const [stopping, setStopping] = useState(false);
  const [error, setError] = useState<Explained | null>(null);
  const running = info.state === 'running';
  const ended = !info.end ? null : info.end.kind === 'stopped' ? `${info.end.message[0]!.toUpperCase()}${info.end.message.slice(1)}.` : `${END_TEXT[info.end.kind] ?? info.end.kind}: ${info.end.message}`;
  return (
    <div className="capture-pane" data-capture={info.id} data-state={info.state}>
      <div className="capture-toolbar">
        <span className={`pill capture-state ${running ? 'running' : 'stopped'}`} role="status">
          {running ? (tab.stream === 'reconnecting' ? 'reconnecting…' : 'capturing') : 'stopped'}
        </span>
        <span className="capture-counts" data-packets={info.packets}>
          {info.packets} packet{info.packets === 1 ? '' : 's'} · {size(info.bytes)}
        </span>
        {tab.dropped > 0 && (
          <span className="warn capture-dropped" title="Lines the server dropped because this page could not keep up (the pcap still has every packet)">
            {tab.dropped} lines dropped
          </span>
        )}
        {info.undecoded > 0 && <span className="warn" title="The decoder fell behind; these packets are in the pcap but have no line">{info.undecoded} not decoded</span>}
        {info.kernelDropped > 0 && <span className="warn">{info.kernelDropped} dropped by the kernel</span>}
        <span className="spacer" />
        <button type="button" className="small" aria-pressed={tab.paused} onClick={() => setPaused(lab, info.id, !tab.paused)}>
          {tab.paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" className="small" onClick={() => clearLines(info.id)}>
          Clear
        </button>
        {running && (
          <button
            type="button"
            className="small danger"
            disabled={stopping}
            onClick={() => {
              setStopping(true);
              setError(null);
              void stopCapture(lab, info.id)
                .catch((e) => setError(explain(e)))
                .finally(() => setStopping(false));
            }}
          >
            Stop
          </button>
        )}
        <a className="button small" href={api.pcapUrl(lab, info.id)} download>
          Download .pcap
        </a>
      </div>
      {(ended || tab.streamError) && <p className="capture-ended muted">{tab.streamError ?? ended}</p>}
      <ErrorNote error={error} />
      <LinesView id={info.id} paused={tab.paused} running={running} />
    </div>
  );
}

function LinesView({ id, paused, running }: { id: string; paused: boolean; running: boolean }): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const pausedRef = useRef(paused);
  const renderRef = useRef<() => void>(() => {});
  const [behind, setBehind] = useState(false);
  const [empty, setEmpty] = useState(true);

  useLayoutEffect(() => {
    const el = ref.current!;
    const lines = linesOf(id);
    let mark = 0;
    let epoch = -1;
    let raf = 0;
    let stick = true;
    const render = () => {
      raf = 0;
      if (pausedRef.current) return;
      let entries;
      if (epoch !== lines.epoch || lines.stale(mark)) {
        el.replaceChildren();
        epoch = lines.epoch;
        entries = lines.all();
      } else entries = lines.since(mark);
      mark = lines.mark;
      if (entries.length) {
        const frag = document.createDocumentFragment();
        for (const e of entries.length > MAX_DOM_LINES ? entries.slice(-MAX_DOM_LINES) : entries) {
          const div = document.createElement('div');
          if (e.kind === 'line') {
            // One element and one text node per line (the number is drawn by CSS from data-n): a
            // flood costs the page as little layout as possible.
            div.className = 'capture-line';
            div.dataset.n = String(e.n);
            div.textContent = e.text;
          } else {
            div.className = 'capture-gap';
            div.textContent = `… ${e.missed} line${e.missed === 1 ? '' : 's'} missed (the pcap has every packet) …`;
          }
          frag.append(div);
        }
        if (entries.length >= MAX_DOM_LINES) el.replaceChildren(frag);
        else {
          el.append(frag);
          const extra = el.childElementCount - MAX_DOM_LINES;
          if (extra > 0) {
            // The oldest lines go in one operation rather than one removal each.
            const r = document.createRange();
            r.setStartBefore(el.firstElementChild!);
            r.setEndBefore(el.children[extra]!);
            r.deleteContents();
          }
        }
      }
      setEmpty(el.childElementCount === 0);
      if (stick) el.scrollTop = el.scrollHeight;
    };
    renderRef.current = () => {
      if (!raf) raf = requestAnimationFrame(render);
    };
    const onScroll = () => {
      stick = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      setBehind(!stick);
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    const off = onLines(id, renderRef.current);
    render();
    return () => {
      off();
      cancelAnimationFrame(raf);
      el.removeEventListener('scroll', onScroll);
    };
  }, [id]);

  useEffect(() => {
    pausedRef.current = paused;
    if (!paused) renderRef.current();
  }, [paused]);

  return (
    <div className="capture-lines-wrap">
      <div className="capture-lines mono" ref={ref} data-capture-lines={id} aria-live="off" />
      {empty && (
        <div className="capture-empty muted">
          {linesOf(id).received > 0
            ? 'Cleared. New lines appear here; the pcap still has every packet.'
            : running
              ? 'No packets yet. Send some traffic through this interface (ping from a terminal, say).'
              : 'No packets were captured.'}
        </div>
      )}
      {paused && <div className="capture-paused">Paused — lines keep arriving; Resume shows the newest.</div>}
      {behind && (
        <button
          type="button"
          className="small capture-jump"
          onClick={() => {
            const el = ref.current!;
            el.scrollTop = el.scrollHeight;
          }}
        >
          ↓ Latest
        </button>
      )}
    </div>
  );
}
