// Uploaded labs in classroom mode: who uploaded each (`uploaded_labs`, migration 9) over the files
// @nslab/labs' UploadedLabStore keeps. An upload belongs to its instructor: another instructor is
// told it does not exist (404, as for a made-up id); an admin sees and manages every one.
import type { Lab } from '@nslab/labs';
import { DuplicateUploadError, UploadedLabStore, UPLOAD_PREFIX } from '@nslab/labs/runtime';
import { ApiError } from '../errors.ts';
import type { User } from './accounts.ts';
import { now, type Db } from './db.ts';

/** Uploads one account may keep (each up to 1 MiB on disk). */
export const MAX_UPLOADS_PER_ACCOUNT = 50;

export interface UploadedLab {
  id: string;
  ownerId: number;
  /** The uploader's username. */
  owner: string;
  name: string;
  title: string;
  files: number;
  bytes: number;
  uploadedAt: string;
}

interface Row {
  id: string;
  owner_id: number;
  username: string;
  name: string;
  title: string;
  files: number;
  bytes: number;
  created_at: string;
}

const toUpload = (r: Row): UploadedLab => ({ id: r.id, ownerId: r.owner_id, owner: r.username, name: r.name, title: r.title, files: r.files, bytes: r.bytes, uploadedAt: r.created_at });

const SELECT = 'SELECT u.id, u.owner_id, users.username, u.name, u.title, u.files, u.bytes, u.created_at FROM uploaded_labs u JOIN users ON users.id = u.owner_id';

export class UploadedLabs {
  constructor(
    private readonly db: Db,
    readonly store: UploadedLabStore = new UploadedLabStore(),
  ) {}

  /** The caller's uploads (an admin: everyone's), newest first. */
  visibleTo(user: User): UploadedLab[] {
    const rows = user.role === 'admin' ? this.db.prepare(`${SELECT} ORDER BY u.created_at DESC, u.id`).all() : this.db.prepare(`${SELECT} WHERE u.owner_id = ? ORDER BY u.created_at DESC, u.id`).all(user.id);
    return (rows as Row[]).map(toUpload);
  }

  /** An upload the caller may use (theirs, or any for an admin); the 404 of a made-up id otherwise. */
  mine(user: User, id: string, field = 'upload'): UploadedLab {
    const r = this.db.prepare(`${SELECT} WHERE u.id = ?`).get(id) as Row | undefined;
    if (!r || (user.role !== 'admin' && r.owner_id !== user.id) || !this.store.has(id)) throw new ApiError(404, 'UPLOAD_NOT_FOUND', `${field}: there is no uploaded lab "${id}"`, field);
    return toUpload(r);
  }

  exists(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM uploaded_labs WHERE id = ?').get(id) !== undefined;
  }

  /**
   * Keeps a checked, parsed upload and records its owner. The files are renamed into place before
   * the row is written; a failed write removes them again, so nothing is half there.
   */
  add(user: User, name: string, files: Record<string, string>): { upload: UploadedLab; lab: Lab } {
    const count = (this.db.prepare('SELECT COUNT(*) AS n FROM uploaded_labs WHERE owner_id = ?').get(user.id) as { n: number }).n;
    if (count >= MAX_UPLOADS_PER_ACCOUNT) throw new ApiError(409, 'UPLOADS_FULL', `you have ${count} uploaded labs, the most one account keeps: delete one first`, 'files');
    let added: ReturnType<UploadedLabStore['add']>;
    try {
      added = this.store.add(name, files, `user:${user.id}`);
    } catch (e) {
      if (e instanceof DuplicateUploadError) {
        // Its files without a row (a crash between the two): the row is what was missing.
        if (!this.exists(e.id)) return this.adopt(user, e.id, name, files);
        throw new ApiError(409, 'UPLOAD_EXISTS', `files: you uploaded this very folder already, as ${e.id}`, 'files', { id: e.id });
      }
      throw e;
    }
    try {
      this.insert(user, added.id, name, added.lab.title, added.files, added.bytes);
    } catch (e) {
      this.store.remove(added.id);
      throw e;
    }
    return { upload: this.mine(user, added.id), lab: added.lab };
  }

  private adopt(user: User, id: string, name: string, files: Record<string, string>): { upload: UploadedLab; lab: Lab } {
    const lab = this.store.load(id);
    this.insert(user, id, name, lab.title, Object.keys(files).length, Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0));
    return { upload: this.mine(user, id), lab };
  }

  private insert(user: User, id: string, name: string, title: string, files: number, bytes: number): void {
    this.db.prepare('INSERT INTO uploaded_labs (id, owner_id, name, title, files, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(id, user.id, name, title, files, bytes, now());
  }

  /** Assignments that were published from it (they need its files to start and check copies). */
  usedBy(id: string): number[] {
    return (this.db.prepare('SELECT id FROM assignments WHERE lab_id = ? ORDER BY id').all(id) as { id: number }[]).map((r) => r.id);
  }

  remove(user: User, id: string): void {
    const u = this.mine(user, id);
    const used = this.usedBy(u.id);
    if (used.length) throw new ApiError(409, 'UPLOAD_IN_USE', `upload: assignment${used.length === 1 ? '' : 's'} ${used.join(', ')} ${used.length === 1 ? 'was' : 'were'} published from ${u.id}: delete ${used.length === 1 ? 'it' : 'them'} first`, 'upload', { assignments: used });
    // The row first: a failure removing the files leaves files without a row, which a new upload of the folder adopts.
    this.db.prepare('DELETE FROM uploaded_labs WHERE id = ?').run(u.id);
    this.store.remove(u.id);
  }
}

/** The lab id of an upload's URL segment (`two-ns-0123456789abcdef`). */
export function uploadIdOf(segment: string): string {
  return UPLOAD_PREFIX + segment;
}
