// Runs edits for one lab and keeps the undo stack. It never touches the lab state: success means
// "the server ran the commands"; what changed is known only when the kernel's patch arrives.
//
// Undo entries are the server's: each answer carries the edits that undo it, worked out by the
// model beside the edit's own plan (EditPlan.undo), so nothing here derives an inverse. Undo runs
// them like any edit, each checked by the server against the lab as it is then; when the lab has
// moved past an entry (another tab or a terminal already changed it back), the server refuses it
// by name and the entry is dropped with a note, so older entries stay usable.
import type { Edit, ObservedLab } from '@nslab/model';
import { ApiError, applyEdit, type EditResult } from '../api.ts';
import { undoRefusal } from './undo.ts';

const UNDO_KEEP = 20;

export interface Undo {
  /** Run in order. */
  edits: Edit[];
  /** What was done, for the button: "Undo: add ns5". */
  label: string;
}

export interface EditorState {
  undo: Undo[];
  busy: number;
  /** Why nothing can be edited any more (the lab was destroyed), or null. */
  locked: string | null;
  /** What became of the last undo when it could not run as recorded (dropped or cut short). */
  note: string | null;
}

/** Where the editor learns about the lab: a LabStore, or a stand-in in tests. */
export interface EditorSource {
  getState(): { lab: ObservedLab | null; status?: string };
  subscribe?(listener: () => void): () => void;
}

export const LOCKED_DESTROYED = 'This lab was destroyed, so it can no longer be edited.';

export class Editor {
  private state: EditorState = { undo: [], busy: 0, locked: null, note: null };
  private listeners = new Set<() => void>();
  /** Runs still waiting for the server's answer: their undo entries do not exist yet. */
  private pending = new Set<Promise<unknown>>();

  constructor(
    readonly lab: string,
    private readonly source: EditorSource,
    private readonly send: (lab: string, e: Edit) => Promise<EditResult> = applyEdit,
  ) {
    source.subscribe?.(() => this.follow());
    this.follow();
  }

  getState = (): EditorState => this.state;

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  /** The lab as last seen (null before the first snapshot). */
  current(): ObservedLab | null {
    return this.source.getState().lab;
  }

  /** Nothing can be edited, for `reason` (a lab this account may only look at). */
  lock(reason: string): void {
    if (this.state.locked === null) this.set({ locked: reason });
  }

  private follow(): void {
    if (this.source.getState().status === 'destroyed' && this.state.locked === null) this.set({ locked: LOCKED_DESTROYED });
  }

  /** Runs `edits` in order (stopping at the first failure, which is thrown); one undo step for all. */
  run(edits: Edit | Edit[], opts: { undoable?: boolean } = {}): Promise<EditResult> {
    // A new edit makes the note about an earlier undo old news.
    if (this.state.note !== null && opts.undoable !== false) this.set({ note: null });
    const p = this.runNow(Array.isArray(edits) ? edits : [edits], opts.undoable !== false, () => {});
    this.pending.add(p);
    const done = () => this.pending.delete(p);
    p.then(done, done);
    return p;
  }

  private async runNow(list: Edit[], undoable: boolean, onDone: (n: number) => void): Promise<EditResult> {
    if (this.state.locked) throw new Error(this.state.locked);
    const results: EditResult[] = [];
    this.set({ busy: this.state.busy + 1 });
    try {
      for (const e of list) {
        try {
          results.push(await this.send(this.lab, e));
        } catch (err) {
          // The server no longer knows the lab: whatever the socket says, nothing more can be edited.
          if (err instanceof ApiError && err.status === 404 && err.code === 'LAB_NOT_FOUND') this.set({ locked: LOCKED_DESTROYED });
          throw err;
        }
        onDone(results.length);
      }
    } finally {
      const done = results.filter((r) => r.undo.length > 0);
      if (undoable && done.length > 0) {
        // Later edits are undone first.
        const undo: Undo = { edits: [...done].reverse().flatMap((r) => r.undo), label: done.map((r) => r.label).join(', ') };
        this.set({ undo: [...this.state.undo, undo].slice(-UNDO_KEEP) });
      }
      this.set({ busy: this.state.busy - 1 });
    }
    return {
      commands: results.flatMap((r) => r.commands),
      effects: results.flatMap((r) => r.effects),
      undo: [...results].reverse().flatMap((r) => r.undo),
      label: results.map((r) => r.label).join(', '),
    };
  }

  /**
   * Undoes the most recent edit. An entry the lab has moved past is dropped with a note (see
   * undoRefusal) and the older ones stay; one that failed for another reason (the server could not
   * be reached) stays on the stack, minus the steps that ran, so it can be retried.
   */
  async undo(): Promise<EditResult | null> {
    // The kernel's patch can show an edit done before its answer arrives; Ctrl+Z then means that
    // edit, whose undo entry is made only with the answer.
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    const last = this.state.undo.at(-1);
    if (!last) return null;
    this.set({ undo: this.state.undo.slice(0, -1), note: null });
    let ran = 0;
    const p = this.runNow(last.edits, false, (n) => (ran = n));
    this.pending.add(p);
    try {
      return await p;
    } catch (e) {
      const refusal = undoRefusal(e, last.label, ran, last.edits.length);
      if (refusal) {
        this.set({ note: refusal });
        return null;
      }
      this.set({ undo: [...this.state.undo, { ...last, edits: last.edits.slice(ran) }] });
      throw e;
    } finally {
      this.pending.delete(p);
    }
  }

  dismissNote(): void {
    if (this.state.note !== null) this.set({ note: null });
  }

  private set(p: Partial<EditorState>): void {
    this.state = { ...this.state, ...p };
    for (const l of [...this.listeners]) l();
  }
}
