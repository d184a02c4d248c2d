// What the classroom gate learned about the lab about to open, for the lab screen: the name its
// owner typed (the kernel's is `u4-lab1`) and, for an instructor in a student's lab, that it is
// read-only (the server refuses their changes with 403 READ_ONLY). Set before the lab screen
// renders; token mode never sets it, so the screen is unchanged there.
import { useSyncExternalStore } from 'react';

export interface LabView {
  displayName: string;
  /** Why this account may not change the lab, or null. */
  readOnly: string | null;
  /** The signed-in account owns it (its idle stops are theirs to be told about). */
  mine: boolean;
  /** Its owner's username (classroom labs have one). */
  owner?: string;
}

const views = new Map<string, LabView>();
const listeners = new Set<() => void>();

export function setLabView(name: string, view: LabView): void {
  const cur = views.get(name);
  if (cur && cur.displayName === view.displayName && cur.readOnly === view.readOnly && cur.mine === view.mine && cur.owner === view.owner) return;
  views.set(name, view);
  for (const l of listeners) l();
}

export function labView(name: string): LabView | undefined {
  return views.get(name);
}

function subscribe(cb: () => void): () => void {
  listeners.add(cb);
  return () => listeners.delete(cb);
}

export function useLabView(name: string): LabView | undefined {
  return useSyncExternalStore(subscribe, () => views.get(name));
}
