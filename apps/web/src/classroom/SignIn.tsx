// Classroom mode, signed out: the sign-in form, and the join form for a student with a class code.
// Either one starts a session (an HttpOnly cookie) and the page the visitor asked for shows.
import { useEffect, useState, type ReactNode } from 'react';
import { linkClick, navigate } from '../router.ts';
import { classroomApi, type OidcStatus } from './classroom-api.ts';
import { Field, FormMessage } from './Field.tsx';
import { codeFromSearch } from './join-codes.ts';
import { refreshSession } from './session.ts';
import { useForm } from './useForm.ts';
import { oidcStartUrl } from './oidc-start.ts';
import './classroom.css';

/** Whether the server has a school sign-in set up (GET /auth/oidc); asked once per page load. */
let oidcAsked: Promise<OidcStatus> | null = null;
function useOidc(): OidcStatus | null {
  const [s, setS] = useState<OidcStatus | null>(null);
  useEffect(() => {
    oidcAsked ??= classroomApi.oidc().catch(() => ({ enabled: false }));
    let live = true;
    void oidcAsked.then((v) => live && setS(v));
    return () => {
      live = false;
    };
  }, []);
  return s;
}

/** "Sign in with your school account": a plain navigation to the server, which sends the browser to the provider. */
function SchoolSignIn({ href, note }: { href: string; note?: string }) {
  return (
    <div className="cr-oidc">
      <div className="cr-or" aria-hidden>
        <span>or</span>
      </div>
      <a className="button cr-submit cr-oidc-button" href={href}>
        Sign in with your school account
      </a>
      {note && <p className="cr-hint">{note}</p>}
    </div>
  );
}

export function AuthFrame({ title, children, wide }: { title: string; children: ReactNode; wide?: boolean }) {
  useEffect(() => {
    document.title = `${title} · nslab`;
  }, [title]);
  return (
    <div className="cr-auth">
      <div className={`cr-auth-box${wide ? ' wide' : ''}`}>
        <div className="cr-auth-brand">
          <span className="brand">nslab</span>
          <span className="muted tagline">network namespaces, veth pairs and bridges — real ones, in your browser</span>
        </div>
        <main className="card cr-auth-card">
          <h1>{title}</h1>
          {children}
        </main>
      </div>
    </div>
  );
}

const LOGIN_FIELDS = ['username', 'password'] as const;

export function SignIn() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const form = useForm(LOGIN_FIELDS);
  const oidc = useOidc();
  return (
    <AuthFrame title="Sign in">
      <form
        className="cr-form"
        onSubmit={(e) => {
          e.preventDefault();
          void form.run(async () => {
            await classroomApi.login(username, password);
            await refreshSession();
          });
        }}
      >
        <Field label="Username" name="username" value={username} onChange={setUsername} error={form.errorFor('username')} autoComplete="username" autoCapitalize="none" spellCheck={false} required autoFocus />
        <Field label="Password" name="password" type="password" value={password} onChange={setPassword} error={form.errorFor('password')} autoComplete="current-password" required />
        <FormMessage message={form.formMessage} />
        <button type="submit" className="primary cr-submit" disabled={form.busy || username === '' || password === ''}>
          {form.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {oidc?.enabled && <SchoolSignIn href={oidcStartUrl(oidc.start, { next: location.pathname + location.search })} />}
      <p className="cr-switch">
        A student with a join code from your instructor?{' '}
        <a href="/join" onClick={linkClick('/join')}>
          Join a class
        </a>
      </p>
    </AuthFrame>
  );
}

const JOIN_FIELDS = ['code', 'displayName', 'username', 'password'] as const;

export function Join() {
  const [code, setCode] = useState(() => codeFromSearch(location.search));
  const [displayName, setDisplayName] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const form = useForm(JOIN_FIELDS);
  const oidc = useOidc();
  return (
    <AuthFrame title="Join a class">
      <p className="muted">Make your account with the code your instructor gave you. You will be signed in right away.</p>
      <form
        className="cr-form"
        onSubmit={(e) => {
          e.preventDefault();
          void form.run(async () => {
            await classroomApi.join({ code, username, password, ...(displayName.trim() ? { displayName: displayName.trim() } : {}) });
            navigate('/');
            await refreshSession();
          });
        }}
      >
        <Field label="Join code" name="code" className="mono cr-code-input" value={code} onChange={setCode} error={form.errorFor('code')} placeholder="K7QF3-M9X2A" autoComplete="off" autoCapitalize="characters" spellCheck={false} required autoFocus={code === ''} />
        <Field label={<>Your name <span className="muted">(what your instructor sees; optional)</span></>} name="displayName" value={displayName} onChange={setDisplayName} error={form.errorFor('displayName')} autoComplete="name" maxLength={80} autoFocus={code !== ''} />
        <Field label="Username" name="username" value={username} onChange={setUsername} error={form.errorFor('username')} hint="Letters a-z, digits, “.”, “_” and “-”; you sign in with it." autoComplete="username" autoCapitalize="none" spellCheck={false} required maxLength={64} />
        <Field label="Password" name="password" type="password" value={password} onChange={setPassword} error={form.errorFor('password')} hint="At least 8 characters." autoComplete="new-password" required />
        <FormMessage message={form.formMessage} />
        <button type="submit" className="primary cr-submit" disabled={form.busy || code === '' || username === '' || password === ''}>
          {form.busy ? 'Joining…' : 'Join and sign in'}
        </button>
      </form>
      {oidc?.enabled && <SchoolSignIn href={oidcStartUrl(oidc.start, { joinCode: code })} note={code.trim() ? 'Joins the class with the code above: no username or password to pick.' : 'Type the join code above first to join the class as you sign in.'} />}
      <p className="cr-switch">
        Already have an account?{' '}
        <a href="/" onClick={linkClick('/')}>
          Sign in
        </a>
      </p>
    </AuthFrame>
  );
}
