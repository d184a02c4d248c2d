// A command in a lab node with its input and output streamed as they happen, optionally on a pty,
// signals forwarded, and its whole process tree ended with it: what `nslab exec` runs.
//
// The command never gets one of the caller's file descriptors. A relay inside the lab (perl, PID 1 of
// a PID namespace of its own via enterContained) makes real pipes, or a pty on the lab's own devpts,
// for the command and copies bytes between them and us. So a lab cannot keep a host terminal (or the
// user's output file) after the command ends, a pty comes from the lab's pty limit, and `tty` names
// it. The relay also:
//   - forwards signals we send on a control channel (fd 3) to the command's process group (or the
//     pty's foreground group): a PID 1 ignores signals it has no handler for, even from the host;
//   - treats the end of that channel (our exit, even by SIGKILL) as the end of everything: it kills
//     its PID namespace and exits, and so does everything the command started (setsid, & included);
//   - exits with the command's status as a shell reports it: 127 not found, 126 not executable,
//     128+N killed by signal N.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { shellLine } from '@nslab/model';
import { CLEAN_ENV } from './run.ts';
import { getSandbox } from './sandbox.ts';
import { labStore } from './lab-store.ts';
import { LAB_PATH } from './lab-bin.ts';
import { resolveNode } from './lab.ts';

