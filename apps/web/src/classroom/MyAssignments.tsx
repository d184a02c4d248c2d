// A student's assignments on their home page: each with its window, their progress, and one
// click to start their own copy (or go back to it). The lab opens with its guide beside it.
import { useEffect, useState } from 'react';
import { labPath, navigate } from '../router.ts';
import { classroomApi, type MyAssignment } from './classroom-api.ts';
import { FormMessage } from './Field.tsx';
import { formError } from './form-error.ts';
import { relativeTime } from './join-codes.ts';
import { stepsDone } from './my-progress.ts';

function AssignmentCard({ a, onError }: { a: MyAssignment; onError(m: string | null): void }) {
  const [busy, setBusy] = useState(false);
  const now = Date.now();
  const done = stepsDone(a);
  const canStart = a.window === 'open' || a.myLab !== null;
  return (
    <li className="card cr-class-card cr-my-assignment" data-assignment={a.id}>
      <div className="cr-my-assignment-text">
        <span className="cr-assignment-title">{a.title}</span>
        <span className="muted small-text">
          {a.window === 'upcoming' ? `opens ${relativeTime(a.opensAt, now)}` : a.window === 'closed' ? `closed ${relativeTime(a.closesAt, now)}` : `closes ${relativeTime(a.closesAt, now)}`}
          {a.myLab !== null && ` · ${done} of ${a.steps.length} steps done`}
        </span>
      </div>
      <button
        type="button"
        className={a.myLab ? 'small' : 'small primary'}
        disabled={busy || !canStart}
        title={canStart ? undefined : a.window === 'upcoming' ? 'Not open yet' : 'Closed: it can no longer be started'}
        onClick={() => {
          setBusy(true);
          classroomApi.startAssignment(a.id).then(
            (r) => {
              onError(null);
              navigate(labPath(r.name));
            },
            (e) => {
              setBusy(false);
              onError(formError(e, []).message);
            },
          );
        }}
      >
        {busy ? 'Starting…' : a.myLab ? 'Continue' : 'Start'}
      </button>
    </li>
  );
}

export function MyAssignments() {
  const [list, setList] = useState<MyAssignment[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    classroomApi.myAssignments().then(setList, (e) => setError(formError(e, []).message));
  }, []);
  if (!list || list.length === 0) return error ? <FormMessage message={error} /> : null;
  return (
    <section aria-labelledby="my-assignments-title" className="cr-my-assignments">
      <h2 id="my-assignments-title">Your assignments</h2>
      <FormMessage message={error} />
      <ul className="cr-class-list">
        {list.map((a) => (
          <AssignmentCard key={a.id} a={a} onError={setError} />
        ))}
      </ul>
    </section>
  );
}
