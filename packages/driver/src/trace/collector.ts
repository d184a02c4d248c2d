// A collector for a trace (a capture, an nft monitor) inside the lab's sandbox, in one namespace,
// that cannot outlive the trace. It runs under a small watchdog that is PID 1 of a PID namespace of
// its own (enterContained): the watchdog starts the collector with our pipe as its stdout, and
// reads its own stdin; when that ends (we closed it, or we died, even by SIGKILL, and the kernel
// closed it) it interrupts the collector, gives it a moment to flush, kills everything left in its
// PID namespace, runs its cleanup command (removing the trace table) and exits. Output is bounded
// here: past `maxBytes` the rest is dropped and `truncated` set.
import { spawn } from 'node:child_process';
import { HOST } from '@nslab/model';
import { CLEAN_ENV } from '../run.ts';
import type { Sandbox } from '../sandbox.ts';

// Fixed text; everything variable arrives in @ARGV. Read by `perl -e`: no ${ or backticks here.
export const WATCHDOG = String.raw`use strict; use POSIX (); $0 = 'nslab-trace';
$$ == 1 or POSIX::_exit(126);
my $n = shift(@ARGV); my @cleanup = splice(@ARGV, 0, $n); shift(@ARGV);
my $pid = fork() // POSIX::_exit(126);
if ($pid == 0) { open(STDIN, '<', '/dev/null'); { no warnings; exec { $ARGV[0] } @ARGV; } POSIX::_exit(127) }
my ($status, $own);
while (1) {
  my $rin = ''; vec($rin, 0, 1) = 1;
  my $k = select(my $rout = $rin, undef, undef, 0.2);
  if ($k > 0) { my $r = sysread(STDIN, my $buf, 64); last if !defined($r) || $r == 0 }
  if (waitpid($pid, POSIX::WNOHANG()) == $pid) { $status = $?; $own = 1; last }
}
if (!defined $status) {
  kill('INT', $pid);
  for (1 .. 20) { if (waitpid($pid, POSIX::WNOHANG()) == $pid) { $status = $?; last } select(undef, undef, undef, 0.05) }
}
kill('KILL', -1);
if (@cleanup) { my $c = fork(); if (defined $c && $c == 0) { open(STDOUT, '>', '/dev/null'); open(STDERR, '>', '/dev/null'); exec { $cleanup[0] } @cleanup; POSIX::_exit(127) } waitpid($c, 0) if $c }
# 0: stopped as asked and cleaned up; 3: the collector had ended by itself (cleaned up too).
POSIX::_exit($own ? 3 : 0);
`;

export interface CollectorOptions {
  /** Bytes of stdout kept; the rest is dropped and `truncated` set. */
  maxBytes: number;
  onData: (chunk: Buffer) => void;
  /** argv run in the namespace after the collector is gone (e.g. delete the trace table). */
  cleanup?: string[];
}

export class Collector {
  stderr = '';
  bytes = 0;
  /** The watchdog has exited (on its own when `stop` was never called: the collector died). */
  ended = false;
  /** Its exit code; null when it was killed. */
  code: number | null = null;
  truncated = false;
  readonly exited: Promise<number | null>;
  private readonly child;
  private stopped = false;

  constructor(sb: Sandbox, readonly node: string, argv: readonly string[], private readonly opts: CollectorOptions) {
    const inner = node === HOST ? [...argv] : ['nsenter', `--net=/run/netns/${node}`, '--', ...argv];
    const cleanup = opts.cleanup ? (node === HOST ? opts.cleanup : ['nsenter', `--net=/run/netns/${node}`, '--', ...opts.cleanup]) : [];
    const full = sb.enterContained(['perl', '-e', WATCHDOG, String(cleanup.length), ...cleanup, '--', ...inner]);
    this.child = spawn(full[0]!, full.slice(1), { env: { ...CLEAN_ENV }, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child.stdin!.on('error', () => {
      /* gone already; `exited` says so */
    });
    this.child.stdout!.on('data', (b: Buffer) => {
      if (this.bytes + b.length > opts.maxBytes) {
        this.truncated = true;
        const room = opts.maxBytes - this.bytes;
        if (room > 0) opts.onData(b.subarray(0, room));
        this.bytes = opts.maxBytes;
        // Enough: the rest of a flood is not read at all.
        this.stop();
        return;
      }
      this.bytes += b.length;
      opts.onData(b);
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-4096);
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code) => {
        this.ended = true;
        this.code = code;
        resolve(code);
      });
      this.child.on('error', () => {
        this.ended = true;
        resolve(null);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Closing the watchdog's stdin ends the collector (and runs the cleanup). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.child.stdin!.end();
  }

  /** Stop, and SIGKILL the whole tree if it has not gone after `graceMs`. */
  async finish(graceMs: number): Promise<void> {
    this.stop();
    const t = setTimeout(() => {
      try {
        if (this.child.pid) process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, graceMs);
    await this.exited;
    clearTimeout(t);
  }
}
