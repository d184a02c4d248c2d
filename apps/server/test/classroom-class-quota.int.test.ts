// Per-class student quotas against a real classroom server, database and labs (server: 2 running
// labs per student): an instructor tightens their class to 1 (its student is refused a second lab
// naming the quota, a student of another class is not), may not go above the server's, and an
// admin gives the class 3. Hostile callers: a student cannot set quotas, another class's
// instructor gets the 404 of a class that does not exist, a bad value is refused naming its field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyLab, findSandbox, labStore } from '@nslab/driver';
import { cast, classroomServer, SAME_ORIGIN, type Cast, type ClassroomServer, type Who } from './classroom-fixture.ts';

let c: ClassroomServer;
let people: Cast;
const made = new Set<string>();

const headers = (who: Who) => ({ ...SAME_ORIGIN, ...(people.cookie[who] ? { cookie: people.cookie[who] } : {}) });
const api = (who: Who, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  c.s.app.inject({ method, url: `/api/v1${url}`, headers: headers(who), ...(payload ? { payload } : {}) });
const quotas = () => `/classes/${people.classId}/quotas`;

async function lab(who: Who, name: string): Promise<{ status: number; code?: string; message?: string }> {
  const r = await api(who, 'POST', '/labs', { name, yaml: 'nodes:\n  n1: {}\n' });
  if (r.statusCode === 201) made.add(r.json().name);
  return { status: r.statusCode, code: r.json().code, message: r.json().message };
}

beforeAll(async () => {
  c = await classroomServer({ signInPerMinute: 10_000, quotas: { labs: 2 } }, { mutationsPerMinute: 10_000 });
  people = await cast(c);
});

afterAll(async () => {
  await c?.close();
  for (const name of made) {
    if (findSandbox(name)) await destroyLab(name);
    labStore.remove(name);
  }
});

describe('per-class quotas', () => {
  it('hostile callers and bad values change nothing', async () => {
    expect((await api('sameStudent', 'PUT', quotas(), { labs: 50 })).json().code).toBe('FORBIDDEN');
    expect((await api('sameStudent', 'GET', quotas())).json().code).toBe('FORBIDDEN');
    expect((await api('otherInstructor', 'PUT', quotas(), { labs: 1 })).json().code).toBe('CLASS_NOT_FOUND');
    for (const v of [0, -1, 2.5, '2', true, 1001]) {
      const bad = await api('instructor', 'PUT', quotas(), { labs: v });
      expect(bad.statusCode, JSON.stringify(v)).toBe(400);
      expect(bad.json()).toMatchObject({ code: 'INVALID_QUOTA', field: 'labs' });
    }
    expect((await api('instructor', 'PUT', quotas(), { labs: 1, extra: 1 })).statusCode).toBe(400);
    const above = await api('instructor', 'PUT', quotas(), { labs: 3 });
    expect(above.statusCode).toBe(403);
    expect(above.json()).toMatchObject({ code: 'QUOTA_ABOVE_SERVER', field: 'labs', message: 'labs: at most 2 (the server\'s quota); only an admin gives a class more' });
    expect((await api('instructor', 'GET', quotas())).json()).toEqual({ server: { labs: 2, namespaces: 100, terminals: 20, captures: 4 }, class: { labs: null, namespaces: null, terminals: null, captures: null } });
  });

  it('the instructor tightens the class to 1 lab: its student is held to it, another class\'s is not', async () => {
    const r = await api('instructor', 'PUT', quotas(), { labs: 1 });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().class).toMatchObject({ labs: 1, namespaces: null });
    expect((await lab('sameStudent', 'cq1')).status).toBe(201);
    const second = await lab('sameStudent', 'cq2');
    expect(second).toMatchObject({ status: 429, code: 'QUOTA_LABS' });
    expect(second.message).toMatch(/^student quota: at most 1 running labs per student \(you have 1: cq1\)/);
    expect((await lab('otherStudent', 'cq1')).status).toBe(201);
    expect((await lab('otherStudent', 'cq2')).status).toBe(201);
    expect((await lab('otherStudent', 'cq3')).code).toBe('QUOTA_LABS');
  });

  it('an admin gives the class more than the server\'s; null gives the server\'s back', async () => {
    expect((await api('admin', 'PUT', quotas(), { labs: 3 })).json().class.labs).toBe(3);
    expect((await lab('sameStudent', 'cq2')).status).toBe(201);
    expect((await lab('sameStudent', 'cq3')).status).toBe(201);
    expect((await lab('sameStudent', 'cq4')).message).toMatch(/at most 3 running labs/);
    expect((await api('instructor', 'PUT', quotas(), { labs: null })).json().class.labs).toBeNull();
    expect(c.s.quotas!.limitsFor(people.ids.sameStudent).labs).toBe(2);
  });
});
