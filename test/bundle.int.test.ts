// The bundled server (dist/nslab.mjs, what `pnpm start` and the Docker image run) works like the
// source one: it finds the web app and the labs from dist/, and starts its own pty host from
// dist/pty-host.mjs, with no tsx anywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { TerminalOpcode } from '../packages/protocol/src/terminal.ts';
import { destroyLab, findSandbox } from '@nslab/driver';
import { buildServer } from '../scripts/build-server.ts';

const root = join(import.meta.dirname, '..');
const TOKEN = 'bundle-test-token-123456';
const auth = { authorization: `Bearer ${TOKEN}` };
let server: ChildProcess;
let base = '';
const tmp = mkdtempSync(join(tmpdir(), 'nslab-bundle-'));
const hostSocket = join(tmp, 'pty-host.sock');

beforeAll(async () => {
  if (findSandbox('b-bundle')) await destroyLab('b-bundle');
  const main = await buildServer();
  server = spawn(process.execPath, [main, 'serve', '--port', '0'], {
    cwd: '/', env: { PATH: process.env.PATH!, NSLAB_TOKEN: TOKEN, NSLAB_PTY_HOST_SOCKET: hostSocket }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.once('exit', () => reject(new Error(`serve exited: ${out}`)));
    server.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /(http:\/\/[^/\s]+)\/\?token=/.exec(out);
      if (m) resolve(m[1]!);
    });
  });
}, 60_000);

afterAll(async () => {
  server?.kill('SIGKILL');
  if (findSandbox('b-bundle')) await destroyLab('b-bundle');
  rmSync(tmp, { recursive: true, force: true });
});

describe('bundled server', () => {
  it('runs without tsx and serves the web app and the lab catalog', async () => {
    const cmdline = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8');
    expect(cmdline).toContain('dist/nslab.mjs');
    expect(cmdline).not.toContain('tsx');
    const page = await fetch(`${base}/?token=${TOKEN}`, { redirect: 'manual' });
    expect([200, 302, 303]).toContain(page.status);
    const index = await fetch(`${base}/labs/x`, { headers: auth });
    expect(await index.text()).toContain('<div id="root">');
    const { labs: catalog } = (await (await fetch(`${base}/api/v1/catalog`, { headers: auth })).json()) as { labs: { id: string }[] };
    expect(catalog.map((l) => l.id)).toContain('veth-pair');
  });

  it('opens a terminal through its own pty host started from dist/pty-host.mjs', async () => {
    const yaml = readFileSync(join(root, 'labs/veth-pair/topology.yaml'), 'utf8');
    const r = await fetch(`${base}/api/v1/labs`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'b-bundle', yaml }) });
    expect(r.status, await r.clone().text()).toBe(201);
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/v1/labs/b-bundle/nodes/ns1/terminal`, { headers: auth });
    let text = '';
    ws.on('message', (d: Buffer) => {
      if (d[0] === TerminalOpcode.OUTPUT) text += d.subarray(1).toString();
    });
    await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
    ws.send(Buffer.concat([Buffer.from([TerminalOpcode.RESIZE]), Buffer.from(JSON.stringify({ columns: 80, rows: 24 }))]));
    ws.send(Buffer.concat([Buffer.from([TerminalOpcode.INPUT]), Buffer.from('ping -c1 -W1 10.1.5.11 >/dev/null && echo "reach""able"\r')]));
    for (const end = Date.now() + 8000; Date.now() < end && !text.includes('reachable'); ) await new Promise((res) => setTimeout(res, 20));
    expect(text).toContain('reachable');
    const holder = readFileSync('/proc/net/unix', 'utf8').includes(hostSocket);
    expect(holder).toBe(true);
    ws.close(1000);
  });
});
