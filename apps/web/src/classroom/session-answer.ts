// Which mode the server runs in and who is signed in, from what GET /api/v1/auth/me answered.
// Token mode answers the token holder `{mode: 'token'}` (a server older than that: 404). Both
// modes answer 401 UNAUTHORIZED to a request without credentials; only token mode's message asks
// for a token (auth.ts), classroom mode's asks to sign in (classroom/guard.ts).
import type { ApiError } from '../api.ts';
import type { Account, ClassInfo } from './classroom-api.ts';

export type Session =
  | { kind: 'loading' }
  /** Token mode: no accounts; the app is what it always was. */
  | { kind: 'token' }
  | { kind: 'signed-out' }
  | { kind: 'signed-in'; user: Account; classes: ClassInfo[] }
  /** The server could not be asked: the app shows its usual errors. */
  | { kind: 'unreachable'; message: string };

export type MeAnswer = { mode: 'token' } | { user: Account; classes: ClassInfo[] };

export function sessionFromMe(answer: { ok: true; me: MeAnswer } | { ok: false; error: ApiError }): Session {
  if (answer.ok) return 'user' in answer.me ? { kind: 'signed-in', user: answer.me.user, classes: answer.me.classes } : { kind: 'token' };
  const e = answer.error;
  if (e.status === 404) return { kind: 'token' };
  if (e.status === 401) return /\btoken\b/i.test(e.body.message) ? { kind: 'token' } : { kind: 'signed-out' };
  return { kind: 'unreachable', message: e.body.message };
}
