// The server's side of the pty host: start it when needed, open or re-attach a shell over one
// socket connection each, list what it holds after a restart.
import { createConnection, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { stateDir } from '../state-dir.ts';
import { spawnDetached } from '../run.ts';
import { encodeFrame, Frame, FrameReader, PTY_HOST_VERSION, type HelloRequest, type OpenRequest, type SessionInfo } from './frames.ts';

export type { SessionInfo } from './frames.ts';

export function ptyHostSocket(): string {
  // Overridable so a test can make a server start its own host rather than share the running one.
  return process.env.NSLAB_PTY_HOST_SOCKET ?? join(stateDir(), 'pty-host.sock');
}

/** The host's entry: next to this file when run from source (tsx), `pty-host.mjs` beside a bundle. */
function hostArgv(socket: string): string[] {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) {
    // createRequire, not import.meta.resolve: the latter is missing under vitest's module runner.
    const tsx = pathToFileURL(createRequire(self).resolve('tsx')).href;
    return [process.execPath, '--import', tsx, join(self, '..', 'main.ts'), socket];
  }
  return [process.execPath, join(self, '..', 'pty-host.mjs'), socket];
}

function connect(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.removeListener('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

let starting: Promise<void> | null = null;

async function connectOrStart(): Promise<Socket> {
  const path = ptyHostSocket();
  try {
    return await connect(path);
  } catch {
    /* not running (or a stale socket file): start one */
  }
  starting ??= (async () => {
    await spawnDetached(hostArgv(path));
  })().finally(() => {
    starting = null;
  });
  await starting;
  const end = Date.now() + 10_000;
  for (;;) {
    try {
      return await connect(path);
    } catch (e) {
      if (Date.now() > end) throw new Error(`the terminal host did not start: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * A shell held by the pty host, seen through one connection.
 *
 * Input flow control: at most the host's `inputWindow` bytes of input are on the socket or queued
 * at the host unacknowledged (INPUT_ACK); the rest waits here. So a program that stops reading costs
 * the host a bounded queue, and control frames (resize, pause, kill, interrupt), which are sent at
 * once, never wait behind more than one window of input. Whoever writes watches `inputPending` and
 * stops reading its own source when it grows (the server stops reading the browser's WebSocket).
 */
export class HostedShell {
  private dataCbs: ((d: Buffer) => void)[] = [];
  private exitCbs: ((e: { exitCode: number; signal?: number }) => void)[] = [];
  private progressCbs: (() => void)[] = [];
  private pendingData: Buffer[] = [];
  private pendingExit: { exitCode: number; signal?: number } | null = null;
  private ended = false;
  private detaching = false;
  /** Input held back by the window, oldest first. */
  private inq: Buffer[] = [];
  private inqBytes = 0;
  private sentInput = 0;
  private ackedInput = 0;

  private constructor(
    private readonly sock: Socket,
    readonly info: SessionInfo,
    /** The host's scrollback, on re-attach. */
    readonly replay: Buffer,
  ) {}

  get pid(): number {
    return this.info.pid;
  }

  /** Connect with HELLO and wait for SESSION (+ REPLAY). */
  static async start(hello: HelloRequest, spawnIfNeeded: boolean): Promise<HostedShell> {
    const sock = spawnIfNeeded ? await connectOrStart() : await connect(ptyHostSocket());
    return new Promise((resolve, reject) => {
      const reader = new FrameReader();
      let shell: HostedShell | null = null;
      let info: SessionInfo | null = null;
      const settle = (replay: Buffer) => {
        shell = new HostedShell(sock, info!, replay);
        resolve(shell);
      };
      const fail = (e: Error) => {
        sock.destroy();
        reject(e);
      };
      sock.on('data', (chunk: Buffer) => {
        try {
          reader.push(chunk, (type, payload) => {
            if (shell) return shell.frame(type, payload);
            if (type === Frame.ERROR) {
              fail(new Error(`terminal host: ${(JSON.parse(payload.toString()) as { message: string }).message}`));
            } else if (type === Frame.SESSION) {
              info = JSON.parse(payload.toString()) as SessionInfo;
              // A re-attach replays scrollback next; an open does not.
              if (hello.op === 'open') settle(Buffer.alloc(0));
            } else if (type === Frame.REPLAY && info) {
              settle(Buffer.from(payload));
            } else {
              // The host always answers SESSION (then REPLAY on attach) before anything else.
              fail(new Error(`terminal host: unexpected frame ${type} before the session`));
            }
          });
        } catch (e) {
          fail(e as Error);
        }
      });
      sock.on('error', (e) => {
        if (!shell) reject(e);
      });
      sock.on('close', () => {
        if (!shell) reject(new Error('terminal host closed the connection'));
        else (shell as HostedShell).closed();
      });
      sock.write(encodeFrame(Frame.HELLO, JSON.stringify(hello)));
    });
  }

  private frame(type: number, payload: Buffer): void {
    if (type === Frame.INPUT_ACK) {
      const n = Number(payload.toString('ascii'));
      // A running total; anything else is a confused host, and is ignored rather than trusted.
      if (!Number.isSafeInteger(n) || n < this.ackedInput || n > this.sentInput) return;
      this.ackedInput = n;
      this.pumpInput();
      for (const cb of this.progressCbs) cb();
    } else if (type === Frame.OUTPUT) {
      // A view, not a copy: the reader never writes into a buffer it has handed out, and consumers
      // copy what they keep (the server's scrollback is a ring), so socket chunks are not pinned.
      const d = payload;
      if (this.dataCbs.length) for (const cb of this.dataCbs) cb(d);
      else this.pendingData.push(d);
    } else if (type === Frame.EXIT) {
      const e = JSON.parse(payload.toString()) as { exitCode: number; signal: number | null };
      this.emitExit({ exitCode: e.exitCode, ...(e.signal ? { signal: e.signal } : {}) });
    }
  }

  private emitExit(e: { exitCode: number; signal?: number }): void {
    if (this.ended) return;
    this.ended = true;
    this.inq = [];
    this.inqBytes = 0;
    this.ackedInput = this.sentInput;
    if (this.exitCbs.length) for (const cb of this.exitCbs) cb(e);
    else this.pendingExit = e;
  }

  private closed(): void {
    // The host went away under a live shell (it crashed, or was killed): the shell is gone with it.
    if (!this.detaching) this.emitExit({ exitCode: -1 });
  }

  onData(cb: (d: Buffer) => void): void {
    this.dataCbs.push(cb);
    for (const d of this.pendingData.splice(0)) cb(d);
  }

  onExit(cb: (e: { exitCode: number; signal?: number }) => void): void {
    this.exitCbs.push(cb);
    if (this.pendingExit) cb(this.pendingExit);
  }

  private send(type: number, payload?: Buffer | string): void {
    if (!this.ended && !this.sock.destroyed) this.sock.write(encodeFrame(type, payload));
  }

  /** Input written and not yet taken by the pty (held here, on the socket, or queued at the host). */
  get inputPending(): number {
    return this.inqBytes + this.sentInput - this.ackedInput;
  }

  /** `cb` runs whenever the host reports input taken (or dropped). */
  onInputProgress(cb: () => void): void {
    this.progressCbs.push(cb);
  }

  write(d: Buffer | string): void {
    const b = typeof d === 'string' ? Buffer.from(d, 'utf8') : d;
    if (!b.length || this.ended || this.sock.destroyed) return;
    // A host from before flow control takes everything (and acknowledges nothing).
    if (!this.info.inputWindow) return this.send(Frame.INPUT, b);
    let rest = b;
    if (!this.inq.length) {
      const room = this.info.inputWindow - (this.sentInput - this.ackedInput);
      if (room > 0) {
        const now = rest.subarray(0, room);
        this.sentInput += now.length;
        this.send(Frame.INPUT, now);
        rest = rest.subarray(now.length);
      }
    }
    if (rest.length) {
      // A copy: the caller's buffer may be a view into a socket read that it would pin.
      this.inq.push(Buffer.from(rest));
      this.inqBytes += rest.length;
    }
  }

  private pumpInput(): void {
    const window = this.info.inputWindow ?? 0;
    while (this.inq.length && this.sentInput - this.ackedInput < window) {
      const room = window - (this.sentInput - this.ackedInput);
      let chunk = this.inq[0]!;
      if (chunk.length > room) {
        this.inq[0] = chunk.subarray(room);
        chunk = chunk.subarray(0, room);
      } else this.inq.shift();
      this.inqBytes -= chunk.length;
      this.sentInput += chunk.length;
      this.send(Frame.INPUT, chunk);
    }
  }

  /** Drop input the pty has not taken yet (typeahead), here and at the host. */
  flushInput(): void {
    this.inq = [];
    this.inqBytes = 0;
    if (this.info.inputWindow && this.sentInput > this.ackedInput) this.send(Frame.FLUSH);
  }

  /** Ctrl-C ahead of any queued input (see Frame.INTERRUPT). */
  interrupt(): void {
    this.inq = [];
    this.inqBytes = 0;
    if (!this.info.inputWindow) return this.send(Frame.INPUT, '\x03');
    if (this.ended || this.sock.destroyed) return;
    this.sentInput += 1;
    this.send(Frame.INTERRUPT);
  }
  resize(cols: number, rows: number): void {
    this.send(Frame.RESIZE, JSON.stringify({ cols, rows }));
  }
  pause(): void {
    this.send(Frame.PAUSE);
  }
  resume(): void {
    this.send(Frame.RESUME);
  }
  kill(): void {
    this.send(Frame.KILL);
  }
  /** Let go without killing: the host keeps the shell for its grace period (a server restart). */
  detach(): void {
    this.detaching = true;
    this.sock.destroy();
  }
}

export function openHostedShell(req: Omit<OpenRequest, 'op' | 'v'>): Promise<HostedShell> {
  return HostedShell.start({ op: 'open', v: PTY_HOST_VERSION, ...req }, true);
}

export function attachHostedShell(id: string): Promise<HostedShell> {
  return HostedShell.start({ op: 'attach', v: PTY_HOST_VERSION, id }, false);
}

/** What the host holds; none when it is not running (no host is started for this). */
export async function listHostedShells(): Promise<SessionInfo[]> {
  if (!existsSync(ptyHostSocket())) return [];
  let sock: Socket;
  try {
    sock = await connect(ptyHostSocket());
  } catch {
    return [];
  }
  return new Promise((resolve, reject) => {
    const reader = new FrameReader();
    sock.on('data', (chunk: Buffer) =>
      reader.push(chunk, (type, payload) => {
        if (type === Frame.LIST) resolve(JSON.parse(payload.toString()) as SessionInfo[]);
        else reject(new Error(`terminal host: ${payload.toString()}`));
      }),
    );
    sock.on('error', reject);
    sock.on('close', () => resolve([]));
    sock.write(encodeFrame(Frame.HELLO, JSON.stringify({ op: 'list', v: PTY_HOST_VERSION })));
  });
}
