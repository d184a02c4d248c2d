// The pty host as a real process: shells outlive their connection for the grace period only, and
// the host itself goes away once it holds nothing.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
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
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const stat = (pid: number) => {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return st.slice(st.lastIndexOf(')') + 2).split(' ');
};
const cpuSeconds = (pid: number) => (Number(stat(pid)[11]) + Number(stat(pid)[12])) / CLK_TCK;
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
  it("a shell holds its own pty and nothing else of the host's: no other session's pty master", async () => {
    const a = await open(5000);
    const b = await open(5000);
    onTestFinished(() => {
      a.kill();
      b.kill();
    });
    const seen = output(b, /fds-listed/);
    b.write('echo fds-""listed\r');
    await seen;
    const own = readlinkSync(`/proc/${b.pid}/fd/0`);
    const fds = readdirSync(`/proc/${b.pid}/fd`).map((fd) => [fd, readlinkSync(`/proc/${b.pid}/fd/${fd}`)]);
    expect(own).toMatch(/^\/dev\/pts\/\d+$/);
    expect(fds.filter(([, target]) => target !== own)).toEqual([]);
  });

  it('a shell that stops reading its input costs a bounded queue and no CPU; other shells, resize and kill carry on', async () => {
    const a = await open(5000);
    const b = await open(5000);
    onTestFinished(() => {
      a.kill();
      b.kill();
    });
    const host = Number(stat(a.pid)[1]);
    const ready = output(a, /raw-ready/);
    a.write('stty raw -echo; echo raw-""ready; exec sleep 600\r');
    await ready;
    const cpu0 = cpuSeconds(host);
    const t0 = performance.now();
    const chunk = Buffer.alloc(32 * 1024, 'x');
    for (let i = 0; i < 640; i++) a.write(chunk); // 20 MB
    // The host took one window of it; the rest waits at the writer, whose business it is to stop reading.
    await sleep(200);
    expect(a.inputPending).toBeGreaterThan(20 * 1024 * 1024 - 128 * 1024);
    for (let i = 0; i < 5; i++) {
      const e0 = performance.now();
      const seen = output(b, new RegExp(`echo-${i}-ok`));
      b.write(`echo echo-${i}-""ok\r`);
      await seen;
      expect(performance.now() - e0).toBeLessThan(1000);
      await sleep(200);
    }
    const cpu = (cpuSeconds(host) - cpu0) / ((performance.now() - t0) / 1000);
    expect(cpu).toBeLessThan(0.1);
    // Control frames are not queued behind the input.
    a.resize(91, 17);
    const pts = readlinkSync(`/proc/${a.pid}/fd/0`);
    for (const end = Date.now() + 1000; Date.now() < end && spawnSync('stty', ['-F', pts, 'size'], { encoding: 'utf8' }).stdout.trim() !== '17 91'; ) await sleep(20);
    expect(spawnSync('stty', ['-F', pts, 'size'], { encoding: 'utf8' }).stdout.trim()).toBe('17 91');
    const exited = new Promise((r) => a.onExit(r));
    const k0 = performance.now();
    a.kill();
    await exited;
    expect(performance.now() - k0).toBeLessThan(1000);
    expect(a.inputPending).toBe(0);
  });

  it('Ctrl-C goes ahead of queued input and through a full kernel queue', async () => {
    const sh = await open(5000);
    onTestFinished(() => sh.kill());
    sh.write('sleep 600\r');
    await sleep(300);
    // Lines a shell would run after `sleep`; they print "fl2od" only if run.
    for (let i = 0; i < 20; i++) sh.write(Buffer.from('echo fl$((1+1))od\n'.repeat(2000)));
    await sleep(300);
    const back = output(sh, /after-42/);
    sh.interrupt();
    sh.write('echo after-$((6*7))\r');
    const text = await back;
    expect(text).not.toContain('fl2od');
  });

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
    const held = existsSync(ptyHostSocket()) ? await listHostedShells() : [];
    expect(existsSync(ptyHostSocket()), `the host still holds ${JSON.stringify(held)}`).toBe(false);
  }, 15_000);
});
