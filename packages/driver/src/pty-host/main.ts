// The pty host: a small detached process that owns the terminals' ptys, so a shell (and the
// tcpdump running in it) survives a server restart or crash. The server talks to it over a
// root-only unix socket, one connection per terminal. With nobody attached, a shell lives for its
// grace period and is then killed with its whole session; with no shells and no connections the host
// exits. Lab shells run in their sandbox's uid range, so destroying a lab kills them wherever they are
// held.
//
//   node main.ts <socket path>
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';
import { spawn as spawnPty, type IPty } from '@lydell/node-pty';
import { pidsInSession } from '../proc.ts';
import { encodeFrame, Frame, FrameReader, PTY_HOST_VERSION, type HelloRequest, type OpenRequest, type SessionInfo } from './frames.ts';

const SCROLLBACK = 256 * 1024;
const IDLE_EXIT_MS = 5000;
const MAX_SESSIONS = 2000;

const socketPath = process.argv[2];
if (!socketPath) {
  process.stderr.write('usage: pty-host <socket>\n');
  process.exit(2);
}

/** A frame as two writes (header, then the pty's own buffer), so a flood is not copied once more. */
function writeFrame(c: Socket, type: number, payload: Buffer): boolean {
  const head = Buffer.allocUnsafe(5);
  head[0] = type;
  head.writeUInt32BE(payload.length, 1);
  c.cork();
  c.write(head);
  const ok = c.write(payload);
  c.uncork();
  return ok;
}

class HostedSession {
  readonly pty: IPty;
  private ring: Buffer[] = [];
  private ringBytes = 0;
  conn: Socket | null = null;
  exit: SessionInfo['exit'];
  private graceTimer: NodeJS.Timeout | undefined;
  private explicitPause = false;
  private backpressure = false;

  constructor(readonly req: OpenRequest) {
    this.pty = spawnPty(req.argv[0]!, req.argv.slice(1), { name: 'xterm-256color', cols: req.cols, rows: req.rows, cwd: '/', env: req.env, encoding: null });
    this.pty.onData((d) => this.output(d as unknown as Buffer));
    this.pty.onExit((e) => this.exited({ exitCode: e.exitCode, signal: e.signal ?? null }));
  }

  info(): SessionInfo {
    return { id: this.req.id, pid: this.pty.pid, lab: this.req.lab, node: this.req.node, ...(this.exit ? { exit: this.exit } : {}) };
  }

  private output(d: Buffer): void {
    this.ring.push(d);
    this.ringBytes += d.length;
    while (this.ringBytes > SCROLLBACK && this.ring.length > 1) this.ringBytes -= this.ring.shift()!.length;
    const c = this.conn;
    if (c && !writeFrame(c, Frame.OUTPUT, d)) {
      this.backpressure = true;
      this.updatePause();
      c.once('drain', () => {
        this.backpressure = false;
        this.updatePause();
      });
    }
  }

  private updatePause(): void {
    if (this.exit) return;
    // Detached shells keep being read (into the bounded ring) so they never block on output.
    if (this.conn && (this.explicitPause || this.backpressure)) this.pty.pause();
    else this.pty.resume();
  }

