// Idle labs (classroom mode): a student's running lab with no client — no open WebSocket on it
// (events, terminal, watch, capture viewer), no attached terminal, no running capture — and no
// request for `idleMs` is stopped the way a learner's "stop" stops it (registry.destroy keepData:
// the kernel's state, firewall rules included, saved as its topology). When its owner comes back
// (any request on the lab: the web app opening it, its events socket, a terminal), it is deployed
// again from that topology before the request goes on. A class's forgotten tabs then cost disk,
// not memory and processes. Which labs were stopped so is kept in the classroom database
// (idle-stops.ts), with the terminals they had: a server restart in between changes nothing.
import type { FastifyRequest } from 'fastify';
import { findSandbox, labStore, listLabs } from '@nslab/driver';
import type { CaptureManager } from '../captures.ts';
import type { LabRegistry } from '../registry.ts';
import type { TerminalManager } from '../terminals.ts';
import type { IdleStops } from './idle-stops.ts';
import type { LabOwners } from './ownership.ts';
import { userOf } from './principal.ts';

export interface IdleOptions {
  /** Quiet time before a lab is stopped; 0 = never. */
  idleMs: number;
  /** How often labs are looked at (the stop comes up to this much after idleMs). */
  sweepMs: number;
}

export interface IdleDeps {
  registry: LabRegistry;
  terminals: TerminalManager;
  captures: CaptureManager;
  owners: LabOwners;
  /** The labs stopped while idle, kept across restarts. */
  stops: IdleStops;
  /** The student owning a lab, or null: only students' labs are stopped. */
  studentOf(lab: string): number | null;
  /** A line for the server's log. */
  notice?(line: string): void;
}

export class IdleLabs {
  /** When each running student lab last had a client or a request (ms since the epoch). */
  private lastActive = new Map<string, number>();
  /** Open WebSockets per lab. */
  private sockets = new Map<string, number>();
  /** Labs stopped for being idle: started again at their owner's next request (a copy of the database's pending rows). */
  private readonly stoppedIdle: Set<string>;
  private restoring = new Map<string, Promise<void>>();
  private stopping = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<string[]> | null = null;

  constructor(
    private readonly deps: IdleDeps,
    readonly opts: IdleOptions,
  ) {
    this.stoppedIdle = deps.stops.pending();
    if (opts.idleMs > 0) {
      this.timer = setInterval(() => void this.sweep().catch((e) => deps.notice?.(`nslab: idle check failed: ${(e as Error).message}\n`)), opts.sweepMs);
      this.timer.unref();
    }
  }

  touch(lab: string, at = Date.now()): void {
    // Only labs that exist: a name made up in a request must not grow the map.
    if (this.opts.idleMs > 0 && this.deps.registry.knows(lab)) this.lastActive.set(lab, at);
  }

