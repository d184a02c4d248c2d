// Uploaded lab folders against a real server, database and kernel: an instructor uploads a lab,
// publishes it, a student starts their copy, reads its guide and passes a step exactly as with a
// catalog lab; who may see and delete an upload; hostile uploads refused over HTTP with the field
// and rule named and nothing left on disk.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyLab, detectCapabilities, execInLab, findSandbox } from '@nslab/driver';
import { CAPABILITIES } from '@nslab/model';
import { cast, classroomServer, SAME_ORIGIN, type Cast, type ClassroomServer, type Who } from './classroom-fixture.ts';

const uploads = mkdtempSync(join(tmpdir(), 'nslab-uploads-int-'));
const before = process.env.NSLAB_UPLOADS_DIR;
process.env.NSLAB_UPLOADS_DIR = uploads;

let c: ClassroomServer;
let people: Cast;
const made: string[] = [];

beforeAll(async () => {
  c = await classroomServer({ signInPerMinute: 10_000 }, { mutationsPerMinute: 10_000 });
  people = await cast(c);
});

afterAll(async () => {
  await c?.close();
  for (const name of made) if (findSandbox(name)) await destroyLab(name);
  rmSync(uploads, { recursive: true, force: true });
  if (before === undefined) delete process.env.NSLAB_UPLOADS_DIR;
  else process.env.NSLAB_UPLOADS_DIR = before;
});