  attach(conn: Socket, replay: boolean): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    if (this.conn && this.conn !== conn) this.conn.destroy();
    this.conn = conn;
    this.explicitPause = false;
    this.backpressure = false;
    conn.write(encodeFrame(Frame.SESSION, JSON.stringify(this.info())));
    // Always sent on attach (maybe empty), so the client knows where the replay ends.
    if (replay) conn.write(encodeFrame(Frame.REPLAY, Buffer.concat(this.ring)));
    if (this.exit) {
      this.deliverExit();
      return;
    }
    this.updatePause();
  }

  detach(conn: Socket): void {
    if (this.conn !== conn) return;
    this.conn = null;
    this.updatePause();
    this.graceTimer = setTimeout(() => {
      this.kill();
      forget(this);
    }, this.req.graceMs);
  }

  frame(type: number, payload: Buffer): void {
    switch (type) {
      case Frame.INPUT:
        if (!this.exit) this.pty.write(payload as unknown as string);
        break;
      case Frame.RESIZE: {
        try {
          const { cols, rows } = JSON.parse(payload.toString('utf8')) as { cols: unknown; rows: unknown };
          if (!this.exit && Number.isInteger(cols) && Number.isInteger(rows) && (cols as number) > 0 && (rows as number) > 0 && (cols as number) <= 1000 && (rows as number) <= 500) {
            this.pty.resize(cols as number, rows as number);
          }
        } catch {
          /* a malformed resize or one racing the exit */
        }
        break;
      }
      case Frame.PAUSE:
        this.explicitPause = true;
        this.updatePause();
        break;
      case Frame.RESUME:
        this.explicitPause = false;
        this.updatePause();
        break;
      case Frame.KILL:
        this.kill();
        break;
      default:
        break;
    }
  }

  /** The shell and everything it started (its whole session, whatever the process groups). */
  kill(): void {
    if (this.exit) return;
    for (const pid of pidsInSession(this.pty.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    try {
      this.pty.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }

  private exited(e: NonNullable<SessionInfo['exit']>): void {
    this.exit = e;
    if (this.conn) this.deliverExit();
    // Detached: kept (with its exit status) until someone attaches or the grace period ends.
  }

  private deliverExit(): void {
    const c = this.conn;
    this.conn = null;
    c?.end(encodeFrame(Frame.EXIT, JSON.stringify(this.exit)));
    if (this.graceTimer) clearTimeout(this.graceTimer);
    forget(this);
  }
}

const sessions = new Map<string, HostedSession>();
const conns = new Set<Socket>();
let idleTimer: NodeJS.Timeout | undefined;

function forget(s: HostedSession): void {
  if (sessions.get(s.req.id) === s) sessions.delete(s.req.id);
  maybeIdle();
}

function maybeIdle(): void {
  if (idleTimer || sessions.size || conns.size) return;
  idleTimer = setTimeout(() => {
    idleTimer = undefined;
    if (sessions.size || conns.size) return;
    server.close();
    rmSync(socketPath!, { force: true });
    process.exit(0);
  }, IDLE_EXIT_MS);
}

function validOpen(m: Record<string, unknown>): m is OpenRequest & Record<string, unknown> {
  const str = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length < 256;
  return (
    str(m.id) && str(m.lab) && str(m.node) &&
    Array.isArray(m.argv) && m.argv.length > 0 && m.argv.every((a) => typeof a === 'string') &&
    typeof m.env === 'object' && m.env !== null && Object.values(m.env).every((v) => typeof v === 'string') &&
    Number.isInteger(m.cols) && Number.isInteger(m.rows) && Number.isInteger(m.graceMs) && (m.graceMs as number) >= 0
  );
}

function onConnection(conn: Socket): void {
  conns.add(conn);
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  const reader = new FrameReader();
  let session: HostedSession | null = null;
  const fail = (message: string) => conn.end(encodeFrame(Frame.ERROR, JSON.stringify({ message })));
  conn.on('data', (chunk: Buffer) => {
    try {
      reader.push(chunk, (type, payload) => {
        if (session) return session.frame(type, payload);
        if (type !== Frame.HELLO) return fail('the first frame must be HELLO');
        const m = JSON.parse(payload.toString('utf8')) as HelloRequest & Record<string, unknown>;
        if (m.v !== PTY_HOST_VERSION) return fail(`pty host speaks version ${PTY_HOST_VERSION}, client ${String(m.v)}`);
        if (m.op === 'list') {
          conn.end(encodeFrame(Frame.LIST, JSON.stringify([...sessions.values()].map((s) => s.info()))));
        } else if (m.op === 'open') {
          if (!validOpen(m)) return fail('bad open request');
          if (sessions.has(m.id)) return fail(`session ${m.id} exists`);
          if (sessions.size >= MAX_SESSIONS) return fail(`the pty host holds at most ${MAX_SESSIONS} shells`);
          const s = new HostedSession(m);
          sessions.set(m.id, s);
          session = s;
          s.attach(conn, false);
        } else if (m.op === 'attach') {
          const s = typeof m.id === 'string' ? sessions.get(m.id) : undefined;
          if (!s) return fail('no such session');
          session = s;
          s.attach(conn, true);
        } else fail('unknown op');
      });
    } catch (e) {
      conn.destroy();
      process.stderr.write(`pty-host: ${(e as Error).message}\n`);
    }
  });
  conn.on('error', () => {});
  conn.on('close', () => {
    conns.delete(conn);
    session?.detach(conn);
    maybeIdle();
  });
}

const server: Server = createServer(onConnection);

function listen(retry: boolean): void {
  server.once('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EADDRINUSE' || !retry) {
      process.stderr.write(`pty-host: ${e.message}\n`);
      process.exit(1);
    }
    // Someone holds the path: a live host (then we are not needed) or a stale socket file.
    const probe = createConnection(socketPath!);
    probe.once('connect', () => {
      probe.destroy();
      process.exit(0);
    });
    probe.once('error', () => {
      rmSync(socketPath!, { force: true });
      listen(false);
    });
  });
  const old = process.umask(0o077);
  server.listen(socketPath, () => {
    process.umask(old);
    chmodSync(socketPath!, 0o600);
    maybeIdle();
  });
}

process.on('SIGHUP', () => {});
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {
  for (const s of sessions.values()) s.kill();
  rmSync(socketPath, { force: true });
  process.exit(0);
});
process.on('uncaughtException', (e) => {
  // Dying would hang up every learner's shell: log and carry on.
  process.stderr.write(`pty-host: uncaught ${e.stack ?? e.message}\n`);
});

listen(true);
