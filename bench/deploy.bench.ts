// `pnpm bench`: deploy + destroy time of a star lab (N namespaces on one bridge, with addresses)
// for nslab, a hand-written `ip -batch` baseline and Mininet. Prints a markdown report on stdout
// (progress on stderr). Must run as root. Knobs: BENCH_SIZES=100,300  BENCH_RUNS=3
// BENCH_MININET_RUNS=3  BENCH_PROFILE=3 (instrumented runs per strategy; 0 skips the profile).
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { spawnSync } from 'node:child_process';
import { checkBaselineMatchesPlan, killLiveBaselines, runBaseline, type BaselineTiming } from './baseline.ts';
import { diffSnapshots, hostSnapshot, settle } from './hoststate.ts';
import { mininetUnavailable, runMininet, type MininetTiming } from './mininet.ts';
import { destroyLeftoverLabs, profileNslab, runNslab, type NslabProfile, type NslabTiming } from './nslab.ts';
import { describe, type NsStrategy } from './whatif.ts';
import { starAddress } from './star.ts';
import { cpuBusy, waitQuiet as waitUntilQuiet } from './machine.ts';
import { fmtMs, median, medMin, min, ratio, table } from './stats.ts';
import { run } from '../packages/driver/src/index.ts';

const T0 = performance.now();
const log = (s: string) => process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(5)} s] ${s}\n`);

function intList(v: string | undefined, dflt: number[]): number[] {
  if (!v) return dflt;
  const xs = v.split(',').map((x) => Number(x.trim()));
  if (xs.some((x) => !Number.isInteger(x) || x < 2 || x > 2000)) throw new Error(`bad list ${JSON.stringify(v)}`);
  return xs;
}
function intEnv(v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const x = Number(v);
  if (!Number.isInteger(x) || x < 0) throw new Error(`bad number ${JSON.stringify(v)}`);
  return x;
}

const SIZES = intList(process.env.BENCH_SIZES, [100, 300]);
const RUNS = Math.max(1, intEnv(process.env.BENCH_RUNS, 3));
const MN_RUNS = intEnv(process.env.BENCH_MININET_RUNS, 3);
const PROFILE_RUNS = intEnv(process.env.BENCH_PROFILE, 3);
const PROFILE = PROFILE_RUNS > 0;
const tag = `${process.pid.toString(36)}`;
// The driver itself now runs the namespace batches through one in-sandbox `xargs -P nproc`; the
// what-ifs show the previous driver (sequential), a Node pool, and the same xargs without parallelism.
const WHAT_IF: NsStrategy[] = [
  { kind: 'node-pool', concurrency: 1 },
  { kind: 'node-pool', concurrency: 4 },
  { kind: 'xargs', parallel: 1 },
];

let quietWaitMs = 0;

/** Before each timed step: wait (up to 30 s) until the machine is quiet, so other work does not land in one side's numbers. */
async function waitQuiet(): Promise<void> {
  const waited = await waitUntilQuiet();
  if (waited > 100) {
    quietWaitMs += waited;
    log(`(waited ${(waited / 1000).toFixed(1)} s for other work to finish)`);
  }
}

function sh(argv: string[]): string {
  // Some tools (mn --version) print their version on stderr.
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return (r.stdout || r.stderr || '?').trim();
}

function machineInfo(): string[] {
  const os = /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '?';
  return [
    `- CPU: ${cpus()[0]?.model ?? '?'}, nproc ${sh(['nproc'])}`,
    `- Kernel: ${sh(['uname', '-r'])}; OS: ${os}`,
    `- ${sh(['ip', '-V'])}; Node ${process.version}${MN_RUNS > 0 ? `; Mininet ${sh(['mn', '--version'])}` : ''}`,
    `- Load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
  ];
}

function verifyBaseline(n: number): (prefix: string[]) => Promise<void> {
  return async (prefix: string[]) => {
    let last = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await run([...prefix, 'ip', 'netns', 'exec', 'h1', 'ping', '-c', '1', '-W', '2', starAddress(n)], { timeoutMs: 10_000 });
      if (r.code === 0) return;
      last = (r.stdout + r.stderr).trim().split('\n').slice(-2).join(' / ');
    }
    throw new Error(`baseline: h1 cannot ping h${n}: ${last}`);
  };
}

