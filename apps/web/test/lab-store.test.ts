import { describe, expect, it } from 'vitest';
import type { PatchMessage, ServerMessage, SnapshotMessage } from '@nslab/protocol';
import { initialState, LabStore, reduce, type SocketLike } from '../src/live/lab-store.ts';
import { iface, lo, node, vethPair } from './fixtures.ts';

const snapshot = (seq = 5, stream = 'boot-a'): SnapshotMessage => ({ type: 'snapshot', version: 1, stream, seq, lab: vethPair(), positions: { ns1: { x: 1, y: 2 } }, log: [] });
const patch = (seq: number, p: Partial<PatchMessage> = {}): PatchMessage => ({ type: 'patch', seq, upsertNodes: [], removeNodes: [], ...p });

class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  closed: number | undefined;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(d: string) {
    this.sent.push(d);
  }
  close(code?: number) {
    this.closed = code;
    this.readyState = 3;
    this.onclose?.({});
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  deliver(m: ServerMessage) {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
}

describe('reduce', () => {
  it('takes a snapshot, then applies patches in sequence through applyPatch', () => {
    let s = reduce(initialState, snapshot()).state;
    expect(s.status).toBe('live');
    expect(s.positions).toEqual({ ns1: { x: 1, y: 2 } });
    const ns3 = node('ns3', [lo(false), iface('eth0')]);
    s = reduce(s, patch(6, { upsertNodes: [ns3], removeNodes: ['ns2'], positions: { ns3: { x: 9, y: 9 } } })).state;
    expect(s.seq).toBe(6);
    expect(s.lab!.nodes.map((n) => n.name)).toEqual(['host', 'ns1', 'ns3']);
    expect(s.positions).toEqual({ ns1: { x: 1, y: 2 }, ns3: { x: 9, y: 9 } });
  });

  it('keeps the lab object when a patch only moves positions (the canvas diff is skipped)', () => {
    const s = reduce(initialState, snapshot()).state;
    const t = reduce(s, patch(6, { positions: { ns2: { x: 3, y: 3 } } })).state;
    expect(t.lab).toBe(s.lab);
  });

  it('ignores replays and asks for a resync when a message was missed', () => {
    const s = reduce(initialState, snapshot(5)).state;
    expect(reduce(s, patch(5)).state).toBe(s);
    expect(reduce(s, patch(7)).resync).toBe(true);
  });

  it('appends log entries and marks the lab destroyed', () => {
    let s = reduce(initialState, snapshot(1)).state;
    s = reduce(s, { type: 'log', seq: 2, entries: [{ id: 1, time: 't', source: 'ui', line: 'ip netns add ns3', ok: true }] }).state;
    expect(s.log.map((e) => e.line)).toEqual(['ip netns add ns3']);
    s = reduce(s, { type: 'lab-destroyed', seq: 3 }).state;
    expect(s.status).toBe('destroyed');
  });
});

describe('LabStore', () => {
  const make = () => {
    FakeSocket.all = [];
    const store = new LabStore('demo', { origin: 'ws://127.0.0.1:7070', open: (u) => new FakeSocket(u) });
    return store;
  };

  it('says hello, then resumes from its last sequence number after a drop', async () => {
    const store = make();
    const seen: string[] = [];
    store.subscribe((s, cause) => seen.push(`${s.status}:${cause?.type ?? '-'}`));
    store.connect();
    const ws = FakeSocket.all[0]!;
    expect(ws.url).toBe('ws://127.0.0.1:7070/api/v1/labs/demo/events');
    ws.open();
    expect(JSON.parse(ws.sent[0]!)).toEqual({ type: 'hello', version: 1 });
    ws.deliver(snapshot(5));
    ws.deliver(patch(6, { upsertNodes: [node('ns3', [lo()])] }));
    expect(store.getState().lab!.nodes.map((n) => n.name)).toContain('ns3');
    ws.close(1006);
    expect(store.getState().status).toBe('reconnecting');
    await new Promise((r) => setTimeout(r, 600));
    const again = FakeSocket.all[1]!;
    again.open();
    expect(JSON.parse(again.sent[0]!)).toEqual({ type: 'hello', version: 1, lastSeq: 6, stream: 'boot-a' });
    expect(seen).toContain('live:snapshot');
    store.close();
  });

  it('takes the snapshot a restarted server answers a resume with, even at the same seq', async () => {
    const store = make();
    store.connect();
    const ws = FakeSocket.all[0]!;
    ws.open();
    ws.deliver(snapshot(1, 'boot-a'));
    ws.close(1012);
    await new Promise((r) => setTimeout(r, 600));
    const again = FakeSocket.all[1]!;
    again.open();
    expect(JSON.parse(again.sent[0]!)).toEqual({ type: 'hello', version: 1, lastSeq: 1, stream: 'boot-a' });
    // The new server's lab also stands at seq 1, and has a namespace made while it was down.
    const ghost = { ...snapshot(1, 'boot-b'), lab: { ...vethPair(), nodes: [...vethPair().nodes, node('ghost', [lo()])] } };
    again.deliver(ghost);
    expect(store.getState().lab!.nodes.map((n) => n.name)).toContain('ghost');
    expect(store.getState()).toMatchObject({ seq: 1, stream: 'boot-b', status: 'live' });
    // Patches of the new history apply on top of the new state.
    again.deliver(patch(2, { removeNodes: ['ghost'] }));
    expect(store.getState().lab!.nodes.map((n) => n.name)).not.toContain('ghost');
    store.close();
  });

  it('does not resume from a snapshot that named no stream (a number alone could be another history\'s)', async () => {
    const store = make();
    store.connect();
    const ws = FakeSocket.all[0]!;
    ws.open();
    const { stream: _s, ...old } = snapshot(4);
    ws.deliver(old as SnapshotMessage);
    expect(store.getState().stream).toBeNull();
    ws.close(1006);
    await new Promise((r) => setTimeout(r, 600));
    const again = FakeSocket.all[1]!;
    again.open();
    expect(JSON.parse(again.sent[0]!)).toEqual({ type: 'hello', version: 1 });
    expect(store.getState().status).not.toBe('live'); // waits for the snapshot it asked for
    store.close();
  });

  it('starts over from a snapshot when it detects a gap', async () => {
    const store = make();
    store.connect();
    const ws = FakeSocket.all[0]!;
    ws.open();
    ws.deliver(snapshot(5));
    ws.deliver(patch(9));
    expect(ws.closed).toBe(4000);
    await new Promise((r) => setTimeout(r, 500));
    const again = FakeSocket.all[1]!;
    again.open();
    expect(JSON.parse(again.sent[0]!)).toEqual({ type: 'hello', version: 1 });
    store.close();
  });

  it('stops retrying after a fatal error from the server', async () => {
    const store = make();
    store.connect();
    const ws = FakeSocket.all[0]!;
    ws.open();
    ws.deliver({ type: 'error', code: 'LAB_NOT_FOUND', message: 'no lab named "demo"' });
    ws.close(1008);
    await new Promise((r) => setTimeout(r, 500));
    expect(FakeSocket.all).toHaveLength(1);
    expect(store.getState()).toMatchObject({ status: 'error', error: 'no lab named "demo"' });
  });
});
