// The server against the real kernel: auth, edits, live patches, restart, crash safety.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import cp, { spawn } from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { ObservedLab } from '@nslab/model';
import type { ErrorMessage, PatchMessage, SnapshotMessage, LogMessage } from '@nslab/protocol';
import { listLabs, destroyLab, findSandbox, labStore } from '@nslab/driver';
import { buildApp, type NslabApp } from '../src/app.ts';
import { AUTH, Inbox, TOKEN } from './helpers.ts';
import { hostNetworkSnapshot } from '../../../test/helpers.ts';

const root = join(import.meta.dirname, '../../..');
const vethYaml = readFileSync(join(root, 'labs/veth-pair/topology.yaml'), 'utf8');
const bridgeYaml = readFileSync(join(root, 'labs/bridge/topology.yaml'), 'utf8');

let spawnCount = 0;
const originalSpawn = cp.spawn;
let s: NslabApp;
let before = '';

beforeAll(async () => {
  for (const sb of listLabs()) if (sb.name.startsWith('s-')) await destroyLab(sb.name);
  before = hostNetworkSnapshot();
  // Count every process the server starts, to prove rejected input never reaches one.
  (cp as { spawn: typeof spawn }).spawn = ((...a: Parameters<typeof spawn>) => {
    spawnCount++;
    return originalSpawn(...a);
  }) as typeof spawn;
  syncBuiltinESMExports();
  s = await buildApp({ token: TOKEN, limits: { namespacesPerLab: 50 } });
});

afterAll(async () => {
  (cp as { spawn: typeof spawn }).spawn = originalSpawn;
  syncBuiltinESMExports();
  await s.app.close();
  for (const sb of listLabs()) if (sb.name.startsWith('s-')) await destroyLab(sb.name);
  expect(hostNetworkSnapshot()).toBe(before);
});

const api = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  s.app.inject({ method, url: `/api/v1${url}`, headers: { ...AUTH, ...headers }, ...(payload !== undefined ? { payload: payload as object } : {}) });

describe('access control', () => {
  const routes: [string, string][] = [
    ['GET', '/api/v1/labs'], ['POST', '/api/v1/labs'], ['GET', '/api/v1/labs/x'], ['DELETE', '/api/v1/labs/x'],
    ['POST', '/api/v1/labs/x/nodes'], ['POST', '/api/v1/labs/x/nodes/ns1/exec'], ['GET', '/api/v1/labs/x/log'],
    ['GET', '/api/v1/openapi.json'], ['GET', '/'], ['GET', '/api/v1/labs/x/export'],
  ];
  it('answers 401 without a token on every route, and with a wrong one', async () => {
    for (const [method, url] of routes) {
      const r = await s.app.inject({ method: method as 'GET', url, headers: { host: '127.0.0.1:7070' } });
      expect(r.statusCode, `${method} ${url}`).toBe(401);
      expect(r.json().code).toBe('UNAUTHORIZED');
      const w = await s.app.inject({ method: method as 'GET', url, headers: { host: '127.0.0.1:7070', authorization: 'Bearer nope' } });
      expect(w.statusCode).toBe(401);
    }
  });

  it('trades the page URL token for an HttpOnly SameSite=Strict cookie and drops it from the URL', async () => {
    const r = await s.app.inject({ method: 'GET', url: `/labs/demo?token=${TOKEN}&x=1`, headers: { host: '127.0.0.1:7070' } });
    expect(r.statusCode).toBe(302);
    expect(r.headers.location).toBe('/labs/demo?x=1');
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const withCookie = await s.app.inject({ method: 'GET', url: '/api/v1/labs', headers: { host: '127.0.0.1:7070', cookie: cookie.split(';')[0]! } });
    expect(withCookie.statusCode).toBe(200);
    // The query token is for page loads only, never the API.
    const q = await s.app.inject({ method: 'GET', url: `/api/v1/labs?token=${TOKEN}`, headers: { host: '127.0.0.1:7070' } });
    expect(q.statusCode).toBe(401);
  });

  it('refuses foreign Host headers while on loopback (DNS rebinding)', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/api/v1/labs', headers: { ...AUTH, host: 'evil.example:7070' } });
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('BAD_HOST');
  });

  it('refuses WebSockets from another origin, and cookie-only sockets without an Origin', async () => {
    await expect(s.app.injectWS('/api/v1/labs/x/events', { headers: { ...AUTH, origin: 'http://evil.example' } })).rejects.toThrow(/403/);
    await expect(s.app.injectWS('/api/v1/labs/x/events', { headers: { host: '127.0.0.1:7070', cookie: `nslab_token=${TOKEN}` } })).rejects.toThrow(/401/);
    await expect(s.app.injectWS('/api/v1/labs/x/events', { headers: { host: '127.0.0.1:7070' } })).rejects.toThrow(/401/);
  });

  it('sends security headers and serves an OpenAPI document', async () => {
    const r = await api('GET', '/openapi.json');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(r.headers['x-frame-options']).toBe('DENY');
    const doc = r.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/api/v1/labs/{lab}/nodes/{node}/exec');
  });
});