  /** A WebSocket on `lab` opened; call the returned function when it closes. */
  opened(lab: string): () => void {
    if (this.opts.idleMs <= 0) return () => {};
    this.sockets.set(lab, (this.sockets.get(lab) ?? 0) + 1);
    this.touch(lab);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      const n = (this.sockets.get(lab) ?? 1) - 1;
      if (n > 0) this.sockets.set(lab, n);
      else this.sockets.delete(lab);
      this.touch(lab);
    };
  }

  /** Someone is there: a socket, a terminal with its tab attached, or a capture running. */
  hasClient(lab: string): boolean {
    return (this.sockets.get(lab) ?? 0) > 0 || this.deps.terminals.forLab(lab).some((t) => t.attached) || this.deps.captures.busy(lab) > 0;
  }

  wasStoppedIdle(lab: string): boolean {
    return this.stoppedIdle.has(lab);
  }

  /** Look at every running student lab; stop those idle long enough. Returns the labs stopped. */
  sweep(now = Date.now()): Promise<string[]> {
    this.sweeping ??= this.doSweep(now).finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  private async doSweep(now: number): Promise<string[]> {
    const { registry } = this.deps;
    const running = new Set(listLabs().map((s) => s.name));
    for (const lab of [...this.lastActive.keys()]) if (!running.has(lab)) this.lastActive.delete(lab);
    for (const lab of [...this.stoppedIdle]) {
      // Started by other means (the CLI), or destroyed with its saved topology: nothing to bring back.
      if (running.has(lab)) this.deps.stops.restored(lab);
      else if (labStore.loadTopology(lab) === null && !this.stopping.has(lab)) this.deps.stops.forget(lab);
      else continue;
      this.stoppedIdle.delete(lab);
    }
    const stopped: string[] = [];
    if (this.opts.idleMs <= 0) return stopped;
    for (const lab of running) {
      if (registry.deploying.has(lab) || this.restoring.has(lab) || this.deps.studentOf(lab) === null) continue;
      // First seen (a new lab, a server restart): its quiet time starts now.
      if (this.hasClient(lab) || !this.lastActive.has(lab)) {
        this.lastActive.set(lab, now);
        continue;
      }
      if (now - this.lastActive.get(lab)! < this.opts.idleMs) continue;
      try {
        // Watched first, so the stop saves what the kernel holds now (a lab not opened since a restart).
        await registry.get(lab);
        // A client may have come while the lab was being read.
        if (this.hasClient(lab) || now < this.lastActive.get(lab)!) continue;
        // Its shells end with it: which ones there were is kept, for the owner's page to open again.
        const terminals = this.deps.terminals.forLab(lab).map((t) => ({ node: t.node, session: t.id }));
        this.deps.stops.stopped(lab, this.opts.idleMs, terminals);
        this.stoppedIdle.add(lab);
        const stop = registry.destroy(lab, true).finally(() => this.stopping.delete(lab));
        this.stopping.set(lab, stop);
        await stop;
        this.lastActive.delete(lab);
        stopped.push(lab);
        this.deps.notice?.(`nslab: lab ${lab} stopped after ${Math.round(this.opts.idleMs / 60_000)} min with no client (saved; it starts again when its owner opens it)\n`);
      } catch (e) {
        this.stoppedIdle.delete(lab);
        this.deps.stops.forget(lab);
        this.deps.notice?.(`nslab: could not stop idle lab ${lab}: ${(e as Error).message}\n`);
      }
    }
    return stopped;
  }

  /**
   * Before a request on `lab` goes on: an idle-stopped lab of the caller's is deployed again from
   * its saved topology (once, however many requests arrive together). A refusal (the student's
   * lab quota full, say) is the request's answer.
   */
  async beforeRequest(req: FastifyRequest, lab: string): Promise<void> {
    if (this.opts.idleMs <= 0) return;
    this.touch(lab);
    if (!this.stoppedIdle.has(lab)) return;
    const user = userOf(req);
    if (!user || this.deps.owners.of(lab)?.ownerId !== user.id) return;
    // Destroying it, or starting it by hand: nothing to bring back first. Asking whether it was
    // stopped (the page's notice, while it starts again) does not start it either.
    const url = req.routeOptions.url ?? '';
    if (req.method === 'GET' && url.endsWith('/labs/:lab/idle-stop')) return;
    if (req.method === 'DELETE' && url.endsWith('/labs/:lab')) {
      this.stoppedIdle.delete(lab);
      this.deps.stops.forget(lab);
      return;
    }
    if (url.endsWith('/labs/:lab/start')) {
      this.stoppedIdle.delete(lab);
      // Its page still says it was stopped and opens its terminals again.
      this.deps.stops.restored(lab);
      return;
    }
    await this.restore(lab);
  }

  restore(lab: string): Promise<void> {
    let p = this.restoring.get(lab);
    if (!p) {
      p = (async () => {
        // A stop under way finishes first: its last step removes the sandbox's folder, which must
        // not be the new deploy's (the record may already look gone to findSandbox meanwhile).
        await this.stopping.get(lab);
        if (!findSandbox(lab)) await this.deps.registry.start(lab, 'api');
        this.stoppedIdle.delete(lab);
        this.deps.stops.restored(lab);
        this.touch(lab);
        this.deps.notice?.(`nslab: lab ${lab} started again for its owner (it was stopped while idle)\n`);
      })().finally(() => this.restoring.delete(lab));
      this.restoring.set(lab, p);
    }
    return p;
  }

  /** No more sweeps; a stop under way finishes first (a next server must not deploy into a sandbox being removed). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping?.catch(() => {});
    await Promise.allSettled([...this.stopping.values()]);
  }
}
