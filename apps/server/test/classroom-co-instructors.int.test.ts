// More than one instructor per class, against a real classroom server, database and lab: the
// creator adds a co-instructor by account name, who then sees the class, its grid (REST and the
// live WebSocket) and its students' labs like the creator. Hostile callers: a student or another
// class's instructor adding themselves (403 / the 404 of a class that does not exist), a
// co-instructor adding or removing anyone (only the creator or an admin), a student account or an
// unknown name as co-instructor, the creator removed. A removed co-instructor loses the class, the
// grid and the labs at once, their open live grid closed with CLASS_NOT_FOUND.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { destroyLab, findSandbox, labStore } from '@nslab/driver';
import { cast, classroomServer, login, PASSWORD, SAME_ORIGIN, type Cast, type ClassroomServer } from './classroom-fixture.ts';

let c: ClassroomServer;
let people: Cast;
let cora = '';
let lab = '';
let assignment = 0;

type Caller = 'anonymous' | 'sameStudent' | 'otherInstructor' | 'instructor' | 'admin' | 'cora';
const cookieOf = (who: Caller) => (who === 'cora' ? cora : people.cookie[who]);
const api = (who: Caller, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  c.s.app.inject({ method, url: `/api/v1${url}`, headers: { ...SAME_ORIGIN, ...(cookieOf(who) ? { cookie: cookieOf(who) } : {}) }, ...(payload ? { payload } : method === 'GET' ? {} : { payload: {} }) });
const instructors = () => `/classes/${people.classId}/instructors`;
const livePath = () => `/api/v1/classes/${people.classId}/assignments/${assignment}/live`;

/** What cora gets on the class, its grid and the student's lab. */
async function coraSees(): Promise<number[]> {
  return [
    (await api('cora', 'GET', `/classes/${people.classId}`)).statusCode,
    (await api('cora', 'GET', `/classes/${people.classId}/assignments/${assignment}/grid`)).statusCode,
    (await api('cora', 'GET', `/labs/${lab}`)).statusCode,
  ];
}

function nextMessage(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    ws.once('message', (d) => resolve(JSON.parse(String(d)) as Record<string, unknown>));
    ws.once('close', () => reject(new Error('closed before a message')));
  });
}

beforeAll(async () => {
  c = await classroomServer({ signInPerMinute: 10_000 }, { mutationsPerMinute: 10_000 });
  people = await cast(c);
  await c.classroom.accounts.create({ username: 'cora', role: 'instructor', password: PASSWORD, displayName: 'Cora Co' });
  cora = await login(c.s.app, 'cora', PASSWORD);
  const r = await api('sameStudent', 'POST', '/labs', { name: 'coil', yaml: 'nodes:\n  n1: {}\n' });
  expect(r.statusCode, r.body).toBe(201);
  lab = r.json().name;
  const ines = c.classroom.accounts.byId(people.ids.instructor)!;
  assignment = c.classroom.assignments.create(people.classId, 'veth-pair', new Date(Date.now() - 60_000).toISOString(), new Date(Date.now() + 3600_000).toISOString(), ines).id;
});

afterAll(async () => {
  await c?.close();
  if (lab) {
    if (findSandbox(lab)) await destroyLab(lab);
    labStore.remove(lab);
  }
});