const headers = (who: Who) => ({ ...SAME_ORIGIN, ...(people.cookie[who] ? { cookie: people.cookie[who] } : {}) });
const api = (who: Who, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  c.s.app.inject({ method, url: `/api/v1${url}`, headers: headers(who), ...(payload ? { payload } : {}) });
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
const onDisk = () => readdirSync(uploads).sort();

const LAB = `title: Two namespaces, uploaded
summary: Make a namespace next to the one given.
requires: [veth]
topology: topology.yaml
steps:
  - id: make-ns
    title: Make namespace up2
    doc: steps/01.md
    checks:
      - namespace: up2
    solution:
      - ip netns add up2
  - id: link
    title: Join them
    doc: steps/02.md
    checks:
      - check: { peer: { a: { node: up1, interface: v1 }, b: { node: up2, interface: v2 } } }
`;
const files = (): Record<string, string> => ({
  'lab.yaml': LAB,
  'topology.yaml': 'nodes:\n  up1: {}\n',
  'steps/01.md': '# Make up2\n\n    ip netns add up2\n',
  'steps/02.md': '# Join them\n',
});

describe('an uploaded lab, from upload to a passed step', () => {
  let id = '';
  let assignment = 0;
  let copy = '';

  it('an instructor uploads a folder: kept under an upload/ id, listed for them and an admin only', async () => {
    const r = await api('instructor', 'POST', '/lab-uploads', { name: 'two-ns', files: files() });
    expect(r.statusCode, r.body).toBe(201);
    id = r.json().id;
    expect(id).toMatch(/^upload\/two-ns-[0-9a-f]{16}$/);
    expect(r.json()).toMatchObject({ owner: 'ines', title: 'Two namespaces, uploaded', files: 4, assignments: [], lab: { steps: [{ id: 'make-ns' }, { id: 'link' }] } });
    expect(onDisk()).toEqual([id.slice('upload/'.length)]);
    const list = async (who: Who) => (await api(who, 'GET', '/lab-uploads')).json().uploads?.map((u: { id: string }) => u.id);
    expect(await list('instructor')).toEqual([id]);
    expect(await list('admin')).toEqual([id]);
    expect(await list('otherInstructor')).toEqual([]);
    expect((await api('sameStudent', 'GET', '/lab-uploads')).statusCode).toBe(403);
    expect((await api('anonymous', 'GET', '/lab-uploads')).statusCode).toBe(401);
  });

  it('the same folder again is a duplicate; another instructor uploading it gets their own', async () => {
    const again = await api('instructor', 'POST', '/lab-uploads', { name: 'two-ns', files: files() });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'UPLOAD_EXISTS', field: 'files', id });
    const theirs = await api('otherInstructor', 'POST', '/lab-uploads', { name: 'two-ns', files: files() });
    expect(theirs.statusCode, theirs.body).toBe(201);
    expect(theirs.json().id).not.toBe(id);
    const del = await api('otherInstructor', 'DELETE', `/lab-uploads/${theirs.json().id.slice('upload/'.length)}`, {});
    expect(del.json()).toEqual({ deleted: theirs.json().id });
    expect(onDisk()).toEqual([id.slice('upload/'.length)]);
  });

  it("another instructor can neither publish nor delete it (404 as for a made-up id); a student can't touch uploads", async () => {
    const pub = await api('otherInstructor', 'POST', `/classes/${people.otherClassId}/assignments`, { lab: id, closesAt: iso(3600_000) });
    expect(pub.statusCode).toBe(404);
    expect(pub.json()).toMatchObject({ code: 'UPLOAD_NOT_FOUND', field: 'lab' });
    const made = await api('otherInstructor', 'POST', `/classes/${people.otherClassId}/assignments`, { lab: 'upload/made-up-0123456789abcdef', closesAt: iso(3600_000) });
    expect(made.json()).toEqual({ ...pub.json(), message: pub.json().message.replace(id, 'upload/made-up-0123456789abcdef') });
    const del = await api('otherInstructor', 'DELETE', `/lab-uploads/${id.slice('upload/'.length)}`, {});
    expect(del.statusCode).toBe(404);
    expect(del.json().code).toBe('UPLOAD_NOT_FOUND');
    for (const who of ['sameStudent', 'otherStudent'] as const) {
      expect((await api(who, 'POST', '/lab-uploads', { name: 'evil', files: files() })).statusCode).toBe(403);
      expect((await api(who, 'DELETE', `/lab-uploads/${id.slice('upload/'.length)}`, {})).statusCode).toBe(403);
    }
    expect(onDisk()).toEqual([id.slice('upload/'.length)]);
  });

  it('the instructor publishes it; the student starts a copy, sees its guide, fails then passes a step; the grid shows it', async () => {
    const pub = await api('instructor', 'POST', `/classes/${people.classId}/assignments`, { lab: id, closesAt: iso(3600_000) });
    expect(pub.statusCode, pub.body).toBe(201);
    expect(pub.json()).toMatchObject({ lab: id, title: 'Two namespaces, uploaded', uploaded: true, window: 'open' });
    assignment = pub.json().id;
    const mine = await api('sameStudent', 'GET', `/assignments/${assignment}`);
    expect(mine.json().steps.map((s: { id: string }) => s.id)).toEqual(['make-ns', 'link']);
    const start = await api('sameStudent', 'POST', `/assignments/${assignment}/start`, {});
    expect(start.statusCode, start.body).toBe(201);
    copy = start.json().name;
    made.push(copy);
    expect(copy).toBe(`u${people.ids.sameStudent}-two-ns-a${assignment}`);
    const guide = await api('sameStudent', 'GET', `/labs/${copy}/guide`);
    expect(guide.json()).toMatchObject({ guide: id, title: 'Two namespaces, uploaded', passed: [], current: { step: 'make-ns' } });
    expect(guide.json().steps[0].markdown).toContain('ip netns add up2');
    const fail = await api('sameStudent', 'POST', `/labs/${copy}/guide/check`, {});
    expect(fail.json().results[0]).toMatchObject({ step: 'make-ns', ok: false });
    // The student's own command, in their lab (as their terminal would).
    const ran = await execInLab(copy, 'host', ['ip', 'netns', 'add', 'up2']);
    expect(ran.code).toBe(0);
    const pass = await api('sameStudent', 'POST', `/labs/${copy}/guide/check`, {});
    expect(pass.json().passed).toEqual(['make-ns']);
    const grid = await api('instructor', 'GET', `/classes/${people.classId}/assignments/${assignment}/grid`);
    const row = grid.json().students.find((s: { username: string }) => s.username === 'sam');
    expect(row.cells.map((x: { state: string }) => x.state)).toEqual(['done', expect.stringMatching(/idle|failing/)]);
    // Solutions stay hidden for an uploaded lab's copy too.
    expect((await api('sameStudent', 'POST', `/labs/${copy}/guide/solve`, {})).json().code).toBe('SOLUTIONS_HIDDEN');
  });

  it('an upload an assignment was published from cannot be deleted; the account that uploaded it is in use', async () => {
    const del = await api('instructor', 'DELETE', `/lab-uploads/${id.slice('upload/'.length)}`, {});
    expect(del.statusCode).toBe(409);
    expect(del.json()).toMatchObject({ code: 'UPLOAD_IN_USE', field: 'upload', assignments: [assignment] });
    expect(c.classroom.accounts.inUse(people.ids.instructor)).toMatch(/1 uploaded lab/);
    expect(onDisk()).toEqual([id.slice('upload/'.length)]);
  });
});

