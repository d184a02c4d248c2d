// `pnpm bench:capture`: packet capture throughput to a client, against a real `nslab serve` in its own
// process. Must run as root.
//  1. Rate ladder: for each offered rate, a fresh capture (filter `udp`) on ns1's veth, a client that
//     reads the live stream with the web app's own stream code (CaptureStream + CaptureLines), and a
//     UDP sender in ns1 pacing packets to ns2 for BENCH_CAPTURE_STEP_S seconds. Traffic stays between
//     the lab's two namespaces. Per step: packets sent, captured (pcap), decoded (lines), delivered
//     to the client, and where the rest went (kernel ring, decoder behind, client queue).
//  2. The same in Chromium: the built web app's capture panel (JSON parse, CaptureLines, DOM) as
//     the client, at BENCH_CAPTURE_BROWSER_RATES (empty: skipped).
//  3. A client that stops reading for a while at a fixed rate: what the server drops for it, and
//     the server's memory meanwhile (the per-client queue is bounded).
// Markdown report on stdout, progress on stderr. Knobs: BENCH_CAPTURE_RATES=1000,2000,5000,...
// BENCH_CAPTURE_STEP_S=3 BENCH_CAPTURE_BROWSER_RATES=10000,40000,80000 BENCH_CAPTURE_STALL_RATE=20000
// BENCH_CAPTURE_STALL_S=6.
//
// Kept apart from other labs like the other benches: own state and data directories and uid range
// (bench/harness.ts isolateBench: /run/nslab-bench-capture, a temporary data dir, its own uid range).
// It destroys only its own `bench-cap-…` lab.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';

import { destroyLab, execInLab, findSandbox } from '../packages/driver/src/index.ts';
import type { CaptureInfo, CaptureServerMessage } from '../packages/protocol/src/index.ts';
import { CaptureStream, type CaptureSocket } from '../apps/web/src/capture/capture-connection.ts';
import { CaptureLines } from '../apps/web/src/capture/capture-lines.ts';
import { ensureBuilt, launchChromium } from '../apps/web/test/e2e.ts';
import { fmtBytes, table } from './stats.ts';
import { cpuBusy, procMemory } from './machine.ts';
import { benchToken, isolateBench, numEnv, ROOT, startServerProcess, stopServerProcess } from './harness.ts';

const DATA_DIR = isolateBench('capture');

function rateList(v: string | undefined, dflt: number[]): number[] {
  if (v === undefined) return dflt;
  if (v.trim() === '') return [];
  const xs = v.split(',').map((x) => Number(x.trim()));
  if (xs.some((x) => !Number.isInteger(x) || x < 1 || x > 1_000_000)) throw new Error(`bad BENCH_CAPTURE_RATES ${JSON.stringify(v)}`);
  return xs;
}
const RATES = rateList(process.env.BENCH_CAPTURE_RATES, [1000, 5000, 10_000, 20_000, 40_000, 80_000, 120_000, 160_000]);
const BROWSER_RATES = rateList(process.env.BENCH_CAPTURE_BROWSER_RATES, [10_000, 40_000, 80_000, 160_000]);
/** The drain loop polls every 300 ms and stops after one poll without progress. */
const POLL_MS = 300;
// 2 s at 160k pkt/s of 90 pcap bytes each stays under the server's 32 MiB capture cap.
const STEP_S = numEnv('BENCH_CAPTURE_STEP_S', 2, 1, 30);
const STALL_RATE = numEnv('BENCH_CAPTURE_STALL_RATE', 20_000, 100, 1_000_000);
const STALL_S = numEnv('BENCH_CAPTURE_STALL_S', 6, 1, 60);
const TOKEN = benchToken();
const LAB = `bench-cap-${process.pid.toString(36)}`;
const DST = '10.99.0.2';

