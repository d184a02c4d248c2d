// The terminal protocol client (ttyd framing, see @nslab/protocol TerminalOpcode), free of React and
// xterm.js so it can be unit-tested with a fake socket and a fake terminal.
//
// - The client speaks first: a RESIZE frame with the terminal's size; only then does the server start
//   (or reattach) the shell.
// - Output bytes go to the terminal as they are: xterm.js decodes UTF-8 itself and keeps a character
//   split across frames intact, which decoding each frame on its own would not.
// - Flow control as in ttyd: bytes handed to `term.write` whose callback has not run yet are "pending";
//   above HIGH_WATER we send PAUSE (the server stops reading the pty), below LOW_WATER RESUME. A flood
//   then costs bounded memory on both sides, the page keeps painting, and Ctrl-C reaches the shell.
// - A connection that drops without an exit frame is reattached with `?session=<id>` (the server keeps
//   the shell for a grace period and replays its scrollback), with backoff. Moving around inside the
//   app never drops it: the connection lives with the terminal, not with the page showing it.
import { TerminalOpcode } from '@nslab/protocol';

export const HIGH_WATER = 512 * 1024;
export const LOW_WATER = 128 * 1024;
/**
 * How long to keep trying to reattach while the server cannot be reached (restarting, the laptop
 * waking up): as long as the server keeps a dropped shell by default (30 min). A server that is up
 * answers at once whether the shell is still there.
 */
export const RECONNECT_WINDOW_MS = 30 * 60_000;
/** Close codes the server treats as "end the shell for good". */
export const CLOSE_FOR_GOOD = 4000;

/** The part of an xterm.js Terminal the connection needs. */
export interface TerminalSink {
  write(data: string | Uint8Array, callback?: () => void): void;
  readonly cols: number;
  readonly rows: number;
}

/** The part of a browser WebSocket the connection needs. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type TerminalStatus = 'connecting' | 'open' | 'reconnecting' | 'exited';

export interface ExitInfo {
  code: number | null;
  signal: number | null;
  reason: string;
  /** Set when the server refused the terminal (SESSION_NOT_FOUND, LIMIT_TERMINALS, …). */
  error?: string;
}

export interface ConnectionOptions {
  /** WebSocket URL for a new terminal, or for reattaching to `session`. */
  url: (session: string | null) => string;
  term: TerminalSink;
  /** `new WebSocket(url)` in the browser; injected so node (tests, the bench) can use `ws` or a fake. */
  createSocket: (url: string) => SocketLike;
  onStatus?: (status: TerminalStatus, detail: { session: string | null; exit: ExitInfo | null }) => void;
  highWater?: number;
  lowWater?: number;
}

const OPEN = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function frame(op: number, payload?: Uint8Array): Uint8Array {
  const f = new Uint8Array(1 + (payload?.length ?? 0));
  f[0] = op;
  if (payload) f.set(payload, 1);
  return f;
}

/** Why a shell is gone, in words: "process exited: namespace ns2 was deleted". */
export function describeExit(e: ExitInfo): string {
  if (e.error) return `terminal closed: ${e.reason}`;
  if (e.reason && e.reason !== 'exited') return `process exited: ${e.reason}`;
  if (e.signal) return `process killed by signal ${e.signal}`;
  return `process exited with code ${e.code ?? '?'}`;
}

/** The line written into the terminal when its shell is gone, so the reason stays on screen. */
export function exitMessage(e: ExitInfo): string {
  // Own line, bold yellow, attributes reset after.
  return `\r\n\x1b[0;1;33m[${describeExit(e)}]\x1b[0m\r\n`;
}

/** Ack after this many rendered bytes: small against the server's 256 KiB window. */
const ACK_EVERY = 32 * 1024;

export class TerminalConnection {
  session: string | null = null;
  status: TerminalStatus = 'connecting';
  exit: ExitInfo | null = null;
  /** Bytes written to the terminal whose write callback has not run yet. */
  pending = 0;
  paused = false;
  /** Output bytes received so far (all connections). */
  received = 0;
  /** PAUSE frames sent so far. */
  pauses = 0;

  private socket: SocketLike | null = null;
  private closedByUser = false;
  private attempt = 0;
  private droppedAt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private lastSize = { cols: 0, rows: 0 };
  private readonly high: number;
  private readonly low: number;
  /** Rendered bytes not yet acknowledged to the server (see TerminalOpcode.ACK). */
  private toAck = 0;

  constructor(private readonly opts: ConnectionOptions) {
    this.high = opts.highWater ?? HIGH_WATER;
    this.low = opts.lowWater ?? LOW_WATER;
  }

