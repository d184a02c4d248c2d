// The admin's accounts page: every account, adding an instructor or a student (a generated
// one-time password unless one is given), and a password reset (a new one-time password; the
// account is signed out everywhere). Generated passwords are shown once.
import { useCallback, useEffect, useState } from 'react';
import { linkClick } from '../router.ts';
import { Confirm, type ConfirmRequest } from '../ui/Confirm.tsx';
import { ClassroomTopbar, ROLE_WORD } from './AccountBar.tsx';
import { classroomApi, type Account } from './classroom-api.ts';
import { Field, FormMessage } from './Field.tsx';
import { AccountToggle } from './AccountToggle.tsx';
import { formError } from './form-error.ts';
import { OneTimePasswords } from './OneTimePasswords.tsx';
import type { Credential } from './one-time-passwords.ts';
import { useForm } from './useForm.ts';
import './classroom.css';

const USER_FIELDS = ['username', 'role', 'displayName', 'password'] as const;

function AddUser({ onMade }: { onMade(user: Account, password?: string): void }) {
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<'instructor' | 'student'>('instructor');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const form = useForm(USER_FIELDS);
  return (
    <form
      className="card cr-section cr-form"
      aria-labelledby="add-user-title"
      onSubmit={(e) => {
        e.preventDefault();
        void form.run(async () => {
          const r = await classroomApi.createUser({ username, role, ...(displayName.trim() ? { displayName: displayName.trim() } : {}), ...(password ? { password } : {}) });
          onMade(r.user, r.password);
          setUsername('');
          setDisplayName('');
          setPassword('');
        });
      }}
    >
      <h2 id="add-user-title">Add an account</h2>
      <fieldset className="cr-roles">
        <legend>Role</legend>
        {(['instructor', 'student'] as const).map((r) => (
          <label key={r}>
            <input type="radio" name="role" value={r} checked={role === r} onChange={() => setRole(r)} /> {ROLE_WORD[r]}
          </label>
        ))}
      </fieldset>
      <Field label="Username" name="username" value={username} onChange={setUsername} error={form.errorFor('username')} autoComplete="off" autoCapitalize="none" spellCheck={false} required maxLength={64} />
      <Field label={<>Display name <span className="muted">(optional)</span></>} name="displayName" value={displayName} onChange={setDisplayName} error={form.errorFor('displayName')} maxLength={80} autoComplete="off" />
      <Field label={<>Password <span className="muted">(optional)</span></>} name="password" type="password" value={password} onChange={setPassword} error={form.errorFor('password')} hint="Leave empty for a one-time password, to be changed at the first sign-in." autoComplete="new-password" />
      <FormMessage message={form.formMessage ?? form.errorFor('role')} />
      <div className="row">
        <button type="submit" className="primary" disabled={form.busy || username.trim() === ''}>
          {form.busy ? 'Adding…' : `Add ${ROLE_WORD[role]}`}
        </button>
      </div>
    </form>
  );
}

export function UsersPage({ user }: { user: Account }) {
  const [users, setUsers] = useState<Account[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [once, setOnce] = useState<{ title: string; rows: Credential[] } | null>(null);
  const [confirmReq, setConfirmReq] = useState<ConfirmRequest | null>(null);
  const refresh = useCallback(async () => {
    try {
      setUsers(await classroomApi.users());
      setError(null);
    } catch (e) {
      setError(formError(e, []).message);
    }
  }, []);
  useEffect(() => {
    document.title = 'Users · nslab';
    void refresh();
  }, [refresh]);
  if (user.role !== 'admin') {
    return (
      <main className="missing">
        <h1>Nothing at /users</h1>
        <a href="/" onClick={linkClick('/')}>
          Go to the labs
        </a>
      </main>
    );
  }
  const act = (p: Promise<unknown>) => void p.then(() => (setError(null), void refresh()), (e) => setError(formError(e, []).message));
  const reset = (u: Account) =>
    setConfirmReq({
      title: `Reset the password of ${u.username}?`,
      body: `${u.displayName} gets a new one-time password, shown to you once, and is signed out everywhere. They choose their own at their next sign-in.`,
      confirm: 'Reset password',
      danger: true,
      onConfirm: () =>
        void classroomApi.resetPassword(u.username).then(
          (r) => {
            setOnce({ title: `New password for ${r.user.username}`, rows: [{ username: r.user.username, displayName: r.user.displayName, password: r.password }] });
            void refresh();
          },
          (e) => setError(formError(e, []).message),
        ),
    });
  return (
    <div className="home">
      <ClassroomTopbar user={user} crumb="users" />
      <main className="home-main cr-page">
        <div className="section-head">
          <h1>Users</h1>
          <span className="muted">{users ? `${users.length} accounts` : ''}</span>
        </div>
        {once && <OneTimePasswords title={once.title} rows={once.rows} onDone={() => setOnce(null)} />}
        <div className="cr-columns cr-side-form">
          <section aria-labelledby="users-title" className="card cr-section cr-column">
            <h2 id="users-title" className="sr-only">
              Accounts
            </h2>
            <FormMessage message={error} />
            {users === null && !error && <p className="muted">Loading…</p>}
            {users && (
              <table className="table cr-users">
                <thead>
                  <tr>
                    <th scope="col">Username</th>
                    <th scope="col">Name</th>
                    <th scope="col">Role</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {users.map((u) => (
                    <tr key={u.id} data-username={u.username}>
                      <th scope="row" className="mono">
                        {u.username}
                      </th>
                      <td>
                        {u.displayName}
                        {u.mustChangePassword && <div className="muted small-text">has not yet changed the one-time password</div>}
                      </td>
                      <td>
                        <span className={`pill cr-role cr-role-${u.role}`}>{ROLE_WORD[u.role]}</span>
                        {u.disabled && (
                          <>
                            {' '}
                            <span className="pill state-down">disabled</span>
                          </>
                        )}
                      </td>
                      <td>
                        <div className="row-actions">
                          {u.id !== user.id && (
                            <>
                              <button type="button" className="small" onClick={() => reset(u)}>
                                Reset password
                              </button>
                              <AccountToggle username={u.username} title={u.username} who={u.displayName} disabled={u.disabled === true} act={act} confirm={setConfirmReq} />
                              <button
                                type="button"
                                className="small danger"
                                onClick={() =>
                                  setConfirmReq({
                                    title: `Delete the account ${u.username}?`,
                                    body: `Every lab ${u.displayName} owns is destroyed, running or stopped, with their recorded checks. This cannot be undone. An account that made classes or assignments cannot be deleted: disable it instead.`,
                                    confirm: 'Delete account',
                                    danger: true,
                                    onConfirm: () => act(classroomApi.deleteUser(u.username)),
                                  })
                                }
                              >
                                Delete
                              </button>
                            </>
                          )}
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <div className="cr-column">
            <AddUser
              onMade={(u, password) => {
                if (password) setOnce({ title: `One-time password for ${u.username}`, rows: [{ username: u.username, displayName: u.displayName, password }] });
                void refresh();
              }}
            />
          </div>
        </div>
      </main>
      <Confirm request={confirmReq} onClose={() => setConfirmReq(null)} />
    </div>
  );
}
