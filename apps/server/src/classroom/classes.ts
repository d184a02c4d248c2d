// Classes, who is in them (as instructor or student), and join codes: short codes an instructor
// hands out, each with an expiry, an optional number of uses, and a revoke.
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { ApiError } from '../errors.ts';
import { now, type Db } from './db.ts';
import type { User } from './accounts.ts';

export interface ClassInfo {
  id: number;
  name: string;
  createdAt: string;
  /** The caller's place in it (admins see every class as 'admin'). */
  role: 'instructor' | 'student' | 'admin';
}

export interface JoinCode {
  code: string;
  classId: number;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  maxUses: number | null;
  uses: number;
}

interface JoinCodeRow {
  code: string;
  class_id: number;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  max_uses: number | null;
  uses: number;
}

const toCode = (r: JoinCodeRow): JoinCode => ({
  code: r.code,
  classId: r.class_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  maxUses: r.max_uses,
  uses: r.uses,
});

// Crockford's base32 without I, L, O, U: read aloud or off a board without confusion.
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 10; // 50 bits: guessing one at the join rate limit takes longer than any class lasts.

/** `k7qf 3m9x-2a` and `K7QF3M9X2A` are the same code. */
export function normalizeJoinCode(raw: string): string {
  return raw.toUpperCase().replace(/[\s-]/g, '');
}

export function formatJoinCode(code: string): string {
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

export function checkClassName(raw: string, field = 'name'): string {
  const name = raw.trim();
  if (name.length === 0 || name.length > 100) throw new ApiError(400, 'INVALID_CLASS_NAME', `${field} must be 1-100 characters long`, field);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(name)) throw new ApiError(400, 'INVALID_CLASS_NAME', `${field} must not contain control or text-direction characters`, field);
  return name;
}

export class Classes {
  /** 'instructor-removed' (classId, userId): a co-instructor left the class. */
  readonly events = new EventEmitter();

  constructor(private readonly db: Db) {}

  create(name: string, instructor: User): ClassInfo {
    const t = now();
    return this.db.transaction(() => {
      const id = Number(this.db.prepare('INSERT INTO classes (name, created_by, created_at) VALUES (?, ?, ?)').run(checkClassName(name), instructor.id, t).lastInsertRowid);
      // An admin who makes a class teaches it too: its students' labs are then "theirs" as well.
      this.db.prepare("INSERT INTO class_members (class_id, user_id, role, joined_at) VALUES (?, ?, 'instructor', ?)").run(id, instructor.id, t);
      return { id, name: name.trim(), createdAt: t, role: 'instructor' as const };
    })();
  }

