// Classroom mode: a student's lab the server stopped while nobody used it (idle stop) is started
// again by the student's return — the lab page's own event socket does it. This says so plainly
// while it happens and after, and opens again the terminals the lab had: a tab of this page still
// showing an ended shell on that node gets a new shell below its old output; a node without one
// gets a new tab. Only the lab's owner: an instructor or an admin looking does not start it.
import { useEffect, useRef, useState } from 'react';
import { classroomApi, type IdleStop } from '../classroom/classroom-api.ts';
import { useLabView } from '../classroom/lab-view.ts';
import { explain } from '../errors.ts';
import { getLabTerminals, openTerminal, subscribe } from '../terminal/terminal-store.ts';
import { reopenTerminal } from '../terminal/terminal-view.ts';

export type IdleNotice =
  | { phase: 'restoring'; stop: IdleStop }
  | { phase: 'restored'; stop: IdleStop; reopened: string[] }
  | { phase: 'failed'; stop: IdleStop; message: string };

/** How long a tab restored from before the stop may take to learn its shell ended. */
const EXIT_WAIT_MS = 20_000;

/** Reopen the shell of tab `id` once its old one is known to have ended. */
function reopenWhenEnded(lab: string, id: string): void {
  const ended = () => getLabTerminals(lab).terminals.find((t) => t.id === id)?.status === 'exited';
  if (ended()) return reopenTerminal(id);
  const stop = subscribe(() => {
    if (!getLabTerminals(lab).terminals.some((t) => t.id === id)) return done(); // closed by the student
    if (ended()) {
      done();
      reopenTerminal(id);
    }
  });
  const timer = setTimeout(() => done(), EXIT_WAIT_MS);
  function done() {
    stop();
    clearTimeout(timer);
  }
}

/**
 * Open again the terminals the lab had when it stopped; returns their nodes. A tab of this page on
 * the same node that is not running a live shell (restored from before a reload, or ended) is
 * reused, each at most once.
 */
export function reopenIdleTerminals(lab: string, terminals: IdleStop['terminals']): string[] {
  const claimed = new Set<string>();
  for (const { node } of terminals) {
    const tab = getLabTerminals(lab).terminals.find((t) => t.node === node && t.status !== 'open' && !claimed.has(t.id));
    if (tab) {
      claimed.add(tab.id);
      reopenWhenEnded(lab, tab.id);
    } else {
      openTerminal(lab, node);
      claimed.add(getLabTerminals(lab).active ?? '');
    }
  }
  return terminals.map((t) => t.node);
}

type Status = 'connecting' | 'live' | 'reconnecting' | 'destroyed' | 'error';

export function useIdleReturn(lab: string, status: Status): [IdleNotice | null, () => void] {
  const mine = useLabView(lab)?.mine === true;
  const [notice, setNotice] = useState<IdleNotice | null>(null);
  const taken = useRef(false);
  const seen = useRef<IdleStop | null>(null);

  // While the event socket starts it again: the page says why it waits.
  useEffect(() => {
    if (!mine) return;
    let live = true;
    classroomApi.idleStop(lab).then(
      (stop) => {
        if (!live || taken.current || !stop || stop.restoredAt !== null) return;
        seen.current = stop;
        setNotice({ phase: 'restoring', stop });
      },
      () => {},
    );
    return () => {
      live = false;
    };
  }, [lab, mine]);

  // Each time the socket is live (the first time, after a reconnect: the server may have stopped it
  // meanwhile) or refused while a stop was seen: take the notice. The request starts the lab first,
  // so a refusal there (the student's lab quota full) is said.
  useEffect(() => {
    if (!mine || !(status === 'live' || (status === 'error' && seen.current))) return;
    let live = true;
    classroomApi.takeIdleStop(lab).then(
      (stop) => {
        if (!live) return;
        taken.current = true;
        if (!stop) {
          setNotice((n) => (n?.phase === 'restoring' ? null : n));
          return;
        }
        setNotice({ phase: 'restored', stop, reopened: reopenIdleTerminals(lab, stop.terminals) });
      },
      (e) => {
        if (live && seen.current) setNotice({ phase: 'failed', stop: seen.current, message: explain(e).summary });
      },
    );
    return () => {
      live = false;
    };
  }, [lab, mine, status]);

  return [notice, () => setNotice(null)];
}
