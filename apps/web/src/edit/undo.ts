// Pure: what an undo that failed means for its entry. The edits it runs come from the server (the
// model plans them beside each edit); here is only the decision the undo stack needs: did the lab
// move past this entry, so it must go (with a note) rather than stay on top and block older ones?
import { ApiError } from '../api.ts';

/** Transient answers: the entry is kept to be retried. */
const RETRY_STATUS = new Set([408, 429]);

/**
 * A note saying the entry was dropped, when `e` is the server refusing it (the lab changed since:
 * "no node named ns5", the kernel says the address exists...); null when the undo may work later
 * (the server could not be reached, was busy, or failed itself).
 */
export function undoRefusal(e: unknown, label: string, ran: number, total: number): string | null {
  if (!(e instanceof ApiError)) return null;
  if (e.status < 400 || e.status >= 500 || RETRY_STATUS.has(e.status) || e.code === 'LAB_NOT_FOUND') return null;
  // The issues themselves, without the field names and spelling suggestions meant for typed input.
  const said = e.body.issues?.length ? e.body.issues.map((i) => i.message.replace(/ \(did you mean [^)]*\)$/, '')).join('; ') : e.message;
  const why = said.replace(/[.\s]+$/, '');
  if (ran === 0) {
    return `Undo of “${label}” was dropped: the lab has changed since (${why}), probably from another tab or a terminal. Older undo steps still work.`;
  }
  return `Undo of “${label}” stopped after ${ran} of ${total} steps (${why}); the rest was dropped. Older undo steps still work.`;
}
