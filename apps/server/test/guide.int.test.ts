// Guided labs through the API: catalog, start, check with hints, solve, progress.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyLab, findSandbox } from '@nslab/driver';
import { buildApp, type NslabApp } from '../src/app.ts';
import { runCli } from '../../cli/src/cli.ts';
import { AUTH, TOKEN } from './helpers.ts';

let s: NslabApp;
beforeAll(async () => {
  if (findSandbox('s-guide')) await destroyLab('s-guide');
  s = await buildApp({ token: TOKEN });
});
afterAll(async () => {
  await s.app.close();
  if (findSandbox('s-guide')) await destroyLab('s-guide');
});

const api = (method: 'GET' | 'POST', url: string, payload?: object) =>
  s.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload ? { payload } : {}) });

describe('guided labs over the API', () => {
  it('lists the catalog with what this kernel lacks', async () => {
    const r = await api('GET', '/catalog');
    expect(r.statusCode).toBe(200);
    const labs = r.json().labs as { id: string; missing: string[]; tools: string[]; steps: { markdown: string; checks: string[] }[] }[];
    const veth = labs.find((l) => l.id === 'veth-pair')!;
    expect(veth.missing).toEqual([]);
    expect(veth).toMatchObject({ blocked: [], missingTools: [], problems: [] });
    // The commands a lab runs are listed with the catalog (a machine without one cannot run it).
    expect(labs.find((l) => l.id === 'nat')).toMatchObject({ tools: expect.arrayContaining(['socat', 'tcpdump', 'iptables']) });
    expect(veth.steps[0]!.markdown).toContain('ip netns add ns1');
    expect(veth.steps[0]!.checks).toContain('namespace ns1 exists');
    expect(labs.find((l) => l.id === 'vlan')).toBeDefined();
  });

  it('starts a lab, fails a step with hints, solves it, records progress', async () => {
    const start = await api('POST', '/catalog/veth-pair/start', { name: 's-guide' });
    expect(start.statusCode, start.body).toBe(201);
    const before = await api('POST', '/labs/s-guide/guide/check', { step: 1 });
    expect(before.json().results[0].ok).toBe(false);
    expect(before.json().results[0].checks[0].hints).toContain('ip netns add ns1');
    expect((await api('POST', '/labs/s-guide/guide/solve', { step: 1 })).json().solved).toEqual(['namespaces']);
    const after = await api('POST', '/labs/s-guide/guide/check', { step: 1 });
    expect(after.json().results[0].ok).toBe(true);
    expect(after.json()).toMatchObject({ passed: ['namespaces'], current: { index: 2, step: 'veth' }, done: false });
    expect((await api('GET', '/labs/s-guide/guide')).json()).toMatchObject({ passed: ['namespaces'], current: { index: 2, step: 'veth' }, done: false });
    // The progress is the lab's, not the page's: `nslab lab check` sees step 1 done and moves on.
    let out = '';
    const code = await runCli(['lab', 'check', 's-guide'], { out: (t) => (out += t), err: (t) => (out += t) });
    expect(code, out).toBe(1);
    expect(out).toMatch(/^done {2}step 1: .* \(passed earlier\)$/m);
    expect(out).toMatch(/^FAIL {2}step 2: /m);
    expect(out).toContain('current step: 2 of 5');
    // Solving it twice: the kernel refuses, and says so.
    const again = await api('POST', '/labs/s-guide/guide/solve', { step: 1 });
    expect(again.statusCode).toBe(422);
    expect(again.json().message).toContain('File exists');
  });

  it('answers {guide: null} for a lab not started from the catalog', async () => {
    expect((await api('POST', '/labs', { name: 's-plain' })).statusCode).toBe(201);
    const r = await api('GET', '/labs/s-plain/guide');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ guide: null });
    await destroyLab('s-plain');
    expect((await api('GET', '/labs/s-plain/guide')).statusCode).toBe(404);
  });

  it('rejects unknown catalog labs and hostile names', async () => {
    expect((await api('POST', '/catalog/nope/start', {})).statusCode).toBe(404);
    expect((await api('POST', '/catalog/..%2F..%2Fetc/start', {})).statusCode).toBe(404);
    const bad = await api('POST', '/catalog/veth-pair/start', { name: 'a;b' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('name');
  });
});
