// Per-interface packet and byte counters of a whole lab, read in one go. A single long-lived
// sampler process per sandbox (started only while someone watches) answers each request line with
// every namespace's /proc/net/dev: it enters each namespace with setns(2) and comes back, so a
// sample of 300 namespaces costs a few milliseconds instead of 300 process starts.
import { HOST, checkNodeName } from '@nslab/model';
import { SandboxError, type Sandbox } from './sandbox.ts';
import { spawnPiped, type PipedHandle } from './run.ts';

export interface InterfaceCounters {
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

/** node (HOST for the lab host) -> interface -> counters. */
export type LabCounters = Map<string, Map<string, InterfaceCounters>>;

export interface CounterSample {
  /** When the sample was asked for, ms since the epoch. */
  time: number;
  nodes: LabCounters;
}

/** setns(2) by architecture (Node's process.arch); the generic syscall table covers arm64 and riscv64. */
const SETNS: Partial<Record<string, number>> = { x64: 308, arm64: 268, riscv64: 268, ia32: 346, arm: 375, ppc64: 350, s390x: 339 };

/** More namespaces than any lab nslab makes; a sandbox full of hand-made ones cannot make a sample unbounded. */
export const MAX_SAMPLED_NAMESPACES = 2048;
const SAMPLE_TIMEOUT_MS = 10_000;
const MAX_SAMPLE_LINES = 200_000;

// A constant: nothing of a request or of the lab is ever part of the program text. perl-base is
// Essential on Debian, so the sampler needs nothing beyond what the lab tools already bring.
// Output per request: "H" (the lab host), then per namespace "N <name>", each followed by
// "I <hex ifname> rxBytes rxPackets txBytes txPackets" lines, then "." alone.
// - Only names nslab itself would read are opened (observe.ts treats the rest as unsafe and never
//   reads them), only regular files, never following a symlink, never blocking on a FIFO.
// - Interface names are hex: the kernel allows bytes (control characters, non-UTF-8) that must not
//   be able to break a record.
// - /proc/self/net follows the calling thread's network namespace, so after setns it shows the
//   entered namespace; the lab host is kept open to come back to.
export const SAMPLER_SCRIPT = String.raw`
use strict; use warnings;
use Fcntl qw(O_RDONLY O_NONBLOCK O_NOFOLLOW);
my ($setns, $max) = @ARGV;
my $newnet = 0x40000000;
open(my $home, '<', '/proc/self/ns/net') or die "cannot open the lab host's network namespace: $!\n";
sub dev {
  open(my $f, '<', '/proc/self/net/dev') or return '';
  my $out = '';
  while (my $l = <$f>) {
    $out .= 'I ' . unpack('H*', $1) . " $2 $3 $4 $5\n"
      if $l =~ /^\s*([^:\s]+):\s*(\d+)\s+(\d+)\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+(\d+)\s+(\d+)/;
  }
  close $f;
  return $out;
}
$| = 1;
while (defined(my $req = <STDIN>)) {
  my $out = "H\n" . dev();
  if (opendir(my $dh, '/run/netns')) {
    my $n = 0;
    for my $name (sort readdir $dh) {
      next unless $name =~ /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\z/ && $name !~ /^[0-9]+\z/;
      last if ++$n > $max;
      my $path = "/run/netns/$name";
      lstat($path) or next;
      next unless -f _;
      sysopen(my $fh, $path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW) or next;
      if (syscall($setns, fileno($fh), $newnet) == 0) {
        $out .= "N $name\n" . dev();
        syscall($setns, fileno($home), $newnet) == 0 or die "cannot return to the lab host's network namespace: $!\n";
      }
      close $fh;
    }
    closedir $dh;
  }
  print $out, ".\n";
}
`;

function setnsNumber(arch: string = process.arch): number {
  const n = SETNS[arch];
  if (n === undefined) throw new Error(`live counters: no setns syscall number known for architecture ${arch}`);
  return n;
}

/** argv of the sampler, run inside the sandbox in the lab host's network namespace. */
export function samplerArgv(sb: Sandbox, arch: string = process.arch): string[] {
  return sb.enter(['perl', '-e', SAMPLER_SCRIPT, String(setnsNumber(arch)), String(MAX_SAMPLED_NAMESPACES)]);
}

function decodeHexName(hex: string): string | null {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-f]+$/.test(hex)) return null;
  const bytes = Buffer.from(hex, 'hex');
  const name = bytes.toString('utf8');
  // Not valid UTF-8: no name the rest of nslab (read through iproute2's JSON) could match.
  return Buffer.from(name, 'utf8').equals(bytes) ? name : null;
}

