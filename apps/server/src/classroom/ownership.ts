// Who owns which lab. Lab names are global in the kernel (one sandbox, one cgroup, one data folder
// per name), so a lab made in classroom mode gets the kernel name `u<owner id>-<name typed>`:
// two students can both call theirs "lab1" (u3-lab1, u4-lab1) and the API, the web app's URLs and
// the CLI all use that one name. The prefix only keeps names apart; the labs table is what says
// who owns a lab, and a lab missing from it (made with the CLI, or in token mode) is the admin's.
import { MAX_NODE_NAME_BYTES } from '@nslab/model';
import { ApiError } from '../errors.ts';
import type { User } from './accounts.ts';
import { now, type Db } from './db.ts';

export interface LabOwner {
  ownerId: number;
  owner: string;
  displayName: string;
}

export type LabRight = 'owner' | 'admin' | 'instructor';

export function labPrefix(userId: number): string {
  return `u${userId}-`;
}

export class LabOwners {
  constructor(private readonly db: Db) {}

  /** The kernel name for `user`'s new lab `display` (already checked as a lab name by the caller). */
  kernelName(user: User, display: string, field: string): string {
    const name = labPrefix(user.id) + display;
    const max = MAX_NODE_NAME_BYTES - labPrefix(user.id).length;
    if (Buffer.byteLength(name) > MAX_NODE_NAME_BYTES) {
      throw new ApiError(400, 'INVALID_NAME', `${field} ${JSON.stringify(display)} is ${Buffer.byteLength(display)} bytes long; your lab names are at most ${max} bytes (the server puts "${labPrefix(user.id)}" in front to keep each account's labs apart)`, field);
    }
    return name;
  }

  record(name: string, owner: User, display: string): void {
    this.db
      .prepare('INSERT INTO labs (name, owner_id, display_name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET owner_id = excluded.owner_id, display_name = excluded.display_name')
      .run(name, owner.id, display, now());
  }

  forget(name: string): void {
    this.db.prepare('DELETE FROM labs WHERE name = ?').run(name);
  }

  /** The kernel names of every lab `userId` owns. */
  ownedBy(userId: number): string[] {
    return (this.db.prepare('SELECT name FROM labs WHERE owner_id = ? ORDER BY name').all(userId) as { name: string }[]).map((r) => r.name);
  }

  of(name: string): LabOwner | null {
    const r = this.db.prepare('SELECT l.owner_id, u.username, l.display_name FROM labs l JOIN users u ON u.id = l.owner_id WHERE l.name = ?').get(name) as { owner_id: number; username: string; display_name: string } | undefined;
    return r ? { ownerId: r.owner_id, owner: r.username, displayName: r.display_name } : null;
  }

  /** What `user` may do with lab `name`: null = it is not theirs to see (answered as "no such lab"). */
  right(user: User, name: string): LabRight | null {
    if (user.role === 'admin') return 'admin';
    const o = this.db.prepare('SELECT owner_id FROM labs WHERE name = ?').get(name) as { owner_id: number } | undefined;
    if (!o) return null;
    if (o.owner_id === user.id) return 'owner';
    if (user.role === 'instructor' && this.teachesOwner(user.id, o.owner_id)) return 'instructor';
    return null;
  }

  private teachesOwner(instructorId: number, ownerId: number): boolean {
    return (
      this.db
        .prepare("SELECT 1 FROM class_members s JOIN class_members i ON i.class_id = s.class_id WHERE s.user_id = ? AND s.role = 'student' AND i.user_id = ? AND i.role = 'instructor'")
        .get(ownerId, instructorId) !== undefined
    );
  }

  /** Every owned lab `user` may see, by kernel name (admins: every owned lab; unowned ones are added by the caller). */
  visibleTo(user: User): Map<string, LabOwner> {
    const rows = (
      user.role === 'admin'
        ? this.db.prepare('SELECT l.name, l.owner_id, u.username, l.display_name FROM labs l JOIN users u ON u.id = l.owner_id').all()
        : this.db
            .prepare(
              `SELECT l.name, l.owner_id, u.username, l.display_name FROM labs l JOIN users u ON u.id = l.owner_id
               WHERE l.owner_id = ?
                  OR l.owner_id IN (SELECT s.user_id FROM class_members s JOIN class_members i ON i.class_id = s.class_id
                                    WHERE s.role = 'student' AND i.user_id = ? AND i.role = 'instructor')`,
            )
            .all(user.id, user.id)
    ) as { name: string; owner_id: number; username: string; display_name: string }[];
    return new Map(rows.map((r) => [r.name, { ownerId: r.owner_id, owner: r.username, displayName: r.display_name }]));
  }
}
