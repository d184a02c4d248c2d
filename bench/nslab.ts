// nslab side of the bench: the timed deploy/destroy through the public API, and an instrumented
// run that times each phase with the driver's own building blocks (same steps deployLab takes).
import { planDeploy, render, requiredCapabilities, type Operation } from '../packages/model/src/index.ts';
import {
  createSandbox,
  deployLab,
  destroyLab,
  destroySandbox,
  detectCapabilities,
  execInLab,
  executePlan,
  findSandbox,
  missingCapabilities,
  run,
} from '../packages/driver/src/index.ts';
import { starAddress, starTopology } from './star.ts';
import { median } from './stats.ts';

const created = new Set<string>();

/** Destroy every lab this bench created that is still running (errors, Ctrl-C). */
export async function destroyLeftoverLabs(): Promise<void> {
  for (const name of created) {
    const sb = findSandbox(name);
    if (sb) await destroySandbox(sb);
    created.delete(name);
  }
}

/** h1 pings hN inside the lab (untimed). */
export async function verifyNslab(name: string, n: number): Promise<void> {
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await execInLab(name, 'h1', ['ping', '-c', '1', '-W', '2', starAddress(n)], { timeoutMs: 10_000 });
    if (r.code === 0) return;
    last = (r.stdout + r.stderr).trim().split('\n').slice(-2).join(' / ');
  }
  throw new Error(`lab ${name}: h1 cannot ping h${n} (${starAddress(n)}): ${last}`);
}

export interface NslabTiming {
  deployMs: number;
  destroyMs: number;
}

export async function runNslab(name: string, n: number): Promise<NslabTiming> {
  const topology = starTopology(n);
  created.add(name);
  const t0 = performance.now();
  await deployLab(name, topology, { skipCapabilityCheck: false });
  const deployMs = performance.now() - t0;
  await verifyNslab(name, n);
  const t1 = performance.now();
  await destroyLab(name);
  const destroyMs = performance.now() - t1;
  created.delete(name);
  return { deployMs, destroyMs };
}

export interface NslabProfile {
  planMs: number;
  capabilityCheckMs: number;
  sandboxMs: number;
  hostBatchMs: number;
  hostLines: number;
  nsBatchesMs: number;
  nsProcesses: number;
  destroyMs: number;
  /** One `run()` of `true` directly / through `nsenter` into the sandbox (median of 20). */
  spawnMs: number;
  nsenterSpawnMs: number;
  /** What-if: the per-namespace batches run `concurrency` at a time (same executePlan, split per namespace). */
  parallel: { concurrency: number; nsBatchesMs: number } | null;
}

async function timeSpawn(argv: string[]): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const r = await run(argv, { timeoutMs: 10_000 });
    xs.push(performance.now() - t);
    if (r.code !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  }
  return median(xs);
}

function byNamespace(ops: Operation[]): Operation[][] {
  const groups = new Map<string, Operation[]>();
  for (const op of ops) {
    const ns = render(op).ns ?? 'host';
    let g = groups.get(ns);
    if (!g) groups.set(ns, (g = []));
    g.push(op);
  }
  return [...groups.values()];
}

/**
 * The steps of deployLab, timed one by one: capability check, sandbox, the host `ip -batch`, the
 * per-namespace `ip -n NS -batch` processes. With `concurrency` > 1 the per-namespace batches run
 * that many at a time instead (what a driver change could give; nslab does them one by one).
 */
export async function profileNslab(name: string, n: number, concurrency = 1): Promise<NslabProfile> {
  const topology = starTopology(n);
  let t = performance.now();
  const plan = planDeploy(topology);
  const planMs = performance.now() - t;

  t = performance.now();
  const missing = missingCapabilities(await detectCapabilities(), requiredCapabilities(topology));
  const capabilityCheckMs = performance.now() - t;
  if (missing.length) throw new Error(`missing capabilities: ${missing.join(', ')}`);

  created.add(name);
  t = performance.now();
  const sb = await createSandbox(name);
  const sandboxMs = performance.now() - t;
  try {
    const hostOps = plan.filter((op) => render(op).ns === null);
    const nsOps = plan.filter((op) => render(op).ns !== null);
    t = performance.now();
    await executePlan(sb, hostOps);
    const hostBatchMs = performance.now() - t;

    const groups = byNamespace(nsOps);
    t = performance.now();
    if (concurrency <= 1) {
      await executePlan(sb, nsOps);
    } else {
      let next = 0;
      const worker = async () => {
        while (next < groups.length) await executePlan(sb, groups[next++]!);
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    }
    const nsBatchesMs = performance.now() - t;

    await verifyNslab(name, n);
    const spawnMs = await timeSpawn(['true']);
    const nsenterSpawnMs = await timeSpawn(sb.enter(['true']));

    t = performance.now();
    await destroyLab(name);
    const destroyMs = performance.now() - t;
    created.delete(name);
    return {
      planMs,
      capabilityCheckMs,
      sandboxMs,
      hostBatchMs,
      hostLines: hostOps.length,
      nsBatchesMs: concurrency <= 1 ? nsBatchesMs : NaN,
      nsProcesses: groups.length,
      destroyMs,
      spawnMs,
      nsenterSpawnMs,
      parallel: concurrency <= 1 ? null : { concurrency, nsBatchesMs },
    };
  } catch (e) {
    await destroyLeftoverLabs();
    throw e;
  }
}
