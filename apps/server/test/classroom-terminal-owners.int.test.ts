// Whose shell a terminal is, before and after a restart, against a real classroom server, a real
// database file, a real lab and the pty host: a student who lists the lab's terminals sees the
// admin's shell there but cannot take it over (?session= is answered as an ended session); the
// server restarts keeping the shells (as `nslab serve` does), the next one adopts them, and each
// shell reattaches for the account that opened it only — the student's to the student (with what
// they typed before), the admin's to the admin; another student cannot reach the lab at all.
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

const dir = mkdtempSync(join(tmpdir(), 'nslab-term-owners-'));
const database = join(dir, 'classroom.db');
let s: NslabApp;
let people: Cast;
let port = 0;
let lab = '';
let mine = '';
let admins = '';

const start = async () => {
  const app = await buildApp({ classroom: Classroom.open({ database, signInPerMinute: 10_000 }), limits: { mutationsPerMinute: 10_000 }, keepTerminals: true });
  // What `nslab serve` does after a restart, for this test's lab only (others' labs and shells on
  // this machine are not ours to adopt).
  await app.terminals.adopt((l) => l === lab && findSandbox(l) !== null);
  await app.app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.app.server.address() as AddressInfo).port;
  return app;
};

async function open(who: Who, query = ''): Promise<Term> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/labs/${lab}/nodes/n1/terminal${query}`, { headers: { origin: `http://127.0.0.1:${port}`, cookie: people.cookie[who] } });
  const t = new Term(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  t.frame(TerminalOpcode.RESIZE, JSON.stringify({ columns: 100, rows: 30 }));
  return t;
}

async function ended(t: Term): Promise<string | undefined> {
  await t.closed;
  return t.exit?.error;
}

beforeAll(async () => {
  s = await start();
  people = await cast({ s, classroom: s.classroom!, close: async () => {} } satisfies ClassroomServer);
  const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: { ...SAME_ORIGIN, cookie: people.cookie.sameStudent }, payload: { name: 'towners', yaml: 'nodes:\n  n1: {}\n' } });
  expect(r.statusCode, r.body).toBe(201);
  lab = r.json().name;
});

afterAll(async () => {
  // A clean close this time: the shells end with the server.
  await s?.app.close();
  if (lab) {
    if (findSandbox(lab)) await destroyLab(lab);
    labStore.remove(lab);
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('terminal owners', () => {
  it('the student sees the admin\'s shell in their lab but cannot take it over', async () => {
    const t = await open('sameStudent');
    await t.waitFor(/# $/);
    t.type('export MARK=typed-by-sam; echo "<$MARK>"\r');
    await t.waitFor(/<typed-by-sam>/);
    mine = t.session;
    const a = await open('admin');
    await a.waitFor(/# $/);
    admins = a.session;
    const listed = (await s.app.inject({ method: 'GET', url: `/api/v1/labs/${lab}/terminals`, headers: { ...SAME_ORIGIN, cookie: people.cookie.sameStudent } })).json();
    expect(listed.terminals.map((x: { session: string }) => x.session).sort()).toEqual([mine, admins].sort());
    const steal = await open('sameStudent', `?session=${admins}`);
    expect(await ended(steal)).toBe('SESSION_NOT_FOUND');
    expect(steal.exit?.reason).toBe('that terminal session has ended; open a new one');
    // Both tabs vanish (no close frame): their shells wait for them.
    t.ws.terminate();
    a.ws.terminate();
    await Promise.all([t.closed, a.closed]);
  });

  it('after a restart that keeps the shells, each reattaches for the account that opened it only', async () => {
    await s.app.close();
    s = await start();
    expect(s.terminals.get(mine)).toBeDefined();
    expect(s.terminals.get(admins)).toBeDefined();
    const steal = await open('sameStudent', `?session=${admins}`);
    expect(await ended(steal)).toBe('SESSION_NOT_FOUND');
    // Another student does not even reach the lab.
    await expect(open('otherStudent', `?session=${mine}`)).rejects.toThrow(/404/);
    const back = await open('sameStudent', `?session=${mine}`);
    back.type('echo "[$MARK]"\r');
    await back.waitFor(/\[typed-by-sam\]/);
    const adminBack = await open('admin', `?session=${admins}`);
    adminBack.type('echo "[admin-$((40+2))]"\r');
    await adminBack.waitFor(/\[admin-42\]/);
    expect(adminBack.text).not.toContain('typed-by-sam');
    back.ws.close(1000);
    adminBack.ws.close(1000);
    await Promise.all([back.closed, adminBack.closed]);
  });

  it('forgets the owners of shells that ended (never before the adoption)', async () => {
    const owners = s.classroom!.terminalOwners;
    expect(owners.ownerOf(mine)).toBe(people.ids.sameStudent);
    // Give the closed shells a moment to go from the manager.
    for (let i = 0; i < 50 && (s.terminals.get(mine) || s.terminals.get(admins)); i++) await new Promise((r) => setTimeout(r, 50));
    expect(owners.keepOnly((id) => s.terminals.get(id) !== undefined)).toBe(2);
    expect(owners.ownerOf(mine)).toBeNull();
  });
});
