// Terminals on real ptys inside real lab namespaces, over the ttyd-style binary protocol.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { TerminalOpcode } from '@nslab/protocol';
import { destroyLab, findSandbox, listLabs, listShells } from '@nslab/driver';
import { buildApp, type NslabApp } from '../src/app.ts';
import { AUTH, TOKEN } from './helpers.ts';
import { alive, openTerminal, processInSession, within, type Term } from './terminal-client.ts';

const root = join(import.meta.dirname, '../../..');
const vethYaml = readFileSync(join(root, 'labs/veth-pair/topology.yaml'), 'utf8');
let s: NslabApp;

let base = '';

/** A real WebSocket over loopback TCP to the listening server, as a browser would connect. */
function open(node: string, query = '', server = base): Promise<Term> {
  return openTerminal(`${server}/api/v1/labs/t-term/nodes/${node}/terminal${query}`);
}

/** `nslab serve` as its own process, the way it runs for real (so it can be killed -9). */
async function startServer(): Promise<{ ws: string; kill: (sig: NodeJS.Signals) => void; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'apps/cli/src/main.ts'), 'serve', '--port', '0'], {
    cwd: root, env: { ...process.env, NSLAB_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  const url = await within(new Promise<string>((resolve, reject) => {
    let out = '';
    child.once('exit', () => reject(new Error(`serve exited early: ${out}`)));
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /(http:\/\/[^/\s]+)\/\?token=/.exec(out);
      if (m) resolve(m[1]!);
    });
  }), 20_000, 'nslab serve to print its URL');
  return { ws: url.replace(/^http/, 'ws'), kill: (sig) => child.kill(sig), exited };
}

beforeAll(async () => {
  for (const sb of listLabs()) if (sb.name === 't-term') await destroyLab(sb.name);
  s = await buildApp({ token: TOKEN, terminalGraceMs: 3000, limits: { terminalsPerLab: 6 } });
  const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: AUTH, payload: { name: 't-term', yaml: vethYaml } });
  expect(r.statusCode, r.body).toBe(201);
  const address = await s.app.listen({ host: '127.0.0.1', port: 0 });
  base = address.replace(/^http/, 'ws');
});
afterAll(async () => {
  await s.app.close();
  if (findSandbox('t-term')) await destroyLab('t-term');
});

