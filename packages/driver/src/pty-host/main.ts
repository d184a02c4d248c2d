// The pty host: a small detached process that owns the terminals' ptys, so a shell (and the
// tcpdump running in it) survives a server restart or crash. The server talks to it over a
// root-only unix socket, one connection per terminal. With nobody attached, a shell lives for its
// grace period and is then killed with its whole session; with no shells and no connections the host
// exits. Lab shells run in their sandbox's uid range, so destroying a lab kills them wherever they are
// held.
//
// One event loop serves every lab's shells, so nothing here may wait on one shell: input is written
// to the pty master with non-blocking writes, a full pty leaves the rest queued (a bounded queue per
// session, see INPUT_WINDOW) and retried on a backing-off timer, and control frames act at once.
//
//   node main.ts <socket path>
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, constants, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { spawn as spawnPty, type IPty } from '@lydell/node-pty';
import { pidsInSession } from '../proc.ts';
import { CLEAN_ENV } from '../run.ts';
import { encodeFrame, Frame, FrameReader, PTY_HOST_VERSION, type HelloRequest, type OpenRequest, type SessionInfo } from './frames.ts';

const SCROLLBACK = 256 * 1024;
const IDLE_EXIT_MS = 5000;
const MAX_SESSIONS = 2000;
/**
 * Input a client may have in flight to one session (it waits for INPUT_ACK beyond this), so what we
 * queue for a pty whose program does not read stays small, and a client's KILL or RESIZE is never
 * behind more than this on the socket.
 */
const INPUT_WINDOW = 64 * 1024;
/** A client that ignores the window is not read beyond this much queued input. */
const INPUT_QUEUE_MAX = 4 * INPUT_WINDOW;
/**
 * A full pty is retried after 1 ms, doubling to this while it stays full: a program that stopped
 * reading costs ~20 failed writes a second, not a spinning loop. Output from the program (it is
 * running, so maybe reading) retries at once.
 */
const INPUT_RETRY_MAX_MS = 50;
/**
 * Runs its arguments with nothing inherited but stdin, stdout and stderr (the pty). node-pty's fork
 * leaves the host's descriptors open in the child, every other session's pty master among them: a
 * shell in one lab could read another lab's terminal and type into it.
 */
const EXEC_WITHOUT_FDS =
  'use POSIX (); opendir(my $d, "/proc/self/fd") or die "/proc/self/fd: $!\\n"; my @fds = grep { /^\\d+$/ && $_ > 2 } readdir $d; closedir $d; ' +
  'POSIX::close($_) for @fds; exec { $ARGV[0] } @ARGV; die "$ARGV[0]: $!\\n"';

/** Flushes the kernel's input queue of the pty on its stdin (TCIFLUSH), which node has no call for. */
const TCIFLUSH_PROGRAM = 'use POSIX; tcflush(0, TCIFLUSH) or die "tcflush: $!\\n"';

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

/**
 * The pty master's fd, for writing it ourselves: node-pty's write goes through a libuv tty handle,
 * which for a pty master retries EAGAIN in a loop inside one write call, so a program that stops
 * reading its input froze the whole host at 100% CPU. Our writes must never block, so the fd has to
 * be non-blocking (node-pty makes it so; checked, not assumed).
 */
function masterFd(pty: IPty): number {
  const fd = (pty as unknown as { fd?: unknown }).fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('node-pty gave no pty master fd');
  const flags = /^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
  if (flags === undefined || (parseInt(flags, 8) & constants.O_NONBLOCK) === 0) throw new Error('the pty master is not non-blocking');
  return fd;
}