// Fixed text; everything variable arrives in @ARGV. Read by `perl -e`, so no ${ or backticks here.
// ioctl numbers are the asm-generic ones (x86, arm, arm64, riscv, s390, loongarch).
const RELAY = String.raw`use strict; use POSIX (); use Time::HiRes (); $0 = 'nslab-exec';
my ($mode, $feed, $rows, $cols) = splice(@ARGV, 0, 4);
sub fail { syswrite(STDERR, "nslab exec: $_[0]\n"); POSIX::_exit(126) }
# kill(-1) below must only ever reach this PID namespace.
$$ == 1 or fail('the relay runs only as PID 1 of a PID namespace of its own (a lab from an older nslab? redeploy it)');
while (@ARGV && $ARGV[0] ne '--') { my ($k, $v) = split(/=/, shift(@ARGV), 2); $ENV{$k} = $v }
shift(@ARGV);
sub nb { my $f = fcntl($_[0], POSIX::F_GETFL(), 0); fcntl($_[0], POSIX::F_SETFL(), $f | POSIX::O_NONBLOCK()) }
open(my $ctl, '<&=', 3) or fail("no control channel: $!");
fcntl($ctl, POSIX::F_SETFD(), POSIX::FD_CLOEXEC());
$SIG{PIPE} = 'IGNORE';
$SIG{CHLD} = sub {};
my $tty = $mode eq 'tty';
my ($master, $slave, @io, @src, $tocmd);
if ($tty) {
  open($master, '+<', '/dev/ptmx') or fail("cannot open a pty: /dev/ptmx: $!");
  my $n = pack('L', 0);
  ioctl($master, 0x80045430, $n) or fail("TIOCGPTN: $!");
  $slave = '/dev/pts/' . unpack('L', $n);
  my $unlock = pack('i', 0);
  ioctl($master, 0x40045431, $unlock) or fail("TIOCSPTLCK: $!");
  my $ws = pack('S4', $rows, $cols, 0, 0);
  ioctl($master, 0x5414, $ws) or fail("TIOCSWINSZ: $!");
  $tocmd = $master;
  @src = ({ fh => $master, to => \*STDOUT });
} else {
  my ($ir, $iw, $or, $ow, $er, $ew);
  pipe($or, $ow) or fail("pipe: $!");
  if ($mode eq 'merged') { $ew = $ow } else { pipe($er, $ew) or fail("pipe: $!") }
  if ($feed) { pipe($ir, $iw) or fail("pipe: $!") }
  @io = ($ir, $ow, $ew);
  $tocmd = $iw;
  @src = ({ fh => $or, to => \*STDOUT });
  push @src, { fh => $er, to => \*STDERR } if $er;
}
my $pid = fork() // fail("fork: $!");
if ($pid == 0) {
  $SIG{PIPE} = 'DEFAULT'; $SIG{CHLD} = 'DEFAULT';
  if ($tty) {
    POSIX::setsid();
    open(my $s, '+<', $slave) or fail("$slave: $!");
    ioctl($s, 0x540E, 0);
    POSIX::dup2(fileno($s), $_) for 0, 1, 2;
  } else {
    setpgrp(0, 0);
    POSIX::dup2(fileno($io[$_]), $_) for grep { $io[$_] } 0, 1, 2;
  }
  { no warnings; exec { $ARGV[0] } @ARGV; }
  my ($missing, $why) = ($!{ENOENT}, "$!");
  syswrite(STDERR, "nslab: $ARGV[0]: " . ($missing ? 'command not found' : $why) . "\n");
  POSIX::_exit($missing ? 127 : 126);
}
close($_) for grep { defined } @io[0 .. 2];
my $eofc = "\x04";
if ($tty) { my $t = POSIX::Termios->new; $eofc = chr($t->getcc(POSIX::VEOF())) if $t->getattr(fileno $master) }
nb($_) for $ctl, (map { $_->{fh} } @src), \*STDOUT, \*STDERR, ($tocmd ? $tocmd : ()), ($feed ? \*STDIN : ());
$_->{buf} = '' for @src;
my ($in, $ineof, $indone, $ctlbuf) = ('', !$feed, 0, '');
my ($status, $deadline, $drained);
my $CAP = 65536;
my %SIGS = map { $_ => eval "POSIX::SIG$_()" } qw(INT TERM HUP QUIT USR1 USR2);
sub target { if ($tty) { my $g = POSIX::tcgetpgrp(fileno $master); return -$g if $g > 0 } -$pid }
sub gone { my $r = shift; defined $r ? $r == 0 : !$!{EAGAIN} && !$!{EINTR} }
while (1) {
  if (!defined $status && waitpid($pid, POSIX::WNOHANG()) == $pid) { $status = $?; $deadline = Time::HiRes::time() + 1 }
  # After the command: what it wrote is passed on (a pty's last bytes may lag its exit a moment);
  # what it left running may keep its outputs open, so a quiet moment (or a second) ends the wait.
  $drained = 1 if defined $status && (Time::HiRes::time() > $deadline || !grep { !$_->{eof} } @src);
  last if $drained && !grep { length $_->{buf} } @src;
  if (!$indone && $ineof && !length $in) {
    if ($tty) { syswrite($master, $eofc) } elsif ($tocmd) { close($tocmd); undef $tocmd }
    $indone = 1;
  }
  my ($rin, $win) = ('', '');
  vec($rin, fileno $ctl, 1) = 1;
  vec($rin, 0, 1) = 1 if !$ineof && length($in) < $CAP;
  for (@src) { vec($rin, fileno $_->{fh}, 1) = 1 if !$drained && !$_->{eof} && length($_->{buf}) < $CAP }
  vec($win, fileno $tocmd, 1) = 1 if $tocmd && length $in;
  for (@src) { vec($win, fileno $_->{to}, 1) = 1 if length $_->{buf} }
  my $n = select(my $rout = $rin, my $wout = $win, undef, defined $status ? 0.05 : 0.25);
  next if $n < 0;
  if ($n == 0) { $drained = 1 if defined $status; next }
  if (vec($rout, fileno $ctl, 1)) {
    my $r = sysread($ctl, $ctlbuf, 4096, length $ctlbuf);
    if (gone($r)) { kill('KILL', -1) if $$ == 1; POSIX::_exit(137) }
    while ($ctlbuf =~ s/^([^\n]*)\n//) {
      my @m = split / /, $1;
      if ($m[0] eq 'S' && $SIGS{$m[1]}) { kill($SIGS{$m[1]}, target()) }
      elsif ($m[0] eq 'W' && $tty) { my $ws = pack('S4', $m[1], $m[2], 0, 0); ioctl($master, 0x5414, $ws) }
    }
  }
  if (vec($rout, 0, 1)) { $ineof = 1 if gone(sysread(STDIN, $in, $CAP, length $in)) }
  for (@src) {
    next unless vec($rout, fileno $_->{fh}, 1);
    # EIO: a pty whose every slave is closed.
    $_->{eof} = 1 if gone(sysread($_->{fh}, $_->{buf}, $CAP, length $_->{buf}));
  }
  if ($tocmd && length $in && vec($wout, fileno $tocmd, 1)) {
    my $w = syswrite($tocmd, $in);
    if (defined $w) { substr($in, 0, $w) = '' } elsif (!$!{EAGAIN}) { $in = ''; $ineof = 1; $indone = 1 }
  }
  for (@src) {
    next unless length $_->{buf} && vec($wout, fileno $_->{to}, 1);
    my $w = syswrite($_->{to}, $_->{buf});
    if (defined $w) { substr($_->{buf}, 0, $w) = '' } elsif (!$!{EAGAIN}) { kill('KILL', -1) if $$ == 1; POSIX::_exit(141) }
  }
}
POSIX::_exit(($status & 127) ? 128 + ($status & 127) : $status >> 8);
`;

export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
export type ForwardedSignal = (typeof FORWARDED_SIGNALS)[number];

export class ExecInputError extends Error {
  readonly code = 'INVALID_EXEC';
  constructor(readonly field: string, readonly rule: string, message: string) {
    super(`${field}: ${message} [${rule}]`);
    this.name = 'ExecInputError';
  }
}

export interface ExecStreamOptions {
  /** Run on a pty of the lab's own with this size (columns, rows); without, on pipes. */
  tty?: { cols: number; rows: number; term?: string };
  /** Input is forwarded through `stdin`; without, the command's stdin is /dev/null. */
  stdin?: boolean;
  /** stdout and stderr through one pipe, so their order is kept (the caller's two outputs are one file). */
  mergeOutput?: boolean;
  /** Extra environment for the command. */
  env?: Record<string, string>;
  /** Record the command in the lab's log under this source. */
  logAs?: string;
}

