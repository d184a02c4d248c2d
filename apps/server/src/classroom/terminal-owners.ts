// Whose shell each web terminal is (classroom mode), in the classroom database (migration 7): a
// reattach (`?session=`) is only for the account that opened it, before and after a restart (the
// pty host keeps the shells; a restarted server adopts them with their ids, and finds their
// owners here). Anyone else — even one allowed to open terminals in that lab, such as its owner
// facing an admin's shell — is answered as if the session had ended.
import type { FastifyRequest } from 'fastify';
import type { TerminalOwnership } from '../routes/terminal.ts';
import type { TerminalSession } from '../terminals.ts';
import { now, type Db } from './db.ts';
import type { LabOwners } from './ownership.ts';
import { userOf } from './principal.ts';

export class TerminalOwners implements TerminalOwnership {
  constructor(
    private readonly db: Db,
    private readonly labs: LabOwners,
  ) {}

  opened(req: FastifyRequest, session: TerminalSession): void {
    const user = userOf(req);
    if (!user) return;
    this.db
      .prepare('INSERT INTO terminal_owners (session_id, user_id, lab_name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET user_id = excluded.user_id, lab_name = excluded.lab_name')
      .run(session.id, user.id, session.lab, now());
  }

  ownerOf(sessionId: string): number | null {
    const r = this.db.prepare('SELECT user_id FROM terminal_owners WHERE session_id = ?').get(sessionId) as { user_id: number } | undefined;
    return r?.user_id ?? null;
  }

  mayReattach(req: FastifyRequest, session: TerminalSession): boolean {
    const user = userOf(req);
    if (!user) return false;
    const owner = this.ownerOf(session.id);
    // A shell nobody recorded (opened in token mode, or by the CLI's server before this): its lab's owner's, or an admin's for a lab nobody owns.
    if (owner === null) return (this.labs.of(session.lab)?.ownerId ?? (user.role === 'admin' ? user.id : null)) === user.id;
    return owner === user.id;
  }

  /** Forget the shells that are gone (not `isLive`); never run before a restart's adoption. Returns how many. */
  keepOnly(isLive: (sessionId: string) => boolean): number {
    const ids = (this.db.prepare('SELECT session_id FROM terminal_owners').all() as { session_id: string }[]).map((r) => r.session_id).filter((id) => !isLive(id));
    const del = this.db.prepare('DELETE FROM terminal_owners WHERE session_id = ?');
    this.db.transaction(() => ids.forEach((id) => del.run(id)))();
    return ids.length;
  }
}
