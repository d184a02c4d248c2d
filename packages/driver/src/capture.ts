// Packet capture on one interface of a lab: tcpdump inside the lab's sandbox writes pcap to stdout;
// we keep the bytes (capped, cut at packet boundaries, so the file always parses) and feed them to
// a second, decode-only tcpdump, also inside the sandbox, for the text lines. Both tcpdumps drop to
// the unprivileged `tcpdump` user inside the sandbox (-Z) before touching a packet, and the decoder
// — the one parsing untrusted bytes — never had more than that. No shell anywhere: the filter is
// one argv word after `--`, checked by the model's rule and compiled by libpcap (`-d`) first.
import { spawn } from 'node:child_process';
import { checkCaptureFilter, checkInterfaceName, checkNodeName, HOST } from '@nslab/model';
import { CLEAN_ENV, run } from './run.ts';
import type { Sandbox } from './sandbox.ts';
import { PcapFramer, PcapFormatError } from './pcap.ts';

export const DEFAULT_SNAPLEN = 262_144;
/** Pcap bytes waiting for the decoder before whole packets are skipped (decoded lines only; the pcap keeps them). */
const DECODE_BACKLOG = 1024 * 1024;
/**
 * The kernel's capture ring (tcpdump -B, KiB): packets wait here while tcpdump is blocked on its
 * pipe to us. tcpdump's default 2 MiB lost packets from 10k packets/s on a 2-core machine, 16 MiB
 * none up to 40k (bench/capture.bench.ts); it is kernel memory, hence the per-lab capture cap.
 */
const RING_KIB = 16384;
/** A decoded line longer than this is cut (tcpdump's one-line summaries are far shorter). */
const MAX_LINE = 4096;
const START_TIMEOUT_MS = 5000;
const COMPILE_TIMEOUT_MS = 5000;
/** After SIGINT, how long tcpdump gets to flush and print its statistics before SIGKILL. */
const STOP_GRACE_MS = 2000;

export class CaptureError extends Error {
  constructor(
    readonly code: 'INVALID_FILTER' | 'INVALID_NAME' | 'INTERFACE_UNAVAILABLE' | 'CAPTURE_FAILED',
    message: string,
    readonly field?: 'filter' | 'node' | 'interface',
  ) {
    super(message);
    this.name = 'CaptureError';
  }
}

export interface CaptureTarget {
  /** A namespace of the lab, or "host" for the lab host. */
  node: string;
  interface: string;
}

export interface CaptureOptions {
  /** A tcpdump filter expression; empty or absent = every packet. */
  filter?: string;
  snaplen?: number;
  /** Decode with the link-level header (-e): MAC addresses, for bridges and ARP. */
  linkHeader?: boolean;
  /** Pcap bytes kept, file header included; the capture stops before passing it. */
  maxBytes: number;
}

/** Why a capture ended: 'stopped' by a caller, or one of its own reasons. Callers may use their own kinds. */
export interface CaptureEnd {
  kind: string;
  message: string;
}

interface Proc {
  pid: number | undefined;
  stdin: NodeJS.WritableStream & { writableLength: number };
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream;
  signal(sig: NodeJS.Signals): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnProc(argv: readonly string[]): Proc {
  const [cmd, ...args] = argv;
  // Own process group (detached), so a signal reaches nsenter's child too.
  const child = spawn(cmd!, args, { env: { ...CLEAN_ENV }, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stdin!.on('error', () => {
    /* it exited before reading all its input; its exit says why */
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
    child.on('error', () => resolve({ code: null, signal: null }));
  });
  return {
    pid: child.pid,
    stdin: child.stdin!,
    stdout: child.stdout!,
    stderr: child.stderr!,
    signal(sig) {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        /* gone */
      }
    },
    exited,
  };
}

function inNode(sb: Sandbox, node: string, argv: string[]): string[] {
  // Straight into the namespace (no `ip netns exec`): tcpdump needs no /sys of its own.
  return node === HOST ? sb.enter(argv) : sb.enterNetns(node, argv);
}

function checkTarget(t: CaptureTarget): void {
  if (t.node !== HOST) {
    const why = checkNodeName(t.node);
    if (why) throw new CaptureError('INVALID_NAME', `node ${JSON.stringify(t.node)} ${why}`, 'node');
  }
  const why = checkInterfaceName(t.interface);
  if (why) throw new CaptureError('INVALID_NAME', `interface ${JSON.stringify(t.interface)} ${why}`, 'interface');
}

/** tcpdump's own words, without its "tcpdump: " prefix and the repeated "(…)" detail line. */
export function tcpdumpMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('(') && !/^(listening on|reading from|\d+ packets? )/.test(l.replace(/^tcpdump: /, '')));
  return (lines.at(-1) ?? '').replace(/^tcpdump: /, '');
}

