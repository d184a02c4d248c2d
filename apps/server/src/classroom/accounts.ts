// Accounts: admins (the server's owner), instructors, students. Usernames are what people type to
// sign in (folded to lower case, a small alphabet); display names are what others see.
import { ApiError } from '../errors.ts';
import { now, type Db } from './db.ts';
import { generatePassword, hashPassword, needsRehash, passwordProblem, verifyPassword } from './passwords.ts';

export type Role = 'admin' | 'instructor' | 'student';
export const ROLES: Role[] = ['admin', 'instructor', 'student'];

export interface User {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  mustChangePassword: boolean;
  createdAt: string;
  /** When an admin or an instructor of theirs disabled the account (no sign-in, no session); null: enabled. */
  disabledAt: string | null;
}

interface UserRow {
  id: number;
  username: string;
  display_name: string;
  role: Role;
  password_hash: string | null;
  must_change_password: number;
  created_at: string;
  disabled_at: string | null;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  mustChangePassword: r.must_change_password === 1,
  createdAt: r.created_at,
  disabledAt: r.disabled_at ?? null,
});

export const USERNAME_MAX = 32;

/** Why `name` cannot be a username, or null. Checked after folding to lower case. */
export function usernameProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (name.length > USERNAME_MAX) return `is ${name.length} characters long; usernames are at most ${USERNAME_MAX}`;
  if (!/^[a-z0-9._-]+$/.test(name)) return 'may use only letters a-z, digits, ".", "_" and "-"';
  if (!/^[a-z0-9]/.test(name)) return 'must start with a letter or a digit';
  return null;
}

export function checkUsername(raw: string, field = 'username'): string {
  const name = raw.trim().toLowerCase();
  const why = usernameProblem(name);
  if (why) throw new ApiError(400, 'INVALID_USERNAME', `${field} ${JSON.stringify(raw)} ${why}`, field);
  return name;
}

export function checkDisplayName(raw: string, field = 'displayName'): string {
  const name = raw.trim();
  if (name.length === 0 || name.length > 80) throw new ApiError(400, 'INVALID_DISPLAY_NAME', `${field} must be 1-80 characters long`, field);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(name)) throw new ApiError(400, 'INVALID_DISPLAY_NAME', `${field} must not contain control or text-direction characters`, field);
  return name;
}

export function checkPassword(password: string, field = 'password'): string {
  const why = passwordProblem(password);
  if (why) throw new ApiError(400, 'WEAK_PASSWORD', `${field} ${why}`, field);
  return password;
}

export interface NewUser {
  username: string;
  displayName?: string;
  role: Role;
  /** None: one is generated, returned once, and must be changed at the first sign-in. */
  password?: string;
}

export interface PreparedUser {
  username: string;
  usernameField: string;
  displayName: string;
  role: Role;
  hash: string;
  /** The password made up here, to show once. */
  generated?: string;
}

const taken = (field: string, username: string) => new ApiError(409, 'USERNAME_TAKEN', `${field} "${username}" is taken: choose another`, field);

export class Accounts {
  constructor(private readonly db: Db) {}

  byId(id: number): User | null {
    const r = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
    return r ? toUser(r) : null;
  }

