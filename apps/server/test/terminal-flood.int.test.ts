// One learner cannot stall anyone else's terminals: a program that stops reading its input, flooded
// through the real server WebSocket, real pty host, real kernel pty. Also the per-lab terminal cap
// under 100 concurrent opens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerminalOpcode } from '@nslab/protocol';
import { destroyLab, findSandbox } from '@nslab/driver';
import { buildApp, type NslabApp } from '../src/app.ts';
import { AUTH } from './helpers.ts';
import { alive, openTerminal, procStat, processInSession, within, type Term } from './terminal-client.ts';

const root = join(import.meta.dirname, '../../..');
const vethYaml = readFileSync(join(root, 'labs/veth-pair/topology.yaml'), 'utf8');
const LAB_A = 't-flood-a';
const LAB_B = 't-flood-b';
const LAB_C = 't-flood-c';
const CAP = 8;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const FLOOD_BYTES = 20 * 1024 * 1024;
/** Under the server's 64 KiB message limit, like a pasting client's chunks. */
const FLOOD_FRAME = 32 * 1024;

// A pty host of our own: a flood must not reach a host other tests (or a real server) share, and
// this test must be able to find the host's pid to measure it (and kill it, should it hang).
const dir = mkdtempSync(join(tmpdir(), 'nslab-flood-'));
let s: NslabApp;
let base = '';
const hostPids = new Set<number>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cpuSeconds = (pid: number) => {
  const f = procStat(pid)!;
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
};

/** The pty host holding a terminal: the parent of the process its pty started. */
function hostOf(t: Term): number {
  const host = Number(procStat(s.terminals.get(t.session)!.pid)![1]);
  hostPids.add(host);
  return host;
}

/** A process named `comm` that the terminal's shell started. */
function processIn(t: Term, comm: string): Promise<number> {
  return processInSession(s.terminals.get(t.session)!.pid, comm);
}

function open(lab: string, node = 'ns1'): Promise<Term> {
  return openTerminal(`${base}/api/v1/labs/${lab}/nodes/${node}/terminal`);
}

/** Send `bytes` of input in FLOOD_FRAME frames, all handed to the socket at once, as a script would. */
function flood(t: Term, pattern: string, bytes = FLOOD_BYTES): void {
  const chunk = Buffer.from(pattern.repeat(Math.ceil(FLOOD_FRAME / pattern.length)).slice(0, FLOOD_FRAME));
  for (let sent = 0; sent < bytes; sent += chunk.length) t.type(chunk);
}

/** Time from typing `tag` at B's prompt until readline's echo of it arrives. */
async function echoMs(t: Term, tag: string, boundMs: number): Promise<number> {
  const t0 = performance.now();
  t.type(tag);
  await t.waitFor(new RegExp(tag), boundMs);
  const ms = performance.now() - t0;
  t.type('\x15'); // Ctrl-U: clear the line for the next probe
  return ms;
}

beforeAll(async () => {
  process.env.NSLAB_PTY_HOST_SOCKET = join(dir, 'pty-host.sock');
  for (const lab of [LAB_A, LAB_B, LAB_C]) if (findSandbox(lab)) await destroyLab(lab);
  s = await buildApp({ token: 'test-token-0123456789', terminalGraceMs: 3000, limits: { terminalsPerLab: CAP } });
  for (const name of [LAB_A, LAB_B, LAB_C]) {
    const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: AUTH, payload: { name, yaml: vethYaml } });
    expect(r.statusCode, `${name}: ${r.body}`).toBe(201);
  }
  base = (await s.app.listen({ host: '127.0.0.1', port: 0 })).replace(/^http/, 'ws');
});

