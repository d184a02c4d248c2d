// Per-student quotas against a real classroom server, database and labs: running labs,
// namespaces summed over a student's labs (deploys and the editor's add-node), terminals and
// captures over all of them. Each refusal names the quota and how to make room, and room made
// is room given back; an instructor is not held to a student's quota.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { destroyLab, findSandbox, labStore } from '@nslab/driver';
import { TerminalOpcode } from '@nslab/protocol';
import { cast, classroomServer, SAME_ORIGIN, type Cast, type ClassroomServer, type Who } from './classroom-fixture.ts';
import { Term } from './terminal-client.ts';

let c: ClassroomServer;
let people: Cast;
let port = 0;
const made = new Set<string>();

const two = (name: string, net: number) => `
name: ${name}
nodes:
  n1:
    interfaces:
      eth0: { addresses: [10.${net}.0.1/24] }
  n2:
    interfaces:
      eth0: { addresses: [10.${net}.0.2/24] }
links:
  - endpoints: ["n1:eth0", "n2:eth0"]
`;

beforeAll(async () => {
  c = await classroomServer({ signInPerMinute: 10_000, quotas: { labs: 2, namespaces: 5, terminals: 2, captures: 1 }, idleStopMs: 0 }, { mutationsPerMinute: 10_000 });
  people = await cast(c);
  await c.s.app.listen({ host: '127.0.0.1', port: 0 });
  port = (c.s.app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await c?.close();
  for (const name of made) {
    if (findSandbox(name)) await destroyLab(name);
    // Stopped ones keep their data: gone too.
    labStore.remove(name);
  }
});

const headers = (who: Who) => ({ ...SAME_ORIGIN, ...(people.cookie[who] ? { cookie: people.cookie[who] } : {}) });
const api = (who: Who, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  c.s.app.inject({ method, url: `/api/v1${url}`, headers: headers(who), ...(payload ? { payload } : {}) });

async function create(who: Who, typed: string, net: number) {
  const r = await api(who, 'POST', '/labs', { name: typed, yaml: two(typed, net) });
  if (r.statusCode === 201) made.add(r.json().name);
  return r;
}

async function terminal(who: Who, lab: string, node: string): Promise<Term> {
  const origin = `http://127.0.0.1:${port}`;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/labs/${lab}/nodes/${node}/terminal`, { headers: { origin, cookie: people.cookie[who] } });
  const t = new Term(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  t.frame(TerminalOpcode.RESIZE, JSON.stringify({ columns: 100, rows: 30 }));
  return t;
}

describe('per-student quotas', () => {
  const lab = (typed: string) => `u${people.ids.sameStudent}-${typed}`;

  it('labs: a third running lab is a 429 naming the quota, the labs and how to make room; a stopped one gives it back', async () => {
    expect((await create('sameStudent', 'qta', 61)).statusCode).toBe(201);
    expect((await create('sameStudent', 'qtb', 62)).statusCode).toBe(201);
    const third = await create('sameStudent', 'qtc', 63);
    expect(third.statusCode).toBe(429);
    expect(third.json()).toMatchObject({ code: 'QUOTA_LABS', message: expect.stringMatching(/at most 2 running labs per student \(you have 2: qta, qtb\); stop one .* or destroy one/) });
    expect(findSandbox(lab('qtc'))).toBeNull();
    // Another student is not counted against sam.
    const other = await create('otherStudent', 'qta', 64);
    expect(other.statusCode, other.body).toBe(201);
    // Stopped (kept): room again, and starting the stopped one is then what is refused.
    expect((await api('sameStudent', 'DELETE', `/labs/${lab('qtb')}?keep=true`)).statusCode).toBe(200);
    expect((await create('sameStudent', 'qtc', 63)).statusCode).toBe(201);
    const again = await api('sameStudent', 'POST', `/labs/${lab('qtb')}/start`);
    expect(again.statusCode).toBe(429);
    expect(again.json().code).toBe('QUOTA_LABS');
  });

  it('namespaces: summed over the running labs; the editor\'s add-node is a 403 naming the quota once at 5', async () => {
    // qta (2) + qtc (2) = 4: one more fits, the next does not.
    const ok = await api('sameStudent', 'POST', `/labs/${lab('qta')}/nodes`, { name: 'n3' });
    expect(ok.statusCode, ok.body).toBe(201);
    const over = await api('sameStudent', 'POST', `/labs/${lab('qtc')}/nodes`, { name: 'n3' });
    expect(over.statusCode).toBe(403);
    expect(over.json()).toMatchObject({ code: 'QUOTA_NAMESPACES', field: 'nodes', message: expect.stringMatching(/at most 5 namespaces .* \(you have 5, this would add 1\); delete namespaces, or stop or destroy a lab/) });
    // The generic edit route is held too.
    const viaEdit = await api('sameStudent', 'POST', `/labs/${lab('qtc')}/edits`, { edit: { kind: 'add-node', name: 'n4' } });
    expect(viaEdit.json().code).toBe('QUOTA_NAMESPACES');
    // Room made by deleting one: the add goes through.
    expect((await api('sameStudent', 'DELETE', `/labs/${lab('qta')}/nodes/n3`)).statusCode).toBe(200);
    expect((await api('sameStudent', 'POST', `/labs/${lab('qtc')}/nodes`, { name: 'n3' })).statusCode).toBe(201);
    // A deploy that would pass the sum is refused whole: qtc stopped, then qta (2) + a 4-node lab.
    expect((await api('sameStudent', 'DELETE', `/labs/${lab('qtc')}?keep=true`)).statusCode).toBe(200);
    const big = await api('sameStudent', 'POST', '/labs', { name: 'qtd', yaml: `name: qtd\nnodes:\n  a: {}\n  b: {}\n  c: {}\n  d: {}\n` });
    expect(big.statusCode).toBe(403);
    expect(big.json().code).toBe('QUOTA_NAMESPACES');
    expect(findSandbox(lab('qtd'))).toBeNull();
  });

  it('an instructor is not held to the students\' quota', async () => {
    const r = await api('instructor', 'POST', '/labs', { name: 'qti', yaml: `name: qti\nnodes:\n  a: {}\n  b: {}\n  c: {}\n  d: {}\n  e: {}\n  f: {}\n` });
    expect(r.statusCode, r.body).toBe(201);
    made.add(r.json().name);
  });

  it('terminals: the third over the student\'s labs ends at once with QUOTA_TERMINALS; closing one makes room', async () => {
    expect((await api('sameStudent', 'POST', `/labs/${lab('qtb')}/start`)).statusCode).toBe(201);
    const t1 = await terminal('sameStudent', lab('qta'), 'n1');
    await t1.waitFor(/# $/);
    const t2 = await terminal('sameStudent', lab('qtb'), 'n1');
    await t2.waitFor(/# $/);
    const t3 = await terminal('sameStudent', lab('qta'), 'n2');
    expect(await t3.closed).toBe(1008);
    expect(t3.exit).toMatchObject({ error: 'QUOTA_TERMINALS', reason: expect.stringMatching(/at most 2 terminals .* \(you have 2\); close a terminal/) });
    t1.ws.close(1000);
    await t1.closed;
    // The shell ends a moment after its socket: the slot frees when it has.
    let t4: Term | undefined;
    for (let i = 0; i < 50 && !t4; i++) {
      const t = await terminal('sameStudent', lab('qta'), 'n2');
      const r = await Promise.race([t.waitFor(/# $/).then(() => 'open'), t.closed.then(() => 'closed')]);
      if (r === 'open') t4 = t;
      else await new Promise((res) => setTimeout(res, 100));
    }
    expect(t4).toBeDefined();
    for (const t of [t2, t4!]) {
      t.ws.close(1000);
      await t.closed;
    }
  });

  it('captures: a second one over the student\'s labs is a 429 QUOTA_CAPTURES; stopping the first makes room', async () => {
    const first = await api('sameStudent', 'POST', `/labs/${lab('qta')}/captures`, { node: 'n1', interface: 'eth0' });
    expect(first.statusCode, first.body).toBe(201);
    const second = await api('sameStudent', 'POST', `/labs/${lab('qtb')}/captures`, { node: 'n1', interface: 'eth0' });
    expect(second.statusCode).toBe(429);
    expect(second.json()).toMatchObject({ code: 'QUOTA_CAPTURES', message: expect.stringMatching(/at most 1 packet captures .* \(you have 1\); stop one first/) });
    expect((await api('sameStudent', 'POST', `/labs/${lab('qta')}/captures/${first.json().id}/stop`)).statusCode).toBe(200);
    const third = await api('sameStudent', 'POST', `/labs/${lab('qtb')}/captures`, { node: 'n1', interface: 'eth0' });
    expect(third.statusCode, third.body).toBe(201);
    await api('sameStudent', 'DELETE', `/labs/${lab('qtb')}/captures/${third.json().id}`);
  });
});
