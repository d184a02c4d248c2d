// `pnpm bench:server`: the live server against the real kernel. Must run as root.
//  1. Kernel change -> patch: for star labs of BENCH_SERVER_SIZES namespaces, a real listening server
//     (buildApp + listen on 127.0.0.1:0, in this process) and a real `ws` client. Each sample changes
//     one namespace's eth0 MTU *in the sandbox* (execInLab, never the server's API) and measures from
//     just before the exec until the client has parsed the patch carrying the new MTU.
//  2. Server memory: `nslab serve` in a separate process with the largest lab and BENCH_SERVER_CLIENTS
//     connected clients; VmRSS from /proc/PID/status idle, with the clients, and after bursts of changes.
// Markdown report on stdout, progress on stderr. Knobs: BENCH_SERVER_SIZES=1,100,300
// BENCH_SERVER_SAMPLES=100 BENCH_SERVER_CLIENTS=10 BENCH_SERVER_BURSTS=10 BENCH_SERVER_GAP_MS=50
// BENCH_SERVER_TSX=0 (skips the comparison run from source through tsx, `pnpm nslab serve`).
// The server measured is what `pnpm start` runs: dist/nslab.mjs under bare node (rebuilt first).
//
// The bench keeps its labs apart from everyone else's: its own state and data directories and its own
// uid range (bench/harness.ts isolateBench: /run/nslab-bench-server, a temporary data dir, its own uid range),
// so the separate server adopts only the bench's lab and never touches another lab. It destroys only
// labs named `bench-srv-…` in that state directory.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

import { buildApp } from '../apps/server/src/index.ts';
import { deployLab, destroyLab, execInLab, findSandbox, listLabs } from '../packages/driver/src/index.ts';
import { starTopology } from './star.ts';
import { fmtBytes, fmtMs, median, percentile, table } from './stats.ts';
import { childrenRss, cpuBusy, otherWorkMeter, procMemory, waitQuiet } from './machine.ts';
import { diffSnapshots, hostSnapshot, settle } from './hoststate.ts';
import { LabClient } from './wsclient.ts';
import { buildServer } from '../scripts/build-server.ts';
import { benchToken, isolateBench, numEnv, ROOT, serverArgv, startServerProcess, stopServerProcess, type ServerRuntime } from './harness.ts';

const DATA_DIR = isolateBench('server');