describe('terminals', () => {
  it('opens a shell in ns1 that sees only ns1, with the node in the prompt', async () => {
    const t = await open('ns1');
    await t.waitFor(/root@ns1/);
    expect(t.session).toMatch(/^[\w-]{10,}$/);
    const out = await t.run('ip -br addr');
    expect(out).toContain('veth-01');
    expect(out).toContain('10.1.5.10/24');
    expect(out).not.toContain('veth-10');
    const ping = await t.run('ping -c1 -W1 10.1.5.11', 5000);
    expect(ping).toContain('1 received');
    // The environment is clean: none of the server's variables (its token, say) reach the shell.
    process.env.NSLAB_SECRET_PROBE = 'leak';
    const env = await t.run('env | sort');
    expect(env).toContain('TERM=xterm-256color');
    expect(env).not.toContain('NSLAB_SECRET_PROBE');
    expect(env).not.toContain(TOKEN);
    t.ws.close(1000);
    await t.closed;
  });

  it('commands typed in a terminal join the command log, with their namespace and status', async () => {
    const t = await open('ns1');
    await t.waitFor(/root@ns1/);
    const log = async () => ((await s.app.inject({ method: 'GET', url: '/api/v1/labs/t-term/log', headers: AUTH })).json() as { entries: { id: number; source: string; line: string; ok: boolean }[] }).entries;
    const before = Math.max(0, ...(await log()).map((e) => e.id));
    // Typed bare (t.run would append its marker to the line and its status).
    for (const cmd of ['ip link set dev lo up', 'false', '', 'true']) t.type(`${cmd}\r`);
    const end = Date.now() + 5000;
    let lines: { source: string; line: string; ok: boolean }[] = [];
    while (Date.now() < end) {
      // Only this test's commands: the test above's may be logged late, on a loaded machine.
      lines = (await log()).filter((e) => e.source === 'terminal' && e.id > before && /^ip netns exec ns1 (ip link set dev lo up|false|true)$/.test(e.line));
      if (lines.some((l) => l.line === 'ip netns exec ns1 true')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // The empty line repeats `history 1` in the shell: it is not logged again.
    expect(lines.map((l) => [l.line, l.ok])).toEqual([
      ['ip netns exec ns1 ip link set dev lo up', true],
      ['ip netns exec ns1 false', false],
      ['ip netns exec ns1 true', true],
    ]);
    t.ws.close(1000);
  });

  it('the lab host shell lists only the lab\'s namespaces', async () => {
    const t = await open('host');
    await t.waitFor(/root@host/);
    const out = await t.run('ip netns list');
    const names = out.split('\n').map((l) => l.trim().split(' ')[0]).filter((n) => n === 'ns1' || n === 'ns2');
    expect(names.sort()).toEqual(['ns1', 'ns2']);
    expect(await t.run('touch /etc/nslab-escape 2>&1')).toMatch(/Permission denied|Read-only/);
    t.ws.close(1000);
  });

  it('survives a flood with bounded memory, honours pause, and Ctrl-C ends it fast', async () => {
    const t = await open('ns2');
    await t.waitFor(/root@ns2/);
    const rss0 = process.memoryUsage().rss;
    t.type('cat /dev/urandom | base64\r');
    await new Promise((r) => setTimeout(r, 3000));
    const during = t.bytes;
    expect(during).toBeGreaterThan(1_000_000);
    // A paused client stops the flow at the source.
    t.frame(TerminalOpcode.PAUSE);
    await new Promise((r) => setTimeout(r, 300));
    const pausedAt = t.bytes;
    await new Promise((r) => setTimeout(r, 700));
    expect(t.bytes - pausedAt).toBeLessThan(512 * 1024);
    t.frame(TerminalOpcode.RESUME);
    await new Promise((r) => setTimeout(r, 500));
    expect(t.bytes).toBeGreaterThan(pausedAt);
    const growth = (process.memoryUsage().rss - rss0) / 1024 / 1024;
    console.log(`flood: ${(during / 3 / 1024 / 1024).toFixed(1)} MB/s delivered, RSS growth ${growth.toFixed(1)} MB`);
    expect(growth).toBeLessThan(100);
    const t0 = performance.now();
    t.type('\x03');
    const end = Date.now() + 1000;
    // The screen's tail, not an index into it: the collector trims its text during a flood, which
    // would leave a saved index pointing past the end. Base64 lines never end in a prompt.
    while (!/root@ns2[^\n]*# $/.test(t.text.slice(-300).replace(/\x1b\[[0-9;]*m/g, '')) && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    const ms = performance.now() - t0;
    console.log(`Ctrl-C to prompt during flood: ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(1000);
    t.ws.close(1000);
  });

  it('reattaches within the grace period and replays scrollback', async () => {
    const t = await open('ns1');
    await t.waitFor(/root@ns1/);
    await t.run('echo marker-"4711"');
    const id = t.session;
    t.ws.terminate(); // a dropped connection, not a close
    await t.closed;
    await new Promise((r) => setTimeout(r, 100));
    const again = await open('ns1', `?session=${id}`);
    await again.waitFor(/marker-4711/);
    expect(again.session).toBe(id);
    const out = await again.run('echo still-here');
    expect(out).toContain('still-here');
    again.ws.close(1000);
    await new Promise((r) => setTimeout(r, 300));
    // Closed for good: reattaching is refused.
    const gone = await open('ns1', `?session=${id}`);
    await gone.closed;
    expect(gone.exit?.reason).toMatch(/ended|closed by the user/);
    expect(gone.text).not.toContain('still-here');
  });

  it('a dropped terminal that nobody reattaches is killed after the grace period', async () => {
    const t = await open('ns1');
    await t.waitFor(/root@ns1/);
    const pid = await processInSession(s.terminals.get(t.session)!.pid, 'bash');
    t.ws.terminate();
    await new Promise((r) => setTimeout(r, 3500));
    expect(alive(pid)).toBe(false);
  });

  it('resizing after the shell exited does not crash, and exit is reported', async () => {
    const t = await open('ns2');
    await t.waitFor(/root@ns2/);
    t.type('exit 3\r');
    await t.closed;
    expect(t.exit).toMatchObject({ code: 3 });
    const other = await open('ns2');
    await other.waitFor(/root@ns2/);
    other.frame(TerminalOpcode.RESIZE, JSON.stringify({ columns: 120, rows: 40 }));
    expect(await other.run('stty size')).toContain('40 120');
    other.ws.close(1000);
  });

  it('refuses more terminals than the per-lab cap', async () => {
    // Terminals the tests above closed without waiting still hold their slots for a moment.
    for (const end = Date.now() + 5000; Date.now() < end && s.terminals.count('t-term') > 0; ) await new Promise((r) => setTimeout(r, 20));
    const open6 = await Promise.all(Array.from({ length: 6 }, () => open('ns1')));
    await Promise.all(open6.map((t) => t.waitFor(/root@ns1/)));
    const extra = await open('ns1');
    await extra.closed;
    expect(extra.exit).toMatchObject({ reason: expect.stringContaining('at most 6') });
    for (const t of open6) t.ws.close(1000);
    await Promise.all(open6.map((t) => t.closed));
  });

  it('a shell survives the server being killed (-9) and restarted: same session, its state and scrollback', async () => {
    const a = await startServer();
    try {
      const t = await open('ns1', '', a.ws);
      await t.waitFor(/root@ns1/);
      await t.run('cd /tmp; export PROBE=kept-"$((6*7))"; sleep 1000 & true');
      // $$ as the lab sees it (its PID namespace), and the host's view of the same bash.
      const inner = Number(/\n(\d+)\r?\n/.exec(await t.run('echo $$'))![1]);
      const id = t.session;
      const pid = await processInSession((await listShells()).find((i) => i.id === id)!.pid, 'bash');
      a.kill('SIGKILL');
      await within(a.exited, 10_000, 'server A to die after SIGKILL');
      await within(t.closed, 10_000, 'the socket to server A to close');
      // Nobody holds the session now but the pty host: the shell is still there.
      expect(alive(pid)).toBe(true);
      const b = await startServer();
      try {
        const again = await open('ns1', `?session=${id}`, b.ws);
        await again.waitFor(/PROBE=kept/); // the scrollback from before the crash
        expect(again.session).toBe(id);
        const out = await again.run('echo "$PROBE $(pwd) $(jobs -r | wc -l)"');
        expect(out).toContain('kept-42 /tmp 1');
        // A graceful stop (SIGTERM) hands the shell back to the host too, and the client is told to come back.
        b.kill('SIGTERM');
        expect(await within(again.closed, 15_000, 'server B to close the terminal (1012)')).toBe(1012);
        await within(b.exited, 15_000, 'server B to exit after SIGTERM');
      } finally {
        b.kill('SIGKILL');
      }
      const c = await startServer();
      try {
        const third = await open('ns1', `?session=${id}`, c.ws);
        await third.waitFor(/kept-42 \/tmp 1/);
        expect((await third.run('echo $$'))).toContain(String(inner));
        third.ws.close(1000);
        await within(third.closed, 10_000, 'the last terminal to close');
        // Closed for good: the shell and its background job are gone.
        for (const end = Date.now() + 2000; Date.now() < end && alive(pid); ) await new Promise((r) => setTimeout(r, 20));
        expect(alive(pid)).toBe(false);
      } finally {
        c.kill('SIGKILL');
        await within(c.exited, 10_000, 'server C to die');
      }
    } finally {
      a.kill('SIGKILL');
    }
  }, 60_000);

  it('deleting the namespace closes its terminals with a message', async () => {
    const t = await open('ns2');
    await t.waitFor(/root@ns2/);
    const t0 = performance.now();
    const r = await s.app.inject({ method: 'DELETE', url: '/api/v1/labs/t-term/nodes/ns2', headers: AUTH });
    expect(r.statusCode, r.body).toBe(200);
    await t.closed;
    console.log(`namespace deleted -> its terminal closed: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(t.exit?.reason).toContain('namespace ns2 was deleted');
  });

  it('destroying the lab ends every shell: exit sent, no bash left', async () => {
    const t1 = await open('ns1');
    const t2 = await open('host');
    await t1.waitFor(/root@ns1/);
    await t2.waitFor(/root@host/);
    t1.type('sleep 1000 &\r');
    await t1.waitFor(/\[1\] \d+/);
    const sb = findSandbox('t-term')!;
    expect(sb.pids().length).toBeGreaterThan(2);
    const r = await s.app.inject({ method: 'DELETE', url: '/api/v1/labs/t-term', headers: AUTH });
    expect(r.statusCode).toBe(200);
    await Promise.all([t1.closed, t2.closed]);
    expect(t1.exit?.reason).toContain('destroyed');
    expect(t2.exit?.reason).toContain('destroyed');
    expect(sb.pids()).toEqual([]);
  });
});