interface Sample {
  nslab: NslabTiming[];
  baseline: BaselineTiming[];
  mininet: MininetTiming[];
  mininetError: string | null;
  /** Instrumented runs: index 0 = the driver as is, then one per WHAT_IF strategy; PROFILE_RUNS each. */
  profiles: NslabProfile[][];
  /** Baseline runs interleaved with the instrumented ones. */
  profileBaseline: BaselineTiming[];
  reclaimMs: number[];
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('pnpm bench must run as root (it creates network namespaces)');
  const started = performance.now();
  const info = machineInfo();
  // Wait (up to a minute) for a quiet machine: the bench compares small differences.
  let busy = await cpuBusy(1000);
  for (let i = 0; i < 60 && busy > 0.2; i++) {
    if (i === 0) log(`CPU ${(busy * 100).toFixed(0)}% busy: waiting up to 60 s for other work to finish ...`);
    busy = await cpuBusy(1000);
  }
  info.push(`- CPU busy in the second before the bench: ${(busy * 100).toFixed(0)}%`);
  if (busy > 0.2) log(`warning: CPU ${(busy * 100).toFixed(0)}% busy before start: other work is running, timings will be noisy`);
  const before = hostSnapshot();
  const mnWhyNot = MN_RUNS > 0 ? mininetUnavailable() : 'skipped (BENCH_MININET_RUNS=0)';
  const warnings: string[] = [];

  for (const n of SIZES) checkBaselineMatchesPlan(n);

  const results = new Map<number, Sample>();
  // Warm-up (untimed): module loading, the capability cache, page cache for ip/nsenter/unshare.
  log('warm-up ...');
  await runNslab(`bench-${tag}-warm`, 20);
  await runBaseline(20, verifyBaseline(20));
  await settle();

  for (const n of SIZES) {
    const s: Sample = { nslab: [], baseline: [], mininet: [], mininetError: null, profiles: [], profileBaseline: [], reclaimMs: [] };
    results.set(n, s);
    for (let r = 0; r < RUNS; r++) {
      // Alternate which side goes first so drift does not favour one.
      const order = r % 2 === 0 ? (['nslab', 'baseline'] as const) : (['baseline', 'nslab'] as const);
      for (const who of order) {
        await waitQuiet();
        if (who === 'nslab') {
          const t = await runNslab(`bench-${tag}-n${n}-r${r}`, n);
          s.nslab.push(t);
          log(`N=${n} run ${r + 1}/${RUNS} nslab     deploy ${fmtMs(t.deployMs)} ms, destroy ${fmtMs(t.destroyMs)} ms`);
        } else {
          const t = await runBaseline(n, verifyBaseline(n));
          s.baseline.push(t);
          log(`N=${n} run ${r + 1}/${RUNS} ip-batch  deploy ${fmtMs(t.deployMs)} ms, destroy ${fmtMs(t.destroyMs)} ms`);
        }
        s.reclaimMs.push(await settle());
      }
    }
  }

  if (PROFILE) {
    for (const n of SIZES) {
      const s = results.get(n)!;
      const strategies: NsStrategy[] = [{ kind: 'driver' }, ...WHAT_IF];
      s.profiles = strategies.map(() => []);
      for (let r = 0; r < PROFILE_RUNS; r++) {
        for (const [k, st] of strategies.entries()) {
          await waitQuiet();
          s.profiles[k]!.push(await profileNslab(`bench-${tag}-n${n}-p${k}-r${r}`, n, st));
          await settle();
        }
        // The baseline again in the same period, so the what-if ratios compare like with like.
        await waitQuiet();
        s.profileBaseline.push(await runBaseline(n, verifyBaseline(n)));
        await settle();
      }
      log(`N=${n} profile done`);
    }
  }