function isDeviceProblem(message: string, ifname: string): boolean {
  return message.startsWith(`${ifname}: `) || /interface disappeared|No such device|not up/i.test(message);
}

/**
 * Let libpcap compile the filter for this interface's link type (`tcpdump -d`, inside the sandbox,
 * nothing captured). Throws INVALID_FILTER with tcpdump's message, or INTERFACE_UNAVAILABLE.
 */
export async function compileCaptureFilter(sb: Sandbox, target: CaptureTarget, filter: string): Promise<void> {
  checkTarget(target);
  const why = checkCaptureFilter(filter);
  if (why) throw new CaptureError('INVALID_FILTER', `filter ${why}`, 'filter');
  const argv = ['tcpdump', '-p', '-i', target.interface, '-d', ...(filter.trim() ? ['--', filter] : [])];
  const r = await run(inNode(sb, target.node, argv), { timeoutMs: COMPILE_TIMEOUT_MS, maxOutput: 64 * 1024 });
  if (r.code === 0) return;
  const msg = tcpdumpMessage(r.stderr) || (r.timedOut ? 'timed out compiling the filter' : `tcpdump exited with ${r.code ?? r.signal}`);
  if (isDeviceProblem(msg, target.interface)) {
    throw new CaptureError('INTERFACE_UNAVAILABLE', `cannot capture on ${target.interface}: ${msg}`, 'interface');
  }
  throw new CaptureError('INVALID_FILTER', `filter ${JSON.stringify(filter)} is not a valid capture filter: ${msg}`, 'filter');
}

type LinesListener = (lines: string[]) => void;
type EndListener = (end: CaptureEnd) => void;

export class PacketCapture {
  /** Packets kept in the pcap. */
  packets = 0;
  /** Pcap bytes kept, file header included. */
  bytes = 0;
  /** Packets kept but not decoded because the decoder was behind. */
  undecoded = 0;
  /** Decoded lines produced. */
  lines = 0;
  /** Packets the kernel dropped before tcpdump read them (tcpdump reports it when it exits). */
  kernelDropped = 0;
  private chunks: Buffer[] = [];
  private framer = new PcapFramer();
  private readonly capture: Proc;
  private readonly decoder: Proc;
  private captureErr = '';
  private decoderErr = '';
  private lineBuf = '';
  private stopping: CaptureEnd | null = null;
  private endInfo: CaptureEnd | null = null;
  private linesListeners = new Set<LinesListener>();
  private endListeners = new Set<EndListener>();
  private killTimer: NodeJS.Timeout | undefined;
  readonly ended: Promise<CaptureEnd>;
  private started!: Promise<void>;