describe('hostile uploads over HTTP: refused with the field and the rule, nothing on disk', () => {
  const refuse = async (payload: object, status: number, extra: Record<string, string> = {}) => {
    const was = onDisk();
    const r = await c.s.app.inject({ method: 'POST', url: '/api/v1/lab-uploads', headers: { ...headers('instructor'), ...extra }, payload: payload as Record<string, unknown> });
    expect(r.statusCode, r.body).toBe(status);
    expect(onDisk()).toEqual(was);
    return r.json() as { code: string; field?: string; message: string; issues?: { field: string; rule: string }[] };
  };

  it('paths out of the folder, links it cannot express, too many and too big files', async () => {
    const traversal = await refuse({ name: 'evil', files: { ...files(), '../../etc/cron.d/x.yaml': 'x', '/root/.ssh/authorized_keys.md': 'x', 'steps\\..\\x.md': 'x' } }, 400);
    expect(traversal.code).toBe('INVALID_LAB');
    expect(traversal.issues!.map((i) => `${i.field} ${i.rule}`)).toEqual(['files["../../etc/cron.d/x.yaml"] path-traversal', 'files["/root/.ssh/authorized_keys.md"] absolute-path', 'files["steps\\\\..\\\\x.md"] path-separator']);
    expect(traversal.message).toContain('3 problems in the lab folder');
    // A "symlink" is only text here: there is no way to send one. A name is a name.
    const many: Record<string, string> = { ...files() };
    for (let i = 0; i < 70; i++) many[`f${i}.md`] = 'x';
    expect((await refuse({ name: 'evil', files: many }, 400)).issues).toEqual([expect.objectContaining({ field: 'files', rule: 'file-count' })]);
    const big = await refuse({ name: 'evil', files: { ...files(), 'big.md': 'x'.repeat(300 * 1024) } }, 400);
    expect(big.issues).toEqual([expect.objectContaining({ field: 'files["big.md"]', rule: 'file-size' })]);
    const notObject = await refuse({ name: 'evil', files: ['lab.yaml'] }, 400);
    expect(notObject.issues![0]).toMatchObject({ field: 'files', rule: 'type' });
    const badName = await refuse({ name: '../../x', files: files() }, 400);
    expect(badName.field).toBe('name');
  });

  it('a body past the limit is 413 before it is parsed; a compressed one is 415, never expanded', async () => {
    const huge = { name: 'evil', files: { ...files(), 'a.md': 'x'.repeat(3 * 1024 * 1024) } };
    const r = await refuse(huge, 413);
    expect(r.code).toMatch(/TOO_LARGE|BODY/);
    const gz = gzipSync(JSON.stringify({ name: 'evil', files: { ...files(), 'bomb.md': 'x'.repeat(50 * 1024 * 1024) } }));
    const was = onDisk();
    const z = await c.s.app.inject({ method: 'POST', url: '/api/v1/lab-uploads', headers: { ...headers('instructor'), 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: gz });
    expect(z.statusCode).toBe(415);
    expect(z.json().code).toBe('UNSUPPORTED_ENCODING');
    expect(onDisk()).toEqual(was);
  });

  it('a YAML alias bomb, a node name iproute2 reads as a process, a prototype key', async () => {
    const bomb = `${LAB}x: &a [1,1,1,1,1,1,1,1,1,1]\n${Array.from({ length: 7 }, (_, i) => `x${i}: &${'b'.repeat(i + 1)} [${Array(10).fill(i === 0 ? '*a' : `*${'b'.repeat(i)}`).join(',')}]`).join('\n')}\n`;
    const y = await refuse({ name: 'evil', files: { ...files(), 'lab.yaml': bomb } }, 400);
    expect(y.issues![0]).toMatchObject({ field: 'lab.yaml', rule: 'yaml' });
    const digits = await refuse({ name: 'evil', files: { ...files(), 'topology.yaml': 'nodes:\n  "1": {}\n' } }, 400);
    expect(digits.field).toMatch(/^topology\.yaml: nodes/);
    const proto = await c.s.app.inject({ method: 'POST', url: '/api/v1/lab-uploads', headers: { ...headers('instructor'), 'content-type': 'application/json' }, payload: `{"name":"evil","files":{"lab.yaml":"x","__proto__":{"polluted":"yes"}}}` });
    expect(proto.statusCode).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a lab needing a kernel feature this machine lacks is refused naming the feature; one it has is kept', async () => {
    const report = await detectCapabilities();
    let refusedOnes = 0;
    for (const cap of CAPABILITIES) {
      const lab = { ...files(), 'lab.yaml': LAB.replace('requires: [veth]', `requires: [veth, ${cap}]`) };
      const r = await c.s.app.inject({ method: 'POST', url: '/api/v1/lab-uploads', headers: headers('instructor'), payload: { name: `needs-${cap.replace(/_/g, '-')}`.slice(0, 24), files: lab } });
      if (report[cap]?.ok) {
        expect(r.statusCode, `${cap}: ${r.body}`).toBe(201);
        expect((await api('instructor', 'DELETE', `/lab-uploads/${r.json().id.slice('upload/'.length)}`, {})).statusCode).toBe(200);
      } else {
        refusedOnes++;
        expect(r.statusCode, cap).toBe(422);
        expect(r.json()).toMatchObject({ code: 'LAB_NOT_RUNNABLE', field: cap === 'veth' ? 'lab.requires[0]' : 'lab.requires[1]', missing: [cap] });
        expect(r.json().message).toContain(cap);
      }
    }
    expect(refusedOnes).toBe(CAPABILITIES.filter((x) => !report[x]?.ok).length);
    expect(onDisk()).toHaveLength(1);
  });
});
