// nslab side of the bench: the timed deploy/destroy through the public API, and an instrumented
// run that times each phase with the driver's own building blocks (same steps deployLab takes).
import { planDeploy, render, requiredCapabilities } from '../packages/model/src/index.ts';
import {
  createSandbox,
  deployLab,
  destroyLab,
  destroySandbox,
  detectCapabilities,
  execInLab,
  executePlan,
  findSandbox,
  markReady,
  missingCapabilities,
  run,
  type Sandbox,
} from '../packages/driver/src/index.ts';
import { starAddress, starTopology } from './star.ts';
import { median } from './stats.ts';
import { runNamespacePhase, type NsStrategy } from './whatif.ts';

/** Labs this bench created and has not destroyed yet (with their sandbox when the bench built it step by step). */
const created = new Map<string, Sandbox | null>();

/** Destroy every lab this bench created that is still running (errors, Ctrl-C). */
export async function destroyLeftoverLabs(): Promise<void> {
  for (const [name, own] of created) {
    const sb = own ?? findSandbox(name);
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
  created.set(name, null);
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
  strategy: NsStrategy;
  planMs: number;
  capabilityCheckMs: number;
  sandboxMs: number;
  hostBatchMs: number;
  hostLines: number;
  nsBatchesMs: number;
  namespaces: number;
  destroyMs: number;
  /** One `run()` of `true` directly / through `nsenter` into the sandbox (median of 20), 'driver' strategy only. */
  spawnMs: number | null;
  nsenterSpawnMs: number | null;
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

/**
 * The steps of deployLab, timed one by one: capability check, sandbox, the host `ip -batch`, the
 * per-namespace phase (run as the driver does, or with a what-if strategy), then destroy.
 */
export async function profileNslab(name: string, n: number, strategy: NsStrategy = { kind: 'driver' }): Promise<NslabProfile> {
  const topology = starTopology(n);
  let t = performance.now();
  const plan = planDeploy(topology, { assignIfindexes: true });
  const planMs = performance.now() - t;

  t = performance.now();
  const missing = missingCapabilities(await detectCapabilities(), requiredCapabilities(topology));
  const capabilityCheckMs = performance.now() - t;
  if (missing.length) throw new Error(`missing capabilities: ${missing.join(', ')}`);

  created.set(name, null);
  t = performance.now();
  const sb = await createSandbox(name);
  const sandboxMs = performance.now() - t;
  created.set(name, sb);
  try {
    const hostOps = plan.filter((op) => render(op).ns === null);
    const nsOps = plan.filter((op) => render(op).ns !== null);
    t = performance.now();
    await executePlan(sb, hostOps);
    const hostBatchMs = performance.now() - t;

    t = performance.now();
    await runNamespacePhase(sb, nsOps, strategy);
    const nsBatchesMs = performance.now() - t;
    // As deployLab does once the plan ran: from here on lookups (execInLab, destroyLab) see the lab.
    markReady(sb);

    await verifyNslab(name, n);
    const driver = strategy.kind === 'driver';
    const spawnMs = driver ? await timeSpawn(['true']) : null;
    const nsenterSpawnMs = driver ? await timeSpawn(sb.enter(['true'])) : null;

    t = performance.now();
    await destroyLab(name);
    const destroyMs = performance.now() - t;
    created.delete(name);
    return {
      strategy,
      planMs,
      capabilityCheckMs,
      sandboxMs,
      hostBatchMs,
      hostLines: hostOps.length,
      nsBatchesMs,
      namespaces: new Set(nsOps.map((op) => render(op).ns)).size,
      destroyMs,
      spawnMs,
      nsenterSpawnMs,
    };
  } catch (e) {
    await destroyLeftoverLabs();
    throw e;
  }
}
