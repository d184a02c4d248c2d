// Predict mode's question: "where does the packet go next?" answered by clicking a node or bridge
// on the graph, or by picking from a list (the keyboard's way); and the verdict with the journey's
// reason once it is judged.
import { useEffect, useId, useState, type JSX } from 'react';
import type { EventObject } from 'cytoscape';
import type { ObservedLab } from '@nslab/model';
import { choices, judge, placeName, type Judged, type Question } from './predict.ts';

export function PredictBox({ question, lab, here, onAnswer }: { question: Question; lab: ObservedLab | null; here: string; onAnswer: (guess: string, judged: Judged) => void }): JSX.Element {
  const id = useId();
  const options = choices(lab);
  const [pick, setPick] = useState('');
  const send = (guess: string) => onAnswer(guess, judge(question, guess));

  // A click on the graph is an answer while the question is open.
  useEffect(() => {
    const cy = window.__nslab_cy;
    if (!cy || cy.destroyed()) return;
    const onTap = (e: EventObject) => send(e.target.id() as string);
    cy.on('tap', 'node', onTap);
    return () => {
      cy.off('tap', 'node', onTap);
    };
  }, [question]);

  return (
    <form
      className="predict-box"
      aria-labelledby={`${id}-q`}
      onSubmit={(e) => {
        e.preventDefault();
        if (pick) send(pick);
      }}
    >
      <span id={`${id}-q`} className="predict-question">
        <span aria-hidden>✉ </span>The packet is at <strong>{placeName(here)}</strong>. Where does it go next?
      </span>
      <span className="muted">Click it on the graph, or</span>
      <select aria-label="Where it goes next" value={pick} onChange={(e) => setPick(e.target.value)}>
        <option value="">choose…</option>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.label}
          </option>
        ))}
      </select>
      <button type="submit" className="primary" disabled={!pick}>
        Answer
      </button>
    </form>
  );
}

export function PredictFeedback({ judged }: { judged: Judged }): JSX.Element {
  return (
    <p className={judged.right ? 'predict-feedback right' : 'predict-feedback wrong'} role="status">
      <strong>{judged.right ? '✓' : '✗'}</strong> {judged.text}
    </p>
  );
}
