// The collectors of a trace in one namespace (a capture, nft monitor, the neighbour and conntrack
// monitors), inside the lab's sandbox, that cannot outlive the trace. One watchdog per namespace
// runs them all: it is PID 1 of a PID namespace of its own (enterContained), started already in
// the namespace, and it
//   - starts each collector with a pipe of its own, and forwards what it writes to us as frames
//     (channel byte, 32-bit length, bytes): collector k's stdout is channel 2k, its stderr 2k+1,
//     the watchdog's own words channel 255; each collector's stdout is capped there (past the cap
//     it is cut off and "capped k" said), so a flood is not even read;
//   - loads the trace table (`nft -f -`, the ruleset from its argv) once collector 0 (the capture)
//     says it is listening, and says "loaded STATUS" with nft's words: one process chain per
//     namespace instead of one per collector plus one for the load (that was most of arming);
//   - reads its own stdin: when that ends (we closed it, or we died, even by SIGKILL, and the kernel
//     closed it) it interrupts the collectors, forwards what they flush, kills everything left in
//     its PID namespace, runs its cleanup command (removing the trace table) and exits.
// Everything that comes out of the pipe is read as hostile (the lab's root can write into it):
// frames are bounds-checked and the total is capped here too.
import { spawn } from 'node:child_process';
import { HOST } from '@nslab/model';
import { CLEAN_ENV } from '../run.ts';
import type { Sandbox } from '../sandbox.ts';

