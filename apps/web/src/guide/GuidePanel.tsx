// The guided lab's panel on the lab screen: progress, the steps as an accordion, each with its text,
// its checks (✓/✗, hints under failures) and a Check button. After every change the kernel reports,
// the current step is checked again on its own (debounced, one check in flight at most). Shown only
// for labs started from the catalog; progress lives on the server, so it survives a reload.
// Each command block says which shell it is typed in and opens that terminal in one click; what
// the guide knows (steps, progress, current step) is published for the veth dialog's names.
import { useCallback, useEffect, useId, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { useLabView } from '../classroom/lab-view.ts';
import { api, ApiError, type GuideLab, type GuideStep, type GuideStepResult } from '../api.ts';
import { explain, type Explained } from '../errors.ts';
import type { LabStore } from '../live/lab-store.ts';
import { useLab } from '../lab/context.ts';
import { ErrorNote } from '../ui/ErrorNote.tsx';
import { Markdown, type Shells } from './Markdown.tsx';
import { publishGuide } from './guide-state.ts';
import { focus, getLabTerminals, useLabTerminals } from '../terminal/terminal-store.ts';
import { TraceQuestion, type Answered } from './TraceQuestion.tsx';
import { currentStep, Debounced, firstOpen, looksGuided, passedCount, progressText, rememberedGuided, rememberGuided } from './progress.ts';

interface Checked {
  result: GuideStepResult;
  at: number;
  auto: boolean;
}

const OPEN_KEY = 'nslab:guide-open';
const time = (t: number) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

function readOpen(): boolean {
  try {
    return localStorage.getItem(OPEN_KEY) !== '0';
  } catch {
    return true;
  }
}

export function GuidePanel({ lab, store }: { lab: string; store: LabStore }) {
  // An instructor looking at a student's lab: the student checks, the instructor reads.
  const readOnly = useLabView(lab)?.readOnly ?? null;
  const readOnlyRef = useRef(readOnly);
  readOnlyRef.current = readOnly;
  const [guide, setGuide] = useState<GuideLab | null>(null);
  const [passed, setPassed] = useState<ReadonlySet<string>>(new Set());
  const [results, setResults] = useState<Record<string, Checked>>({});
  const [expanded, setExpanded] = useState<string | null>(null);
  const [open, setOpenState] = useState(readOpen);
  const [checking, setChecking] = useState<string | null>(null);
  const [lastAuto, setLastAuto] = useState<{ at: number; step: string } | null>(null);
  const [answers, setAnswers] = useState<Record<string, { ok: boolean; text: string }>>({});
  const [error, setError] = useState<Explained | null>(null);

  const setOpen = (v: boolean) => {
    setOpenState(v);
    try {
      localStorage.setItem(OPEN_KEY, v ? '1' : '0');
    } catch {
      /* private mode: not remembered */
    }
  };

  // Ask once per lab: a lab not started from the catalog answers {guide: null} and shows no panel.
  // A lab's log from the lab runtime asks again (it may have been started after this page opened).
  const [wanted, setWanted] = useState(true);
  useEffect(() => {
    if (wanted) return;
    return store.subscribe((s) => {
      if (looksGuided(s.log)) setWanted(true);
    });
  }, [store, wanted]);
  useEffect(() => {
    if (!wanted) return;
    let stop = false;
    let tries = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const g = await api.guide(lab);
        if (stop) return;
        if (g.guide === null) {
          rememberGuided(lab, false);
          return;
        }
        const done = new Set(g.passed);
        rememberGuided(lab, true);
        setGuide(g);
        setPassed(done);
        setAnswers(g.answers ?? {});
        setExpanded(firstOpen(g.steps.map((s) => s.id), done) ?? g.steps[g.steps.length - 1]?.id ?? null);
      } catch (e) {
        if (stop) return;
        if (e instanceof ApiError && (e.status === 404 || e.status === 400)) {
          rememberGuided(lab, false);
          return;
        }
        if (++tries < 5) timer = setTimeout(() => void load(), 2000);
      }
    };
    void load();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [lab, wanted]);

  // The latest values, for the debounced re-check (created once).
  const latest = useRef({ guide, passed, expanded });
  latest.current = { guide, passed, expanded };

  const check = useCallback(
    async (step: GuideStep, auto: boolean) => {
      const g = latest.current.guide;
      if (!g) return;
      const n = g.steps.findIndex((s) => s.id === step.id) + 1;
      if (n < 1) return;
      setChecking(step.id);
      try {
        const r = await api.checkGuide(lab, n);
        const at = Date.now();
        const res = r.results.find((x) => x.step === step.id) ?? r.results[0];
        if (res) setResults((prev) => ({ ...prev, [step.id]: { result: res, at, auto } }));
        const nowPassed = new Set(r.passed);
        setPassed(nowPassed);
        // The step being read just passed: open the next one still to do, so its instructions are
        // in view without a click (its header keeps the ✓).
        if (res?.ok && latest.current.expanded === step.id) {
          const ids = g.steps.map((s) => s.id);
          const next = ids.slice(ids.indexOf(step.id) + 1).find((id) => !nowPassed.has(id));
          if (next) setExpanded(next);
        }
        if (auto) setLastAuto({ at, step: step.id });
        setError(null);
      } catch (e) {
        setError(explain(e));
      } finally {
        setChecking((c) => (c === step.id ? null : c));
      }
    },
    [lab],
  );

  // Created in an effect, not memoized: a memoized scheduler disposed by a (StrictMode or real)
  // unmount would be reused dead on remount and never fire again.
  const recheckRef = useRef<Debounced | null>(null);
  useEffect(() => {
    const d = new Debounced(async () => {
      const { guide: g, passed: p, expanded: x } = latest.current;
      if (!g) return;
      const id = currentStep(
        g.steps.map((s) => s.id),
        p,
        x,
      );
      const step = g.steps.find((s) => s.id === id);
      if (step) await check(step, true);
    }, 800);
    recheckRef.current = d;
    return () => {
      d.dispose();
      if (recheckRef.current === d) recheckRef.current = null;
    };
  }, [check]);

  // Every change the kernel reports (not the first snapshot) schedules a re-check.
  useEffect(() => {
    let prev = store.getState().lab;
    return store.subscribe((s) => {
      if (s.lab === prev) return;
      const had = prev;
      prev = s.lab;
      if (had && latest.current.guide && s.status !== 'destroyed' && !readOnlyRef.current) recheckRef.current?.trigger();
    });
  }, [store]);

  // The veth dialog proposes the names the step being worked on expects.
  useEffect(() => {
    if (!guide) return;
    publishGuide(lab, {
      steps: guide.steps,
      passed,
      current: currentStep(
        guide.steps.map((s) => s.id),
        passed,
        expanded,
      ),
    });
  }, [lab, guide, passed, expanded]);
  useEffect(() => () => publishGuide(lab, null), [lab]);

  const { openTerminal } = useLab();
  const terminals = useLabTerminals(lab);
  // Re-rendered when the lab's namespaces change, not on every patch.
  const nodeNames = useSyncExternalStore(store.subscribe, () => store.getState().lab?.nodes.map((n) => n.name).join('\n') ?? '');
  const shells: Shells = useMemo(() => {
    const live = (node: string) => terminals.terminals.filter((t) => t.node === node && t.status !== 'exited');
    const names = new Set(nodeNames.split('\n'));
    return {
      exists: (node) => names.has(node),
      isOpen: (node) => live(node).length > 0,
      open: (node) => {
        // The one shown in the dock if it is on that node, else the newest; a new one when there is none.
        const on = live(node);
        const shown = on.find((t) => t.id === getLabTerminals(lab).active) ?? on.at(-1);
        if (shown) focus(shown.id);
        else openTerminal(node);
      },
    };
  }, [lab, terminals, nodeNames, openTerminal]);

  // A trace step's answer is also its check: the results and progress come back with the verdict.
  const answered = (step: GuideStep, r: Answered) => {
    const res = r.results.find((x) => x.step === step.id);
    if (res) setResults((prev) => ({ ...prev, [step.id]: { result: res, at: Date.now(), auto: false } }));
    setAnswers((a) => ({ ...a, [step.id]: { ok: r.ok, text: r.text } }));
    setPassed(new Set(r.passed));
  };

  if (!guide) return null;
  const ids = guide.steps.map((s) => s.id);
  const done = passedCount(ids, passed);
  const auto = currentStep(ids, passed, expanded);
  const autoIndex = auto ? ids.indexOf(auto) + 1 : 0;

  if (!open) {
    return (
      <aside className="guide-panel collapsed" aria-label="Lab guide">
        <button type="button" className="guide-toggle" aria-expanded={false} onClick={() => setOpen(true)} title="Show the lab guide">
          <span aria-hidden>◂</span>
          <span className="guide-toggle-text">
            Guide · {done}/{ids.length}
          </span>
        </button>
      </aside>
    );
  }

  return (
    <aside className="guide-panel" aria-label="Lab guide">
      <div className="guide-top">
        <div className="guide-head">
          <div>
            <div className="guide-kicker">Guided lab</div>
            <h2>{guide.title}</h2>
          </div>
          <button type="button" className="small ghost" aria-expanded={true} onClick={() => setOpen(false)} title="Hide the lab guide">
            Hide ▸
          </button>
        </div>
        <div className="guide-progress">
          <progress max={ids.length} value={done} aria-hidden />
          <span role="status" className="guide-progress-text">
            {progressText(ids.length, done)}
            {done === ids.length && ' — all done!'}
          </span>
        </div>
        <p className="guide-auto muted">
          {auto ? <>Step {autoIndex} is re-checked after every change to the lab.</> : <>Every step passed.</>}{' '}
          {lastAuto && <span className="guide-last">Last auto-check: {time(lastAuto.at)} (step {ids.indexOf(lastAuto.step) + 1}).</span>}
        </p>
      </div>
      <ErrorNote error={error} />
      <ol className="guide-steps">
        {guide.steps.map((s, i) => (
          <StepItem
            key={s.id}
            lab={lab}
            step={s}
            index={i}
            passed={passed.has(s.id)}
            open={expanded === s.id}
            checked={results[s.id]}
            checking={checking === s.id}
            next={guide.steps[i + 1] ?? null}
            onToggle={() => setExpanded((x) => (x === s.id ? null : s.id))}
            onOpen={(id) => setExpanded(id)}
            onCheck={() => void check(s, false)}
            shells={shells}
            readOnly={readOnly}
            answer={answers[s.id]}
            onAnswered={(r) => answered(s, r)}
          />
        ))}
      </ol>
    </aside>
  );
}

