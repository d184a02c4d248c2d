// Route access declarations: every route of the real app declares who may call it, and a route
// that does not (or that does not fit its URL) stops the server at startup.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type NslabApp } from '../src/app.ts';
import { ACCESS_LEVELS, installRouteTable } from '../src/classroom/access.ts';
import { TOKEN } from './helpers.ts';

let s: NslabApp;
beforeAll(async () => {
  const web = mkdtempSync(join(tmpdir(), 'nslab-web-'));
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>nslab</title>');
  s = await buildApp({ token: TOKEN, webRoot: web });
});
afterAll(async () => {
  await s.app.close();
});

describe('route access table', () => {
  it('lists every route of the app with a known access level', () => {
    const known = new Set(Object.keys(ACCESS_LEVELS));
    expect(s.routes.length).toBeGreaterThan(30);
    for (const r of s.routes) expect(known.has(r.access), `${r.method} ${r.url}`).toBe(true);
    const find = (method: string, url: string) => s.routes.find((r) => r.method === method && r.url === url)?.access;
    expect(find('GET', '/api/v1/labs')).toBe('signed-in');
    expect(find('DELETE', '/api/v1/labs/:lab')).toBe('lab-write');
    expect(find('GET', '/api/v1/labs/:lab/events')).toBe('lab-read');
    expect(find('GET', '/api/v1/labs/:lab/nodes/:node/terminal')).toBe('lab-write');
    // @fastify/static's own route takes its scope's default.
    expect(find('GET', '/*')).toBe('public');
    expect(s.routes.filter((r) => r.websocket && r.method === 'GET').map((r) => r.url).sort()).toEqual([
      '/api/v1/labs/:lab/captures/:id/events',
      '/api/v1/labs/:lab/events',
      '/api/v1/labs/:lab/nodes/:node/terminal',
      '/api/v1/labs/:lab/terminals/:session/watch',
    ]);
    // Watching a terminal is reading the lab: an instructor of its owner may.
    expect(find('GET', '/api/v1/labs/:lab/terminals/:session/watch')).toBe('lab-read');
  });

  it('keeps token mode as it was: the token holder reaches every route, nobody else any', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/', headers: { host: '127.0.0.1:7070' } });
    expect(r.statusCode).toBe(401);
    const ok = await s.app.inject({ method: 'GET', url: '/', headers: { host: '127.0.0.1:7070', authorization: `Bearer ${TOKEN}` } });
    expect(ok.statusCode).toBe(200);
  });
});

describe('a route that declares no access', () => {
  const build = async (add: (app: ReturnType<typeof Fastify>) => void) => {
    const app = Fastify();
    installRouteTable(app);
    add(app);
    try {
      await app.ready();
    } finally {
      await app.close();
    }
  };

  it('stops the server at startup, naming the route', async () => {
    await expect(build((app) => app.get('/api/v1/new-thing', async () => ({})))).rejects.toThrow(/GET.*\/api\/v1\/new-thing declares no access/);
  });

  it('refuses an unknown level, a :lab route without lab access, and lab access without :lab', async () => {
    await expect(build((app) => app.get('/x', { config: { access: 'everyone' as never } }, async () => ({})))).rejects.toThrow(/unknown access "everyone"/);
    await expect(build((app) => app.get('/labs/:lab/secret', { config: { access: 'signed-in' } }, async () => ({})))).rejects.toThrow(/a :lab route needs access lab-read or lab-write/);
    await expect(build((app) => app.get('/labs', { config: { access: 'lab-read' } }, async () => ({})))).rejects.toThrow(/access lab-read needs a :lab parameter/);
    await expect(build((app) => app.get('/classes/:class', { config: { access: 'instructor' } }, async () => ({})))).rejects.toThrow(/a :class route needs access class-instructor/);
  });
});
