// The permission matrix, generated from the app's own route table (so a new route is in it the
// day it is added): every REST route and WebSocket × {anonymous, other student, same student,
// instructor of another class, instructor of the class, admin}, against a real server, a real
// temporary database and one real lab (the same student's), with the status each must get.
// An allowed call is sent with a probe that fails validation (an unknown field or query
// parameter) or names nothing that exists, so the matrix changes nothing it walks over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { destroyLab, findSandbox } from '@nslab/driver';
import type { Access, RouteEntry } from '../src/classroom/access.ts';
import { cast, classroomServer, EVERYONE, SAME_ORIGIN, type Cast, type ClassroomServer, type Who } from './classroom-fixture.ts';

type Expect = 'allowed' | { status: number; code: string };

const UNAUTH = { status: 401, code: 'UNAUTHORIZED' };
const FORBIDDEN = { status: 403, code: 'FORBIDDEN' };
const NO_LAB = { status: 404, code: 'LAB_NOT_FOUND' };
const NO_CLASS = { status: 404, code: 'CLASS_NOT_FOUND' };

/** The one place that says who gets what: every access level must be here, or the test fails. */
const EXPECTED: Record<Access, Record<Who, Expect>> = {
  public: { anonymous: 'allowed', otherStudent: 'allowed', sameStudent: 'allowed', otherInstructor: 'allowed', instructor: 'allowed', admin: 'allowed' },
  'signed-in': { anonymous: UNAUTH, otherStudent: 'allowed', sameStudent: 'allowed', otherInstructor: 'allowed', instructor: 'allowed', admin: 'allowed' },
  'lab-read': { anonymous: UNAUTH, otherStudent: NO_LAB, sameStudent: 'allowed', otherInstructor: NO_LAB, instructor: 'allowed', admin: 'allowed' },
  'lab-write': { anonymous: UNAUTH, otherStudent: NO_LAB, sameStudent: 'allowed', otherInstructor: NO_LAB, instructor: { status: 403, code: 'READ_ONLY' }, admin: 'allowed' },
  instructor: { anonymous: UNAUTH, otherStudent: FORBIDDEN, sameStudent: FORBIDDEN, otherInstructor: 'allowed', instructor: 'allowed', admin: 'allowed' },
  'class-instructor': { anonymous: UNAUTH, otherStudent: FORBIDDEN, sameStudent: FORBIDDEN, otherInstructor: NO_CLASS, instructor: 'allowed', admin: 'allowed' },
  admin: { anonymous: UNAUTH, otherStudent: FORBIDDEN, sameStudent: FORBIDDEN, otherInstructor: FORBIDDEN, instructor: FORBIDDEN, admin: 'allowed' },
};

/** What an access refusal looks like; anything else means the route's handler ran. */
const REFUSALS = new Set(['UNAUTHORIZED', 'FORBIDDEN', 'READ_ONLY', 'LAB_NOT_FOUND', 'CLASS_NOT_FOUND', 'PASSWORD_CHANGE_REQUIRED', 'BAD_ORIGIN', 'BAD_HOST']);

let c: ClassroomServer;
let people: Cast;
let lab = '';
let assignment = 0;

beforeAll(async () => {
  c = await classroomServer({ signInPerMinute: 10_000 });
  people = await cast(c);
  const r = await c.s.app.inject({
    method: 'POST',
    url: '/api/v1/labs',
    headers: { ...SAME_ORIGIN, cookie: people.cookie.sameStudent },
    payload: { name: 'clsm', yaml: 'nodes:\n  ns1: {}\n' },
  });
  expect(r.statusCode, r.body).toBe(201);
  lab = r.json().name;
  // A real assignment of the instructor's class: its routes are walked with an id that exists.
  const ines = c.classroom.accounts.byId(people.ids.instructor)!;
  assignment = c.classroom.assignments.create(people.classId, 'veth-pair', new Date(Date.now() - 60_000).toISOString(), new Date(Date.now() + 3600_000).toISOString(), ines).id;
});

let otherLab = '';

afterAll(async () => {
  await c?.close();
  for (const name of [lab, otherLab]) if (name && findSandbox(name)) await destroyLab(name);
});

