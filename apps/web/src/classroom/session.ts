// Who is signed in, for every page: asked once at start (GET /auth/me also says which mode the
// server runs in), again after sign-in, sign-out, a password change, and whenever any request is
// refused for want of a session (it expired, or the password must be changed first).
import { useSyncExternalStore } from 'react';
import { ApiError, setAuthRefusedListener } from '../api.ts';
import { navigate } from '../router.ts';
import { classroomApi } from './classroom-api.ts';
import { sessionFromMe, type Session } from './session-answer.ts';

let session: Session = { kind: 'loading' };
const listeners = new Set<() => void>();
let asking: Promise<void> | null = null;

function set(s: Session): void {
  session = s;
  for (const l of listeners) l();
}

export function refreshSession(): Promise<void> {
  asking ??= (async () => {
    try {
      set(sessionFromMe({ ok: true, me: await classroomApi.me() }));
    } catch (e) {
      set(e instanceof ApiError ? sessionFromMe({ ok: false, error: e }) : { kind: 'unreachable', message: String(e) });
    } finally {
      asking = null;
    }
  })();
  return asking;
}

/** After sign-out: no request needed to know. */
export function signedOut(): void {
  set({ kind: 'signed-out' });
}

setAuthRefusedListener((path) => {
  // The /auth routes' own refusals (a wrong password) are the form's business, not the session's.
  if (path.startsWith('/auth/')) return;
  if (session.kind === 'signed-in') void refreshSession();
});

function subscribe(cb: () => void): () => void {
  listeners.add(cb);
  if (session.kind === 'loading') void refreshSession();
  return () => listeners.delete(cb);
}

export function useSession(): Session {
  return useSyncExternalStore(subscribe, () => session);
}

/** The signed-in account, or null (token mode, signed out, still asking). */
export function useAccount() {
  const s = useSession();
  return s.kind === 'signed-in' ? s.user : null;
}

/**
 * Ends this browser's session and shows the sign-in page (at `/`). A session that came through
 * the school's provider is ended there too: the browser goes to the provider's sign-out, which
 * sends it back to `/`.
 */
export async function signOut(): Promise<void> {
  try {
    const answer = await classroomApi.logout();
    if (answer?.providerLogout && /^https?:\/\//.test(answer.providerLogout)) {
      signedOut();
      location.assign(answer.providerLogout);
      return;
    }
  } catch {
    /* already signed out, or the server is gone: either way this page is signed out */
  }
  navigate('/');
  signedOut();
}
