// `pnpm bench:terminal`: web terminals against a real `nslab serve` in its own process. Must run as root.
//  1. Keystroke echo round trip over loopback WS: single characters sent one at a time (the next only
//     after the previous echo arrived), timed from `send` until an output frame carrying the echoed
//     character is parsed by the client. Once at bash's prompt (readline echoes) and once to `cat`
//     (the tty line discipline echoes).
//  2. Floods of BENCH_TERM_FLOOD_S seconds of `cat /dev/urandom | base64`: the web app's own protocol
//     client (apps/web/src/terminal/terminal-connection.ts, PAUSE/RESUME flow control) over `ws`, with a
//     sink that acks every write at once ("normal") or drains at BENCH_TERM_SLOW_MBPS ("slow", a busy
//     page). Server VmRSS (/proc/PID/status) before and at most during, bytes/s delivered, and the
//     time from Ctrl-C to the prompt.
//  3. Input flood: lab A's terminal runs a program that stops reading its input (`stty raw -echo;
//     sleep 600`) while its client (bench/terminal-flooder.ts, a process of its own) keeps
//     BENCH_TERM_INPUT_BUFFER_MB of 32 KiB input frames queued on its socket for the whole run (a
//     script flooding as fast as the server reads); meanwhile the
//     keystroke echo round trip in another lab's terminal, and the CPU (utime + stime from
//     /proc/PID/stat) of the pty host and the server as a share of one core.
//  4. What-if: the normal-client flood again against a server started with `--max-semi-space-size=1`,
//     which tells whether the RSS growth is data held by nslab or V8 growing its young generation under
//     a high allocation rate (BENCH_TERM_WHATIF=0 skips it).
// Markdown report on stdout, progress on stderr. Knobs: BENCH_TERM_KEYS=500 BENCH_TERM_FLOOD_S=10
// BENCH_TERM_SLOW_MBPS=2 BENCH_TERM_WHATIF=1 BENCH_TERM_INPUT_BUFFER_MB=4 BENCH_TERM_INPUT_MASKS=random,zero,
// BENCH_TERM_PARTS=echo,flood,input (which of 1, 2 and 3 to run; the what-if belongs to the floods).
//
// Kept apart from other labs like bench/server.bench.ts: own state and data directories and uid range
// (bench/harness.ts isolateBench: /run/nslab-bench-terminal, a temporary data dir, its own uid range), so the
// server adopts only this bench's lab. It destroys only its own `bench-term-…` lab.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';

import { destroyLab, findSandbox } from '../packages/driver/src/index.ts';
import { TerminalConnection, type SocketLike, type TerminalSink } from '../apps/web/src/terminal/terminal-connection.ts';
import { fmtBytes, fmtMs, median, percentile, table } from './stats.ts';
import { CLK_TCK, cpuSeconds, procMemory } from './machine.ts';
import { buildServer } from '../scripts/build-server.ts';
import { benchToken, isolateBench, ROOT, numEnv, startServerProcess, stopServerProcess, type ServerRuntime } from './harness.ts';

const DATA_DIR = isolateBench('terminal');

const KEYS = numEnv('BENCH_TERM_KEYS', 500, 20, 10_000);
const FLOOD_S = numEnv('BENCH_TERM_FLOOD_S', 10, 1, 120);
const SLOW_MBPS = numEnv('BENCH_TERM_SLOW_MBPS', 2, 0.1, 1000);
const WHATIF = process.env.BENCH_TERM_WHATIF !== '0';
const INPUT_BUFFER = numEnv('BENCH_TERM_INPUT_BUFFER_MB', 4, 0.1, 256) * 1024 * 1024;
const INPUT_MASKS = (process.env.BENCH_TERM_INPUT_MASKS ?? 'random,zero').split(',').map((m) => {
  if (m !== 'random' && m !== 'zero') throw new Error('BENCH_TERM_INPUT_MASKS: random and/or zero');
  return m;
});
const PARTS = new Set((process.env.BENCH_TERM_PARTS ?? 'echo,flood,input').split(',').map((p) => p.trim()));
const WARMUP = 20;
const TOKEN = benchToken();
const LAB = `bench-term-${process.pid.toString(36)}`;
/** A second lab: what one lab's flood does to another's terminals. */
const LAB_B = `${LAB}-b`;

const T0 = performance.now();
const log = (s: string) => process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(5)} s] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let child: ChildProcess | null = null;
let origin = '';