class HostedSession {
  readonly pty: IPty;
  private readonly fd: number;
  private ring: Buffer[] = [];
  private ringBytes = 0;
  conn: Socket | null = null;
  exit: SessionInfo['exit'];
  private graceTimer: NodeJS.Timeout | undefined;
  private explicitPause = false;
  private backpressure = false;
  /** Input not yet taken by the pty, oldest first. */
  private inq: Buffer[] = [];
  private inqBytes = 0;
  /** Input bytes of the current connection written or dropped (what INPUT_ACK reports). */
  private consumed = 0;
  private acked = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = 0;
  /** A ^C from INTERRUPT heads the queue; the kernel's queue may be flushed once for it. */
  private interruptPending = false;
  /**
   * The pty refused input (EAGAIN or a short write) and has not taken a whole queue since: its
   * program may have stopped reading with the kernel's queue full, where even a ^C that fits in
   * the pty's buffer would never reach the line discipline.
   */
  private pushedBack = false;
  private kernelFlushing = false;
  /** We stopped reading the connection: its client sent more than INPUT_QUEUE_MAX. */
  private connPaused = false;
  /** node-pty has closed (or is closing) the master fd: its number may soon name another file. */
  private fdClosed = false;

  constructor(readonly req: OpenRequest) {
    this.pty = spawnPty('perl', ['-e', EXEC_WITHOUT_FDS, '--', ...req.argv], { name: 'xterm-256color', cols: req.cols, rows: req.rows, cwd: '/', env: req.env, encoding: null });
    try {
      this.fd = masterFd(this.pty);
    } catch (e) {
      this.pty.kill('SIGKILL');
      throw e;
    }
    this.pty.onData((d) => {
      this.output(d as unknown as Buffer);
      // The program is running, so it may have read: a good moment to retry queued input.
      if (this.inqBytes && !this.kernelFlushing) this.pumpInput();
    });
    // 'close' (untyped, but node-pty's own API) comes when it stops using the fd, before it closes
    // it and before onExit: from then on a write could land in whatever file reuses the number.
    (this.pty as unknown as { on(event: 'close', cb: () => void): void }).on('close', () => {
      this.fdClosed = true;
      this.dropInput();
    });
    this.pty.onExit((e) => this.exited({ exitCode: e.exitCode, signal: e.signal ?? null }));
  }

  info(): SessionInfo {
    return { id: this.req.id, pid: this.pty.pid, lab: this.req.lab, node: this.req.node, inputWindow: INPUT_WINDOW, ...(this.exit ? { exit: this.exit } : {}) };
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
    // Acknowledgements count per connection: the new client starts from zero (and hears nothing
    // before SESSION).
    this.dropInput(false);
    this.consumed = 0;
    this.acked = 0;
    this.connPaused = false;
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
    // Typeahead from a client that went away is not typed into whatever runs next.
    this.dropInput();
    this.updatePause();
    this.graceTimer = setTimeout(() => {
      this.kill();
      forget(this);
    }, this.req.graceMs);
  }

  /** True when the connection should not be read further for now (its client overran the window). */
  get inputFull(): boolean {
    return this.inqBytes > INPUT_QUEUE_MAX;
  }

  /** The connection was paused for inputFull; pumpInput resumes it. */
  pausedConn(): void {
    this.connPaused = true;
  }

  private input(payload: Buffer): void {
    if (this.exit || this.fdClosed) {
      this.consumed += payload.length;
      this.ack();
      return;
    }
    // Kept as a copy: the payload is a view into a socket read, which the queue must not pin.
    this.inq.push(Buffer.from(payload));
    this.inqBytes += payload.length;
    if (this.inq.length === 1 && !this.kernelFlushing) this.pumpInput();
  }

