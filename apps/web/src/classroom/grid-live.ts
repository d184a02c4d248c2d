// The instructor's grid as the live socket tells it (server: classroom/assignment-routes.ts
// `/live`): the whole grid first, then one student's row at a time, and the assignment when its
// window moves. Pure: the page keeps the state, this says what each message makes of it.
import type { Assignment, Cell, Grid, StudentRow } from './classroom-api.ts';

export type LiveMessage =
  | { type: 'grid'; grid: Grid }
  | { type: 'row'; at: string; row: StudentRow }
  | { type: 'assignment'; assignment: Assignment }
  | { type: 'error'; code: string; message: string };

/** A frame from the socket, or null for anything that is not one of ours (never trusted blindly). */
export function parseLiveMessage(text: string): LiveMessage | null {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return null;
  }
  if (!m || typeof m !== 'object') return null;
  const o = m as Record<string, unknown>;
  switch (o.type) {
    case 'grid':
      return o.grid && typeof o.grid === 'object' && Array.isArray((o.grid as Grid).students) && Array.isArray((o.grid as Grid).steps) ? (o as LiveMessage) : null;
    case 'row':
      return o.row && typeof o.row === 'object' && typeof (o.row as StudentRow).userId === 'number' && Array.isArray((o.row as StudentRow).cells) ? (o as LiveMessage) : null;
    case 'assignment':
      return o.assignment && typeof o.assignment === 'object' ? (o as LiveMessage) : null;
    case 'error':
      return typeof o.code === 'string' && typeof o.message === 'string' ? (o as LiveMessage) : null;
    default:
      return null;
  }
}

/** The grid after `m` (null: none yet). A row of a student not in the grid is added in name order. */
export function applyLive(grid: Grid | null, m: LiveMessage): Grid | null {
  switch (m.type) {
    case 'grid':
      return m.grid;
    case 'row': {
      if (!grid) return grid;
      const i = grid.students.findIndex((s) => s.userId === m.row.userId);
      const students = i >= 0 ? grid.students.map((s, j) => (j === i ? m.row : s)) : [...grid.students, m.row].sort((a, b) => a.displayName.localeCompare(b.displayName));
      return { ...grid, students, at: m.at };
    }
    case 'assignment':
      return grid ? { ...grid, assignment: m.assignment } : grid;
    case 'error':
      return grid;
  }
}

/** What a cell says on screen (short) and in its tooltip (whole). */
export function cellText(cell: Cell | undefined, now: number): { short: string; long: string } {
  if (!cell) return { short: '', long: 'not started' };
  const tries = `${cell.attempts} check${cell.attempts === 1 ? '' : 's'}${cell.hintsShown ? `, ${cell.hintsShown} hint${cell.hintsShown === 1 ? '' : 's'} shown` : ''}`;
  switch (cell.state) {
    case 'done':
      return { short: 'done', long: `done${cell.since ? ` ${ago(cell.since, now)}` : ''} (${tries})` };
    case 'failing':
      return { short: cell.check ?? 'failing', long: `failing: ${cell.check ?? 'a check'}${cell.since ? ` since ${ago(cell.since, now)}` : ''} (${tries})` };
    case 'stuck':
      return { short: cell.check ?? 'stuck', long: `stuck on: ${cell.check ?? 'a check'}${cell.since ? ` since ${ago(cell.since, now)}` : ''} (${tries})` };
    case 'idle':
      return { short: '', long: cell.attempts ? `idle (${tries})` : 'not checked yet' };
  }
}

/** "3 min ago", "just now", "2 h ago". */
export function ago(iso: string, now: number): string {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return '';
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} days ago`;
}

/** Counts per state over the started students: the grid's one-line summary. */
export function gridSummary(grid: Grid): { students: number; started: number; finished: number; stuck: number } {
  const started = grid.students.filter((s) => s.lab !== null);
  return {
    students: grid.students.length,
    started: started.length,
    finished: started.filter((s) => s.cells.length > 0 && s.cells.every((c) => c.state === 'done')).length,
    stuck: started.filter((s) => s.cells.some((c) => c.state === 'stuck')).length,
  };
}
