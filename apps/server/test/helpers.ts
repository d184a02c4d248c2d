import type { WebSocket } from 'ws';
import { PROTOCOL_VERSION, type ServerMessage } from '@nslab/protocol';

export const TOKEN = 'test-token-0123456789';
export const AUTH = { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' };

/** Collects a socket's messages; `next(pred)` waits for the first (queued or future) match. */
export class Inbox {
  readonly messages: ServerMessage[] = [];
  private waiters: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private cursor = 0;

  /**
   * Attaches to the socket, then says hello (the server waits for it before sending anything);
   * `resume` asks for what was missed after `lastSeq` of `stream` (a snapshot's).
   */
  constructor(ws: WebSocket, resume?: { lastSeq: number; stream?: string }) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as ServerMessage;
      this.messages.push(m);
      for (const w of [...this.waiters]) {
        if (w.pred(m)) {
          clearTimeout(w.timer);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    ws.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, ...resume }));
  }

  next<T extends ServerMessage>(pred: (m: ServerMessage) => boolean, timeoutMs = 5000): Promise<T> {
    for (let i = this.cursor; i < this.messages.length; i++) {
      if (pred(this.messages[i]!)) {
        this.cursor = i + 1;
        return Promise.resolve(this.messages[i] as T);
      }
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a message')), timeoutMs);
      this.waiters.push({ pred, resolve: resolve as (m: ServerMessage) => void, reject, timer });
    });
  }
}
