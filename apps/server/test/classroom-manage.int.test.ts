// Managing accounts and classes against a real classroom server, database and labs: disable and
// enable (sessions end, sign-in refused with the right password, running labs stopped and saved),
// remove a student from a class (their assignment copy destroyed, their own lab kept and no
// longer the instructor's to see), delete a class (its copies destroyed, the students' own labs
// kept), delete an account (every lab it owns destroyed; one that made classes is refused).
// Hostile callers first: a student can do none of it, another class's instructor gets the 404 of
// an account or class that does not exist, an instructor cannot touch an instructor or an admin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyLab, findSandbox, labStore } from '@nslab/driver';
import { cast, classroomServer, PASSWORD, SAME_ORIGIN, type Cast, type ClassroomServer, type Who } from './classroom-fixture.ts';

let c: ClassroomServer;
let people: Cast;
let own = '';
const made = new Set<string>();

const headers = (who: Who) => ({ ...SAME_ORIGIN, ...(people.cookie[who] ? { cookie: people.cookie[who] } : {}) });
const api = (who: Who, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  c.s.app.inject({ method, url: `/api/v1${url}`, headers: headers(who), ...(payload ? { payload } : {}) });
const login = (username: string, password: string) => c.s.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: SAME_ORIGIN, payload: { username, password } });

async function startCopy(): Promise<string> {
  const ines = c.classroom.accounts.byId(people.ids.instructor)!;
  const a = c.classroom.assignments.create(people.classId, 'veth-pair', new Date(Date.now() - 60_000).toISOString(), new Date(Date.now() + 3600_000).toISOString(), ines);
  const r = await api('sameStudent', 'POST', `/assignments/${a.id}/start`, {});
  expect(r.statusCode, r.body).toBe(201);
  made.add(r.json().name);
  return r.json().name;
}

beforeAll(async () => {
  c = await classroomServer({ signInPerMinute: 10_000 }, { mutationsPerMinute: 10_000 });
  people = await cast(c);
  const r = await api('sameStudent', 'POST', '/labs', { name: 'mine', yaml: 'nodes:\n  n1: {}\n' });
  expect(r.statusCode, r.body).toBe(201);
  own = r.json().name;
  made.add(own);
});

afterAll(async () => {
  await c?.close();
  for (const name of made) {
    if (findSandbox(name)) await destroyLab(name);
    labStore.remove(name);
  }
});

describe('hostile callers', () => {
  it('a student can disable, enable or delete no account, remove nobody, delete no class', async () => {
    for (const [method, url] of [
      ['POST', '/users/olga/disable'],
      ['POST', '/users/sam/enable'],
      ['DELETE', '/users/sam'],
      ['DELETE', '/users/olga'],
      ['DELETE', `/classes/${people.classId}/students/sam`],
      ['DELETE', `/classes/${people.classId}`],
    ] as const) {
      const r = await api('sameStudent', method, url, {});
      expect(r.statusCode, `${method} ${url}`).toBe(403);
      expect(r.json().code).toBe('FORBIDDEN');
    }
  });

  it('another class\'s instructor gets the 404 of what does not exist; an instructor cannot touch an instructor or an admin', async () => {
    const none = await api('otherInstructor', 'POST', '/users/nobody-here/disable', {});
    const sam = await api('otherInstructor', 'POST', '/users/sam/disable', {});
    expect(sam.statusCode).toBe(404);
    expect(sam.json()).toEqual({ ...none.json(), message: 'no account "sam"' });
    expect((await api('otherInstructor', 'DELETE', '/users/sam', {})).json().code).toBe('USER_NOT_FOUND');
    expect((await api('otherInstructor', 'DELETE', `/classes/${people.classId}`, {})).json().code).toBe('CLASS_NOT_FOUND');
    expect((await api('otherInstructor', 'DELETE', `/classes/${people.classId}/students/sam`, {})).json().code).toBe('CLASS_NOT_FOUND');
    const viaOwn = await api('otherInstructor', 'DELETE', `/classes/${people.otherClassId}/students/sam`, {});
    expect(viaOwn.statusCode).toBe(404);
    expect(viaOwn.json().code).toBe('STUDENT_NOT_FOUND');
    for (const u of ['otto', 'root-admin']) expect((await api('instructor', 'POST', `/users/${u}/disable`, {})).json().code).toBe('USER_NOT_FOUND');
    expect((await api('admin', 'POST', '/users/root-admin/disable', {})).json()).toMatchObject({ code: 'OWN_ACCOUNT', field: 'user' });
    // Nothing changed.
    expect((await api('sameStudent', 'GET', '/auth/me')).statusCode).toBe(200);
    expect(findSandbox(own)).not.toBeNull();
  });
});

