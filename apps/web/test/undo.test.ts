import { describe, expect, it } from 'vitest';
import { planEdit, TopologyError, type Edit, type ObservedLab } from '@nslab/model';
import { ApiError, type EditResult } from '../src/api.ts';
import { Editor, LOCKED_DESTROYED, type EditorSource } from '../src/edit/editor.ts';
import { undoRefusal } from '../src/edit/undo.ts';
import { node, vethPair } from './fixtures.ts';

/**
 * A stand-in for the server and its kernel: plans each edit with the model (so undo entries and
 * labels are the real ones, and a stale undo is refused with the real message), and applies what
 * these tests need: namespaces coming and going.
 */
class FakeServer {
  lab: ObservedLab = vethPair();
  sent: Edit[] = [];

  send = async (_lab: string, e: Edit): Promise<EditResult> => {
    this.sent.push(e);
    let plan;
    try {
      plan = planEdit(this.lab, e);
    } catch (err) {
      if (err instanceof TopologyError) throw new ApiError(400, { code: err.code, message: err.message, issues: err.issues });
      throw err;
    }
    this.change(e);
    return { commands: plan.ops.map((op) => op.op), effects: plan.effects, undo: plan.undo, label: plan.label };
  };

  /** What another tab (or a terminal) does: straight to the kernel. */
  change(e: Edit): void {
    if (e.kind === 'add-node') this.lab.nodes.push(node(e.name, []));
    else if (e.kind === 'remove-node') this.lab.nodes = this.lab.nodes.filter((n) => n.name !== e.name);
    else throw new Error(`the fake server does not apply ${e.kind}`);
  }

  has(name: string): boolean {
    return this.lab.nodes.some((n) => n.name === name);
  }
}