  byUsername(username: string): User | null {
    const r = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username.toLowerCase()) as UserRow | undefined;
    return r ? toUser(r) : null;
  }

  list(): User[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY id').all() as UserRow[]).map(toUser);
  }

  countAdmins(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM users WHERE role = 'admin'").get() as { n: number }).n;
  }

  /**
   * Check and hash a new account, without writing it: many can be prepared (a roster), then
   * inserted in one transaction with `insert`.
   */
  async prepare(u: NewUser, fields: { username?: string; password?: string } = {}): Promise<PreparedUser> {
    const usernameField = fields.username ?? 'username';
    const username = checkUsername(u.username, usernameField);
    const displayName = u.displayName === undefined ? username : checkDisplayName(u.displayName);
    if (u.password !== undefined) checkPassword(u.password, fields.password);
    if (this.byUsername(username)) throw taken(usernameField, username);
    const generated = u.password === undefined ? generatePassword() : undefined;
    return { username, usernameField, displayName, role: u.role, hash: await hashPassword(u.password ?? generated!), ...(generated ? { generated } : {}) };
  }

  /** Write a prepared account (inside the caller's transaction, if any). */
  insert(p: PreparedUser): User {
    const t = now();
    try {
      const id = Number(this.db
        .prepare('INSERT INTO users (username, display_name, role, password_hash, must_change_password, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(p.username, p.displayName, p.role, p.hash, p.generated ? 1 : 0, t, t).lastInsertRowid);
      return this.byId(id)!;
    } catch (e) {
      // Taken while the hash was computed.
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw taken(p.usernameField, p.username);
      throw e;
    }
  }

  /**
   * Create an account; `password` in the result only when it was generated here (shown once).
   * `within` runs in the same transaction as the insert (a join code's use, a class membership):
   * if it throws, no account is left behind.
   */
  async create(u: NewUser, fields: { username?: string; password?: string } = {}, within?: (user: User) => void): Promise<{ user: User; password?: string }> {
    const p = await this.prepare(u, fields);
    const user = this.db.transaction(() => {
      const made = this.insert(p);
      within?.(made);
      return made;
    })();
    return { user, ...(p.generated ? { password: p.generated } : {}) };
  }

  /** The user if the password is theirs; null otherwise (unknown name and wrong password alike, in the same time). */
  async verify(username: string, password: string): Promise<User | null> {
    const r = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username.trim().toLowerCase()) as UserRow | undefined;
    const ok = await verifyPassword(password, r?.password_hash ?? null);
    if (!r || !ok) return null;
    if (needsRehash(r.password_hash!)) {
      this.db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?').run(await hashPassword(password), now(), r.id);
    }
    return toUser(r);
  }

  /** Set a password chosen by its owner (clears must-change). */
  async setPassword(id: number, password: string, field = 'password'): Promise<void> {
    checkPassword(password, field);
    this.db.prepare('UPDATE users SET password_hash = ?, must_change_password = 0, updated_at = ? WHERE id = ?').run(await hashPassword(password), now(), id);
  }

  /** Disable (no sign-in; the caller ends the sessions) or enable an account. */
  setDisabled(id: number, disabled: boolean): User {
    this.db.prepare('UPDATE users SET disabled_at = ?, updated_at = ? WHERE id = ?').run(disabled ? now() : null, now(), id);
    return this.byId(id)!;
  }

  /** What keeps an account from being deleted: classes, join codes or assignments it made (others rely on them). */
  inUse(id: number): string | null {
    const n = (sql: string) => (this.db.prepare(sql).get(id) as { n: number }).n;
    const classes = n('SELECT COUNT(*) AS n FROM classes WHERE created_by = ?');
    const assignments = n('SELECT COUNT(*) AS n FROM assignments WHERE created_by = ?');
    const codes = n('SELECT COUNT(*) AS n FROM join_codes WHERE created_by = ?');
    const uploads = n('SELECT COUNT(*) AS n FROM uploaded_labs WHERE owner_id = ?');
    if (classes + assignments + codes + uploads === 0) return null;
    return [classes ? `${classes} class${classes === 1 ? '' : 'es'}` : '', assignments ? `${assignments} assignment${assignments === 1 ? '' : 's'}` : '', codes ? `${codes} join code${codes === 1 ? '' : 's'}` : '', uploads ? `${uploads} uploaded lab${uploads === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ');
  }

  /** Gone, with its sessions, memberships, lab records and checks (the caller removes the labs first). */
  delete(id: number): void {
    this.db.prepare('DELETE FROM users WHERE id = ?').run(id);
  }

  /** A new generated password, to hand on once; the user must change it at the next sign-in. */
  async resetPassword(id: number): Promise<string> {
    const password = generatePassword();
    this.db.prepare('UPDATE users SET password_hash = ?, must_change_password = 1, updated_at = ? WHERE id = ?').run(await hashPassword(password), now(), id);
    return password;
  }
}
