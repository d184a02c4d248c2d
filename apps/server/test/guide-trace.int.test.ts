// A guided lab's trace step over the API, on the real kernel (the routing lab's last step: "where
// does ns1 send the ping first?"), against a hostile learner: no answer without a trace, none from a
// trace of another from/to or of another lab, bad shapes named by field, one answer per trace (a
// wrong guess needs a new trace), and a right answer against their own trace passes the step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { destroyLab, listLabs } from '@nslab/driver';
import Fastify from 'fastify';
import type { StepResult } from '@nslab/labs';
import { buildApp, type NslabApp } from '../src/app.ts';
import { guideRoutes } from '../src/routes/guide.ts';
import { AUTH, TOKEN } from './helpers.ts';

const LAB = 'gt-route';
const OTHER = 'gt-other';
let s: NslabApp;
const api = (method: 'GET' | 'POST', url: string, payload?: object) => s.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  for (const sb of listLabs()) if (sb.name.startsWith('gt-')) await destroyLab(sb.name);
  s = await buildApp({ token: TOKEN });
  expect((await api('POST', '/catalog/routing/start', { name: LAB })).statusCode).toBe(201);
  // Steps 1-3 done: ns1 reaches ns2 through the router.
  for (const step of [1, 2, 3]) expect((await api('POST', `/labs/${LAB}/guide/solve`, { step })).statusCode).toBe(200);
  expect((await api('POST', `/labs/${LAB}/guide/check`, {})).json()).toMatchObject({ passed: ['addresses', 'gateways', 'forwarding'], current: { index: 4, step: 'trace-hop' } });
  // Another learner's lab (not guided) with the same node names.
  const yaml = readFileSync(join(import.meta.dirname, '../../../labs/veth-pair/topology.yaml'), 'utf8');
  expect((await api('POST', '/labs', { name: OTHER, yaml })).statusCode).toBe(201);
}, 120_000);
afterAll(async () => {
  await s.app.close();
  for (const sb of listLabs()) if (sb.name.startsWith('gt-')) await destroyLab(sb.name);
});

const answer = (node: unknown, step = 4) => api('POST', `/labs/${LAB}/guide/answer`, { step, answer: { node } });

describe('a trace step over the API', () => {
  it('the guide sends the task and its question, never the answer', async () => {
    const g = (await api('GET', `/labs/${LAB}/guide`)).json();
    const step = g.steps[3];
    expect(step.trace).toMatchObject({ from: 'ns1', to: 'ns2', protocol: 'icmp', ask: { kind: 'next-hop-of', node: 'ns1' }, question: expect.stringContaining('ns1') });
    expect(step.checks.at(-1)).toContain('Trace ns1 → ns2');
    expect(Object.keys(step.trace).sort()).toEqual(['ask', 'from', 'protocol', 'question', 'to']); // no answer in it
  });

  it('refuses an answer without a trace, and one from a trace of another lab or another from/to', async () => {
    const none = await answer('router');
    expect(none.statusCode).toBe(409);
    expect(none.json()).toMatchObject({ code: 'NO_TRACE', field: 'step', message: expect.stringContaining('nslab trace gt-route ns1 ns2') });
    // The same trace in another lab is that lab's.
    expect((await api('POST', `/labs/${OTHER}/trace`, { from: 'ns1', to: 'ns2' })).statusCode).toBe(200);
    expect((await answer('router')).json().code).toBe('NO_TRACE');
    // Another from/to in this lab does not answer this question.
    expect((await api('POST', `/labs/${LAB}/trace`, { from: 'ns2', to: 'ns1' })).statusCode).toBe(200);
    const other = await answer('router');
    expect(other.statusCode).toBe(409);
    expect(other.json().message).toContain('starts in ns2');
    expect((await api('POST', `/labs/${LAB}/guide/check`, { step: 4 })).json().results[0].ok).toBe(false);
  }, 60_000);

  it('names the field of a bad answer', async () => {
    const bad = async (body: object) => (await api('POST', `/labs/${LAB}/guide/answer`, body)).json();
    expect(await bad({ step: 4, answer: { node: {} } })).toMatchObject({ code: 'BAD_REQUEST', field: expect.stringContaining('node') });
    expect(await bad({ step: 4, answer: { flooded: true, ports: ['eth0'] } })).toMatchObject({ code: 'BAD_ANSWER', field: 'answer.flooded' });
    expect(await bad({ step: 4, answer: { node: 'router', extra: 1 } })).toMatchObject({ code: 'BAD_REQUEST', field: expect.stringContaining('extra') });
    expect(await bad({ step: 1, answer: { node: 'router' } })).toMatchObject({ code: 'NOT_A_TRACE_STEP', field: 'step' });
    expect(await bad({ step: 9, answer: { node: 'router' } })).toMatchObject({ code: 'BAD_STEP', field: 'step' });
  });

  it('one answer per trace; a right answer against the learner\'s own trace passes the step', async () => {
    expect((await api('POST', `/labs/${LAB}/trace`, { from: 'ns1', to: 'ns2' })).statusCode).toBe(200);
    const wrong = await answer('ns2');
    expect(wrong.statusCode).toBe(200);
    expect(wrong.json()).toMatchObject({ ok: false, passed: ['addresses', 'gateways', 'forwarding'], text: expect.stringContaining('default via 10.1.1.1') });
    // Guessing again from the same trace is refused: trace again first.
    const again = await answer('router');
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'TRACE_USED', field: 'step' });
    expect((await api('POST', `/labs/${LAB}/trace`, { from: 'ns1', to: 'ns2' })).statusCode).toBe(200);
    const right = await answer('router');
    expect(right.json()).toMatchObject({ ok: true, done: true, passed: ['addresses', 'gateways', 'forwarding', 'trace-hop'], text: expect.stringMatching(/^Right: ns1 sent it to router/) });
    const g = (await api('GET', `/labs/${LAB}/guide`)).json();
    expect(g).toMatchObject({ done: true, answers: { 'trace-hop': { ok: true } } });
  }, 60_000);

  it('an answer is reported to the guide hooks as a check is (classroom mode records it for the lab\'s owner)', async () => {
    const seen: { lab: string; results: StepResult[] }[] = [];
    const hooked = Fastify();
    await hooked.register(guideRoutes, { registry: s.registry, mutationRate: 1000, hooks: { checked: (_req, lab, results) => seen.push({ lab, results }), beforeSolve: () => {} } });
    expect((await api('POST', `/labs/${LAB}/trace`, { from: 'ns1', to: 'ns2' })).statusCode).toBe(200);
    const r = await hooked.inject({ method: 'POST', url: `/labs/${LAB}/guide/answer`, payload: { step: 4, answer: { node: 'router' } } });
    expect(r.json()).toMatchObject({ ok: true });
    expect(seen).toMatchObject([{ lab: LAB, results: [{ step: 'trace-hop', ok: true }] }]);
    await hooked.close();
  }, 60_000);
});
