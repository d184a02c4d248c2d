// A guided step that asks the learner to trace a packet and explain it: the trace to run (one click:
// "Trace it" opens Trace mode and sends the probe), then the question, answered from what the
// journey showed. The server judges the answer against the newest trace of this lab that fits the
// step (the right answer is never sent to the page), one answer per trace.
import { useId, useState, type JSX } from 'react';
import type { Journey } from '@nslab/model';
import { api, type GuideStepResult, type GuideProgress, type GuideTraceAnswer, type GuideTraceTask } from '../api.ts';
import { explain, type Explained } from '../errors.ts';
import { useLab } from '../lab/context.ts';
import { useLabState } from '../live/useLab.ts';
import { ErrorNote } from '../ui/ErrorNote.tsx';
import { traceNow, useTrace } from '../trace/trace-store.ts';

export type Answered = { ok: boolean; text: string; results: GuideStepResult[] } & GuideProgress;

const NONE_WORDS: Record<GuideTraceTask['ask']['kind'], string> = {
  'which-node-rewrote-source': 'none: it kept its source address',
  'where-dropped': 'nowhere: it was not dropped',
  'next-hop-of': 'nowhere: it never left',
  'first-packet-flooded': '',
};

export function taskText(t: GuideTraceTask): string {
  return `${t.from} → ${t.to} (${t.protocol === 'icmp' ? 'ICMP ping' : `${t.protocol.toUpperCase()} ${t.port}`})`;
}

/** The trace this tab last showed fits the task (the server decides; this only brings the question forward). */
export function fits(t: GuideTraceTask, j: Journey | null): boolean {
  return !!j && j.from === t.from && (j.to === t.to || j.target === t.to) && j.probe.protocol === t.protocol && (t.protocol === 'icmp' || j.probe.port === t.port);
}

export function TraceQuestion(props: { lab: string; step: number; task: GuideTraceTask; last: { ok: boolean; text: string } | undefined; readOnly: boolean; onAnswered(r: Answered): void }): JSX.Element {
  const { lab, task } = props;
  const id = useId();
  const { store } = useLab();
  const { lab: live } = useLabState(store);
  const trace = useTrace(lab);
  const [verdict, setVerdict] = useState<{ ok: boolean; text: string } | undefined>(props.last);
  const [error, setError] = useState<Explained | null>(null);
  const [sending, setSending] = useState(false);
  const [anyway, setAnyway] = useState(false);
  const [node, setNode] = useState('');
  const [flooded, setFlooded] = useState<boolean | null>(null);
  const [ports, setPorts] = useState<string[]>([]);
  const traced = fits(task, trace.journey);
  const flood = task.ask.kind === 'first-packet-flooded';

  const nodes = (live?.nodes ?? []).filter((n) => !n.unsafeName);
  const bridgePorts = (live?.nodes ?? []).flatMap((n) => n.interfaces.filter((i) => i.master).map((i) => ({ node: n.name, name: i.name, bridge: i.master! })));
  const answer: GuideTraceAnswer | null = flood ? (flooded === null ? null : flooded ? (ports.length ? { flooded, ports } : null) : { flooded }) : node ? { node } : null;

  const send = async () => {
    if (!answer) return;
    setSending(true);
    setError(null);
    try {
      const r = await api.answerGuide(lab, props.step, answer);
      setVerdict({ ok: r.ok, text: r.text });
      props.onAnswered(r);
    } catch (e) {
      setError(explain(e));
    } finally {
      setSending(false);
    }
  };

  // A right answer closes the question (the step passed); tracing again opens it again.
  const showForm = !props.readOnly && (traced || anyway) && !verdict?.ok;
  return (
    <section className="guide-trace" aria-labelledby={`${id}-h`}>
      <h4 id={`${id}-h`} className="checks-title">
        Trace and explain
      </h4>
      <div className="guide-trace-task">
        <span>
          Trace <strong className="mono">{taskText(task)}</strong>
        </span>
        {!props.readOnly && (
          <button
            type="button"
            className="primary small"
            disabled={trace.running}
            onClick={() => {
              setVerdict(undefined);
              void traceNow(lab, { from: task.from, to: task.to, protocol: task.protocol, port: task.port !== undefined ? String(task.port) : '' });
            }}
            title="Open Trace mode with this trace and send the probe"
          >
            {trace.running ? 'Tracing…' : traced || verdict ? 'Trace again' : 'Trace it'}
          </button>
        )}
      </div>
      <p className="guide-trace-question">{task.question}</p>
      {verdict && (
        <p className={verdict.ok ? 'guide-trace-verdict ok' : 'guide-trace-verdict wrong'} role="status">
          <strong>{verdict.ok ? '✓' : '✗'}</strong> {verdict.text}
          {!verdict.ok && <span className="muted"> Each answer needs a trace of its own: trace again, then answer from the new journey.</span>}
        </p>
      )}
      {!showForm && !props.readOnly && !verdict?.ok && (
        <p className="muted small-text">
          Answer from what your trace shows: the question opens here once this trace is in Trace mode.{' '}
          <button type="button" className="link" onClick={() => setAnyway(true)}>
            I traced it from the command line
          </button>
        </p>
      )}
      {showForm && (
        <form
          className="guide-trace-form"
          onSubmit={(e) => {
            e.preventDefault();
            void send();
          }}
        >
          {flood ? (
            <>
              <fieldset className="guide-trace-yesno">
                <legend className="sr-only">Was the first frame flooded?</legend>
                <label>
                  <input type="radio" name={`${id}-fl`} checked={flooded === true} onChange={() => setFlooded(true)} /> Yes, flooded
                </label>
                <label>
                  <input type="radio" name={`${id}-fl`} checked={flooded === false} onChange={() => setFlooded(false)} /> No, sent out of one port
                </label>
              </fieldset>
              {flooded && (
                <fieldset className="guide-trace-ports">
                  <legend>Out of which ports?</legend>
                  {bridgePorts.map((p) => (
                    <label key={`${p.node}:${p.name}`}>
                      <input type="checkbox" checked={ports.includes(p.name)} onChange={(e) => setPorts((x) => (e.target.checked ? [...x, p.name] : x.filter((y) => y !== p.name)))} />{' '}
                      <span className="mono">{p.name}</span> <span className="muted">({p.bridge})</span>
                    </label>
                  ))}
                </fieldset>
              )}
            </>
          ) : (
            <label className="guide-trace-node">
              <span className="sr-only">Your answer</span>
              <select value={node} onChange={(e) => setNode(e.target.value)} aria-label="Your answer">
                <option value="">choose…</option>
                {nodes.map((n) => (
                  <option key={n.name} value={n.name}>
                    {n.kind === 'host' ? 'the lab host' : n.name}
                  </option>
                ))}
                <option value="none">{NONE_WORDS[task.ask.kind]}</option>
              </select>
            </label>
          )}
          <button type="submit" className="primary small" disabled={!answer || sending}>
            {sending ? 'Answering…' : 'Answer'}
          </button>
        </form>
      )}
      <ErrorNote error={error} />
    </section>
  );
}