const TOPOLOGY = `
name: ${LAB}
nodes:
  ns1:
    interfaces:
      veth1: { addresses: [10.99.0.1/24] }
  ns2:
    interfaces:
      veth2: { addresses: [${DST}/24] }
links:
  - endpoints: ["ns1:veth1", "ns2:veth2"]
`;

// A paced UDP sender (fixed program; rate, seconds and address are argv data). Port 9 (discard) is
// closed in ns2, whose ICMP replies the `udp` filter leaves out. Prints how many it sent.
const SENDER = `
import socket, sys, time
rate, dur, dst = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
data = b'n' * 32
n = 0
t0 = time.monotonic()
end = t0 + dur
while True:
    now = time.monotonic()
    if now >= end:
        break
    due = int((now - t0) * rate)
    while n < due:
        s.sendto(data, (dst, 9))
        n += 1
    time.sleep(0.0002)
print(n)
`;

const T0 = performance.now();
const log = (s: string) => process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(5)} s] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let child: ChildProcess | null = null;
let origin = '';

/** Start the server (its pid); keeps it in `child`/`origin` for api() and cleanup. */
async function startServer(): Promise<number> {
  const srv = await startServerProcess(TOKEN);
  child = srv.proc;
  origin = srv.origin;
  return srv.pid;
}

async function stopServer(): Promise<void> {
  await stopServerProcess(child);
  child = null;
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(`${origin}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** CPU seconds (user + system) a process has used, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return NaN;
  }
}

function wsUrl(id: string): string {
  return `${origin.replace(/^http/, 'ws')}/api/v1/labs/${LAB}/captures/${id}/events`;
}

/** The web app's stream client over a `ws` socket with the Bearer token (a page would use its cookie). */
class Viewer {
  lines = new CaptureLines(5000);
  status: CaptureInfo | null = null;
  dropped = 0;
  ended: Promise<void>;
  private stream: CaptureStream;
  constructor(id: string) {
    let done!: () => void;
    this.ended = new Promise((r) => (done = r));
    this.stream = new CaptureStream(wsUrl(id), (url) => new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` } }) as unknown as CaptureSocket, {
      onLines: (first, l) => this.lines.push(first, l),
      onStatus: (info, dropped) => {
        this.status = info;
        this.dropped = dropped;
      },
      onStream: (s) => {
        if (s === 'ended') done();
      },
    });
  }
  close(): void {
    this.stream.close();
  }
}

async function send(rate: number, seconds: number): Promise<{ sent: number; ms: number }> {
  const t = performance.now();
  const r = await execInLab(LAB, 'ns1', ['python3', '-c', SENDER, String(rate), String(seconds), DST], { timeoutMs: (seconds + 30) * 1000 });
  if (r.code !== 0) throw new Error(`sender failed (exit ${r.code ?? r.signal}${r.timedOut ? ', timed out' : ''}): ${r.stderr.trim()}`);
  return { sent: Number(r.stdout.trim()), ms: performance.now() - t };
}

interface Step {
  rate: number;
  sent: number;
  sendMs: number;
  packets: number;
  lines: number;
  delivered: number;
  clientDropped: number;
  undecoded: number;
  kernelDropped: number;
  /** Packets sent but not in the pcap (kernel ring full, or not yet read when tcpdump stopped). */
  notCaptured: number;
  serverCpu: number;
  busy: number;
  drainMs: number;
}

