// Accounts that sign in through an OpenID Connect provider, found again by (issuer, subject): the
// pair the provider promises never to give to anyone else. Never by username or email: a person
// who picks "admin" as their preferred_username at the provider must not become our "admin", nor
// take over the password account of someone who has that name here.
import { now, type Db } from './db.ts';
import { checkDisplayName, usernameProblem, USERNAME_MAX, type Role, type User } from './accounts.ts';
import type { Accounts } from './accounts.ts';

export interface OidcIdentity {
  issuer: string;
  subject: string;
  userId: number;
  email: string | null;
  createdAt: string;
  lastLoginAt: string;
}

interface IdentityRow {
  issuer: string;
  subject: string;
  user_id: number;
  email: string | null;
  created_at: string;
  last_login_at: string;
}

const toIdentity = (r: IdentityRow): OidcIdentity => ({ issuer: r.issuer, subject: r.subject, userId: r.user_id, email: r.email, createdAt: r.created_at, lastLoginAt: r.last_login_at });

/**
 * A username made from what the provider says (preferred_username, or an email's local part):
 * folded into our alphabet, and made unique with -2, -3... It is only a handle: the account is
 * the (issuer, subject) pair.
 */
export function usernameFrom(raw: string | undefined, taken: (name: string) => boolean): string {
  let base = (raw ?? '').normalize('NFKD').toLowerCase().replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, USERNAME_MAX - 5).replace(/[-._]+$/, '');
  if (!base || usernameProblem(base)) base = 'user';
  if (!taken(base)) return base;
  for (let i = 2; i < 10_000; i++) {
    const name = `${base}-${i}`;
    if (!taken(name)) return name;
  }
  throw new Error(`no free username near ${base}`);
}

/** The provider's name for the person, if it is one we can show; else the username. */
export function displayNameFrom(raw: unknown, username: string): string {
  if (typeof raw !== 'string') return username;
  try {
    return checkDisplayName(raw.slice(0, 80));
  } catch {
    return username;
  }
}

export class OidcIdentities {
  constructor(
    private readonly db: Db,
    private readonly accounts: Accounts,
  ) {}

  find(issuer: string, subject: string): OidcIdentity | null {
    const r = this.db.prepare('SELECT * FROM oidc_identities WHERE issuer = ? AND subject = ?').get(issuer, subject) as IdentityRow | undefined;
    return r ? toIdentity(r) : null;
  }

  ofUser(userId: number): OidcIdentity[] {
    return (this.db.prepare('SELECT * FROM oidc_identities WHERE user_id = ? ORDER BY issuer').all(userId) as IdentityRow[]).map(toIdentity);
  }

  /**
   * A new account without a password (it signs in through the provider only) and its identity,
   * in the caller's transaction. The username is picked here, inside the write, so two first
   * sign-ins of people both called "alex" get alex and alex-2.
   */
  createUser(issuer: string, subject: string, p: { usernameHint: string | undefined; displayName: unknown; role: Role; email: string | null }): User {
    const t = now();
    const username = usernameFrom(p.usernameHint, (n) => this.accounts.byUsername(n) !== null);
    const id = Number(this.db
      .prepare('INSERT INTO users (username, display_name, role, password_hash, must_change_password, created_at, updated_at) VALUES (?, ?, ?, NULL, 0, ?, ?)')
      .run(username, displayNameFrom(p.displayName, username), p.role, t, t).lastInsertRowid);
    this.db.prepare('INSERT INTO oidc_identities (issuer, subject, user_id, email, created_at, last_login_at) VALUES (?, ?, ?, ?, ?, ?)').run(issuer, subject, id, p.email, t, t);
    return this.accounts.byId(id)!;
  }

  /** A returning person: their email as the provider says it now, and the time. */
  touch(issuer: string, subject: string, email: string | null): void {
    this.db.prepare('UPDATE oidc_identities SET email = ?, last_login_at = ? WHERE issuer = ? AND subject = ?').run(email, now(), issuer, subject);
  }

  setRole(userId: number, role: Role): void {
    this.db.prepare('UPDATE users SET role = ?, updated_at = ? WHERE id = ? AND role <> ?').run(role, now(), userId, role);
  }
}