  private constructor(sb: Sandbox, readonly target: CaptureTarget, private readonly opts: CaptureOptions) {
    const snaplen = String(opts.snaplen ?? DEFAULT_SNAPLEN);
    const filter = opts.filter?.trim() ? ['--', opts.filter] : [];
    this.capture = spawnProc(
      inNode(sb, target.node, ['tcpdump', '-Z', 'tcpdump', '-p', '--immediate-mode', '-B', String(RING_KIB), '-i', target.interface, '-U', '-s', snaplen, '-w', '-', ...filter]),
    );
    // The decoder needs no network: it runs in the lab host, reading the bytes we hand it.
    this.decoder = spawnProc(sb.enter(['tcpdump', '-Z', 'tcpdump', '-r', '-', '-n', '-l', ...(opts.linkHeader ? ['-e'] : [])]));
    this.decoder.stdout.setEncoding('utf8');
    this.decoder.stdout.on('data', (s: string) => this.decoded(s));
    this.decoder.stderr.setEncoding('utf8');
    this.decoder.stderr.on('data', (s: string) => {
      this.decoderErr = (this.decoderErr + s).slice(-4096);
    });
    this.capture.stdout.on('data', (b: Buffer) => this.captured(b));
    this.capture.stderr.setEncoding('utf8');
    this.ended = new Promise((resolve) => this.endListeners.add(resolve));
    this.started = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new CaptureError('CAPTURE_FAILED', 'tcpdump did not start listening within 5 s')), START_TIMEOUT_MS);
      this.capture.stderr.on('data', (s: string) => {
        this.captureErr = (this.captureErr + s).slice(-8192);
        if (/listening on /.test(this.captureErr)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void this.capture.exited.then(() => {
        clearTimeout(timer);
        const msg = tcpdumpMessage(this.captureErr) || 'tcpdump exited at start';
        reject(isDeviceProblem(msg, target.interface)
          ? new CaptureError('INTERFACE_UNAVAILABLE', `cannot capture on ${target.interface}: ${msg}`, 'interface')
          : new CaptureError('CAPTURE_FAILED', `tcpdump: ${msg}`));
      });
    });
    void this.watch();
  }

  /** Start capturing; resolves once tcpdump is listening (packets sent from then on are caught). */
  static async start(sb: Sandbox, target: CaptureTarget, opts: CaptureOptions): Promise<PacketCapture> {
    checkTarget(target);
    const why = checkCaptureFilter(opts.filter ?? '');
    if (why) throw new CaptureError('INVALID_FILTER', `filter ${why}`, 'filter');
    const c = new PacketCapture(sb, target, opts);
    try {
      await c.started;
    } catch (e) {
      c.stop('failed', (e as Error).message);
      await c.ended;
      throw e;
    }
    return c;
  }

  get end(): CaptureEnd | null {
    return this.endInfo;
  }

  get running(): boolean {
    return this.endInfo === null;
  }

  onLines(l: LinesListener): () => void {
    this.linesListeners.add(l);
    return () => this.linesListeners.delete(l);
  }

  onEnd(l: EndListener): () => void {
    if (this.endInfo) {
      l(this.endInfo);
      return () => {};
    }
    this.endListeners.add(l);
    return () => this.endListeners.delete(l);
  }

  /** The pcap so far: the file header then whole packets (a snapshot; safe to stream while capturing). */
  pcap(): Buffer[] {
    return this.chunks.slice();
  }

  /** End the capture; the first reason given is the one reported. Lines already captured are still decoded. */
  stop(kind = 'stopped', message = 'stopped'): void {
    if (this.stopping) return;
    this.stopping = { kind, message };
    // SIGINT: tcpdump flushes and prints its drop statistics; SIGKILL if it does not go.
    this.capture.signal('SIGINT');
    this.killTimer = setTimeout(() => {
      this.capture.signal('SIGKILL');
      this.decoder.signal('SIGKILL');
    }, STOP_GRACE_MS);
  }

  private captured(b: Buffer): void {
    if (this.stopping) return;
    let chunk;
    try {
      chunk = this.framer.push(b);
    } catch (e) {
      this.stop('failed', e instanceof PcapFormatError ? e.message : 'unreadable capture stream');
      return;
    }
    if (chunk.header) {
      this.chunks.push(chunk.header);
      this.bytes += chunk.header.length;
      this.decoder.stdin.write(chunk.header);
    }
    for (const rec of chunk.records) {
      if (this.bytes + rec.length > this.opts.maxBytes) {
        this.stop('byte-limit', `reached the capture size limit (${this.opts.maxBytes} bytes)`);
        return;
      }
      this.chunks.push(rec);
      this.bytes += rec.length;
      this.packets++;
      if (this.decoder.stdin.writableLength > DECODE_BACKLOG) this.undecoded++;
      else this.decoder.stdin.write(rec);
    }
  }

  private decoded(s: string): void {
    this.lineBuf += s;
    const parts = this.lineBuf.split('\n');
    this.lineBuf = parts.pop()!;
    if (this.lineBuf.length > MAX_LINE) this.lineBuf = this.lineBuf.slice(0, MAX_LINE);
    if (!parts.length) return;
    const lines = parts.map((l) => (l.length > MAX_LINE ? l.slice(0, MAX_LINE) : l));
    this.lines += lines.length;
    for (const l of this.linesListeners) l(lines);
  }

  private async watch(): Promise<void> {
    const decoderExit = this.decoder.exited.then(() => {
      // The decoder dying on its own (say, a packet it could not parse) ends the capture.
      if (!this.stopping) this.stop('failed', `the packet decoder exited: ${tcpdumpMessage(this.decoderErr) || 'no reason given'}`);
    });
    await this.capture.exited;
    const m = /(\d+) packets? dropped by kernel/.exec(this.captureErr);
    if (m) this.kernelDropped = Number(m[1]);
    if (!this.stopping) {
      const msg = tcpdumpMessage(this.captureErr);
      if (/interface disappeared|No such device/i.test(msg)) this.stopping = { kind: 'interface-gone', message: `${this.target.interface} disappeared` };
      else this.stopping = { kind: 'failed', message: msg ? `tcpdump: ${msg}` : 'tcpdump exited' };
    }
    // Everything captured so far reaches the decoder; its last lines come before the end.
    this.decoder.stdin.end();
    const late = setTimeout(() => this.decoder.signal('SIGKILL'), STOP_GRACE_MS);
    await decoderExit;
    clearTimeout(late);
    clearTimeout(this.killTimer);
    if (this.lineBuf) this.decoded('\n');
    this.endInfo = this.stopping;
    for (const l of this.endListeners) l(this.endInfo);
    this.endListeners.clear();
    this.linesListeners.clear();
  }
}
