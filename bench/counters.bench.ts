// `pnpm bench:counters`: what live counters cost. Must run as root.
// A star lab of BENCH_COUNTERS_N namespaces (default 300), `pnpm start` (node dist/nslab.mjs serve,
// built fresh) in its own process, one WebSocket client. CPU of the server process and of the
// sampler process (utime + stime from /proc/PID/stat) over BENCH_COUNTERS_SECONDS (default 20) per
// phase, as a share of one core:
//   off -> on, idle lab -> on, every namespace's counters moving -> off again.
// "Every namespace moving" is a broadcast ping (255.255.255.255 out of eth0) from h1 every 0.2 s: it reaches each namespace through
// the bridge (they ignore broadcast echoes), so every sample changes all 301 nodes and every
// counters message is as large as a full one. The ping's own CPU is the lab's, not counted.
// Also: one sample timed in this process, what one `ip -s -j link` per namespace per second (the
// obvious alternative) would cost, and the browser's side: the lab open in headless Chromium with
// every edge's traffic changing each second, the page's main-thread busy time (CDP
// Performance.getMetrics TaskDuration) with counters on (visible) against off (page hidden).
// BENCH_COUNTERS_BROWSER=0 skips that part.
// Markdown report on stdout, progress on stderr. Labs, state and uids are the bench's own
// (bench/harness.ts isolateBench: /run/nslab-bench-counters and a uid range no other bench
// uses, since two state dirs with one base share uids and destroying a lab in one kills the other's);
// it destroys only labs named `bench-ctr-…` there.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

import { CounterSampler, deployLab, destroyLab, execInLab, findSandbox, getSandbox, listLabs, listNamespaces, mapLimit, run } from '../packages/driver/src/index.ts';
import type { CountersMessage } from '../packages/protocol/src/index.ts';
import { buildServer } from '../scripts/build-server.ts';
import { childPids, CLK_TCK, cpuBusy, cpuSeconds, waitQuiet } from './machine.ts';
import { benchToken, isolateBench, numEnv, startServerProcess } from './harness.ts';
import { starTopology } from './star.ts';
import { fmtBytes, fmtMs, median, table } from './stats.ts';
import { LabClient } from './wsclient.ts';
import { ensureBuilt, launchChromium } from '../apps/web/test/e2e.ts';

const DATA_DIR = isolateBench('counters');

const N = numEnv('BENCH_COUNTERS_N', 300, 2, 500, true);
const SECONDS = numEnv('BENCH_COUNTERS_SECONDS', 20, 3, 300, true);
const SETTLE_S = numEnv('BENCH_COUNTERS_SETTLE', 30, 0, 300, true);
const BROWSER = process.env.BENCH_COUNTERS_BROWSER !== '0';
const TOKEN = benchToken();
const LAB = `bench-ctr-${process.pid.toString(36)}`;

const T0 = performance.now();
const log = (s: string) => process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(6)} s] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sh = (argv: string[]) => (spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }).stdout ?? '?').trim();

let server: ChildProcess | null = null;
let client: LabClient | null = null;
let pinger: Promise<unknown> | null = null;

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

const samplerOf = (serverPid: number) => childPids(serverPid).filter((p) => comm(p) === 'perl');

interface Phase {
  label: string;
  seconds: number;
  server: number;
  sampler: number;
  samplers: number;
  messages: number;
  bytes: number;
  nodesPerMessage: number;
}

async function measure(label: string, serverPid: number, c: LabClient, expectSampler: boolean): Promise<Phase> {
  const samplers = samplerOf(serverPid);
  if (expectSampler !== samplers.length > 0) throw new Error(`${label}: expected ${expectSampler ? 'a' : 'no'} sampler process, found ${samplers.length}`);
  const s0 = cpuSeconds(serverPid)!;
  const p0 = samplers.map((p) => cpuSeconds(p) ?? 0);
  const m0 = c.messages;
  const b0 = c.bytes;
  let nodes = 0;
  let counted = 0;
  const onMsg = (data: Buffer) => {
    const m = JSON.parse(data.toString()) as CountersMessage;
    if (m.type === 'counters') {
      nodes += Object.keys(m.nodes).length;
      counted++;
    }
  };
  c.ws.on('message', onMsg);
  const t = performance.now();
  await sleep(SECONDS * 1000);
  const seconds = (performance.now() - t) / 1000;
  c.ws.off('message', onMsg);
  const server = (cpuSeconds(serverPid)! - s0) / seconds;
  const sampler = samplers.reduce((sum, p, i) => sum + ((cpuSeconds(p) ?? p0[i]!) - p0[i]!), 0) / seconds;
  const phase: Phase = { label, seconds, server, sampler, samplers: samplers.length, messages: c.messages - m0, bytes: c.bytes - b0, nodesPerMessage: counted ? nodes / counted : 0 };
  log(`${label}: server ${(server * 100).toFixed(2)}% + sampler ${(sampler * 100).toFixed(2)}% of one core; ${phase.messages} messages, ${fmtBytes(phase.bytes)}`);
  return phase;
}

