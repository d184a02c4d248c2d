// One running lab as the server sees it: the kernel's state (kept fresh by netlink events, re-reading
// only namespaces that changed), a sequence of patches for clients, the command log and positions.
import { randomBytes } from 'node:crypto';
import { mkdirSync, watch as fsWatch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { HOST, execToReplay, observedToTopology, parseTopology, toNativeYaml, type Capability, type ObservedLab, type ObservedNode } from '@nslab/model';
import {
  assembleLab,
  CounterSampler,
  isStorageFull,
  labStore,
  listNamespaces,
  mapLimit,
  readIptables,
  readNode,
  readLimitHits,
  type LimitHits,
  watchLab,
  type CounterSample,
  type DirtySet,
  type LabWatcher,
  type NodeRaw,
  type Sandbox,
  StorageFullError,
} from '@nslab/driver';
import {
  PROTOCOL_VERSION,
  type CommandLogEntry,
  type CommandSource,
  type CountersMessage,
  type InterfaceCounters,
  type LogMessage,
  type PatchMessage,
  type Position,
  type ServerMessage,
  type SnapshotMessage,
} from '@nslab/protocol';

function peerNodes(n: ObservedNode): Set<string> {
  const out = new Set<string>();
  for (const i of n.interfaces) if (i.peer?.node) out.add(i.peer.node);
  return out;
}

/**
 * What the saved topology is made from (observedToTopology reads the nodes and the links): the lab's
 * state without the interfaces' counters and the neighbour entries a topology never keeps (only
 * PERMANENT ones are saved), as text to compare.
 */
export function topologyInputs(lab: ObservedLab): string {
  const nodes = lab.nodes.map((n) => ({
    ...n,
    interfaces: n.interfaces.map(({ stats: _counters, ...i }) => i),
    neighbours: n.neighbours.filter((e) => e.state.includes('PERMANENT')),
  }));
  return JSON.stringify([lab.name, nodes, lab.links]);
}

const HISTORY = 1000;
/** A command line that may change a node's iptables. */
const FIREWALL_TOOL = /(^|[\s/;&|(])(iptables|iptables-restore|iptables-nft|iptables-legacy|xtables-\w+|nft)(\s|$)/;
const LOG_KEEP = 500;
/**
 * Quiet time after a change before the lab's saved topology is rewritten from the kernel's state (a
 * rewrite of a 300-namespace lab takes ~20 ms of the event loop: not on every patch), so
 * a lab redeployed after a reboot is the lab as it was (edits and hand-typed changes included).
 */
const SAVE_DELAY_MS = 2000;
/** After a save the disk refused (full), try again this often until it is saved. */
const SAVE_RETRY_MS = 5000;
/**
 * How often the anchor is checked: a sandbox killed from outside leaves its ip monitor and shells
 * running (they hold its namespaces), so nothing else would notice. One read of /proc/PID/stat.
 */
const ANCHOR_CHECK_MS = 250;
/** Limits are looked at every this many anchor checks (2 s): two small cgroup files per lab. */
const LIMIT_CHECK_TICKS = 8;
/** Quiet time before re-reading: a burst of kernel events becomes one read and one patch. */
const COALESCE_MS = 15;

/** Live counters: one sample per second while anyone watches. */
const COUNTERS_INTERVAL_MS = 1000;
/** After a failed sample (sampler killed, lab going away) wait longer before starting a new one. */
const COUNTERS_RETRY_MS = 5000;

type Listener = (m: ServerMessage) => void;

/** One counters sample, whole (for a client's first) and as the change since the previous sample. */
export interface CountersUpdate {
  full: CountersMessage;
  delta: CountersMessage;
}
type CountersListener = (u: CountersUpdate) => void;

export class LiveLab {
  /**
   * This history's identity: `seq` restarts at 0 with every LiveLab (a server restart, a lab made
   * again under the same name), so a client's lastSeq means something only together with it.
   */
  readonly stream = randomBytes(12).toString('base64url');
  private seq = 0;
  private raws = new Map<string, NodeRaw>();
  private nodeJson = new Map<string, string>();
  private saveTimer: NodeJS.Timeout | undefined;
  private savedYaml: string | null = null;
  /** topologyInputs() of the state last written (or found already written): unchanged, no YAML is made. */
  private savedInputs: string | null = null;
  private anchorTimer: NodeJS.Timeout | undefined;
  /** Why the lab ended, for terminals and captures to pass on (set when it ends by itself). */
  endReason: string | undefined;
  /**
   * What the saved topology says that the kernel's state cannot: capabilities it declares (`nat`)
   * and each node's deploy-time `exec` lines (an iptables rule, say). Carried into every save.
   */
  private requires: Capability[] = [];
  private execLines = new Map<string, string[]>();
  /**
   * node -> its iptables rules as last read. No kernel event tells of a rule change, so they are
   * read at start, after a logged command that may have changed them (typed, exec, CLI), and before
   * a stop; the reads run one at a time, again if asked meanwhile.
   */
  private firewalls = new Map<string, string[]>();
  private firewallRead: Promise<void> | null = null;
  private firewallAgain = false;
  /** Per namespace, the namespaces its veths led to in the JSON last sent. */
  private sentPeers = new Map<string, Set<string>>();
  private linksJson = '[]';
  private bridgesJson = '[]';
  private current: ObservedLab;
  private history: (PatchMessage | LogMessage)[] = [];
  private listeners = new Set<Listener>();
  private watcher: LabWatcher | undefined;
  private logWatch: FSWatcher | undefined;
  private logOffset = 0;
  private log: CommandLogEntry[] = [];
  private logId = 0;
  private pending: DirtySet = { nodes: new Set(), namespaces: false, all: false };
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | null = null;
  private again = false;
  private lastFlush = 0;
  private closed = false;
  private countersListeners = new Set<CountersListener>();
  private sampler: CounterSampler | null = null;
  private countersTimer: NodeJS.Timeout | undefined;
  /** node -> its counters as last published (JSON), to send only what changed. */
  private countersJson = new Map<string, string>();
  positions: Record<string, Position>;

  private constructor(readonly sandbox: Sandbox) {
    this.current = { name: sandbox.name, nodes: [], links: [], bridges: [] };
    this.positions = labStore.loadPositions(sandbox.name);
    this.savedYaml = labStore.loadTopology(sandbox.name);
    try {
      if (this.savedYaml !== null) {
        const saved = parseTopology(this.savedYaml).topology;
        this.requires = saved.requires;
        for (const n of saved.nodes) if (n.exec.length) this.execLines.set(n.name, n.exec);
      }
    } catch {
      /* a saved file that no longer parses is replaced by the next save */
    }
  }

  get name(): string {
    return this.sandbox.name;
  }

  get state(): ObservedLab {
    return this.current;
  }

  get lastSeq(): number {
    return this.seq;
  }

  static async start(sandbox: Sandbox): Promise<LiveLab> {
    const lab = new LiveLab(sandbox);
    lab.watcher = watchLab(sandbox, (d) => lab.markDirty(d), () => void lab.monitorEnded());
    let tick = 0;
    // Refusals counted before this server watched the lab are not news.
    lab.checkLimits();
    lab.anchorTimer = setInterval(() => {
      if (!lab.sandbox.alive()) lab.close(true, `lab ${lab.name} ended: its sandbox was stopped outside this server`);
      else if (++tick % LIMIT_CHECK_TICKS === 0) lab.checkLimits();
    }, ANCHOR_CHECK_MS);
    // Not what keeps a server process alive.
    lab.anchorTimer.unref();
    await lab.watcher.ready;
    await lab.readAll();
    await lab.readFirewalls();
    lab.tailLog();
    return lab;
  }

  /** Called with a sentence when the lab runs into one of its kernel limits (for its shells and the server's log). */
  onLimit: ((message: string) => void) | undefined;
  private limitHits: LimitHits | undefined;

  /** The kernel's counters of refusals in the lab's cgroups: a rise means the lab hit a limit since the last look. */
  private checkLimits(): void {
    const cg = this.sandbox.cgroups;
    if (!cg) return;
    const now = readLimitHits(cg);
    const before = this.limitHits;
    this.limitHits = now;
    if (!before) return;
    const l = this.sandbox.limits;
    if (now.processes > before.processes) {
      const n = now.processes - before.processes;
      this.onLimit?.(`lab ${this.name} reached its limit of ${l.processes} processes: the kernel refused ${n === 1 ? '1 new process' : `${n} new processes`} (end some to start more)`);
    }
    if (now.memory > before.memory) {
      this.onLimit?.(`lab ${this.name} reached its memory limit of ${Math.round(l.memoryBytes / 1024 / 1024)} MiB (files in its tmpfs count too): the kernel reclaimed memory or killed a process; delete big files or end processes`);
    }
  }

  /**
   * The monitor died: usually the sandbox is being destroyed from elsewhere (the CLI, another
   * server), and its anchor may outlive the monitor by a moment. Tell clients once it is gone.
   */
  private async monitorEnded(): Promise<void> {
    for (let i = 0; i < 100 && !this.closed; i++) {
      if (!this.sandbox.alive()) {
        this.close(true, `lab ${this.name} stopped: its sandbox is gone`);
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private markDirty(d: DirtySet): void {
    for (const n of d.nodes) this.pending.nodes.add(n);
    this.pending.namespaces ||= d.namespaces;
    this.pending.all ||= d.all;
    if (this.timer) return;
    // Quiet lab: read at once (events of the same tick still batch). Busy lab: wait a little so a
    // burst becomes one read and one patch.
    const idle = !this.flushing && performance.now() - this.lastFlush > COALESCE_MS;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, idle ? 0 : COALESCE_MS);
  }

  /** Re-read everything now (after our own edits, or when a client asks). */
  async refresh(): Promise<void> {
    this.markDirty({ nodes: new Set(), namespaces: true, all: true });
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.flush();
    if (this.flushing) await this.flushing;
  }

  /** Re-read these namespaces now (after our own edit touched them) and publish what changed. */
  async refreshNodes(names: Iterable<string>, namespacesChanged = false): Promise<void> {
    this.markDirty({ nodes: new Set(names), namespaces: namespacesChanged, all: false });
    await this.settled();
  }

  /**
   * The lab's state with `nodes` (and the list of namespaces, so one made or deleted a moment ago
   * counts) read from the kernel now, the other namespaces as netlink events keep them: what a guide
   * check looks at, reading only the namespaces its checks name. Changes found are published.
   */
  async observe(nodes: Iterable<string>): Promise<ObservedLab> {
    await this.refreshNodes(nodes, true);
    return this.current;
  }

  /** Resolves when no read is scheduled or running: the state reflects every event seen so far. */
  async settled(): Promise<void> {
    for (let i = 0; i < 100 && (this.timer || this.flushing); i++) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
        void this.flush();
      }
      if (this.flushing) await this.flushing;
    }
  }

  private async readAll(): Promise<void> {
    this.pending = { nodes: new Set(), namespaces: true, all: true };
    await this.flush();
  }

  private flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = this.doFlush().finally(() => {
      this.flushing = null;
      this.lastFlush = performance.now();
      if (this.again && !this.closed) {
        this.again = false;
        void this.flush();
      }
    });
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    const d = this.pending;
    this.pending = { nodes: new Set(), namespaces: false, all: false };
    if (this.closed || !this.sandbox.alive()) return;
    const toRead = new Map<string, { kind: 'host' | 'netns'; unsafe: boolean }>();
    /** The set of namespaces changed: every node is compared with what was sent. */
    let moved = false;
    if (d.namespaces || d.all || this.raws.size === 0) {
      // Namespaces first: one deleted since the event must not be read back in as an empty node.
      const listed = await listNamespaces(this.sandbox);
      const names = new Set(listed.map((n) => n.name));
      for (const name of [...this.raws.keys()]) {
        if (name !== HOST && !names.has(name)) {
          this.raws.delete(name);
          moved = true;
        }
      }
      for (const n of listed) {
        if (!this.raws.has(n.name)) moved = true;
        if (!this.raws.has(n.name) || d.all) toRead.set(n.name, { kind: 'netns', unsafe: n.unsafe });
      }
      if (d.all || !this.raws.has(HOST)) toRead.set(HOST, { kind: 'host', unsafe: false });
    }
    for (const n of d.nodes) {
      if (n === HOST) toRead.set(HOST, { kind: 'host', unsafe: false });
      else if (this.raws.has(n) && !toRead.has(n)) toRead.set(n, { kind: 'netns', unsafe: this.raws.get(n)!.node.unsafeName === true });
    }
    const entries = [...toRead.entries()];
    const read = await mapLimit(entries, 8, ([name, t]) => readNode(this.sandbox, name, t.kind, t.unsafe));
    read.forEach((r, i) => this.raws.set(entries[i]![0], r));
    const ordered = [...this.raws.values()].sort((a, b) =>
      a.node.kind !== b.node.kind ? (a.node.kind === 'host' ? -1 : 1) : a.node.name < b.node.name ? -1 : a.node.name > b.node.name ? 1 : 0,
    );
    this.current = assembleLab(this.name, ordered);
    this.attachFirewalls();
    // Only namespaces re-read, or linked to one, can differ from what was sent; a change in the set
    // of namespaces (or a full re-read) compares them all. A listing that found the same set (a
    // check's fresh look, `observe`) is no change: a 300-namespace lab is not re-serialized for it.
    const full = moved || d.all || entries.length === 0 || this.nodeJson.size !== this.current.nodes.length;
    this.publishDiff(full ? null : new Set(entries.map(([name]) => name)));
  }

  private attachFirewalls(): void {
    const names = new Set(this.current.nodes.map((n) => n.name));
    for (const name of [...this.firewalls.keys()]) if (!names.has(name)) this.firewalls.delete(name);
    for (const n of this.current.nodes) {
      const rules = this.firewalls.get(n.name);
      if (rules) n.iptables = rules;
    }
  }

  /** Read every node's iptables (a process per node, 8 at a time) and publish and save what changed. */
  readFirewalls(): Promise<void> {
    if (this.firewallRead) {
      this.firewallAgain = true;
      return this.firewallRead;
    }
    this.firewallRead = this.doReadFirewalls().finally(() => {
      this.firewallRead = null;
      if (this.firewallAgain && !this.closed) {
        this.firewallAgain = false;
        void this.readFirewalls();
      }
    });
    return this.firewallRead;
  }

  private async doReadFirewalls(): Promise<void> {
    if (this.closed || !this.sandbox.alive()) return;
    const nodes = this.current.nodes;
    const rules = await mapLimit(nodes, 8, (n) => readIptables(this.sandbox, n).catch(() => undefined));
    const changed = new Set<string>();
    nodes.forEach((n, k) => {
      const r = rules[k];
      // Unreadable (no iptables, a timeout, a program the lab put in its place): the last good read stands.
      if (r === undefined || JSON.stringify(r) === JSON.stringify(this.firewalls.get(n.name))) return;
      this.firewalls.set(n.name, r);
      changed.add(n.name);
    });
    if (changed.size === 0 || this.closed) return;
    for (const n of this.current.nodes) {
      if (!changed.has(n.name)) continue;
      n.iptables = this.firewalls.get(n.name);
    }
    this.publishDiff(changed);
  }

  /**
   * The namespaces whose JSON may have changed when `reread` were read again: those, the ones their
   * veths lead to, and the ones whose veths lead (or led, at the last send) to them — a node's JSON
   * depends on its own read and, through peer names, on its peers' reads.
   */
  private candidates(reread: Set<string>): Set<string> {
    const out = new Set(reread);
    for (const n of this.current.nodes) {
      const peers = peerNodes(n);
      if (reread.has(n.name)) for (const p of peers) out.add(p);
      else if ([...peers].some((p) => reread.has(p)) || [...(this.sentPeers.get(n.name) ?? [])].some((p) => reread.has(p))) out.add(n.name);
    }
    return out;
  }

  private publishDiff(reread: Set<string> | null = null): void {
    const only = reread ? this.candidates(reread) : null;
    const upsertNodes = [];
    const seen = new Set<string>();
    for (const n of this.current.nodes) {
      seen.add(n.name);
      if (only && !only.has(n.name)) continue;
      const json = JSON.stringify(n);
      if (this.nodeJson.get(n.name) !== json) {
        this.nodeJson.set(n.name, json);
        this.sentPeers.set(n.name, peerNodes(n));
        upsertNodes.push(JSON.parse(json));
      }
    }
    const removeNodes = only ? [] : [...this.nodeJson.keys()].filter((n) => !seen.has(n));
    for (const n of removeNodes) {
      this.nodeJson.delete(n);
      this.sentPeers.delete(n);
    }
    const patch: PatchMessage = { type: 'patch', seq: 0, upsertNodes, removeNodes };
    // Links come from the nodes' veth peers: when no node changed, neither did they.
    const links = only && upsertNodes.length === 0 ? this.linksJson : JSON.stringify(this.current.links);
    const bridges = JSON.stringify(this.current.bridges);
    if (links !== this.linksJson) {
      this.linksJson = links;
      patch.links = JSON.parse(links);
    }
    if (bridges !== this.bridgesJson) {
      this.bridgesJson = bridges;
      patch.bridges = JSON.parse(bridges);
    }
    if (upsertNodes.length || removeNodes.length || patch.links || patch.bridges) {
      this.publish(patch);
      this.scheduleSave();
    }
  }

  private scheduleSave(delay = SAVE_DELAY_MS): void {
    if (this.closed) return;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      try {
        this.saveTopology();
      } catch (e) {
        // Nobody is waiting for this save: keep trying, so the lab is saved once space is back.
        if (isStorageFull(e)) this.scheduleSave(SAVE_RETRY_MS);
      }
    }, delay);
  }

  /**
   * The saved topology := the kernel's state as last read (`current` is only ever replaced by a
   * complete read). Not once the lab is closed or its sandbox is gone: never a torn-down lab.
   * Throws StorageFullError when the disk refuses it.
   */
  private saveTopology(): void {
    if (this.closed || !this.sandbox.alive()) return;
    // Most patches are an ARP entry's state or new counters, which no topology holds: the YAML (tens
    // of ms of the event loop per lab, every couple of seconds in a busy class) is made only when
    // what it is made from changed.
    const inputs = topologyInputs(this.current);
    if (inputs === this.savedInputs) return;
    const t = { ...observedToTopology(this.current), name: this.name, requires: this.requires };
    for (const n of t.nodes) {
      // A line whose effect the kernel's state now holds is the model's from here on: replayed,
      // it would add its address twice on the next start, or undo a later change to it.
      n.exec = execToReplay(this.execLines.get(n.name) ?? [], n);
      if (n.exec.length > 0) this.execLines.set(n.name, n.exec);
      else this.execLines.delete(n.name);
    }
    const yaml = toNativeYaml(t);
    if (yaml === this.savedYaml) {
      this.savedInputs = inputs;
      return;
    }
    try {
      labStore.saveTopology(this.name, yaml);
      this.savedYaml = yaml;
      this.savedInputs = inputs;
    } catch (e) {
      if (isStorageFull(e)) throw e;
      /* data dir unavailable otherwise (gone, read-only): the lab still runs */
    }
  }

  /**
   * Save the topology now, for a change a client waits on: its answer must not say "done" for a
   * change a restart would lose. `logError`: its command log record already failed. A full disk
   * throws a StorageFullError saying the change is live but not saved (the topology is saved by
   * itself once there is space again).
   */
  saveNow(logError?: unknown): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    try {
      this.saveTopology();
    } catch (e) {
      if (!isStorageFull(e)) throw e;
      this.scheduleSave(SAVE_RETRY_MS);
      throw new StorageFullError(
        `the topology of lab "${this.name}"`,
        `the change is live in lab "${this.name}" but not saved: ${(e as Error).message}. nslab saves it by itself once there is space; until then a restart of the machine would lose it`,
      );
    }
    if (logError === undefined) return;
    if (!isStorageFull(logError)) throw logError;
    throw new StorageFullError(
      `the command log of lab "${this.name}"`,
      `the change is live in lab "${this.name}" and its topology saved, but its command log record is not saved: ${(logError as Error).message}`,
    );
  }

  private publish(m: PatchMessage | LogMessage): void {
    m.seq = ++this.seq;
    this.history.push(m);
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    for (const l of this.listeners) l(m);
  }

  private tailLog(): void {
    const path = labStore.logPath(this.name);
    this.pullLog(true);
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Watch the directory: the log file may not exist yet, and appends from the CLI arrive here too.
      this.logWatch = fsWatch(dirname(path), () => this.pullLog(false));
      this.logWatch.on('error', () => {});
    } catch {
      /* data dir unavailable: log still served from memory */
    }
  }

  private pullLog(initial: boolean): void {
    const { records, offset } = labStore.readLogFrom(this.name, this.logOffset);
    this.logOffset = offset;
    if (records.length === 0) return;
    const entries: CommandLogEntry[] = records.map((r) => ({
      id: ++this.logId,
      time: r.time,
      source: r.source as CommandSource,
      line: r.line,
      ok: r.ok,
      ...(r.error ? { error: r.error } : {}),
    }));
    this.log.push(...entries);
    if (this.log.length > LOG_KEEP) this.log.splice(0, this.log.length - LOG_KEEP);
    // A script may hide what it runs; a line naming a firewall tool certainly may change rules.
    if (!initial && entries.some((e) => FIREWALL_TOOL.test(e.line))) void this.readFirewalls();
    if (!initial) this.publish({ type: 'log', seq: 0, entries });
  }

  /** Record commands we ran (the file watch streams them to clients). Throws StorageFullError when the disk is full. */
  appendLog(source: CommandSource, lines: { line: string; ok: boolean; error?: string }[]): void {
    const time = new Date().toISOString();
    labStore.appendLog(this.name, lines.map((l) => ({ time, source, ...l })));
    this.pullLog(false);
  }

  get commandLog(): CommandLogEntry[] {
    return this.log;
  }

  setPositions(p: Record<string, Position>): void {
    const next = { ...this.positions, ...p };
    // Saved first: positions the disk refused are neither kept nor shown to other clients.
    labStore.savePositions(this.name, next);
    this.positions = next;
    this.publish({ type: 'patch', seq: 0, upsertNodes: [], removeNodes: [], positions: p } as PatchMessage);
  }

  snapshot(): SnapshotMessage {
    return { type: 'snapshot', version: PROTOCOL_VERSION, stream: this.stream, seq: this.seq, lab: this.current, positions: this.positions, log: this.log };
  }

  /**
   * Messages after `seq` of `stream`, or null when the client needs a snapshot: another history
   * (equal numbers there say nothing about this one), or messages no longer kept.
   */
  since(stream: string | undefined, seq: number): (PatchMessage | LogMessage)[] | null {
    if (stream !== this.stream || seq > this.seq) return null;
    if (seq === this.seq) return [];
    const first = this.history[0];
    if (!first || first.seq > seq + 1) return null;
    return this.history.filter((m) => m.seq > seq);
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /**
   * Live counters while at least one watcher is registered: one sampler process and a timer then,
   * none otherwise. Returns the function that stops watching.
   */
  watchCounters(l: CountersListener): () => void {
    if (this.closed) return () => {};
    this.countersListeners.add(l);
    if (!this.sampler) {
      this.sampler = new CounterSampler(this.sandbox);
      this.countersJson.clear();
      this.countersTimer = setTimeout(() => void this.sampleCounters(), 0);
    }
    return () => {
      this.countersListeners.delete(l);
      if (this.countersListeners.size === 0) this.stopCounters();
    };
  }

  /** Pid of the running counter sampler, if any (tests, benchmarks). */
  get countersPid(): number | undefined {
    return this.sampler?.pid;
  }

  private stopCounters(): void {
    if (this.countersTimer) clearTimeout(this.countersTimer);
    this.countersTimer = undefined;
    this.sampler?.close();
    this.sampler = null;
    this.countersJson.clear();
  }

  private async sampleCounters(): Promise<void> {
    this.countersTimer = undefined;
    const sampler = this.sampler;
    if (!sampler) return;
    const started = performance.now();
    let wait = COUNTERS_INTERVAL_MS;
    try {
      const sample = await sampler.sample();
      if (this.sampler !== sampler) return; // stopped (or restarted) meanwhile
      this.publishCounters(sample);
    } catch {
      if (this.sampler !== sampler) return;
      // The sampler restarts with the next sample; a lab that is gone is closed by the monitor.
      wait = COUNTERS_RETRY_MS;
    }
    // The next sample is due an interval after this one started; a slow sample delays it rather
    // than overlapping it.
    this.countersTimer = setTimeout(() => void this.sampleCounters(), Math.max(0, wait - (performance.now() - started)));
  }

  private publishCounters(sample: CounterSample): void {
    // Null-prototype objects: a namespace or interface may be called "__proto__".
    const all: CountersMessage['nodes'] = Object.create(null);
    const changed: CountersMessage['nodes'] = Object.create(null);
    const seen = new Map<string, string>();
    for (const [node, ifaces] of sample.nodes) {
      const perIface: Record<string, InterfaceCounters> = Object.create(null);
      for (const [name, c] of ifaces) perIface[name] = c;
      const json = JSON.stringify(perIface);
      all[node] = perIface;
      if (this.countersJson.get(node) !== json) changed[node] = perIface;
      seen.set(node, json);
    }
    this.countersJson = seen;
    const update: CountersUpdate = {
      full: { type: 'counters', time: sample.time, full: true, nodes: all },
      delta: { type: 'counters', time: sample.time, full: false, nodes: changed },
    };
    for (const l of this.countersListeners) l(update);
  }

  /** Before a stop: the last word of the kernel, firewall included, saved. */
  async saveFinal(): Promise<void> {
    await this.settled();
    await this.readFirewalls();
    try {
      this.saveTopology();
    } catch {
      /* full disk: the last scheduled save stands */
    }
  }

  /** The lab is gone: tell every client, stop watching. `reason` when it ended by itself. */
  close(destroyed: boolean, reason?: string): void {
    if (this.closed) return;
    // A server shutting down saves a pending change now; a destroyed lab saves nothing more.
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      if (!destroyed) {
        try {
          this.saveTopology();
        } catch {
          /* full disk: nothing more to do on the way out */
        }
      }
    }
    this.endReason ??= reason;
    clearInterval(this.anchorTimer);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.countersListeners.clear();
    this.stopCounters();
    this.watcher?.close();
    this.logWatch?.close();
    if (destroyed) {
      const m: ServerMessage = { type: 'lab-destroyed', seq: ++this.seq };
      for (const l of this.listeners) l(m);
    }
    this.listeners.clear();
  }
}
