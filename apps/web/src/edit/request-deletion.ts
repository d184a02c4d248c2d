// Every way of deleting (the inspector's buttons, the Delete key) goes through here: it asks first
// when the deletion throws away configuration, and says what undo will bring back.
import type { ObservedLab } from '@nslab/model';
import type { ConfirmRequest } from '../ui/Confirm.tsx';
import { openTerminalCount } from '../terminal/terminal-store.ts';
import { needsConfirmation, summarizeDeletion, type Deletion } from './deletion.ts';

export interface DeletionContext {
  /** The lab's name (for its terminals). */
  lab: string;
  /** The lab as last observed. */
  observed: ObservedLab | null;
  confirm(r: ConfirmRequest): void;
}

/** Runs `run` at once when nothing but the element goes, else once the learner confirms. */
export function requestDeletion(edit: Deletion, cx: DeletionContext, run: () => void): void {
  const terminals = edit.kind === 'remove-node' ? openTerminalCount(cx.lab, edit.name) : 0;
  const s = cx.observed ? summarizeDeletion(cx.observed, edit, terminals) : null;
  if (!s || !needsConfirmation(s)) return run();
  cx.confirm({
    title: s.title,
    body: 'This also removes:',
    items: s.items,
    note: s.undo,
    confirm: s.action,
    danger: true,
    onConfirm: run,
  });
}
