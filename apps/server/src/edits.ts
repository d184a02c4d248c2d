// Granular edits of a running lab: validated against the kernel's current state before anything
// runs, executed as ip commands, rolled back if the kernel refuses a step, and logged either way.
import { HOST, planEdit, type Edit, type Operation } from '@nslab/model';
import { executePlan, OperationError, type ExecutedOperation } from '@nslab/driver';
import type { CommandSource } from '@nslab/protocol';
import { ApiError } from './errors.ts';
import type { Limits } from './limits.ts';
import type { LiveLab } from './live-lab.ts';

export interface EditResult {
  commands: string[];
  effects: string[];
  /** The edits that undo this one (the plan's own, see EditPlan.undo), for the client's undo button. */
  undo: Edit[];
  /** What the edit did, in a few words ("add ns5"). */
  label: string;
}

// One edit at a time per lab: each is planned against the state the previous one left.
const queues = new WeakMap<LiveLab, Promise<unknown>>();

/** The caps an edit may not grow a lab past (the same ones a deployed topology is held to). */
export type EditCaps = Pick<Limits, 'namespacesPerLab' | 'linksPerLab'>;

export function applyEdit(lab: LiveLab, edit: Edit, source: CommandSource, caps?: EditCaps): Promise<EditResult> {
  const prev = queues.get(lab) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(() => runEdit(lab, edit, source, caps));
  queues.set(lab, next);
  return next;
}

function touched(ops: readonly Operation[]): { nodes: Set<string>; namespaces: boolean } {
  const nodes = new Set<string>();
  let namespaces = false;
  for (const op of ops) {
    if (op.op === 'netns-add' || op.op === 'netns-del') namespaces = true;
    if (op.op === 'veth-add') {
      nodes.add(op.a.node);
      nodes.add(op.b.node);
    } else nodes.add(op.node);
  }
  // A veth end deleted in a namespace takes its peer (often in the lab host) with it.
  nodes.add(HOST);
  return { nodes, namespaces };
}

/** 413 when the plan would take the lab past a cap; counted from what the kernel has now. */
function checkCaps(lab: LiveLab, ops: readonly Operation[], caps: EditCaps): void {
  const adds = (kind: Operation['op']) => ops.filter((op) => op.op === kind).length;
  const namespaces = lab.state.nodes.filter((n) => n.kind === 'netns').length;
  if (adds('netns-add') > 0 && namespaces + adds('netns-add') > caps.namespacesPerLab) {
    throw new ApiError(413, 'LIMIT_NAMESPACES', `this server allows at most ${caps.namespacesPerLab} namespaces per lab; lab "${lab.name}" has ${namespaces}`, 'name');
  }
  // Each pair is usually reported from both of its ends.
  const pairs = new Set(lab.state.links.map((l) => [`${l.a.node}:${l.a.interface}`, `${l.b.node}:${l.b.interface}`].sort().join(' ')));
  if (adds('veth-add') > 0 && pairs.size + adds('veth-add') > caps.linksPerLab) {
    throw new ApiError(413, 'LIMIT_LINKS', `this server allows at most ${caps.linksPerLab} links per lab; lab "${lab.name}" has ${pairs.size}`, 'a');
  }
}

async function runEdit(lab: LiveLab, edit: Edit, source: CommandSource, caps?: EditCaps): Promise<EditResult> {
  await lab.settled();
  const plan = planEdit(lab.state, edit);
  if (caps) checkCaps(lab, plan.ops, caps);
  const done: ExecutedOperation[] = [];
  try {
    await executePlan(lab.sandbox, plan.ops, { onExecuted: (e) => done.push(e) });
  } catch (e) {
    const lines = done.map((d) => ({ line: d.line, ok: true }));
    if (e instanceof OperationError) lines.push({ line: e.line, ok: false, error: e.kernelMessage } as never);
    if (done.length > 0) {
      // Undo what ran; each inverse step on its own, so one that has nothing to undo cannot stop the rest.
      for (const op of plan.inverse) {
        try {
          const [r] = await executePlan(lab.sandbox, [op]);
          if (r) lines.push({ line: r.line, ok: true });
        } catch (re) {
          if (re instanceof OperationError) lines.push({ line: re.line, ok: false, error: re.kernelMessage } as never);
        }
      }
    }
    try {
      lab.appendLog(source, lines);
    } catch {
      /* a full disk: the kernel's refusal stays the answer */
    }
    const t = touched([...plan.ops, ...plan.inverse]);
    await lab.refreshNodes(t.nodes, t.namespaces);
    throw e;
  }
  let logError: unknown;
  try {
    lab.appendLog(source, done.map((d) => ({ line: d.line, ok: true })));
  } catch (e) {
    logError = e;
  }
  // The kernel's word, not ours: re-read what the edit touched before answering.
  const t = touched(plan.ops);
  await lab.refreshNodes(t.nodes, t.namespaces);
  // Saved before it is answered as done; a full disk answers 507 (the change is live, not saved).
  lab.saveNow(logError);
  return { commands: done.map((d) => d.line), effects: plan.effects, undo: plan.undo, label: plan.label };
}
