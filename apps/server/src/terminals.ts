// Terminal sessions: a real shell per session inside a lab node, survives a dropped connection for
// a grace period (scrollback replayed on reattach), and never outlives its node or lab. The shells
// are held by the driver's pty host, so a restarted server adopts them (`adopt`).
//
// The grace period is for browser tabs that vanished (closed, reloaded, the laptop asleep): moving
// around inside the web app keeps the connection, so it never starts there. It is long enough for
// a coffee break (30 min, NSLAB_TERMINAL_GRACE in seconds), and a shell waiting for its tab still
// holds one of the lab's terminal slots: when the lab is at its cap, a new terminal takes the slot
// of the one that has waited longest.
//
// Input flow control: input the shell has not taken yet is bounded per session. Past INPUT_HIGH
// the client's socket is not read (TCP pushes back on the sender, so a flood costs nothing here);
// if the shell still takes too little for INPUT_STALL_MS, the client is read again but its input is
// dropped, as a tty drops input it has no room for, so its Ctrl-C, resize and close still arrive.
// What a lab's clients send is also held to a rate (InputBudget), so no lab's floods, dropped or
// not, can keep the server busy for the others.
import { randomBytes } from 'node:crypto';
import { findSandbox, listShells, openShell, reattachShell, type Shell, type Sandbox } from '@nslab/driver';
import { TerminalHistory, type TypedCommand } from './terminal-history.ts';
import { ByteRing } from './byte-ring.ts';
import { TerminalOpcode } from '@nslab/protocol';

/** How long a shell whose browser tab vanished waits for it to come back. */
export const DEFAULT_TERMINAL_GRACE_MS = 30 * 60_000;
const MAX_GRACE_S = 7 * 24 * 3600;

/** The grace period set by NSLAB_TERMINAL_GRACE (seconds), else the default; a bad value is refused by name. */
export function terminalGraceMs(env: Record<string, string | undefined> = process.env): number {
  const v = env.NSLAB_TERMINAL_GRACE;
  if (v === undefined || v.trim() === '') return DEFAULT_TERMINAL_GRACE_MS;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 1 || n > MAX_GRACE_S) {
    throw new Error(`NSLAB_TERMINAL_GRACE must be a number of seconds from 1 to ${MAX_GRACE_S}, got ${JSON.stringify(v)}`);
  }
  return Math.round(n * 1000);
}

const SCROLLBACK = 256 * 1024;
/** Server-side output buffer per client before the shell is paused (bounded memory under floods). */
const HIGH_WATER = 256 * 1024;
const LOW_WATER = 64 * 1024;
/** A read-only viewer this far behind is closed rather than buffered for (it must not hold the shell back). */
const WATCH_MAX = 4 * 1024 * 1024;
/** For clients that ack: output sent but not yet rendered by the browser. */
const ACK_WINDOW = 256 * 1024;
const ACK_RESUME = 64 * 1024;
/** Input not yet taken by the shell past which the client is not read; read again below INPUT_LOW. */
const INPUT_HIGH = 256 * 1024;
const INPUT_LOW = 64 * 1024;
/**
 * Input read after pausing (the rest of the socket read being parsed) is kept up to this much; more
 * is dropped. Pausing stops the next read, so this is never reached but by a broken client.
 */
const INPUT_MAX = INPUT_HIGH + 256 * 1024;
/**
 * How long the client stays unread while the shell takes too little of its input before that input
 * is dropped instead: a program that reads 192 KiB in this time loses nothing.
 */
const INPUT_STALL_MS = 1000;
/** Rung once when input starts being dropped, as a tty with IMAXBEL does. */
const BELL = Buffer.from([0x07]);
/**
 * What a lab's terminals may send together, whatever becomes of it (written, queued or dropped):
 * reading and parsing input costs the server ~5 ms of CPU per MB, so without a bound one lab's
 * client could keep the server busy for everyone (a program that reads fast, or one whose input is
 * being dropped). Far above typing or pasting.
 */
const LAB_INPUT_RATE = 16 * 1024 * 1024;
const LAB_INPUT_BURST = 1024 * 1024;
/** Each message counts as at least this many bytes: tiny messages cost the server per message. */
const FRAME_MIN_COST = 1024;

/** A token bucket of bytes per second, shared by one lab's sessions. */
export class InputBudget {
  private tokens: number;
  private at = performance.now();