  for (const n of SIZES) {
    const s = results.get(n)!;
    if (mnWhyNot) {
      s.mininetError = mnWhyNot;
      continue;
    }
    for (let r = 0; r < MN_RUNS; r++) {
      await waitQuiet();
      const snap = hostSnapshot();
      try {
        const t = await runMininet(n);
        s.mininet.push(t);
        log(`N=${n} run ${r + 1}/${MN_RUNS} mininet   total ${fmtMs(t.totalMs)} ms (mn reports ${t.reportedMs === null ? '?' : fmtMs(t.reportedMs)} ms)`);
      } catch (e) {
        s.mininetError = (e as Error).message;
        log(`N=${n} mininet failed: ${s.mininetError}`);
        break;
      } finally {
        const d = diffSnapshots(snap, hostSnapshot());
        if (d.length) warnings.push(`host state changed during the Mininet run (N=${n}):\n${d.join('\n')}`);
      }
      await settle();
    }
  }

  const after = hostSnapshot();
  const d = diffSnapshots(before, after);
  if (d.length) warnings.push(`host state before/after the bench differs:\n${d.join('\n')}`);
  for (const w of warnings) log(`WARNING: ${w}`);

  // ---- report ----
  const out: string[] = [];
  out.push('## Deploy + destroy of a star lab (N namespaces on one bridge, with addresses)', '');
  out.push(...info, `- Runs: ${RUNS} per N for nslab and ip-batch (interleaved), ${MN_RUNS} per N for Mininet; times in ms, median (min)`, '');
  const rows: string[][] = [];
  const goals: string[][] = [];
  for (const n of SIZES) {
    const s = results.get(n)!;
    const nd = s.nslab.map((x) => x.deployMs);
    const nx = s.nslab.map((x) => x.destroyMs);
    const nt = s.nslab.map((x) => x.deployMs + x.destroyMs);
    const bd = s.baseline.map((x) => x.deployMs);
    const bx = s.baseline.map((x) => x.destroyMs);
    const bt = s.baseline.map((x) => x.deployMs + x.destroyMs);
    const mt = s.mininet.map((x) => x.totalMs);
    rows.push([String(n), 'nslab', medMin(nd), medMin(nx), medMin(nt), ratio(median(nt), median(bt)), mt.length ? ratio(median(mt), median(nt)) : 'n/a']);
    rows.push([String(n), 'ip -batch baseline', medMin(bd), medMin(bx), medMin(bt), '1.00×', mt.length ? ratio(median(mt), median(bt)) : 'n/a']);
    rows.push([
      String(n),
      'Mininet (lxbr)',
      'one run builds and tears down',
      mt.length ? `mn's own timer: ${medMin(s.mininet.map((x) => x.reportedMs ?? NaN))}` : '',
      mt.length ? medMin(mt) : `not measured: ${s.mininetError ?? 'no runs'}`,
      mt.length ? ratio(median(mt), median(bt)) : 'n/a',
      mt.length ? '1.00×' : 'n/a',
    ]);
    const deployRatio = median(nd) / median(bd);
    const totalRatio = median(nt) / median(bt);
    const mnRatio = mt.length ? median(mt) / median(nt) : NaN;
    goals.push([
      String(n),
      `${deployRatio.toFixed(2)}× (min/min ${(min(nd) / min(bd)).toFixed(2)}×)`,
      `${totalRatio.toFixed(2)}×`,
      deployRatio <= 1.3 && totalRatio <= 1.3 ? 'met' : 'missed',
      mt.length ? `${mnRatio.toFixed(1)}×` : 'n/a',
      mt.length ? (mnRatio >= 10 ? 'met' : 'missed') : 'not measured',
    ]);
  }
  out.push(table(['N', 'tool', 'deploy', 'destroy', 'deploy + destroy', 'vs ip-batch (total)', 'Mininet ÷ this (total)'], rows), '');
  out.push('### Goals', '');
  out.push(table(['N', 'nslab ÷ ip-batch, deploy', 'nslab ÷ ip-batch, total', 'goal ≤ 1.3×', 'Mininet ÷ nslab, total', 'goal ≥ 10×'], goals), '');

