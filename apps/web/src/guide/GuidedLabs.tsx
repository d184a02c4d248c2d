// Home: the guided labs from the server's catalog. A lab this machine cannot run is listed, greyed
// out, with why (kernel features it lacks, a device labs may not open, commands to install) and the
// fix where there is one; starting one deploys its starting topology and opens it.
import { useEffect, useId, useState } from 'react';
import { api, type GuideLab } from '../api.ts';
import { checkNodeName } from '../checks.ts';
import { explain, type Explained } from '../errors.ts';
import { labPath, navigate } from '../router.ts';
import { ErrorNote } from '../ui/ErrorNote.tsx';
import { useAction } from '../ui/useAction.ts';
import { isUnavailable, rememberGuided, unavailableReasons } from './progress.ts';
import { InlineMarkdown } from './Markdown.tsx';

function GuidedLab({ lab }: { lab: GuideLab }) {
  const [name, setName] = useState(lab.id);
  const act = useAction();
  const id = useId();
  const missing = isUnavailable(lab);
  const problem = name === '' ? 'is empty' : checkNodeName(name);
  return (
    <li className={`card guided-lab${missing ? ' unavailable' : ''}`} aria-disabled={missing || undefined}>
      <h3>{lab.title}</h3>
      <div className="guided-meta muted small-text">
        <span className="mono">{lab.id}</span> · {lab.steps.length} step{lab.steps.length === 1 ? '' : 's'}
      </div>
      <p>
        <InlineMarkdown source={lab.summary} />
      </p>
      {missing ? (
        <p className="guided-missing" id={`${id}-missing`}>
          Not available here: {unavailableReasons(lab).join('; ')}.
        </p>
      ) : (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (problem) return;
            void act.run(async () => {
              const r = await api.startGuided(lab.id, name);
              rememberGuided(r.name, true);
              navigate(labPath(r.name));
            });
          }}
        >
          <label htmlFor={id} className="sr-only">
            Lab name for {lab.title}
          </label>
          <input
            id={id}
            className="mono"
            value={name}
            spellCheck={false}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? `${id}-problem` : undefined}
            onChange={(e) => {
              setName(e.target.value);
              act.clear();
            }}
          />
          <button type="submit" className="primary" disabled={!!problem || act.busy} aria-label={`Start ${lab.title}`}>
            {act.busy ? 'Starting…' : 'Start'}
          </button>
          {problem && (
            <div className="field-hint" id={`${id}-problem`}>
              The name {problem}.
            </div>
          )}
        </form>
      )}
      {missing && (
        <button type="button" className="primary" disabled aria-describedby={`${id}-missing`} aria-label={`Start ${lab.title}`}>
          Start
        </button>
      )}
      <ErrorNote error={act.error} />
    </li>
  );
}

export function GuidedLabs() {
  const [labs, setLabs] = useState<GuideLab[] | null>(null);
  const [error, setError] = useState<Explained | null>(null);
  useEffect(() => {
    let stop = false;
    api.catalog().then(
      (l) => !stop && setLabs(l),
      (e: unknown) => !stop && setError(explain(e)),
    );
    return () => {
      stop = true;
    };
  }, []);
  return (
    <section aria-labelledby="guided-title">
      <h2 id="guided-title">Guided labs</h2>
      <p className="muted section-lead">Step-by-step exercises on a real kernel: each step explains, gives the commands, and checks what you did.</p>
      <ErrorNote error={error} />
      {labs === null && !error && <p className="muted">Loading…</p>}
      {labs !== null && labs.length === 0 && <p className="muted">No guided labs on this server.</p>}
      {labs !== null && labs.length > 0 && (
        <ul className="catalog guided">
          {labs.map((l) => (
            <GuidedLab key={l.id} lab={l} />
          ))}
        </ul>
      )}
    </section>
  );
}
