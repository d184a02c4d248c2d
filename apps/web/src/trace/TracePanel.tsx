// Trace mode, the dock's Trace tab: a small form (from, to, protocol and port), then the journey of
// one real probe: an event list (time, at, from, type, leg), step / back / play with a speed, the
// envelope on the graph (TraceOverlay), and the hop panel: the packet as it came in and as it left,
// layer by layer, the fields that changed highlighted, why it went there (linked to the inspector),
// and where it was dropped with the evidence. Keys while the panel has focus: ← → step, space plays.
// Predict mode (PredictBox) asks where the packet goes next before each move.
import { useEffect, useId, useMemo, useReducer, useRef, useState, type JSX, type KeyboardEvent } from 'react';
import type { Journey, JourneyEvent, ObservedLab } from '@nslab/model';
import { useLab } from '../lab/context.ts';
import { useLabState } from '../live/useLab.ts';
import { ErrorNote } from '../ui/ErrorNote.tsx';
import { api } from '../api.ts';
import { targetSuggestions } from '../diagnose/diagnosis.ts';
import {
  changedFields,
  formProblems,
  headerLayers,
  hopAt,
  initialStep,
  legWords,
  outcomeWords,
  placeShort,
  placeWords,
  previousValue,
  step,
  stepMs,
  timeWords,
  whyTarget,
  whyRow,
  type HeaderLayer,
  type TraceForm,
} from './journey-view.ts';
import { runTrace, useTrace, closeTrace } from './trace-store.ts';
import { predictPlan, score, type Judged, type Question } from './predict.ts';
import { PredictBox, PredictFeedback } from './PredictBox.tsx';
import { TraceOverlay } from './TraceOverlay.tsx';
import './trace.css';

const SPEEDS = [0.5, 1, 2, 4];