describe('disable and enable', () => {
  it('its instructor disables a student: sessions end, the right password is refused saying so, running labs stop (saved)', async () => {
    const r = await api('instructor', 'POST', '/users/sam/disable', {});
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ user: { username: 'sam', disabled: true }, labsStopped: [own] });
    expect((await api('sameStudent', 'GET', '/auth/me')).statusCode).toBe(401);
    expect(findSandbox(own)).toBeNull();
    expect(labStore.loadTopology(own)).not.toBeNull();
    const right = await login('sam', PASSWORD);
    expect(right.statusCode).toBe(403);
    expect(right.json()).toMatchObject({ code: 'ACCOUNT_DISABLED', field: 'username' });
    expect(right.headers['set-cookie']).toBeUndefined();
    // A wrong password says only that: being disabled is told to whoever knows the password.
    expect((await login('sam', 'not the password at all')).json().code).toBe('BAD_CREDENTIALS');
    expect((await api('admin', 'GET', '/users')).json().users.find((u: { username: string }) => u.username === 'sam').disabled).toBe(true);
  });

  it('enabled again, the student signs in and starts the stopped lab', async () => {
    expect((await api('instructor', 'POST', '/users/sam/enable', {})).json().user).toMatchObject({ username: 'sam', disabled: false });
    const r = await login('sam', PASSWORD);
    expect(r.statusCode, r.body).toBe(200);
    people.cookie.sameStudent = String(r.headers['set-cookie']).split(';')[0]!;
    expect((await api('sameStudent', 'POST', `/labs/${own}/start`)).statusCode).toBe(201);
    expect(findSandbox(own)).not.toBeNull();
  });
});

describe('classes', () => {
  it('removing a student from a class destroys their copy of its assignment; their own lab stays, out of the instructor\'s sight', async () => {
    const copy = await startCopy();
    expect((await api('instructor', 'GET', `/labs/${own}`)).statusCode).toBe(200);
    const r = await api('instructor', 'DELETE', `/classes/${people.classId}/students/sam`, {});
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ removed: 'sam', labsRemoved: [copy] });
    expect(findSandbox(copy)).toBeNull();
    expect(labStore.hasData(copy)).toBe(false);
    expect(findSandbox(own)).not.toBeNull();
    expect((await api('instructor', 'GET', `/labs/${own}`)).statusCode).toBe(404);
    expect((await api('sameStudent', 'GET', '/assignments')).json().assignments).toEqual([]);
    expect((await api('instructor', 'DELETE', `/classes/${people.classId}/students/sam`, {})).json().code).toBe('STUDENT_NOT_FOUND');
  });

  it('deleting a class destroys its assignments\' copies; the class is gone, the students\' own labs stay', async () => {
    c.classroom.classes.addStudent(people.classId, people.ids.sameStudent);
    const copy = await startCopy();
    const r = await api('instructor', 'DELETE', `/classes/${people.classId}`, {});
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ deleted: people.classId, labsRemoved: [copy] });
    expect(findSandbox(copy)).toBeNull();
    expect(labStore.hasData(copy)).toBe(false);
    expect(findSandbox(own)).not.toBeNull();
    expect((await api('instructor', 'GET', `/classes/${people.classId}`)).json().code).toBe('CLASS_NOT_FOUND');
    expect((await api('sameStudent', 'GET', '/classes')).json().classes).toEqual([]);
  });
});

describe('deleting accounts', () => {
  it('an instructor who no longer teaches the student cannot delete them; an account that made a class is refused', async () => {
    expect((await api('instructor', 'DELETE', '/users/sam', {})).json().code).toBe('USER_NOT_FOUND');
    const otto = await api('admin', 'DELETE', '/users/otto', {});
    expect(otto.statusCode).toBe(409);
    expect(otto.json()).toMatchObject({ code: 'ACCOUNT_IN_USE', field: 'user', message: expect.stringContaining('1 class') });
  });

  it('the admin deletes a student: every lab they own is destroyed, the account and its session are gone', async () => {
    const r = await api('admin', 'DELETE', '/users/sam', {});
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ deleted: 'sam', labsRemoved: [own] });
    expect(findSandbox(own)).toBeNull();
    expect(labStore.hasData(own)).toBe(false);
    expect(c.classroom.accounts.byUsername('sam')).toBeNull();
    expect((await api('sameStudent', 'GET', '/auth/me')).statusCode).toBe(401);
    expect((await login('sam', PASSWORD)).json().code).toBe('BAD_CREDENTIALS');
  });
});
