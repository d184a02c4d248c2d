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
//  3. What-if: the normal-client flood again against a server started with `--max-semi-space-size=1`,
//     which tells whether the RSS growth is data held by nslab or V8 growing its young generation under
//     a high allocation rate (BENCH_TERM_WHATIF=0 skips it).
// Markdown report on stdout, progress on stderr. Knobs: BENCH_TERM_KEYS=500 BENCH_TERM_FLOOD_S=10
// BENCH_TERM_SLOW_MBPS=2 BENCH_TERM_WHATIF=1.
//
// Kept apart from other labs like bench/server.bench.ts: own state and data directories and uid range
// (bench/harness.ts isolateBench: /run/nslab-bench-terminal, a temporary data dir, its own uid range), so the
// server adopts only this bench's lab. It destroys only its own `bench-term-…` lab.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';

import { destroyLab, findSandbox } from '../packages/driver/src/index.ts';
import { TerminalConnection, type SocketLike, type TerminalSink } from '../apps/web/src/terminal/terminal-connection.ts';
import { fmtBytes, fmtMs, median, percentile, table } from './stats.ts';
import { procMemory } from './machine.ts';
import { buildServer } from '../scripts/build-server.ts';
import { benchToken, isolateBench, ROOT, numEnv, startServerProcess, stopServerProcess, type ServerRuntime } from './harness.ts';

const DATA_DIR = isolateBench('terminal');

const KEYS = numEnv('BENCH_TERM_KEYS', 500, 20, 10_000);
const FLOOD_S = numEnv('BENCH_TERM_FLOOD_S', 10, 1, 120);
const SLOW_MBPS = numEnv('BENCH_TERM_SLOW_MBPS', 2, 0.1, 1000);
const WHATIF = process.env.BENCH_TERM_WHATIF !== '0';
const WARMUP = 20;
const TOKEN = benchToken();
const LAB = `bench-term-${process.pid.toString(36)}`;

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

  constructor(node: string, drainBps = 0) {
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
      url: (session) => `${origin.replace(/^http/, 'ws')}/api/v1/labs/${LAB}/nodes/${node}/terminal${session ? `?session=${session}` : ''}`,
      createSocket: (url) => new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` } }) as unknown as SocketLike,
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

async function echoRtt(t: BenchTerminal, what: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < KEYS + WARMUP; i++) {
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

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (the bench deploys a lab)');
  // The server as `pnpm start` runs it: the bundle under bare node.
  const bundle = await buildServer();
  const pid = await startServer({ bundle });
  log(`server: pid ${pid} at ${origin}`);
  await api('POST', '/labs', { name: LAB, yaml: readFileSync(join(ROOT, 'labs/veth-pair/topology.yaml'), 'utf8') });
  log(`lab ${LAB} deployed`);

  const sh = new BenchTerminal('ns1');
  await sh.waitText(/root@ns1[^\n]*# $/);
  await sh.quiet(200);
  const bash = await echoRtt(sh, 'bash');
  log(`echo (bash readline): p50 ${fmtMs(median(bash))} ms, p99 ${fmtMs(percentile(bash, 99))} ms`);
  sh.conn.input('\x15cat\r');
  await sh.quiet(200);
  const cat = await echoRtt(sh, 'cat');
  log(`echo (cat, tty echo): p50 ${fmtMs(median(cat))} ms, p99 ${fmtMs(percentile(cat, 99))} ms`);
  sh.conn.close();

  // The first flood on a server runs cold (JIT, V8 sizing its young generation); the second shows
  // whether memory keeps growing.
  const idle = procMemory(pid)!.rss;
  const floods = [
    { ...(await flood(pid, '1st flood, normal client (acks at once)', 0)), idle },
    { ...(await flood(pid, '2nd flood, normal client', 0)), idle },
    { ...(await flood(pid, `3rd flood, slow client (drains ${SLOW_MBPS} MB/s)`, SLOW_MBPS * 1024 * 1024)), idle },
  ];
  if (WHATIF) {
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
  out.push('');
  out.push(`Keystroke echo round trip, ${KEYS} single characters (after ${WARMUP} untimed):`);
  out.push('');
  const row = (name: string, xs: number[], goal: string) => [name, fmtMs(median(xs)), fmtMs(percentile(xs, 99)), fmtMs(Math.max(...xs)), goal];
  out.push(
    table(
      ['echo by', 'p50 ms', 'p99 ms', 'max ms', 'goal'],
      [row("bash (readline) at the prompt", bash, 'p50 ≤ 5, p99 ≤ 20'), row('`cat` (tty line discipline)', cat, 'p50 ≤ 5, p99 ≤ 20')],
    ),
  );
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
  process.stdout.write(`${out.join('\n')}\n`);
}

async function cleanup(): Promise<void> {
  try {
    if (child && origin) await api('DELETE', `/labs/${LAB}`).catch(() => {});
  } finally {
    await stopServer();
    if (findSandbox(LAB)) await destroyLab(LAB);
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
