// The pty host as a real process: shells outlive their connection for the grace period only, and
// the host itself goes away once it holds nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listHostedShells, openHostedShell, attachHostedShell, ptyHostSocket } from '../src/pty-host/client.ts';

// A host of our own: another test's server may have left shells in a shared one (its grace period),
// and "the host exits once it holds nothing" must not depend on them.
const dir = mkdtempSync(join(tmpdir(), 'nslab-ptyhost-'));
beforeAll(() => {
  process.env.NSLAB_PTY_HOST_SOCKET = join(dir, 'pty-host.sock');
});
afterAll(() => {
  delete process.env.NSLAB_PTY_HOST_SOCKET;
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};
function open(graceMs: number) {
  const id = randomBytes(6).toString('hex');
  return openHostedShell({ id, lab: 'pty-test', node: 'n', argv: ['bash', '--norc', '--noprofile', '-i'], env: { PATH: '/usr/bin:/bin', TERM: 'dumb', PS1: '$ ' }, cols: 80, rows: 24, graceMs });
}
async function output(sh: { onData(cb: (d: Buffer) => void): void }, re: RegExp): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${re} in ${JSON.stringify(text)}`)), 5000);
    sh.onData((d) => {
      text += d.toString();
      if (re.test(text)) {
        clearTimeout(t);
        resolve(text);
      }
    });
  });
}

describe('pty host', () => {
  it('keeps a detached shell for its grace period, replays it on attach, kills it after', async () => {
    const sh = await open(800);
    const seen = output(sh, /ready-7/);
    sh.write('echo ready-$((3+4))\r');
    await seen;
    sh.detach();
    await sleep(200);
    expect(alive(sh.pid)).toBe(true);
    const back = await attachHostedShell(sh.info.id);
    expect(back.replay.toString()).toContain('ready-7');
    const more = output(back, /again-9/);
    back.write('sleep 1000 & echo again-$((4+5))\r');
    await more;
    const children = readFileSync(`/proc/${sh.pid}/task/${sh.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    expect(children.length).toBeGreaterThan(0);
    back.detach();
    await sleep(1500);
    expect(alive(sh.pid)).toBe(false);
    for (const c of children) expect(alive(c)).toBe(false);
    expect((await listHostedShells()).some((s) => s.id === sh.info.id)).toBe(false);
  });

  it('reports the exit code, and the host exits once it holds nothing', async () => {
    const sh = await open(60_000);
    const exit = new Promise<{ exitCode: number }>((r) => sh.onExit(r));
    sh.write('exit 5\r');
    expect((await exit).exitCode).toBe(5);
    const end = Date.now() + 10_000;
    while (existsSync(ptyHostSocket()) && Date.now() < end) await sleep(100);
    expect(existsSync(ptyHostSocket())).toBe(false);
  }, 15_000);
});
