// What every panel of the lab screen needs, without threading it through props.
import { createContext, useContext } from 'react';
import type { Editor } from '../edit/editor.ts';
import type { LabStore } from '../live/lab-store.ts';
import type { ConfirmRequest } from '../ui/Confirm.tsx';

export interface LabContextValue {
  lab: string;
  store: LabStore;
  editor: Editor;
  /** Select a graph element (and centre it on the canvas when `center`). */
  select(id: string | null, center?: boolean): void;
  openTerminal(node: string): void;
  confirm(r: ConfirmRequest): void;
  /** Opens the veth form from `from` (to `to` when known). */
  connect(from: string, to?: string): void;
  /** Tells the learner what an edit did beyond its commands (the server's notes). */
  notify(text: string): void;
  /** Opens "why can't it reach…?" from `from` (the selected node when not given). */
  diagnose(from?: string): void;
}

export const LabContext = createContext<LabContextValue | null>(null);

export function useLab(): LabContextValue {
  const v = useContext(LabContext);
  if (!v) throw new Error('useLab outside a lab screen');
  return v;
}
