// POST /labs/:lab/trace against the real kernel: the journey, input errors naming the field, one
// trace at a time per lab.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listLabs, destroyLab } from '@nslab/driver';
import { buildApp, type NslabApp } from '../src/app.ts';
import { AUTH, TOKEN } from './helpers.ts';

const root = join(import.meta.dirname, '../../..');
const vethYaml = readFileSync(join(root, 'labs/veth-pair/topology.yaml'), 'utf8');
let s: NslabApp;

beforeAll(async () => {
  for (const sb of listLabs()) if (sb.name.startsWith('tr-srv')) await destroyLab(sb.name);
  s = await buildApp({ token: TOKEN });
  const r = await api('POST', '/labs', { name: 'tr-srv', yaml: vethYaml });
  expect(r.statusCode).toBe(201);
});
afterAll(async () => {
  await s.app.close();
  for (const sb of listLabs()) if (sb.name.startsWith('tr-srv')) await destroyLab(sb.name);
});

const api = (method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = AUTH) =>
  s.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

describe('POST /labs/:lab/trace', () => {
  it('needs the token', async () => {
    const r = await api('POST', '/labs/tr-srv/trace', { from: 'ns1', to: 'ns2' }, { host: '127.0.0.1:7070' });
    expect(r.statusCode).toBe(401);
  });

  it('answers the journey: request and reply, both ways across the veth pair', async () => {
    const r = await api('POST', '/labs/tr-srv/trace', { from: 'ns1', to: 'ns2' });
    expect(r.statusCode).toBe(200);
    const j = r.json();
    expect(j).toMatchObject({ lab: 'tr-srv', from: 'ns1', to: 'ns2', target: '10.1.5.11', delivered: true, replied: true, reliable: true });
    expect(j.events.filter((e: { leg: string }) => e.leg === 'request').map((e: { at: { node: string } }) => e.at.node)).toEqual(['ns1', 'ns2']);
    expect(j.events.find((e: { leg: string }) => e.leg === 'request').why[0].kind).toBe('route');
  });

  it('names the field of bad input', async () => {
    const port = await api('POST', '/labs/tr-srv/trace', { from: 'ns1', to: 'ns2', protocol: 'udp' });
    expect(port.statusCode).toBe(400);
    expect(port.json()).toMatchObject({ field: 'port' });
    const from = await api('POST', '/labs/tr-srv/trace', { from: 'a;reboot', to: 'ns2' });
    expect(from.statusCode).toBe(400);
    expect(from.json()).toMatchObject({ field: 'from' });
    const extra = await api('POST', '/labs/tr-srv/trace', { from: 'ns1', to: 'ns2', evil: 1 });
    expect(extra.statusCode).toBe(400);
  });

  it('runs one trace at a time per lab', async () => {
    const [a, b] = await Promise.all([api('POST', '/labs/tr-srv/trace', { from: 'ns1', to: 'ns2' }), api('POST', '/labs/tr-srv/trace', { from: 'ns2', to: 'ns1' })]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    expect([a, b].find((x) => x.statusCode === 409)!.json()).toMatchObject({ code: 'TRACE_BUSY' });
  });
});