/** Start the server (its pid); keeps it in `child`/`origin` for api() and cleanup. */
async function startServer(rt: ServerRuntime = {}): Promise<number> {
  const s = await startServerProcess(TOKEN, rt);
  child = s.proc;
  origin = s.origin;
  return s.pid;
}

async function stopServer(): Promise<void> {
  await stopServerProcess(child);
  child = null;
}

async function api(method: string, path: string, body?: unknown): Promise<void> {
  const r = await fetch(`${origin}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
}

/**
 * A terminal as the web app drives it (same protocol client), with a sink in place of xterm.js. The
 * sink acks each write at once, or at `drainBps` bytes/s (a slow page); `text` keeps the recent output.
 */
class BenchTerminal {
  text = '';
  conn: TerminalConnection;
  private waiters: { test: (chunk: Uint8Array) => boolean; resolve: () => void }[] = [];
  private drainAt = 0;
  /** The current socket (for its send buffer). */
  ws: WebSocket | null = null;

  constructor(node: string, drainBps = 0, lab = LAB) {
    const decoder = new TextDecoder();
    const sink: TerminalSink = {
      cols: 200,
      rows: 50,
      write: (data, cb) => {
        const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
        this.text = (this.text + decoder.decode(bytes, { stream: true })).slice(-20_000);
        for (const w of [...this.waiters]) {
          if (w.test(bytes)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve();
          }
        }
        if (!cb) return;
        if (!drainBps) return void setImmediate(cb);
        // A consumer that needs bytes/drainBps seconds per chunk, one chunk after the other.
        const now = performance.now();
        this.drainAt = Math.max(this.drainAt, now) + (bytes.length / drainBps) * 1000;
        setTimeout(cb, this.drainAt - now);
      },
    };
    this.conn = new TerminalConnection({
      term: sink,
      url: (session) => `${origin.replace(/^http/, 'ws')}/api/v1/labs/${lab}/nodes/${node}/terminal${session ? `?session=${session}` : ''}`,
      createSocket: (url) => (this.ws = new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` } })) as unknown as SocketLike,
    });
    this.conn.connect();
  }

  /** Resolves at the first output chunk (after now) for which `test` holds. */
  next(test: (chunk: Uint8Array) => boolean, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const w = { test, resolve: () => (clearTimeout(t), resolve()) };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timed out; output tail ${JSON.stringify(this.text.slice(-200))}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  async waitText(re: RegExp, timeoutMs = 5000): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (!re.test(this.text)) {
      if (performance.now() > end) throw new Error(`timed out waiting for ${re}; output tail ${JSON.stringify(this.text.slice(-200))}`);
      await sleep(5);
    }
  }

  /** Wait until no output arrived for `ms`. */
  async quiet(ms = 50): Promise<void> {
    for (;;) {
      const before = this.conn.received;
      await sleep(ms);
      if (this.conn.received === before) return;
    }
  }
}

/** `samples` keeps what was measured when a key's echo never comes (the promise then rejects). */
async function echoRtt(t: BenchTerminal, what: string, keys = KEYS, samples: number[] = []): Promise<number[]> {
  for (let i = 0; i < keys + WARMUP; i++) {
    // Keep the line short: clear it every 40 keys (Ctrl-U for readline, Enter for cat), untimed.
    if (i % 40 === 39) {
      t.conn.input(what === 'bash' ? '\x15' : '\r');
      await t.quiet(30);
    }
    const ch = 97 + (i % 26);
    const echoed = t.next((b) => b.includes(ch));
    const t0 = performance.now();
    t.conn.input(String.fromCharCode(ch));
    await echoed;
    if (i >= WARMUP) samples.push(performance.now() - t0);
  }
  return samples;
}

interface FloodResult {
  label: string;
  rss0: number;
  rssMax: number;
  hwm: number;
  bytes: number;
  pauses: number;
  ctrlCMs: number;
}