export function TracePanel({ lab: name }: { lab: string }): JSX.Element {
  const { store } = useLab();
  const { lab } = useLabState(store);
  const t = useTrace(name);
  const id = useId();
  const [form, setForm] = useState<TraceForm>({ from: '', to: '', protocol: 'icmp', port: '' });
  const toInput = useRef<HTMLInputElement>(null);

  // A new ask (toolbar, inspector, diagnosis) fills the form; the learner's edits stay until the next.
  const askN = t.ask?.n;
  useEffect(() => {
    if (!t.ask) return;
    const firstNs = lab?.nodes.find((n) => n.kind !== 'host' && !n.unsafeName)?.name ?? '';
    setForm((f) => ({ ...f, from: t.ask!.from ?? (f.from || firstNs), to: t.ask!.to ?? (t.ask!.from !== undefined ? '' : f.to), ...(t.ask!.protocol ? { protocol: t.ask!.protocol, port: t.ask!.port ?? '' } : {}) }));
    requestAnimationFrame(() => toInput.current?.focus());
    // Only a new ask refills the form.
  }, [askN]);

  const problems = formProblems(form);
  const serverField = t.error?.field;
  const fieldError = (f: string) => (serverField === f || (f === 'port' && serverField === 'protocol') ? t.error!.summary : null);
  const shownProblem = (f: 'from' | 'to' | 'port') => (f === 'to' && form.to.trim() === '' ? null : problems[f]) ?? fieldError(f);
  const canRun = !t.running && Object.keys(problems).length === 0;
  const nodes = (lab?.nodes ?? []).filter((n) => !n.unsafeName);

  const hint = (f: 'from' | 'to' | 'port') => {
    const p = shownProblem(f);
    return (
      <div id={`${id}-${f}-hint`} className="field-hint" role={p ? 'alert' : undefined} data-field={f}>
        {p ?? ''}
      </div>
    );
  };

  return (
    <section className="trace-panel" aria-label="Trace a packet">
      <form
        className="trace-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (canRun) void runTrace(name, form);
        }}
      >
        <div className="trace-field">
          <label htmlFor={`${id}-from`}>From</label>
          <select id={`${id}-from`} value={form.from} aria-invalid={shownProblem('from') ? true : undefined} aria-describedby={`${id}-from-hint`} onChange={(e) => setForm({ ...form, from: e.target.value })}>
            {form.from === '' && <option value="">choose…</option>}
            {nodes.map((n) => (
              <option key={n.name} value={n.name}>
                {n.kind === 'host' ? 'lab host' : n.name}
              </option>
            ))}
          </select>
          {hint('from')}
        </div>
        <div className="trace-field grow">
          <label htmlFor={`${id}-to`}>To</label>
          <input
            id={`${id}-to`}
            ref={toInput}
            className="mono"
            list={`${id}-targets`}
            placeholder="a namespace or an IP address"
            value={form.to}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={shownProblem('to') ? true : undefined}
            aria-describedby={`${id}-to-hint`}
            onChange={(e) => setForm({ ...form, to: e.target.value })}
          />
          <datalist id={`${id}-targets`}>
            {(lab && form.from ? targetSuggestions(lab, form.from) : []).map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
          {hint('to')}
        </div>
        <div className="trace-field">
          <label htmlFor={`${id}-proto`}>Protocol</label>
          <select id={`${id}-proto`} value={form.protocol} onChange={(e) => setForm({ ...form, protocol: e.target.value as TraceForm['protocol'] })}>
            <option value="icmp">ICMP ping</option>
            <option value="tcp">TCP SYN</option>
            <option value="udp">UDP</option>
          </select>
        </div>
        {form.protocol !== 'icmp' && (
          <div className="trace-field port">
            <label htmlFor={`${id}-port`}>Port</label>
            <input
              id={`${id}-port`}
              className="mono"
              inputMode="numeric"
              value={form.port}
              placeholder="80"
              aria-invalid={shownProblem('port') ? true : undefined}
              aria-describedby={`${id}-port-hint`}
              onChange={(e) => setForm({ ...form, port: e.target.value })}
            />
            {hint('port')}
          </div>
        )}
        <div className="trace-field">
          <span className="label-space" aria-hidden>
            &nbsp;
          </span>
          <button type="submit" className="primary" disabled={!canRun} aria-busy={t.running}>
            {t.running ? 'Tracing…' : 'Trace'}
          </button>
        </div>
        {(t.journey || t.ask) && (
          <button type="button" className="icon trace-close" aria-label="Close the trace" title="Close the trace (the envelope leaves the graph)" onClick={() => closeTrace(name)}>
            ×
          </button>
        )}
      </form>
      {t.running && <Busy since={t.startedAt ?? Date.now()} from={form.from} to={form.to} />}
      {t.error && !fieldError('from') && !fieldError('to') && !fieldError('port') && (
        <div className={t.error.busy ? 'trace-error busy' : 'trace-error'}>
          <ErrorNote error={t.error} />
          {t.error.busy && (
            <button type="button" onClick={() => canRun && void runTrace(name, form)} disabled={!canRun}>
              Try again
            </button>
          )}
        </div>
      )}
      {t.journey ? (
        <JourneyView key={t.journey.startedAt ?? JSON.stringify(t.journey.probe)} journey={t.journey} lab={lab} labName={name} stale={t.running} />
      ) : (
        !t.running && (
          <p className="trace-empty">
            Send one real packet and follow it hop by hop: every interface it crossed, what changed in its headers, and why it went there. A trace takes 1–3 seconds.
          </p>
        )
      )}
    </section>
  );
}

function Busy({ since, from, to }: { since: number; from: string; to: string }): JSX.Element {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 200);
    return () => clearInterval(t);
  }, []);
  return (
    <div className="trace-busy" role="status">
      <span className="trace-spinner" aria-hidden />
      Tracing {from} → {to.trim()}: collectors armed in the namespaces on the way, one marked probe sent, its sightings gathered… <span className="mono">{((now - since) / 1000).toFixed(1)} s</span>
    </div>
  );
}

