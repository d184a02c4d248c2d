// Packet captures the server runs: at most a few per lab, each capped in time and size, never
// outliving its interface, namespace, lab or the server. Each keeps its pcap (for download) and
// the last decoded lines (for a viewer that joins late); viewers get the live lines with their
// own bounded queues (capture-viewer.ts).
import { randomBytes } from 'node:crypto';
import { checkInterfaceName, checkNodeName, HOST, shellQuote } from '@nslab/model';
import { CaptureError, compileCaptureFilter, PacketCapture } from '@nslab/driver';
import type { CaptureEndKind, CaptureInfo, CaptureServerMessage, CommandSource } from '@nslab/protocol';
import { ApiError } from './errors.ts';
import type { Limits } from './limits.ts';
import type { LiveLab } from './live-lab.ts';
import { CaptureViewer, type ViewerTransport } from './capture-viewer.ts';

/** Decoded lines a capture keeps for viewers that join after they went by. */
const BACKLOG_LINES = 2000;
const STATUS_EVERY_MS = 500;

export interface CaptureRequest {
  node: string;
  interface: string;
  filter?: string;
  linkHeader?: boolean;
  snaplen?: number;
}

export class CaptureSession {
  readonly id = randomBytes(12).toString('base64url');
  readonly startedAt = new Date();
  endedAt: Date | undefined;
  end: { kind: CaptureEndKind; message: string } | undefined;
  private backlog: string[] = [];
  /** Number of backlog[0]. */
  private backlogFirst = 1;
  private viewers = new Set<CaptureViewer>();
  private statusTimer: NodeJS.Timeout | undefined;
  private lastStatus = '';
  private readonly durationTimer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  readonly done: Promise<void>;

  constructor(
    readonly lab: LiveLab,
    readonly node: string,
    readonly iface: string,
    readonly filter: string,
    readonly linkHeader: boolean,
    readonly capture: PacketCapture,
    private readonly limits: Limits,
  ) {
    capture.onLines((lines) => this.lines(lines));
    this.durationTimer = setTimeout(
      () => this.stop('duration-limit', `reached the capture time limit (${Math.round(limits.captureMaxDurationMs / 1000)} s)`),
      limits.captureMaxDurationMs,
    );
    // The interface going away ends the capture with that reason (tcpdump notices a deleted
    // interface too, but a deleted namespace stays alive while tcpdump is inside it: we must stop it).
    this.unsubscribe = lab.subscribe((m) => {
      if (m.type === 'lab-destroyed') this.stop('lab-gone', `lab ${lab.name} was destroyed`);
      if (m.type !== 'patch') return;
      if (m.removeNodes.includes(node)) this.stop('interface-gone', `namespace ${node} was deleted`);
      const n = m.upsertNodes.find((x) => x.name === node);
      if (n && !n.interfaces.some((i) => i.name === iface)) this.stop('interface-gone', `${iface} is no longer in ${node === HOST ? 'the lab host' : node} (deleted or moved)`);
    });
    this.statusTimer = setInterval(() => this.broadcastStatus(false), STATUS_EVERY_MS);
    this.done = new Promise((resolve) => {
      capture.onEnd((e) => {
        clearTimeout(this.durationTimer);
        clearInterval(this.statusTimer);
        this.unsubscribe();
        let kind = e.kind as CaptureEndKind;
        let message = e.message;
        // Killed along with its sandbox (destroyed by the CLI, say): say so rather than "tcpdump exited".
        if (kind === 'failed' && !lab.sandbox.alive()) {
          kind = 'lab-gone';
          message = `lab ${lab.name} was destroyed`;
        }
        this.end = { kind, message };
        this.endedAt = new Date();
        const last = this.statusMessage();
        for (const v of this.viewers) v.finish({ ...last, capture: { ...last.capture } });
        this.viewers.clear();
        resolve();
      });
    });
  }

  get running(): boolean {
    return this.end === undefined;
  }

  stop(kind: CaptureEndKind, message: string): void {
    if (this.running) this.capture.stop(kind, message);
  }

