// Idle labs across a server restart, with a real database file, real labs and a real terminal: a
// student's lab stopped while idle (its detached shell ending with it) is still "stopped while
// idle" for the next server on the same database, which starts it again at its owner's return;
// the owner's page then takes the notice once, with the terminal to open again. Nobody else can
// read or take it the way its owner does: another student gets a missing lab's 404, the
// instructor reads it without starting the lab and cannot take it (403 READ_ONLY).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { destroyLab, findSandbox, labStore } from '@nslab/driver';
import { TerminalOpcode } from '@nslab/protocol';
import { buildApp, type NslabApp } from '../src/app.ts';
import { Classroom } from '../src/classroom/classroom.ts';
import { cast, SAME_ORIGIN, type Cast, type ClassroomServer, type Who } from './classroom-fixture.ts';
import { Term } from './terminal-client.ts';

const IDLE_MS = 1500;
const dir = mkdtempSync(join(tmpdir(), 'nslab-idle-restart-'));
const database = join(dir, 'classroom.db');
let s: NslabApp;
let people: Cast;
let lab = '';

const start = async () => buildApp({ classroom: Classroom.open({ database, signInPerMinute: 10_000, idleStopMs: IDLE_MS, idleSweepMs: 250 }), limits: { mutationsPerMinute: 10_000 }, logger: !!process.env.DBG });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const headers = (who: Who) => ({ ...SAME_ORIGIN, ...(people.cookie[who] ? { cookie: people.cookie[who] } : {}) });
const api = (who: Who, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  s.app.inject({ method, url: `/api/v1${url}`, headers: headers(who), ...(payload ? { payload } : {}) });

async function until(what: string, pred: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  s = await start();
  people = await cast({ s, classroom: s.classroom!, close: async () => {} } satisfies ClassroomServer);
});

afterAll(async () => {
  await s?.app.close();
  if (lab) {
    if (findSandbox(lab)) await destroyLab(lab);
    labStore.remove(lab);
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('idle labs across a restart', () => {
  let session = '';

  it('a lab whose only terminal was left detached is stopped, and the database says which terminal it had', async () => {
    const yaml = 'nodes:\n  n1:\n    interfaces:\n      eth0: { addresses: [10.74.0.1/24] }\n  n2:\n    interfaces:\n      eth0: { addresses: [10.74.0.2/24] }\nlinks:\n  - endpoints: ["n1:eth0", "n2:eth0"]\n';
    const r = await api('sameStudent', 'POST', '/labs', { name: 'qrestart', yaml });
    expect(r.statusCode, r.body).toBe(201);
    lab = r.json().name;
    await s.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (s.app.server.address() as AddressInfo).port;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/labs/${lab}/nodes/n1/terminal`, { headers: { origin: `http://127.0.0.1:${port}`, cookie: people.cookie.sameStudent } });
    const t = new Term(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    t.frame(TerminalOpcode.RESIZE, JSON.stringify({ columns: 100, rows: 30 }));
    await t.waitFor(/# $/);
    session = s.terminals.forLab(lab)[0]!.id;
    // The tab vanished (no close frame): the shell waits for it, detached, which is no client.
    ws.terminate();
    await until('the idle lab is stopped', () => findSandbox(lab) === null && s.idle!.wasStoppedIdle(lab), 15_000);
    expect(s.terminals.forLab(lab)).toEqual([]);
    const row = s.classroom!.idleStops.get(lab);
    expect(row).toMatchObject({ lab, terminals: [{ node: 'n1', session }], restoredAt: null, idleMinutes: 1 });
  });

  it('a new server on the same database still knows it was stopped while idle', async () => {
    await s.app.close();
    s = await start();
    expect(s.idle!.wasStoppedIdle(lab)).toBe(true);
    expect(findSandbox(lab)).toBeNull();
  });

  it('hostile or read-only callers: another student gets a missing lab\'s 404, the instructor reads it without starting it and cannot take it', async () => {
    for (const method of ['GET', 'DELETE'] as const) {
      const other = await api('otherStudent', method, `/labs/${lab}/idle-stop`);
      expect(other.statusCode).toBe(404);
      expect(other.json()).toEqual({ code: 'LAB_NOT_FOUND', message: `no lab named "${lab}"` });
    }
    const read = await api('instructor', 'GET', `/labs/${lab}/idle-stop`);
    expect(read.statusCode).toBe(200);
    expect(read.json().idleStop).toMatchObject({ lab, restoredAt: null });
    const take = await api('instructor', 'DELETE', `/labs/${lab}/idle-stop`);
    expect(take.statusCode).toBe(403);
    expect(take.json().code).toBe('READ_ONLY');
    // The owner's own GET of the notice does not start it either (the page says "starting again" meanwhile).
    expect((await api('sameStudent', 'GET', `/labs/${lab}/idle-stop`)).json().idleStop.restoredAt).toBeNull();
    expect(findSandbox(lab)).toBeNull();
    expect(s.idle!.wasStoppedIdle(lab)).toBe(true);
  });

  it('its owner\'s return starts it again; the page takes the notice once, with the terminal to open again', async () => {
    const take = await api('sameStudent', 'DELETE', `/labs/${lab}/idle-stop`);
    expect(take.statusCode, take.body).toBe(200);
    expect(findSandbox(lab)).not.toBeNull();
    expect(s.idle!.wasStoppedIdle(lab)).toBe(false);
    const stop = take.json().idleStop;
    expect(stop).toMatchObject({ lab, terminals: [{ node: 'n1', session }], idleMinutes: 1 });
    expect(Date.parse(stop.restoredAt)).toBeGreaterThanOrEqual(Date.parse(stop.stoppedAt));
    // Once only.
    expect((await api('sameStudent', 'DELETE', `/labs/${lab}/idle-stop`)).json()).toEqual({ idleStop: null });
    expect(s.classroom!.idleStops.get(lab)).toBeNull();
    // The lab is the one that stopped: its address is back.
    const state = await api('sameStudent', 'GET', `/labs/${lab}`);
    const n1 = state.json().nodes.find((n: { name: string }) => n.name === 'n1');
    expect(n1.interfaces.find((i: { name: string }) => i.name === 'eth0').addresses).toContain('10.74.0.1/24');
  });

  it('destroying a lab stopped while idle forgets it (no notice left for a lab of the same name)', async () => {
    await until('stopped again', () => findSandbox(lab) === null && s.idle!.wasStoppedIdle(lab), 15_000);
    expect(s.classroom!.idleStops.get(lab)).not.toBeNull();
    const d = await api('sameStudent', 'DELETE', `/labs/${lab}`);
    expect(d.statusCode, d.body).toBe(200);
    expect(s.classroom!.idleStops.get(lab)).toBeNull();
    expect(s.idle!.wasStoppedIdle(lab)).toBe(false);
  });
});