  /** The classes `user` belongs to (an admin: all of them). */
  listFor(user: User): ClassInfo[] {
    if (user.role === 'admin') {
      return (this.db.prepare('SELECT id, name, created_at FROM classes ORDER BY id').all() as { id: number; name: string; created_at: string }[]).map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, role: 'admin' as const }));
    }
    return (this.db.prepare('SELECT c.id, c.name, c.created_at, m.role FROM classes c JOIN class_members m ON m.class_id = c.id WHERE m.user_id = ? ORDER BY c.id').all(user.id) as { id: number; name: string; created_at: string; role: 'instructor' | 'student' }[]).map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, role: r.role }));
  }

  get(id: number): { id: number; name: string; createdAt: string } | null {
    const r = this.db.prepare('SELECT id, name, created_at FROM classes WHERE id = ?').get(id) as { id: number; name: string; created_at: string } | undefined;
    return r ? { id: r.id, name: r.name, createdAt: r.created_at } : null;
  }

  /** Whether `user` may manage class `id`: one of its instructors, or an admin. */
  teaches(user: User, id: number): boolean {
    if (user.role === 'admin') return this.get(id) !== null;
    if (user.role !== 'instructor') return false;
    return this.db.prepare("SELECT 1 FROM class_members WHERE class_id = ? AND user_id = ? AND role = 'instructor'").get(id, user.id) !== undefined;
  }

  members(id: number): { id: number; username: string; displayName: string; role: 'instructor' | 'student'; joinedAt: string; disabled: boolean }[] {
    return (this.db.prepare('SELECT u.id, u.username, u.display_name, u.disabled_at, m.role, m.joined_at FROM class_members m JOIN users u ON u.id = m.user_id WHERE m.class_id = ? ORDER BY m.role, u.username').all(id) as { id: number; username: string; display_name: string; disabled_at: string | null; role: 'instructor' | 'student'; joined_at: string }[]).map((r) => ({ id: r.id, username: r.username, displayName: r.display_name, role: r.role, joinedAt: r.joined_at, disabled: r.disabled_at !== null }));
  }

  /** Whether `instructorId` teaches a class `studentId` is a student of. */
  teachesStudent(instructorId: number, studentId: number): boolean {
    return (
      this.db
        .prepare("SELECT 1 FROM class_members s JOIN class_members i ON i.class_id = s.class_id WHERE s.user_id = ? AND s.role = 'student' AND i.user_id = ? AND i.role = 'instructor'")
        .get(studentId, instructorId) !== undefined
    );
  }

  /** The account that made the class (the one who adds and removes co-instructors), or null. */
  creatorOf(classId: number): number | null {
    const r = this.db.prepare('SELECT created_by FROM classes WHERE id = ?').get(classId) as { created_by: number } | undefined;
    return r ? r.created_by : null;
  }

  /** Another instructor of the class: they see it, its grid and its students' labs as its creator does. False: already one. */
  addInstructor(classId: number, userId: number): boolean {
    return this.db.prepare("INSERT INTO class_members (class_id, user_id, role, joined_at) VALUES (?, ?, 'instructor', ?) ON CONFLICT (class_id, user_id) DO NOTHING").run(classId, userId, now()).changes > 0;
  }

  /**
   * A co-instructor out of the class. Every request checks membership, so the class and its
   * students' labs are gone for them at once; open sockets hear it through `events`.
   */
  removeInstructor(classId: number, userId: number): boolean {
    const gone = this.db.prepare("DELETE FROM class_members WHERE class_id = ? AND user_id = ? AND role = 'instructor'").run(classId, userId).changes > 0;
    if (gone) this.events.emit('instructor-removed', classId, userId);
    return gone;
  }

  /** Out of the class, with their copies' records of its assignments (the caller removes the labs first). */
  removeStudent(classId: number, userId: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM assignment_labs WHERE user_id = ? AND assignment_id IN (SELECT id FROM assignments WHERE class_id = ?)').run(userId, classId);
      this.db.prepare("DELETE FROM class_members WHERE class_id = ? AND user_id = ? AND role = 'student'").run(classId, userId);
    })();
  }

  /** Gone, with its members, join codes, assignments and their checks (the caller removes the copies first). */
  delete(id: number): void {
    this.db.prepare('DELETE FROM classes WHERE id = ?').run(id);
  }

  addStudent(classId: number, userId: number): void {
    this.db.prepare("INSERT INTO class_members (class_id, user_id, role, joined_at) VALUES (?, ?, 'student', ?) ON CONFLICT (class_id, user_id) DO NOTHING").run(classId, userId, now());
  }

  createJoinCode(classId: number, by: User, validMs: number, maxUses: number | null): JoinCode {
    const t = Date.now();
    let code = '';
    for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
    this.db
      .prepare('INSERT INTO join_codes (code, class_id, created_by, created_at, expires_at, revoked_at, max_uses, uses) VALUES (?, ?, ?, ?, ?, NULL, ?, 0)')
      .run(code, classId, by.id, new Date(t).toISOString(), new Date(t + validMs).toISOString(), maxUses);
    return this.joinCode(code)!;
  }

  joinCode(code: string): JoinCode | null {
    const r = this.db.prepare('SELECT * FROM join_codes WHERE code = ?').get(normalizeJoinCode(code)) as JoinCodeRow | undefined;
    return r ? toCode(r) : null;
  }

  joinCodes(classId: number): JoinCode[] {
    return (this.db.prepare('SELECT * FROM join_codes WHERE class_id = ? ORDER BY created_at').all(classId) as JoinCodeRow[]).map(toCode);
  }

  revokeJoinCode(classId: number, code: string): JoinCode {
    const c = this.joinCode(code);
    if (!c || c.classId !== classId) throw new ApiError(404, 'JOIN_CODE_NOT_FOUND', `class ${classId} has no join code ${JSON.stringify(code)}`, 'code');
    if (!c.revokedAt) this.db.prepare('UPDATE join_codes SET revoked_at = ? WHERE code = ?').run(now(), c.code);
    return this.joinCode(c.code)!;
  }

  /**
   * The class a join code lets one more student into, counting the use; a code that cannot be used
   * is refused saying why, on the `code` field. Run inside the transaction that adds the student,
   * so the last use of a limited code goes to one student only.
   */
  useJoinCode(raw: string): number {
    const c = this.checkJoinCode(raw);
    this.db.prepare('UPDATE join_codes SET uses = uses + 1 WHERE code = ?').run(c.code);
    return c.classId;
  }

  /** The join code if it can be used now; else the refusal saying why, on the `code` field. */
  checkJoinCode(raw: string): JoinCode {
    const code = normalizeJoinCode(raw);
    const c = code.length === CODE_LENGTH ? this.joinCode(code) : null;
    if (!c) throw new ApiError(400, 'JOIN_CODE_UNKNOWN', 'code: no class has this join code; check it with your instructor', 'code');
    if (c.revokedAt) throw new ApiError(400, 'JOIN_CODE_REVOKED', `code: this join code was revoked on ${c.revokedAt}; ask your instructor for a new one`, 'code');
    if (Date.parse(c.expiresAt) <= Date.now()) throw new ApiError(400, 'JOIN_CODE_EXPIRED', `code: this join code expired on ${c.expiresAt}; ask your instructor for a new one`, 'code');
    if (c.maxUses !== null && c.uses >= c.maxUses) throw new ApiError(400, 'JOIN_CODE_USED_UP', `code: this join code was for ${c.maxUses} students and all have joined; ask your instructor for a new one`, 'code');
    return c;
  }
}
