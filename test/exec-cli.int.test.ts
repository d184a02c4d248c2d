// `nslab exec` as users run it: the real command (the launcher scripts/install-bin.sh writes, started
// from another directory) against a real lab. Output streams while the command runs, stdout and
// stderr interleave as written, piped input reaches the command, -t gives a pty of the lab's own and
// -it a working interactive shell, Ctrl-C (SIGINT to nslab) ends the command and everything it
// started, exit statuses are a shell's, only an explicit --timeout ends a command, and `sudo` works
// in lab shells (exec and web terminals) without existing on the host.
//
// NSLAB_TEST_CLI='["node","/path/to/main.mjs"]' runs these tests against another build of the CLI.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyLab, findSandbox, openShell } from '@nslab/driver';
import { spawn as spawnPty } from '@lydell/node-pty';
import { buildServer } from '../scripts/build-server.ts';

const root = join(import.meta.dirname, '..');
const LAB = 'x-execcli';
const EMPTY = 'x-execnew';
const tmp = mkdtempSync(join(tmpdir(), 'nslab-execcli-'));
/** A directory of the user's own: the command is typed here, the topology is a relative path. */
const work = join(tmp, 'work');
let cli: string[] = [];

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** When each stdout chunk arrived, in ms since the start. */
  chunks: { ms: number; text: string }[];
  ms: number;
}

function start(args: string[], opts: { input?: string | Buffer; viaShell?: string; keepStdin?: boolean } = {}): { child: ChildProcess; done: Promise<Result> } {
  const t0 = performance.now();
  const [cmd, ...rest] = opts.viaShell ? ['sh', '-c', opts.viaShell, ...cli, ...args] : [...cli, ...args];
  const child = spawn(cmd!, rest, { cwd: work, env: { PATH: process.env.PATH!, LANG: 'C.UTF-8' }, stdio: ['pipe', 'pipe', 'pipe'] });
  const r: Result = { code: null, signal: null, stdout: '', stderr: '', chunks: [], ms: 0 };
  child.stdout!.on('data', (b: Buffer) => {
    r.stdout += b.toString();
    r.chunks.push({ ms: performance.now() - t0, text: b.toString() });
  });
  child.stderr!.on('data', (b: Buffer) => (r.stderr += b.toString()));
  child.stdin!.on('error', () => {});
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  else if (!opts.keepStdin) child.stdin!.end();
  const done = new Promise<Result>((resolve) => {
    child.on('close', (code, signal) => {
      r.code = code;
      r.signal = signal;
      r.ms = performance.now() - t0;
      resolve(r);
    });
  });
  return { child, done };
}

const run = (args: string[], opts: { input?: string | Buffer; viaShell?: string } = {}) => start(args, opts).done;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Processes of the lab whose command line matches `re` (seen from the host, by the lab's uid range). */
function labProcs(lab: string, re: RegExp): string[] {
  const sb = findSandbox(lab);
  if (!sb) return [];
  return sb.pids().flatMap((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      return re.test(cmd) ? [cmd] : [];
    } catch {
      return [];
    }
  });
}

async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

beforeAll(async () => {
  for (const l of [LAB, EMPTY]) if (findSandbox(l)) await destroyLab(l);
  spawnSync('mkdir', ['-p', work]);
  copyFileSync(join(root, 'labs/veth-pair/topology.yaml'), join(work, 'pair.yaml'));
  if (process.env.NSLAB_TEST_CLI) cli = JSON.parse(process.env.NSLAB_TEST_CLI) as string[];
  else {
    await buildServer();
    const bin = join(tmp, 'bin', 'nslab');
    spawnSync('mkdir', ['-p', join(tmp, 'bin')]);
    const inst = spawnSync('bash', [join(root, 'scripts/install-bin.sh'), bin], { encoding: 'utf8' });
    expect(inst.status, inst.stderr).toBe(0);
    cli = [bin];
  }
  // From the user's directory, with a path relative to it.
  const d = await run(['deploy', 'pair.yaml', '--name', LAB, '-q']);
  expect(d.code, d.stderr).toBe(0);
  expect(d.stdout.trim()).toBe(LAB);
}, 120_000);

