// Assignments: a guided lab of the catalog published to a class for a window of time, and the
// copy of it each student started (one lab per student and assignment, owned by the student).
import { ApiError } from '../errors.ts';
import type { User } from './accounts.ts';
import { now, type Db } from './db.ts';

export interface Assignment {
  id: number;
  classId: number;
  /** The guided lab's id in the catalog. */
  lab: string;
  opensAt: string;
  closesAt: string;
  createdBy: number;
  createdAt: string;
  updatedAt: string;
}

export interface AssignmentLab {
  assignmentId: number;
  userId: number;
  /** The kernel name of the student's copy. */
  labName: string;
  /** When it was started or last reset: results before this are history, not the grid. */
  startedAt: string;
}

interface AssignmentRow {
  id: number;
  class_id: number;
  lab_id: string;
  opens_at: string;
  closes_at: string;
  created_by: number;
  created_at: string;
  updated_at: string;
}

const toAssignment = (r: AssignmentRow): Assignment => ({
  id: r.id,
  classId: r.class_id,
  lab: r.lab_id,
  opensAt: r.opens_at,
  closesAt: r.closes_at,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

interface AssignmentLabRow {
  assignment_id: number;
  user_id: number;
  lab_name: string;
  started_at: string;
}

const toAssignmentLab = (r: AssignmentLabRow): AssignmentLab => ({ assignmentId: r.assignment_id, userId: r.user_id, labName: r.lab_name, startedAt: r.started_at });

export type WindowState = 'upcoming' | 'open' | 'closed';

export function windowState(a: Pick<Assignment, 'opensAt' | 'closesAt'>, at = Date.now()): WindowState {
  if (at < Date.parse(a.opensAt)) return 'upcoming';
  return at < Date.parse(a.closesAt) ? 'open' : 'closed';
}

/** An ISO-8601 time from the API (with a zone: "2026-01-31T12:00:00Z"), normalised to UTC with milliseconds. */
export function parseTime(raw: string, field: string): string {
  // A zone is required: "12:00" means a different moment on the server than in the browser.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(raw)) {
    throw new ApiError(400, 'INVALID_TIME', `${field} must be an ISO-8601 time with a zone, such as 2026-01-31T14:00:00Z (got ${JSON.stringify(raw)})`, field);
  }
  const t = Date.parse(raw);
  if (!Number.isFinite(t)) throw new ApiError(400, 'INVALID_TIME', `${field} ${JSON.stringify(raw)} is not a real date`, field);
  return new Date(t).toISOString();
}

/** The assignment's id from a URL segment; anything else is the very 404 of an assignment that does not exist. */
export function assignmentIdOf(raw: string): number {
  const id = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) throw notFound(raw);
  return id;
}

export function notFound(raw: string | number): ApiError {
  return new ApiError(404, 'ASSIGNMENT_NOT_FOUND', `no assignment ${JSON.stringify(String(raw))}`, 'assignment');
}

export class Assignments {
  constructor(private readonly db: Db) {}

  create(classId: number, lab: string, opensAt: string, closesAt: string, by: User): Assignment {
    checkWindow(opensAt, closesAt);
    const t = now();
    const id = Number(
      this.db
        .prepare('INSERT INTO assignments (class_id, lab_id, opens_at, closes_at, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(classId, lab, opensAt, closesAt, by.id, t, t).lastInsertRowid,
    );
    return this.get(id)!;
  }

  get(id: number): Assignment | null {
    const r = this.db.prepare('SELECT * FROM assignments WHERE id = ?').get(id) as AssignmentRow | undefined;
    return r ? toAssignment(r) : null;
  }

  /** The assignment if it belongs to class `classId`; else the 404 of one that does not exist. */
  inClass(classId: number, raw: string): Assignment {
    const a = this.get(assignmentIdOf(raw));
    if (!a || a.classId !== classId) throw notFound(raw);
    return a;
  }

  /** The assignment if `student` is a student of its class; else the 404 of one that does not exist. */
  forStudent(student: User, raw: string): Assignment {
    const a = this.get(assignmentIdOf(raw));
    if (!a || !this.isStudentOf(student.id, a.classId)) throw notFound(raw);
    return a;
  }

  isStudentOf(userId: number, classId: number): boolean {
    return this.db.prepare("SELECT 1 FROM class_members WHERE class_id = ? AND user_id = ? AND role = 'student'").get(classId, userId) !== undefined;
  }

  ofClass(classId: number): Assignment[] {
    return (this.db.prepare('SELECT * FROM assignments WHERE class_id = ? ORDER BY id').all(classId) as AssignmentRow[]).map(toAssignment);
  }

  /** The assignments of every class `student` is a student of. */
  ofStudent(student: User): Assignment[] {
    return (
      this.db
        .prepare("SELECT a.* FROM assignments a JOIN class_members m ON m.class_id = a.class_id WHERE m.user_id = ? AND m.role = 'student' ORDER BY a.id")
        .all(student.id) as AssignmentRow[]
    ).map(toAssignment);
  }

  /** A new window (extend it, move it, or close it now). */
  setWindow(a: Assignment, opensAt: string, closesAt: string): Assignment {
    checkWindow(opensAt, closesAt);
    this.db.prepare('UPDATE assignments SET opens_at = ?, closes_at = ?, updated_at = ? WHERE id = ?').run(opensAt, closesAt, now(), a.id);
    return this.get(a.id)!;
  }

  /** Gone, with its students' copy records and checks (the caller removes the copies themselves first). */
  delete(id: number): void {
    this.db.prepare('DELETE FROM assignments WHERE id = ?').run(id);
  }

  labOf(assignmentId: number, userId: number): AssignmentLab | null {
    const r = this.db.prepare('SELECT * FROM assignment_labs WHERE assignment_id = ? AND user_id = ?').get(assignmentId, userId) as AssignmentLabRow | undefined;
    return r ? toAssignmentLab(r) : null;
  }

  labsOf(assignmentId: number): AssignmentLab[] {
    return (this.db.prepare('SELECT * FROM assignment_labs WHERE assignment_id = ?').all(assignmentId) as AssignmentLabRow[]).map(toAssignmentLab);
  }

  /** Which assignment (if any) the lab `labName` is a student's copy of. */
  byLab(labName: string): AssignmentLab | null {
    const r = this.db.prepare('SELECT * FROM assignment_labs WHERE lab_name = ?').get(labName) as AssignmentLabRow | undefined;
    return r ? toAssignmentLab(r) : null;
  }

  /** The student's copy was (re)deployed now: the grid starts over from here. */
  started(assignmentId: number, userId: number, labName: string): AssignmentLab {
    this.db
      .prepare('INSERT INTO assignment_labs (assignment_id, user_id, lab_name, started_at) VALUES (?, ?, ?, ?) ON CONFLICT (assignment_id, user_id) DO UPDATE SET lab_name = excluded.lab_name, started_at = excluded.started_at')
      .run(assignmentId, userId, labName, now());
    return this.labOf(assignmentId, userId)!;
  }
}

function checkWindow(opensAt: string, closesAt: string): void {
  if (Date.parse(closesAt) <= Date.parse(opensAt)) throw new ApiError(400, 'INVALID_WINDOW', `closesAt (${closesAt}) must be after opensAt (${opensAt})`, 'closesAt');
}