  /**
   * Write queued input until the pty is full; never waits. What is left is retried by timer (1 ms,
   * doubling to INPUT_RETRY_MAX_MS while nothing goes in) or when the program prints something.
   */
  private pumpInput(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.exit || this.fdClosed || this.kernelFlushing) return;
    const before = this.consumed;
    while (this.inq.length) {
      const head = this.inq[0]!;
      let n: number;
      try {
        n = writeSync(this.fd, head);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          this.pushedBack = true;
          break;
        }
        // EIO: the pty's other side is gone (the shell is exiting); nothing will read this.
        this.dropInput();
        return;
      }
      this.consumed += n;
      this.inqBytes -= n;
      if (n < head.length) {
        this.pushedBack = true;
        this.inq[0] = head.subarray(n);
        break;
      }
      this.inq.shift();
      this.interruptPending = false;
    }
    const progressed = this.consumed > before;
    if (progressed) this.ack();
    if (!this.inq.length) {
      this.pushedBack = false;
      this.retryMs = 0;
      return;
    }
    if (this.interruptPending && !progressed) {
      // Not even the ^C fits: the program stopped reading with the kernel's queue full.
      this.flushKernelInput();
      return;
    }
    this.retryMs = progressed ? 1 : Math.min(INPUT_RETRY_MAX_MS, Math.max(1, this.retryMs * 2));
    this.retryTimer = setTimeout(() => this.pumpInput(), this.retryMs);
  }

  /**
   * TCIFLUSH on the pty's slave side (what the line discipline does itself on ^C with ISIG), by a
   * perl given the slave as its stdin. Opened here, by its path, while we hold the master, so the
   * path cannot name another session's pty by the time perl runs.
   */
  private flushKernelInput(): void {
    this.kernelFlushing = true;
    let settled = false;
    const done = (problem?: string) => {
      if (settled) return;
      settled = true;
      if (problem) process.stderr.write(`pty-host: flushing the input of ${this.req.id}: ${problem}\n`);
      this.kernelFlushing = false;
      this.interruptPending = false; // flushed once; if the ^C still does not fit, it waits like input
      this.pushedBack = false;
      this.pumpInput();
    };
    const pts = (this.pty as unknown as { ptsName?: unknown }).ptsName;
    if (typeof pts !== 'string' || !/^\/dev\/pts\/\d+$/.test(pts)) return done(`no pty path (${String(pts)})`);
    let slave: number;
    try {
      slave = openSync(pts, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    } catch (e) {
      return done((e as Error).message);
    }
    try {
      const child = spawn('perl', ['-e', TCIFLUSH_PROGRAM], { stdio: [slave, 'ignore', 'pipe'], env: { ...CLEAN_ENV }, timeout: 5000 });
      let err = '';
      child.stderr!.on('data', (b: Buffer) => {
        if (err.length < 1000) err += b.toString();
      });
      child.once('error', (e) => done(e.message));
      child.once('close', (code, signal) => done(code === 0 ? undefined : err.trim() || `exit ${code ?? signal}`));
    } catch (e) {
      done((e as Error).message);
    } finally {
      closeSync(slave);
    }
  }

  /** Forget queued input (acknowledged as done, so the client's window reopens). */
  private dropInput(ack = true): void {
    this.consumed += this.inqBytes;
    this.inq = [];
    this.inqBytes = 0;
    this.interruptPending = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryMs = 0;
    if (ack) this.ack();
  }

  private ack(): void {
    const c = this.conn;
    if (c && this.consumed !== this.acked) {
      this.acked = this.consumed;
      c.write(encodeFrame(Frame.INPUT_ACK, String(this.consumed)));
    }
    if (this.connPaused && this.inqBytes <= INPUT_WINDOW) {
      this.connPaused = false;
      c?.resume();
    }
  }

  frame(type: number, payload: Buffer): void {
    switch (type) {
      case Frame.INPUT:
        this.input(payload);
        break;
      case Frame.FLUSH:
        this.dropInput();
        break;
      case Frame.INTERRUPT: {
        const stuck = this.inqBytes > 0 || this.pushedBack;
        this.dropInput();
        this.interruptPending = !this.exit;
        if (stuck && !this.exit && !this.fdClosed && !this.kernelFlushing) {
          // Queued ahead of everything, written once the kernel's queue is flushed.
          this.inq.push(Buffer.from([0x03]));
          this.inqBytes += 1;
          this.flushKernelInput();
        } else this.input(Buffer.from([0x03]));
        break;
      }
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
    this.dropInput();
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
    this.dropInput();
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
          let s: HostedSession;
          try {
            s = new HostedSession(m);
          } catch (e) {
            return fail(`cannot start the shell: ${(e as Error).message}`);
          }
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
      // A client that ignores the input window is not read further until its shell catches up.
      if (session?.inputFull && session.conn === conn) {
        conn.pause();
        session.pausedConn();
      }
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
