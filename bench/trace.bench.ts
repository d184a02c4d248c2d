// `pnpm bench:trace`: time from a trace request to its journey (traceLab, what the CLI and the REST
// route call), for a 3-hop path (a -> r1 -> r2 -> b) in a quiet 10-namespace lab (the path's namespaces
// armed) and in a 300-namespace lab (only the path's namespaces armed); goals 1.5 s and 2.5 s. Per
// trace: the stages (observe, diagnose, armed, probe, stop, journey), the CPU of every process the
// trace started (collectors, observe, probe: our reaped children's user+system time) and of this
// process; after the runs, that no trace table, capture, monitor or watchdog is left in the lab.
// Markdown on stdout, progress on stderr. Knobs: BENCH_TRACE_RUNS=5 BENCH_TRACE_BIG=300.
// Kept apart like the other benches (isolateBench: own state dir, data dir and uid range); it
// destroys only its own bench-trace-* labs.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseTopology } from '../packages/model/src/index.ts';
import { cgroupPids, deployLab, destroyLab, findSandbox, getSandbox, run, traceLab } from '../packages/driver/src/index.ts';
import { buildApp } from '../apps/server/src/app.ts';
import { isolateBench, numEnv } from './harness.ts';
import { fmtMs, median, table } from './stats.ts';

isolateBench('trace');
const RUNS = numEnv('BENCH_TRACE_RUNS', 5, 1, 100, true);
const BIG = numEnv('BENCH_TRACE_BIG', 300, 10, 500, true);
const log = (s: string) => process.stderr.write(`${s}\n`);

/** a -- r1 -- r2 -- b, plus `extra` namespaces on a bridge with a (a's LAN). */
function topology(extra: number): string {
  const lines = [
    'bridges:', '  br0: {}',
    'nodes:',
    '  a:', '    interfaces:', '      eth0: { addresses: [10.0.0.10/16] }', '      eth1: { addresses: [10.1.0.10/24] }', '    routes: [{ to: 10.3.0.0/24, via: 10.1.0.1 }]',
    '  r1:', '    interfaces:', '      eth0: { addresses: [10.1.0.1/24] }', '      eth1: { addresses: [10.2.0.1/24] }', '    routes: [{ to: 10.3.0.0/24, via: 10.2.0.2 }]', '    sysctls: { net.ipv4.ip_forward: 1 }',
    '  r2:', '    interfaces:', '      eth0: { addresses: [10.2.0.2/24] }', '      eth1: { addresses: [10.3.0.1/24] }', '    routes: [{ to: 10.1.0.0/24, via: 10.2.0.1 }]', '    sysctls: { net.ipv4.ip_forward: 1 }',
    '  b:', '    interfaces:', '      eth0: { addresses: [10.3.0.10/24] }', '    routes: [{ to: default, via: 10.3.0.1 }]',
  ];
  for (let i = 0; i < extra; i++) lines.push(`  n${i}:`, '    interfaces:', `      eth0: { addresses: [10.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}/16] }`);
  lines.push('links:', '  - endpoints: ["a:eth0", "br0:p-a"]', '  - endpoints: ["a:eth1", "r1:eth0"]', '  - endpoints: ["r1:eth1", "r2:eth0"]', '  - endpoints: ["r2:eth1", "b:eth0"]');
  for (let i = 0; i < extra; i++) lines.push(`  - endpoints: ["n${i}:eth0", "br0:p${i}"]`);
  return lines.join('\n') + '\n';
}

/** Reaped children's CPU (user + system), ms. */
function childCpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').slice(readFileSync('/proc/self/stat', 'utf8').lastIndexOf(')') + 2).split(' ');
  // Fields after the command: state is index 0; cutime and cstime are the 16th and 17th fields of stat.
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100;
}

