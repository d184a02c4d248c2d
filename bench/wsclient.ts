// A live-events client for the benches: a real `ws` socket with the Bearer token, the hello
// handshake, the snapshot, then every patch, timestamped when the client has parsed it.
import WebSocket from 'ws';
import { PROTOCOL_VERSION, type ServerMessage, type SnapshotMessage } from '../packages/protocol/src/index.ts';

interface Waiter {
  pred: (m: ServerMessage) => boolean;
  resolve: (r: Received) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface Received {
  message: ServerMessage;
  /** performance.now() once the message was parsed (what a client knows, not when bytes arrived). */
  at: number;
  bytes: number;
}

export class LabClient {
  snapshot: SnapshotMessage | null = null;
  snapshotBytes = 0;
  /** Milliseconds from opening the socket to the parsed snapshot. */
  snapshotMs = NaN;
  messages = 0;
  bytes = 0;
  /** eth0 MTU of every namespace, as this client last heard (snapshot, then patches). */
  readonly eth0Mtu = new Map<string, number>();
  private waiters: Waiter[] = [];
  private closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const bytes = data.length;
      const m = JSON.parse(data.toString()) as ServerMessage;
      const at = performance.now();
      this.messages++;
      this.bytes += bytes;
      if (m.type === 'snapshot') {
        this.snapshot = m;
        this.snapshotBytes = bytes;
        for (const n of m.lab.nodes) this.track(n);
      } else if (m.type === 'patch') {
        for (const n of m.upsertNodes) this.track(n);
      }
      for (const w of [...this.waiters]) {
        if (w.pred(m)) {
          clearTimeout(w.timer);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve({ message: m, at, bytes });
        }
      }
    });
    ws.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new Error('socket closed'));
      }
    });
  }

  private track(n: { name: string; interfaces: { name: string; mtu: number }[] }): void {
    const eth0 = n.interfaces.find((i) => i.name === 'eth0');
    if (eth0) this.eth0Mtu.set(n.name, eth0.mtu);
  }

  /** Open the events socket of `lab`, say hello, wait for the snapshot. */
  static async connect(origin: string, lab: string, token: string, timeoutMs = 60_000): Promise<LabClient> {
    const url = new URL(origin);
    const t0 = performance.now();
    const ws = new WebSocket(`ws://${url.host}/api/v1/labs/${encodeURIComponent(lab)}/events`, {
      headers: { authorization: `Bearer ${token}`, host: url.host },
      perMessageDeflate: false,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`events socket refused: HTTP ${res.statusCode}`)));
    });
    const c = new LabClient(ws);
    const snap = c.next((m) => m.type === 'snapshot' || m.type === 'error', timeoutMs);
    ws.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION }));
    const r = await snap;
    if (r.message.type === 'error') throw new Error(`server: ${r.message.code}: ${r.message.message}`);
    c.snapshotMs = r.at - t0;
    return c;
  }

  /** The next message (from now on) matching `pred`. */
  next(pred: (m: ServerMessage) => boolean, timeoutMs = 10_000): Promise<Received> {
    if (this.closed) return Promise.reject(new Error('socket closed'));
    return new Promise<Received>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a message`));
      }, timeoutMs);
      const w: Waiter = { pred, resolve, reject, timer };
      this.waiters.push(w);
    });
  }

  close(): void {
    this.ws.terminate();
  }
}
