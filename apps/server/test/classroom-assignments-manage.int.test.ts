// Managing assignments against a real classroom server, database and lab: a check after the
// window closed is recorded as late (kept and exported, not counted in the grid), deleting an
// assignment destroys every student's copy (running or saved) and its checks, old check rows are
// pruned by the retention setting (never an open assignment's), expired sessions are purged.
// Hostile callers: a student cannot delete an assignment, another class's instructor gets the
// 404 of a class or assignment that does not exist.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyLab, findSandbox, labStore } from '@nslab/driver';
import { cast, classroomServer, SAME_ORIGIN, type Cast, type ClassroomServer, type Who } from './classroom-fixture.ts';

let c: ClassroomServer;
let people: Cast;
let assignment = 0;
let copy = '';

const headers = (who: Who) => ({ ...SAME_ORIGIN, ...(people.cookie[who] ? { cookie: people.cookie[who] } : {}) });
const api = (who: Who, method: 'GET' | 'POST' | 'DELETE' | 'PATCH', url: string, payload?: object) =>
  c.s.app.inject({ method, url: `/api/v1${url}`, headers: headers(who), ...(payload ? { payload } : {}) });
const grid = async () => (await api('instructor', 'GET', `/classes/${people.classId}/assignments/${assignment}/grid`)).json();
const samRow = async () => (await grid()).students.find((s: { username: string }) => s.username === 'sam');

beforeAll(async () => {
  c = await classroomServer({ signInPerMinute: 10_000, checkRetentionDays: 30 }, { mutationsPerMinute: 10_000 });
  people = await cast(c);
});

afterAll(async () => {
  await c?.close();
  if (copy) {
    if (findSandbox(copy)) await destroyLab(copy);
    labStore.remove(copy);
  }
});

describe('late checks', () => {
  it('a check while the assignment is open counts in the grid', async () => {
    const p = await api('instructor', 'POST', `/classes/${people.classId}/assignments`, { lab: 'veth-pair', closesAt: new Date(Date.now() + 3600_000).toISOString() });
    expect(p.statusCode, p.body).toBe(201);
    assignment = p.json().id;
    const s = await api('sameStudent', 'POST', `/assignments/${assignment}/start`, {});
    expect(s.statusCode, s.body).toBe(201);
    copy = s.json().name;
    const check = await api('sameStudent', 'POST', `/labs/${copy}/guide/check`, {});
    expect(check.statusCode, check.body).toBe(200);
    const row = await samRow();
    expect(row.cells[0]).toMatchObject({ step: 'namespaces', state: 'failing', attempts: 1 });
  });

  it('after the window closed a check is recorded as late: not in the grid, in the export', async () => {
    expect((await api('instructor', 'POST', `/classes/${people.classId}/assignments/${assignment}/close`, {})).statusCode).toBe(200);
    // The student makes the step pass after the deadline: it must not turn done.
    const ns = await api('sameStudent', 'POST', `/labs/${copy}/nodes/host/exec`, { argv: ['ip', 'netns', 'add', 'ns1'] });
    expect(ns.json().code, ns.body).toBe(0);
    expect((await api('sameStudent', 'POST', `/labs/${copy}/nodes/host/exec`, { argv: ['ip', 'netns', 'add', 'ns2'] })).json().code).toBe(0);
    const late = await api('sameStudent', 'POST', `/labs/${copy}/guide/check`, { step: 1 });
    expect(late.json().results[0]).toMatchObject({ step: 'namespaces', ok: true });
    const row = await samRow();
    expect(row.cells[0]).toMatchObject({ step: 'namespaces', state: 'failing', attempts: 1 });
    const mine = (await api('sameStudent', 'GET', `/assignments/${assignment}`)).json();
    expect(mine.cells[0]).toMatchObject({ state: 'failing', attempts: 1 });
    const exp = (await api('instructor', 'GET', `/classes/${people.classId}/assignments/${assignment}/progress?format=json`)).json();
    const namespaces = exp.checks.filter((x: { step: string }) => x.step === 'namespaces');
    expect(namespaces.map((x: { ok: boolean; late: boolean }) => [x.ok, x.late])).toEqual([[false, false], [true, true]]);
    // Extending the window is how more time is given: the next check counts.
    const ext = await api('instructor', 'PATCH', `/classes/${people.classId}/assignments/${assignment}`, { closesAt: new Date(Date.now() + 3600_000).toISOString() });
    expect(ext.statusCode, ext.body).toBe(200);
    await api('sameStudent', 'POST', `/labs/${copy}/guide/check`, { step: 1 });
    expect((await samRow()).cells[0]).toMatchObject({ state: 'done', attempts: 2 });
  });
});