async function flood(pid: number, label: string, drainBps: number): Promise<FloodResult> {
  const t = new BenchTerminal('ns2', drainBps);
  await t.waitText(/root@ns2[^\n]*# $/);
  await t.quiet(200);
  const rss0 = procMemory(pid)!.rss;
  let rssMax = rss0;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, procMemory(pid)?.rss ?? 0)), 100);
  const b0 = t.conn.received;
  const p0 = t.conn.pauses;
  t.conn.input('cat /dev/urandom | base64\r');
  await sleep(FLOOD_S * 1000);
  const bytes = t.conn.received - b0;
  clearInterval(sampler);
  rssMax = Math.max(rssMax, procMemory(pid)!.rss);
  const c0 = performance.now();
  t.conn.input('\x03');
  await t.waitText(/\^C[\s\S]*root@ns2[^\n]*# $/, 30_000);
  const ctrlCMs = performance.now() - c0;
  const r: FloodResult = { label, rss0, rssMax, hwm: procMemory(pid)!.hwm, bytes, pauses: t.conn.pauses - p0, ctrlCMs };
  log(`flood (${label}): ${fmtBytes(bytes / FLOOD_S)}/s, ${r.pauses} pauses, RSS ${fmtBytes(rss0)} -> max ${fmtBytes(rssMax)}, Ctrl-C to prompt ${fmtMs(ctrlCMs)} ms`);
  t.conn.close();
  return r;
}

/** The bench's own pty host: the process started with this bench's socket path (its state dir is ours alone). */
function ptyHostPid(): number | null {
  const sock = join(process.env.NSLAB_STATE_DIR!, 'pty-host.sock');
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').includes(sock)) return Number(e);
    } catch {
      /* gone */
    }
  }
  return null;
}
let hostPid: number | null = null;

interface InputFloodResult {
  mask: 'random' | 'zero';
  /** Echo samples in lab B just before the flood. */
  control: number[];
  /** Echo samples in lab B; fewer than asked when an echo never came. */
  echo: number[];
  stalled: string | null;
  /** What the server read of lab A's flood per second (and dropped: A's shell reads nothing). */
  readBps: number;
  hostCpu: number;
  serverCpu: number;
  /** Server VmRSS growth from before the flood to its highest during it. */
  rssGrowth: number;
}