function JourneyView({ journey, lab, labName, stale }: { journey: Journey; lab: ObservedLab | null; labName: string; stale: boolean }): JSX.Element {
  const events = journey.events;
  const [s, dispatch] = useReducer(step, events.length, initialStep);
  const [speed, setSpeed] = useState(1);
  const ms = stepMs(speed);
  const root = useRef<HTMLDivElement>(null);
  const list = useRef<HTMLOListElement>(null);
  // Predict mode: the questions of this journey (from the lab as it was drawn when the journey came).
  const [predict, setPredict] = useState(false);
  const plan = useMemo(() => predictPlan(journey, lab), [journey, lab !== null]);
  const [answers, setAnswers] = useState<ReadonlyMap<number, Judged>>(new Map());
  const [feedback, setFeedback] = useState<Judged | null>(null);
  const [reached, setReached] = useState(-1);
  const question: Question | undefined = predict && !answers.has(s.index) ? plan.get(s.index) : undefined;
  const dropQ = [...plan.values()].find((q) => q.kind === 'drop');
  const dropShown = !predict || !dropQ || answers.has(dropQ.at);
  useEffect(() => setReached((r) => Math.max(r, s.index)), [s.index]);

  useEffect(() => {
    if (!s.playing) return;
    // A question stops the player: the learner answers before the envelope moves on.
    if (question) return dispatch({ kind: 'pause' });
    const timer = setTimeout(() => dispatch({ kind: 'tick' }), s.index < 0 ? ms / 2 : ms);
    return () => clearTimeout(timer);
  }, [s.playing, s.index, ms, question]);
  // The keyboard goes to the journey once it is shown, so → steps at once.
  useEffect(() => root.current?.focus({ preventScroll: true }), []);
  useEffect(() => {
    list.current?.querySelector('[aria-current="step"]')?.scrollIntoView({ block: 'nearest' });
  }, [s.index]);

  const answer = (_guess: string, j: Judged) => {
    setAnswers((a) => new Map(a).set(s.index, j));
    setFeedback(j);
    // The envelope moves once the guess is judged (a drop has nowhere to move to).
    if (question?.kind !== 'drop') dispatch({ kind: 'next' });
    root.current?.focus({ preventScroll: true });
  };
  const togglePredict = (on: boolean) => {
    setPredict(on);
    setAnswers(new Map());
    setFeedback(null);
    setReached(-1);
    dispatch({ kind: 'first' });
  };

  const onKey = (e: KeyboardEvent) => {
    const el = e.target as HTMLElement;
    if (el.closest('input, select, textarea')) return;
    if (e.key === 'ArrowRight') {
      if (!question) dispatch({ kind: 'next' });
    } else if (e.key === 'ArrowLeft') dispatch({ kind: 'back' });
    else if (e.key === ' ' && !el.closest('button')) {
      if (!question || s.playing) dispatch({ kind: 'toggle' });
    } else if (e.key === 'Home') dispatch({ kind: 'first' });
    else if (e.key === 'End') {
      if (!predict) dispatch({ kind: 'last' });
    } else return;
    e.preventDefault();
    e.stopPropagation();
  };
  const last = s.index === events.length - 1;
  const done = predict && last && !question;
  const total = score(answers);

  return (
    <div className={stale ? 'trace-journey stale' : 'trace-journey'} tabIndex={0} ref={root} onKeyDown={onKey} aria-label="Journey: ← → step, space plays">
      <div className="trace-summary">
        {predict && !done ? (
          // The outcome would give the last answers away: it shows once every question is answered.
          <strong className="trace-outcome" role="status">
            Predicting: the outcome shows at the end
          </strong>
        ) : (
          <strong className={journey.drop ? 'trace-outcome dropped' : journey.replied ? 'trace-outcome ok' : 'trace-outcome'} role="status">
            {journey.drop ? '✕ ' : journey.replied ? '✓ ' : ''}
            {outcomeWords(journey)}
          </strong>
        )}
        <span className="muted">
          {' '}
          · {journey.probe.protocol}
          {journey.probe.port ? ` ${journey.probe.port}` : ''} {journey.from} → {journey.target ?? journey.to} · {events.length} sightings
        </span>
        {/* Every armed namespace's packets of this trace in one file, for Wireshark (kept for the lab's last few traces). */}
        {journey.id && (
          <a className="button small trace-pcap" href={api.tracePcapUrl(labName, journey.id)} download={`${labName}-trace.pcapng`} title="Every packet the trace saw, from every armed namespace, in one file for Wireshark">
            Download pcapng
          </a>
        )}
      </div>
      {!journey.reliable && (
        <p className="trace-unreliable" role="alert">
          ⚠ This journey may be wrong: something in the lab interfered with the trace{journey.warnings.length ? ` — ${journey.warnings.join('; ')}` : ''}. Trace again once the lab is quiet.
        </p>
      )}
      {journey.reliable && journey.warnings.length > 0 && <p className="trace-warnings">{journey.warnings.join(' · ')}</p>}
      <div className="trace-controls" role="group" aria-label="Step through the journey">
        <button type="button" onClick={() => dispatch({ kind: 'first' })} disabled={s.index < 0} aria-label="Back to the start" title="Back to the start (Home)">
          |◀
        </button>
        <button type="button" onClick={() => dispatch({ kind: 'back' })} disabled={s.index < 0} aria-label="Back" title="Back one step (←)">
          ◀ Back
        </button>
        <button type="button" className="primary" onClick={() => dispatch({ kind: 'toggle' })} disabled={events.length === 0 || (!!question && !s.playing)} aria-label={s.playing ? 'Pause' : 'Play'} title="Play / pause (space)">
          {s.playing ? '⏸ Pause' : '▶ Play'}
        </button>
        <button type="button" onClick={() => dispatch({ kind: 'next' })} disabled={last || !!question} aria-label="Step" title={question ? 'Say where it goes next first' : 'Next step (→)'}>
          Step ▶
        </button>
        <button type="button" onClick={() => dispatch({ kind: 'last' })} disabled={last || predict} aria-label="To the end" title={predict ? 'Predict mode: one step at a time' : 'To the end (End)'}>
          ▶|
        </button>
        <label className="trace-speed">
          Speed
          <select value={speed} onChange={(e) => setSpeed(Number(e.target.value))} aria-label="Speed">
            {SPEEDS.map((x) => (
              <option key={x} value={x}>
                {x}×
              </option>
            ))}
          </select>
        </label>
        <span className="trace-position mono" aria-live="polite">
          {s.index < 0 ? 'at the start' : `step ${s.index + 1} / ${events.length}`}
        </span>
        <label className="trace-predict-toggle" title="Before each move, say where the packet goes next: click it on the graph or pick it from the list">
          <input type="checkbox" checked={predict} onChange={(e) => togglePredict(e.target.checked)} aria-label="Predict the next hop" /> Predict
        </label>
      </div>
      {predict && (
        <div className="trace-predict" aria-label="Predict the next hop">
          {feedback && <PredictFeedback judged={feedback} />}
          {question && <PredictBox key={s.index} question={question} lab={lab} here={s.index < 0 ? journey.from : events[s.index]!.at.node} onAnswer={answer} />}
          {done && total.asked > 0 && (
            <p className="predict-score" role="status">
              Score: <strong>{total.right}</strong> / {total.asked} right
            </p>
          )}
        </div>
      )}
      <div className="trace-body">
        <ol className="trace-events" ref={list} aria-label="Events">
          <li className="trace-events-head" aria-hidden>
            <span>ms</span>
            <span>at</span>
            <span>from</span>
            <span>type</span>
          </li>
          {events.map((e, i) => (predict && i > reached ? null :
            <li
              key={i}
              className={`trace-event leg-${e.leg}${i === s.index ? ' current' : ''}${i > s.index ? ' future' : ''}`}
              aria-current={i === s.index ? 'step' : undefined}
              onClick={() => dispatch({ kind: 'go', index: predict ? Math.min(i, reached) : i })}
            >
              <span className="mono" title={timeWords(e.t)}>{(e.t / 1e6).toFixed(3)}</span>
              <span className="mono" title={placeWords(e.at)}>{placeShort(e.at)}</span>
              <span className="mono muted">{e.from ? placeShort(e.from) : '—'}</span>
              <span>
                <span className={`trace-leg leg-${e.leg}`}>{legWords(e.leg)}</span> {e.type}
                {e.flooded ? <span className="trace-flood"> flooded</span> : null}
                {e.changes.length > 0 ? <span className="trace-changed-mark" title={e.changes.map((c) => c.text).join('\n')}> ●</span> : null}
              </span>
            </li>
          ))}
          {journey.drop && dropShown && (
            <li className={`trace-event dropped${last ? ' current' : ''}`}>
              <span />
              <span className="mono">{placeShort({ node: journey.drop.node, interface: journey.drop.interface ?? '—' })}</span>
              <span />
              <span>✕ dropped ({journey.drop.leg})</span>
            </li>
          )}
        </ol>
        <HopPanel journey={journey} index={s.index} lab={lab} dropShown={dropShown} predict={predict} />
      </div>
      <TraceOverlay journey={journey} index={s.index} lab={lab} ms={ms} showDrop={dropShown} />
    </div>
  );
}

