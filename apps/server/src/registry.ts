// All labs the server knows: running ones (any sandbox on this machine, whoever deployed it — the
// CLI included) and saved ones (data kept on disk, e.g. after a reboot), each running one adopted
// as a LiveLab on first use.
import { parseTopology, type Topology } from '@nslab/model';
import {
  deployLab,
  destroySandbox,
  findSandbox,
  labStore,
  listLabs,
  SandboxError,
  listNamespaces,
  mapLimit,
  type ExecutedOperation,
} from '@nslab/driver';
import type { CommandSource } from '@nslab/protocol';
import { ApiError } from './errors.ts';
import { LiveLab } from './live-lab.ts';
import type { Limits } from './limits.ts';

export interface LabSummary {
  name: string;
  state: 'running' | 'saved';
  namespaces: number;
  createdAt?: string;
}

export interface RegistryHooks {
  onNodesRemoved?: (lab: string, nodes: string[]) => void;
  /** `reason` says why, in words for the clients whose terminals and captures close with it. */
  onLabGone?: (lab: string, reason: string) => void;
  /** The lab ran into one of its kernel limits; `message` says which, for its shells and the log. */
  onLimit?: (lab: string, message: string) => void;
}

/** Checks beyond the server's caps (classroom mode's per-student quotas); each throws its refusal. */
export interface DeployQuota {
  /** Before `name` is deployed with `topology`; synchronous, under the same step as the caps. */
  checkDeploy(name: string, topology: Topology): void;
  /** Before an edit adds `adding` namespaces to the running lab `name`. */
  checkGrowth(name: string, adding: number): void;
}

export class LabRegistry {
  private live = new Map<string, Promise<LiveLab>>();
  /** The started LiveLab of each entry of `live`, for looks that must not wait or adopt (peek). */
  private started = new Map<string, { p: Promise<LiveLab>; lab: LiveLab }>();
  quota: DeployQuota | undefined;
  /** Labs this server is deploying: they count against the lab cap before their sandboxes exist. */
  private creating = new Set<string>();
  private closed = false;

  constructor(
    readonly limits: Limits,
    private readonly hooks: RegistryHooks = {},
  ) {}

  /** Adopt every running sandbox (after a server restart: no redeploy, nothing lost). */
  async adoptAll(): Promise<void> {
    for (const sb of listLabs()) await this.get(sb.name);
  }