async function inputFlood(serverPid: number, mask: 'random' | 'zero'): Promise<InputFloodResult> {
  const b = new BenchTerminal('ns1', 0, LAB_B);
  await b.waitText(/root@ns1[^\n]*# $/);
  await b.quiet(200);
  // The same echo without the flood, right before it: on a shared machine the load of the moment
  // moves p99 more than anything, so the flood is compared with its own control.
  const control = await echoRtt(b, 'bash');
  b.conn.input('\x15');
  await b.quiet(50);
  // Lab A's flooding client is a process of its own: its masking of ~40 MB/s would otherwise slow
  // the very event loop that times B's echo.
  const url = `${origin.replace(/^http/, 'ws')}/api/v1/labs/${LAB}/nodes/ns2/terminal`;
  const flooder = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/terminal-flooder.ts'), url, TOKEN, String(INPUT_BUFFER), `${mask}-mask`], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let said = '';
  const exited = new Promise<void>((r) => flooder.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    flooder.stdout!.on('data', (d: Buffer) => {
      said += d.toString();
      if (said.includes('flooding')) resolve();
    });
    void exited.then(() => reject(new Error(`the flooder exited: ${said}`)));
  });
  hostPid = ptyHostPid();
  if (!hostPid) throw new Error('pty host not found');
  // Past the server's first reaction (it stops reading A's socket) into its steady state: after 2 s
  // with A's shell taking nothing, the server reads A again and drops its input.
  await sleep(3000);
  const h0 = cpuSeconds(hostPid)!;
  const s0 = cpuSeconds(serverPid)!;
  const rss0 = procMemory(serverPid)!.rss;
  let rssMax = rss0;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, procMemory(serverPid)?.rss ?? 0)), 100);
  const taken = () => Number([...said.matchAll(/taken (\d+)/g)].at(-1)?.[1] ?? 0);
  const taken0 = taken();
  const t0 = performance.now();
  const echo: number[] = [];
  let stalled: string | null = null;
  try {
    await echoRtt(b, 'bash', KEYS, echo);
  } catch (e) {
    stalled = (e as Error).message;
  }
  const wall = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const hostCpu = ((cpuSeconds(hostPid) ?? h0) - h0) / wall;
  const serverCpu = ((cpuSeconds(serverPid) ?? s0) - s0) / wall;
  const readBps = (taken() - taken0) / wall;
  flooder.kill('SIGTERM');
  await exited;
  const r: InputFloodResult = { mask, control, echo, stalled, readBps, hostCpu, serverCpu, rssGrowth: rssMax - rss0 };
  log(
    `input flood (${mask} masks): the server read ${fmtBytes(r.readBps)}/s of lab A's flood; echo in lab B ${stalled ? `stalled after ${echo.length} keys (${stalled.slice(0, 60)})` : `p50 ${fmtMs(median(echo))} ms, p99 ${fmtMs(percentile(echo, 99))} ms`} (just before, without: p50 ${fmtMs(median(control))} ms, p99 ${fmtMs(percentile(control, 99))} ms); ` +
      `pty host ${(r.hostCpu * 100).toFixed(1)}%, server ${(r.serverCpu * 100).toFixed(1)}% of one core, server RSS +${fmtBytes(r.rssGrowth)}`,
  );
  b.conn.close();
  return r;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (the bench deploys a lab)');
  // The server as `pnpm start` runs it: the bundle under bare node.
  const bundle = await buildServer();
  const pid = await startServer({ bundle });
  log(`server: pid ${pid} at ${origin}`);
  await api('POST', '/labs', { name: LAB, yaml: readFileSync(join(ROOT, 'labs/veth-pair/topology.yaml'), 'utf8') });
  log(`lab ${LAB} deployed`);

  let bash: number[] = [];
  let cat: number[] = [];
  let echoHostCpu = 0;
  let echoServerCpu = 0;
  if (PARTS.has('echo')) {
    const sh = new BenchTerminal('ns1');
    await sh.waitText(/root@ns1[^\n]*# $/);
    await sh.quiet(200);
    hostPid = ptyHostPid();
    const h0 = hostPid ? cpuSeconds(hostPid) : null;
    const s0 = cpuSeconds(pid)!;
    const t0 = performance.now();
    bash = await echoRtt(sh, 'bash');
    const wall = (performance.now() - t0) / 1000;
    if (hostPid && h0 !== null) echoHostCpu = ((cpuSeconds(hostPid) ?? h0) - h0) / wall;
    echoServerCpu = ((cpuSeconds(pid) ?? s0) - s0) / wall;
    log(`echo (bash readline): p50 ${fmtMs(median(bash))} ms, p99 ${fmtMs(percentile(bash, 99))} ms, pty host ${(echoHostCpu * 100).toFixed(1)}%, server ${(echoServerCpu * 100).toFixed(1)}% of one core`);
    sh.conn.input('\x15cat\r');
    await sh.quiet(200);
    cat = await echoRtt(sh, 'cat');
    log(`echo (cat, tty echo): p50 ${fmtMs(median(cat))} ms, p99 ${fmtMs(percentile(cat, 99))} ms`);
    sh.conn.close();
  }

  const inputs: InputFloodResult[] = [];
  if (PARTS.has('input')) {
    await api('POST', '/labs', { name: LAB_B, yaml: readFileSync(join(ROOT, 'labs/veth-pair/topology.yaml'), 'utf8') });
    for (const mask of INPUT_MASKS) inputs.push(await inputFlood(pid, mask));
    await api('DELETE', `/labs/${LAB_B}`).catch(() => {});
  }

  // The first flood on a server runs cold (JIT, V8 sizing its young generation); the second shows
  // whether memory keeps growing.
  const idle = procMemory(pid)!.rss;
  const floods = PARTS.has('flood')
    ? [
        { ...(await flood(pid, '1st flood, normal client (acks at once)', 0)), idle },
        { ...(await flood(pid, '2nd flood, normal client', 0)), idle },
        { ...(await flood(pid, `3rd flood, slow client (drains ${SLOW_MBPS} MB/s)`, SLOW_MBPS * 1024 * 1024)), idle },
      ]
    : [];
  if (WHATIF && PARTS.has('flood')) {
    // Same lab (the new server adopts it), same flood, V8's young generation capped at 1 MB semi-spaces.
    await stopServer();
    const pid2 = await startServer({ bundle, nodeFlags: ['--max-semi-space-size=1'] });
    log(`server: pid ${pid2} with --max-semi-space-size=1 at ${origin}`);
    await sleep(1000);
    const idle2 = procMemory(pid2)!.rss;
    floods.push({ ...(await flood(pid2, 'what-if: 1st flood, normal client, server with `--max-semi-space-size=1`', 0)), idle: idle2 });
    floods.push({ ...(await flood(pid2, 'what-if: 2nd flood, same', 0)), idle: idle2 });
  }

  const cpu = cpus()[0]?.model ?? '?';
  const kernel = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  const out: string[] = [];
  out.push(`Machine: ${cpu}, ${cpus().length} CPUs, Linux ${kernel}, Node ${process.version}. Server: \`pnpm start\` (node dist/nslab.mjs serve) in its own process, client over loopback WS.`);
  const row = (name: string, xs: number[], goal: string) => [name, fmtMs(median(xs)), fmtMs(percentile(xs, 99)), fmtMs(Math.max(...xs)), goal];
  if (bash.length) {
    out.push('');
    out.push(`Keystroke echo round trip, ${KEYS} single characters (after ${WARMUP} untimed):`);
    out.push('');
    out.push(
      table(
        ['echo by', 'p50 ms', 'p99 ms', 'max ms', 'goal'],
        [row("bash (readline) at the prompt", bash, 'p50 ≤ 5, p99 ≤ 20'), row('`cat` (tty line discipline)', cat, 'p50 ≤ 5, p99 ≤ 20')],
      ),
    );
    out.push('');
    out.push(
      `While bash echoed, the pty host used ${(echoHostCpu * 100).toFixed(1)}% and the server ${(echoServerCpu * 100).toFixed(1)}% of one core (the baseline for the input flood below).`,
    );
  }
  if (inputs.length) {
    out.push('');
    out.push(
      `Input flood: lab A's terminal runs \`stty raw -echo; sleep 600\` (reads nothing) while its client, a process of its own, keeps ${fmtBytes(INPUT_BUFFER)} of 32 KiB ` +
        `input frames queued on its socket (masked with random keys as a browser does, or with a zero key, which neither side applies); ` +
        `from 3 s into the flood, ${KEYS} keystrokes (after ${WARMUP} untimed) echoed at bash's prompt in lab B:`,
    );
    out.push('');
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    out.push(
      table(
        ['lab A floods with', 'echo in lab B p50 ms', 'p99 ms', 'max ms', 'the same just before, no flood: p50 / p99 ms', "server read of A's flood", 'pty host CPU', 'server CPU', 'server VmRSS growth', 'goal'],
        inputs.map((input) => [
          `${input.mask} masks${input.stalled ? `: a key in lab B not echoed within 5 s, after ${input.echo.length} timed keys` : ''}`,
          input.echo.length ? fmtMs(median(input.echo)) : '—',
          input.echo.length ? fmtMs(percentile(input.echo, 99)) : '—',
          input.echo.length ? fmtMs(Math.max(...input.echo)) : '—',
          `${fmtMs(median(input.control))} / ${fmtMs(percentile(input.control, 99))}`,
          `${fmtBytes(input.readBps)}/s`,
          pct(input.hostCpu),
          pct(input.serverCpu),
          fmtBytes(input.rssGrowth),
          'p99 ≤ 20',
        ]),
      ),
    );
  }
  if (floods.length) {
  out.push('');
  out.push(`Flood, \`cat /dev/urandom | base64\` for ${FLOOD_S} s, then Ctrl-C:`);
  out.push('');
  out.push(
    table(
      ['run', 'delivered', 'PAUSEs sent', 'server VmRSS at start', 'max during', 'growth in this flood (goal ≤ 20 MB)', 'growth since idle', 'Ctrl-C to prompt'],
      floods.map((f) => [
        f.label,
        `${fmtBytes(f.bytes / FLOOD_S)}/s`,
        String(f.pauses),
        fmtBytes(f.rss0),
        fmtBytes(f.rssMax),
        fmtBytes(f.rssMax - f.rss0),
        fmtBytes(f.rssMax - f.idle),
        `${fmtMs(f.ctrlCMs)} ms`,
      ]),
    ),
  );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function cleanup(): Promise<void> {
  try {
    if (child && origin) await api('DELETE', `/labs/${LAB}`).catch(() => {});
    if (child && origin) await api('DELETE', `/labs/${LAB_B}`).catch(() => {});
  } finally {
    await stopServer();
    if (findSandbox(LAB)) await destroyLab(LAB);
    if (findSandbox(LAB_B)) await destroyLab(LAB_B);
    // A pty host that hung under the flood would spin on: this bench's own, by pid.
    if (hostPid && ptyHostPid() === hostPid) process.kill(hostPid, 'SIGKILL');
    rmSync(DATA_DIR, { recursive: true, force: true });
  }
}

process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
main()
  .then(cleanup)
  .catch(async (e) => {
    console.error(e);
    await cleanup();
    process.exitCode = 1;
  });
