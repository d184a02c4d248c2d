// The home page's classroom section: an instructor's classes (and a new one), a student's classes
// (and joining another with a code). Nothing in token mode.
import { useState } from 'react';
import { linkClick, navigate } from '../router.ts';
import { classroomApi, type Account, type ClassInfo } from './classroom-api.ts';
import { Field, FormMessage } from './Field.tsx';
import { codeFromSearch } from './join-codes.ts';
import { refreshSession } from './session.ts';
import { MyAssignments } from './MyAssignments.tsx';
import { useForm } from './useForm.ts';
import './classroom.css';

export const classPath = (id: number | string) => `/classes/${encodeURIComponent(String(id))}`;

function NewClass() {
  const [name, setName] = useState('');
  const form = useForm(['name']);
  return (
    <form
      className="cr-inline"
      onSubmit={(e) => {
        e.preventDefault();
        void form.run(async () => {
          const c = await classroomApi.createClass(name);
          await refreshSession();
          navigate(classPath(c.id));
        });
      }}
    >
      <Field label="New class" name="name" value={name} onChange={setName} error={form.errorFor('name')} placeholder="Networks 101, autumn" maxLength={100} required />
      <button type="submit" className="primary" disabled={form.busy || name.trim() === ''}>
        {form.busy ? 'Creating…' : 'Create class'}
      </button>
      <FormMessage message={form.formMessage} />
    </form>
  );
}

function JoinAnother() {
  // A join link opened while signed in (/join?code=...) lands here with its code filled in.
  const [code, setCode] = useState(() => (location.pathname.startsWith('/join') ? codeFromSearch(location.search) : ''));
  const [joined, setJoined] = useState<string | null>(null);
  const form = useForm(['code']);
  return (
    <form
      className="cr-inline"
      onSubmit={(e) => {
        e.preventDefault();
        void form.run(async () => {
          const r = await classroomApi.joinClass(code);
          setJoined(r.class.name);
          setCode('');
          await refreshSession();
        });
      }}
    >
      <Field label="Join another class" name="code" className="mono" value={code} onChange={(v) => (setCode(v), setJoined(null))} error={form.errorFor('code')} placeholder="join code" autoComplete="off" spellCheck={false} required />
      <button type="submit" disabled={form.busy || code.trim() === ''}>
        {form.busy ? 'Joining…' : 'Join'}
      </button>
      <FormMessage message={form.formMessage} />
      {joined && (
        <p className="cr-ok" role="status">
          You joined {joined}.
        </p>
      )}
    </form>
  );
}

export function ClassroomHome({ user, classes }: { user: Account; classes: ClassInfo[] }) {
  const teaching = user.role !== 'student';
  return (
    <>
      {!teaching && <MyAssignments />}
      <section aria-labelledby="classes-title" className="cr-home">
        <div className="section-head">
          <h2 id="classes-title">Your classes</h2>
          {user.role === 'admin' && (
            <a href="/users" onClick={linkClick('/users')} className="button small">
              Manage users
            </a>
          )}
        </div>
        {classes.length === 0 && <p className="muted">{teaching ? 'No classes yet: create one, then hand out its join code.' : 'You are in no class yet: join one with the code your instructor gave you.'}</p>}
        {classes.length > 0 && (
          <ul className="cr-class-list">
            {classes.map((c) => (
              <li key={c.id} className="card cr-class-card">
                {teaching ? (
                  <a href={classPath(c.id)} onClick={linkClick(classPath(c.id))} className="cr-class-name">
                    {c.name}
                  </a>
                ) : (
                  <span className="cr-class-name">{c.name}</span>
                )}
                <span className="muted small-text">{c.role === 'student' ? 'you are a student' : c.role === 'admin' ? 'every class (admin)' : 'you teach it'}</span>
              </li>
            ))}
          </ul>
        )}
        {teaching ? <NewClass /> : <JoinAnother />}
      </section>
    </>
  );
}