  async list(): Promise<LabSummary[]> {
    const running = listLabs();
    const names = new Set(running.map((s) => s.name));
    // Listed inside each sandbox (its /run/netns is the lab's to change), a few at a time.
    const out: LabSummary[] = await mapLimit(running, 4, async (sb) => ({
      name: sb.name,
      state: 'running' as const,
      namespaces: (await listNamespaces(sb)).length,
      createdAt: sb.record.createdAt,
    }));
    for (const name of labStore.listSaved()) {
      if (!names.has(name) && labStore.loadTopology(name) !== null) out.push({ name, state: 'saved', namespaces: 0 });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** A lab of this name is running here, being deployed here, or has data on disk. Cheap: no process, no lookup of sandbox records. */
  knows(name: string): boolean {
    return this.live.has(name) || this.creating.has(name) || labStore.hasData(name);
  }

  /** Labs this server is deploying now. */
  get deploying(): ReadonlySet<string> {
    return this.creating;
  }

  /** The live view of `name` if this server already watches it (no adoption, no wait). */
  peek(name: string): LiveLab | undefined {
    const s = this.started.get(name);
    if (s && this.live.get(name) === s.p) return s.lab;
    if (s) this.started.delete(name);
    return undefined;
  }

  /** Throws when the quota refuses `adding` more namespaces in the running lab `name`. */
  checkGrowth(name: string, adding: number): void {
    this.quota?.checkGrowth(name, adding);
  }

  /** The live view of a running lab; 404 if it is not running. */
  async get(name: string): Promise<LiveLab> {
    // A late callback (a terminal's last commands, say) must not bring a lab back to life, with its
    // netlink monitor, in a server that is closing: that would keep the process from exiting.
    if (this.closed) throw new ApiError(503, 'SHUTTING_DOWN', 'the server is shutting down');
    const existing = this.live.get(name);
    if (existing) {
      const lab = await existing;
      if (lab.sandbox.alive()) return lab;
      lab.close(true, `lab ${name} stopped: its sandbox is gone`);
      this.live.delete(name);
    }
    const sb = findSandbox(name);
    if (!sb) {
      const saved = labStore.loadTopology(name) !== null;
      throw new ApiError(404, 'LAB_NOT_FOUND', saved ? `lab "${name}" is saved but not running: start it first` : `no lab named "${name}"`);
    }
    const p = LiveLab.start(sb).then((lab) => {
      lab.onLimit = (message) => this.hooks.onLimit?.(name, message);
      lab.subscribe((m) => {
        if (m.type === 'patch' && m.removeNodes.length) this.hooks.onNodesRemoved?.(name, m.removeNodes);
        if (m.type === 'lab-destroyed') {
          this.hooks.onLabGone?.(name, lab.endReason ?? `lab ${name} was destroyed`);
          if (this.live.get(name) === p) this.live.delete(name);
          // It ended by itself (anchor killed from outside): whatever of it still runs (a ping a
          // learner started, say) goes now, not at the next request that looks the lab up.
          if (lab.endReason) findSandbox(name);
        }
      });
      this.started.set(name, { p, lab });
      return lab;
    });
    this.live.set(name, p);
    p.catch(() => this.live.delete(name));
    return p;
  }

  /**
   * Throws the 4xx for a topology over the per-lab caps or a server at its lab cap. Labs this
   * server is still deploying count: see deployNew.
   */
  checkCaps(t: Topology): void {
    const ns = t.nodes.filter((n) => n.kind === 'netns').length;
    if (ns > this.limits.namespacesPerLab) {
      throw new ApiError(413, 'LIMIT_NAMESPACES', `this server allows at most ${this.limits.namespacesPerLab} namespaces per lab (the topology has ${ns})`, 'nodes');
    }
    if (t.links.length > this.limits.linksPerLab) {
      throw new ApiError(413, 'LIMIT_LINKS', `this server allows at most ${this.limits.linksPerLab} links per lab (the topology has ${t.links.length})`, 'links');
    }
    const labs = new Set([...listLabs().map((sb) => sb.name), ...this.creating]);
    if (labs.size >= this.limits.labs) {
      throw new ApiError(429, 'LIMIT_LABS', `this server runs at most ${this.limits.labs} labs at once`);
    }
  }

  /**
   * Deploy a new lab with `deploy`, all or nothing. The caps are checked and a place under the lab
   * cap taken in one synchronous step before anything is awaited, so concurrent creates cannot all
   * pass the check; the place is given back when the deploy ends. A failure removes what the
   * deploy left: its sandbox, and its data unless the lab was saved before.
   */
  async deployNew<T>(name: string, topology: Topology, deploy: () => Promise<T>): Promise<T> {
    if (this.closed) throw new ApiError(503, 'SHUTTING_DOWN', 'the server is shutting down');
    this.checkCaps(topology);
    if (this.creating.has(name) || findSandbox(name)) throw new ApiError(409, 'LAB_EXISTS', `a lab named "${name}" already exists`);
    this.quota?.checkDeploy(name, topology);
    this.creating.add(name);
    const hadData = labStore.hasData(name);
    try {
      const out = await deploy();
      await this.get(name);
      return out;
    } catch (e) {
      // Another deployer (the CLI) holds the name: what is there is theirs.
      if (!(e instanceof SandboxError && e.code === 'LAB_EXISTS')) await this.undoCreate(name, hadData);
      throw e;
    } finally {
      this.creating.delete(name);
    }
  }

  private async undoCreate(name: string, keepData: boolean): Promise<void> {
    const p = this.live.get(name);
    this.live.delete(name);
    if (p) (await p.catch(() => null))?.close(true);
    const sb = findSandbox(name);
    if (sb) await destroySandbox(sb);
    if (!keepData) labStore.remove(name);
  }

  async create(name: string, topology: Topology, source: CommandSource): Promise<{ lab: LiveLab; executed: ExecutedOperation[] }> {
    const { executed } = await this.deployNew(name, topology, () => deployLab(name, topology, { source }));
    return { lab: await this.get(name), executed };
  }

  /** Redeploy a saved lab (after a reboot) from its saved topology. */
  async start(name: string, source: CommandSource): Promise<{ lab: LiveLab; executed: ExecutedOperation[] }> {
    const yaml = labStore.loadTopology(name);
    if (yaml === null) throw new ApiError(404, 'LAB_NOT_FOUND', `no saved lab named "${name}"`);
    if (findSandbox(name)) throw new ApiError(409, 'LAB_RUNNING', `lab "${name}" is already running`);
    return this.create(name, parseTopology(yaml).topology, source);
  }

  async destroy(name: string, keepData: boolean): Promise<void> {
    const sb = findSandbox(name);
    const p = this.live.get(name);
    // A stop keeps the lab to start again: what the kernel holds now, rules included, is saved.
    if (keepData && p) await (await p.catch(() => null))?.saveFinal().catch(() => {});
    this.live.delete(name);
    this.hooks.onLabGone?.(name, `lab ${name} was destroyed`);
    if (p) (await p.catch(() => null))?.close(true);
    if (sb) await destroySandbox(sb);
    else if (labStore.loadTopology(name) === null) throw new ApiError(404, 'LAB_NOT_FOUND', `no lab named "${name}"`);
    if (!keepData) labStore.remove(name);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.live.values()) {
      const lab = await p.catch(() => null);
      // Rules typed since the last read are saved for the next start (bounded by iptables-save's timeout).
      await lab?.saveFinal().catch(() => {});
      lab?.close(false);
    }
    this.live.clear();
  }
}
