// What the lab guide knows, for the rest of the lab screen: the steps (with the veth pairs each
// names), which have passed and which one the learner is on. The guide panel publishes it; the veth
// dialog reads it to propose the names the current step expects. Plain data, no DOM.
import { useSyncExternalStore } from 'react';
import type { GuideStep } from '../api.ts';

export interface GuideState {
  steps: readonly GuideStep[];
  passed: ReadonlySet<string>;
  /** The step the learner is on (the open one being worked on), null when every step passed. */
  current: string | null;
}

const states = new Map<string, GuideState>();
const listeners = new Set<() => void>();

export function publishGuide(lab: string, state: GuideState | null): void {
  if (state) states.set(lab, state);
  else states.delete(lab);
  for (const l of listeners) l();
}

export function guideState(lab: string): GuideState | null {
  return states.get(lab) ?? null;
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function useGuideState(lab: string): GuideState | null {
  return useSyncExternalStore(subscribe, () => guideState(lab));
}