function urlFor(route: RouteEntry): string {
  const fill: Record<string, string> = {
    lab,
    node: 'nonode',
    iface: 'noif0',
    id: route.url.startsWith('/api/v1/catalog') ? 'veth-pair' : 'AAAAAAAAAAAAAAAA',
    key: 'net.ipv4.ip_forward',
    class: String(people.classId),
    code: 'ZZZZZZZZZZ',
    user: 'nobody-matrix',
    assignment: String(assignment),
    student: 'sam',
    session: 'nosession',
    upload: 'none-0000000000000000',
  };
  const path = route.url.replace(/:([a-z]+)/g, (_m, k: string) => {
    if (!(k in fill)) throw new Error(`the matrix has no value for :${k} (route ${route.url}): add one`);
    return encodeURIComponent(fill[k]!);
  }).replace(/\*$/, 'matrix-none');
  return `${path}?matrixProbe=1`;
}

async function call(route: RouteEntry, who: Who): Promise<{ status: number; code?: string }> {
  const headers = { ...SAME_ORIGIN, ...(people.cookie[who] ? { cookie: people.cookie[who] } : {}) };
  if (route.websocket) {
    try {
      const ws: WebSocket = await c.s.app.injectWS(urlFor(route), { headers });
      ws.terminate();
      return { status: 101 };
    } catch (e) {
      const m = /Unexpected server response: (\d+)/.exec((e as Error).message);
      if (!m) throw e;
      return { status: Number(m[1]) };
    }
  }
  const r = await c.s.app.inject({ method: route.method as 'GET', url: urlFor(route), headers, ...(route.method === 'GET' ? {} : { payload: { matrixProbe: true } }) });
  let code: string | undefined;
  try {
    code = r.json().code;
  } catch {
    code = undefined;
  }
  return { status: r.statusCode, ...(code ? { code } : {}) };
}

// Sign-out ends the caller's session: walked last.
const byLogoutLast = (a: RouteEntry, b: RouteEntry) => Number(a.url.endsWith('/auth/logout')) - Number(b.url.endsWith('/auth/logout'));

describe('two students, one lab name', () => {
  const get = (url: string, who: Who) => c.s.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { ...SAME_ORIGIN, ...(people.cookie[who] ? { cookie: people.cookie[who] } : {}) } });

  it('both may call a lab "clsm": each gets a kernel name of their own, listed under the name they typed', async () => {
    const r = await c.s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: { ...SAME_ORIGIN, cookie: people.cookie.otherStudent }, payload: { name: 'clsm' } });
    expect(r.statusCode, r.body).toBe(201);
    otherLab = r.json().name;
    expect(lab).toBe(`u${people.ids.sameStudent}-clsm`);
    expect(otherLab).toBe(`u${people.ids.otherStudent}-clsm`);
    const names = async (who: Who) => ((await get('/labs', who)).json().labs as { name: string; displayName?: string; owner?: string }[]).map((l) => `${l.name}=${l.displayName}@${l.owner}`);
    expect(await names('sameStudent')).toEqual([`${lab}=clsm@sam`]);
    expect(await names('otherStudent')).toEqual([`${otherLab}=clsm@olga`]);
    expect(await names('instructor')).toEqual([`${lab}=clsm@sam`]);
    expect(await names('otherInstructor')).toEqual([`${otherLab}=clsm@olga`]);
    // The admin sees every lab, those made outside classroom mode too (without an owner).
    expect(await names('admin')).toEqual(expect.arrayContaining([`${lab}=clsm@sam`, `${otherLab}=clsm@olga`]));
  });

  it("a student guessing another's lab name gets exactly what a lab that does not exist gets", async () => {
    const theirs = await get(`/labs/${encodeURIComponent(lab)}`, 'otherStudent');
    const none = await get(`/labs/u${people.ids.sameStudent}-nothing-here`, 'otherStudent');
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json()).toEqual({ code: 'LAB_NOT_FOUND', message: `no lab named "${lab}"` });
    expect(none.json()).toEqual({ code: 'LAB_NOT_FOUND', message: `no lab named "u${people.ids.sameStudent}-nothing-here"` });
    for (const sub of ['/log', '/export?format=sh', '/diagnose?from=ns1&to=ns1', '/guide', '/captures']) {
      const g = await get(`/labs/${encodeURIComponent(lab)}${sub}`, 'otherStudent');
      expect(g.statusCode, sub).toBe(404);
      expect(g.json().code).toBe('LAB_NOT_FOUND');
    }
    for (const ws of ['/events', '/nodes/ns1/terminal', '/captures/AAAAAAAAAAAAAAAA/events']) {
      await expect(c.s.app.injectWS(`/api/v1/labs/${encodeURIComponent(lab)}${ws}`, { headers: { ...SAME_ORIGIN, cookie: people.cookie.otherStudent } })).rejects.toThrow(/404/);
    }
    // A name longer than an account's share of the 64 bytes is refused naming the field and why.
    const long = await c.s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: { ...SAME_ORIGIN, cookie: people.cookie.sameStudent }, payload: { name: 'x'.repeat(62) } });
    expect(long.json()).toMatchObject({ code: 'INVALID_NAME', field: 'name', message: expect.stringMatching(/at most 61 bytes \(the server puts "u4-" in front/) });
  });

  it('the owner can use the lab: its live events over the WebSocket', async () => {
    const ws: WebSocket = await c.s.app.injectWS(`/api/v1/labs/${encodeURIComponent(lab)}/events`, { headers: { ...SAME_ORIGIN, cookie: people.cookie.sameStudent } });
    const first = new Promise<{ type: string }>((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
    ws.send(JSON.stringify({ type: 'hello', version: 1 }));
    expect((await first).type).toBe('snapshot');
    ws.terminate();
  });
});