afterAll(async () => {
  for (const l of [LAB, EMPTY]) if (findSandbox(l)) await destroyLab(l);
  rmSync(tmp, { recursive: true, force: true });
});

describe('nslab exec streams', () => {
  it('prints the first line while the command still runs', async () => {
    const r = await run(['exec', LAB, 'ns1', '--', 'sh', '-c', 'echo first; sleep 2; echo second']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('first\nsecond\n');
    const first = r.chunks.find((c) => c.text.includes('first'))!;
    // Batch output arrives at the end, in one go; streamed output ~2 s before it.
    expect(r.ms - first.ms).toBeGreaterThan(1500);
    expect(first.text).not.toContain('second');
  });

  it('keeps stdout and stderr in the order written when they are one file (2>&1)', async () => {
    const r = await run(['exec', LAB, 'host', '--', 'sh', '-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; done'], { viaShell: '"$0" "$@" 2>&1' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('out1\nerr1\nout2\nerr2\nout3\nerr3\n');
    // Two files stay two.
    const apart = await run(['exec', LAB, 'host', '--', 'sh', '-c', 'echo out; echo err >&2']);
    expect([apart.stdout, apart.stderr]).toEqual(['out\n', 'err\n']);
  });

  it('forwards piped input: echo hi | nslab exec L host -- cat', async () => {
    const r = await run(['exec', LAB, 'host', '--', 'cat'], { input: 'hi\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('hi\n');
    // All of a large input, to a command in a namespace, through real pipes (/dev/stdin opens).
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 'ab');
    const w = await run(['exec', LAB, 'ns2', '--', 'sh', '-c', 'wc -c < /dev/stdin'], { input: big });
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout.trim()).toBe(String(big.length));
  });
});

describe('nslab exec -t / -it', () => {
  it('-t runs the command on a pty of the lab: tty names /dev/pts/N, stty size works', async () => {
    const r = await run(['exec', '-t', LAB, 'ns1', '--', 'sh', '-c', 'tty; stty size; readlink /proc/self/fd/0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\r\n24 80\r\n\/dev\/pts\/\d+\r\n$/);
  });

  it('-it on a terminal: the terminal is raw, its size and resizes are passed on, keys reach an interactive shell, its exit status comes back', async () => {
    // A real terminal on the host side (100x30), as a user's would be.
    const term = spawnPty(cli[0]!, [...cli.slice(1), 'exec', '-it', LAB, 'ns2', '--', 'bash', '--norc'], {
      name: 'xterm', cols: 100, rows: 30, cwd: work, env: { PATH: process.env.PATH!, TERM: 'xterm' },
    });
    onTestFinished(() => term.kill('SIGKILL'));
    let out = '';
    term.onData((d) => (out += d));
    const exited = new Promise<number>((resolve) => term.onExit((e) => resolve(e.exitCode)));
    const answer = async (input: string, re: RegExp, what: string) => {
      term.write(input);
      await waitFor(what, () => re.test(out), 20_000);
    };
    await answer('tty; stty size\r', /\/dev\/pts\/\d+\r+\n30 100\r+\n/, 'tty and stty size');
    await answer('echo $((6*7))-answer\r', /42-answer/, 'the shell to answer');
    // A resize of nslab's terminal reaches the lab's pty (the shell gets SIGWINCH there).
    term.resize(132, 45);
    await sleep(300);
    await answer('stty size\r', /45 132\r+\n/, 'the new size');
    // ^C is a key in raw mode: the lab's pty turns it into SIGINT for the sleep, the shell stays.
    term.write('sleep 30; echo after-"sl"eep\r');
    await sleep(1000);
    await answer('\x03echo still-$((1+1))\r', /still-2/, 'the shell to carry on after ^C');
    term.write('exit 5\r');
    expect(await exited, out).toBe(5);
    expect(out).not.toContain('after-sleep');
  });
});

describe('nslab exec signals and exit status', () => {
  it('Ctrl-C (SIGINT to nslab) ends the command and everything it started in the lab; status 130', async () => {
    const { child, done } = start(['exec', LAB, 'host', '--', 'bash', '-c', 'sleep 300 & setsid sleep 301 & sleep 302']);
    await waitFor('the three sleeps', () => labProcs(LAB, /^sleep 30[012]$/).length === 3, 20_000);
    child.kill('SIGINT');
    const r = await done;
    expect(r.code, r.stderr).toBe(130);
    // Gone when nslab has exited, not some time later.
    expect(labProcs(LAB, /^sleep 30[012]$/)).toEqual([]);
  });

  it('SIGKILL of nslab itself still ends the command in the lab', async () => {
    const { child, done } = start(['exec', LAB, 'ns1', '--', 'sh', '-c', 'setsid sleep 303 & exec sleep 304']);
    await waitFor('the two sleeps', () => labProcs(LAB, /^sleep 30[34]$/).length === 2, 20_000);
    child.kill('SIGKILL');
    await done;
    await waitFor('the sleeps to end', () => labProcs(LAB, /^sleep 30[34]$/).length === 0, 3000);
  });

  it('SIGTERM and SIGHUP reach the command, which may handle them', async () => {
    const script = 'trap "echo got-TERM; exit 7" TERM; trap "echo got-HUP; exit 8" HUP; echo ready; while :; do sleep 0.1; done';
    for (const [sig, code, word] of [['SIGTERM', 7, 'got-TERM'], ['SIGHUP', 8, 'got-HUP']] as const) {
      const { child, done } = start(['exec', LAB, 'host', '--', 'bash', '-c', script]);
      let ready = '';
      child.stdout!.on('data', (b: Buffer) => (ready += b.toString()));
      await waitFor('ready', () => ready.includes('ready'), 20_000);
      child.kill(sig);
      const r = await done;
      expect(r.code, `${sig}: ${r.stderr}`).toBe(code);
      expect(r.stdout).toContain(word);
    }
  });

  it('returns the exit status a shell would: 0, 3, 127, 126, 130, 143', async () => {
    const cases: [string[], number][] = [
      [['host', '--', 'true'], 0],
      [['ns1', '--', 'sh', '-c', 'exit 3'], 3],
      [['host', '--', 'no-such-command'], 127],
      [['ns1', '--', 'no-such-command'], 127],
      [['ns1', '--', '/etc'], 126],
      [['host', '--', 'sh', '-c', 'kill -INT $$'], 130],
      [['ns2', '--', 'sh', '-c', 'kill -TERM $$'], 143],
    ];
    for (const [args, code] of cases) {
      const r = await run(['exec', LAB, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      if (code === 127) expect(r.stderr).toContain('no-such-command: command not found');
    }
  });

  it('has no time limit of its own; --timeout SECONDS ends a command (SIGTERM, then SIGKILL) with 124', async () => {
    const plain = await run(['exec', LAB, 'host', '--', 'sleep', '2']);
    expect(plain.code, plain.stderr).toBe(0);
    const t = await run(['exec', '--timeout', '1', LAB, 'host', '--', 'sleep', '30']);
    expect(t.code, t.stderr).toBe(124);
    expect(t.stderr).toContain('--timeout 1 s reached');
    // One that ignores SIGTERM is killed 2 s later, with what it started.
    const stubborn = await run(['exec', '--timeout=0.5', LAB, 'ns1', '--', 'sh', '-c', 'trap "" TERM; sleep 305 & sleep 306']);
    expect(stubborn.code, stubborn.stderr).toBe(124);
    expect(stubborn.ms).toBeLessThan(15_000);
    expect(labProcs(LAB, /^sleep 30[56]$/)).toEqual([]);
  });

  it('refuses bad options, naming the option and the rule; an unknown node names the nodes', async () => {
    const t = await run(['exec', '--timeout', 'soon', LAB, 'host', '--', 'true']);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('--timeout must be a number of seconds above 0');
    const e = await run(['exec', '-e', '1X=2', LAB, 'host', '--', 'true']);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('-e must be NAME=VALUE');
    const x = await run(['exec', '-x', LAB, 'host', '--', 'true']);
    expect(x.code).toBe(2);
    expect(x.stderr).toContain('unknown option -x');
    const n = await run(['exec', LAB, 'nope', '--', 'true']);
    expect(n.code).toBe(1);
    expect(n.stderr).toContain('has no node "nope" (nodes: host, ns1, ns2)');
    const env = await run(['exec', '-e', 'GREETING=hello there', LAB, 'ns1', '--', 'sh', '-c', 'echo "$GREETING"']);
    expect(env.stdout).toBe('hello there\n');
  });
});

describe('sudo in lab shells', () => {
  it('runs its command in nslab exec: sudo cmd, sudo -E, sudo -i, sudo -s; other users are refused; nothing of it on the host', async () => {
    const link = await run(['exec', LAB, 'ns1', '--', 'sudo', 'ip', 'link', 'show', 'lo']);
    expect(link.code, link.stderr).toBe(0);
    expect(link.stdout).toMatch(/^1: lo: <LOOPBACK/);
    const env = await run(['exec', LAB, 'host', '--', 'sudo', '-E', 'env']);
    expect(env.code, env.stderr).toBe(0);
    expect(env.stdout).toMatch(/^PATH=\/run\/nslab-bin:/m);
    const login = await run(['exec', LAB, 'host', '--', 'sudo', '-i'], { input: 'pwd; id -u\n' });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toBe('/root\n0\n');
    const shell = await run(['exec', LAB, 'ns2', '--', 'sudo', '-s', 'ip', '-br', 'addr', 'show', 'veth-10']);
    expect(shell.stdout).toContain('10.1.5.11/24');
    const sysctl = await run(['exec', LAB, 'ns1', '--', 'sudo', 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward']);
    expect(sysctl.stdout).toBe('1\n');
    const other = await run(['exec', LAB, 'host', '--', 'sudo', '-u', 'alice', 'id']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('not supported');
    // The shim is the lab's alone: not on the host's PATH, and the host has no /run/nslab-bin.
    expect(existsSync('/run/nslab-bin')).toBe(false);
    const which = spawnSync('sh', ['-c', 'command -v sudo'], { encoding: 'utf8', env: { PATH: process.env.PATH! } });
    expect(which.stdout).not.toContain('nslab');
  });

  it('runs its command in a web terminal shell (the pty host)', async () => {
    const socketDir = mkdtempSync(join(tmpdir(), 'nslab-execcli-pty-'));
    const before = process.env.NSLAB_PTY_HOST_SOCKET;
    process.env.NSLAB_PTY_HOST_SOCKET = join(socketDir, 'pty-host.sock');
    const sh = await openShell(findSandbox(LAB)!, 'ns1', { id: randomBytes(6).toString('hex'), lab: LAB, cols: 120, rows: 30, graceMs: 1000 });
    onTestFinished(() => {
      sh.kill();
      if (before === undefined) delete process.env.NSLAB_PTY_HOST_SOCKET;
      else process.env.NSLAB_PTY_HOST_SOCKET = before;
      rmSync(socketDir, { recursive: true, force: true });
    });
    let out = '';
    sh.onData((d) => (out += d.toString()));
    sh.write('sudo ip -br link show lo; sudo -E env | grep -c ^NSLAB_NODE=ns1; echo "rc=$?-""done"\r');
    await waitFor('sudo in the terminal', () => out.includes('rc=0-done'), 20_000);
    expect(out).toMatch(/\blo\s+DOWN\s+00:00:00:00:00:00 <LOOPBACK>/);
    expect(out).not.toContain('command not found');
    sh.write('sudo -i\r');
    sh.write('echo "in=$(pwd)-""login"\r');
    await waitFor('sudo -i to give a shell in /root', () => out.includes('in=/root-login'), 20_000);
  });
});

describe('nslab new', () => {
  it('starts an empty lab (just its lab host) where tutorials can be followed', async () => {
    const r = await run(['new', EMPTY]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${EMPTY}\n`);
    const l = await run(['exec', EMPTY, 'host', '--', 'sudo', 'ip', 'netns', 'add', 'red']);
    expect(l.code, l.stderr).toBe(0);
    const ls = await run(['exec', EMPTY, 'host', '--', 'ip', 'netns', 'list']);
    expect(ls.stdout.trim()).toBe('red');
    const again = await run(['new', EMPTY]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
  });
});