// Fixed text; everything variable arrives in @ARGV: ncleanup cleanup... -- ruleset (cap nargs argv...)...
// Read by `perl -e`: no dollar-brace or backticks here.
export const WATCHDOG = String.raw`use strict; use POSIX (); $0 = 'nslab-trace';
$$ == 1 or POSIX::_exit(126);
$SIG{PIPE} = 'IGNORE';
my $n = shift(@ARGV); my @cleanup = splice(@ARGV, 0, $n); shift(@ARGV);
my $ruleset = shift(@ARGV);
my @kids;
while (@ARGV >= 2) { my $cap = shift(@ARGV); my $c = shift(@ARGV); push(@kids, { cap => $cap, argv => [splice(@ARGV, 0, $c)], sent => 0, esent => 0, ebuf => '' }) }
my $gone = 0;
sub frame { my ($ch, $d) = @_; return if $gone; my $b = pack('CN', $ch, length($d)) . $d;
  while (length($b)) { my $w = syswrite(STDOUT, $b); if (!defined $w) { next if $!{EINTR}; $gone = 1; return } substr($b, 0, $w) = '' } }
sub start { my ($argv, $input, $merge) = @_;
  pipe(my $or, my $ow) or return; my ($er, $ew); if (!$merge) { pipe($er, $ew) or return }
  my ($ir, $iw); if (defined $input) { pipe($ir, $iw) or return }
  my $pid = fork(); return unless defined $pid;
  if ($pid == 0) { $SIG{PIPE} = 'DEFAULT';
    if (defined $input) { open(STDIN, '<&', $ir) } else { open(STDIN, '<', '/dev/null') }
    open(STDOUT, '>&', $ow); if ($merge) { open(STDERR, '>&', $ow) } else { open(STDERR, '>&', $ew) }
    { no warnings; exec { $argv->[0] } @$argv; } POSIX::_exit(127) }
  close($ow); close($ew) if $ew;
  if (defined $input) { close($ir); syswrite($iw, $input); close($iw) }
  return { pid => $pid, out => $or, err => $er } }
my @fds; my %bypid;
for my $k (0 .. $#kids) { my $h = start($kids[$k]{argv});
  if (!$h) { frame(255, "exit $k 32512"); next }
  $kids[$k]{pid} = $h->{pid}; $bypid{$h->{pid}} = $k;
  push(@fds, { fh => $h->{out}, k => $k, ch => 2 * $k }, { fh => $h->{err}, k => $k, ch => 2 * $k + 1 }) }
my ($loader, $lbuf, $lstatus) = (undef, '', undef); my $lfd;
sub load { return if defined $loader || $ruleset eq '';
  my $h = start(['nft', '-f', '-'], $ruleset, 1); if (!$h) { frame(255, "loaded 32512\ncannot start nft"); $loader = 0; return }
  $loader = $h->{pid}; $lfd = { fh => $h->{out}, k => -1, ch => -1 }; push(@fds, $lfd) }
sub reap { while ((my $p = waitpid(-1, POSIX::WNOHANG())) > 0) {
  if (defined $bypid{$p}) { $kids[$bypid{$p}]{exited} = 1; frame(255, "exit $bypid{$p} $?") }
  elsif (defined $loader && $p == $loader) { $lstatus = $? } } }
sub pump { my ($timeout) = @_; my $rin = ''; vec($rin, 0, 1) = 1; vec($rin, fileno($_->{fh}), 1) = 1 for @fds;
  my $k = select(my $rout = $rin, undef, undef, $timeout); my $eof = 0;
  if ($k > 0 && vec($rout, 0, 1)) { my $r = sysread(STDIN, my $b, 64); $eof = 1 if !defined($r) || $r == 0 }
  for my $f (@fds) { next unless $k > 0 && vec($rout, fileno($f->{fh}), 1);
    my $r = sysread($f->{fh}, my $b, 65536);
    if (!defined($r) || $r == 0) { $f->{closed} = 1; close($f->{fh}); next }
    if ($f->{ch} < 0) { $lbuf .= $b if length($lbuf) < 4096; next }
    my $kid = $kids[$f->{k}];
    if ($f->{ch} % 2 == 1) {
      if ($kid->{esent} < 4096) { my $part = substr($b, 0, 4096 - $kid->{esent}); $kid->{esent} += length($part); frame($f->{ch}, $part) }
      if ($f->{k} == 0 && length($kid->{ebuf}) < 4096) { $kid->{ebuf} .= $b; load() if $kid->{ebuf} =~ /listening on /; }
      next }
    if ($kid->{sent} + length($b) > $kid->{cap}) {
      my $room = $kid->{cap} - $kid->{sent}; frame($f->{ch}, substr($b, 0, $room)) if $room > 0; $kid->{sent} = $kid->{cap};
      frame(255, "capped $f->{k}"); $f->{closed} = 1; close($f->{fh}); kill('TERM', $kid->{pid}) if $kid->{pid}; next }
    $kid->{sent} += length($b); frame($f->{ch}, $b) }
  @fds = grep { !$_->{closed} } @fds;
  reap(); loaded(); return $eof }
sub loaded { if ($lfd && $lfd->{closed} && defined $lstatus) { frame(255, "loaded $lstatus\n" . $lbuf); $lfd = undef } }
my $own = 0;
while (1) { last if pump(0.2); if (!@fds && !grep { !$_->{exited} && $_->{pid} } @kids) { $own = 1; last } }
for my $kid (@kids) { kill('INT', $kid->{pid}) if $kid->{pid} && !$kid->{exited} }
# Drain what they flush (tcpdump writes its buffer on SIGINT) for up to 1.5 s of quiet.
my ($idle, $turns) = (0, 0);
while (@fds && $idle < 30 && $turns++ < 400) { $idle++ if pump2() == 0 }
sub pump2 { my $rin = ''; vec($rin, fileno($_->{fh}), 1) = 1 for @fds; my $k = select(my $rout = $rin, undef, undef, 0.05);
  for my $f (@fds) { next unless $k > 0 && vec($rout, fileno($f->{fh}), 1);
    my $r = sysread($f->{fh}, my $b, 65536);
    if (!defined($r) || $r == 0) { $f->{closed} = 1; close($f->{fh}); next }
    if ($f->{ch} < 0) { $lbuf .= $b if length($lbuf) < 4096; next }
    next if $f->{ch} % 2 == 1;
    my $kid = $kids[$f->{k}]; my $room = $kid->{cap} - $kid->{sent}; next if $room <= 0;
    my $part = substr($b, 0, $room); $kid->{sent} += length($part); frame($f->{ch}, $part) }
  @fds = grep { !$_->{closed} } @fds; reap(); loaded(); return $k }
reap();
kill('KILL', -1);
if (@cleanup) { my $c = fork(); if (defined $c && $c == 0) { open(STDOUT, '>', '/dev/null'); open(STDERR, '>', '/dev/null'); exec { $cleanup[0] } @cleanup; POSIX::_exit(127) } waitpid($c, 0) if $c }
frame(255, 'done');
# 0: stopped as asked and cleaned up; 3: every collector had ended by itself (cleaned up too).
POSIX::_exit($own ? 3 : 0);
`;

export interface CollectorCommand {
  argv: string[];
  /** Bytes of stdout forwarded; past it the command is cut off and `capped` says so. */
  maxBytes: number;
  onData: (chunk: Buffer) => void;
}

export interface CollectorOptions {
  /** argv run in the namespace after the collectors are gone (e.g. delete the trace table). */
  cleanup?: string[];
  /** nft ruleset loaded once command 0 (the capture) is listening. */
  ruleset?: string;
}

/** The largest frame the watchdog writes (a 64 KiB read) plus slack. */
const MAX_FRAME = 70 * 1024;
const STDERR_KEPT = 4096;