function source(server: FakeServer): EditorSource & { status: string; emit(): void } {
  const listeners = new Set<() => void>();
  const s = {
    status: 'live',
    getState: () => ({ lab: server.lab, status: s.status }),
    subscribe: (l: () => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    emit: () => listeners.forEach((l) => l()),
  };
  return s;
}

const labels = (editor: Editor) => editor.getState().undo.map((u) => u.label);

describe('Editor: undo entries are the server\'s', () => {
  it('labels an entry with what was done, and undo runs the model\'s inverse', async () => {
    const server = new FakeServer();
    const editor = new Editor('demo', source(server), server.send);
    await editor.run({ kind: 'add-node', name: 'ns5' });
    expect(labels(editor)).toEqual(['add ns5']);
    await editor.undo();
    expect(server.sent.at(-1)).toEqual({ kind: 'remove-node', name: 'ns5' });
    expect(server.has('ns5')).toBe(false);
    expect(editor.getState().undo).toEqual([]);
  });

  it('several edits in one run are one entry, undone last first', async () => {
    const server = new FakeServer();
    const editor = new Editor('demo', source(server), server.send);
    await editor.run([
      { kind: 'add-node', name: 'ns3' },
      { kind: 'add-node', name: 'ns4' },
    ]);
    expect(labels(editor)).toEqual(['add ns3, add ns4']);
    expect(editor.getState().undo[0]!.edits).toEqual([
      { kind: 'remove-node', name: 'ns4' },
      { kind: 'remove-node', name: 'ns3' },
    ]);
  });

  it('records nothing for an edit the server refused', async () => {
    const server = new FakeServer();
    const editor = new Editor('demo', source(server), server.send);
    await expect(editor.run({ kind: 'add-node', name: 'ns1' })).rejects.toThrow(/already exists/);
    expect(editor.getState()).toEqual({ undo: [], busy: 0, locked: null, note: null });
  });

  it('undo right after an edit whose answer is still on its way undoes that edit', async () => {
    // The kernel's patch (the node gone from the page) may come before the HTTP answer.
    const server = new FakeServer();
    let answer: () => void = () => {};
    const send = async (lab: string, e: Edit) => {
      if (e.kind === 'remove-node' && e.name === 'ns1') await new Promise<void>((r) => (answer = r));
      return server.send(lab, e);
    };
    const editor = new Editor('demo', source(server), send);
    await editor.run({ kind: 'add-node', name: 'ns3' });
    const removing = editor.run({ kind: 'remove-node', name: 'ns1' });
    const undone = editor.undo();
    await Promise.resolve();
    answer();
    await removing;
    await undone;
    expect(server.has('ns1')).toBe(true);
    expect(labels(editor)).toEqual(['add ns3']);
  });
});

describe('Editor: an undo another tab already made', () => {
  it('is dropped with a note saying why, and the older undo still works', async () => {
    const server = new FakeServer();
    const editor = new Editor('demo', source(server), server.send);
    await editor.run({ kind: 'add-node', name: 'ns4' });
    await editor.run({ kind: 'add-node', name: 'ns5' });
    // Tab B deletes ns5: tab A's "add ns5" entry is stale.
    server.change({ kind: 'remove-node', name: 'ns5' });
    expect(await editor.undo()).toBeNull();
    const { note, undo } = editor.getState();
    expect(note).toMatch(/^Undo of “add ns5” was dropped: the lab has changed since \(no node named "ns5"\), probably/);
    expect(note).toContain('Older undo steps still work');
    expect(undo.map((u) => u.label)).toEqual(['add ns4']);
    // Not blocked: the next undo runs the older entry and clears the note.
    await editor.undo();
    expect(server.has('ns4')).toBe(false);
    expect(editor.getState().note).toBeNull();
    expect(editor.getState().undo).toEqual([]);
  });

  it('an entry cut short part way is dropped, saying how far it got', async () => {
    const server = new FakeServer();
    const editor = new Editor('demo', source(server), server.send);
    await editor.run([
      { kind: 'add-node', name: 'ns3' },
      { kind: 'add-node', name: 'ns4' },
    ]);
    server.change({ kind: 'remove-node', name: 'ns3' });
    await editor.undo();
    expect(server.has('ns4')).toBe(false);
    expect(editor.getState().note).toMatch(/^Undo of “add ns3, add ns4” stopped after 1 of 2 steps \(no node named "ns3"\); the rest was dropped/);
    expect(editor.getState().undo).toEqual([]);
  });

  it('an undo that could not reach the server stays, minus the steps that ran, to be retried', async () => {
    const server = new FakeServer();
    let offline = false;
    const send = async (lab: string, e: Edit) => {
      if (offline) throw new ApiError(0, { code: 'NETWORK', message: 'could not reach the nslab server' });
      return server.send(lab, e);
    };
    const editor = new Editor('demo', source(server), send);
    await editor.run({ kind: 'add-node', name: 'ns5' });
    offline = true;
    await expect(editor.undo()).rejects.toThrow('could not reach');
    expect(labels(editor)).toEqual(['add ns5']);
    expect(editor.getState().note).toBeNull();
    offline = false;
    await editor.undo();
    expect(server.has('ns5')).toBe(false);
  });
});

describe('Editor: a destroyed lab', () => {
  it('locks as soon as the live state says so, and refuses to run anything', async () => {
    const server = new FakeServer();
    const src = source(server);
    const editor = new Editor('demo', src, server.send);
    await editor.run({ kind: 'add-node', name: 'ns5' });
    expect(editor.getState().locked).toBeNull();
    src.status = 'destroyed';
    src.emit();
    expect(editor.getState().locked).toBe(LOCKED_DESTROYED);
    await expect(editor.run({ kind: 'add-node', name: 'ns6' })).rejects.toThrow(LOCKED_DESTROYED);
    await expect(editor.undo()).rejects.toThrow(LOCKED_DESTROYED);
    expect(server.sent.map((e) => e.kind)).toEqual(['add-node']);
  });

  it('locks when the server no longer knows the lab', async () => {
    const editor = new Editor('demo', { getState: () => ({ lab: vethPair() }) }, async () => {
      throw new ApiError(404, { code: 'LAB_NOT_FOUND', message: 'no lab named "demo"' });
    });
    await expect(editor.run({ kind: 'add-node', name: 'ns3' })).rejects.toThrow('no lab named');
    expect(editor.getState().locked).toBe(LOCKED_DESTROYED);
  });
});

describe('undoRefusal', () => {
  const refused = (status: number, code = 'X', message = 'nope.') => new ApiError(status, { code, message });
  it('drops entries the server refused, with what it said', () => {
    expect(undoRefusal(refused(400, 'INVALID_EDIT', 'no node named "ns5".'), 'add ns5', 0, 1)).toBe(
      'Undo of “add ns5” was dropped: the lab has changed since (no node named "ns5"), probably from another tab or a terminal. Older undo steps still work.',
    );
    expect(undoRefusal(refused(422, 'KERNEL', 'ip addr add 10.0.0.1/24 dev a: File exists'), 'delete ns1', 2, 5)).toBe(
      'Undo of “delete ns1” stopped after 2 of 5 steps (ip addr add 10.0.0.1/24 dev a: File exists); the rest was dropped. Older undo steps still work.',
    );
    expect(undoRefusal(refused(413, 'LIMIT_NAMESPACES'), 'delete ns1', 0, 3)).not.toBeNull();
  });

  it('keeps entries that may work later', () => {
    expect(undoRefusal(refused(0, 'NETWORK'), 'x', 0, 1)).toBeNull();
    expect(undoRefusal(refused(500, 'INTERNAL'), 'x', 0, 1)).toBeNull();
    expect(undoRefusal(refused(507, 'STORAGE_FULL'), 'x', 0, 1)).toBeNull();
    expect(undoRefusal(refused(429, 'RATE_LIMITED'), 'x', 0, 1)).toBeNull();
    expect(undoRefusal(refused(404, 'LAB_NOT_FOUND'), 'x', 0, 1)).toBeNull();
    expect(undoRefusal(new Error('boom'), 'x', 0, 1)).toBeNull();
  });
});