describe('co-instructors', () => {
  it('hostile callers cannot add themselves or anyone', async () => {
    expect(await coraSees()).toEqual([404, 404, 404]);
    expect((await api('anonymous', 'POST', instructors(), { username: 'cora' })).statusCode).toBe(401);
    const student = await api('sameStudent', 'POST', instructors(), { username: 'sam' });
    expect([student.statusCode, student.json().code]).toEqual([403, 'FORBIDDEN']);
    const other = await api('otherInstructor', 'POST', instructors(), { username: 'otto' });
    expect([other.statusCode, other.json().code]).toEqual([404, 'CLASS_NOT_FOUND']);
    const self = await api('cora', 'POST', instructors(), { username: 'cora' });
    expect([self.statusCode, self.json().code]).toEqual([404, 'CLASS_NOT_FOUND']);
    expect((await api('instructor', 'POST', instructors(), { username: 'sam' })).json()).toMatchObject({ code: 'NOT_AN_INSTRUCTOR', field: 'username' });
    expect((await api('instructor', 'POST', instructors(), { username: 'nobody' })).json()).toMatchObject({ code: 'USER_NOT_FOUND', field: 'username' });
    expect((await api('instructor', 'POST', instructors(), { username: '../x' })).statusCode).toBe(400);
    expect(c.classroom.classes.members(people.classId).filter((m) => m.role === 'instructor').map((m) => m.username)).toEqual(['ines']);
    expect(await coraSees()).toEqual([404, 404, 404]);
  });

  it('the creator adds a co-instructor, who sees the class, the grid and the students\' labs', async () => {
    const r = await api('instructor', 'POST', instructors(), { username: 'Cora' });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ creator: 'ines', instructors: [{ username: 'cora' }, { username: 'ines' }] });
    expect((await api('instructor', 'POST', instructors(), { username: 'cora' })).statusCode).toBe(200);
    expect(await coraSees()).toEqual([200, 200, 200]);
    expect((await api('cora', 'GET', '/classes')).json().classes).toEqual([expect.objectContaining({ id: people.classId, role: 'instructor' })]);
    // Read-only like the creator: the student's lab is not theirs to change.
    expect((await api('cora', 'DELETE', `/labs/${lab}`)).statusCode).toBe(403);
  });

  it('a co-instructor adds and removes nobody; the creator is not removed', async () => {
    expect((await api('cora', 'POST', instructors(), { username: 'otto' })).json().code).toBe('NOT_CLASS_CREATOR');
    expect((await api('cora', 'DELETE', `${instructors()}/ines`)).json().code).toBe('NOT_CLASS_CREATOR');
    expect((await api('cora', 'DELETE', `${instructors()}/cora`)).json().code).toBe('NOT_CLASS_CREATOR');
    expect((await api('instructor', 'DELETE', `${instructors()}/ines`)).json()).toMatchObject({ code: 'CLASS_CREATOR', field: 'user' });
    expect((await api('admin', 'DELETE', `${instructors()}/ines`)).statusCode).toBe(409);
    expect((await api('instructor', 'DELETE', `${instructors()}/otto`)).json()).toMatchObject({ code: 'INSTRUCTOR_NOT_FOUND' });
    expect(await coraSees()).toEqual([200, 200, 200]);
  });

  it('removed, the co-instructor loses the class, the grid (its open socket too) and the labs at once', async () => {
    // Listening from the start: the whole grid is sent as soon as the socket opens.
    let first: Promise<Record<string, unknown>> | null = null;
    const ws: WebSocket = await c.s.app.injectWS(livePath(), { headers: { ...SAME_ORIGIN, cookie: cora } }, { onInit: (w) => (first = nextMessage(w)) });
    expect(first).not.toBeNull();
    const grid = await first!;
    expect(grid.type).not.toBe('error');
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const told = nextMessage(ws);
    const r = await api('instructor', 'DELETE', `${instructors()}/cora`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().instructors.map((m: { username: string }) => m.username)).toEqual(['ines']);
    expect(await told).toMatchObject({ type: 'error', code: 'CLASS_NOT_FOUND' });
    expect(await closed).toBe(1008);
    expect(await coraSees()).toEqual([404, 404, 404]);
    await expect(c.s.app.injectWS(livePath(), { headers: { ...SAME_ORIGIN, cookie: cora } })).rejects.toThrow(/404/);
  });

  it('an admin adds and removes co-instructors too', async () => {
    expect((await api('admin', 'POST', instructors(), { username: 'cora' })).statusCode).toBe(201);
    expect(await coraSees()).toEqual([200, 200, 200]);
    expect((await api('admin', 'DELETE', `${instructors()}/cora`)).statusCode).toBe(200);
    expect(await coraSees()).toEqual([404, 404, 404]);
  });
});
