// A class's instructors on its page: its creator and co-instructors. The creator (or an admin)
// adds a co-instructor by account name and removes one; a co-instructor sees the list only (the
// server refuses them the changes: 403 NOT_CLASS_CREATOR).
import { useCallback, useEffect, useState } from 'react';
import type { ConfirmRequest } from '../ui/Confirm.tsx';
import { classroomApi, type Account, type ClassInstructors } from './classroom-api.ts';
import { Field, FormMessage } from './Field.tsx';
import { formError } from './form-error.ts';
import { useForm } from './useForm.ts';

export function CoInstructors({ classId, user, confirm }: { classId: string; user: Account; confirm(r: ConfirmRequest): void }) {
  const [data, setData] = useState<ClassInstructors | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [username, setUsername] = useState('');
  const form = useForm(['username']);
  const load = useCallback(() => classroomApi.classInstructors(classId).then(setData, (e) => setError(formError(e, []).message)), [classId]);
  useEffect(() => void load(), [load]);
  if (!data) return <FormMessage message={error} />;
  const manages = user.role === 'admin' || data.creator === user.username;
  return (
    <section aria-labelledby="instructors-title" className="card cr-section cr-instructors">
      <h2 id="instructors-title">Instructors</h2>
      <p className="muted">Co-instructors see this class, its grid and its students' labs as its creator does. {user.role === 'admin' ? 'As an admin you add and remove them, as the creator does.' : manages ? 'Only you (the creator) or an admin add and remove them.' : 'Only the creator or an admin adds and removes them.'}</p>
      <FormMessage message={error} />
      <ul className="cr-instructor-list">
        {data.instructors.map((m) => (
          <li key={m.username} data-instructor={m.username}>
            <span>
              {m.displayName} <span className="muted mono">{m.username}</span>
              {m.username === data.creator && <span className="pill state-up">creator</span>}
            </span>
            {manages && m.username !== data.creator && (
              <button
                type="button"
                className="small danger"
                onClick={() =>
                  confirm({
                    title: `Remove ${m.displayName} as instructor?`,
                    body: 'They no longer see this class, its grid or its students’ labs, at once.',
                    confirm: 'Remove instructor',
                    danger: true,
                    onConfirm: () => void classroomApi.removeInstructor(classId, m.username).then((d) => (setError(null), setData(d)), (e) => setError(formError(e, []).message)),
                  })
                }
              >
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {manages && (
        <form
          className="cr-inline"
          aria-label="Add a co-instructor"
          onSubmit={(e) => {
            e.preventDefault();
            void form.run(async () => {
              setData(await classroomApi.addInstructor(classId, username.trim()));
              setUsername('');
            });
          }}
        >
          <Field label="Co-instructor's username" name="username" value={username} onChange={(v) => (setUsername(v), form.clear())} error={form.errorFor('username')} autoComplete="off" spellCheck={false} />
          <button type="submit" className="primary" disabled={form.busy || username.trim() === ''}>
            {form.busy ? 'Adding…' : 'Add co-instructor'}
          </button>
          <FormMessage message={form.formMessage} />
        </form>
      )}
    </section>
  );
}