  info(): CaptureInfo {
    const c = this.capture;
    return {
      id: this.id,
      lab: this.lab.name,
      node: this.node,
      interface: this.iface,
      filter: this.filter,
      linkHeader: this.linkHeader,
      state: this.running ? 'running' : 'stopped',
      startedAt: this.startedAt.toISOString(),
      ...(this.endedAt ? { endedAt: this.endedAt.toISOString() } : {}),
      ...(this.end ? { end: this.end } : {}),
      packets: c.packets,
      bytes: c.bytes,
      lines: c.lines,
      undecoded: c.undecoded,
      kernelDropped: c.kernelDropped,
      limits: { maxBytes: this.limits.captureMaxBytes, maxDurationMs: this.limits.captureMaxDurationMs },
    };
  }

  pcap(): Buffer[] {
    return this.capture.pcap();
  }

  /** A client starts watching: backlog first, then live lines; closed after the last status once the capture ends. */
  watch(transport: ViewerTransport): () => void {
    const v = new CaptureViewer(transport, { maxQueue: this.limits.captureClientQueueLines });
    v.sendNow(this.statusMessage());
    if (this.backlog.length) v.push(this.backlogFirst, this.backlog);
    if (!this.running) {
      v.finish(this.statusMessage());
      return () => v.detach();
    }
    this.viewers.add(v);
    return () => {
      v.detach();
      this.viewers.delete(v);
    };
  }

  private lines(lines: string[]): void {
    const first = this.capture.lines - lines.length + 1;
    for (const v of this.viewers) v.push(first, lines);
    if (lines.length >= BACKLOG_LINES) {
      this.backlog = lines.slice(-BACKLOG_LINES);
    } else {
      for (const l of lines) this.backlog.push(l);
      if (this.backlog.length > BACKLOG_LINES * 1.5) this.backlog = this.backlog.slice(-BACKLOG_LINES);
    }
    this.backlogFirst = this.capture.lines - this.backlog.length + 1;
  }

  private statusMessage(): CaptureServerMessage & { type: 'status' } {
    return { type: 'status', capture: this.info(), dropped: 0 };
  }

  private broadcastStatus(force: boolean): void {
    const info = this.info();
    const key = `${info.packets}/${info.lines}/${info.undecoded}`;
    if (!force && key === this.lastStatus) return;
    this.lastStatus = key;
    for (const v of this.viewers) v.sendNow({ type: 'status', capture: info, dropped: v.dropped });
  }
}

function bad(status: number, code: string, message: string, field?: string): never {
  throw new ApiError(status, code, message, field);
}

/** The command a learner would type for this capture (what the log shows). Pure. */
export function captureCommandLine(node: string, iface: string, filter: string, linkHeader: boolean): string {
  const words = ['tcpdump', '-i', iface, '-n', '-l', ...(linkHeader ? ['-e'] : []), ...(filter.trim() ? [filter.trim()] : [])];
  const line = words.map(shellQuote).join(' ');
  return node === HOST ? line : `ip netns exec ${shellQuote(node)} ${line}`;
}

export class CaptureManager {
  private sessions = new Map<string, CaptureSession>();
  /** Starts under way per lab, counted against the cap before tcpdump runs. */
  private starting = new Map<string, number>();

  constructor(private readonly limits: Limits) {}

  list(lab: string): CaptureSession[] {
    return [...this.sessions.values()].filter((s) => s.lab.name === lab);
  }

  running(lab: string): number {
    return this.list(lab).filter((s) => s.running).length;
  }

  /** The lab's captures running or starting. */
  busy(lab: string): number {
    return this.running(lab) + (this.starting.get(lab) ?? 0);
  }

  /** Checked right before a capture takes its place (classroom mode's per-student quota); throws its refusal. */
  admit: ((lab: string) => void) | undefined;

  get(lab: string, id: string): CaptureSession {
    const s = this.sessions.get(id);
    if (!s || s.lab.name !== lab) bad(404, 'CAPTURE_NOT_FOUND', `lab "${lab}" has no capture "${id}"`);
    return s;
  }

