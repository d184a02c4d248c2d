// The instructor's grid of an assignment (students × steps), whole or one student's row, and its
// export as JSON and CSV.
import { stringify } from 'csv-stringify/sync';
import { guidedLab, guidedLabExists } from '@nslab/labs/runtime';
import type { Assignment, Assignments } from './assignments.ts';
import type { Classes } from './classes.ts';
import type { CheckRecord, Grid, Progress, Student, StudentRow } from './progress.ts';

export const DEFAULT_STUCK_MINUTES = 10;

/** The steps of a catalog or uploaded lab ([] if it is gone: the grid then has no columns). */
export function stepsOf(labId: string): { id: string; title: string }[] {
  if (!guidedLabExists(labId)) return [];
  return guidedLab(labId).steps.map((s) => ({ id: s.id, title: s.title }));
}

export class GridBuilder {
  constructor(
    private readonly assignments: Assignments,
    private readonly progress: Progress,
    private readonly classes: Classes,
  ) {}

  private students(a: Assignment): Student[] {
    return this.classes
      .members(a.classId)
      .filter((m) => m.role === 'student')
      .map((m) => ({ id: m.id, username: m.username, displayName: m.displayName }));
  }

  grid(a: Assignment, stuckMinutes: number, at = Date.now()): Grid {
    const steps = stepsOf(a.lab);
    const labs = new Map(this.assignments.labsOf(a.id).map((l) => [l.userId, l]));
    const byStudent = new Map<number, CheckRecord[]>();
    for (const r of this.progress.ofAssignment(a.id)) {
      const list = byStudent.get(r.userId);
      if (list) list.push(r);
      else byStudent.set(r.userId, [r]);
    }
    return {
      assignment: a,
      steps,
      stuckMinutes,
      at: new Date(at).toISOString(),
      students: this.students(a).map((s) => this.progress.row(s, steps, labs.get(s.id), byStudent.get(s.id) ?? [], at, stuckMinutes * 60_000)),
    };
  }

  /** One student's row (null: not a student of the assignment's class). */
  row(a: Assignment, userId: number, stuckMinutes: number, at = Date.now()): StudentRow | null {
    const s = this.students(a).find((x) => x.id === userId);
    if (!s) return null;
    const lab = this.assignments.labOf(a.id, userId) ?? undefined;
    const results = lab ? this.progress.ofStudent(a.id, userId, lab.startedAt) : [];
    return this.progress.row(s, stepsOf(a.lab), lab, results, at, stuckMinutes * 60_000);
  }

  /** Everything for an export: the grid now and every check ever recorded, with usernames. */
  exportJson(a: Assignment, stuckMinutes: number, at = Date.now()) {
    const grid = this.grid(a, stuckMinutes, at);
    const names = new Map(grid.students.map((s) => [s.userId, s.username]));
    const checks = this.progress.ofAssignment(a.id).map((r) => ({
      username: names.get(r.userId) ?? null,
      lab: r.lab,
      step: r.step,
      ok: r.ok,
      failingCheck: r.failingCheck,
      hints: r.hints,
      at: r.at,
      late: r.late,
    }));
    return { exportedAt: grid.at, assignment: a, steps: grid.steps, stuckMinutes, students: grid.students, checks };
  }

  /** One line per student and step, with the grid's state; spreadsheet formulas in names are neutralised. */
  exportCsv(a: Assignment, stuckMinutes: number, at = Date.now()): string {
    const grid = this.grid(a, stuckMinutes, at);
    const rows: (string | number)[][] = [];
    for (const s of grid.students) {
      for (const c of s.cells) {
        rows.push([a.id, a.lab, s.username, s.displayName, s.lab ?? '', s.startedAt ?? '', c.step, c.state, c.check ?? '', c.since ?? '', c.attempts, c.hintsShown]);
      }
    }
    // A display name is typed by its student: "=HYPERLINK(...)" must stay text in a spreadsheet.
    return stringify(rows, {
      header: true,
      columns: ['assignment', 'lab', 'username', 'display_name', 'lab_name', 'started_at', 'step', 'state', 'failing_check', 'since', 'attempts', 'hints_shown'],
      escape_formulas: true,
    });
  }
}