describe('deleting an assignment', () => {
  it('hostile callers: a student is refused (403), another class\'s instructor gets a 404 either way', async () => {
    for (const who of ['sameStudent', 'otherStudent'] as const) {
      const r = await api(who, 'DELETE', `/classes/${people.classId}/assignments/${assignment}`, {});
      expect(r.statusCode).toBe(403);
      expect(r.json().code).toBe('FORBIDDEN');
    }
    const theirs = await api('otherInstructor', 'DELETE', `/classes/${people.classId}/assignments/${assignment}`, {});
    expect(theirs.json()).toMatchObject({ code: 'CLASS_NOT_FOUND' });
    const viaOwnClass = await api('otherInstructor', 'DELETE', `/classes/${people.otherClassId}/assignments/${assignment}`, {});
    expect(viaOwnClass.statusCode).toBe(404);
    expect(viaOwnClass.json().code).toBe('ASSIGNMENT_NOT_FOUND');
    // A DELETE without its (empty) body is refused by validation: a stray request deletes nothing.
    const bare = await api('instructor', 'DELETE', `/classes/${people.classId}/assignments/${assignment}`);
    expect(bare.statusCode).toBe(400);
    expect(findSandbox(copy)).not.toBeNull();
    expect(c.classroom.assignments.get(assignment)).not.toBeNull();
  });

  it('its instructor deletes it: the copy is destroyed with its saved data, its checks and grid go, the student sees nothing left', async () => {
    const r = await api('instructor', 'DELETE', `/classes/${people.classId}/assignments/${assignment}`, {});
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ deleted: assignment, labsRemoved: [copy] });
    expect(findSandbox(copy)).toBeNull();
    expect(labStore.hasData(copy)).toBe(false);
    expect(c.classroom.owners.of(copy)).toBeNull();
    expect(c.classroom.progress.ofAssignment(assignment)).toEqual([]);
    expect((await api('sameStudent', 'GET', '/assignments')).json().assignments).toEqual([]);
    expect((await api('sameStudent', 'GET', `/labs/${copy}`)).statusCode).toBe(404);
    expect((await api('instructor', 'GET', `/classes/${people.classId}/assignments/${assignment}/grid`)).statusCode).toBe(404);
  });
});

describe('housekeeping', () => {
  it('prunes checks older than the retention of closed assignments and of labs outside assignments; an open assignment keeps all', async () => {
    const ines = c.classroom.accounts.byId(people.ids.instructor)!;
    const day = 24 * 3600_000;
    const closed = c.classroom.assignments.create(people.classId, 'veth-pair', new Date(Date.now() - 90 * day).toISOString(), new Date(Date.now() - 60 * day).toISOString(), ines);
    const open = c.classroom.assignments.create(people.classId, 'veth-pair', new Date(Date.now() - 90 * day).toISOString(), new Date(Date.now() + day).toISOString(), ines);
    const insert = c.classroom.db.prepare("INSERT INTO check_results (assignment_id, lab_name, user_id, step_id, ok, failing_check, hints, checked_at, late) VALUES (?, 'x', ?, 'namespaces', 1, NULL, '[]', ?, 0)");
    const old = new Date(Date.now() - 45 * day).toISOString();
    const recent = new Date(Date.now() - day).toISOString();
    for (const [a, t] of [[closed.id, old], [closed.id, recent], [open.id, old], [null, old], [null, recent]] as const) insert.run(a, people.ids.sameStudent, t);
    const count = () => (c.classroom.db.prepare('SELECT assignment_id AS a, checked_at AS t FROM check_results ORDER BY id').all() as { a: number | null; t: string }[]).map((r) => `${r.a ?? '-'}@${r.t === old ? 'old' : 'recent'}`);
    expect(count()).toEqual([`${closed.id}@old`, `${closed.id}@recent`, `${open.id}@old`, '-@old', '-@recent']);
    // Expired and idle sessions go; the live ones stay (everyone is still signed in below).
    c.classroom.db.prepare("INSERT INTO sessions (id_hash, user_id, created_at, expires_at, last_seen_at) VALUES ('expired', ?, ?, ?, ?)").run(people.ids.otherStudent, old, recent, recent);
    c.classroom.db.prepare("INSERT INTO sessions (id_hash, user_id, created_at, expires_at, last_seen_at) VALUES ('unused', ?, ?, ?, ?)").run(people.ids.otherStudent, old, new Date(Date.now() + day).toISOString(), old);
    const done = c.classroom.housekeep();
    expect(done).toEqual({ sessions: 2, checks: 2 });
    expect(count()).toEqual([`${closed.id}@recent`, `${open.id}@old`, '-@recent']);
    expect((await api('otherStudent', 'GET', '/auth/me')).statusCode).toBe(200);
  });
});