const T0 = performance.now();
const log = (s: string) => process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(5)} s] ${s}\n`);

function intList(v: string | undefined, dflt: number[]): number[] {
  if (!v) return dflt;
  const xs = v.split(',').map((x) => Number(x.trim()));
  if (xs.some((x) => !Number.isInteger(x) || x < 1 || x > 500)) throw new Error(`bad list ${JSON.stringify(v)}`);
  return xs;
}

const SIZES = intList(process.env.BENCH_SERVER_SIZES, [1, 100, 300]);
// MTUs 1300 + k stay >= 1280 (IPv6 stays on, no extra address churn) and differ sample to sample.
const SAMPLES = numEnv('BENCH_SERVER_SAMPLES', 100, 5, 200, true);
const CLIENTS = numEnv('BENCH_SERVER_CLIENTS', 10, 1, 100, true);
const BURSTS = numEnv('BENCH_SERVER_BURSTS', 10, 0, 20, true);
const GAP_MS = numEnv('BENCH_SERVER_GAP_MS', 50, 0, 5000, true);
const WARMUP = 5;
const TSX = process.env.BENCH_SERVER_TSX !== '0';
const TOKEN = benchToken();
const tag = process.pid.toString(36);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const created = new Set<string>();
const clients: LabClient[] = [];
let child: ChildProcess | null = null;

function sh(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return (r.stdout || r.stderr || '?').trim();
}
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

async function deploy(n: number): Promise<{ name: string; ms: number }> {
  const name = `bench-srv-${tag}-n${n}`;
  created.add(name);
  const t = performance.now();
  await deployLab(name, starTopology(n), { source: 'cli' });
  return { name, ms: performance.now() - t };
}

async function destroy(name: string): Promise<void> {
  if (findSandbox(name)) await destroyLab(name);
  created.delete(name);
}

interface LatencySample {
  /** Just before execInLab -> the client parsed the patch with the new MTU. */
  totalMs: number;
  /** Just before execInLab -> execInLab resolved (process spawn, nsenter, ip netns exec, ip, exit). */
  execMs: number;
  patchBytes: number;
}

interface SizeResult {
  n: number;
  deployMs: number;
  snapshotMs: number;
  snapshotBytes: number;
  samples: LatencySample[];
  busyBefore: number;
  /** Share of the machine's CPU used by other processes while the samples ran. */
  otherDuring: number;
  loadBefore: string;
  loadAfter: string;
}

const nodeOf = (n: number, k: number) => `h${n === 1 ? 1 : 1 + ((k * 7919) % n)}`;

/** One MTU change in `node`, made in the sandbox; resolves when `client` has the patch showing it. */
async function oneChange(lab: string, client: LabClient, node: string, mtu: number): Promise<LatencySample> {
  const got = client.next(
    (m) => m.type === 'patch' && m.upsertNodes.some((x) => x.name === node && x.interfaces.some((i) => i.name === 'eth0' && i.mtu === mtu)),
    10_000,
  );
  const t0 = performance.now();
  const r = await execInLab(lab, node, ['ip', 'link', 'set', 'dev', 'eth0', 'mtu', String(mtu)]);
  const execMs = performance.now() - t0;
  if (r.code !== 0) throw new Error(`ip link set mtu ${mtu} in ${node} failed: ${r.stderr.trim()}`);
  const p = await got;
  return { totalMs: p.at - t0, execMs, patchBytes: p.bytes };
}

async function latency(n: number): Promise<SizeResult> {
  const { name, ms: deployMs } = await deploy(n);
  log(`N=${n}: deployed ${name} in ${fmtMs(deployMs)} ms`);
  const { app } = await buildApp({ token: TOKEN, logger: false });
  try {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const client = await LabClient.connect(address, name, TOKEN);
    clients.push(client);
    const nsCount = client.snapshot!.lab.nodes.filter((x) => x.kind === 'netns').length;
    if (nsCount !== n) throw new Error(`snapshot has ${nsCount} namespaces, expected ${n}`);
    log(`N=${n}: snapshot after ${fmtMs(client.snapshotMs)} ms (${fmtBytes(client.snapshotBytes)})`);
    // Untimed warm-up: page cache for nsenter/ip, the JIT on the server's read path.
    for (let w = 0; w < WARMUP; w++) {
      await oneChange(name, client, nodeOf(n, SAMPLES + w), 1280 + w);
      await sleep(GAP_MS);
    }
    const waited = await waitQuiet();
    if (waited > 100) log(`N=${n}: waited ${(waited / 1000).toFixed(1)} s for other work to finish`);
    const busyBefore = await cpuBusy(500);
    const loadBefore = load();
    const samples: LatencySample[] = [];
    const other = otherWorkMeter();
    for (let k = 0; k < SAMPLES; k++) {
      samples.push(await oneChange(name, client, nodeOf(n, k), 1300 + k));
      // Let the trailing re-read (if any) finish so samples do not overlap.
      await sleep(GAP_MS);
    }
    const otherDuring = other();
    const loadAfter = load();
    const tot = samples.map((s) => s.totalMs);
    log(`N=${n}: ${SAMPLES} samples, p50 ${fmtMs(percentile(tot, 50))} ms, p95 ${fmtMs(percentile(tot, 95))} ms, p99 ${fmtMs(percentile(tot, 99))} ms`);
    client.close();
    clients.splice(clients.indexOf(client), 1);
    return { n, deployMs, snapshotMs: client.snapshotMs, snapshotBytes: client.snapshotBytes, samples, busyBefore, otherDuring, loadBefore, loadAfter };
  } finally {
    await app.close();
    // The largest lab stays for the memory part.
    if (n !== Math.max(...SIZES)) {
      await destroy(name);
      await settle();
    }
  }
}

interface MemPoint {
  label: string;
  rss: number;
  helpers: { count: number; rss: number };
}

interface MemResult {
  runtime: string;
  n: number;
  points: MemPoint[];
  hwm: number;
  connectMs: number[];
  bursts: { ms: number; loopMs: number; messages: number; bytes: number; rssAfter: number }[];
  pid: number;
}

type Runtime = { kind: 'tsx' } | { kind: 'bundle'; main: string };

/** BENCH_SERVER_NODE_FLAGS: extra node flags for the measured server (what-ifs such as --optimize-for-size). */
const NODE_FLAGS = (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);

function runtimeOf(rt: Runtime): ServerRuntime {
  return { ...(rt.kind === 'bundle' ? { bundle: rt.main } : {}), nodeFlags: NODE_FLAGS };
}

async function startServer(rt: Runtime): Promise<{ proc: ChildProcess; origin: string }> {
  const srv = await startServerProcess(TOKEN, runtimeOf(rt));
  child = srv.proc;
  return srv;
}

async function stopServer(): Promise<void> {
  await stopServerProcess(child);
  child = null;
}

async function memory(n: number, rt: Runtime): Promise<MemResult> {
  const name = `bench-srv-${tag}-n${n}`;
  if (!findSandbox(name)) throw new Error(`lab ${name} is not running`);
  const { proc, origin } = await startServer(rt);
  log(`memory (${rt.kind}): node ${serverArgv(runtimeOf(rt)).join(' ')} -> pid ${proc.pid}`);
  const pid = proc.pid!;
  const points: MemPoint[] = [];
  const mark = (label: string) => {
    const m = procMemory(pid);
    if (!m) throw new Error('the server process is gone');
    const p = { label, rss: m.rss, helpers: childrenRss(pid) };
    points.push(p);
    log(`memory (${rt.kind}): ${label}: VmRSS ${fmtBytes(p.rss)} (+ ${p.helpers.count} helper processes ${fmtBytes(p.helpers.rss)})`);
    return p;
  };
  try {
    // `serve` adopts every running lab before it listens: the lab is watched and read once already.
    await sleep(3000);
    mark('idle: lab adopted, no client');
    const connectMs: number[] = [];
    const conns = await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        const c = await LabClient.connect(origin, name, TOKEN);
        clients.push(c);
        connectMs.push(c.snapshotMs);
        return c;
      }),
    );
    for (const c of conns) if (c.eth0Mtu.size !== n) throw new Error(`a client's snapshot has ${c.eth0Mtu.size} namespaces, expected ${n}`);
    await sleep(2000);
    mark(`${CLIENTS} clients connected, all with the snapshot`);
    const bursts: MemResult['bursts'] = [];
    for (let b = 0; b < BURSTS; b++) {
      const mtu = (rt.kind === 'tsx' ? 1400 : 1420) + b;
      const m0 = conns.reduce((a, c) => a + c.messages, 0);
      const b0 = conns.reduce((a, c) => a + c.bytes, 0);
      const t = performance.now();
      // Every namespace's eth0 MTU, changed in the sandbox from one shell loop (fixed script, argv data).
      const r = await execInLab(name, 'host', ['sh', '-c', 'i=1; while [ "$i" -le "$1" ]; do ip -n "h$i" link set dev eth0 mtu "$2" || exit 1; i=$((i+1)); done', 'sh', String(n), String(mtu)], { timeoutMs: 120_000 });
      const loopMs = performance.now() - t;
      if (r.code !== 0) throw new Error(`burst failed: ${r.stderr.trim()}`);
      const deadline = performance.now() + 120_000;
      while (!conns.every((c) => [...c.eth0Mtu.values()].every((v) => v === mtu))) {
        if (performance.now() > deadline) throw new Error('clients did not see the whole burst within 120 s');
        await sleep(5);
      }
      const ms = performance.now() - t;
      const burst = {
        ms,
        loopMs,
        messages: (conns.reduce((a, c) => a + c.messages, 0) - m0) / CLIENTS,
        bytes: (conns.reduce((a, c) => a + c.bytes, 0) - b0) / CLIENTS,
        rssAfter: procMemory(pid)?.rss ?? NaN,
      };
      bursts.push(burst);
      log(`memory (${rt.kind}): burst ${b + 1}/${BURSTS}: ${n} MTU changes seen by all ${CLIENTS} clients after ${fmtMs(ms)} ms (loop ${fmtMs(loopMs)} ms, ${burst.messages} messages, ${fmtBytes(burst.bytes)} per client; VmRSS ${fmtBytes(burst.rssAfter)})`);
      await sleep(500);
    }
    if (BURSTS > 0) {
      mark(`after ${BURSTS} bursts of ${n} changes (0.5 s after the last)`);
      await sleep(5000);
      mark('5 s later, clients still connected');
    }
    const hwm = procMemory(pid)!.hwm;
    for (const c of conns) {
      c.close();
      clients.splice(clients.indexOf(c), 1);
    }
    return { runtime: rt.kind === 'tsx' ? '`pnpm nslab serve` (from source, tsx)' : '`pnpm start` (node dist/nslab.mjs serve)', n, points, hwm, connectMs, bursts, pid };
  } finally {
    await stopServer();
  }
}

