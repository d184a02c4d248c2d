// What a visit shows, by mode. Token mode: the app as it always was. Classroom mode: the sign-in
// (or join) page until signed in, the change-password page while the password is a handed-out
// one, then the page asked for, plus the classroom's own pages (a class, the users).
import { useEffect, useState, type ReactNode } from 'react';
import { api } from '../api.ts';
import { linkClick, type Route } from '../router.ts';
import { ChangePassword } from './ChangePassword.tsx';
import { ClassPage } from './ClassPage.tsx';
import { Join, SignIn } from './SignIn.tsx';
import { useSession } from './session.ts';
import { UsersPage } from './UsersPage.tsx';

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
function LabGate({ name, children }: { name: string; children: ReactNode }) {
  const [known, setKnown] = useState<boolean | null>(null);
  useEffect(() => {
    let live = true;
    api.listLabs().then(
      (labs) => live && setKnown(labs.some((l) => l.name === name)),
      // Not the lab's fault: let the lab screen say what is wrong.
      () => live && setKnown(true),
    );
    return () => {
      live = false;
    };
  }, [name]);
  if (known === null) return <p className="loading">Loading the lab…</p>;
  if (!known) return <Missing what={`lab ${JSON.stringify(name)}`} />;
  return <>{children}</>;
}

export function ClassroomGate({ route, children }: { route: Route; children: ReactNode }) {
  const session = useSession();
  switch (session.kind) {
    case 'loading':
      return <p className="loading">Loading…</p>;
    case 'token':
    case 'unreachable':
      return route.screen === 'class' || route.screen === 'users' || route.screen === 'join' ? <Missing what={location.pathname} /> : <>{children}</>;
    case 'signed-out':
      return route.screen === 'join' ? <Join /> : <SignIn />;
    case 'signed-in': {
      const user = session.user;
      if (user.mustChangePassword) return <ChangePassword user={user} />;
      switch (route.screen) {
        case 'class':
          return <ClassPage key={route.id} id={route.id} user={user} />;
        case 'users':
          return <UsersPage user={user} />;
        case 'lab':
          return (
            <LabGate key={route.name} name={route.name}>
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