function HopPanel({ journey, index, lab, dropShown, predict }: { journey: Journey; index: number; lab: ObservedLab | null; dropShown: boolean; predict: boolean }): JSX.Element {
  const { select } = useLab();
  const events = journey.events;
  const hop = hopAt(events, index);
  const e = events[index];
  if (!hop || !e) {
    return (
      <section className="trace-hop" aria-label="Hop">
        {predict ? (
          <p className="muted">
            The probe waits in <strong>{journey.from}</strong>. Say where it goes first: click it on the graph, or pick it above.
          </p>
        ) : (
          <p className="muted">
            The probe waits in <strong>{journey.from}</strong>. Press <kbd>→</kbd> or <strong>Step</strong> to follow it; <strong>Play</strong> runs it at the chosen speed.
          </p>
        )}
        {journey.drop && events.length === 0 && dropShown && <DropEvidence journey={journey} />}
      </section>
    );
  }
  const inH = hop.inbound?.event.headers;
  const out = hop.outbound?.event;
  const changed = out ? changedFields(inH, out) : new Set<string>();
  const inLayers = inH ? headerLayers(inH) : [];
  const outLayers = out ? headerLayers(out.headers) : [];
  const layers = mergeLayers(outLayers, inLayers);
  const place = (x?: { event: JourneyEvent }) => (x ? `${x.event.at.interface}` : '');
  const linkTo = (kind: string) => whyTarget(lab, e, kind);
  const last = index === events.length - 1;
  return (
    <section className="trace-hop" aria-label="Hop" data-node={hop.node}>
      <h3>
        {hop.node === 'host' ? 'lab host' : hop.node} <span className={`trace-leg leg-${e.leg}`}>{legWords(e.leg)}</span> <span className="muted">{e.type}</span>
      </h3>
      {last && journey.drop && dropShown && <DropEvidence journey={journey} />}
      <table className="trace-headers">
        <thead>
          <tr>
            <th scope="col">field</th>
            <th scope="col">{hop.inbound ? `in · ${place(hop.inbound)}` : 'in'}</th>
            <th scope="col">{hop.outbound ? `out · ${place(hop.outbound)}` : 'out'}</th>
          </tr>
        </thead>
        {layers.map((l) => (
          <tbody key={l.key} data-layer={l.key}>
            <tr className="trace-layer-row">
              <th colSpan={3} scope="rowgroup">
                {l.title}
              </th>
            </tr>
            {l.fields.map((f) => {
              const inV = inH ? previousValue(inH, f.field) : undefined;
              const outV = out ? (outLayers.find((x) => x.key === l.key)?.fields.find((x) => x.field === f.field)?.value ?? undefined) : undefined;
              const isChanged = changed.has(f.field);
              return (
                <tr key={f.field} data-field={f.field} className={isChanged ? 'changed' : undefined}>
                  <th scope="row">{f.label}</th>
                  <td className="mono" data-side="in" title={f.note}>
                    {inV ?? (hop.inbound ? '—' : '')}
                  </td>
                  <td className={isChanged ? 'mono changed' : 'mono'} data-side="out" title={isChanged && inV !== undefined ? `was ${inV}` : f.note}>
                    {outV ?? (hop.outbound ? '—' : '')}
                    {isChanged && inV !== undefined && <span className="trace-was"> (was {inV})</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        ))}
      </table>
      {!hop.outbound && hop.inbound && <p className="muted trace-note">{last && journey.drop && dropShown ? 'It went no further.' : 'Step on to see it leave (or be delivered).'}</p>}
      {out && out.changes.length > 0 && (
        <ul className="trace-changes" aria-label="What changed">
          {out.changes.map((c, i) => (
            <li key={i} data-kind={c.kind}>
              <span className="trace-change-kind">{c.kind}</span> {c.text}
            </li>
          ))}
        </ul>
      )}
      {e.why.length > 0 && (
        <div className="trace-why">
          <h4>Why</h4>
          <ul aria-label="Why">
            {e.why.map((w, i) => {
              const target = linkTo(w.kind);
              return (
                <li key={i} data-kind={w.kind}>
                  {w.text}
                  {w.detail && (
                    <>
                      {' '}
                      <code>{w.detail}</code>
                    </>
                  )}
                  {target && (
                    <button
                      type="button"
                      className="link"
                      onClick={() => {
                        select(target, true);
                        const row = whyRow(w);
                        if (row) revealInInspector(row);
                      }}
                      title="Select it: the inspector shows its routes, interfaces and rules, the deciding one marked"
                    >
                      show {target.includes(':') ? `bridge ${target.split(':')[1]}` : target === 'host' ? 'the lab host' : target} in the inspector
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </section>
  );
}

/**
 * Marks the inspector row that decided, once the inspector shows the selected node (a few frames),
 * and scrolls it into view; the mark fades after a few seconds.
 */
function revealInInspector(selector: string): void {
  let tries = 30;
  const look = () => {
    const row = document.querySelector<HTMLElement>(`[aria-label="Inspector"] ${selector}`);
    if (!row) {
      if (--tries > 0) requestAnimationFrame(look);
      return;
    }
    row.scrollIntoView({ block: 'center' });
    row.classList.add('why-focus');
    setTimeout(() => row.classList.remove('why-focus'), 4000);
  };
  requestAnimationFrame(look);
}

function DropEvidence({ journey }: { journey: Journey }): JSX.Element {
  const d = journey.drop!;
  return (
    <div className="trace-drop-evidence" role="alert">
      <h4>
        ✕ Dropped at {d.node === 'host' ? 'the lab host' : d.node}
        {d.interface ? ` · ${d.interface}` : ''} ({d.leg})
      </h4>
      <ul>
        {d.evidence.map((x, i) => (
          <li key={i} data-kind={x.kind}>
            <span className="trace-change-kind">{x.kind}</span>{' '}
            {x.text.length > 140 || (x.kind === 'probe' && x.text.length > 60) ? (
              <details>
                <summary>{x.kind === 'probe' ? 'what the probe printed' : `${x.text.slice(0, 80)}…`}</summary>
                <pre>{x.text}</pre>
              </details>
            ) : (
              x.text
            )}
            {x.detail && !x.text.includes(x.detail) &&
              (x.detail.length > 60 || x.detail.includes('\n') ? (
                // Command output (the probe's ping) is evidence to open, not to read first.
                <details>
                  <summary>{x.kind === 'probe' ? 'the probe’s output' : 'details'}</summary>
                  <pre>{x.detail}</pre>
                </details>
              ) : (
                <>
                  {' '}
                  <code>{x.detail}</code>
                </>
              ))}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Layers in the packet's order (outbound first, then what only the inbound had, e.g. an encapsulation removed). */
function mergeLayers(a: HeaderLayer[], b: HeaderLayer[]): HeaderLayer[] {
  const out = a.map((l) => {
    const other = b.find((x) => x.key === l.key);
    const extra = other ? other.fields.filter((f) => !l.fields.some((g) => g.field === f.field)) : [];
    return { ...l, fields: [...l.fields, ...extra] };
  });
  for (const l of b) if (!out.some((x) => x.key === l.key)) out.push(l);
  return out;
}