async function step(rate: number, serverPid: number): Promise<Step> {
  const info = await api<CaptureInfo>('POST', `/labs/${LAB}/captures`, { node: 'ns1', interface: 'veth1', filter: 'udp' });
  const v = new Viewer(info.id);
  await sleep(300);
  const cpu0 = cpuSeconds(serverPid);
  const busyP = cpuBusy(Math.max(500, STEP_S * 1000 - 500));
  const { sent, ms } = await send(rate, STEP_S);
  const busy = await busyP;
  const serverCpu = (cpuSeconds(serverPid) - cpu0) / (ms / 1000);
  // Let the decoder and the client catch up (lines stop growing), then stop and read the final counts.
  const t = performance.now();
  let last = -1;
  while (performance.now() - t < 15_000) {
    await sleep(POLL_MS);
    const now = v.lines.received;
    if (now === last) break;
    last = now;
  }
  const drainMs = performance.now() - t;
  const stopped = await api<CaptureInfo>('POST', `/labs/${LAB}/captures/${info.id}/stop`);
  await Promise.race([v.ended, sleep(5000)]);
  v.close();
  await api('DELETE', `/labs/${LAB}/captures/${info.id}`);
  const s: Step = {
    rate,
    sent,
    sendMs: ms,
    packets: stopped.packets,
    lines: stopped.lines,
    delivered: v.lines.received,
    clientDropped: v.dropped,
    undecoded: stopped.undecoded,
    kernelDropped: stopped.kernelDropped,
    notCaptured: Math.max(0, sent - stopped.packets),
    serverCpu,
    busy,
    drainMs,
  };
  log(`rate ${rate}/s: sent ${sent} in ${(ms / 1000).toFixed(1)} s, captured ${s.packets}, decoded ${s.lines}, delivered ${s.delivered}; dropped: client ${s.clientDropped}, undecoded ${s.undecoded}, kernel ${s.kernelDropped}; server CPU ${(serverCpu * 100).toFixed(0)}%`);
  return s;
}

interface BrowserStep {
  rate: number;
  sent: number;
  sendMs: number;
  packets: number;
  lines: number;
  /** Lines the page received (the server's count of what it dropped for the page, subtracted). */
  delivered: number;
  dropped: number;
  /** Number of the last line the page drew. */
  lastDrawn: number;
  drainMs: number;
}

type Page = Awaited<ReturnType<Awaited<ReturnType<typeof launchChromium>>['newPage']>>;

/** The page's view of the capture shown in its panel: last line number drawn, lines dropped for it, state. */
function pageView(page: Page): Promise<{ last: number; dropped: number; state: string | null }> {
  return page.evaluate(() => {
    const ns = document.querySelectorAll('.capture-pane .capture-line');
    const last = ns.length ? Number((ns[ns.length - 1] as HTMLElement).dataset.n) : 0;
    const d = document.querySelector('.capture-pane .capture-dropped')?.textContent ?? '0';
    return { last, dropped: parseInt(d, 10) || 0, state: document.querySelector('.capture-pane')?.getAttribute('data-state') ?? null };
  });
}

async function browserStep(page: Page, rate: number): Promise<BrowserStep> {
  const info = await api<CaptureInfo>('POST', `/labs/${LAB}/captures`, { node: 'ns1', interface: 'veth1', filter: 'udp' });
  // The page adopts the lab's captures when it opens, and shows the newest.
  await page.goto(`${origin}/labs/${LAB}`);
  await page.locator(`.capture-pane[data-capture="${info.id}"]`).waitFor({ timeout: 15_000 });
  await sleep(500);
  const { sent, ms } = await send(rate, STEP_S);
  const t = performance.now();
  let last = -1;
  let view = await pageView(page);
  while (performance.now() - t < 20_000) {
    await sleep(POLL_MS);
    view = await pageView(page);
    if (view.last === last) break;
    last = view.last;
  }
  const drainMs = performance.now() - t;
  const stopped = await api<CaptureInfo>('POST', `/labs/${LAB}/captures/${info.id}/stop`);
  // The final status carries the server's exact count of lines it dropped for this page.
  const end = performance.now() + 10_000;
  while (view.state !== 'stopped' && performance.now() < end) {
    await sleep(100);
    view = await pageView(page);
  }
  await sleep(300);
  view = await pageView(page);
  await api('DELETE', `/labs/${LAB}/captures/${info.id}`);
  const b = { rate, sent, sendMs: ms, packets: stopped.packets, lines: stopped.lines, delivered: stopped.lines - view.dropped, dropped: view.dropped, lastDrawn: view.last, drainMs };
  log(`browser, rate ${rate}/s: sent ${sent}, captured ${b.packets}, decoded ${b.lines}, page got ${b.delivered} (dropped ${b.dropped}), last line drawn #${b.lastDrawn}`);
  return b;
}

