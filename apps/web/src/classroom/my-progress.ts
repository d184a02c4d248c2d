// A student's own progress in an assignment, as their home page says it.
import type { MyAssignment } from './classroom-api.ts';

/** Steps of the assignment whose cell is done (cells of steps no longer in the lab do not count). */
export function stepsDone(a: Pick<MyAssignment, 'steps' | 'cells'>): number {
  const ids = new Set(a.steps.map((s) => s.id));
  return a.cells.filter((c) => c.state === 'done' && ids.has(c.step)).length;
}
