// The engine's public face: deploy a topology into a fresh sandbox (all or nothing), inspect,
// exec, destroy. The CLI and the server both call these.
import { planDeploy, requiredCapabilities, shellLine, toNativeYaml, type ObservedLab, type Topology, type Operation } from '@nslab/model';
import { labStore } from './lab-store.ts';
import { detectCapabilities, missingCapabilities, missingCapabilitiesMessage, type CapabilityReport } from './capabilities.ts';
import { executePlan, type ExecutedOperation } from './execute.ts';
import { observeLab } from './observe.ts';
import { createSandbox, destroySandbox, getSandbox, listSandboxes, markReady, type Sandbox } from './sandbox.ts';
import { run, type RunResult } from './run.ts';
import { installLabBin } from './lab-bin.ts';
import { listNamespaces } from './observe.ts';

export class MissingCapabilityError extends Error {
  readonly code = 'MISSING_CAPABILITY';
  /** With the probe's `report`, a feature the kernel has but a lab may not use is told apart, with its fix. */
  constructor(readonly missing: string[], report?: CapabilityReport) {
    super(missingCapabilitiesMessage(missing, report));
    this.name = 'MissingCapabilityError';
  }
}

export interface DeployResult {
  sandbox: Sandbox;
  executed: ExecutedOperation[];
  plan: Operation[];
  /** exec lines that failed (the lab is kept), in plan order. */
  execFailures: ExecFailure[];
}

export interface ExecFailure {
  node: string;
  /** The line as written in the topology. */
  command: string;
  message: string;
}

/** The failed exec steps of an executed plan, each with its node and the tool's message. */
export function execFailures(executed: readonly ExecutedOperation[]): ExecFailure[] {
  return executed.flatMap((e) => (e.failed !== undefined && e.op.op === 'exec' ? [{ node: e.op.node, command: shellLine(e.op.argv), message: e.failed }] : []));
}

export interface DeployOptions {
  onExecuted?: (e: ExecutedOperation) => void;
  /** Skip the capability check (the probe itself, tests of the check). */
  skipCapabilityCheck?: boolean;
  /** Who asked, for the command log ('cli', 'api', 'ui', 'lab'). */
  source?: string;
}

export async function deployLab(name: string, topology: Topology, opts: DeployOptions = {}): Promise<DeployResult> {
  const plan = planDeploy(topology, { assignIfindexes: true });
  if (!opts.skipCapabilityCheck) {
    const report = await detectCapabilities();
    const missing = missingCapabilities(report, requiredCapabilities(topology));
    if (missing.length) throw new MissingCapabilityError(missing, report);
  }
  const sandbox = await createSandbox(name);
  const source = opts.source ?? 'api';
  try {
    // The lab-only commands (sudo) go in beside the plan: they touch nothing the plan does.
    const [executed] = await Promise.all([executePlan(sandbox, plan, { onExecuted: opts.onExecuted }), installLabBin(sandbox)]);
    markReady(sandbox);
    labStore.saveTopology(name, toNativeYaml({ ...topology, name }));
    labStore.appendLog(name, executed.map((e) => ({
      time: new Date().toISOString(), source, line: e.line, ok: e.failed === undefined,
      ...(e.failed !== undefined ? { error: e.failed } : {}),
    })));
    return { sandbox, executed, plan, execFailures: execFailures(executed) };
  } catch (e) {
    // A fresh sandbox is the unit of rollback: destroying it undoes every step that ran.
    await destroySandbox(sandbox);
    throw e;
  }
}

/** Destroy a running lab; its saved topology, positions and log go too unless `keepData`. */
export async function destroyLab(name: string, opts: { keepData?: boolean } = {}): Promise<void> {
  await destroySandbox(getSandbox(name));
  if (!opts.keepData) labStore.remove(name);
}

export function listLabs(): Sandbox[] {
  return listSandboxes();
}

export async function inspectLab(name: string, opts: { firewall?: boolean } = {}): Promise<ObservedLab> {
  return observeLab(getSandbox(name), opts);
}

export class UnknownNodeError extends Error {
  readonly code = 'NODE_NOT_FOUND';
  constructor(lab: string, node: string, known: string[]) {
    super(`lab "${lab}" has no node "${node}" (nodes: ${['host', ...known].join(', ')})`);
    this.name = 'UnknownNodeError';
  }
}

export interface ExecOptions {
  timeoutMs?: number;
  maxOutput?: number;
  input?: string;
  /** Record the command in the lab's log under this source. */
  logAs?: string;
  /**
   * The caller has just seen `node` among the lab's namespaces with a name nslab may pass on (the
   * server's live view): it is not listed again, one process fewer.
   */
  nodeListed?: boolean;
}

/** Throws UnknownNodeError unless `node` is `host` or a namespace of the lab with a name nslab may pass on. */
export async function resolveNode(sb: Sandbox, name: string, node: string): Promise<void> {
  if (node === 'host') return;
  const listed = await listNamespaces(sb);
  if (!listed.some((n) => n.name === node && !n.unsafe)) throw new UnknownNodeError(name, node, listed.filter((n) => !n.unsafe).map((n) => n.name));
}

/** Run argv in a node of a lab: `host` is the lab host, any other name a namespace (including hand-made ones). */
export async function execInLab(name: string, node: string, argv: string[], opts: ExecOptions = {}): Promise<RunResult> {
  const sb = getSandbox(name);
  if (!opts.nodeListed) await resolveNode(sb, name, node);
  // Contained: whatever the command leaves running (setsid, &) ends with it or its timeout.
  // `ip netns exec` (not a bare setns) so /sys shows the namespace's devices: brctl and ethtool read it.
  const full = sb.enterContained(node === 'host' ? argv : ['ip', 'netns', 'exec', node, ...argv]);
  const r = await run(full, { timeoutMs: opts.timeoutMs ?? 60_000, maxOutput: opts.maxOutput ?? 1024 * 1024, input: opts.input });
  if (opts.logAs) {
    const line = shellLine(node === 'host' ? argv : ['ip', 'netns', 'exec', node, ...argv]);
    labStore.appendLog(name, [{
      time: new Date().toISOString(), source: opts.logAs, line, ok: r.code === 0,
      ...(r.code !== 0 ? { error: r.stderr.trim().split('\n')[0] ?? `exit ${r.code}` } : {}),
    }]);
  }
  return r;
}