export interface ExecStream {
  /** To the command's stdin (with a pty: typed keys), when `stdin` was asked for. */
  readonly stdin: Writable | null;
  /** With a pty, everything the command writes comes here. */
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** To the command's process group (with a pty: its foreground group), as a terminal would. */
  signal(sig: ForwardedSignal): void;
  resize(cols: number, rows: number): void;
  /** End the command and everything it started, at once. */
  kill(): void;
  /** The command's exit status as a shell reports it (128+N when killed by signal N). */
  readonly exited: Promise<number>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkSize(field: string, v: number): void {
  if (!Number.isInteger(v) || v < 1 || v > 65535) throw new ExecInputError(field, 'tty-size', `must be a whole number from 1 to 65535 (got ${v})`);
}

function checkInput(argv: readonly string[], opts: ExecStreamOptions): void {
  if (argv.length === 0 || argv[0] === '') throw new ExecInputError('argv', 'required', 'a command is needed');
  argv.forEach((a, i) => {
    if (a.includes('\0')) throw new ExecInputError(`argv[${i}]`, 'no-nul', 'may not contain a NUL byte');
  });
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (!ENV_NAME.test(k)) throw new ExecInputError(`env.${k}`, 'env-name', 'a variable name is letters, digits and _, not starting with a digit');
    if (v.includes('\0')) throw new ExecInputError(`env.${k}`, 'no-nul', 'may not contain a NUL byte');
  }
  if (opts.tty) {
    checkSize('tty.cols', opts.tty.cols);
    checkSize('tty.rows', opts.tty.rows);
    if (opts.tty.term !== undefined && !/^[A-Za-z0-9._+-]{1,64}$/.test(opts.tty.term)) {
      throw new ExecInputError('tty.term', 'term-name', 'a terminal type is letters, digits and . _ + - (up to 64)');
    }
  }
}

/** Start `argv` in node `node` of lab `lab` (`host` = the lab host); see the top of this file. */
export async function startExec(lab: string, node: string, argv: readonly string[], opts: ExecStreamOptions = {}): Promise<ExecStream> {
  checkInput(argv, opts);
  const sb = getSandbox(lab);
  await resolveNode(sb, lab, node);
  const mode = opts.tty ? 'tty' : opts.mergeOutput ? 'merged' : 'pipes';
  const env = { HOME: '/root', PATH: LAB_PATH, ...(opts.tty ? { TERM: opts.tty.term ?? 'xterm-256color' } : {}), ...opts.env };
  const relay = ['perl', '-e', RELAY, mode, opts.stdin ? '1' : '0', String(opts.tty?.rows ?? 24), String(opts.tty?.cols ?? 80),
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`), '--', ...argv];
  // `ip netns exec` (not a bare setns) so /sys shows the namespace's devices, as for execInLab.
  const full = sb.enterContained(node === 'host' ? relay : ['ip', 'netns', 'exec', node, ...relay]);
  const [cmd, ...args] = full;
  // Own process group and session (detached): a terminal's signals reach only us, and we decide what
  // to forward; kill() takes the whole chain (nsenter, unshare, the relay) at once.
  const child = spawn(cmd!, args, { env: { ...CLEAN_ENV }, cwd: '/', stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
  const ctl = child.stdio[3] as Writable;
  ctl.on('error', () => {
    /* the relay is gone; `exited` tells */
  });
  child.stdin?.on('error', () => {
    /* the command stopped reading; its exit status tells */
  });
  let firstErr = '';
  child.stderr!.on('data', (b: Buffer) => {
    if (firstErr.length < 512) firstErr += b.toString('utf8', 0, 512);
  });
  const killAll = () => {
    ctl.destroy();
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      ctl.destroy();
      resolve(code ?? 128 + (signal ? constants.signals[signal] ?? 9 : 9));
    });
  });
  if (opts.logAs) {
    const source = opts.logAs;
    void exited.then((code) => {
      const line = shellLine(node === 'host' ? [...argv] : ['ip', 'netns', 'exec', node, ...argv]);
      const error = code === 0 ? undefined : firstErr.trim().split('\n')[0] || `exit ${code}`;
      labStore.appendLog(lab, [{ time: new Date().toISOString(), source, line, ok: code === 0, ...(error ? { error } : {}) }]);
    }, () => {});
  }
  return {
    stdin: child.stdin ?? null,
    stdout: child.stdout!,
    stderr: child.stderr!,
    signal(sig) {
      if (!FORWARDED_SIGNALS.includes(sig)) throw new ExecInputError('signal', 'forwarded-signal', `must be one of ${FORWARDED_SIGNALS.join(', ')}`);
      if (!ctl.destroyed) ctl.write(`S ${sig.slice(3)}\n`);
    },
    resize(cols, rows) {
      checkSize('cols', cols);
      checkSize('rows', rows);
      if (!ctl.destroyed) ctl.write(`W ${rows} ${cols}\n`);
    },
    kill: killAll,
    exited,
  };
}