  connect(): void {
    const ws = this.opts.createSocket(this.opts.url(this.session));
    ws.binaryType = 'arraybuffer';
    this.socket = ws;
    ws.onopen = () => {
      if (ws !== this.socket) return;
      // The server resets its pause state per connection; so do we.
      this.paused = false;
      this.toAck = 0;
      const { cols, rows } = this.opts.term;
      this.lastSize = { cols, rows };
      ws.send(frame(TerminalOpcode.RESIZE, encoder.encode(JSON.stringify({ columns: cols, rows }))));
      if (this.pending > this.high) this.setPaused(true);
    };
    ws.onmessage = (ev) => {
      if (ws === this.socket && ev.data instanceof ArrayBuffer) this.onFrame(new Uint8Array(ev.data));
    };
    ws.onclose = (ev) => {
      if (ws === this.socket) this.onClose(ev.code);
    };
    // An error is always followed by close; nothing to do here.
    ws.onerror = () => {};
  }

  private onFrame(f: Uint8Array): void {
    if (f.length === 0) return;
    const body = f.subarray(1);
    switch (f[0]) {
      case TerminalOpcode.OUTPUT:
        this.output(body);
        break;
      case TerminalOpcode.SESSION: {
        const { session } = JSON.parse(decoder.decode(body)) as { session: string };
        // Reattached: the server replays its scrollback next. Reset first (queued behind earlier
        // writes, unlike term.reset()) so the screen is rebuilt once instead of printed twice.
        if (this.session === session) this.opts.term.write('\x1bc');
        this.session = session;
        this.attempt = 0;
        this.setStatus('open');
        break;
      }
      case TerminalOpcode.EXIT: {
        const e = JSON.parse(decoder.decode(body)) as ExitInfo;
        this.exit = { code: e.code ?? null, signal: e.signal ?? null, reason: String(e.reason ?? ''), ...(e.error ? { error: String(e.error) } : {}) };
        this.opts.term.write(exitMessage(this.exit));
        this.setStatus('exited');
        break;
      }
      default:
        break;
    }
  }

  private output(bytes: Uint8Array): void {
    const n = bytes.length;
    this.received += n;
    this.pending += n;
    const ws = this.socket;
    this.opts.term.write(bytes, () => {
      this.pending -= n;
      if (this.paused && this.pending < this.low) this.setPaused(false);
      // Acks let the server bound what is in flight, socket buffers included.
      if (ws !== this.socket) return;
      this.toAck += n;
      if (this.toAck >= ACK_EVERY) {
        this.send(frame(TerminalOpcode.ACK, encoder.encode(String(this.toAck))));
        this.toAck = 0;
      }
    });
    if (!this.paused && this.pending > this.high) this.setPaused(true);
  }

  private setPaused(p: boolean): void {
    this.paused = p;
    if (p) this.pauses++;
    this.send(frame(p ? TerminalOpcode.PAUSE : TerminalOpcode.RESUME));
  }

  private onClose(code: number): void {
    this.socket = null;
    if (this.closedByUser || this.status === 'exited') return;
    // 4001: the same session was attached from elsewhere (another tab); do not fight over it.
    if (code === 4001) {
      this.exit = { code: null, signal: null, reason: 'attached in another window' };
      this.opts.term.write(exitMessage(this.exit));
      this.setStatus('exited');
      return;
    }
    if (this.attempt === 0) {
      this.droppedAt = Date.now();
      this.opts.term.write('\r\n\x1b[0;2m[connection lost, reconnecting…]\x1b[0m');
    }
    if (Date.now() - this.droppedAt > RECONNECT_WINDOW_MS) {
      this.exit = { code: null, signal: null, reason: 'connection lost' };
      this.opts.term.write(exitMessage(this.exit));
      this.setStatus('exited');
      return;
    }
    this.setStatus('reconnecting');
    const delay = Math.min(5000, 250 * 2 ** this.attempt);
    this.attempt++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closedByUser) this.connect();
    }, delay);
  }

  private setStatus(s: TerminalStatus): void {
    this.status = s;
    this.opts.onStatus?.(s, { session: this.session, exit: this.exit });
  }

  private send(f: Uint8Array): void {
    if (this.socket && this.socket.readyState === OPEN) this.socket.send(f);
  }

  /** Keyboard input from xterm's onData: a JS string, sent as UTF-8. */
  input(data: string): void {
    if (this.status === 'open') this.send(frame(TerminalOpcode.INPUT, encoder.encode(data)));
  }

  /** xterm's onBinary (some mouse reports): one byte per char code, not UTF-8. */
  binary(data: string): void {
    if (this.status !== 'open') return;
    const b = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) b[i] = data.charCodeAt(i) & 0xff;
    this.send(frame(TerminalOpcode.INPUT, b));
  }

  resize(cols: number, rows: number): void {
    if (cols === this.lastSize.cols && rows === this.lastSize.rows) return;
    if (!this.socket || this.socket.readyState !== OPEN) return; // the next connect sends the size
    this.lastSize = { cols, rows };
    this.send(frame(TerminalOpcode.RESIZE, encoder.encode(JSON.stringify({ columns: cols, rows }))));
  }

  /** Close for good: the server ends the shell (close code 4000). */
  close(): void {
    this.closedByUser = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const ws = this.socket;
    this.socket = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      ws.close(CLOSE_FOR_GOOD, 'closed');
    }
  }
}
