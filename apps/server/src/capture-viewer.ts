// One client watching a capture: decoded lines go out in batches as fast as its socket drains, and
// when it cannot keep up the queue stays bounded — the oldest queued lines are dropped and counted
// (a live view should catch up to what is happening now), never buffered without limit.
// Transport-agnostic so the policy is unit-tested without a socket.
import type { CaptureServerMessage } from '@nslab/protocol';

export interface ViewerTransport {
  /** Bytes handed to the socket but not yet written to the network. */
  readonly bufferedAmount: number;
  readonly open: boolean;
  send(text: string): void;
  close(code: number, reason: string): void;
}

export interface ViewerOptions {
  /** Lines queued at most; beyond it the oldest queued are dropped. */
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
  /** Number of lines[start]. */
  first: number;
  lines: string[];
  /** Lines before this index were sent or dropped (cheaper than shifting a long array). */
  start: number;
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
    // A push larger than the whole queue keeps only its newest lines.
    const take = Math.min(this.opts.maxQueue, fresh);
    this.dropped += fresh - take;
    const from = skip + (fresh - take);
    const at = first + from;
    const last = this.segments.at(-1);
    if (last && last.first + last.lines.length - last.start === at) for (let i = from; i < lines.length; i++) last.lines.push(lines[i]!);
    else this.segments.push({ first: at, lines: lines.slice(from), start: 0 });
    this.count += take;
    this.dropOldest(this.count - this.opts.maxQueue);
    this.schedule();
  }

  private dropOldest(n: number): void {
    while (n > 0 && this.segments.length) {
      const seg = this.segments[0]!;
      const k = Math.min(n, seg.lines.length - seg.start);
      seg.start += k;
      seg.first += k;
      this.count -= k;
      this.dropped += k;
      n -= k;
      if (seg.start >= seg.lines.length) this.segments.shift();
      else if (seg.start > 4096 && seg.start * 2 > seg.lines.length) {
        seg.lines = seg.lines.slice(seg.start);
        seg.start = 0;
      }
    }
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
      const end = Math.min(seg.lines.length, seg.start + this.maxBatch);
      const lines = seg.start === 0 && end === seg.lines.length ? seg.lines : seg.lines.slice(seg.start, end);
      const first = seg.first;
      seg.first += lines.length;
      seg.start = end;
      if (seg.start >= seg.lines.length) this.segments.shift();
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
