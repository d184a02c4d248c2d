// The Trace mode's state per lab, outside React: the toolbar, a namespace's inspector and the
// diagnosis column ask for a trace (`askTrace`), the dock's Trace tab shows the form and the journey.
// One trace runs at a time per lab (the server says 409 TRACE_BUSY to a second).
import { useSyncExternalStore } from 'react';
import type { Journey } from '@nslab/model';
import { ApiError, request } from '../api.ts';
import { explain, type Explained } from '../errors.ts';
import type { TraceForm } from './journey-view.ts';
import { traceBody } from './journey-view.ts';

export interface TraceAsk {
  from?: string;
  to?: string;
  protocol?: TraceForm['protocol'];
  port?: string;
  /** Bumped on every ask, so asking again from the same place brings the form forward again. */
  n: number;
}

export interface TraceState {
  ask: TraceAsk | null;
  running: boolean;
  /** When the running trace started (ms, for the busy line's elapsed time). */
  startedAt?: number;
  journey: Journey | null;
  error: (Explained & { busy?: boolean }) | null;
}

const EMPTY: TraceState = { ask: null, running: false, journey: null, error: null };
const states = new Map<string, TraceState>();
const listeners = new Map<string, Set<() => void>>();

function set(lab: string, patch: Partial<TraceState>): void {
  states.set(lab, { ...(states.get(lab) ?? EMPTY), ...patch });
  for (const l of listeners.get(lab) ?? []) l();
}

export function traceState(lab: string): TraceState {
  return states.get(lab) ?? EMPTY;
}

/** Open the Trace tab with this from / to filled in (a trace already shown stays until a new one runs). */
export function askTrace(lab: string, from?: string, to?: string, probe?: { protocol: TraceForm['protocol']; port?: number }): void {
  const p = probe ? { protocol: probe.protocol, port: probe.port !== undefined ? String(probe.port) : '' } : {};
  set(lab, { ask: { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), ...p, n: Date.now() + Math.random() }, error: null });
}

/** A guided step's "Trace it": the Trace tab opens with this trace filled in, and it runs at once. */
export function traceNow(lab: string, form: TraceForm): Promise<void> {
  askTrace(lab, form.from, form.to, { protocol: form.protocol, ...(form.protocol !== 'icmp' ? { port: Number(form.port) } : {}) });
  return runTrace(lab, form);
}

export function closeTrace(lab: string): void {
  set(lab, { ask: null, journey: null, error: null });
}

export async function runTrace(lab: string, form: TraceForm): Promise<void> {
  if (traceState(lab).running) return;
  set(lab, { running: true, startedAt: Date.now(), error: null });
  try {
    const journey = await request<Journey>('POST', `/labs/${encodeURIComponent(lab)}/trace`, traceBody(form));
    set(lab, { running: false, journey, error: null });
  } catch (e) {
    const busy = e instanceof ApiError && e.code === 'TRACE_BUSY';
    const ex = explain(e);
    set(lab, {
      running: false,
      error: busy
        ? { ...ex, busy: true, summary: 'This lab is already being traced (another tab, the CLI, a classmate or instructor): one trace at a time per lab. It takes a few seconds; try again then.' }
        : ex,
    });
  }
}

export function useTrace(lab: string): TraceState {
  return useSyncExternalStore(
    (fn) => {
      let s = listeners.get(lab);
      if (!s) listeners.set(lab, (s = new Set()));
      s.add(fn);
      return () => s.delete(fn);
    },
    () => traceState(lab),
  );
}
