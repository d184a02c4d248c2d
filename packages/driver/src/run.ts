// The only module in nslab that starts processes. Always argv arrays (execFile semantics), never a
// shell string, always a minimal environment so the server's own secrets never reach a lab.
import { spawn, type ChildProcess } from 'node:child_process';

export const CLEAN_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  HOME: '/tmp',
});

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  /** Bytes kept per stream; the rest is dropped and `truncated` set. */
  maxOutput?: number;
  env?: Record<string, string>;
}

export interface RunResult {
  argv: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  truncated: boolean;
  durationMs: number;
}

export class CommandError extends Error {
  readonly code = 'COMMAND_FAILED';
  constructor(readonly result: RunResult, message?: string) {
    super(message ?? `${result.argv.join(' ')}: ${firstLine(result.stderr) || `exit ${result.code ?? result.signal}`}`);
    this.name = 'CommandError';
  }
}

export function firstLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
}

/** What `collect` needs, every default applied: plain data, so it can cross to the spawner thread. */
export interface CollectOptions {
  input?: string | Uint8Array;
  timeoutMs?: number;
  maxOutput: number;
  env: Record<string, string>;
}

/** Set through setRunner (spawn-thread.ts): run() hands its processes to the spawner thread. */
let offThread: ((argv: readonly string[], o: CollectOptions) => Promise<RunResult>) | null = null;

export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  if (!argv[0]) return Promise.reject(new Error('run: empty argv'));
  const o: CollectOptions = { input: opts.input, timeoutMs: opts.timeoutMs, maxOutput: opts.maxOutput ?? 16 * 1024 * 1024, env: opts.env ?? { ...CLEAN_ENV } };
  return offThread ? offThread(argv, o) : collect(spawn, argv, o);
}

/** Where run() starts its processes from now on: a spawner thread's (the server), or this thread (null). */
export function setRunner(r: ((argv: readonly string[], o: CollectOptions) => Promise<RunResult>) | null): void {
  offThread = r;
}

/**
 * Starts argv and collects its output, exit and duration. Self-contained (no free names but
 * `spawn` and the globals every thread has): the spawner thread runs this very function from its
 * source text, so both threads start processes the same way.
 */
export function collect(spawnFn: typeof spawn, argv: readonly string[], opts: CollectOptions): Promise<RunResult> {
  const [cmd, ...args] = argv;
  const max = opts.maxOutput;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawnFn(cmd!, args, {
        env: opts.env,
        cwd: '/',
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true, // own process group, so a timeout kills the whole tree
      });
    } catch (e) {
      reject(e);
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let truncated = false;
    let timedOut = false;
    child.stdout!.on('data', (b: Buffer) => {
      if (outLen < max) out.push(b.subarray(0, max - outLen));
      if (outLen + b.length > max) truncated = true;
      outLen += b.length;
    });
    child.stderr!.on('data', (b: Buffer) => {
      if (errLen < max) err.push(b.subarray(0, max - errLen));
      if (errLen + b.length > max) truncated = true;
      errLen += b.length;
    });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          killGroup();
        }, opts.timeoutMs)
      : undefined;
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        argv: [...argv],
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        truncated,
        durationMs: performance.now() - started,
      });
    });
    child.stdin!.on('error', () => {
      /* the program may exit before reading its input; the exit code tells */
    });
    child.stdin!.end(opts.input ?? '');
  });
}

/** Like run, but a non-zero exit is an error carrying the program's own message. */
export async function runChecked(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new CommandError(r);
  return r;
}

/** Start a long-lived process that outlives its parent (the sandbox anchor). Returns its pid. */
export function spawnDetached(argv: readonly string[]): Promise<number> {
  const [cmd, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, args, { env: { ...CLEAN_ENV }, cwd: '/', stdio: 'ignore', detached: true });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve(child.pid!);
    });
  });
}

export interface StreamHandle {
  readonly pid: number | undefined;
  kill(): void;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
}

/** A long-running process whose stdout is delivered line by line (e.g. `ip monitor`). */
export function spawnLines(argv: readonly string[], onLine: (line: string) => void): StreamHandle {
  const [cmd, ...args] = argv;
  const child = spawn(cmd!, args, { env: { ...CLEAN_ENV }, cwd: '/', stdio: ['ignore', 'pipe', 'ignore'], detached: true });
  let buf = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    // A monitor never prints a line this long; cap memory if something goes wrong.
    if (buf.length > 1 << 20) buf = '';
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => resolve(code));
    child.on('error', () => resolve(null));
  });
  return {
    pid: child.pid,
    kill() {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
    exited,
  };
}

export interface PipedHandle extends StreamHandle {
  /** Writes to the process's stdin; false once it is gone. */
  write(text: string): boolean;
  /** The last few kilobytes the process wrote to stderr (why it died). */
  stderr(): string;
}

/**
 * A long-running process that answers requests: lines written to its stdin, its stdout delivered
 * line by line. Closing our end of stdin (our own exit included) is its cue to quit.
 */
export function spawnPiped(argv: readonly string[], onLine: (line: string) => void): PipedHandle {
  const [cmd, ...args] = argv;
  const child = spawn(cmd!, args, { env: { ...CLEAN_ENV }, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let buf = '';
  let err = '';
  let gone = false;
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buf += chunk;
    let start = 0;
    let nl: number;
    while ((nl = buf.indexOf('\n', start)) >= 0) {
      onLine(buf.slice(start, nl));
      start = nl + 1;
    }
    buf = buf.slice(start);
    if (buf.length > 1 << 20) buf = '';
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    err = (err + chunk).slice(-4096);
  });
  child.stdin!.on('error', () => {
    /* it exited; `exited` tells */
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      gone = true;
      resolve(code);
    });
    child.on('error', () => {
      gone = true;
      resolve(null);
    });
  });
  return {
    pid: child.pid,
    write(text: string) {
      if (gone || !child.stdin!.writable) return false;
      child.stdin!.write(text);
      return true;
    },
    stderr: () => err,
    kill() {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
    exited,
  };
}
