// Hostile clients and a hostile environment (issue #11, items 9, 11, 12) on the real kernel: the lab
// cap under concurrency, a full data disk, per-lab rate limits, cross-origin writes, the token
// exchange redirect, and a lab whose anchor is killed from outside.
//
// The file runs in its own corner of the machine (state dir, uid range, and a small tmpfs as the
// data dir), so the lab count it asserts cannot include another test's labs, and filling the disk
// touches nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { TerminalOpcode, type SnapshotMessage } from '@nslab/protocol';
import { destroyLab, findSandbox, labStore, listLabs, StorageFullError, type Sandbox } from '@nslab/driver';
import { buildApp, type NslabApp } from '../src/app.ts';
import { AUTH, Inbox, TOKEN } from './helpers.ts';
import { hostNetworkSnapshot } from '../../../test/helpers.ts';

const root = join(import.meta.dirname, '../../..');
const vethYaml = readFileSync(join(root, 'labs/veth-pair/topology.yaml'), 'utf8');
const HOST = '127.0.0.1:7070';

const ENV_KEYS = ['NSLAB_STATE_DIR', 'NSLAB_DATA_DIR', 'NSLAB_UID_BASE'] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
let data = '';
let before = '';
let s: NslabApp;
let httpBase = '';

const api = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}, app = s) =>
  app.app.inject({ method, url: `/api/v1${url}`, headers: { ...AUTH, ...headers }, ...(payload !== undefined ? { payload: payload as object } : {}) });

async function destroyAll(): Promise<void> {
  await Promise.all(listLabs().map((sb) => destroyLab(sb.name)));
}

beforeAll(async () => {
  process.env.NSLAB_STATE_DIR = '/run/nslab-test-hardening';
  // Below the benches' bases (bench/harness.ts) and above the default labs' range.
  process.env.NSLAB_UID_BASE = '1400000000';
  data = mkdtempSync(join(tmpdir(), 'nslab-hardening-data-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'nslab-test-data', data]);
  process.env.NSLAB_DATA_DIR = data;
  await destroyAll();
  before = hostNetworkSnapshot();
  s = await buildApp({ token: TOKEN, terminalGraceMs: 2000 });
  httpBase = await s.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await s?.app.close();
  await destroyAll();
  try {
    execFileSync('umount', [data]);
    rmSync(data, { recursive: true, force: true });
  } finally {
    for (const k of ENV_KEYS) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
  }
  expect(hostNetworkSnapshot()).toBe(before);
});

describe('the lab cap under concurrency', () => {
  it('60 concurrent creates against a cap of 50 leave exactly 50 labs', async () => {
    const capped = await buildApp({ token: TOKEN, limits: { labs: 50 } });
    try {
      const rs = await Promise.all(Array.from({ length: 60 }, (_, i) => api('POST', '/labs', { name: `h-cap${i}` }, {}, capped)));
      const codes = rs.map((r) => r.statusCode);
      expect(codes.filter((c) => c === 201), rs.filter((r) => r.statusCode !== 201 && r.statusCode !== 429).map((r) => r.body).join('\n')).toHaveLength(50);
      expect(codes.filter((c) => c === 429)).toHaveLength(10);
      expect(rs.find((r) => r.statusCode === 429)!.json()).toMatchObject({ code: 'LIMIT_LABS' });
      expect(listLabs().filter((sb) => sb.name.startsWith('h-cap'))).toHaveLength(50);
      // A refused create leaves nothing behind, and a slot freed is a slot usable.
      expect(readdirSync(join(data, 'labs')).filter((n) => n.startsWith('h-cap'))).toHaveLength(50);
      await destroyLab('h-cap0');
      expect((await api('POST', '/labs', { name: 'h-cap-late' }, {}, capped)).statusCode).toBe(201);
    } finally {
      await capped.app.close();
      await destroyAll();
    }
  }, 240_000);
});

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f));
}

