// Every check a student runs on a lab, as recorded rows (step, pass/fail, the first failing check,
// the hints shown, when), and the instructor's grid made from them: students × steps, each cell
// done, failing (with which check), stuck (the same check failing for N minutes) or idle.
// Results are written by the server from its own check of the kernel (routes/guide.ts): no route
// takes a result from a client.
import { EventEmitter } from 'node:events';
import type { StepResult } from '@nslab/labs';
import type { Assignment, AssignmentLab } from './assignments.ts';
import { now, type Db } from './db.ts';
import type { Cell, Grid as ProtocolGrid, StudentRow } from '@nslab/protocol';

export interface CheckRecord {
  id: number;
  assignmentId: number | null;
  lab: string;
  userId: number;
  step: string;
  ok: boolean;
  /** The title of the first check of the step that failed (null when the step passed). */
  failingCheck: string | null;
  /** The hints the learner was shown with this result. */
  hints: string[];
  at: string;
  /** Run after its assignment closed: kept (and exported) but not counted in the grid. */
  late: boolean;
}

interface CheckRow {
  id: number;
  assignment_id: number | null;
  lab_name: string;
  user_id: number;
  step_id: string;
  ok: number;
  failing_check: string | null;
  hints: string;
  checked_at: string;
  late: number;
}

const toRecord = (r: CheckRow): CheckRecord => ({
  id: r.id,
  assignmentId: r.assignment_id,
  lab: r.lab_name,
  userId: r.user_id,
  step: r.step_id,
  ok: r.ok === 1,
  failingCheck: r.failing_check,
  hints: JSON.parse(r.hints) as string[],
  at: r.checked_at,
  late: r.late === 1,
});

export type { Cell, CellState, StudentRow } from '@nslab/protocol';
export type Grid = ProtocolGrid<Assignment>;

export interface Student {
  id: number;
  username: string;
  displayName: string;
}

/**
 * One student's cells from their results (oldest first, since their lab was started or reset).
 * Pure: `at` is the time the grid is for.
 */
export function cellsOf(steps: readonly { id: string }[], results: readonly CheckRecord[], at: number, stuckMs: number): Cell[] {
  return steps.map((s) => {
    const mine = results.filter((r) => r.step === s.id);
    const attempts = mine.length;
    const hintsShown = mine.reduce((n, r) => n + r.hints.length, 0);
    const passed = mine.find((r) => r.ok);
    if (passed) return { step: s.id, state: 'done', since: passed.at, attempts, hintsShown };
    const last = mine.at(-1);
    if (!last) return { step: s.id, state: 'idle', attempts, hintsShown };
    // The run of failures of this same check that ends with the last one: how long it has failed.
    let first = last;
    for (let i = mine.length - 2; i >= 0 && mine[i]!.failingCheck === last.failingCheck; i--) first = mine[i]!;
    const stuck = at - Date.parse(first.at) >= stuckMs;
    return { step: s.id, state: stuck ? 'stuck' : 'failing', check: last.failingCheck ?? '', since: first.at, attempts, hintsShown };
  });
}

export interface ProgressChange {
  assignmentId: number;
  userId: number;
}

export class Progress {
  /** 'change' (ProgressChange): a student's row of an assignment may have changed. */
  readonly events = new EventEmitter();

  constructor(private readonly db: Db) {
    // One listener per open live grid: a class's instructors may open many.
    this.events.setMaxListeners(0);
  }

  /**
   * The results of one check of `lab` (owned by `userId`), as the server's checker returned them.
   * `late`: its assignment had closed; the row is history, not progress.
   */
  record(lab: string, userId: number, assignmentId: number | null, results: readonly StepResult[], late = false): void {
    const t = now();
    const insert = this.db.prepare('INSERT INTO check_results (assignment_id, lab_name, user_id, step_id, ok, failing_check, hints, checked_at, late) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const r of results) {
        const failing = r.checks.find((c) => !c.ok);
        const hints = r.checks.flatMap((c) => (c.ok ? [] : c.hints));
        insert.run(assignmentId, lab, userId, r.step, r.ok ? 1 : 0, failing?.title ?? null, JSON.stringify(hints), t, late ? 1 : 0);
      }
    })();
    if (assignmentId !== null && results.length > 0 && !late) this.changed(assignmentId, userId);
  }

  /**
   * Remove check rows older than `before` that no open grid needs: those of no assignment, and
   * those of assignments that closed before that time too. Returns how many went.
   */
  prune(before: string): number {
    return this.db
      .prepare('DELETE FROM check_results WHERE checked_at < ? AND (assignment_id IS NULL OR assignment_id IN (SELECT id FROM assignments WHERE closes_at < ?))')
      .run(before, before).changes;
  }

  changed(assignmentId: number, userId: number): void {
    this.events.emit('change', { assignmentId, userId } satisfies ProgressChange);
  }

  /** Every result of an assignment, oldest first (the export's history). */
  ofAssignment(assignmentId: number): CheckRecord[] {
    return (this.db.prepare('SELECT * FROM check_results WHERE assignment_id = ? ORDER BY checked_at, id').all(assignmentId) as CheckRow[]).map(toRecord);
  }

  /** One student's results on an assignment since `since`, oldest first. */
  ofStudent(assignmentId: number, userId: number, since: string): CheckRecord[] {
    return (this.db.prepare('SELECT * FROM check_results WHERE assignment_id = ? AND user_id = ? AND checked_at >= ? ORDER BY checked_at, id').all(assignmentId, userId, since) as CheckRow[]).map(toRecord);
  }

  /** A student's row from their results (any order of time; older than their copy's start are left out). */
  row(student: Student, steps: readonly { id: string }[], lab: AssignmentLab | undefined, results: readonly CheckRecord[], at: number, stuckMs: number): StudentRow {
    const current = lab ? results.filter((r) => r.userId === student.id && r.at >= lab.startedAt && !r.late) : [];
    return {
      userId: student.id,
      username: student.username,
      displayName: student.displayName,
      lab: lab?.labName ?? null,
      startedAt: lab?.startedAt ?? null,
      lastCheckAt: current.at(-1)?.at ?? null,
      cells: cellsOf(steps, current, at, stuckMs),
    };
  }
}