async function leftovers(lab: string, nodes: string[]): Promise<string[]> {
  const sb = getSandbox(lab);
  const out: string[] = [];
  for (const n of nodes) {
    const r = await run(sb.enterNetns(n, ['nft', 'list', 'tables']), { timeoutMs: 10_000 });
    if (r.stdout.includes('nslab_trace')) out.push(`table in ${n}`);
  }
  for (const p of sb.cgroups ? cgroupPids(sb.cgroups) : []) {
    try {
      const comm = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      // The neighbour monitor by its argv: the server's live view runs an `ip monitor` of its own in the lab.
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (['tcpdump', 'nft', 'nslab-trace', 'conntrack'].includes(comm) || cmd.includes('monitor neigh')) out.push(`process ${comm}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

const TOKEN = `bench-trace-${process.pid}`;
const { app } = await buildApp({ token: TOKEN, logger: false });

/** What clicking Trace costs: POST /labs/:lab/trace, through the server's live view of the lab. */
async function viaServer(name: string): Promise<{ ms: number; ok: boolean }> {
  const t = performance.now();
  const r = await app.inject({ method: 'POST', url: `/api/v1/labs/${name}/trace`, headers: { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' }, payload: { from: 'a', to: 'b' } });
  const ms = performance.now() - t;
  if (r.statusCode !== 200) throw new Error(`trace through the server: ${r.statusCode} ${r.body.slice(0, 300)}`);
  const j = r.json() as { delivered: boolean; replied: boolean; reliable: boolean };
  return { ms, ok: j.delivered && j.replied && j.reliable };
}

interface Row {
  lab: string;
  /** POST /labs/:lab/trace (the web app's Trace), ms per run. */
  server: number[];
  armed: number;
  totals: number[];
  stages: Map<string, number[]>;
  childCpu: number[];
  selfCpu: number[];
  ok: boolean;
  left: string[];
}

async function measure(label: string, extra: number): Promise<Row> {
  const name = `bench-trace-${extra + 4}`;
  if (findSandbox(name)) await destroyLab(name);
  log(`deploying ${name} (${extra + 4} namespaces)...`);
  await deployLab(name, parseTopology(topology(extra)).topology, { source: 'cli' });
  const row: Row = { lab: label, server: [], armed: 0, totals: [], stages: new Map(), childCpu: [], selfCpu: [], ok: true, left: [] };
  try {
    // One untimed trace: the neighbours are resolved, as in a lab someone has been using.
    await traceLab(name, { from: 'a', to: 'b' });
    for (let k = 0; k < RUNS; k++) {
      const c0 = childCpuMs();
      const s0 = process.cpuUsage();
      const stages = new Map<string, number>();
      const j = await traceLab(name, { from: 'a', to: 'b' }, { onTiming: (s, ms) => stages.set(s, ms) });
      const s1 = process.cpuUsage(s0);
      row.childCpu.push(childCpuMs() - c0);
      row.selfCpu.push((s1.user + s1.system) / 1000);
      row.totals.push(stages.get('total')!);
      for (const [s, ms] of stages) if (s !== 'total') row.stages.set(s, [...(row.stages.get(s) ?? []), ms]);
      row.armed = j.armed.length;
      row.ok &&= j.delivered && j.replied && j.reliable && j.events.filter((e) => e.leg === 'request').length === 6;
      log(`  ${label} run ${k + 1}: ${stages.get('total')!.toFixed(0)} ms, armed ${j.armed.length}, ${j.events.length} events`);
    }
    // The server's first call starts its live view of the lab (a full read, once, as opening the lab page does).
    await viaServer(name);
    for (let k = 0; k < RUNS; k++) {
      const v = await viaServer(name);
      row.server.push(v.ms);
      row.ok &&= v.ok;
      log(`  ${label} server run ${k + 1}: ${v.ms.toFixed(0)} ms`);
    }
    row.left = await leftovers(name, ['host', 'a', 'r1', 'r2', 'b']);
  } finally {
    await destroyLab(name);
  }
  return row;
}

const rows = [await measure('10 namespaces (path armed)', 6), await measure(`${BIG} namespaces (path armed)`, BIG - 4)];
const stageNames = ['observe', 'diagnose', 'armed', 'nft', 'probe', 'stop', 'journey'];
console.log(`\n### Packet journey (pnpm bench:trace)\n`);
console.log(`${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at the end; ${RUNS} traces each (median; max in brackets), ICMP, 3-hop path a -> r1 -> r2 -> b.\n`);
console.log(table(
  ['lab', 'armed', 'Trace clicked -> journey (server, live view)', 'request -> journey (traceLab, reads the lab)', ...stageNames, 'CPU of started processes', 'CPU of nslab', 'journey right', 'left behind'],
  rows.map((r) => [
    r.lab,
    String(r.armed),
    `${fmtMs(median(r.server))} (${fmtMs(Math.max(...r.server))})`,
    `${fmtMs(median(r.totals))} (${fmtMs(Math.max(...r.totals))})`,
    ...stageNames.map((s) => fmtMs(median(r.stages.get(s) ?? [0]))),
    fmtMs(median(r.childCpu)),
    fmtMs(median(r.selfCpu)),
    r.ok ? 'yes' : 'NO',
    r.left.length ? r.left.join(', ') : 'nothing',
  ]),
));
await app.close();