  constructor(
    private readonly rate = LAB_INPUT_RATE,
    private readonly burst = LAB_INPUT_BURST,
  ) {
    this.tokens = burst;
  }

  /** Spend `n`; returns how long (ms) to stop reading for the budget to be back above zero (0: go on). */
  take(n: number): number {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate) - n;
    this.at = now;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }
}

export interface TerminalClient {
  /** One message: the opcode byte, then the payload (sent without copying it). */
  send(op: number, payload: Buffer, done: () => void): void;
  close(code: number, reason: string): void;
  /** Stop reading the client's messages (its sender is held back by TCP), and start again. */
  pauseInput(): void;
  resumeInput(): void;
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
  /** When the client went (performance.now()); null while one is attached, or before the first. */
  private waitingSince: number | null = null;
  private exitInfo: { code: number | null; signal: number | null; reason: string } | null = null;
  /** Whether the client's socket is being read (our last pause/resume call). */
  private reading = true;
  /** Not reading: too much of the client's input waits for the shell. */
  private queuePaused = false;
  /** Not reading: the lab's terminals used up their input budget. */
  private budgetPaused = false;
  private budgetTimer: NodeJS.Timeout | undefined;
  /** The shell took too little for INPUT_STALL_MS: the client is read, its input dropped. */
  private discarding = false;
  private stallTimer: NodeJS.Timeout | undefined;
  /** Input bytes dropped (stalled shell, or past INPUT_MAX). */
  droppedInput = 0;
  /** Read-only viewers (an instructor watching): they get the output and never type. */
  private watchers = new Map<TerminalClient, { inFlight: number }>();

  /** Input the shell has not taken yet, wherever it waits (here, on the way, at the pty host). */
  get inputQueued(): number {
    return this.shell.inputPending;
  }

  constructor(
    readonly id: string,
    readonly lab: string,
    readonly node: string,
    private readonly shell: Shell,
    private readonly graceMs: number,
    private readonly onGone: (s: TerminalSession) => void,
    /** Shared by the lab's sessions: what its terminals may take in together. */
    private readonly budget: InputBudget,
    /** Output from before this server (an adopted shell's scrollback). */
    replay?: Buffer,
  ) {
    if (replay?.length) this.output(replay);
    this.shell.onData((d) => this.output(d));
    this.shell.onExit((e) => this.exited({ code: e.exitCode, signal: e.signal ?? null, reason: 'exited' }));
    this.shell.onInputProgress(() => this.inputProgress());
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
    for (const w of this.watchers.keys()) this.sendWatcher(w, TerminalOpcode.OUTPUT, d);
  }

  /**
   * A read-only viewer: the session frame (readOnly: true), the scrollback, then the output as it
   * comes. It never types (the route drops its input) and never slows the shell: one that falls
   * WATCH_MAX behind is closed. The learner's terminal says who watches.
   */
  watch(client: TerminalClient, who: string): void {
    this.watchers.set(client, { inFlight: 0 });
    this.sendWatcher(client, TerminalOpcode.SESSION, Buffer.from(JSON.stringify({ session: this.id, lab: this.lab, node: this.node, readOnly: true })));
    const replay = trimToCharBoundary(this.scrollback.contents());
    if (replay.length) this.sendWatcher(client, TerminalOpcode.OUTPUT, replay);
    if (this.exitInfo) return this.endWatchers(1000, this.exitInfo.reason);
    this.notice(`${who} is watching this terminal (read-only)`);
  }

  unwatch(client: TerminalClient, who: string): void {
    if (!this.watchers.delete(client)) return;
    if (!this.exitInfo) this.notice(`${who} stopped watching`);
  }

  get watching(): number {
    return this.watchers.size;
  }

  private sendWatcher(w: TerminalClient, op: number, payload: Buffer): void {
    const state = this.watchers.get(w);
    if (!state) return;
    if (state.inFlight > WATCH_MAX) {
      this.watchers.delete(w);
      w.close(4002, 'too far behind: reopen to watch again');
      return;
    }
    state.inFlight += payload.length + 1;
    w.send(op, payload, () => (state.inFlight -= payload.length + 1));
  }

  private endWatchers(code: number, reason: string): void {
    for (const w of [...this.watchers.keys()]) {
      if (this.exitInfo) this.sendWatcher(w, TerminalOpcode.EXIT, Buffer.from(JSON.stringify(this.exitInfo)));
      this.watchers.delete(w);
      w.close(code, reason.slice(0, 100));
    }
  }

