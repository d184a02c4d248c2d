// A long grace period must not let vanished browser tabs use up a lab's terminals: at the cap, a
// new terminal takes the slot of the shell that has waited longest for its tab. Real shells.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { destroyLab, findSandbox, listLabs } from '@nslab/driver';
import { buildApp, type NslabApp } from '../src/app.ts';
import { AUTH, TOKEN } from './helpers.ts';
import { openTerminal, type Term } from './terminal-client.ts';

const LAB = 't-reclaim';
const root = join(import.meta.dirname, '../../..');
let s: NslabApp;
let base = '';

const open = (node: string, query = ''): Promise<Term> => openTerminal(`${base}/api/v1/labs/${LAB}/nodes/${node}/terminal${query}`);

beforeAll(async () => {
  for (const sb of listLabs()) if (sb.name === LAB) await destroyLab(sb.name);
  // The default grace (30 min): nothing here waits for it.
  s = await buildApp({ token: TOKEN, limits: { terminalsPerLab: 2 } });
  const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: AUTH, payload: { name: LAB, yaml: readFileSync(join(root, 'labs/veth-pair/topology.yaml'), 'utf8') } });
  expect(r.statusCode, r.body).toBe(201);
  base = (await s.app.listen({ host: '127.0.0.1', port: 0 })).replace(/^http/, 'ws');
});

afterAll(async () => {
  await s?.app.close();
  if (findSandbox(LAB)) await destroyLab(LAB);
});

describe('terminal slots and the grace period', () => {
  it('at the cap, with every shell attached, a new terminal is refused', async () => {
    const a = await open('ns1');
    const b = await open('ns2');
    await a.waitFor(/root@ns1/);
    await b.waitFor(/root@ns2/);
    const c = await open('ns1');
    await c.closed;
    expect(c.exit?.error).toBe('LIMIT_TERMINALS');
    a.ws.close(4000);
    b.ws.close(4000);
    await Promise.all([a.closed, b.closed]);
  });

  it('a shell whose tab vanished gives its slot to a new terminal, the attached one stays', async () => {
    const gone = await open('ns1');
    const kept = await open('ns2');
    await gone.waitFor(/root@ns1/);
    await kept.waitFor(/root@ns2/);
    await gone.run('echo still-here');
    // The tab vanishes without a goodbye (no close frame): the shell waits for it.
    gone.ws.terminate();
    await gone.closed;
    const again = await open('ns1', `?session=${gone.session}`);
    await again.waitFor(/still-here/);
    again.ws.terminate();
    await again.closed;
    // The cap is full, one of the two is waiting: the new terminal takes its place.
    const fresh = await open('ns1');
    await fresh.waitFor(/root@ns1/);
    expect(await kept.run('echo alive')).toContain('alive');
    const back = await open('ns1', `?session=${gone.session}`);
    await back.closed;
    expect(back.exit?.error).toBe('SESSION_NOT_FOUND');
    fresh.ws.close(4000);
    kept.ws.close(4000);
  });
});
