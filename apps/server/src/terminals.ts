// Terminal sessions: a real shell per session inside a lab node, survives a dropped connection for
// a grace period (scrollback replayed on reattach), and never outlives its node or lab. The shells
// are held by the driver's pty host, so a restarted server adopts them (`adopt`).
import { randomBytes } from 'node:crypto';
import { findSandbox, listShells, openShell, reattachShell, type Shell, type Sandbox } from '@nslab/driver';
import { TerminalHistory, type TypedCommand } from './terminal-history.ts';
import { ByteRing } from './byte-ring.ts';
import { TerminalOpcode } from '@nslab/protocol';

const SCROLLBACK = 256 * 1024;
/** Server-side output buffer per client before the shell is paused (bounded memory under floods). */
const HIGH_WATER = 256 * 1024;
const LOW_WATER = 64 * 1024;
/** For clients that ack: output sent but not yet rendered by the browser. */
const ACK_WINDOW = 256 * 1024;
const ACK_RESUME = 64 * 1024;

export interface TerminalClient {
  /** One message: the opcode byte, then the payload (sent without copying it). */
  send(op: number, payload: Buffer, done: () => void): void;
  close(code: number, reason: string): void;
}

export class TerminalSession {
  private scrollback = new ByteRing(SCROLLBACK);
  private client: TerminalClient | null = null;
  private inFlight = 0;
  private clientPaused = false;
  private pressurePaused = false;
  private ackMode = false;
  private ackPaused = false;
  private sentOutput = 0;
  private ackedOutput = 0;
  private graceTimer: NodeJS.Timeout | undefined;
  private exitInfo: { code: number | null; signal: number | null; reason: string } | null = null;

  constructor(
    readonly id: string,
    readonly lab: string,
    readonly node: string,
    private readonly shell: Shell,
    private readonly graceMs: number,
    private readonly onGone: (s: TerminalSession) => void,
    /** Output from before this server (an adopted shell's scrollback). */
    replay?: Buffer,
  ) {
    if (replay?.length) this.output(replay);
    this.shell.onData((d) => this.output(d));
    this.shell.onExit((e) => this.exited({ code: e.exitCode, signal: e.signal ?? null, reason: 'exited' }));
  }

  get pid(): number {
    return this.shell.pid;
  }

  get attached(): boolean {
    return this.client !== null;
  }

  private output(d: Buffer): void {
    this.scrollback.push(d);
    if (this.client) this.sendFrame(TerminalOpcode.OUTPUT, d);
  }

  private sendFrame(op: number, payload: Buffer): void {
    const c = this.client;
    if (!c) return;
    const size = payload.length + 1;
    if (op === TerminalOpcode.OUTPUT) {
      this.sentOutput += payload.length;
      if (this.ackMode && !this.ackPaused && this.sentOutput - this.ackedOutput > ACK_WINDOW) {
        this.ackPaused = true;
        this.updatePause();
      }
    }
    this.inFlight += size;
    if (this.inFlight > HIGH_WATER && !this.pressurePaused) {
      this.pressurePaused = true;
      this.updatePause();
    }
    c.send(op, payload, () => {
      this.inFlight -= size;
      if (this.pressurePaused && this.inFlight < LOW_WATER) {
        this.pressurePaused = false;
        this.updatePause();
      }
    });
  }

  private updatePause(): void {
    if (this.exitInfo) return;
    // Detached sessions keep reading (into the bounded scrollback) so the shell never blocks.
    if (this.client && (this.clientPaused || this.pressurePaused || this.ackPaused)) this.shell.pause();
    else this.shell.resume();
  }

  attach(client: TerminalClient): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    if (this.client) this.client.close(4001, 'attached elsewhere');
    this.client = client;
    this.inFlight = 0;
    this.clientPaused = false;
    this.pressurePaused = false;
    this.ackMode = false;
    this.ackPaused = false;
    this.sentOutput = 0;
    this.ackedOutput = 0;
    this.sendFrame(TerminalOpcode.SESSION, Buffer.from(JSON.stringify({ session: this.id, lab: this.lab, node: this.node })));
    const replay = trimToCharBoundary(this.scrollback.contents());
    if (replay.length) this.sendFrame(TerminalOpcode.OUTPUT, replay);
    if (this.exitInfo) {
      this.sendExit();
      return;
    }
    this.updatePause();
  }

  /** The connection dropped: keep the shell for the grace period. */
  detach(client: TerminalClient): void {
    if (this.client !== client) return;
    this.client = null;
    this.updatePause();
    if (this.exitInfo) {
      this.onGone(this);
      return;
    }
    this.graceTimer = setTimeout(() => this.kill('no client reattached'), this.graceMs);
  }

  input(frame: Buffer): void {
    const op = frame[0];
    const payload = frame.subarray(1);
    switch (op) {
      case TerminalOpcode.INPUT:
        this.shell.write(payload);
        break;
      case TerminalOpcode.RESIZE: {
        try {
          const { columns, rows } = JSON.parse(payload.toString('utf8')) as { columns: unknown; rows: unknown };
          if (Number.isInteger(columns) && Number.isInteger(rows) && (columns as number) > 0 && (rows as number) > 0 && (columns as number) <= 1000 && (rows as number) <= 500) {
            this.shell.resize(columns as number, rows as number);
          }
        } catch {
          /* ignore a malformed resize */
        }
        break;
      }
      case TerminalOpcode.PAUSE:
        this.clientPaused = true;
        this.updatePause();
        break;
      case TerminalOpcode.RESUME:
        this.clientPaused = false;
        this.updatePause();
        break;
      case TerminalOpcode.ACK: {
        const n = Number(payload.toString('ascii'));
        if (!Number.isSafeInteger(n) || n < 0) break;
        this.ackMode = true;
        this.ackedOutput = Math.min(this.sentOutput, this.ackedOutput + n);
        if (this.ackPaused && this.sentOutput - this.ackedOutput < ACK_RESUME) {
          this.ackPaused = false;
          this.updatePause();
        }
        break;
      }
      default:
        break;
    }
  }

  private exited(info: { code: number | null; signal: number | null; reason: string }): void {
    if (this.exitInfo) return;
    this.exitInfo = info;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    if (this.client) this.sendExit();
    else this.onGone(this);
  }

  private sendExit(): void {
    this.sendFrame(TerminalOpcode.EXIT, Buffer.from(JSON.stringify(this.exitInfo)));
    const c = this.client;
    this.client = null;
    c?.close(1000, this.exitInfo!.reason.slice(0, 100));
    this.onGone(this);
  }

  /** Start the grace period of a session nobody is attached to yet (adopted after a restart). */
  awaitClient(): void {
    if (this.client || this.exitInfo || this.graceTimer) return;
    this.graceTimer = setTimeout(() => this.kill('no client reattached'), this.graceMs);
  }

  /** The server is going away but the shell should not: let the pty host keep it. */
  release(reason: string): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    const c = this.client;
    this.client = null;
    // 1012 "service restart": the web app reconnects with its session id.
    c?.close(1012, reason.slice(0, 100));
    this.shell.detach();
    this.onGone(this);
  }

  /** End the session for good: the whole process tree goes, the client is told why. */
  kill(reason: string): void {
    if (!this.exitInfo) this.exitInfo = { code: null, signal: 9, reason };
    this.shell.kill();
    if (this.graceTimer) clearTimeout(this.graceTimer);
    if (this.client) this.sendExit();
    else this.onGone(this);
  }
}

