// "Why can't A reach B?" over the canvas: a small form (from = a node, to = a node or an address),
// then the server's verdict — the walked path, the first broken hop with its cause and fix, and
// whether the real ping agrees — with the path and the broken hop lit on the graph. A result is
// only shown while it describes the lab: when what the walk reads changes, it is checked again.
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import type { Hop, ObservedLab } from '@nslab/model';
import { api } from '../api.ts';
import { explain, type Explained } from '../errors.ts';
import { ErrorNote } from '../ui/ErrorNote.tsx';
import { copyText } from '../guide/Markdown.tsx';
import { useLab } from '../lab/context.ts';
import { askTrace } from '../trace/trace-store.ts';
import { resolve } from '../selection.ts';
import {
  checkFrom,
  checkTarget,
  elementOf,
  fixPlan,
  highlightOf,
  pingAgrees,
  targetSuggestions,
  verdictOf,
  walkSignature,
  type Highlight,
  type LiveDiagnosis,
} from './diagnosis.ts';
import './diagnose.css';

export interface DiagnoseRequest {
  /** The node to start from; the selected one (or the first namespace) when not given. */
  from?: string;
  /** Bumped on every request, so asking again from the same node re-opens the form. */
  n: number;
}

/** A changed lab is checked again once it has been quiet this long. */
const RECHECK_DELAY_MS = 500;

interface Shown {
  d: LiveDiagnosis;
  /** walkSignature of the lab when the request was sent. */
  sig: string;
}

function defaultFrom(lab: ObservedLab | null, selection: string | null): string {
  const r = resolve(lab, selection);
  if (r?.kind === 'node' && !r.node.unsafeName) return r.node.name;
  return lab?.nodes.find((n) => n.kind === 'netns' && !n.unsafeName)?.name ?? 'host';
}

function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(t);
  }, [copied]);
  return (
    <button type="button" className="small" aria-label={`Copy: ${text}`} onClick={() => void copyText(text).then(() => setCopied(true))}>
      {copied ? 'Copied ✓' : 'Copy'}
    </button>
  );
}

function where(node: string, iface?: string): string {
  const n = node === 'host' ? 'lab host' : node;
  return iface ? `${n} · ${iface}` : n;
}