/** Fill the data disk to the last byte: tmpfs allocates by page, so a file's last page keeps its slack. */
function fillDisk(): string {
  const filler = join(data, 'filler');
  const fd = openSync(filler, 'w');
  try {
    for (const chunk of [1 << 20, 1 << 16, 1 << 12, 1 << 8, 1]) {
      const buf = Buffer.alloc(chunk, 0x78);
      for (;;) {
        try {
          if (writeSync(fd, buf) < chunk) break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return filler;
}

/** The command log as its lines; every one must be a whole record. */
function logLines(lab: string): { line: string }[] {
  const text = readFileSync(join(data, 'labs', lab, 'commands.jsonl'), 'utf8');
  expect(text.endsWith('\n'), 'the log ends on a whole line').toBe(true);
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { line: string });
}

describe('a full data disk', () => {
  let filler = '';
  beforeAll(async () => {
    const r = await api('POST', '/labs', { name: 'h-disk', yaml: vethYaml });
    expect(r.statusCode, r.body).toBe(201);
    filler = fillDisk();
  });
  afterAll(() => rmSync(filler, { force: true }));

  const noTempFiles = () => expect(filesUnder(data).filter((f) => /\.tmp-/.test(f))).toEqual([]);

  it('answers positions with 507 STORAGE_FULL, keeps the old ones and leaves no temp file', async () => {
    const r = await api('PUT', '/labs/h-disk/positions', { positions: { ns1: { x: 10, y: 20 } } });
    expect(r.statusCode, r.body).toBe(507);
    expect(r.json()).toMatchObject({ code: 'STORAGE_FULL', message: expect.stringMatching(/disk is full/) });
    noTempFiles();
    const ws = await s.app.injectWS('/api/v1/labs/h-disk/events', { headers: AUTH });
    const snap = await new Inbox(ws).next<SnapshotMessage>((m) => m.type === 'snapshot');
    ws.terminate();
    expect(snap.positions).toEqual({});
  });

  it('does not answer 201 for a namespace it could not save: 507 says it is live but not saved', async () => {
    const r = await api('POST', '/labs/h-disk/nodes', { name: 'n3' });
    expect(r.statusCode, r.body).toBe(507);
    expect(r.json()).toMatchObject({ code: 'STORAGE_FULL', message: expect.stringMatching(/live.*not saved/) });
    // The kernel change happened, as the message says.
    const state = (await api('GET', '/labs/h-disk')).json() as { nodes: { name: string }[] };
    expect(state.nodes.map((n) => n.name)).toContain('n3');
    noTempFiles();
    logLines('h-disk');
  });

  it('refuses a new lab with 507 and leaves neither a sandbox nor data behind', async () => {
    const r = await api('POST', '/labs', { name: 'h-disk2', yaml: vethYaml });
    expect(r.statusCode, r.body).toBe(507);
    expect(r.json()).toMatchObject({ code: 'STORAGE_FULL', message: expect.stringMatching(/disk is full/) });
    expect(findSandbox('h-disk2')).toBeNull();
    expect(existsSync(join(data, 'labs', 'h-disk2'))).toBe(false);
    noTempFiles();
  });

  it('a failed log append leaves whole lines, and the next append is intact', () => {
    const before = logLines('h-disk').length;
    // Bigger than any page's slack: the write starts, then runs out of space part way.
    const big = { time: new Date().toISOString(), source: 'api', line: `echo ${'x'.repeat(20_000)}`, ok: true };
    expect(() => labStore.appendLog('h-disk', [big, big])).toThrow(StorageFullError);
    expect(logLines('h-disk')).toHaveLength(before);
    rmSync(filler);
    labStore.appendLog('h-disk', [{ time: new Date().toISOString(), source: 'api', line: 'ip netns list', ok: true }]);
    const after = logLines('h-disk');
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)!.line).toBe('ip netns list');
    filler = fillDisk();
  });

  it('a torn line left by a crash does not swallow the next record', () => {
    rmSync(filler);
    const path = join(data, 'labs', 'h-disk', 'commands.jsonl');
    const before = readFileSync(path, 'utf8').split('\n').filter(Boolean).length;
    appendFileSync(path, '{"time":"2024-01-01T00:00:00Z","sou');
    labStore.appendLog('h-disk', [{ time: new Date().toISOString(), source: 'api', line: 'ip link', ok: true }]);
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(before + 2);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ line: 'ip link' });
    filler = fillDisk();
  });

  it('saves the live-but-unsaved namespace once space is back', async () => {
    rmSync(filler);
    const topology = join(data, 'labs', 'h-disk', 'topology.yaml');
    const end = Date.now() + 10_000;
    while (!readFileSync(topology, 'utf8').includes('n3') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(topology, 'utf8')).toContain('n3');
    filler = fillDisk();
  });

  afterAll(async () => {
    await api('DELETE', '/labs/h-disk');
  });
});

