// What a visit shows, by mode. Token mode: the app as it always was. Classroom mode: the sign-in
// (or join) page until signed in, the change-password page while the password is a handed-out
// one, then the page asked for, plus the classroom's own pages (a class, the users).
import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react';
import { api, type LabSummary } from '../api.ts';
import { linkClick, type Route } from '../router.ts';
import { ChangePassword } from './ChangePassword.tsx';
import { labLabel } from './class-labs.ts';
import type { Account } from './classroom-api.ts';
import { ClassPage } from './ClassPage.tsx';
import { Join, SignIn } from './SignIn.tsx';
import { useSession } from './session.ts';
import { UsersPage } from './UsersPage.tsx';
import { setLabView } from './lab-view.ts';

// The grid page carries xterm.js (watching a terminal): loaded when an instructor opens it.
const GridPage = lazy(() => import('./GridPage.tsx').then((m) => ({ default: m.GridPage })));

function Missing({ what }: { what: string }) {
  return (
    <main className="missing">
      <h1>Nothing at {what}</h1>
      <a href="/" onClick={linkClick('/')}>
        Go to the labs
      </a>
    </main>
  );
}

/**
 * A lab this account may not see is answered by the server as a lab that does not exist, and its
 * event socket is refused before it opens (which the lab screen would retry forever): ask the lab
 * list first, and say "no lab" as the missing page does.
 */
function LabGate({ name, user, children }: { name: string; user: Account; children: ReactNode }) {
  // undefined: still asking; null: not a lab this account may see.
  const [lab, setLab] = useState<LabSummary | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    api.listLabs().then(
      (labs) => live && setLab(labs.find((l) => l.name === name) ?? null),
      // Not the lab's fault: let the lab screen say what is wrong.
      () => live && setLab({ name, state: 'running', namespaces: 0 }),
    );
    return () => {
      live = false;
    };
  }, [name]);
  // An instructor looks at a student's lab: the server refuses their changes (403 READ_ONLY).
  const watching = !!lab && user.role === 'instructor' && lab.owner !== undefined && lab.owner !== user.username;
  // Before the lab screen renders: it takes its title and its editor's lock from here.
  if (lab) setLabView(name, { displayName: labLabel(lab), readOnly: watching ? `Read-only: this is ${lab.owner}'s lab; only the student changes it.` : null, mine: lab.owner === user.username, ...(lab.owner !== undefined ? { owner: lab.owner } : {}) });
  if (lab === undefined) return <p className="loading">Loading the lab…</p>;
  if (lab === null) return <Missing what={`lab ${JSON.stringify(name)}`} />;
  return (
    <>
      {children}
      {watching && (
        <div className="cr-readonly" role="status">
          Read-only: <strong>{lab.owner}</strong>'s lab <span className="mono">{labLabel(lab)}</span>. Only the student changes it.
        </div>
      )}
    </>
  );
}

export function ClassroomGate({ route, children }: { route: Route; children: ReactNode }) {
  const session = useSession();
  switch (session.kind) {
    case 'loading':
      return <p className="loading">Loading…</p>;
    case 'token':
    case 'unreachable':
      return route.screen === 'class' || route.screen === 'grid' || route.screen === 'users' || route.screen === 'join' ? <Missing what={location.pathname} /> : <>{children}</>;
    case 'signed-out':
      return route.screen === 'join' ? <Join /> : <SignIn />;
    case 'signed-in': {
      const user = session.user;
      if (user.mustChangePassword) return <ChangePassword user={user} />;
      switch (route.screen) {
        case 'class':
          return <ClassPage key={route.id} id={route.id} user={user} />;
        case 'grid':
          return (
            <Suspense fallback={<p className="loading">Loading…</p>}>
              <GridPage key={`${route.classId}/${route.id}`} classId={route.classId} id={route.id} user={user} />
            </Suspense>
          );
        case 'users':
          return <UsersPage user={user} />;
        case 'lab':
          return (
            <LabGate key={route.name} name={route.name} user={user}>
              {children}
            </LabGate>
          );
        case 'join':
          // Signed in already: joining another class is on the home page.
          return <>{children}</>;
        default:
          return <>{children}</>;
      }
    }
  }
}
