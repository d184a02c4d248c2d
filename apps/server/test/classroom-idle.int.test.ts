// Idle labs against a real classroom server and real labs, with a short idle time (1.5 s): a
// student's lab with no client is stopped (saved), its addresses and iptables rules come back when
// its owner opens it again, and its terminals open again; a lab with an open terminal, and an
// instructor's lab, are left running; nobody but the owner brings a stopped lab back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { destroyLab, findSandbox, labStore } from '@nslab/driver';
import { TerminalOpcode } from '@nslab/protocol';
import { cast, classroomServer, SAME_ORIGIN, type Cast, type ClassroomServer, type Who } from './classroom-fixture.ts';
import { Term } from './terminal-client.ts';

const IDLE_MS = 1500;
let c: ClassroomServer;
let people: Cast;
let port = 0;
const made = new Set<string>();

beforeAll(async () => {
  c = await classroomServer({ signInPerMinute: 10_000, idleStopMs: IDLE_MS, idleSweepMs: 250 }, { mutationsPerMinute: 10_000 });
  people = await cast(c);
  await c.s.app.listen({ host: '127.0.0.1', port: 0 });
  port = (c.s.app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await c?.close();
  for (const name of made) {
    if (findSandbox(name)) await destroyLab(name);
    labStore.remove(name);
  }
});

const headers = (who: Who) => ({ ...SAME_ORIGIN, ...(people.cookie[who] ? { cookie: people.cookie[who] } : {}) });
const api = (who: Who, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  c.s.app.inject({ method, url: `/api/v1${url}`, headers: headers(who), ...(payload ? { payload } : {}) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function create(who: Who, typed: string, net: number): Promise<string> {
  const yaml = `name: ${typed}\nnodes:\n  n1:\n    interfaces:\n      eth0: { addresses: [10.${net}.0.1/24] }\n  n2:\n    interfaces:\n      eth0: { addresses: [10.${net}.0.2/24] }\nlinks:\n  - endpoints: ["n1:eth0", "n2:eth0"]\n`;
  const r = await api(who, 'POST', '/labs', { name: typed, yaml });
  expect(r.statusCode, r.body).toBe(201);
  made.add(r.json().name);
  return r.json().name;
}

async function terminal(who: Who, lab: string, node: string): Promise<Term> {
  const origin = `http://127.0.0.1:${port}`;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/labs/${lab}/nodes/${node}/terminal`, { headers: { origin, cookie: people.cookie[who] } });
  const t = new Term(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  t.frame(TerminalOpcode.RESIZE, JSON.stringify({ columns: 120, rows: 30 }));
  return t;
}

async function until(what: string, pred: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

describe('idle labs', () => {
  let idle = '';
  let busy = '';
  let teacher = '';
  let term: Term;

  it('a student\'s lab with no client is stopped and saved; one with an open terminal and an instructor\'s are not', async () => {
    idle = await create('sameStudent', 'qidle', 71);
    busy = await create('sameStudent', 'qbusy', 72);
    teacher = await create('instructor', 'qteach', 73);
    // State the kernel holds that a restore must bring back: an address added after the deploy, and a rule.
    expect((await api('sameStudent', 'POST', `/labs/${idle}/nodes/n1/interfaces/eth0/addresses`, { address: '10.71.9.9/24' })).statusCode).toBe(201);
    // The last request on it starts at t0: it may not stop before t0 + IDLE_MS.
    const t0 = Date.now();
    const rule = await api('sameStudent', 'POST', `/labs/${idle}/nodes/n2/exec`, { argv: ['iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '2222', '-j', 'DROP'] });
    expect(rule.json(), rule.body).toMatchObject({ code: 0 });
    term = await terminal('sameStudent', busy, 'n1');
    await term.waitFor(/# $/);
    await until('the idle lab is stopped', () => findSandbox(idle) === null, 15_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(IDLE_MS);
    expect(labStore.loadTopology(idle)).not.toBeNull();
    expect(c.s.idle!.wasStoppedIdle(idle)).toBe(true);
    // Two more idle periods: the lab with a terminal and the instructor's lab still run.
    await sleep(2 * IDLE_MS);
    expect(findSandbox(busy)).not.toBeNull();
    expect(findSandbox(teacher)).not.toBeNull();
    expect((await term.run('echo still-here')).includes('still-here')).toBe(true);
  });

  it('nobody but its owner brings it back: another student gets the 404 of a missing lab, its instructor the saved lab', async () => {
    const other = await api('otherStudent', 'GET', `/labs/${idle}`);
    expect(other.statusCode).toBe(404);
    const ines = await api('instructor', 'GET', `/labs/${idle}`);
    expect(ines.statusCode).toBe(404);
    expect(ines.json().message).toMatch(/saved but not running/);
    expect(findSandbox(idle)).toBeNull();
  });

  it('the owner opening it redeploys it from the saved topology: address and iptables rule back, terminals open again', async () => {
    const r = await api('sameStudent', 'GET', `/labs/${idle}`);
    expect(r.statusCode, r.body).toBe(200);
    expect(findSandbox(idle)).not.toBeNull();
    expect(c.s.idle!.wasStoppedIdle(idle)).toBe(false);
    const n1 = r.json().nodes.find((n: { name: string }) => n.name === 'n1');
    expect(n1.interfaces.find((i: { name: string }) => i.name === 'eth0').addresses).toEqual(expect.arrayContaining(['10.71.0.1/24', '10.71.9.9/24']));
    const rules = await api('sameStudent', 'POST', `/labs/${idle}/nodes/n2/exec`, { argv: ['iptables', '-S', 'INPUT'] });
    expect(rules.json().stdout).toContain('-A INPUT -p tcp -m tcp --dport 2222 -j DROP');
    const t = await terminal('sameStudent', idle, 'n1');
    await t.waitFor(/# $/);
    expect(await t.run('ping -c 1 -W 2 10.71.0.2')).toMatch(/1 received/);
    t.ws.close(1000);
    await t.closed;
    term.ws.close(1000);
    await term.closed;
  });

  it('the events socket alone brings it back too, and keeps it from stopping while open', async () => {
    await until('the idle lab is stopped again', () => findSandbox(idle) === null, 15_000);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/labs/${idle}/events`, { headers: { origin: `http://127.0.0.1:${port}`, cookie: people.cookie.sameStudent } });
    const first = new Promise<{ type: string }>((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'hello', version: 1 }));
    expect((await first).type).toBe('snapshot');
    await sleep(2 * IDLE_MS);
    expect(findSandbox(idle)).not.toBeNull();
    ws.close();
  });
});