  if (PROFILE) {
    out.push(`### Where the time goes (instrumented runs after the timed ones, baseline re-run alongside; median of ${PROFILE_RUNS}, ms)`, '');
    const prow: string[][] = [];
    const med = (ps: NslabProfile[], f: (p: NslabProfile) => number) => median(ps.map(f));
    for (const n of SIZES) {
      const s = results.get(n)!;
      const ps = s.profiles[0]!;
      const b = s.profileBaseline;
      const bmed = (f: (x: BaselineTiming) => number) => median(b.map(f));
      const nsMs = med(ps, (p) => p.nsBatchesMs);
      prow.push([
        String(n),
        'nslab',
        fmtMs(med(ps, (p) => p.capabilityCheckMs + p.planMs)),
        fmtMs(med(ps, (p) => p.sandboxMs)),
        `${fmtMs(med(ps, (p) => p.hostBatchMs))} (${ps[0]!.hostLines} lines, 1 process)`,
        `${fmtMs(nsMs)} (${ps[0]!.namespaces} namespaces: 1 tar + 1 xargs -P ${availableParallelism()} from Node, ${fmtMs(nsMs / ps[0]!.namespaces)} per namespace)`,
        fmtMs(med(ps, (p) => p.destroyMs)),
      ]);
      const bns = bmed((x) => x.phases.nsBatchesMs);
      prow.push([
        String(n),
        'ip -batch baseline',
        '-',
        fmtMs(bmed((x) => x.phases.sandboxMs)),
        fmtMs(bmed((x) => x.phases.hostBatchMs)),
        `${fmtMs(bns)} (${n} processes, ${fmtMs(bns / n)} each)`,
        fmtMs(bmed((x) => x.destroyMs)),
      ]);
    }
    out.push(table(['N', 'side', 'plan + capability check (cached)', 'sandbox', 'host batch', 'per-namespace batches', 'destroy'], prow), '');
    const first = results.get(SIZES[0]!)!.profiles[0]!;
    out.push(`One process start from Node (median of 20): \`true\` ${fmtMs(med(first, (p) => p.spawnMs ?? NaN))} ms; \`nsenter -t ANCHOR -U -m -n true\` ${fmtMs(med(first, (p) => p.nsenterSpawnMs ?? NaN))} ms.`, '');
    out.push(`### What-if: the per-namespace phase run differently (same plan, sandbox and host batch; median of ${PROFILE_RUNS}, ms)`, '');
    const wrow: string[][] = [];
    for (const n of SIZES) {
      const s = results.get(n)!;
      const bd = median(s.profileBaseline.map((x) => x.deployMs));
      wrow.push([String(n), 'ip -batch baseline: `ip -n NS -batch FILE` per namespace from a bash loop', fmtMs(median(s.profileBaseline.map((x) => x.phases.nsBatchesMs))), fmtMs(bd), '1.00×']);
      for (const ps of s.profiles) {
        const deploy = med(ps, (p) => p.planMs + p.capabilityCheckMs + p.sandboxMs + p.hostBatchMs + p.nsBatchesMs);
        wrow.push([String(n), describe(ps[0]!.strategy), fmtMs(med(ps, (p) => p.nsBatchesMs)), fmtMs(deploy), ratio(deploy, bd)]);
      }
    }
    out.push(table(['N', 'per-namespace phase', 'phase', 'deploy (sum of phases)', '÷ ip-batch deploy'], wrow), '');
    out.push(`- Kernel namespace teardown after a destroy returns (untimed; the bench waits for it before the next run): median ${fmtMs(median(SIZES.flatMap((n) => results.get(n)!.reclaimMs)))} ms.`, '');
  }
  if (warnings.length) out.push('### Warnings', '', ...warnings.map((w) => `- ${w.replace(/\n/g, '\n  ')}`), '');
  else out.push('Host check: `ip -br link`, `ip netns list`, addresses, routes and the sysctls Mininet touches were identical before and after.', '');
  out.push(`Bench wall time: ${((performance.now() - started) / 1000).toFixed(1)} s${quietWaitMs > 0 ? `, of which ${(quietWaitMs / 1000).toFixed(1)} s waiting for other work on the machine to finish` : ''}.`);
  process.stdout.write(out.join('\n') + '\n');
}

async function cleanup(): Promise<void> {
  killLiveBaselines();
  await destroyLeftoverLabs();
}

process.on('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});

main().catch(async (e) => {
  log(`bench failed: ${(e as Error).stack ?? e}`);
  await cleanup();
  process.exit(1);
});