describe('permission matrix (from the route table)', () => {
  it('covers every route and every access level', () => {
    const routes = c.s.routes.filter((r) => r.method !== 'HEAD');
    expect(routes.length).toBeGreaterThan(40);
    for (const r of routes) expect(EXPECTED[r.access], `${r.method} ${r.url}`).toBeDefined();
    // Classroom routes are there, and the lab ones.
    const urls = routes.map((r) => `${r.method} ${r.url}`);
    for (const u of ['POST /api/v1/auth/login', 'GET /api/v1/classes/:class/instructors', 'POST /api/v1/classes/:class/instructors', 'DELETE /api/v1/classes/:class/instructors/:user', 'POST /api/v1/auth/join', 'POST /api/v1/classes/:class/roster', 'GET /api/v1/labs/:lab/events', 'GET /api/v1/labs/:lab/nodes/:node/terminal', 'GET /api/v1/labs/:lab/export', 'GET /api/v1/labs/:lab/diagnose', 'GET /api/v1/labs/:lab/log', 'GET /api/v1/labs/:lab/captures/:id/events', 'GET /api/v1/classes/:class/assignments/:assignment/live', 'GET /api/v1/classes/:class/assignments/:assignment/grid', 'POST /api/v1/assignments/:assignment/start', 'GET /api/v1/labs/:lab/terminals/:session/watch', 'GET /api/v1/labs/:lab/idle-stop', 'DELETE /api/v1/labs/:lab/idle-stop', 'DELETE /api/v1/classes/:class/assignments/:assignment', 'POST /api/v1/users/:user/disable', 'POST /api/v1/users/:user/enable', 'DELETE /api/v1/users/:user', 'DELETE /api/v1/classes/:class/students/:student', 'DELETE /api/v1/classes/:class', 'GET /api/v1/classes/:class/quotas', 'PUT /api/v1/classes/:class/quotas', 'GET /api/v1/lab-uploads', 'POST /api/v1/lab-uploads', 'DELETE /api/v1/lab-uploads/:upload']) {
      expect(urls).toContain(u);
    }
  });

  it('gives every route × person the expected answer', async () => {
    const routes = c.s.routes.filter((r) => r.method !== 'HEAD').sort(byLogoutLast);
    const wrong: string[] = [];
    let checked = 0;
    for (const route of routes) {
      for (const who of EVERYONE) {
        const want = EXPECTED[route.access][who];
        const got = await call(route, who);
        checked++;
        const where = `${route.method} ${route.url} as ${who} (${route.access})`;
        if (want === 'allowed') {
          const refused = route.websocket ? got.status !== 101 : got.status === 401 || got.status === 403 || (got.code !== undefined && REFUSALS.has(got.code));
          if (refused) wrong.push(`${where}: expected to pass the access check, got ${got.status} ${got.code ?? ''}`);
        } else if (got.status !== want.status || (!route.websocket && got.code !== want.code)) {
          wrong.push(`${where}: expected ${want.status} ${want.code}, got ${got.status} ${got.code ?? ''}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBe(routes.length * EVERYONE.length);
    // The probes changed nothing: the lab is still there, with its namespace.
    expect(findSandbox(lab)).not.toBeNull();
  });
});
