// `nslab exec [-i] [-t] [--timeout SECONDS] [-e NAME=VALUE]... <lab> <node> [--] <cmd> [args...]`:
// like `docker exec` / `ip netns exec`. Output streams as the command writes it, input is forwarded,
// signals nslab receives go to the command, the command's exit status is nslab's, and when nslab ends
// (however it ends) the command and everything it started in the lab end too. The work is the
// driver's (exec-stream.ts); this file maps a terminal onto it.
import { fstatSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { findSandbox, startExec, type ForwardedSignal } from '@nslab/driver';

export class ExecUsageError extends Error {}

export interface ExecIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /**
   * The nslab process itself, when this is the real command: its stdin is forwarded, its signals
   * too, and bytes go to its stdout and stderr as they come. Without it (in-process callers) the
   * command gets no input and its output arrives as text through out/err.
   */
  proc?: NodeJS.Process;
}

export interface ExecArgs {
  lab: string;
  node: string;
  argv: string[];
  interactive: boolean;
  tty: boolean;
  timeoutSeconds?: number;
  env: Record<string, string>;
}

const OPTIONS_HELP = 'options: -i, -t, -it, --timeout SECONDS, -e NAME=VALUE';
/** setTimeout's limit (~24.8 days). */
const MAX_TIMEOUT_S = 2_147_483;

function timeoutValue(v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isFinite(n) || n <= 0 || n > MAX_TIMEOUT_S) {
    throw new ExecUsageError(`--timeout must be a number of seconds above 0 and at most ${MAX_TIMEOUT_S} (got ${v === undefined ? 'nothing' : JSON.stringify(v)})`);
  }
  return n;
}

function envValue(v: string | undefined, env: Record<string, string>): void {
  const m = v === undefined ? null : /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(v);
  if (!m) throw new ExecUsageError(`-e must be NAME=VALUE, NAME being letters, digits and _ not starting with a digit (got ${v === undefined ? 'nothing' : JSON.stringify(v)})`);
  env[m[1]!] = m[2]!;
}

/**
 * Options come before the command: with `--`, anywhere before it; without, before the node (so
 * `nslab exec L ns1 ping -c 1 x` keeps working: everything from the third word on is the command).
 */