async function startServer(main: string): Promise<{ proc: ChildProcess; origin: string }> {
  const srv = await startServerProcess(TOKEN, { bundle: main });
  server = srv.proc;
  return srv;
}

/** One sample of the whole lab, timed here (sampler process already running). */
async function sampleTimes(): Promise<{ ms: number[]; nodes: number; ifaces: number }> {
  const s = new CounterSampler(getSandbox(LAB));
  try {
    const first = await s.sample();
    const ms: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await s.sample();
      ms.push(performance.now() - t);
    }
    let ifaces = 0;
    for (const m of first.nodes.values()) ifaces += m.size;
    return { ms, nodes: first.nodes.size, ifaces };
  } finally {
    s.close();
  }
}

/** CPU of reading every namespace with its own `ip -s -j link show` (children's time, /proc/self/stat). */
async function perProcessSweep(): Promise<{ cpu: number; wall: number }> {
  const sb = getSandbox(LAB);
  const names = (await listNamespaces(sb)).filter((n) => !n.unsafe).map((n) => n.name);
  const children = () => {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[13]) + Number(rest[14])) / CLK_TCK;
  };
  const self = () => cpuSeconds(process.pid)!;
  const c0 = children();
  const s0 = self();
  const t = performance.now();
  await mapLimit(names, 8, (ns) => run(sb.enterNetns(ns, ['ip', '-s', '-j', 'link', 'show']), { timeoutMs: 30_000 }));
  const wall = (performance.now() - t) / 1000;
  // Our own share (spawning, pipes) counts too: a server doing this would pay it.
  return { cpu: children() - c0 + (self() - s0), wall };
}

/** What the bench reads of the app's canvas (`window.__nslab_cy`, a Cytoscape instance). */
type VethEdges = { length: number; filter(f: (e: { data(k: string): unknown }) => boolean): { length: number } };
type CyWindow = { __nslab_cy?: { edges(selector: string): VethEdges } };

interface BrowserCost {
  on: number;
  off: number;
  edgesMoving: number;
  edges: number;
}

