// Sign-in sessions: a random id in an HttpOnly SameSite=Strict cookie (Secure over https); the
// database keeps only its SHA-256, so a copy of the database signs nobody in. A session is always
// made fresh at sign-in and never taken from the request, so a cookie planted before sign-in
// (session fixation) is worth nothing.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { now, type Db } from './db.ts';

export const SESSION_COOKIE = 'nslab_session';

/** What the database keeps of a session id (also the key of oidc_sessions). */
export const sessionHash = (id: string) => createHash('sha256').update(id).digest('base64url');

export interface SessionOptions {
  /** How long a session lasts without use. */
  idleMs: number;
  /** How long a session lasts at most. */
  maxMs: number;
}

export const DEFAULT_SESSION: SessionOptions = { idleMs: 12 * 3600_000, maxMs: 7 * 24 * 3600_000 };

interface SessionRow {
  user_id: number;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
}

export class Sessions {
  constructor(
    private readonly db: Db,
    private readonly opts: SessionOptions = DEFAULT_SESSION,
  ) {}

  /** A new session for `userId`; the id is returned once, for the cookie. */
  create(userId: number): string {
    const id = randomBytes(32).toString('base64url');
    const t = Date.now();
    this.db
      .prepare('INSERT INTO sessions (id_hash, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)')
      .run(sessionHash(id), userId, new Date(t).toISOString(), new Date(t + this.opts.maxMs).toISOString(), new Date(t).toISOString());
    return id;
  }

  /** The user id a session id stands for, or null (unknown, expired, idle too long). */
  resolve(id: string | undefined): number | null {
    if (!id || id.length > 128) return null;
    const h = sessionHash(id);
    const r = this.db.prepare('SELECT user_id, created_at, expires_at, last_seen_at FROM sessions WHERE id_hash = ?').get(h) as SessionRow | undefined;
    if (!r) return null;
    const t = Date.now();
    if (Date.parse(r.expires_at) <= t || Date.parse(r.last_seen_at) + this.opts.idleMs <= t) {
      this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(h);
      return null;
    }
    // Written at most once a minute: a page's burst of requests is one write, not fifty.
    if (t - Date.parse(r.last_seen_at) > 60_000) this.db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?').run(now(), h);
    return r.user_id;
  }

  revoke(id: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(sessionHash(id));
  }

  /** Every session of a user (a password change signs out everywhere else). */
  revokeUser(userId: number, except?: string): void {
    if (except) this.db.prepare('DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?').run(userId, sessionHash(except));
    else this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(userId);
  }

  /** Remove sessions past their end or unused too long (resolve refuses them anyway; this keeps the table small). Returns how many. */
  purgeExpired(at = Date.now()): number {
    return this.db
      .prepare('DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?')
      .run(new Date(at).toISOString(), new Date(at - this.opts.idleMs).toISOString()).changes;
  }
}

export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) {
      try {
        return decodeURIComponent(v.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Secure when the request came over TLS, or when the config says a TLS proxy fronts us. */
export function sessionCookie(req: FastifyRequest, id: string, maxAgeS: number, secure: 'auto' | boolean): string {
  const isSecure = secure === true || (secure === 'auto' && req.protocol === 'https');
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeS}${isSecure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(req: FastifyRequest, secure: 'auto' | boolean): string {
  return sessionCookie(req, '', 0, secure);
}
