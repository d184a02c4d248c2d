// The instructor's grid of an assignment, as the server sends it (REST and the live grid socket)
// and the web app reads it. `A` is the assignment as each side carries it.

export type CellState = 'done' | 'failing' | 'stuck' | 'idle';

export interface Cell {
  step: string;
  state: CellState;
  /** failing/stuck: the check that fails. */
  check?: string;
  /** failing/stuck: since when that same check has failed; done: when the step first passed. */
  since?: string;
  /** Checks of this step since the lab was started or reset. */
  attempts: number;
  /** Hints shown for this step, counted over its checks. */
  hintsShown: number;
}

export interface StudentRow {
  userId: number;
  username: string;
  displayName: string;
  /** The student's copy (kernel name); null until they start it. */
  lab: string | null;
  startedAt: string | null;
  lastCheckAt: string | null;
  cells: Cell[];
}

export interface Grid<A> {
  assignment: A;
  steps: { id: string; title: string }[];
  stuckMinutes: number;
  at: string;
  students: StudentRow[];
}

/** A student's lab stopped while idle (GET/DELETE /labs/:lab/idle-stop), as the server keeps it. */
export interface IdleStop {
  lab: string;
  stoppedAt: string;
  /** The quiet time that stopped it, in minutes. */
  idleMinutes: number;
  /** The terminals it had when it stopped (their shells ended with it). */
  terminals: { node: string; session: string }[];
  /** When it was started again for its owner; null while it is still stopped. */
  restoredAt: string | null;
}