  /** A line from nslab itself (not the shell), shown in the terminal and kept in its scrollback. */
  notice(text: string): void {
    this.output(Buffer.from(`\r\n\x1b[1;33m[nslab] ${text}\x1b[0m\r\n`, 'utf8'));
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

  /** Since when the shell has waited for a client (null: one is attached, or the shell is gone). */
  get waitingFor(): number | null {
    return this.exitInfo || this.client ? null : this.waitingSince;
  }

  attach(client: TerminalClient): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    this.waitingSince = null;
    if (this.client) {
      this.client.close(4001, 'attached elsewhere');
      this.shell.flushInput();
    }
    this.client = client;
    this.resetInputFlow();
    // The route stops reading while the shell starts; from here on the session decides.
    this.reading = true;
    client.resumeInput();
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
    this.waitingSince = performance.now();
    // What the departed client typed ahead is not typed into whatever runs when it comes back.
    this.shell.flushInput();
    this.resetInputFlow();
    this.updatePause();
    if (this.exitInfo) {
      this.onGone(this);
      return;
    }
    this.graceTimer = setTimeout(() => this.kill('no client reattached'), this.graceMs);
  }

  input(frame: Buffer): void {
    this.charge(frame.length);
    const op = frame[0];
    const payload = frame.subarray(1);
    switch (op) {
      case TerminalOpcode.INPUT:
        this.typed(payload);
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

  private typed(payload: Buffer): void {
    if (!payload.length || this.exitInfo) return;
    // Ctrl-C on its own (a keystroke; a paste that contains ^C is data) goes ahead of queued input.
    if (payload.length === 1 && payload[0] === 0x03) {
      this.shell.interrupt();
      // The typeahead is gone: what the client types next is kept again.
      this.endStall();
      return;
    }
    if (this.discarding || this.shell.inputPending + payload.length > INPUT_MAX) {
      this.droppedInput += payload.length;
      return;
    }
    this.shell.write(payload);
    if (!this.queuePaused && this.shell.inputPending > INPUT_HIGH && this.client) {
      this.queuePaused = true;
      this.updateReading();
      this.stallTimer = setTimeout(() => this.stalled(), INPUT_STALL_MS);
    }
  }

  /** The shell took too little of the queued input for INPUT_STALL_MS: read the client, drop its input. */
  private stalled(): void {
    this.stallTimer = undefined;
    if (!this.queuePaused || !this.client) return;
    this.queuePaused = false;
    this.discarding = true;
    this.client.send(TerminalOpcode.OUTPUT, BELL, () => {});
    this.updateReading();
  }

  private inputProgress(): void {
    if (this.shell.inputPending < INPUT_LOW) this.endStall();
  }

  private endStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.discarding = false;
    this.queuePaused = false;
    this.updateReading();
  }

  /** Charge the lab's input budget; past it, this client is not read until the budget allows. */
  private charge(bytes: number): void {
    const wait = this.budget.take(Math.max(bytes, FRAME_MIN_COST));
    if (wait <= 0 || this.budgetTimer) return;
    this.budgetPaused = true;
    this.updateReading();
    this.budgetTimer = setTimeout(() => {
      this.budgetTimer = undefined;
      this.budgetPaused = false;
      this.updateReading();
    }, wait);
  }

  private updateReading(): void {
    const want = !this.queuePaused && !this.budgetPaused;
    if (!this.client || want === this.reading) return;
    this.reading = want;
    if (want) this.client.resumeInput();
    else this.client.pauseInput();
  }

  private resetInputFlow(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    if (this.budgetTimer) clearTimeout(this.budgetTimer);
    this.stallTimer = undefined;
    this.budgetTimer = undefined;
    this.queuePaused = false;
    this.budgetPaused = false;
    this.discarding = false;
  }

  private exited(info: { code: number | null; signal: number | null; reason: string }): void {
    if (this.exitInfo) return;
    this.exitInfo = info;
    this.resetInputFlow();
    this.endWatchers(1000, info.reason);
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
    this.waitingSince = performance.now();
    this.graceTimer = setTimeout(() => this.kill('no client reattached'), this.graceMs);
  }

  /** The server is going away but the shell should not: let the pty host keep it. */
  release(reason: string): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    this.resetInputFlow();
    const c = this.client;
    this.client = null;
    // 1012 "service restart": the web app reconnects with its session id.
    c?.close(1012, reason.slice(0, 100));
    this.endWatchers(1012, reason);
    this.shell.detach();
    this.onGone(this);
  }