/** VmRSS of an idle `node ARGS -e setInterval(…)` after 3 s (reference points for the memory table). */
async function idleRss(args: string[]): Promise<number> {
  const proc = spawn(process.execPath, [...args, '-e', 'setInterval(() => {}, 1000)'], { cwd: ROOT, stdio: 'ignore' });
  child = proc;
  try {
    await sleep(3000);
    return procMemory(proc.pid!)?.rss ?? NaN;
  } finally {
    await stopServer();
  }
}

async function cleanup(): Promise<void> {
  for (const c of clients.splice(0)) c.close();
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const name of [...created]) {
    try {
      await destroy(name);
    } catch (e) {
      log(`could not destroy ${name}: ${(e as Error).message}`);
    }
  }
  rmSync(DATA_DIR, { recursive: true, force: true });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('pnpm bench:server must run as root (it creates network namespaces)');
  const started = performance.now();
  // Leftovers of an earlier run of this bench that was killed: only `bench-srv-*` in the bench's own state dir.
  for (const sb of listLabs()) {
    if (sb.name.startsWith('bench-srv-')) {
      log(`destroying leftover ${sb.name} from an earlier run`);
      await destroyLab(sb.name);
    }
  }
  const uptimeStart = sh(['uptime']);
  let busy = await cpuBusy(1000);
  for (let i = 0; i < 30 && busy > 0.2; i++) {
    if (i === 0) log(`CPU ${(busy * 100).toFixed(0)}% busy: waiting up to 30 s for other work to finish ...`);
    busy = await cpuBusy(1000);
  }
  const before = hostSnapshot();
  const os = /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '?';
  const info = [
    `- CPU: ${cpus()[0]?.model ?? '?'}, nproc ${sh(['nproc'])}; kernel ${sh(['uname', '-r'])}; ${os}; Node ${process.version}`,
    `- \`uptime\` at start: ${uptimeStart}`,
    `- CPU busy in the second before the bench: ${(busy * 100).toFixed(0)}%`,
  ];

  const results: SizeResult[] = [];
  for (const n of SIZES) results.push(await latency(n));
  const big = Math.max(...SIZES);
  const mems: MemResult[] = [await memory(big, { kind: 'bundle', main: await buildServer() })];
  const refs: [string, number][] = [
    ['`node -e "setInterval(…)"` (bare Node, nothing loaded)', await idleRss([])],
    ['`node --import tsx -e "setInterval(…)"` (the tsx loader, nothing else)', await idleRss(['--import', 'tsx'])],
  ];
  if (TSX) mems.push(await memory(big, { kind: 'tsx' }));
  const mem = mems[0]!;
  await destroy(`bench-srv-${tag}-n${big}`);
  await settle();
  info.push(`- \`uptime\` at the end: ${sh(['uptime'])}`);
  const hostDiff = diffSnapshots(before, hostSnapshot());

  const out: string[] = [];
  out.push('## Server: kernel change -> patch at a WebSocket client', '');
  out.push(...info, '');
  out.push(
    `${SAMPLES} samples per size (after ${WARMUP} untimed), one every ~${GAP_MS} ms after the previous patch arrived; ` +
      'each sample sets a different MTU on `eth0` of a namespace (spread over all of them) with ' +
      '`execInLab(lab, hI, ["ip","link","set","dev","eth0","mtu",M])`. Times in ms.',
    '',
  );
  const rows = results.map((r) => {
    const tot = r.samples.map((s) => s.totalMs);
    const ex = r.samples.map((s) => s.execMs);
    const after = r.samples.map((s) => s.totalMs - s.execMs);
    const p95 = percentile(tot, 95);
    return [
      String(r.n),
      fmtMs(percentile(tot, 50)),
      `**${fmtMs(p95)}**`,
      fmtMs(percentile(tot, 99)),
      fmtMs(Math.max(...tot)),
      `${fmtMs(percentile(ex, 50))} / ${fmtMs(percentile(ex, 95))}`,
      `${fmtMs(percentile(after, 50))} / ${fmtMs(percentile(after, 95))}`,
      fmtBytes(median(r.samples.map((s) => s.patchBytes))),
      p95 <= 50 ? 'met' : '**missed**',
    ];
  });
  out.push(
    table(
      ['namespaces', 'p50', 'p95', 'p99', 'max', 'exec alone p50 / p95', 'exec returned -> patch parsed p50 / p95', 'patch size', 'goal p95 ≤ 50 ms'],
      rows,
    ),
    '',
  );
  for (const r of results) {
    const worst = r.samples.reduce((a, b) => (b.totalMs > a.totalMs ? b : a));
    const over = r.samples.filter((x) => x.totalMs > 50).length;
    out.push(
      `- ${r.n} namespace${r.n === 1 ? '' : 's'}: ${over} of ${r.samples.length} samples over 50 ms; the slowest took ${fmtMs(worst.totalMs)} ms = ` +
        `${fmtMs(worst.execMs)} ms exec + ${fmtMs(worst.totalMs - worst.execMs)} ms until the patch was parsed.`,
    );
  }
  out.push('');
  out.push(
    table(
      ['namespaces', 'deploy (driver)', 'connect -> snapshot parsed (lab adopted on first use)', 'snapshot size', 'CPU busy before the samples', 'CPU used by other processes during the samples', 'load average before -> after'],
      results.map((r) => [
        String(r.n),
        fmtMs(r.deployMs),
        fmtMs(r.snapshotMs),
        fmtBytes(r.snapshotBytes),
        `${(r.busyBefore * 100).toFixed(0)}%`,
        `${(r.otherDuring * 100).toFixed(0)}% of ${cpus().length} cores`,
        `${r.loadBefore} -> ${r.loadAfter}`,
      ]),
    ),
    '',
  );
  out.push(`## Server: memory (\`nslab serve\` in its own process, one lab of ${mem.n} namespaces, ${CLIENTS} WebSocket clients)`, '');
  const MB150 = 150 * 1024 * 1024;
  const memRows = mem.points.map((p, i) => {
    const row = [p.label, `**${fmtBytes(p.rss)}**`];
    for (const m of mems.slice(1)) row.push(m.points[i] ? fmtBytes(m.points[i]!.rss) : 'n/a');
    row.push(`${p.helpers.count}: ${fmtBytes(p.helpers.rss)}`);
    row.push(i === 0 ? '' : p.rss <= MB150 ? 'met' : '**missed**');
    return row;
  });
  if (BURSTS > 0) {
    const range = (m: MemResult) => {
      const xs = m.bursts.map((b) => b.rssAfter);
      return `${fmtBytes(Math.min(...xs))} – ${fmtBytes(Math.max(...xs))}`;
    };
    memRows.splice(2, 0, [
      `right after each of the ${BURSTS} bursts of ${mem.n} changes (min – max)`,
      `**${range(mem)}**`,
      ...mems.slice(1).map(range),
      '',
      Math.max(...mem.bursts.map((b) => b.rssAfter)) <= MB150 ? 'met' : '**missed**',
    ]);
  }
  memRows.push(['peak over the whole run (VmHWM)', fmtBytes(mem.hwm), ...mems.slice(1).map((m) => fmtBytes(m.hwm)), '', mem.hwm <= MB150 ? 'met' : '**missed**']);
  out.push(
    table(['state', `VmRSS, ${mem.runtime}`, ...mems.slice(1).map((m) => `VmRSS, ${m.runtime}`), 'child processes: count: VmRSS summed', 'goal ≤ 150 MB'], memRows),
    '',
  );
  out.push('Reference points, same machine (idle process, VmRSS after 3 s):', '');
  for (const [what, rss] of refs) out.push(`- ${what}: ${fmtBytes(rss)}`);
  out.push('');
  out.push('Connecting:', '');
  for (const m of mems) {
    out.push(`- ${m.runtime}: ${CLIENTS} clients connecting at once had the snapshot after median ${fmtMs(median(m.connectMs))} ms, slowest ${fmtMs(Math.max(...m.connectMs))} ms.`);
  }
  out.push('');
  if (BURSTS > 0) {
    out.push(
      `Bursts: one shell loop in the lab host (\`ip -n hI link set dev eth0 mtu M\` for I = 1..${mem.n}) changes every namespace; ` +
        `"delivered" is from the loop's start until all ${CLIENTS} clients have every new MTU. Times in ms.`,
      '',
    );
    const brows = mems.flatMap((m) =>
      m.bursts.map((b, i) => [
        m.runtime.includes('tsx') ? 'tsx' : 'bundle',
        String(i + 1),
        fmtMs(b.loopMs),
        fmtMs(b.ms),
        String(b.messages),
        fmtBytes(b.bytes),
        fmtBytes(b.rssAfter),
      ]),
    );
    out.push(table(['server', 'burst', 'loop', 'delivered', 'patches per client', 'bytes per client', 'server VmRSS right after'], brows), '');
  }
  if (hostDiff.length) out.push('Host check: the real host\'s links/namespaces/addresses/routes differed before/after (other work on the machine, or a leak):', '', ...hostDiff.map((d) => `    ${d}`), '');
  else out.push('Host check: the real host\'s `ip -br link`, `ip netns list`, addresses and routes were identical before and after.', '');
  out.push(`Bench wall time: ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  process.stdout.write(out.join('\n') + '\n');
}

process.on('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});

try {
  await main();
  await cleanup();
} catch (e) {
  log(`bench failed: ${(e as Error).stack ?? e}`);
  await cleanup();
  process.exit(1);
}
