// Assignments end to end against a real server, a real temporary database and real labs: the
// window rules, one-click copies, every check recorded, the grid (done, failing, stuck, idle), its
// live push (latency printed), reset, the CSV/JSON export, a read-only terminal join, and what a
// hostile student or another class's instructor gets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { destroyLab, execInLab, findSandbox, inspectLab } from '@nslab/driver';
import { HOST as LAB_HOST } from '@nslab/model';
import { TerminalOpcode } from '@nslab/protocol';
import { cast, classroomServer, SAME_ORIGIN, type Cast, type ClassroomServer, type Who } from './classroom-fixture.ts';
import { Term } from './terminal-client.ts';

let c: ClassroomServer;
let people: Cast;
let port = 0;
const made: string[] = [];

beforeAll(async () => {
  c = await classroomServer({ signInPerMinute: 10_000, gridRefreshMs: 200 }, { mutationsPerMinute: 10_000 });
  people = await cast(c);
  await c.s.app.listen({ host: '127.0.0.1', port: 0 });
  port = (c.s.app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await c?.close();
  for (const name of made) if (findSandbox(name)) await destroyLab(name);
});

const headers = (who: Who) => ({ ...SAME_ORIGIN, ...(people.cookie[who] ? { cookie: people.cookie[who] } : {}) });
const api = (who: Who, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  c.s.app.inject({ method, url: `/api/v1${url}`, headers: headers(who), ...(payload ? { payload } : {}) });
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

/** Messages of a live grid socket, kept with their arrival time. */
/**
 * A WebSocket over real loopback TCP (closes reach the server at once, as from a browser), with
 * `attach` listening before the server's first message.
 */
async function openWS<T>(path: string, who: Who, attach: (ws: WebSocket) => T): Promise<T> {
  const origin = `http://127.0.0.1:${port}`;
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { origin, ...(people.cookie[who] ? { cookie: people.cookie[who] } : {}) } });
  const out = attach(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return out;
}

class Live {
  messages: { at: number; m: { type: string; row?: { username: string; cells: { step: string; state: string; check?: string }[]; lab: string | null }; grid?: unknown; assignment?: unknown } }[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.messages.push({ at: performance.now(), m: JSON.parse(d.toString()) }));
  }
  async next(pred: (m: Live['messages'][number]['m']) => boolean, after: number, timeoutMs = 5000) {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const hit = this.messages.find((x) => x.at >= after && pred(x.m));
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no live message as expected; got ${JSON.stringify(this.messages.map((x) => x.m.type))}`);
  }
}

describe('assignments', () => {
  let assignment = 0;
  let lab = '';

  it('an instructor publishes a catalog lab with a window; bad input names its field', async () => {
    const bad = await api('instructor', 'POST', `/classes/${people.classId}/assignments`, { lab: 'no-such-lab', closesAt: iso(3600_000) });
    expect(bad.json()).toMatchObject({ code: 'LAB_NOT_IN_CATALOG', field: 'lab' });
    const noZone = await api('instructor', 'POST', `/classes/${people.classId}/assignments`, { lab: 'veth-pair', closesAt: '2030-01-01T12:00' });
    expect(noZone.json()).toMatchObject({ code: 'INVALID_TIME', field: 'closesAt' });
    const backwards = await api('instructor', 'POST', `/classes/${people.classId}/assignments`, { lab: 'veth-pair', opensAt: iso(3600_000), closesAt: iso(60_000) });
    expect(backwards.json()).toMatchObject({ code: 'INVALID_WINDOW', field: 'closesAt' });
    // Opens in an hour: published, not startable yet.
    const r = await api('instructor', 'POST', `/classes/${people.classId}/assignments`, { lab: 'veth-pair', opensAt: iso(3600_000), closesAt: iso(7200_000) });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ lab: 'veth-pair', classId: people.classId, window: 'upcoming', title: expect.stringContaining('veth') });
    assignment = r.json().id;
    expect((await api('instructor', 'GET', `/classes/${people.classId}/assignments`)).json().assignments.map((a: { id: number }) => a.id)).toEqual([assignment]);
  });

  it('window rules: refused before it opens and after it closes, each saying when; extended, it starts', async () => {
    const early = await api('sameStudent', 'POST', `/assignments/${assignment}/start`, {});
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: 'ASSIGNMENT_NOT_OPEN', message: expect.stringMatching(/opens at 20\d\d-/) });
    // Opened now, then closed now: still refused, differently.
    expect((await api('instructor', 'PATCH', `/classes/${people.classId}/assignments/${assignment}`, { opensAt: iso(-60_000) })).json().window).toBe('open');
    const closed = await api('instructor', 'POST', `/classes/${people.classId}/assignments/${assignment}/close`, {});
    expect(closed.json()).toMatchObject({ window: 'closed' });
    const late = await api('sameStudent', 'POST', `/assignments/${assignment}/start`, {});
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ code: 'ASSIGNMENT_CLOSED', message: expect.stringContaining('ask your instructor to extend it') });
    // Extended by an hour: one click starts the student's own copy, named per the ownership scheme.
    expect((await api('instructor', 'PATCH', `/classes/${people.classId}/assignments/${assignment}`, { closesAt: iso(3600_000) })).json().window).toBe('open');
    const start = await api('sameStudent', 'POST', `/assignments/${assignment}/start`, {});
    expect(start.statusCode, start.body).toBe(201);
    lab = start.json().name;
    made.push(lab);
    expect(lab).toBe(`u${people.ids.sameStudent}-veth-pair-a${assignment}`);
    expect(findSandbox(lab)).not.toBeNull();
    // A second click: the same copy, not a second lab.
    expect((await api('sameStudent', 'POST', `/assignments/${assignment}/start`, {})).json()).toEqual({ name: lab, assignment, started: false });
    const mine = (await api('sameStudent', 'GET', '/assignments')).json().assignments;
    expect(mine).toMatchObject([{ id: assignment, myLab: lab, window: 'open', cells: [{ state: 'idle' }, { state: 'idle' }, { state: 'idle' }, { state: 'idle' }, { state: 'idle' }] }]);
    // It is the student's lab, listed under the name the server gave it.
    expect((await api('sameStudent', 'GET', '/labs')).json().labs).toEqual(expect.arrayContaining([expect.objectContaining({ name: lab, displayName: `veth-pair-a${assignment}`, owner: 'sam' })]));
  });

  it('another class cannot see, start or watch it: a 404 as if it did not exist', async () => {
    expect((await api('otherStudent', 'GET', '/assignments')).json().assignments).toEqual([]);
    for (const [m, url] of [['GET', `/assignments/${assignment}`], ['POST', `/assignments/${assignment}/start`]] as const) {
      const r = await api('otherStudent', m, url, m === 'POST' ? {} : undefined);
      expect(r.statusCode, url).toBe(404);
      expect(r.json().code).toBe('ASSIGNMENT_NOT_FOUND');
    }
    // The instructor of another class: their own class id does not reach this assignment either.
    const viaOwn = await api('otherInstructor', 'GET', `/classes/${people.otherClassId}/assignments/${assignment}/grid`);
    expect(viaOwn.statusCode).toBe(404);
    expect(viaOwn.json().code).toBe('ASSIGNMENT_NOT_FOUND');
    for (const url of [`/grid`, `/progress?format=csv`]) {
      const r = await api('otherInstructor', 'GET', `/classes/${people.classId}/assignments/${assignment}${url}`);
      expect(r.statusCode, url).toBe(404);
      expect(r.json().code).toBe('CLASS_NOT_FOUND');
    }
    const reset = await api('otherInstructor', 'POST', `/classes/${people.classId}/assignments/${assignment}/students/sam/reset`, {});
    expect(reset.json().code).toBe('CLASS_NOT_FOUND');
    await expect(c.s.app.injectWS(`/api/v1/classes/${people.classId}/assignments/${assignment}/live`, { headers: headers('otherInstructor') })).rejects.toThrow(/404/);
    // A student reads neither the grid nor the export, even of their own class.
    for (const url of ['/grid', '/progress']) expect((await api('sameStudent', 'GET', `/classes/${people.classId}/assignments/${assignment}${url}`)).statusCode).toBe(403);
    // Nor another student's lab (404), nor does a guessed id tell anything.
    expect((await api('otherStudent', 'POST', `/labs/${lab}/guide/check`, {})).json().code).toBe('LAB_NOT_FOUND');
    expect((await api('sameStudent', 'POST', `/assignments/999999/start`, {})).json().code).toBe('ASSIGNMENT_NOT_FOUND');
  });

  it('every check is recorded by the server; a result cannot be sent in or solved into', async () => {
    const rows = () => c.classroom.db.prepare('SELECT step_id, ok, failing_check, hints FROM check_results WHERE assignment_id = ? ORDER BY id').all(assignment) as { step_id: string; ok: number; failing_check: string | null; hints: string }[];
    const fake = await api('sameStudent', 'POST', `/labs/${lab}/guide/check`, { step: 1, ok: true });
    expect(fake.statusCode).toBe(400);
    const solve = await api('sameStudent', 'POST', `/labs/${lab}/guide/solve`, { step: 1 });
    expect(solve.statusCode).toBe(403);
    expect(solve.json().code).toBe('SOLUTIONS_HIDDEN');
    // The instructor sees the lab but does not check it for the student.
    expect((await api('instructor', 'POST', `/labs/${lab}/guide/check`, {})).json().code).toBe('READ_ONLY');
    expect(rows()).toEqual([]);
    const r = await api('sameStudent', 'POST', `/labs/${lab}/guide/check`, {});
    expect(r.statusCode, r.body).toBe(200);
    expect(rows()).toEqual([{ step_id: 'namespaces', ok: 0, failing_check: 'namespace ns1 exists', hints: expect.stringContaining('ip netns add ns1') }]);
    const grid = (await api('instructor', 'GET', `/classes/${people.classId}/assignments/${assignment}/grid`)).json();
    expect(grid.steps.map((s: { id: string }) => s.id)).toEqual(['namespaces', 'veth', 'addresses', 'loopback', 'trace-arp']);
    expect(grid.students).toMatchObject([{ username: 'sam', lab, cells: [{ step: 'namespaces', state: 'failing', check: 'namespace ns1 exists', attempts: 1 }, { state: 'idle' }, { state: 'idle' }, { state: 'idle' }, { state: 'idle' }] }]);
    expect(grid.students[0].cells[0].hintsShown).toBeGreaterThan(0);
  });

  it('the live grid pushes a student\'s row under a second after their check (latency printed)', async () => {
    const live = await openWS(`/api/v1/classes/${people.classId}/assignments/${assignment}/live`, 'instructor', (w) => new Live(w));
    const ws = live.ws;
    const first = await live.next((m) => m.type === 'grid', 0);
    expect(first.m.grid).toMatchObject({ students: [{ username: 'sam' }] });
    // The student does step 1 in their lab, then checks.
    for (const ns of ['ns1', 'ns2']) await execInLab(lab, LAB_HOST, ['ip', 'netns', 'add', ns]);
    const sent = performance.now();
    const r = await api('sameStudent', 'POST', `/labs/${lab}/guide/check`, {});
    const answered = performance.now();
    expect(r.json()).toMatchObject({ passed: ['namespaces'], current: { step: 'veth' } });
    const push = await live.next((m) => m.type === 'row' && m.row?.cells[0]?.state === 'done', sent);
    expect(push.m.row).toMatchObject({ username: 'sam', cells: [{ state: 'done' }, { step: 'veth', state: 'failing' }, { state: 'idle' }, { state: 'idle' }, { state: 'idle' }] });
    console.log(`live grid: check request -> row pushed ${(push.at - sent).toFixed(1)} ms (the check itself took ${(answered - sent).toFixed(1)} ms; push ${(push.at - answered).toFixed(1)} ms after its answer)`);
    expect(push.at - answered).toBeLessThan(1000);
    // No new check, time passes: with a short "stuck" the cell turns stuck by itself.
    ws.terminate();
    const live2 = await openWS(`/api/v1/classes/${people.classId}/assignments/${assignment}/live?stuckMinutes=0.01`, 'instructor', (w) => new Live(w));
    const ws2 = live2.ws;
    const stuck = await live2.next((m) => m.type === 'row' && m.row?.cells[1]?.state === 'stuck', 0, 5000);
    expect(stuck.m.row!.cells[1]).toMatchObject({ step: 'veth', state: 'stuck', check: expect.stringContaining('veth-01') });
    ws2.terminate();
  });

  it('grid states: stuck is the same check failing for N minutes (configurable); checking again does not restart it', async () => {
    await new Promise((r) => setTimeout(r, 700));
    const at = (q: string) => api('instructor', 'GET', `/classes/${people.classId}/assignments/${assignment}/grid${q}`);
    const before = (await at('?stuckMinutes=0.01')).json().students[0].cells[1];
    expect(before).toMatchObject({ state: 'stuck', since: expect.any(String), attempts: 1 });
    expect((await at('')).json().students[0].cells[1]).toMatchObject({ state: 'failing' });
    expect((await at('?stuckMinutes=0')).json()).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('stuckMinutes') });
    // Half of step 2 and a new check: the same check still fails, so it is stuck since the first failure.
    await execInLab(lab, LAB_HOST, ['ip', 'link', 'add', 'veth-01', 'type', 'veth', 'peer', 'name', 'veth-10']);
    await execInLab(lab, LAB_HOST, ['ip', 'link', 'set', 'veth-01', 'netns', 'ns1']);
    const again = await api('sameStudent', 'POST', `/labs/${lab}/guide/check`, {});
    // The hint the lab's author wrote for this mistake was shown, and counted.
    expect(again.json().results[0].checks[0].hints.join(' ')).toContain('veth-10 is still in the lab host');
    const cell = (await at('?stuckMinutes=0.01')).json().students[0].cells[1];
    expect(cell).toMatchObject({ state: 'stuck', attempts: 2, since: before.since, check: before.check });
    expect(cell.hintsShown).toBeGreaterThan(before.hintsShown);
  });

  it('exports the progress as JSON (grid and every check) and CSV (formulas in names neutralised)', async () => {
    c.classroom.db.prepare('UPDATE users SET display_name = ? WHERE id = ?').run('=HYPERLINK("http://evil")', people.ids.sameStudent);
    const j = await api('instructor', 'GET', `/classes/${people.classId}/assignments/${assignment}/progress?format=json`);
    expect(j.headers['content-disposition']).toContain(`assignment-${assignment}-veth-pair-progress.json`);
    const body = j.json();
    expect(body.students).toMatchObject([{ username: 'sam', cells: [{ state: 'done' }, { state: 'failing' }, { state: 'idle' }, { state: 'idle' }, { state: 'idle' }] }]);
    expect(body.checks.map((x: { step: string; ok: boolean; username: string }) => `${x.username}:${x.step}:${x.ok}`)).toEqual(['sam:namespaces:false', 'sam:namespaces:true', 'sam:veth:false', 'sam:veth:false']);
    const csv = await api('instructor', 'GET', `/classes/${people.classId}/assignments/${assignment}/progress?format=csv`);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('assignment,lab,username,display_name,lab_name,started_at,step,state,failing_check,since,attempts,hints_shown');
    expect(lines).toHaveLength(1 + 5);
    expect(lines[1]).toMatch(new RegExp(`^${assignment},veth-pair,sam,"'=HYPERLINK\\(""http://evil""\\)",${lab},[^,]+,namespaces,done,,[^,]+,2,\\d+$`));
    expect(lines[2]).toContain(',veth,failing,');
    expect((await api('instructor', 'GET', `/classes/${people.classId}/assignments/${assignment}/progress?format=xml`)).statusCode).toBe(400);
  });

  it('an instructor joins a student\'s terminal read-only: sees it, cannot type, the student is told', async () => {
    const student = await openWS(`/api/v1/labs/${lab}/nodes/${LAB_HOST}/terminal`, 'sameStudent', (w) => new Term(w));
    student.frame(TerminalOpcode.RESIZE, JSON.stringify({ columns: 100, rows: 30 }));
    await student.run('echo before-watch');
    const list = (await api('instructor', 'GET', `/labs/${lab}/terminals`)).json().terminals;
    expect(list).toEqual([{ session: student.session, node: LAB_HOST, attached: true, watchers: 0 }]);
    // Not for another class's instructor, nor another student.
    for (const who of ['otherInstructor', 'otherStudent'] as const) {
      await expect(c.s.app.injectWS(`/api/v1/labs/${lab}/terminals/${student.session}/watch`, { headers: headers(who) })).rejects.toThrow(/404/);
    }
    const watcher = await openWS(`/api/v1/labs/${lab}/terminals/${student.session}/watch`, 'instructor', (w) => new Term(w));
    await watcher.waitFor(/before-watch/);
    expect(watcher.session).toBe(student.session);
    await student.waitFor(/\[nslab\] instructor ines is watching this terminal \(read-only\)/);
    // The watcher types: refused, said to the watcher, and nothing reaches the shell.
    watcher.type('touch /tmp/nslab-watch-pwned; echo PWNED\r');
    await watcher.waitFor(/read-only: what you type is not sent/);
    const out = await student.run('echo after-watch; test -e /tmp/nslab-watch-pwned && echo FILE-EXISTS || echo no-file');
    expect(out).toContain('no-file');
    expect(student.text).not.toContain('PWNED');
    await watcher.waitFor(/after-watch/);
    expect((await api('instructor', 'GET', `/labs/${lab}/terminals`)).json().terminals[0].watchers).toBe(1);
    watcher.ws.close();
    await student.waitFor(/instructor ines stopped watching/);
    student.ws.close(1000);
  });

  it('reset redeploys the student\'s copy from the guided start; the row starts over (pushed live), history stays', async () => {
    const live = await openWS(`/api/v1/classes/${people.classId}/assignments/${assignment}/live`, 'instructor', (w) => new Live(w));
    const ws = live.ws;
    await live.next((m) => m.type === 'grid', 0);
    expect((await inspectLab(lab)).nodes.map((n) => n.name)).toEqual(expect.arrayContaining(['ns1', 'ns2']));
    const term = await openWS(`/api/v1/labs/${lab}/nodes/${LAB_HOST}/terminal`, 'sameStudent', (w) => new Term(w));
    term.frame(TerminalOpcode.RESIZE, JSON.stringify({ columns: 100, rows: 30 }));
    await term.run('echo ready');
    const nobody = await api('instructor', 'POST', `/classes/${people.classId}/assignments/${assignment}/students/olga/reset`, {});
    expect(nobody.json()).toMatchObject({ code: 'STUDENT_NOT_FOUND', field: 'student' });
    const sent = performance.now();
    const r = await api('instructor', 'POST', `/classes/${people.classId}/assignments/${assignment}/students/sam/reset`, {});
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ reset: lab, student: 'sam' });
    expect((await inspectLab(lab)).nodes.map((n) => n.name)).not.toContain('ns1');
    // The student's terminal ended saying who reset the lab.
    await term.closed;
    expect(term.exit?.reason).toBe('instructor ines reset this lab to the start of the assignment');
    const push = await live.next((m) => m.type === 'row' && m.row?.cells.every((x) => x.state === 'idle') === true, sent);
    expect(push.m.row).toMatchObject({ username: 'sam', lab });
    expect((await api('sameStudent', 'GET', `/labs/${lab}/guide`)).json()).toMatchObject({ passed: [], current: { step: 'namespaces' } });
    // The history is kept for the export.
    expect((await api('instructor', 'GET', `/classes/${people.classId}/assignments/${assignment}/progress`)).json().checks).toHaveLength(4);
    ws.terminate();
  });
});