function StepItem(props: {
  lab: string;
  step: GuideStep;
  index: number;
  passed: boolean;
  open: boolean;
  checked: Checked | undefined;
  checking: boolean;
  next: GuideStep | null;
  onToggle(): void;
  onOpen(id: string): void;
  onCheck(): void;
  shells: Shells;
  /** Why this account only reads the lab (an instructor in a student's lab), or null. */
  readOnly: string | null;
  /** A trace step's last answer. */
  answer?: { ok: boolean; text: string };
  onAnswered(r: Answered): void;
}) {
  const { lab, step, index, passed, open, checked, checking, next, shells } = props;
  const id = useId();
  const { confirm } = useLab();
  const [solveError, setSolveError] = useState<Explained | null>(null);
  const [solving, setSolving] = useState(false);
  const rows = checked ? checked.result.checks : step.checks.map((title) => ({ title, ok: undefined, hints: [] as string[], detail: undefined }));
  const failing = checked && !checked.result.ok;

  const solve = () =>
    confirm({
      title: `Solve step ${index + 1}?`,
      body: `This runs the reference solution of “${step.title}” in ${lab} (the commands appear in the command log). Meant for instructors: the learner skips doing it by hand.`,
      confirm: `Solve step ${index + 1}`,
      onConfirm: () => {
        setSolving(true);
        setSolveError(null);
        api
          .solveGuide(lab, index + 1)
          .then(() => props.onCheck())
          .catch((e: unknown) => setSolveError(explain(e)))
          .finally(() => setSolving(false));
      },
    });

  return (
    <li className={`guide-step${passed ? ' passed' : ''}${open ? ' open' : ''}${failing ? ' failing' : ''}`}>
      <h3 className="guide-step-title">
        <button type="button" aria-expanded={open} aria-controls={`${id}-body`} id={`${id}-head`} onClick={props.onToggle}>
          <span className="step-badge" aria-hidden>
            {passed ? '✓' : index + 1}
          </span>
          <span className="step-title-text">
            <span className="sr-only">Step {index + 1}: </span>
            {step.title}
            {passed && <span className="sr-only"> (passed)</span>}
          </span>
          <span className="chevron" aria-hidden>
            {open ? '▾' : '▸'}
          </span>
        </button>
      </h3>
      {open && (
        <div className="guide-step-body" id={`${id}-body`} role="region" aria-labelledby={`${id}-head`}>
          <Markdown source={step.markdown} headingOffset={3} shells={shells} />
          {step.trace && <TraceQuestion lab={lab} step={index + 1} task={step.trace} last={props.answer} readOnly={!!props.readOnly} onAnswered={props.onAnswered} />}
          <h4 className="checks-title">Checks</h4>
          <ul className="guide-checks" aria-label={`Checks of step ${index + 1}`}>
            {rows.map((r, j) => (
              <li key={j} className={r.ok === undefined ? 'unknown' : r.ok ? 'ok' : 'fail'}>
                <span className="check-mark" aria-hidden>
                  {r.ok === undefined ? '○' : r.ok ? '✓' : '✗'}
                </span>
                <span className="check-text">
                  <span className="sr-only">{r.ok === undefined ? 'not checked yet: ' : r.ok ? 'passed: ' : 'failed: '}</span>
                  {r.title}
                  {r.ok === false && r.detail && <span className="check-detail">{r.detail}</span>}
                  {r.ok === false && r.hints.length > 0 && (
                    <ul className="check-hints">
                      {r.hints.map((h, k) => (
                        <li key={k}>{h}</li>
                      ))}
                    </ul>
                  )}
                </span>
              </li>
            ))}
          </ul>
          <div className="guide-actions">
            {props.readOnly ? (
              <span className="muted small-text">Read-only: the student runs the checks.</span>
            ) : (
              <button type="button" className="primary" onClick={props.onCheck} disabled={checking}>
                {checking ? 'Checking…' : 'Check'}
              </button>
            )}
            <span className="muted small-text" role="status">
              {checked && (
                <>
                  {checked.result.ok ? 'Passed' : 'Not yet'} · {checked.auto ? 'auto-checked' : 'checked'} at {time(checked.at)}
                </>
              )}
            </span>
            {passed && next && (
              <button type="button" className="small" onClick={() => props.onOpen(next.id)}>
                Next step →
              </button>
            )}
            <button type="button" className="small ghost guide-solve" onClick={solve} disabled={solving || !!props.readOnly} title="Instructors: run this step's reference solution">
              {solving ? 'Solving…' : 'Solve step'}
            </button>
          </div>
          <ErrorNote error={solveError} />
        </div>
      )}
    </li>
  );
}