function count(s: string | undefined): number | null {
  if (s === undefined || !/^\d{1,20}$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/**
 * Pure: the sampler's records (the lines of one answer, end marker excluded) as counters per
 * namespace and interface. Namespaces nslab treats as unsafe and names that are not UTF-8 are left
 * out; a malformed line is skipped, never guessed at.
 */
export function parseCounters(lines: readonly string[]): LabCounters {
  const out: LabCounters = new Map();
  let current: Map<string, InterfaceCounters> | null = null;
  for (const line of lines) {
    if (line === 'H') {
      current = out.get(HOST) ?? new Map();
      out.set(HOST, current);
    } else if (line.startsWith('N ')) {
      const name = line.slice(2);
      if (name === HOST || checkNodeName(name) !== null) {
        current = null;
        continue;
      }
      current = out.get(name) ?? new Map();
      out.set(name, current);
    } else if (line.startsWith('I ') && current) {
      const f = line.split(' ');
      if (f.length !== 6) continue;
      const name = decodeHexName(f[1]!);
      const [rxBytes, rxPackets, txBytes, txPackets] = f.slice(2).map(count);
      if (name === null || rxBytes == null || rxPackets == null || txBytes == null || txPackets == null) continue;
      current.set(name, { rxBytes, rxPackets, txBytes, txPackets });
    }
  }
  return out;
}

/**
 * The counter sampler of one sandbox. The process starts with the first sample and lives until
 * close(); it reads its requests from our pipe, so it also ends when this process does, and it runs
 * as the sandbox's root, so destroying the sandbox kills it too.
 */
export class CounterSampler {
  private proc: PipedHandle | null = null;
  private lines: string[] = [];
  private pending: { resolve: (c: LabCounters) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;
  private closed = false;

  constructor(private readonly sb: Sandbox) {}

  /** Pid of the running sampler process, if any. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** One sample of every namespace. Samples never overlap: a second call while one runs is refused. */
  sample(): Promise<CounterSample> {
    if (this.closed) return Promise.reject(new Error('counter sampler closed'));
    if (this.pending) return Promise.reject(new Error('a counter sample is already running'));
    if (!this.sb.alive()) return Promise.reject(new SandboxError('LAB_GONE', `lab "${this.sb.name}" is gone`));
    const proc = (this.proc ??= this.spawn());
    const time = Date.now();
    return new Promise<LabCounters>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new Error(`live counters of lab "${this.sb.name}": no answer in ${SAMPLE_TIMEOUT_MS} ms`));
      }, SAMPLE_TIMEOUT_MS);
      this.pending = { resolve, reject, timer };
      this.lines = [];
      if (!proc.write('\n')) this.fail(new Error('the counter sampler is not running'));
    }).then((nodes) => ({ time, nodes }));
  }

  private spawn(): PipedHandle {
    const proc = spawnPiped(samplerArgv(this.sb), (line) => this.onLine(line));
    void proc.exited.then((code) => {
      if (this.proc !== proc) return;
      this.proc = null;
      const why = proc.stderr().trim().split('\n').at(-1);
      this.fail(new Error(`the counter sampler exited (${code ?? 'killed'})${why ? `: ${why}` : ''}`));
    });
    return proc;
  }

  private onLine(line: string): void {
    if (!this.pending) return;
    if (line === '.') {
      const p = this.pending;
      this.pending = null;
      clearTimeout(p.timer);
      const lines = this.lines;
      this.lines = [];
      p.resolve(parseCounters(lines));
      return;
    }
    if (this.lines.length < MAX_SAMPLE_LINES) this.lines.push(line);
  }

  /** The running sample fails; the process is dropped (the next sample starts a fresh one). */
  private fail(e: Error): void {
    const p = this.pending;
    this.pending = null;
    this.lines = [];
    if (this.proc) {
      const proc = this.proc;
      this.proc = null;
      proc.kill();
    }
    if (p) {
      clearTimeout(p.timer);
      p.reject(e);
    }
  }

  /** Stops the process now; a sample in flight is rejected. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('counter sampler closed'));
  }
}