afterAll(async () => {
  await s?.app.close();
  for (const lab of [LAB_A, LAB_B, LAB_C]) if (findSandbox(lab)) await destroyLab(lab);
  // A host that hung would stay at 100% CPU: ours, found by pid, never by name.
  for (const pid of hostPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  delete process.env.NSLAB_PTY_HOST_SOCKET;
  rmSync(dir, { recursive: true, force: true });
});

describe('terminal input flow control', () => {
  it('a program that stops reading, flooded with 20 MB, stalls neither another lab\'s terminal nor the pty host; resize and close still work', async () => {
    const a = await open(LAB_A);
    const b = await open(LAB_B);
    await a.waitFor(/root@ns1/);
    await b.waitFor(/root@ns1/);
    const host = hostOf(a);
    expect(hostOf(b)).toBe(host); // one host holds both labs' shells: what one session does there, the other feels
    a.type('stty raw -echo; sleep 600\r');
    const sleeper = await processIn(a, 'sleep');
    const shell = await processIn(a, 'bash');

    const cpu0 = cpuSeconds(host);
    const t0 = performance.now();
    flood(a, 'x');
    const probes: number[] = [];
    let queued = 0;
    for (let i = 0; i < 10; i++) {
      probes.push(await echoMs(b, `probe${i}q`, 1000));
      queued = Math.max(queued, s.terminals.get(a.session)!.inputQueued);
      await sleep(200);
    }
    const cpu = (cpuSeconds(host) - cpu0) / ((performance.now() - t0) / 1000);
    console.log(`echo in lab B during lab A's input flood: ${probes.map((x) => x.toFixed(0)).join(', ')} ms; pty host CPU ${(cpu * 100).toFixed(1)}% of one core`);
    expect(Math.max(...probes)).toBeLessThan(1000);
    expect(cpu).toBeLessThan(0.15);
    // What waits for the shell stays bounded (256 KiB before the server stops reading, plus what one
    // socket read still held).
    expect(queued).toBeGreaterThan(128 * 1024);
    expect(queued).toBeLessThan(512 * 1024);

    // The server does not hold the flood for a program that has stopped reading: it drops it, so the
    // client's own later frames (and its close) are read.
    await within((async () => {
      while (a.ws.bufferedAmount > 0) await sleep(20);
    })(), 10_000, "the server to read the flooding client's 20 MB");
    const dropped = s.terminals.get(a.session)!.droppedInput;
    expect(dropped).toBeGreaterThan(FLOOD_BYTES - 2 * 1024 * 1024);

    // Resize goes past the queued input: the pty's size changes although its program reads nothing.
    const r0 = performance.now();
    a.frame(TerminalOpcode.RESIZE, JSON.stringify({ columns: 77, rows: 19 }));
    const pts = readlinkSync(`/proc/${sleeper}/fd/0`);
    for (let size = ''; size !== '19 77'; await sleep(20)) {
      size = spawnSync('stty', ['-F', pts, 'size'], { encoding: 'utf8' }).stdout.trim();
      if (performance.now() - r0 > 2000) throw new Error(`the pty is still ${size}, not 19 77`);
    }

    // Closing for good kills the shell at once, whatever input is still queued for it.
    const c0 = performance.now();
    a.ws.close(1000);
    await within(a.closed, 2000, 'the flooded terminal to close');
    for (const end = Date.now() + 2000; Date.now() < end && (alive(sleeper) || alive(shell)); ) await sleep(20);
    console.log(`resize took effect in ${(c0 - r0).toFixed(0)} ms; close to shell gone ${(performance.now() - c0).toFixed(0)} ms`);
    expect(alive(sleeper)).toBe(false);
    expect(alive(shell)).toBe(false);

    expect(await echoMs(b, 'after0q', 1000)).toBeLessThan(1000);
    b.ws.close(1000);
    await b.closed;
  });

  it('Ctrl-C reaches a program that stopped reading, ahead of 20 MB of queued lines, and none of them run', async () => {
    const a = await open(LAB_A);
    await a.waitFor(/root@ns1/);
    hostOf(a);
    a.type('sleep 600\r');
    const sleeper = await processIn(a, 'sleep');
    // Lines a shell would run once `sleep` ends; they print "fl2od" only if run (their echo shows "fl$((1+1))od").
    flood(a, 'echo fl$((1+1))od\n');
    const t0 = performance.now();
    a.type('\x03');
    a.type('echo after-$((6*7))\r');
    await a.waitFor(/after-42/, 10_000);
    const ms = performance.now() - t0;
    console.log(`Ctrl-C behind 20 MB of input to the prompt: ${ms.toFixed(0)} ms`);
    expect(alive(sleeper)).toBe(false);
    expect(a.text).not.toContain('fl2od');
    expect(ms).toBeLessThan(5000);
    a.ws.close(1000);
    await a.closed;
  });

  it(`100 concurrent opens against a cap of ${CAP}: exactly ${CAP} shells, the rest refused`, async () => {
    const terms = await Promise.all(Array.from({ length: 100 }, () => open(LAB_C)));
    await within(Promise.all(terms.map(async (t) => {
      while (!t.session && !t.exit) await sleep(20);
    })), 30_000, 'every open to be answered');
    const ok = terms.filter((t) => t.session);
    const refused = terms.filter((t) => t.exit?.error === 'LIMIT_TERMINALS');
    expect(ok.length).toBe(CAP);
    expect(refused.length).toBe(100 - CAP);
    expect(s.terminals.count(LAB_C)).toBe(CAP);
    await Promise.all(ok.map((t) => t.waitFor(/root@ns1/)));
    for (const t of terms) t.ws.close(1000);
    await within(Promise.all(terms.map((t) => t.closed)), 10_000, 'the terminals to close');
    // The slots come back once their shells are gone.
    for (const end = Date.now() + 5000; Date.now() < end && s.terminals.count(LAB_C) > 0; ) await sleep(20);
    const again = await open(LAB_C);
    await again.waitFor(/root@ns1/);
    again.ws.close(1000);
    await again.closed;
  });
});