interface Stall {
  rate: number;
  sent: number;
  packets: number;
  delivered: number;
  dropped: number;
  rssBefore: number;
  rssMax: number;
  rssAfter: number;
}

/** A client that stops reading its socket: the server's queue for it stays bounded; what overflows is counted. */
async function stall(serverPid: number): Promise<Stall> {
  const info = await api<CaptureInfo>('POST', `/labs/${LAB}/captures`, { node: 'ns1', interface: 'veth1', filter: 'udp' });
  const ws = new WebSocket(wsUrl(info.id), { headers: { authorization: `Bearer ${TOKEN}` } });
  let delivered = 0;
  let last: CaptureInfo | null = null;
  let dropped = 0;
  const closed = new Promise<void>((r) => ws.on('close', () => r()));
  ws.on('message', (d: Buffer) => {
    const m = JSON.parse(d.toString()) as CaptureServerMessage;
    if (m.type === 'lines') delivered += m.lines.length;
    if (m.type === 'status') {
      last = m.capture;
      dropped = m.dropped;
    }
  });
  await new Promise((r) => ws.once('open', r));
  await sleep(300);
  const rssBefore = procMemory(serverPid)?.rss ?? NaN;
  // Stop reading: the kernel's socket buffers fill, then the server's send buffer, then its queue.
  ws.pause();
  let rssMax = rssBefore;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, procMemory(serverPid)?.rss ?? 0)), 100);
  const { sent } = await send(STALL_RATE, STALL_S);
  clearInterval(sampler);
  const stopped = await api<CaptureInfo>('POST', `/labs/${LAB}/captures/${info.id}/stop`);
  ws.resume();
  await Promise.race([closed, sleep(15_000)]);
  const rssAfter = procMemory(serverPid)?.rss ?? NaN;
  ws.close();
  await api('DELETE', `/labs/${LAB}/captures/${info.id}`);
  const s = { rate: STALL_RATE, sent, packets: stopped.packets, delivered, dropped: last ? dropped : NaN, rssBefore, rssMax, rssAfter };
  log(`stalled client at ${STALL_RATE}/s: captured ${s.packets}, delivered ${delivered}, dropped ${s.dropped}; server RSS ${fmtBytes(rssBefore)} -> max ${fmtBytes(rssMax)} -> ${fmtBytes(rssAfter)}`);
  return s;
}

