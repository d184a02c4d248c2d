// GET /labs/:lab/diagnose against the real kernel: the walk, the real ping, and input validation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listLabs, destroyLab } from '@nslab/driver';
import { buildApp, type NslabApp } from '../src/app.ts';
import { AUTH, TOKEN } from './helpers.ts';
import { hostNetworkSnapshot } from '../../../test/helpers.ts';

const root = join(import.meta.dirname, '../../..');
const vethYaml = readFileSync(join(root, 'labs/veth-pair/topology.yaml'), 'utf8');
let s: NslabApp;
let before = '';

beforeAll(async () => {
  for (const sb of listLabs()) if (sb.name.startsWith('s-diag')) await destroyLab(sb.name);
  before = hostNetworkSnapshot();
  s = await buildApp({ token: TOKEN });
});
afterAll(async () => {
  await s.app.close();
  for (const sb of listLabs()) if (sb.name.startsWith('s-diag')) await destroyLab(sb.name);
  expect(hostNetworkSnapshot()).toBe(before);
});

const api = (method: 'GET' | 'POST', url: string, payload?: object) =>
  s.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload ? { payload } : {}) });

describe('GET /labs/:lab/diagnose', () => {
  it('needs the token', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/api/v1/labs/x/diagnose?from=ns1&to=ns2', headers: { host: '127.0.0.1:7070' } });
    expect(r.statusCode).toBe(401);
  });

  it('walks, names the broken hop with its fix, and runs the real ping', async () => {
    const c = await api('POST', '/labs', { name: 's-diag', yaml: vethYaml });
    expect(c.statusCode, c.body).toBe(201);
    // Pinging your own address with lo down.
    const own = await api('GET', '/labs/s-diag/diagnose?from=ns1&to=10.1.5.10');
    expect(own.statusCode, own.body).toBe(200);
    const d = own.json();
    expect(d.ok).toBe(false);
    expect(d.problem).toMatchObject({ cause: 'lo-down', node: 'ns1', interface: 'lo', fix: ['ip -n ns1 link set dev lo up'] });
    expect(d.problem.message).toContain("ns1's lo is down");
    expect(d.ping).toMatchObject({ ok: false, address: '10.1.5.10' });
    // The peer is fine: the walk finds nothing and the ping agrees.
    const peer = await api('GET', '/labs/s-diag/diagnose?from=ns1&to=ns2');
    expect(peer.statusCode).toBe(200);
    expect(peer.json()).toMatchObject({ ok: true, target: { node: 'ns2', address: '10.1.5.11' }, ping: { ok: true } });
    expect(peer.json().ping.output).toContain('1 received');
  });

  it('rejects bad input with 400 and the field', async () => {
    const cases: [string, string][] = [
      ['from=ns1%3Brm&to=ns2', 'from'],
      ['from=-n&to=ns2', 'from'],
      ['from=ns1&to=10.1.5.300', 'to'],
      ['from=ns1&to=a%20b', 'to'],
      ['from=ns1&to=10.1.5.0%2F24', 'to'],
    ];
    for (const [q, field] of cases) {
      const r = await api('GET', `/labs/s-diag/diagnose?${q}`);
      expect(r.statusCode, q).toBe(400);
      expect(r.json().field, q).toBe(field);
    }
    const missing = await api('GET', '/labs/s-diag/diagnose?from=ns1');
    expect(missing.statusCode).toBe(400);
    const noLab = await api('GET', '/labs/s-diag-none/diagnose?from=ns1&to=ns2');
    expect(noLab.statusCode).toBe(404);
  });
});