/** Replayed scrollback may begin inside a multi-byte character: drop the orphaned continuation bytes. */
function trimToCharBoundary(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length && i < 4 && (b[i]! & 0xc0) === 0x80) i++;
  return b.subarray(i);
}

export class TerminalManager {
  private sessions = new Map<string, TerminalSession>();
  private histories = new Map<string, TerminalHistory>();

  constructor(
    private readonly graceMs: number,
    /** Commands typed in a lab's terminals, as they complete (for its command log). */
    private readonly onCommands: (lab: string, cmds: TypedCommand[]) => void = () => {},
  ) {}

  private watchHistory(lab: string, sandbox: Sandbox): void {
    if (!this.histories.has(lab)) this.histories.set(lab, new TerminalHistory(sandbox, (cmds) => this.onCommands(lab, cmds)));
  }

  /** Stop following a lab's typed commands, after taking what is left (resolves once logged). */
  private unwatchHistory(lab: string): Promise<void> {
    const h = this.histories.get(lab);
    this.histories.delete(lab);
    if (!h) return Promise.resolve();
    h.close();
    return h.drain().catch(() => {});
  }

  async create(lab: string, node: string, sandbox: Sandbox, size: { cols: number; rows: number }): Promise<TerminalSession> {
    const id = randomBytes(12).toString('base64url');
    const shell = await openShell(sandbox, node, { id, lab, cols: size.cols, rows: size.rows, graceMs: this.graceMs });
    this.watchHistory(lab, sandbox);
    return this.track(new TerminalSession(id, lab, node, shell, this.graceMs, (gone) => this.forget(gone)));
  }

  private track(s: TerminalSession): TerminalSession {
    this.sessions.set(s.id, s);
    return s;
  }

  private forget(s: TerminalSession): void {
    if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
  }

  /**
   * After a restart: take over the shells the pty host kept for labs this server knows, so their
   * browsers can reattach (with scrollback) within the grace period. Returns how many.
   */
  async adopt(isKnownLab: (lab: string) => boolean): Promise<number> {
    let n = 0;
    for (const info of await listShells()) {
      if (this.sessions.has(info.id) || !isKnownLab(info.lab)) continue;
      const sandbox = findSandbox(info.lab);
      if (!sandbox) continue;
      try {
        const shell = await reattachShell(info.id);
        this.watchHistory(info.lab, sandbox);
        const s = this.track(new TerminalSession(info.id, info.lab, info.node, shell, this.graceMs, (gone) => this.forget(gone), shell.replay));
        s.awaitClient();
        n++;
      } catch {
        /* it ended meanwhile */
      }
    }
    return n;
  }

  get(id: string): TerminalSession | undefined {
    return this.sessions.get(id);
  }

  count(lab: string): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.lab === lab) n++;
    return n;
  }

  forNode(lab: string, node: string): TerminalSession[] {
    return [...this.sessions.values()].filter((s) => s.lab === lab && s.node === node);
  }

  closeNode(lab: string, node: string, reason: string): void {
    for (const s of this.forNode(lab, node)) s.kill(reason);
  }

  closeLab(lab: string, reason: string): void {
    for (const s of [...this.sessions.values()]) if (s.lab === lab) s.kill(reason);
    void this.unwatchHistory(lab);
  }

  /** Server shutdown: every shell ends; the last typed commands are logged before this resolves. */
  async closeAll(reason: string): Promise<void> {
    for (const s of [...this.sessions.values()]) s.kill(reason);
    await Promise.all([...this.histories.keys()].map((lab) => this.unwatchHistory(lab)));
  }

  /** Server shutdown that a restart will follow: shells stay with the pty host. */
  async releaseAll(reason: string): Promise<void> {
    for (const s of [...this.sessions.values()]) s.release(reason);
    await Promise.all([...this.histories.keys()].map((lab) => this.unwatchHistory(lab)));
  }
}
