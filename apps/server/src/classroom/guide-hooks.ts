// Classroom mode's hooks in the guided-lab routes (routes/guide.ts): every check the server runs on
// a student's lab is recorded for its owner (with the assignment it is a copy of, if any), and the
// reference solutions of an assignment's copy cannot be applied (that would be a faked pass). A
// check of a copy after its assignment closed is recorded as late: kept and exported, never
// counted in the grid (closing is the deadline; extending the window is how to allow more time).
import { ApiError } from '../errors.ts';
import type { GuideHooks } from '../routes/guide.ts';
import { windowState, type Assignments } from './assignments.ts';
import type { LabOwners } from './ownership.ts';
import type { Progress } from './progress.ts';

export function classroomGuideHooks(deps: { owners: LabOwners; assignments: Assignments; progress: Progress }): GuideHooks {
  return {
    checked(_req, lab, results) {
      // The lab's owner, whoever asked (an admin's check of a student's lab is the student's progress).
      const owner = deps.owners.of(lab);
      if (!owner) return;
      const copy = deps.assignments.byLab(lab);
      const assignmentId = copy && copy.userId === owner.ownerId ? copy.assignmentId : null;
      const a = assignmentId === null ? null : deps.assignments.get(assignmentId);
      deps.progress.record(lab, owner.ownerId, assignmentId, results, a !== null && windowState(a) === 'closed');
    },
    beforeSolve(_req, lab) {
      if (deps.assignments.byLab(lab)) {
        throw new ApiError(403, 'SOLUTIONS_HIDDEN', `lab "${lab}" is an assignment: its reference solutions are not available; the hints of a failed check say what is missing`);
      }
    },
  };
}