  async start(lab: LiveLab, req: CaptureRequest, source: CommandSource = 'api'): Promise<CaptureSession> {
    const { node, interface: iface } = req;
    const filter = req.filter ?? '';
    if (node !== HOST) {
      const why = checkNodeName(node);
      if (why) bad(400, 'INVALID_NAME', `node ${JSON.stringify(node)} ${why}`, 'node');
    }
    const ifWhy = checkInterfaceName(iface);
    if (ifWhy) bad(400, 'INVALID_NAME', `interface ${JSON.stringify(iface)} ${ifWhy}`, 'interface');
    await lab.settled();
    const n = lab.state.nodes.find((x) => x.name === node && !x.unsafeName);
    if (!n) bad(404, 'NODE_NOT_FOUND', `lab "${lab.name}" has no namespace "${node}"`, 'node');
    const i = n.interfaces.find((x) => x.name === iface && !x.unsafeName);
    if (!i) {
      const known = n.interfaces.filter((x) => !x.unsafeName).map((x) => x.name);
      bad(404, 'INTERFACE_NOT_FOUND', `${node} has no interface "${iface}" (it has: ${known.join(', ') || 'none'})`, 'interface');
    }
    if (!i.up) {
      const where = node === HOST ? '' : `-n ${node} `;
      bad(409, 'INTERFACE_DOWN', `${iface} is down and tcpdump can only capture on an interface that is up: ip ${where}link set dev ${iface} up`, 'interface');
    }
    const busy = this.running(lab.name) + (this.starting.get(lab.name) ?? 0);
    if (busy >= this.limits.capturesPerLab) {
      bad(429, 'LIMIT_CAPTURES', `this server runs at most ${this.limits.capturesPerLab} captures per lab at once; stop one first`);
    }
    this.admit?.(lab.name);
    this.starting.set(lab.name, (this.starting.get(lab.name) ?? 0) + 1);
    let capture: PacketCapture;
    try {
      await compileCaptureFilter(lab.sandbox, { node, interface: iface }, filter);
      capture = await PacketCapture.start(lab.sandbox, { node, interface: iface }, {
        filter,
        maxBytes: this.limits.captureMaxBytes,
        ...(req.snaplen ? { snaplen: req.snaplen } : {}),
        ...(req.linkHeader ? { linkHeader: true } : {}),
      });
    } catch (e) {
      throw toApiError(e);
    } finally {
      const left = (this.starting.get(lab.name) ?? 1) - 1;
      if (left > 0) this.starting.set(lab.name, left);
      else this.starting.delete(lab.name);
    }
    const s = new CaptureSession(lab, node, iface, filter, req.linkHeader ?? false, capture, this.limits);
    this.sessions.set(s.id, s);
    // Every action teaches its command: the tcpdump a learner would type for the same capture.
    lab.appendLog(source, [{ line: captureCommandLine(node, iface, filter, req.linkHeader ?? false), ok: true }]);
    void s.done.then(() => {
      // A destroyed lab takes its captures along; otherwise the newest stopped ones stay for download.
      if (s.end?.kind === 'lab-gone') this.sessions.delete(s.id);
      else this.trimStopped(lab.name);
    });
    return s;
  }

  /** Stop and forget. */
  async discard(lab: string, id: string): Promise<void> {
    const s = this.get(lab, id);
    this.sessions.delete(id);
    s.stop('stopped', 'stopped and discarded');
    await s.done;
  }

  /** The lab is gone: its captures stop, and their pcaps go too. */
  forgetLab(lab: string, message: string): void {
    for (const s of this.list(lab)) {
      s.stop('lab-gone', message);
      this.sessions.delete(s.id);
    }
  }

  async closeAll(message: string): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) s.stop('server-closing', message);
    await Promise.all(all.map((s) => s.done));
  }

  private trimStopped(lab: string): void {
    const stopped = this.list(lab).filter((s) => !s.running);
    for (const s of stopped.slice(0, Math.max(0, stopped.length - this.limits.capturesKeptPerLab))) this.sessions.delete(s.id);
  }
}

function toApiError(e: unknown): unknown {
  if (!(e instanceof CaptureError)) return e;
  switch (e.code) {
    case 'INVALID_FILTER':
      return new ApiError(400, 'INVALID_INPUT', e.message, 'filter');
    case 'INVALID_NAME':
      return new ApiError(400, 'INVALID_NAME', e.message, e.field);
    case 'INTERFACE_UNAVAILABLE':
      return new ApiError(409, 'INTERFACE_UNAVAILABLE', e.message, 'interface');
    default:
      // tcpdump's own refusal: useful to the learner, nothing internal in it.
      return new ApiError(422, 'CAPTURE_FAILED', e.message);
  }
}
