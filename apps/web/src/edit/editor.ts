// Runs edits for one lab and remembers how to undo them. It never touches the lab state: success
// means "the server ran the commands"; what changed is known only when the kernel's patch arrives.
import type { Edit, ObservedLab } from '@nslab/model';
import { applyEdit, type EditResult } from '../api.ts';
import { inverseOf, type Undo } from './undo.ts';

const UNDO_KEEP = 20;

export interface EditorState {
  undo: Undo[];
  busy: number;
}

export class Editor {
  private state: EditorState = { undo: [], busy: 0 };
  private listeners = new Set<() => void>();
  /** Runs still waiting for the server's answer: their undo entries do not exist yet. */
  private pending = new Set<Promise<unknown>>();

  constructor(
    readonly lab: string,
    private readonly current: () => ObservedLab | null,
    private readonly send: (lab: string, e: Edit) => Promise<EditResult> = applyEdit,
  ) {}

  getState = (): EditorState => this.state;

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  /** Runs `edits` in order (stopping at the first failure, which is thrown); one undo step for all. */
  run(edits: Edit | Edit[], opts: { undoable?: boolean } = {}): Promise<EditResult> {
    const p = this.runNow(edits, opts);
    this.pending.add(p);
    const done = () => this.pending.delete(p);
    p.then(done, done);
    return p;
  }

  private async runNow(edits: Edit | Edit[], opts: { undoable?: boolean }): Promise<EditResult> {
    const list = Array.isArray(edits) ? edits : [edits];
    const before = this.current();
    const inverses: Undo[] = [];
    const result: EditResult = { commands: [], effects: [] };
    this.set({ busy: this.state.busy + 1 });
    try {
      for (const e of list) {
        // Each inverse is worked out against the lab as it was before the edit (a later patch would be too late).
        const inv = before && opts.undoable !== false ? inverseOf(e, before) : null;
        const r = await this.send(this.lab, e);
        result.commands.push(...r.commands);
        result.effects.push(...r.effects);
        if (inv) inverses.push(inv);
      }
    } finally {
      if (inverses.length > 0) {
        const undo: Undo = { edits: inverses.reverse().flatMap((u) => u.edits), label: inverses.map((u) => u.label).join(', ') };
        this.set({ undo: [...this.state.undo, undo].slice(-UNDO_KEEP) });
      }
      this.set({ busy: this.state.busy - 1 });
    }
    return result;
  }

  /** Undoes the most recent edit; on failure it stays on the stack so the error can be read and retried. */
  async undo(): Promise<EditResult | null> {
    // The kernel's patch can show an edit done before its answer arrives; Ctrl+Z then means that
    // edit, whose undo entry is made only with the answer.
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    const last = this.state.undo.at(-1);
    if (!last) return null;
    this.set({ undo: this.state.undo.slice(0, -1) });
    try {
      return await this.run(last.edits, { undoable: false });
    } catch (e) {
      this.set({ undo: [...this.state.undo, last] });
      throw e;
    }
  }

  private set(p: Partial<EditorState>): void {
    this.state = { ...this.state, ...p };
    for (const l of [...this.listeners]) l();
  }
}
