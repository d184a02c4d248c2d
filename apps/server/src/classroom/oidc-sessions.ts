// Sessions that came through OpenID Connect keep the ID token the provider signed them in with:
// signing out sends it back as id_token_hint, so the provider knows whose session to end (RP-
// initiated logout). Keyed by the session's hash like the sessions table, and deleted with the
// session (ON DELETE CASCADE: sign-out, expiry, a password change, a disabled account).
import { now, type Db } from './db.ts';
import { sessionHash } from './sessions.ts';

export interface OidcSession {
  issuer: string;
  idToken: string;
}

export class OidcSessions {
  constructor(private readonly db: Db) {}

  remember(sessionId: string, s: OidcSession): void {
    this.db.prepare('INSERT INTO oidc_sessions (session_hash, issuer, id_token, created_at) VALUES (?, ?, ?, ?)').run(sessionHash(sessionId), s.issuer, s.idToken, now());
  }

  /** The provider sign-in behind a session, or null (a password session, or one already gone). */
  of(sessionId: string): OidcSession | null {
    const r = this.db.prepare('SELECT issuer, id_token FROM oidc_sessions WHERE session_hash = ?').get(sessionHash(sessionId)) as { issuer: string; id_token: string } | undefined;
    return r ? { issuer: r.issuer, idToken: r.id_token } : null;
  }
}
