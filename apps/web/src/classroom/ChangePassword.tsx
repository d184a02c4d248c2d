// An account whose password was handed out (a roster, an admin's reset) must pick its own before
// anything else: the server refuses every other route with 403 PASSWORD_CHANGE_REQUIRED until then.
import { useState } from 'react';
import { classroomApi, type Account } from './classroom-api.ts';
import { Field, FormMessage } from './Field.tsx';
import { AuthFrame } from './SignIn.tsx';
import { refreshSession, signOut } from './session.ts';
import { useForm } from './useForm.ts';

const FIELDS = ['currentPassword', 'newPassword', 'repeat'] as const;

export function ChangePassword({ user }: { user: Account }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const form = useForm(FIELDS);
  const mismatch = repeat !== '' && next !== repeat;
  return (
    <AuthFrame title="Choose your password">
      <p className="muted">
        Signed in as <strong>{user.displayName}</strong> (<span className="mono">{user.username}</span>). The password you were given works once: choose your own to go on.
      </p>
      <form
        className="cr-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (mismatch) return;
          void form.run(async () => {
            await classroomApi.changePassword(current, next);
            await refreshSession();
          });
        }}
      >
        <input type="hidden" name="username" autoComplete="username" value={user.username} />
        <Field label="Password you were given" name="currentPassword" type="password" value={current} onChange={setCurrent} error={form.errorFor('currentPassword')} autoComplete="current-password" required autoFocus />
        <Field label="New password" name="newPassword" type="password" value={next} onChange={setNext} error={form.errorFor('newPassword')} hint="At least 8 characters." autoComplete="new-password" required />
        <Field label="New password again" name="repeat" type="password" value={repeat} onChange={setRepeat} error={mismatch ? 'The two new passwords differ.' : null} autoComplete="new-password" required />
        <FormMessage message={form.formMessage} />
        <div className="row">
          <button type="submit" className="primary cr-submit" disabled={form.busy || current === '' || next === '' || next !== repeat}>
            {form.busy ? 'Saving…' : 'Save my password'}
          </button>
          <button
            type="button"
            className="ghost"
            onClick={() =>
              void signOut()
            }
          >
            Sign out
          </button>
        </div>
      </form>
    </AuthFrame>
  );
}