/** The page's main-thread busy share with counters on and off, every edge's traffic changing. */
async function browserCost(origin: string): Promise<BrowserCost> {
  ensureBuilt();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${origin}/labs/${LAB}?token=${TOKEN}`);
    await page.waitForFunction((n) => ((window as unknown as CyWindow).__nslab_cy?.edges('.veth').length ?? 0) >= n, N, { timeout: 60_000 });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const busy = async (): Promise<number> => {
      const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
      return metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN;
    };
    const share = async (): Promise<number> => {
      const b0 = await busy();
      const t = performance.now();
      await sleep(SECONDS * 1000);
      return (await busy() - b0) / ((performance.now() - t) / 1000);
    };
    // A string: tsx would name the getter with a helper the page does not have.
    const setHidden = (hidden: boolean) =>
      page.evaluate(`Object.defineProperty(document, 'visibilityState', { configurable: true, value: ${JSON.stringify(hidden ? 'hidden' : 'visible')} });
        document.dispatchEvent(new Event('visibilitychange'));`);
    pinger = execInLab(LAB, 'h1', ['ping', '-b', '-q', '-i', '0.2', '-w', String(2 * SECONDS + 15), '-I', 'eth0', '255.255.255.255'], { timeoutMs: (2 * SECONDS + 40) * 1000 });
    await page.waitForFunction(() => (window as unknown as CyWindow).__nslab_cy!.edges('.veth').filter((e) => Number(e.data('traffic') ?? 0) > 0).length > 10, undefined, { timeout: 15_000 });
    await sleep(2000);
    const edges = await page.evaluate(() => (window as unknown as CyWindow).__nslab_cy!.edges('.veth').length);
    const edgesMoving = await page.evaluate(() => (window as unknown as CyWindow).__nslab_cy!.edges('.veth').filter((e) => Number(e.data('traffic') ?? 0) > 0).length);
    const on = await share();
    log(`browser, counters on: main thread ${(on * 100).toFixed(1)}% busy (${edgesMoving}/${edges} edges moving)`);
    await setHidden(true);
    await sleep(1500);
    const off = await share();
    log(`browser, counters off (page hidden): main thread ${(off * 100).toFixed(1)}% busy`);
    await pinger.catch(() => undefined);
    pinger = null;
    return { on, off, edgesMoving, edges };
  } finally {
    await browser.close();
  }
}

async function cleanup(): Promise<void> {
  client?.close();
  client = null;
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  if (findSandbox(LAB)) {
    try {
      await destroyLab(LAB);
    } catch (e) {
      log(`could not destroy ${LAB}: ${(e as Error).message}`);
    }
  }
  await pinger?.catch(() => undefined);
  rmSync(DATA_DIR, { recursive: true, force: true });
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('pnpm bench:counters must run as root (it creates network namespaces)');
  for (const sb of listLabs()) if (sb.name.startsWith('bench-ctr-')) await destroyLab(sb.name);
  const waited = await waitQuiet(0.25, 30_000);
  if (waited > 100) log(`waited ${(waited / 1000).toFixed(1)} s for other work to finish`);
  const busyBefore = await cpuBusy(1000);
  const info = [
    `- CPU: ${cpus()[0]?.model ?? '?'}, nproc ${sh(['nproc'])}; kernel ${sh(['uname', '-r'])}; Node ${process.version}; CLK_TCK ${CLK_TCK}`,
    `- \`uptime\` at start: ${sh(['uptime'])}`,
    `- machine CPU busy in the second before the bench: ${(busyBefore * 100).toFixed(0)}%`,
  ];

  const main = await buildServer();
  log(`built ${main}`);
  let t = performance.now();
  await deployLab(LAB, starTopology(N), { source: 'cli' });
  log(`deployed ${LAB} (${N} namespaces) in ${fmtMs(performance.now() - t)} ms`);
  const { proc, origin } = await startServer(main);
  const pid = proc.pid!;
  t = performance.now();
  client = await LabClient.connect(origin, LAB, TOKEN);
  log(`server pid ${pid}; snapshot in ${fmtMs(performance.now() - t)} ms`);
  // A fresh lab's IPv6 autoconfiguration (DAD, router and MLD solicitations) keeps the server
  // re-reading namespaces for a while: let it calm down so the phases compare counters, not that.
  log(`letting the new lab settle for ${SETTLE_S} s`);
  await sleep(SETTLE_S * 1000);

  const phases: Phase[] = [];
  phases.push(await measure('counters off', pid, client, false));

  const firstFull = client.next((m) => m.type === 'counters' && m.full, 10_000);
  t = performance.now();
  client.ws.send(JSON.stringify({ type: 'counters', on: true }));
  const full = await firstFull;
  const firstMs = full.at - t;
  const fullNodes = Object.keys((full.message as CountersMessage).nodes).length;
  log(`first full counters message after ${fmtMs(firstMs)} ms: ${fullNodes} nodes, ${fmtBytes(full.bytes)}`);
  await sleep(1500);
  phases.push(await measure('counters on, idle lab', pid, client, true));

  pinger = execInLab(LAB, 'h1', ['ping', '-b', '-q', '-i', '0.2', '-w', String(SECONDS + 6), '-I', 'eth0', '255.255.255.255'], { timeoutMs: (SECONDS + 30) * 1000 });
  await sleep(2500);
  phases.push(await measure('counters on, every namespace moving', pid, client, true));
  await pinger.catch(() => undefined);
  pinger = null;

  client.ws.send(JSON.stringify({ type: 'counters', on: false }));
  await sleep(1500);
  phases.push(await measure('counters off again', pid, client, false));

  const browser = BROWSER ? await browserCost(origin) : null;

  log('timing single samples in this process');
  const samples = await sampleTimes();
  log('one `ip -s -j link show` per namespace');
  const sweep = await perProcessSweep();

  const off = (phases[0]!.server + phases[3]!.server) / 2;
  const report: string[] = [];
  report.push(`## Live counters (\`pnpm bench:counters\`), ${N} namespaces, ${new Date().toISOString()}`, '');
  report.push(...info, '');
  report.push(
    table(
      ['phase', 'server', 'sampler', 'server + sampler', 'over "off"', 'counters msgs', 'WS bytes / s', 'namespaces per msg'],
      phases.map((p) => [
        p.label,
        pct(p.server),
        p.samplers ? pct(p.sampler) : '—',
        pct(p.server + p.sampler),
        p.samplers ? pct(p.server + p.sampler - off) : '—',
        String(p.messages),
        fmtBytes(p.bytes / p.seconds),
        p.samplers ? p.nodesPerMessage.toFixed(0) : '—',
      ]),
    ),
    '',
  );
  report.push(`CPU is a share of one core over ${SECONDS} s per phase (utime + stime from /proc/PID/stat). Goal: under 5% of one core.`, '');
  report.push(`- first counters message after asking: ${fmtMs(firstMs)} ms, ${fullNodes} nodes, ${fmtBytes(full.bytes)} (full)`);
  report.push(`- one sample (${samples.nodes} nodes, ${samples.ifaces} interfaces) timed in the bench process: median ${fmtMs(median(samples.ms))} ms, max ${fmtMs(Math.max(...samples.ms))} ms over ${samples.ms.length}`);
  report.push(`- the alternative, one \`ip -s -j link show\` process per namespace: ${sweep.cpu.toFixed(2)} s of CPU and ${sweep.wall.toFixed(2)} s wall per sweep of ${N}, so ${pct(sweep.cpu)} of one core at one sweep per second`);
  if (browser) {
    report.push(
      `- the browser (headless Chromium, the lab open, ${browser.edgesMoving} of ${browser.edges} veth edges carrying traffic that changes every second): page main thread ${pct(browser.on)} busy with counters on, ${pct(browser.off)} with them off (page hidden), so ${pct(browser.on - browser.off)} of one core for the canvas and rates`,
    );
  }
  process.stdout.write(report.join('\n') + '\n');
}

process.on('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});
try {
  await main();
  await cleanup();
} catch (e) {
  await cleanup();
  throw e;
}
