// A browser that saw a lab before the server restarted reconnects with the seq it last applied. The
// restarted server counts from 0 again, so that number may well exist in its new history: the
// stream id in the hello is what tells it the client's state is from another history, and the
// answer must be a snapshot of the lab as it is now (a namespace made while the server was down
// included), never "nothing missed" or the new history's patches on top of the old state.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PatchMessage, SnapshotMessage } from '@nslab/protocol';
import { destroyLab, execInLab, findSandbox } from '@nslab/driver';
import { buildApp, type NslabApp } from '../src/app.ts';
import { AUTH, Inbox, TOKEN } from './helpers.ts';

const root = join(import.meta.dirname, '../../..');
const LAB = 'r-resume';
let s: NslabApp | undefined;

afterAll(async () => {
  await s?.app.close();
  if (findSandbox(LAB)) await destroyLab(LAB);
});

describe('resuming the live stream across a server restart', () => {
  it('answers a resume from the old server\'s stream with a snapshot of the lab as it is now', async () => {
    if (findSandbox(LAB)) await destroyLab(LAB);
    s = await buildApp({ token: TOKEN });
    const api = (method: 'POST' | 'PUT', url: string, payload: object) => s!.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, payload });
    const created = await api('POST', '/labs', { name: LAB, yaml: readFileSync(join(root, 'labs/veth-pair/topology.yaml'), 'utf8') });
    expect(created.statusCode, created.body).toBe(201);

    const ws = await s.app.injectWS(`/api/v1/labs/${LAB}/events`, { headers: AUTH });
    const inbox = new Inbox(ws);
    const before = await inbox.next<SnapshotMessage>((m) => m.type === 'snapshot');
    expect(before.stream).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    ws.terminate();
    const oldSeq = before.seq;

    // The server goes away (the lab keeps running), and the lab changes meanwhile.
    await s.app.close();
    s = undefined;
    const ghost = await execInLab(LAB, 'host', ['ip', 'netns', 'add', 'ghost']);
    expect(ghost.code, ghost.stderr).toBe(0);

    s = await buildApp({ token: TOKEN });
    await s.registry.adoptAll();
    const live = await s.registry.get(LAB);
    expect(live.stream).not.toBe(before.stream);
    // Bring the new history up to (at least) the old seq, so the old number names a real position
    // in it: "nothing missed" or "these patches" would both be plausible, and both wrong.
    for (let i = 0; live.lastSeq < oldSeq; i++) {
      expect((await api('PUT', `/labs/${LAB}/positions`, { positions: { ns1: { x: i, y: i } } })).statusCode).toBe(200);
    }
    expect(live.lastSeq).toBeGreaterThanOrEqual(oldSeq);

    const ws2 = await s.app.injectWS(`/api/v1/labs/${LAB}/events`, { headers: AUTH });
    const resumed = new Inbox(ws2, { lastSeq: oldSeq, stream: before.stream });
    const snap = await resumed.next<SnapshotMessage>((m) => m.type === 'snapshot', 3000);
    expect(snap.stream).toBe(live.stream);
    expect(snap.lab.nodes.map((n) => n.name)).toContain('ghost');
    expect(resumed.messages.filter((m) => m.type === 'patch' && m.seq <= snap.seq)).toEqual([]);

    // And a resume from the new stream gets only what it missed, in that stream.
    ws2.terminate();
    const del = await execInLab(LAB, 'host', ['ip', 'netns', 'del', 'ghost']);
    expect(del.code, del.stderr).toBe(0);
    const ws3 = await s.app.injectWS(`/api/v1/labs/${LAB}/events`, { headers: AUTH });
    const again = new Inbox(ws3, { lastSeq: snap.seq, stream: snap.stream });
    await again.next<PatchMessage>((m) => m.type === 'patch' && m.removeNodes.includes('ghost'));
    expect(again.messages.some((m) => m.type === 'snapshot')).toBe(false);
    ws3.terminate();
  }, 60_000);
});