export function parseExecArgs(args: string[]): ExecArgs {
  const dash = args.indexOf('--');
  const head = dash >= 0 ? args.slice(0, dash) : args;
  const positionals: string[] = [];
  const out: ExecArgs = { lab: '', node: '', argv: [], interactive: false, tty: false, env: {} };
  let i = 0;
  for (; i < head.length; i++) {
    if (dash < 0 && positionals.length === 2) break;
    const a = head[i]!;
    if (!a.startsWith('-') || a === '-') {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = () => inline ?? head[++i];
    if (flag === '--interactive') out.interactive = true;
    else if (flag === '--tty') out.tty = true;
    else if (flag === '--timeout') out.timeoutSeconds = timeoutValue(value());
    else if (flag === '-e' || flag === '--env') envValue(value(), out.env);
    else if (/^-[it]+$/.test(flag)) {
      if (flag.includes('i')) out.interactive = true;
      if (flag.includes('t')) out.tty = true;
    } else throw new ExecUsageError(`unknown option ${flag} for exec (${OPTIONS_HELP})`);
  }
  if (!positionals[0]) throw new ExecUsageError('missing lab name: nslab exec [options] <NAME> <NODE> -- <command> [args...]');
  if (!positionals[1]) throw new ExecUsageError('missing node name ("host" for the lab host): nslab exec [options] <NAME> <NODE> -- <command> [args...]');
  if (positionals.length > 2) throw new ExecUsageError(`exec takes <NAME> <NODE> before --, then the command (got also ${positionals.slice(2).map((p) => JSON.stringify(p)).join(' ')})`);
  out.lab = positionals[0];
  out.node = positionals[1];
  out.argv = dash >= 0 ? args.slice(dash + 1) : head.slice(i);
  if (out.argv.length === 0) throw new ExecUsageError('missing command after --');
  return out;
}

/** stdout and stderr are one file (a terminal, or `2>&1`): the command then gets one pipe for both. */
function sameFile(a: number, b: number): boolean {
  try {
    const x = fstatSync(a);
    const y = fstatSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

// Terminal-generated and job-control signals; SIGUSR1 is node's debugger switch, so not taken.
const FORWARD: ForwardedSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
const KILL_GRACE_MS = 2000;

export async function execCmd(args: string[], io: ExecIo): Promise<number> {
  const a = parseExecArgs(args);
  const p = io.proc;
  const stdinTty = p?.stdin.isTTY === true;
  // Piped or redirected input always goes to the command (`echo hi | nslab exec L host -- cat`);
  // a terminal only with -i, so a plain `nslab exec` never takes the keyboard from the shell.
  const forward = p !== undefined && (a.interactive || !stdinTty);
  // A terminal that reports no size (0x0, some serial consoles) gets the classic 80x24.
  const size = { cols: (p?.stdout.isTTY && p.stdout.columns) || 80, rows: (p?.stdout.isTTY && p.stdout.rows) || 24 };
  const term = process.env.TERM && /^[A-Za-z0-9._+-]{1,64}$/.test(process.env.TERM) ? process.env.TERM : undefined;
  const ex = await startExec(a.lab, a.node, a.argv, {
    tty: a.tty ? { ...size, ...(term ? { term } : {}) } : undefined,
    stdin: forward,
    mergeOutput: !a.tty && p !== undefined && sameFile(1, 2),
    env: a.env,
    logAs: 'cli',
  });

  const sink = (stream: NodeJS.WriteStream | undefined, text: (s: string) => void, from: NodeJS.ReadableStream) => {
    if (stream) {
      from.on('data', (b: Buffer) => {
        if (!stream.write(b)) {
          from.pause();
          stream.once('drain', () => from.resume());
        }
      });
      return () => {};
    }
    const dec = new StringDecoder('utf8');
    from.on('data', (b: Buffer) => text(dec.write(b)));
    return () => text(dec.end());
  };
  const endOut = sink(p?.stdout, io.out, ex.stdout);
  const endErr = sink(p?.stderr, io.err, ex.stderr);

  const raw = a.tty && forward && stdinTty;
  const cleanups: (() => void)[] = [];
  if (p && forward && ex.stdin) {
    const input = ex.stdin;
    // Keys go to the lab's pty as typed (its line discipline echoes and turns ^C into SIGINT there).
    if (raw) p.stdin.setRawMode(true);
    const onData = (b: Buffer) => {
      if (!input.write(b)) {
        p.stdin.pause();
        input.once('drain', () => p.stdin.resume());
      }
    };
    const onEnd = () => input.end();
    p.stdin.on('data', onData);
    p.stdin.once('end', onEnd);
    p.stdin.resume();
    cleanups.push(() => {
      p.stdin.removeListener('data', onData);
      p.stdin.removeListener('end', onEnd);
      if (raw) p.stdin.setRawMode(false);
      // Nothing more is wanted from stdin; left open it would keep nslab alive.
      p.stdin.destroy();
    });
  }
  if (p) {
    for (const sig of FORWARD) {
      const h = () => ex.signal(sig);
      p.on(sig, h);
      cleanups.push(() => p.removeListener(sig, h));
    }
    if (a.tty && p.stdout.isTTY) {
      const onResize = () => {
        if (p.stdout.columns > 0 && p.stdout.rows > 0) ex.resize(p.stdout.columns, p.stdout.rows);
      };
      p.stdout.on('resize', onResize);
      cleanups.push(() => p.stdout.removeListener('resize', onResize));
    }
    // A crash of nslab itself must not leave the terminal raw.
    if (raw) {
      const restore = () => p.stdin.isTTY && p.stdin.setRawMode(false);
      p.once('exit', restore);
      cleanups.push(() => p.removeListener('exit', restore));
    }
  }

  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const timer = a.timeoutSeconds === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    io.err(`\nnslab: --timeout ${a.timeoutSeconds} s reached: sending SIGTERM, and SIGKILL ${KILL_GRACE_MS / 1000} s later\n`);
    ex.signal('SIGTERM');
    killTimer = setTimeout(() => ex.kill(), KILL_GRACE_MS);
  }, a.timeoutSeconds * 1000);

  let code: number;
  try {
    code = await ex.exited;
  } finally {
    if (timer) clearTimeout(timer);
    if (killTimer) clearTimeout(killTimer);
    for (const c of cleanups) c();
    endOut();
    endErr();
  }
  if (timedOut) return 124;
  if (code === 137 && !findSandbox(a.lab)) io.err(`nslab: lab "${a.lab}" ended while the command ran\n`);
  return code;
}