describe('labs over the API on the real kernel', () => {
  it('creates a lab from YAML and answers with the commands it ran', async () => {
    const r = await api('POST', '/labs', { name: 's-veth', yaml: vethYaml });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().commands).toContain('ip link add name veth-01 index 2 netns ns1 type veth peer name veth-10 index 3 netns ns2');
    const list = await api('GET', '/labs');
    expect(list.json().labs).toContainEqual(expect.objectContaining({ name: 's-veth', state: 'running', namespaces: 2 }));
    const state = (await api('GET', '/labs/s-veth')).json() as ObservedLab;
    expect(state.links).toEqual([{ a: { node: 'ns1', interface: 'veth-01' }, b: { node: 'ns2', interface: 'veth-10' } }]);
  });

  it('rejects hostile names with 400 naming the field, and starts no process', async () => {
    const n0 = spawnCount;
    const cases: [string, string, unknown][] = [
      ['POST', '/labs/s-veth/nodes', { name: 'a;reboot' }],
      ['POST', '/labs/s-veth/nodes', { name: '../../etc' }],
      ['POST', '/labs/s-veth/nodes', { name: '1' }],
      ['POST', '/labs/s-veth/links', { a: { node: 'ns1', interface: '$(id)' }, b: { node: 'ns2', interface: 'ok0' } }],
      ['POST', '/labs/s-veth/links', { a: { node: 'ns1', interface: 'x'.repeat(16) }, b: { node: 'ns2', interface: 'ok0' } }],
      ['POST', '/labs/s-veth/nodes/ns1/interfaces/veth-01/addresses', { address: '10.0.0.1/33' }],
      ['POST', '/labs/s-veth/nodes/ns1/interfaces/veth-01/addresses', { address: '10.1.5.10/24' }],
      ['PATCH', '/labs/s-veth/nodes/ns1/interfaces/veth-01', { mtu: 99999 }],
      ['PATCH', '/labs/s-veth/nodes/ns1/interfaces/veth-01', { up: true, evil: 1 }],
      ['POST', '/labs/s-veth/nodes/n%0as1/routes', { to: 'default', via: '10.1.5.1' }],
      ['PUT', '/labs/s-veth/nodes/ns1/sysctls/kernel.panic', { value: 1 }],
      ['POST', '/labs', { name: 'a;b' }],
      ['POST', '/labs', { name: 's-x', yaml: 'nodes:\n  ns1: { interfaces: { "e\u0430th0": {} } }\n' }],
    ];
    for (const [method, url, body] of cases) {
      const r = await api(method as 'POST', url, body);
      expect(r.statusCode, `${method} ${url} ${JSON.stringify(body)}: ${r.body}`).toBe(400);
      const b = r.json();
      expect(typeof b.code).toBe('string');
      expect(typeof b.message).toBe('string');
      expect(b.field, r.body).toBeTruthy();
    }
    expect(spawnCount - n0).toBe(0);
  });

  it('streams a snapshot, then a hand-made `ip link add` as a patch', async () => {
    const ws = await s.app.injectWS('/api/v1/labs/s-veth/events', { headers: AUTH });
    const inbox = new Inbox(ws);
    const snap = await inbox.next<SnapshotMessage>((m) => m.type === 'snapshot');
    expect(snap.lab.nodes.map((n) => n.name)).toEqual(['host', 'ns1', 'ns2']);
    const t0 = performance.now();
    const r = await api('POST', '/labs/s-veth/nodes/ns1/exec', { argv: ['ip', 'link', 'add', 'name', 'hand0', 'type', 'veth', 'peer', 'name', 'hand1'] });
    expect(r.json().code, r.body).toBe(0);
    const patch = await inbox.next<PatchMessage>((m) => m.type === 'patch' && m.upsertNodes.some((n) => n.name === 'ns1' && n.interfaces.some((i) => i.name === 'hand0')));
    console.log(`kernel change -> patch: ${(performance.now() - t0).toFixed(1)} ms (incl. exec)`);
    expect(patch.seq).toBeGreaterThan(snap.seq);
    const pairs = (patch.links ?? []).map((l) => [`${l.a.node}:${l.a.interface}`, `${l.b.node}:${l.b.interface}`].sort().join(' '));
    expect(pairs, JSON.stringify(patch.links)).toContain('ns1:hand0 ns1:hand1');
    // The exec itself is in the command log, streamed too.
    const log = await inbox.next<LogMessage>((m) => m.type === 'log' && m.entries.some((e) => e.line.includes('hand0')));
    expect(log.entries.at(-1)!.line).toBe('ip netns exec ns1 ip link add name hand0 type veth peer name hand1');
    expect(log.entries.at(-1)!.source).toBe('api');

    // A client that reconnects with its last seq gets exactly what it missed.
    const last = inbox.messages.at(-1) as { seq: number };
    ws.terminate();
    await api('POST', '/labs/s-veth/nodes/ns2/exec', { argv: ['ip', 'link', 'set', 'dev', 'lo', 'up'] });
    await new Promise((r2) => setTimeout(r2, 200));
    const ws2 = await s.app.injectWS('/api/v1/labs/s-veth/events', { headers: AUTH });
    const inbox2 = new Inbox(ws2, { lastSeq: last.seq, stream: snap.stream });
    const missed = await inbox2.next<PatchMessage>((m) => m.type === 'patch' && m.upsertNodes.some((n) => n.name === 'ns2'));
    expect(missed.seq).toBeGreaterThan(last.seq);
    expect(inbox2.messages.some((m) => m.type === 'snapshot')).toBe(false);
    ws2.terminate();

    // The same number from another stream (a restarted server counts from 0 again), or from none
    // (a client that never learned the id), is answered with a snapshot: equal numbers of two
    // histories say nothing about each other.
    const seq = (inbox2.messages.at(-1) as { seq: number }).seq;
    for (const resume of [{ lastSeq: seq, stream: 'another-server-boot' }, { lastSeq: seq }]) {
      const ws3 = await s.app.injectWS('/api/v1/labs/s-veth/events', { headers: AUTH });
      const fresh = await new Inbox(ws3, resume).next<SnapshotMessage>((m) => m.type === 'snapshot', 2000);
      expect(fresh.stream, JSON.stringify(resume)).toBe(snap.stream);
      expect(fresh.seq).toBeGreaterThanOrEqual(seq);
      ws3.terminate();
    }
    // A stream id the server could not have made is refused, naming the field.
    const ws4 = await s.app.injectWS('/api/v1/labs/s-veth/events', { headers: AUTH });
    const bad = await new Inbox(ws4, { lastSeq: seq, stream: 'no spaces/here' }).next<ErrorMessage>((m) => m.type === 'error');
    expect(bad).toMatchObject({ code: 'BAD_MESSAGE', message: expect.stringMatching(/^stream: /) });
    ws4.terminate();
  });

  it('edits by hand: namespace, bridge, veth into the bridge, addresses, up — and they ping', async () => {
    expect((await api('POST', '/labs', { name: 's-edit' })).statusCode).toBe(201);
    for (const name of ['a', 'b']) expect((await api('POST', '/labs/s-edit/nodes', { name }, { 'x-nslab-source': 'ui' })).statusCode).toBe(201);
    const br = await api('POST', '/labs/s-edit/bridges', { name: 'br0' });
    expect(br.json().commands).toEqual(['ip link add name br0 type bridge', 'ip link set dev br0 up']);
    for (const [n, i, addr] of [['a', 'eth0', '10.1.5.10/24'], ['b', 'eth0', '10.1.5.11/24']] as const) {
      const l = await api('POST', '/labs/s-edit/links', { a: { node: n, interface: i }, b: { node: 'host', interface: `br-${n}` }, bridge: 'br0' });
      expect(l.statusCode, l.body).toBe(201);
      const a = await api('POST', `/labs/s-edit/nodes/${n}/interfaces/${i}/addresses`, { address: addr });
      expect(a.json().commands).toEqual([`ip -n ${n} addr add ${addr} dev ${i}`]);
    }
    const ping = await api('POST', '/labs/s-edit/nodes/a/exec', { argv: ['ping', '-c1', '-W1', '10.1.5.11'] });
    expect(ping.json().code, ping.json().stdout).toBe(0);
    // Down, and the ping stops; the state says so.
    const down = await api('PATCH', '/labs/s-edit/nodes/b/interfaces/eth0', { up: false });
    expect(down.json().commands).toEqual(['ip -n b link set dev eth0 down']);
    const state = (await api('GET', '/labs/s-edit')).json() as ObservedLab;
    expect(state.nodes.find((n) => n.name === 'b')!.interfaces.find((i) => i.name === 'eth0')!.up).toBe(false);
    expect((await api('POST', '/labs/s-edit/nodes/a/exec', { argv: ['ping', '-c1', '-W1', '10.1.5.11'] })).json().code).not.toBe(0);
    const log = (await api('GET', '/labs/s-edit/log')).json().entries as { source: string; line: string }[];
    expect(log.find((e) => e.line === 'ip netns add a')!.source).toBe('ui');
    const script = await api('GET', '/labs/s-edit/export?format=sh');
    expect(script.headers['content-type']).toContain('text/x-shellscript');
    expect(script.body).toMatch(/ip link add name (eth0 netns a type veth peer name br-a|br-a type veth peer name eth0 netns a)\n/);
    expect(script.body).toContain('ip link set dev br-a master br0');
    expect(script.body).toContain('ip -n b link set dev eth0 down');
  });

  it('reports the kernel refusing a step with its message, and rolls the edit back', async () => {
    const r = await api('POST', '/labs/s-edit/nodes/a/routes', { to: '10.99.0.0/16', via: '192.168.200.1' });
    expect(r.statusCode, r.body).toBe(422);
    expect(r.json().command).toBe('ip -n a route add 10.99.0.0/16 via 192.168.200.1');
    expect(r.json().kernelMessage).toMatch(/Nexthop has invalid gateway|unreachable/i);
    const state = (await api('GET', '/labs/s-edit')).json() as ObservedLab;
    expect(state.nodes.find((n) => n.name === 'a')!.routes.some((x) => x.dst === '10.99.0.0/16')).toBe(false);
  });

  it('enforces per-lab caps with a clear 4xx', async () => {
    const many = ['nodes:', ...Array.from({ length: 51 }, (_, i) => `  n${i}: {}`)].join('\n');
    const r = await api('POST', '/labs', { name: 's-big', yaml: many });
    expect(r.statusCode).toBe(413);
    expect(r.json().code).toBe('LIMIT_NAMESPACES');
    const huge = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: { ...AUTH, 'content-type': 'application/json' }, payload: JSON.stringify({ name: 's-huge', yaml: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(huge.statusCode).toBe(413);
    expect(findSandbox('s-big')).toBeNull();
  });

  it('rate-limits mutating routes with a clear 429', async () => {
    const limited = await buildApp({ token: TOKEN, limits: { mutationsPerMinute: 2 } });
    try {
      const rs = [];
      for (let i = 0; i < 3; i++) {
        rs.push(await limited.app.inject({ method: 'POST', url: '/api/v1/labs/s-none/nodes', headers: AUTH, payload: { name: 'x' } }));
      }
      expect(rs.map((r) => r.statusCode)).toEqual([404, 404, 429]);
      expect(rs[2]!.json()).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('at most 2 per minute') });
      // Reads are not limited.
      expect((await limited.app.inject({ method: 'GET', url: '/api/v1/labs', headers: AUTH })).statusCode).toBe(200);
    } finally {
      await limited.app.close();
    }
  });

  it('keeps running labs and their positions across a server restart', async () => {
    const pos = await api('PUT', '/labs/s-veth/positions', { positions: { ns1: { x: 10, y: 20 }, ns2: { x: 300, y: 20 } } });
    expect(pos.statusCode, pos.body).toBe(200);
    const anchor = findSandbox('s-veth')!.pid;
    await s.app.close();
    s = await buildApp({ token: TOKEN, limits: { namespacesPerLab: 50 } });
    await s.registry.adoptAll();
    expect(findSandbox('s-veth')!.pid).toBe(anchor); // adopted, not redeployed
    const ws = await s.app.injectWS('/api/v1/labs/s-veth/events', { headers: AUTH });
    const snap = await new Inbox(ws).next<SnapshotMessage>((m) => m.type === 'snapshot');
    expect(snap.positions).toEqual({ ns1: { x: 10, y: 20 }, ns2: { x: 300, y: 20 } });
    expect(snap.lab.nodes.find((n) => n.name === 'ns1')!.interfaces.some((i) => i.name === 'hand0')).toBe(true);
    expect(snap.log.length).toBeGreaterThan(0);
    ws.terminate();
  });

  it('destroying a lab tells connected clients and removes it', async () => {
    const ws = await s.app.injectWS('/api/v1/labs/s-edit/events', { headers: AUTH });
    const inbox = new Inbox(ws);
    await inbox.next((m) => m.type === 'snapshot');
    const r = await api('DELETE', '/labs/s-edit');
    expect(r.statusCode).toBe(200);
    await inbox.next((m) => m.type === 'lab-destroyed');
    expect((await api('GET', '/labs/s-edit')).statusCode).toBe(404);
    expect(labStore.loadTopology('s-edit')).toBeNull();
  });
});

