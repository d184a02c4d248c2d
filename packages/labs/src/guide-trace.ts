// The traces a guided lab's learner ran, kept with the lab beside its progress, and their answers to
// the trace steps' questions. Only the server and the CLI write it, from journeys the trace engine
// produced on that lab: an answer is judged against the newest trace of that lab matching the step's
// from / to / protocol, and each trace answers a step once (a wrong guess needs a fresh trace, so
// guessing through the choices means tracing every time). Pure: the runtime does the file.
import type { Journey } from '@nslab/model';
import type { Step } from './format.ts';
import { journeyMismatch, judgeAnswer, taskWords, traceCommandWords, type TraceAnswer, type TraceTask } from './trace-question.ts';

export interface RecordedTrace {
  id: string;
  /** ISO time the trace was recorded. */
  at: string;
  journey: Journey;
  /** Steps already answered from this trace. */
  answered: string[];
}

export interface StepAnswer {
  trace: string;
  answer: TraceAnswer;
  ok: boolean;
  text: string;
  at: string;
}

export interface GuideTraces {
  traces: RecordedTrace[];
  /** By step id: the last answer given. */
  answers: Record<string, StepAnswer>;
}

/** Traces kept per lab (the newest). */
export const KEPT_TRACES = 12;

export const emptyGuideTraces = (): GuideTraces => ({ traces: [], answers: {} });

export function withTrace(rec: GuideTraces, journey: Journey, id: string, at: string): GuideTraces {
  return { ...rec, traces: [...rec.traces, { id, at, journey, answered: [] }].slice(-KEPT_TRACES) };
}

/** A refused answer: which field, which rule. */
export class AnswerError extends Error {
  constructor(
    readonly code: 'NOT_A_TRACE_STEP' | 'NO_TRACE' | 'TRACE_USED' | 'BAD_ANSWER',
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'AnswerError';
  }
}

/** Checks the shape of an answer for this task (anything a client posts arrives here). */
export function checkAnswerShape(t: TraceTask, a: unknown): TraceAnswer {
  if (typeof a !== 'object' || a === null || Array.isArray(a)) throw new AnswerError('BAD_ANSWER', 'answer', 'answer must be an object');
  const o = a as Record<string, unknown>;
  const allowed = t.ask.kind === 'first-packet-flooded' ? ['flooded', 'ports'] : ['node'];
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new AnswerError('BAD_ANSWER', `answer.${k}`, `this question is answered with ${allowed.join(' and ')}, not ${k}`);
  if (t.ask.kind === 'first-packet-flooded') {
    if (typeof o.flooded !== 'boolean') throw new AnswerError('BAD_ANSWER', 'answer.flooded', 'flooded must be true or false');
    if (o.ports !== undefined && (!Array.isArray(o.ports) || o.ports.length > 64 || !o.ports.every((p) => typeof p === 'string' && p.length > 0 && p.length <= 15))) {
      throw new AnswerError('BAD_ANSWER', 'answer.ports', 'ports must be a list of interface names (at most 64, each 1-15 characters)');
    }
    if (o.flooded && !(o.ports as string[] | undefined)?.length) throw new AnswerError('BAD_ANSWER', 'answer.ports', 'a flooded frame left by some ports: name them');
    return { flooded: o.flooded, ...(o.ports ? { ports: o.ports as string[] } : {}) };
  }
  if (typeof o.node !== 'string' || o.node.length === 0 || o.node.length > 64) throw new AnswerError('BAD_ANSWER', 'answer.node', 'node must be a node name, or "none"');
  return { node: o.node };
}

/** The newest recorded trace this task can be answered from (null: none). */
export function traceFor(rec: GuideTraces, lab: string, t: TraceTask): RecordedTrace | null {
  for (let i = rec.traces.length - 1; i >= 0; i--) if (!journeyMismatch(t, lab, rec.traces[i]!.journey)) return rec.traces[i]!;
  return null;
}

/** Judges the learner's answer to `step` against the newest matching trace of `lab`, and records it. */
export function answerStep(rec: GuideTraces, lab: string, step: Step, given: unknown, at: string): { rec: GuideTraces; answer: StepAnswer } {
  const t = step.trace;
  if (!t) throw new AnswerError('NOT_A_TRACE_STEP', 'step', `step "${step.id}" asks no question about a trace`);
  const answer = checkAnswerShape(t, given);
  const newest = [...rec.traces].reverse().find((x) => x.journey.lab === lab);
  const trace = traceFor(rec, lab, t);
  if (!trace) {
    const why = newest ? `; your last trace does not fit: ${journeyMismatch(t, lab, newest.journey)}` : '';
    throw new AnswerError('NO_TRACE', 'step', `trace ${taskWords(t)} first (Trace mode, or ${traceCommandWords(lab, t)}), then answer from what it shows${why}`);
  }
  if (trace.answered.includes(step.id)) throw new AnswerError('TRACE_USED', 'step', `this trace was already used to answer step "${step.id}": trace ${taskWords(t)} again, then answer from the new journey`);
  const v = judgeAnswer(t.ask, trace.journey, answer);
  const sa: StepAnswer = { trace: trace.id, answer, ok: v.ok, text: v.text, at };
  return {
    rec: { traces: rec.traces.map((x) => (x.id === trace.id ? { ...x, answered: [...x.answered, step.id] } : x)), answers: { ...rec.answers, [step.id]: sa } },
    answer: sa,
  };
}

/** The trace part of a step's check: passed when the last answer was right against a recorded trace of this lab that fits the task. */
export function traceCheck(rec: GuideTraces | null, lab: string, step: Step): { title: string; ok: boolean; detail?: string; hints: string[] } {
  const t = step.trace!;
  const title = `Trace ${taskWords(t)} and answer: ${t.question}`;
  const a = rec?.answers[step.id];
  const trace = a ? rec!.traces.find((x) => x.id === a.trace) : undefined;
  // Judged again from the stored journey: the record says which trace, the journey says what is right.
  if (a && trace && !journeyMismatch(t, lab, trace.journey) && judgeAnswer(t.ask, trace.journey, a.answer).ok) return { title, ok: true, hints: [] };
  const how = `trace ${taskWords(t)} (Trace mode, or ${traceCommandWords(lab, t)}), then answer the question in the guide`;
  if (a && !a.ok) return { title, ok: false, detail: `your last answer was not right: ${a.text}`, hints: [`Trace again and answer from the new journey: ${how}`] };
  return { title, ok: false, detail: traceFor(rec ?? emptyGuideTraces(), lab, t) ? 'traced, not answered yet' : 'not traced yet', hints: [how[0]!.toUpperCase() + how.slice(1)] };
}