const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 && x > 0 ? 1 : 0)}%`;
const per = (n: number, ms: number) => Math.round(n / (ms / 1000));

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root (it creates a lab)');
  if (findSandbox(LAB)) await destroyLab(LAB);
  const pid = await startServer();
  log(`server: pid ${pid} at ${origin}`);
  await api('POST', '/labs', { name: LAB, yaml: TOPOLOGY });
  // Warm-up (ARP, page cache, JIT): a short untimed step.
  await step(1000, pid);
  const steps: Step[] = [];
  for (const rate of RATES) steps.push(await step(rate, pid));
  const browserSteps: BrowserStep[] = [];
  if (BROWSER_RATES.length) {
    ensureBuilt();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(`${origin}/?token=${TOKEN}`);
      for (const rate of BROWSER_RATES) browserSteps.push(await browserStep(page, rate));
    } finally {
      await browser.close();
    }
  }
  const st = await stall(pid);

  const lost = (s: Step) => s.clientDropped + s.undecoded + s.notCaptured;
  const clean = steps.filter((s) => lost(s) === 0);
  const best = clean.reduce<Step | null>((b, s) => (!b || s.delivered / s.sendMs > b.delivered / b.sendMs ? s : b), null);
  const firstLoss = steps.find((s) => lost(s) > 0);
  const peak = steps.reduce<Step | null>((b, s) => (!b || s.delivered / s.sendMs > b.delivered / b.sendMs ? s : b), null);

  const cpu = cpus()[0]?.model ?? '?';
  const kernel = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  const out: string[] = [];
  out.push('# Capture throughput to the client');
  out.push('');
  out.push(`Machine: ${cpu}, ${cpus().length} CPUs, Linux ${kernel}, Node ${process.version}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end. Server: \`nslab serve\` (tsx) in its own process; client: the web app's CaptureStream + CaptureLines over a loopback \`ws\` socket, in the bench process. Traffic: 60-byte UDP frames from ns1 to ns2, paced by a Python sender in ns1, ${STEP_S} s per step; capture on ns1's veth with filter \`udp\`.`);
  out.push('');
  if (steps.length) {
    out.push(
      table(
        ['offered pkt/s', 'sent pkt/s', 'captured', 'lines/s delivered', 'client dropped', 'not decoded', 'not captured (kernel ring says)', 'server CPU', 'machine busy', 'drain after'],
        steps.map((s) => [
          String(s.rate),
          String(per(s.sent, s.sendMs)),
          `${s.packets} / ${s.sent}`,
          String(per(s.delivered, s.sendMs)),
          String(s.clientDropped),
          String(s.undecoded),
          `${s.notCaptured} (${s.kernelDropped})`,
          pct(s.serverCpu),
          pct(s.busy),
          `${(s.drainMs / 1000).toFixed(1)} s`,
        ]),
      ),
    );
    out.push('');
    out.push(`- Highest rate with nothing lost anywhere: ${best ? `${per(best.delivered, best.sendMs)} lines/s delivered (offered ${best.rate} pkt/s)` : 'none'}.`);
    out.push(`- Losses start at: ${firstLoss ? `offered ${firstLoss.rate} pkt/s (${per(firstLoss.sent, firstLoss.sendMs)} sent/s): ${firstLoss.notCaptured} not captured, ${firstLoss.undecoded} not decoded, ${firstLoss.clientDropped} dropped for the client` : 'not within the ladder'}.`);
    if (peak) out.push(`- Peak delivered: ${per(peak.delivered, peak.sendMs)} lines/s (offered ${peak.rate} pkt/s).`);
  }
  if (browserSteps.length) {
    out.push('');
    out.push('In Chromium (the built web app, capture panel open, newest 1,000 lines in the DOM, following the tail):');
    out.push('');
    out.push(
      table(
        ['offered pkt/s', 'sent pkt/s', 'lines decoded', 'lines to the page', 'dropped for the page', 'last line drawn', 'catch-up after sending', 'page took in (lines/s, sending + catch-up)'],
        browserSteps.map((b) => [
          String(b.rate),
          String(per(b.sent, b.sendMs)),
          String(b.lines),
          String(b.delivered),
          String(b.dropped),
          `#${b.lastDrawn}`,
          `${(Math.max(0, b.drainMs - POLL_MS) / 1000).toFixed(1)} s`,
          String(per(b.delivered, b.sendMs + Math.max(0, b.drainMs - POLL_MS))),
        ]),
      ),
    );
    out.push('');
  }
  out.push(
    `- A client that stopped reading for ${STALL_S} s at ${st.rate} pkt/s: ${st.packets} packets captured, ${st.delivered} lines delivered once it read again, ${st.dropped} dropped and reported; server VmRSS ${fmtBytes(st.rssBefore)} before, ${fmtBytes(st.rssMax)} at most, ${fmtBytes(st.rssAfter)} after.`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

async function cleanup(): Promise<void> {
  await stopServer().catch(() => {});
  if (findSandbox(LAB)) await destroyLab(LAB).catch(() => {});
  rmSync(DATA_DIR, { recursive: true, force: true });
}

process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
main()
  .then(cleanup)
  .catch(async (e) => {
    log(`failed: ${(e as Error).stack ?? e}`);
    await cleanup();
    process.exit(1);
  });