describe('crash safety', () => {
  it('kill -9 mid-deploy: after restart the lab is complete or absent, the host unchanged', async () => {
    const star = ['bridges:', '  br0: {}', 'nodes:', ...Array.from({ length: 40 }, (_, i) => `  h${i}: { interfaces: { eth0: { addresses: [10.0.${i}.1/16] } } }`),
      'links:', ...Array.from({ length: 40 }, (_, i) => `  - endpoints: ["h${i}:eth0", "br0:p${i}"]`)].join('\n');
    const server = spawn(process.execPath, ['--import', 'tsx', join(root, 'apps/cli/src/main.ts'), 'serve', '--port', '0'], {
      cwd: root, env: { ...process.env, NSLAB_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((r) => server.once('exit', r));
    const url = await new Promise<string>((resolve) => {
      let out = '';
      server.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /(http:\/\/[^/\s]+)\/\?token=/.exec(out);
        if (m) resolve(m[1]!);
      });
    });
    const req = fetch(`${url}/api/v1/labs`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 's-crash', yaml: star }),
    }).catch(() => null);
    // Kill it while the deploy runs.
    for (let i = 0; i < 500 && !findSandboxRecord('s-crash'); i++) await new Promise((r) => setTimeout(r, 5));
    server.kill('SIGKILL');
    await exited;
    await req;
    const after = await buildApp({ token: TOKEN });
    await after.registry.adoptAll();
    const labs = (await after.registry.list()).map((l) => l.name);
    if (labs.includes('s-crash')) {
      const state = (await after.app.inject({ method: 'GET', url: '/api/v1/labs/s-crash', headers: AUTH })).json() as ObservedLab;
      expect(state.nodes.filter((n) => n.kind === 'netns')).toHaveLength(40);
      await after.registry.destroy('s-crash', false);
    } else {
      expect(findSandbox('s-crash')).toBeNull();
    }
    await after.app.close();
    expect(hostNetworkSnapshot()).toBe(before);
  });
});

function findSandboxRecord(name: string): boolean {
  try {
    readFileSync(`/run/nslab/labs/${name}/sandbox.json`);
    return true;
  } catch {
    return false;
  }
}

describe('labs destroyed from elsewhere', () => {
  it('a lab destroyed by the CLI is announced to connected clients, and leaves no data folder', async () => {
    const { existsSync } = await import('node:fs');
    const { join: j } = await import('node:path');
    const { dataDir } = await import('@nslab/driver');
    for (let round = 0; round < 3; round++) {
      expect((await api('POST', '/labs', { name: 's-cli', yaml: vethYaml })).statusCode).toBe(201);
      const ws = await s.app.injectWS('/api/v1/labs/s-cli/events', { headers: AUTH });
      const inbox = new Inbox(ws);
      await inbox.next((m) => m.type === 'snapshot');
      await destroyLab('s-cli'); // what `nslab destroy` does, outside the server
      await inbox.next((m) => m.type === 'lab-destroyed', 8000);
      ws.terminate();
      await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(j(dataDir(), 'labs', 's-cli'))).toBe(false);
    }
  });
});