  /** End the session for good: the whole process tree goes, the client is told why. */
  kill(reason: string): void {
    if (!this.exitInfo) this.exitInfo = { code: null, signal: 9, reason };
    this.resetInputFlow();
    this.endWatchers(1000, reason);
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

/** A terminal slot of a lab, held from before a shell is opened until it is tracked (or given up). */
export interface TerminalSlot {
  readonly lab: string;
  release(): void;
}

export class TerminalManager {
  private sessions = new Map<string, TerminalSession>();
  private histories = new Map<string, TerminalHistory>();
  /** Slots taken by opens still starting their shell, per lab: they count against the cap. */
  private reserved = new Map<string, number>();
  private budgets = new Map<string, InputBudget>();

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

  /**
   * Take one of the lab's `max` terminal slots, or null when all are taken. Synchronous, so opens
   * racing each other (each awaiting a shell) cannot all pass the cap.
   */
  reserve(lab: string, max: number): TerminalSlot | null {
    if (this.count(lab) >= max) this.reclaim(lab);
    if (this.count(lab) >= max) return null;
    this.reserved.set(lab, (this.reserved.get(lab) ?? 0) + 1);
    let held = true;
    return {
      lab,
      release: () => {
        if (!held) return;
        held = false;
        const n = (this.reserved.get(lab) ?? 1) - 1;
        if (n > 0) this.reserved.set(lab, n);
        else this.reserved.delete(lab);
      },
    };
  }

  /** A new shell in the slot's lab; the slot passes to the session (and is freed if opening fails). */
  async create(slot: TerminalSlot, node: string, sandbox: Sandbox, size: { cols: number; rows: number }): Promise<TerminalSession> {
    const lab = slot.lab;
    try {
      const id = randomBytes(12).toString('base64url');
      const shell = await openShell(sandbox, node, { id, lab, cols: size.cols, rows: size.rows, graceMs: this.graceMs });
      this.watchHistory(lab, sandbox);
      return this.track(new TerminalSession(id, lab, node, shell, this.graceMs, (gone) => this.forget(gone), this.budget(lab)));
    } finally {
      slot.release();
    }
  }

  /** Ends the lab's shell that has waited longest for its vanished tab, if any, freeing its slot. */
  private reclaim(lab: string): void {
    let oldest: TerminalSession | undefined;
    for (const s of this.sessions.values()) {
      const since = s.lab === lab ? s.waitingFor : null;
      if (since !== null && (oldest === undefined || since < oldest.waitingFor!)) oldest = s;
    }
    oldest?.kill("the lab's terminal limit was reached and this terminal had no browser tab");
  }

  private track(s: TerminalSession): TerminalSession {
    this.sessions.set(s.id, s);
    return s;
  }

  private forget(s: TerminalSession): void {
    if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
    if (this.count(s.lab) === 0) this.budgets.delete(s.lab);
  }

  private budget(lab: string): InputBudget {
    let b = this.budgets.get(lab);
    if (!b) this.budgets.set(lab, (b = new InputBudget()));
    return b;
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
        const s = this.track(new TerminalSession(info.id, info.lab, info.node, shell, this.graceMs, (gone) => this.forget(gone), this.budget(info.lab), shell.replay));
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

  /** The lab's terminals, those still opening included. */
  count(lab: string): number {
    let n = this.reserved.get(lab) ?? 0;
    for (const s of this.sessions.values()) if (s.lab === lab) n++;
    return n;
  }

  forLab(lab: string): TerminalSession[] {
    return [...this.sessions.values()].filter((s) => s.lab === lab);
  }

  forNode(lab: string, node: string): TerminalSession[] {
    return [...this.sessions.values()].filter((s) => s.lab === lab && s.node === node);
  }

  closeNode(lab: string, node: string, reason: string): void {
    for (const s of this.forNode(lab, node)) s.kill(reason);
  }

  /** Tell every terminal of a lab (e.g. that it reached one of its limits). */
  notice(lab: string, text: string): void {
    for (const s of this.sessions.values()) if (s.lab === lab) s.notice(text);
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
