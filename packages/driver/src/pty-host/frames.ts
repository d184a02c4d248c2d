// The wire format between the server and the pty host on their unix socket: one type byte, a
// 32-bit big-endian length, the payload. Binary, so terminal output crosses without re-encoding.

export const Frame = {
  /** client -> host, first frame: JSON {op:'open'|'attach'|'list', ...} */
  HELLO: 0x48, // H
  INPUT: 0x49, // I
  RESIZE: 0x52, // R  JSON {cols, rows}
  PAUSE: 0x50, // P
  RESUME: 0x51, // Q
  KILL: 0x4b, // K
  /** Drop the input queued for the pty and not written yet (typeahead). */
  FLUSH: 0x46, // F
  /**
   * Ctrl-C ahead of queued input: drop the typeahead, then write ^C first. If the pty will not take
   * even that byte (its program stopped reading and the kernel's input queue is full), the kernel's
   * queue is flushed too, as the line discipline itself does on ^C, so the ^C gets through.
   * Counts as one byte of input for INPUT_ACK.
   */
  INTERRUPT: 0x43, // C
  /** host -> client */
  SESSION: 0x53, // S  JSON SessionInfo
  REPLAY: 0x42, // B  scrollback, once, right after SESSION on attach
  OUTPUT: 0x4f, // O
  EXIT: 0x58, // X  JSON {exitCode, signal}
  LIST: 0x4c, // L  JSON SessionInfo[]
  ERROR: 0x45, // E  JSON {message}
  /**
   * ASCII decimal: input bytes of this connection the host is done with (written to the pty or
   * dropped), a running total. A client keeps at most `SessionInfo.inputWindow` bytes unacknowledged.
   */
  INPUT_ACK: 0x41, // A
} as const;

/** A frame body larger than this is a protocol error (inputs are keystrokes, outputs pty reads). */
export const MAX_FRAME = 4 * 1024 * 1024;

export function encodeFrame(type: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = Buffer.allocUnsafe(5);
  head[0] = type;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Incremental decoder: feed socket chunks, get whole frames. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, onFrame: (type: number, payload: Buffer) => void): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32BE(1);
      if (len > MAX_FRAME) throw new Error(`frame of ${len} bytes exceeds ${MAX_FRAME}`);
      if (this.buf.length < 5 + len) break;
      const type = this.buf[0]!;
      const payload = this.buf.subarray(5, 5 + len);
      this.buf = this.buf.subarray(5 + len);
      onFrame(type, payload);
    }
  }
}

export interface SessionInfo {
  id: string;
  pid: number;
  lab: string;
  node: string;
  /** Set once the shell has exited (the host keeps it until someone collects it or the grace ends). */
  exit?: { exitCode: number; signal: number | null };
  /**
   * Input bytes a client may have sent and not yet seen acknowledged (INPUT_ACK). Absent from hosts
   * older than input flow control, which take input without acknowledging it.
   */
  inputWindow?: number;
}

export interface OpenRequest {
  op: 'open';
  v: number;
  id: string;
  lab: string;
  node: string;
  argv: string[];
  env: Record<string, string>;
  cols: number;
  rows: number;
  /** How long the shell lives with nobody attached before the host kills it. */
  graceMs: number;
}

export type HelloRequest = OpenRequest | { op: 'attach'; v: number; id: string } | { op: 'list'; v: number };

export const PTY_HOST_VERSION = 1;