export interface LoadResult {
  code: number;
  output: string;
}

export class Collector {
  /** Bytes read from the pipe, all channels. */
  bytes = 0;
  /** The watchdog has exited (on its own when `stop` was never called: every collector died). */
  ended = false;
  /** Its exit code; null when it was killed. */
  code: number | null = null;
  /** The pipe carried more than the caps allow, or bytes that are not frames: the rest was not read. */
  truncated = false;
  bad?: string;
  /** Commands whose output passed their cap (cut off by the watchdog). */
  readonly capped = new Set<number>();
  /** Commands that ended, with their wait status. */
  readonly exits = new Map<number, number>();
  /** The watchdog said its cleanup ran. */
  done = false;
  readonly exited: Promise<number | null>;
  /** The trace table's load: after the capture listened (null: the watchdog ended first). */
  readonly loaded: Promise<LoadResult | null>;
  private readonly stderrs: string[];
  private readonly child;
  private stopped = false;
  private pending = Buffer.alloc(0);
  private resolveLoad!: (r: LoadResult | null) => void;
  private readonly maxTotal: number;
  /** Our own stderr (nsenter, unshare, perl's words when the chain itself failed). */
  chainStderr = '';

  constructor(sb: Sandbox, readonly node: string, private readonly commands: readonly CollectorCommand[], opts: CollectorOptions = {}) {
    this.stderrs = commands.map(() => '');
    this.maxTotal = commands.reduce((a, c) => a + c.maxBytes, 0) + commands.length * 2 * STDERR_KEPT + 64 * 1024;
    this.loaded = new Promise((r) => (this.resolveLoad = r));
    const args: string[] = [];
    for (const c of commands) args.push(String(c.maxBytes), String(c.argv.length), ...c.argv);
    const cleanup = opts.cleanup ?? [];
    const perl = ['perl', '-e', WATCHDOG, String(cleanup.length), ...cleanup, '--', opts.ruleset ?? '', ...args];
    // The watchdog starts in the namespace: what it forks (collectors, the load, the cleanup) is there too.
    const full = sb.enterContained(node === HOST ? perl : ['nsenter', `--net=/run/netns/${node}`, '--', ...perl]);
    this.child = spawn(full[0]!, full.slice(1), { env: { ...CLEAN_ENV }, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child.stdin!.on('error', () => {
      /* gone already; `exited` says so */
    });
    this.child.stdout!.on('data', (b: Buffer) => this.read(b));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (s: string) => {
      this.chainStderr = (this.chainStderr + s).slice(-STDERR_KEPT);
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code) => {
        this.ended = true;
        this.code = code;
        this.resolveLoad(null);
        resolve(code);
      });
      this.child.on('error', () => {
        this.ended = true;
        this.resolveLoad(null);
        resolve(null);
      });
    });
  }

  private read(b: Buffer): void {
    if (this.truncated) return;
    this.bytes += b.length;
    if (this.bytes > this.maxTotal) {
      this.truncated = true;
      this.stop();
      return;
    }
    let buf = this.pending.length ? Buffer.concat([this.pending, b]) : b;
    while (buf.length >= 5) {
      const ch = buf[0]!;
      const len = buf.readUInt32BE(1);
      if (len > MAX_FRAME || (ch !== 255 && ch >= this.commands.length * 2)) {
        this.bad = `a frame the watchdog cannot have written (channel ${ch}, ${len} bytes)`;
        this.truncated = true;
        this.stop();
        return;
      }
      if (buf.length < 5 + len) break;
      const data = buf.subarray(5, 5 + len);
      buf = buf.subarray(5 + len);
      if (ch === 255) this.control(data.toString('utf8'));
      else if (ch % 2 === 0) this.commands[ch / 2]!.onData(data);
      else {
        const k = (ch - 1) / 2;
        this.stderrs[k] = (this.stderrs[k]! + data.toString('utf8')).slice(0, STDERR_KEPT);
      }
    }
    this.pending = Buffer.from(buf);
  }

  private control(s: string): void {
    const m = /^(loaded|exit|capped) (-?\d+)(?: (\d+))?/.exec(s);
    if (s === 'done') this.done = true;
    else if (m?.[1] === 'loaded') this.resolveLoad({ code: Number(m[2]), output: s.slice(s.indexOf('\n') + 1).slice(0, STDERR_KEPT) });
    else if (m?.[1] === 'exit') this.exits.set(Number(m[2]), Number(m[3] ?? 0));
    else if (m?.[1] === 'capped') this.capped.add(Number(m[2]));
  }

  stderr(k: number): string {
    return this.stderrs[k] ?? '';
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Closing the watchdog's stdin ends the collectors (and runs the cleanup). */
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
