// Live counters over a real WebSocket against the real kernel: nothing runs until a client asks,
// counters move on a ping and stay flat when idle, one sampler serves every client, and it stops
// when the last client stops, leaves, or the lab goes.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { CountersMessage, ErrorMessage, ServerMessage } from '@nslab/protocol';
import { destroyLab, execInLab, getSandbox, listLabs } from '@nslab/driver';
import { buildApp, type NslabApp } from '../src/app.ts';
import { Inbox, TOKEN } from './helpers.ts';
import { counterSamplerPids, hostNetworkSnapshot } from '../../../test/helpers.ts';

const LAB = `sc-${process.pid.toString(36)}`;
const YAML = `
name: counters
nodes:
  ns1:
    interfaces:
      eth0: { addresses: [10.78.0.1/24] }
  ns2:
    interfaces:
      eth0: { addresses: [10.78.0.2/24] }
links:
  - endpoints: ["ns1:eth0", "ns2:eth0"]
`;

let s: NslabApp;
let base = '';
let before = '';
const sockets: WebSocket[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const samplers = () => counterSamplerPids(LAB);

async function waitUntil(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function client(): Promise<{ ws: WebSocket; inbox: Inbox }> {
  const url = new URL(base);
  const ws = new WebSocket(`ws://${url.host}/api/v1/labs/${LAB}/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
  sockets.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const inbox = new Inbox(ws);
  await inbox.next((m) => m.type === 'snapshot');
  return { ws, inbox };
}

const counters = (inbox: Inbox, pred: (m: CountersMessage) => boolean = () => true, ms = 5000) =>
  inbox.next<CountersMessage>((m) => m.type === 'counters' && pred(m), ms);
const countersCount = (inbox: Inbox) => inbox.messages.filter((m) => m.type === 'counters').length;

beforeAll(async () => {
  for (const sb of listLabs()) if (sb.name.startsWith('sc-')) await destroyLab(sb.name);
  before = hostNetworkSnapshot();
  s = await buildApp({ token: TOKEN });
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' }, payload: { name: LAB, yaml: YAML } });
  expect(r.statusCode, r.body).toBe(201);
  // IPv6 autoconfiguration would move the counters for a few seconds after link-up: off here.
  for (const ns of ['ns1', 'ns2']) {
    const x = await execInLab(LAB, ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
    expect(x.code, x.stderr).toBe(0);
  }
  await sleep(300);
});

afterAll(async () => {
  for (const ws of sockets) ws.close();
  await s?.app.close();
  for (const sb of listLabs()) if (sb.name.startsWith('sc-')) await destroyLab(sb.name);
  expect(hostNetworkSnapshot()).toBe(before);
});

describe('live counters on the events socket', () => {
  it('costs nothing until a client asks: no counters, no sampler process, no timer', async () => {
    const { inbox } = await client();
    await sleep(1500);
    expect(countersCount(inbox)).toBe(0);
    expect(samplers()).toEqual([]);
    const lab = await s.registry.get(LAB);
    expect(lab.countersPid).toBeUndefined();
  });

  it('sends a full sample, then only what changed: flat when idle, moving on a ping', async () => {
    const { ws, inbox } = await client();
    ws.send(JSON.stringify({ type: 'counters', on: true }));
    const first = await counters(inbox);
    expect(first.full).toBe(true);
    expect(Object.keys(first.nodes).sort()).toEqual(['host', 'ns1', 'ns2']);
    expect(first.nodes.ns1!.eth0).toMatchObject({ rxPackets: expect.any(Number), txBytes: expect.any(Number) });
    expect(samplers()).toHaveLength(1);

    // Idle: the next samples carry no namespace at all.
    const idle1 = await counters(inbox, (m) => m.time > first.time);
    const idle2 = await counters(inbox, (m) => m.time > idle1.time);
    for (const m of [idle1, idle2]) {
      expect(m.full).toBe(false);
      expect(m.nodes).toEqual({});
    }
    expect(idle2.time - idle1.time).toBeGreaterThanOrEqual(900);
    expect(idle2.time - idle1.time).toBeLessThan(2500);

    const p = await execInLab(LAB, 'ns1', ['ping', '-c', '3', '-i', '0.2', '-W', '1', '10.78.0.2']);
    expect(p.code, p.stderr).toBe(0);
    const moved = await counters(inbox, (m) => m.time > idle2.time && m.nodes.ns2 !== undefined);
    expect(moved.nodes.ns1!.eth0!.txPackets - first.nodes.ns1!.eth0!.txPackets).toBeGreaterThanOrEqual(3);
    expect(moved.nodes.ns2!.eth0!.rxPackets - first.nodes.ns2!.eth0!.rxPackets).toBeGreaterThanOrEqual(3);
    expect(moved.nodes.ns2!.eth0!.rxBytes - first.nodes.ns2!.eth0!.rxBytes).toBeGreaterThanOrEqual(3 * 98);
    // The lab host saw none of it.
    expect(moved.nodes.host).toBeUndefined();
    ws.close();
    await waitUntil(() => samplers().length === 0, 'the sampler to stop after the last client left');
  });

  it('shares one sampler between clients and stops it when the last one stops', async () => {
    const a = await client();
    const b = await client();
    a.ws.send(JSON.stringify({ type: 'counters', on: true }));
    await counters(a.inbox);
    b.ws.send(JSON.stringify({ type: 'counters', on: true }));
    const bFirst = await counters(b.inbox);
    expect(bFirst.full).toBe(true);
    expect(samplers()).toHaveLength(1);
    const pid = samplers()[0]!;

    a.ws.send(JSON.stringify({ type: 'counters', on: false }));
    await sleep(100);
    const aCount = countersCount(a.inbox);
    await counters(b.inbox, (m) => m.time > bFirst.time);
    await sleep(1200);
    expect(countersCount(a.inbox)).toBe(aCount);
    expect(samplers()).toEqual([pid]);

    b.ws.send(JSON.stringify({ type: 'counters', on: false }));
    await waitUntil(() => samplers().length === 0, 'the sampler to stop');
    const lab = await s.registry.get(LAB);
    expect(lab.countersPid).toBeUndefined();
    const bCount = countersCount(b.inbox);
    await sleep(1500);
    expect(countersCount(b.inbox)).toBe(bCount);

    // Asking again starts over with a full sample.
    b.ws.send(JSON.stringify({ type: 'counters', on: true }));
    const again = await counters(b.inbox, (m) => m.full && m.time > bFirst.time);
    expect(again.time).toBeGreaterThan(bFirst.time);
    expect(Object.keys(again.nodes).sort()).toEqual(['host', 'ns1', 'ns2']);
    a.ws.close();
    b.ws.close();
    await waitUntil(() => samplers().length === 0, 'the sampler to stop when its clients left');
  });

  it('refuses a malformed counters request, naming the field', async () => {
    const { ws, inbox } = await client();
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send(JSON.stringify({ type: 'counters', on: 'yes' }));
    const err = await inbox.next<ErrorMessage>((m: ServerMessage) => m.type === 'error');
    expect(err.code).toBe('BAD_MESSAGE');
    expect(err.message).toBe('on: must be true or false');
    expect(await closed).toBe(1008);
    expect(samplers()).toEqual([]);
  });

  it('stops the sampler when the lab is destroyed', async () => {
    const { ws, inbox } = await client();
    ws.send(JSON.stringify({ type: 'counters', on: true }));
    await counters(inbox);
    const [pid] = samplers();
    expect(pid).toBeGreaterThan(0);
    const sb = getSandbox(LAB);
    const r = await s.app.inject({ method: 'DELETE', url: `/api/v1/labs/${LAB}`, headers: { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' } });
    expect(r.statusCode, r.body).toBe(200);
    await inbox.next((m) => m.type === 'lab-destroyed');
    expect(sb.pids()).toEqual([]);
    // Gone, or a zombie its (outside) parent has not reaped yet: nothing that runs.
    const running = () => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return !/^\S+ \(.*\) [ZX] /.test(stat);
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && running(); i++) await new Promise((res) => setTimeout(res, 20));
    expect(running()).toBe(false);
  });
});