export function DiagnosePanel({
  lab,
  selection,
  request,
  onClose,
  onHighlight,
}: {
  lab: ObservedLab | null;
  selection: string | null;
  request: DiagnoseRequest | null;
  onClose(): void;
  onHighlight(h: Highlight | null): void;
}) {
  const { lab: name, select } = useLab();
  const id = useId();
  const toInput = useRef<HTMLInputElement>(null);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [shown, setShown] = useState<Shown | null>(null);
  const [asked, setAsked] = useState<{ from: string; to: string } | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<Explained | null>(null);
  const [applying, setApplying] = useState(false);
  const [applyError, setApplyError] = useState<string | null>(null);
  const seq = useRef(0);
  const labRef = useRef(lab);
  labRef.current = lab;

  // A new request (from the inspector or the toolbar) starts a fresh form.
  useEffect(() => {
    if (!request) return;
    setFrom(request.from ?? defaultFrom(labRef.current, selection));
    setShown(null);
    setAsked(null);
    setError(null);
    setApplyError(null);
    setTimeout(() => toInput.current?.focus(), 0);
    // Only a new request resets the form; selection changes later do not.
  }, [request]);

  const run = useCallback(
    async (f: string, t: string) => {
      const mine = ++seq.current;
      const sig = labRef.current ? walkSignature(labRef.current) : '';
      setRunning(true);
      setError(null);
      setAsked({ from: f, to: t });
      try {
        const d = await api.diagnose(name, f, t);
        if (mine === seq.current) setShown({ d, sig });
      } catch (e) {
        if (mine === seq.current) {
          setShown(null);
          setError(explain(e));
        }
      } finally {
        if (mine === seq.current) setRunning(false);
      }
    },
    [name],
  );

  const sig = useMemo(() => (lab ? walkSignature(lab) : ''), [lab]);
  const stale = !!shown && shown.sig !== sig;

  // Checked again on its own once the lab has settled; the highlight goes while it is out of date.
  useEffect(() => {
    if (!stale || running || !asked) return;
    const t = setTimeout(() => void run(asked.from, asked.to), RECHECK_DELAY_MS);
    return () => clearTimeout(t);
  }, [stale, running, asked, run, sig]);

  useEffect(() => {
    onHighlight(request && shown && !stale && lab ? highlightOf(lab, shown.d) : null);
    // `lab` is read for element ids only; a change that matters makes the result stale first.
  }, [request, shown, stale, onHighlight]);

  if (!request) return null;

  const nodes = (lab?.nodes ?? []).filter((n) => !n.unsafeName);
  const fromProblem = from === '' ? null : checkFrom(from);
  const toProblem = to.trim() === '' ? null : checkTarget(to.trim());
  const fieldError = (f: string) => (error?.field === f ? error.summary : null);
  const close = () => {
    seq.current++;
    onHighlight(null);
    onClose();
  };
  const submit = () => {
    const t = to.trim();
    if (fromProblem || checkTarget(t) || from === '') {
      if (t === '') setError({ summary: checkTarget('')!, field: 'to' });
      return;
    }
    setApplyError(null);
    void run(from, t);
  };

  const d = shown?.d;
  const verdict = d ? verdictOf(d) : null;
  const plan = d?.problem ? fixPlan(d.problem.fix) : null;
  const apply = async () => {
    if (!plan || !asked) return;
    setApplying(true);
    setApplyError(null);
    try {
      for (const argv of plan) {
        const r = await api.exec(name, 'host', argv);
        if (r.code !== 0) {
          setApplyError(`${argv.join(' ')} exited ${r.code ?? r.signal ?? '?'}: ${(r.stderr || r.stdout).trim() || 'no output'}`);
          return;
        }
      }
      // Out of date now, whether or not the live view shows the change (a NAT rule, a neighbour
      // entry does not): checked again once the kernel's patches have settled.
      setShown((cur) => cur && { ...cur, sig: '' });
    } catch (e) {
      setApplyError(explain(e).summary);
    } finally {
      setApplying(false);
    }
  };

  const hopRow = (h: Hop, i: number) => {
    const broken = d?.problem?.hop === i;
    const target = lab ? elementOf(lab, h.node, h.interface) : null;
    return (
      <li key={i} className={broken ? `diag-hop broken ${verdict}` : 'diag-hop'} aria-current={broken ? 'step' : undefined}>
        <button type="button" className="diag-hop-where mono" disabled={!target} title="Show it on the graph" onClick={() => target && select(target, true)}>
          {where(h.node, h.interface)}
        </button>
        <span className="diag-hop-what">{h.what}</span>
      </li>
    );
  };
  const forward = d?.path.map((h, i) => [h, i] as const).filter(([h]) => h.direction === 'forward') ?? [];
  const back = d?.path.map((h, i) => [h, i] as const).filter(([h]) => h.direction === 'return') ?? [];
  const agrees = d ? pingAgrees(d) : null;
  const target = d?.target ? ` (${d.target.address}, ${d.target.interface} in ${d.target.node === 'host' ? 'the lab host' : d.target.node})` : '';

  return (
    <section
      className="diagnose-panel"
      aria-label="Why can't it reach?"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          close();
        }
      }}
    >
      <header className="diag-head">
        <h2>Why can't it reach…?</h2>
        <button type="button" className="icon" aria-label="Close the diagnosis" title="Close (Esc)" onClick={close}>
          ×
        </button>
      </header>
      <form
        className="diag-form"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label htmlFor={`${id}-from`}>From</label>
        <select id={`${id}-from`} value={from} onChange={(e) => setFrom(e.target.value)} aria-invalid={fromProblem || fieldError('from') ? true : undefined}>
          {nodes.map((n) => (
            <option key={n.name} value={n.name}>
              {n.kind === 'host' ? 'lab host' : n.name}
            </option>
          ))}
        </select>
        <label htmlFor={`${id}-to`}>To</label>
        <input
          id={`${id}-to`}
          ref={toInput}
          className="mono"
          list={`${id}-targets`}
          placeholder="a node or an IP address"
          value={to}
          spellCheck={false}
          autoComplete="off"
          aria-invalid={toProblem || fieldError('to') ? true : undefined}
          aria-describedby={`${id}-to-hint`}
          onChange={(e) => {
            setTo(e.target.value);
            if (error?.field === 'to') setError(null);
          }}
        />
        <datalist id={`${id}-targets`}>
          {(lab ? targetSuggestions(lab, from) : []).map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
        <button type="submit" className="primary" disabled={running || !!toProblem || !!fromProblem}>
          {running ? 'Checking…' : 'Diagnose'}
        </button>
        <div id={`${id}-to-hint`} className="field-hint" role={toProblem || fieldError('to') ? 'alert' : undefined}>
          {toProblem ?? fieldError('to') ?? ''}
        </div>
        {(fromProblem ?? fieldError('from')) && <div className="field-hint">{fromProblem ?? fieldError('from')}</div>}
        {error && !error.field && <ErrorNote error={error} />}
      </form>

      {d && (
        <div className={stale ? 'diag-result stale' : 'diag-result'} aria-busy={running}>
          {stale && (
            <p className="diag-stale" role="status">
              The lab changed since this was checked; checking again…
            </p>
          )}
          <p className={`diag-verdict ${verdict}`} role="status">
            {verdict === 'ok' && (
              <>
                ✓ {where(d.from)} reaches {d.to}
                {target} and the reply comes back.
              </>
            )}
            {verdict === 'broken' && d.problem && (
              <>
                ✗ Broken at <strong>{where(d.problem.node, d.problem.interface)}</strong> <span className="diag-cause-code">({d.problem.cause})</span>
              </>
            )}
            {verdict === 'unexplained' && (
              <>
                ? Unexplained: the walk finds no break from {where(d.from)} to {d.to}
                {target}, but the real ping gets no reply.
              </>
            )}
            {verdict === 'unknown' && d.problem && (
              <>
                ? No verdict: the walk stops at <strong>{where(d.problem.node, d.problem.interface)}</strong>
              </>
            )}
          </p>
          {d.problem && <p className="diag-cause">{d.problem.message}</p>}
          {d.uncertain && d.uncertain.length > 0 && (
            <div className="diag-uncertain">
              <h3>{verdict === 'unexplained' ? 'First suspects' : 'Might also drop it'}</h3>
              <ul>
                {d.uncertain.map((u) => (
                  <li key={u}>{u}</li>
                ))}
              </ul>
            </div>
          )}
          {d.problem && d.problem.fix.length > 0 && (
            <div className="diag-fix">
              <h3>Fix — type in the lab host</h3>
              <ul aria-label="Fix commands">
                {d.problem.fix.map((c) => (
                  <li key={c}>
                    <code>{c}</code>
                    <CopyButton text={c} />
                  </li>
                ))}
              </ul>
              {plan && (
                <button type="button" className="primary" disabled={applying || running || stale} onClick={() => void apply()}>
                  {applying ? 'Applying…' : 'Apply fix'}
                </button>
              )}
              {applyError && (
                <div className="error-note" role="alert">
                  {applyError}
                </div>
              )}
            </div>
          )}
          <div className={`diag-ping ${agrees === false ? 'disagrees' : ''}`}>
            {d.ping.address ? (
              <>
                Real ping {where(d.from)} → {d.ping.address}: <strong>{d.ping.ok ? 'replies' : 'no reply'}</strong>
                {agrees === true && ' — agrees with the walk.'}
                {agrees === false && (d.ping.ok ? ' — yet the walk found a problem: it may not stop a ping, or the walk misread something.' : ' — the walk read routes, links, NAT and filter rules and found nothing that drops it: something it does not read does (nftables tables of its own, tc, a process), or ARP was still resolving.')}
                {agrees === null && ' — the walk could not tell, so the ping decides.'}
              </>
            ) : (
              <>No ping: {d.ping.output}</>
            )}
            {d.ping.output && d.ping.address && (
              <details>
                <summary>ping output</summary>
                <pre>{d.ping.output}</pre>
              </details>
            )}
          </div>
          <button type="button" className="diag-trace" onClick={() => askTrace(name, d.from, d.to)} title="Send one real packet on this path and follow it hop by hop (the dock's Trace tab)">
            Trace this packet ({where(d.from)} → {d.to})
          </button>
          {forward.length > 0 && (
            <>
              <h3>The way there</h3>
              <ol className="diag-path" aria-label="The way there">
                {forward.map(([h, i]) => hopRow(h, i))}
              </ol>
            </>
          )}
          {back.length > 0 && (
            <>
              <h3>The reply</h3>
              <ol className="diag-path" aria-label="The reply">
                {back.map(([h, i]) => hopRow(h, i))}
              </ol>
            </>
          )}
        </div>
      )}
    </section>
  );
}