describe('rate limits', () => {
  it('are counted per lab: one lab at its limit leaves another lab writable', async () => {
    const limited = await buildApp({ token: TOKEN, limits: { mutationsPerMinute: 2 } });
    try {
      for (const name of ['h-ra', 'h-rb']) expect((await api('POST', '/labs', { name }, {}, limited)).statusCode).toBe(201);
      const put = (lab: string) => api('PUT', `/labs/${lab}/positions`, { positions: {} }, {}, limited);
      const a = [await put('h-ra'), await put('h-ra'), await put('h-ra')];
      expect(a.map((r) => r.statusCode)).toEqual([200, 200, 429]);
      expect(a[2]!.json()).toMatchObject({ code: 'RATE_LIMITED' });
      expect((await put('h-rb')).statusCode).toBe(200);
      // Names of labs that do not exist share one budget: spraying them cannot mint fresh ones.
      const ghosts = [];
      for (let i = 0; i < 3; i++) ghosts.push((await put(`h-ghost${i}`)).statusCode);
      expect(ghosts).toEqual([404, 404, 429]);
    } finally {
      await limited.app.close();
      for (const name of ['h-ra', 'h-rb']) if (findSandbox(name)) await destroyLab(name);
    }
  });
});

describe('cross-origin writes', () => {
  const cookie = `nslab_token=${TOKEN}`;
  beforeAll(async () => {
    expect((await api('POST', '/labs', { name: 'h-csrf' })).statusCode).toBe(201);
    expect((await api('DELETE', '/labs/h-csrf?keep=true')).statusCode).toBe(200);
  });
  afterAll(async () => {
    await api('DELETE', '/labs/h-csrf');
  });

  it('refuses a page on another port POSTing text/plain with the cookie, and changes nothing', async () => {
    const r = await s.app.inject({
      method: 'POST', url: '/api/v1/labs/h-csrf/start',
      headers: { host: HOST, cookie, origin: 'http://127.0.0.1:8000', 'content-type': 'text/plain', 'sec-fetch-site': 'same-site' },
      payload: 'x',
    });
    expect(r.statusCode, r.body).toBe(403);
    expect(r.json().code).toBe('BAD_ORIGIN');
    expect(findSandbox('h-csrf')).toBeNull();
  });

  it('refuses Origin: null, a cross-site Sec-Fetch-Site, and a cookie-only write without an Origin', async () => {
    const post = (headers: Record<string, string>) => s.app.inject({ method: 'POST', url: '/api/v1/labs/h-csrf/start', headers: { host: HOST, ...headers } });
    expect((await post({ cookie, origin: 'null' })).statusCode).toBe(403);
    expect((await post({ cookie, 'sec-fetch-site': 'same-site' })).statusCode).toBe(403);
    expect((await post({ cookie, 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    // No Origin: not a browser's fetch, so the ambient cookie may not authorize a change.
    expect((await post({ cookie })).statusCode).toBe(401);
    // A foreign Origin is refused whatever it carries: only a page of that origin can send one.
    expect((await post({ authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' })).statusCode).toBe(403);
    expect(findSandbox('h-csrf')).toBeNull();
  });

  it('refuses text/plain bodies on JSON routes', async () => {
    const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: { ...AUTH, 'content-type': 'text/plain' }, payload: '{"name":"h-plain"}' });
    expect(r.statusCode, r.body).toBe(415);
    expect(findSandbox('h-plain')).toBeNull();
  });

  it('accepts the server\'s own pages (same Origin, cookie) and reads from anywhere with the cookie', async () => {
    const own = await s.app.inject({
      method: 'POST', url: '/api/v1/labs/h-csrf/start',
      headers: { host: HOST, cookie, origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' },
    });
    expect(own.statusCode, own.body).toBe(201);
    expect((await s.app.inject({ method: 'GET', url: '/api/v1/labs', headers: { host: HOST, cookie } })).statusCode).toBe(200);
  });
});

describe('the token exchange redirect', () => {
  /** Over real HTTP: inject() normalizes the path, which hides the bug. */
  const get = (path: string) =>
    new Promise<{ status: number; location: string }>((resolve, reject) => {
      const { port } = new URL(httpBase);
      request({ host: '127.0.0.1', port, path, headers: { host: HOST } }, (r) => {
        r.resume();
        resolve({ status: r.statusCode!, location: String(r.headers.location) });
      }).on('error', reject).end();
    });

  it('always goes to a same-origin path', async () => {
    for (const path of [`/.//evil.com/?token=${TOKEN}`, `//evil.com/?token=${TOKEN}`, `/\\evil.com/?token=${TOKEN}`, `/./\\/evil.com?token=${TOKEN}`, `/%2e//evil.com/?token=${TOKEN}`, `/.///evil.com?token=${TOKEN}`]) {
      const r = await get(path);
      expect(r.status, path).toBe(302);
      expect(r.location, path).toMatch(/^\/(?![/\\])/);
      // What a browser makes of it: still this server.
      expect(new URL(r.location, `http://${HOST}/a/b`).host, path).toBe(HOST);
    }
    expect((await get(`/labs/demo?token=${TOKEN}&x=1`)).location).toBe('/labs/demo?x=1');
  });
});

describe('a lab whose anchor is killed from outside', () => {
  it('closes its terminals, tells its clients and leaves no process behind, within 3 s', async () => {
    expect((await api('POST', '/labs', { name: 'h-kill', yaml: vethYaml })).statusCode).toBe(201);
    const sb: Sandbox = findSandbox('h-kill')!;
    const base = httpBase.replace(/^http/, 'ws');
    const term = new WebSocket(`${base}/api/v1/labs/h-kill/nodes/ns1/terminal`, { headers: { authorization: `Bearer ${TOKEN}` } });
    let screen = '';
    let exit: { reason: string } | null = null;
    term.on('message', (d: Buffer) => {
      if (d[0] === TerminalOpcode.OUTPUT) screen += d.subarray(1).toString();
      if (d[0] === TerminalOpcode.EXIT) exit = JSON.parse(d.subarray(1).toString());
    });
    const closed = new Promise((r) => term.on('close', r));
    await new Promise((resolve, reject) => {
      term.once('open', resolve);
      term.once('error', reject);
    });
    term.send(Buffer.concat([Buffer.from([TerminalOpcode.RESIZE]), Buffer.from(JSON.stringify({ columns: 80, rows: 24 }))]));
    // Not part of the bound: a loaded machine may take a while to start the shell.
    for (let i = 0; i < 300 && !screen.includes('root@ns1'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(screen, 'the shell prompt').toContain('root@ns1');
    const events = await s.app.injectWS('/api/v1/labs/h-kill/events', { headers: AUTH });
    const inbox = new Inbox(events);
    await inbox.next((m) => m.type === 'snapshot');
    expect(sb.pids().length).toBeGreaterThan(1); // the anchor, the ip monitor, the shell

    const killed = performance.now();
    process.kill(sb.pid, 'SIGKILL');
    await inbox.next((m) => m.type === 'lab-destroyed', 3000).catch(() => expect.fail('no lab-destroyed within 3 s of the kill'));
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('terminal still open')), 3000 - (performance.now() - killed)))]);
    expect(exit).not.toBeNull();
    for (let i = 0; i < 40 && sb.pids().length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(sb.pids()).toEqual([]);
    expect(performance.now() - killed).toBeLessThan(3000);
    expect((await api('GET', '/labs/h-kill')).statusCode).toBe(404);
    events.terminate();
  });
});
