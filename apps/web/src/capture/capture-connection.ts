// A capture's live stream (GET /api/v1/labs/:lab/captures/:id/events): JSON text frames of
// decoded lines and status. The server speaks, we only listen. Free of React and the DOM, so node
// tests can drive it with a fake socket. A stream that drops while the capture still runs is
// reopened with backoff; the server replays its recent lines and CaptureLines skips the repeats.
import type { CaptureInfo, CaptureServerMessage } from '@nslab/protocol';

export interface CaptureSocket {
  readonly readyState: number;
  close(code?: number, reason?: string): void;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'ended';

export interface CaptureStreamHandlers {
  onLines(first: number, lines: string[]): void;
  onStatus(info: CaptureInfo, dropped: number): void;
  onStream(status: StreamStatus, error?: string): void;
}

const MAX_BACKOFF_MS = 5000;
/** About a minute of trying before giving up on a stream that keeps dropping. */
const MAX_ATTEMPTS = 15;

export class CaptureStream {
  private socket: CaptureSocket | null = null;
  private closed = false;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = true;

  constructor(
    private readonly url: string,
    private readonly createSocket: (url: string) => CaptureSocket,
    private readonly h: CaptureStreamHandlers,
  ) {
    this.open();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.close(1000, 'closed');
    this.socket = null;
  }

  private open(): void {
    if (this.closed) return;
    this.h.onStream(this.attempts ? 'reconnecting' : 'connecting');
    const ws = this.createSocket(this.url);
    this.socket = ws;
    ws.onmessage = (ev) => {
      let m: CaptureServerMessage;
      try {
        m = JSON.parse(String(ev.data)) as CaptureServerMessage;
      } catch {
        return;
      }
      this.attempts = 0;
      if (m.type === 'lines') this.h.onLines(m.first, m.lines);
      else if (m.type === 'status') {
        this.running = m.capture.state === 'running';
        this.h.onStream(this.running ? 'live' : 'ended');
        this.h.onStatus(m.capture, m.dropped);
      } else if (m.type === 'error') {
        this.running = false;
        this.h.onStream('ended', m.message);
      }
    };
    ws.onerror = () => {};
    ws.onclose = () => {
      if (this.socket !== ws) return;
      this.socket = null;
      if (this.closed) return;
      if (!this.running) {
        this.h.onStream('ended');
        return;
      }
      // Dropped while capturing (network blip, server restart): try again.
      if (++this.attempts > MAX_ATTEMPTS) {
        this.h.onStream('ended', 'lost the connection to the server');
        return;
      }
      this.h.onStream('reconnecting');
      this.timer = setTimeout(() => this.open(), Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(this.attempts, 5)));
    };
  }
}
