// One client watching a capture: decoded lines go out in batches as fast as its socket drains, and
// when it cannot keep up the queue stays bounded — new lines are dropped and counted, never
// buffered without limit. Transport-agnostic so the policy is unit-tested without a socket.
import type { CaptureServerMessage } from '@nslab/protocol';

export interface ViewerTransport {
  /** Bytes handed to the socket but not yet written to the network. */
  readonly bufferedAmount: number;
  readonly open: boolean;
  send(text: string): void;
  close(code: number, reason: string): void;
}

export interface ViewerOptions {
  /** Lines queued at most; more are dropped. */
  maxQueue: number;
  /** Lines per frame at most. */
  maxBatch?: number;
  /** Hold frames while the socket has this many bytes unsent. */
  highWater?: number;
  /** Coalescing delay, so a trickle of packets does not become a frame per packet. */
  batchMs?: number;
}

/** After the capture ended, how long a client that stopped reading may hold the last lines. */
const FINISH_TIMEOUT_MS = 10_000;

interface Segment {
  first: number;
  lines: string[];
}

export class CaptureViewer {
  /** Runs of consecutively numbered lines; a new run starts after a gap. */
  private segments: Segment[] = [];
  private count = 0;
  /** Number the next line pushed should carry if nothing was missed. */
  private expected = 1;
  /** Lines this client will never see. */
  dropped = 0;
  /** Lines sent. */
  sent = 0;
  private timer: NodeJS.Timeout | undefined;
  private finishTimer: NodeJS.Timeout | undefined;
  private finalMessage: CaptureServerMessage | null = null;
  private closed = false;
  private readonly maxBatch: number;
  private readonly highWater: number;
  private readonly batchMs: number;

  constructor(
    private readonly transport: ViewerTransport,
    private readonly opts: ViewerOptions,
  ) {
    this.maxBatch = opts.maxBatch ?? 1000;
    this.highWater = opts.highWater ?? 512 * 1024;
    this.batchMs = opts.batchMs ?? 16;
  }

  /** Lines numbered first, first+1, ...; a gap since the previous push counts as dropped, repeats are ignored. */
  push(first: number, lines: readonly string[]): void {
    if (this.closed || this.finalMessage) return;
    const skip = first < this.expected ? Math.min(lines.length, this.expected - first) : 0;
    if (first > this.expected) this.dropped += first - this.expected;
    const fresh = lines.length - skip;
    if (fresh <= 0) return;
    const start = first + skip;
    this.expected = start + fresh;
    const take = Math.max(0, Math.min(this.opts.maxQueue - this.count, fresh));
    this.dropped += fresh - take;
    if (take === 0) return;
    const last = this.segments.at(-1);
    const slice = skip === 0 && take === lines.length ? lines : lines.slice(skip, skip + take);
    if (last && last.first + last.lines.length === start) for (const l of slice) last.lines.push(l);
    else this.segments.push({ first: start, lines: [...slice] });
    this.count += take;
    this.schedule();
  }

  /** A message that is not a line (status): sent at once. */
  sendNow(m: CaptureServerMessage): void {
    if (this.closed || !this.transport.open) return;
    this.transport.send(JSON.stringify(m));
  }

  /** Send the remaining lines, then `last`, then close. */
  finish(last: CaptureServerMessage): void {
    if (this.closed || this.finalMessage) return;
    this.finalMessage = last;
    this.finishTimer = setTimeout(() => {
      // The client stopped reading: what it has not taken is dropped.
      this.dropped += this.count;
      this.segments = [];
      this.count = 0;
      this.end();
    }, FINISH_TIMEOUT_MS);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule(0);
  }

  get queued(): number {
    return this.count;
  }

  /** The client went away. */
  detach(): void {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.finishTimer);
    this.timer = undefined;
    this.segments = [];
    this.count = 0;
  }

  private schedule(ms = this.batchMs): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, ms);
  }

  private flush(): void {
    if (this.closed) return;
    if (!this.transport.open) {
      this.detach();
      return;
    }
    while (this.count > 0 && this.transport.bufferedAmount < this.highWater) {
      const seg = this.segments[0]!;
      const lines = seg.lines.length <= this.maxBatch ? seg.lines : seg.lines.slice(0, this.maxBatch);
      const first = seg.first;
      if (lines === seg.lines) this.segments.shift();
      else {
        seg.lines = seg.lines.slice(lines.length);
        seg.first += lines.length;
      }
      this.count -= lines.length;
      this.sent += lines.length;
      this.transport.send(JSON.stringify({ type: 'lines', first, lines, dropped: this.dropped } satisfies CaptureServerMessage));
    }
    if (this.count > 0) {
      // The socket is full: look again shortly (the queue cap bounds what waits meanwhile).
      this.schedule(10);
      return;
    }
    if (this.finalMessage) this.end();
  }

  private end(): void {
    if (this.closed) return;
    if (this.finalMessage && this.transport.open) {
      const m = this.finalMessage;
      if (m.type === 'status') m.dropped = this.dropped;
      this.transport.send(JSON.stringify(m));
    }
    this.detach();
    this.transport.close(1000, 'capture ended');
  }
}
