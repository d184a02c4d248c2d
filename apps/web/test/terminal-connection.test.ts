// The terminal protocol client against a fake socket and a fake xterm: framing, flow control,
// exit, reattach.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TerminalOpcode } from '@nslab/protocol';
import { HIGH_WATER, LOW_WATER, TerminalConnection, type SocketLike, type TerminalSink } from '../src/terminal/terminal-connection.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

class FakeSocket implements SocketLike {
  binaryType = 'blob';
  readyState = 0;
  sent: Uint8Array[] = [];
  closed: { code?: number; reason?: string } | null = null;
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  constructor(readonly url: string) {}
  send(d: Uint8Array): void {
    this.sent.push(d.slice());
  }
  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
    this.readyState = 3;
  }
  // server side
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  frame(op: number, payload: Uint8Array | string = ''): void {
    const p = typeof payload === 'string' ? enc.encode(payload) : payload;
    const f = new Uint8Array(p.length + 1);
    f[0] = op;
    f.set(p, 1);
    this.onmessage?.({ data: f.buffer });
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
  ops(): string[] {
    return this.sent.map((f) => String.fromCharCode(f[0]!));
  }
}

class FakeTerm implements TerminalSink {
  cols = 100;
  rows = 30;
  writes: { data: string | Uint8Array; cb?: () => void }[] = [];
  write(data: string | Uint8Array, cb?: () => void): void {
    this.writes.push({ data, cb });
  }
  /** xterm finished parsing everything written so far. */
  drain(): void {
    const w = this.writes.splice(0);
    for (const x of w) x.cb?.();
  }
  text(): string {
    return this.writes.map((w) => (typeof w.data === 'string' ? w.data : dec.decode(w.data, { stream: true }))).join('');
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const term = new FakeTerm();
  const statuses: string[] = [];
  const conn = new TerminalConnection({
    term,
    url: (s) => `ws://x/api/v1/labs/l/nodes/ns1/terminal${s ? `?session=${s}` : ''}`,
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    onStatus: (st) => statuses.push(st),
  });
  conn.connect();
  const ws = () => sockets[sockets.length - 1]!;
  return { conn, term, sockets, ws, statuses };
}

const session = (id = 'abc123') => JSON.stringify({ session: id, lab: 'l', node: 'ns1' });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TerminalConnection', () => {
  it('speaks first with a RESIZE carrying the terminal size, binary, then routes input', () => {
    const { conn, ws } = setup();
    expect(ws().binaryType).toBe('arraybuffer');
    expect(ws().url).not.toContain('session=');
    ws().open();
    expect(ws().ops()).toEqual(['1']);
    expect(JSON.parse(dec.decode(ws().sent[0]!.subarray(1)))).toEqual({ columns: 100, rows: 30 });
    // Input before the server confirmed the session is dropped, after it goes out as UTF-8.
    conn.input('x');
    expect(ws().sent).toHaveLength(1);
    ws().frame(TerminalOpcode.SESSION, session());
    expect(conn.status).toBe('open');
    conn.input('é€\r');
    expect(ws().sent[1]![0]).toBe(TerminalOpcode.INPUT);
    expect(Array.from(ws().sent[1]!.subarray(1))).toEqual(Array.from(enc.encode('é€\r')));
    // onBinary: one byte per char code, not UTF-8.
    conn.binary('\x1b[M\xff');
    expect(Array.from(ws().sent[2]!.subarray(1))).toEqual([0x1b, 0x5b, 0x4d, 0xff]);
    conn.resize(120, 40);
    conn.resize(120, 40); // unchanged: not sent again
    expect(ws().ops()).toEqual(['1', '0', '0', '1']);
    expect(JSON.parse(dec.decode(ws().sent[3]!.subarray(1)))).toEqual({ columns: 120, rows: 40 });
  });

  it('passes output bytes through unchanged, even a character split across frames', () => {
    const { term, ws } = setup();
    ws().open();
    ws().frame(TerminalOpcode.SESSION, session());
    const bytes = enc.encode('ok €'); // € is e2 82 ac
    ws().frame(TerminalOpcode.OUTPUT, bytes.subarray(0, 4));
    ws().frame(TerminalOpcode.OUTPUT, bytes.subarray(4));
    const chunks = term.writes.map((w) => w.data);
    expect(chunks.every((c) => c instanceof Uint8Array)).toBe(true);
    expect(Array.from(chunks[0] as Uint8Array)).toEqual([0x6f, 0x6b, 0x20, 0xe2]);
    expect(Array.from(chunks[1] as Uint8Array)).toEqual([0x82, 0xac]);
    expect(term.text()).toBe('ok €');
  });

  it('sends PAUSE above the high watermark and RESUME once xterm drained below the low one', () => {
    const { conn, term, ws } = setup();
    ws().open();
    ws().frame(TerminalOpcode.SESSION, session());
    const chunk = new Uint8Array(64 * 1024).fill(0x79);
    const n = Math.floor(HIGH_WATER / chunk.length);
    for (let i = 0; i < n; i++) ws().frame(TerminalOpcode.OUTPUT, chunk);
    expect(conn.pending).toBe(HIGH_WATER);
    expect(ws().ops()).not.toContain('2'); // at, not above
    ws().frame(TerminalOpcode.OUTPUT, chunk);
    expect(ws().ops().filter((o) => o === '2')).toHaveLength(1);
    ws().frame(TerminalOpcode.OUTPUT, chunk); // already paused: no second PAUSE
    expect(ws().ops().filter((o) => o === '2')).toHaveLength(1);
    // xterm parses some chunks: still above LOW_WATER, no RESUME yet.
    const keep = Math.ceil(LOW_WATER / chunk.length);
    const writes = term.writes.splice(0);
    for (const w of writes.slice(0, writes.length - keep)) w.cb!();
    expect(conn.pending).toBe(keep * chunk.length);
    expect(ws().ops()).not.toContain('3');
    writes[writes.length - keep]!.cb!();
    expect(conn.pending).toBeLessThan(LOW_WATER);
    // Acks ('4') interleave with rendering; the flow-control frames are PAUSE then RESUME.
    expect(ws().ops().filter((o) => o === '2' || o === '3')).toEqual(['2', '3']);
    expect(conn.paused).toBe(false);
    // Ctrl-C still goes out while output is flowing.
    conn.input('\x03');
    expect(ws().ops().at(-1)).toBe('0');
  });

  it('acknowledges rendered output in 32 KiB steps so the server can bound what is in flight', () => {
    const { term, ws } = setup();
    ws().open();
    ws().frame(TerminalOpcode.SESSION, session());
    const chunk = new Uint8Array(20 * 1024).fill(0x79);
    for (let i = 0; i < 4; i++) ws().frame(TerminalOpcode.OUTPUT, chunk);
    expect(ws().ops()).not.toContain('4'); // nothing rendered yet: nothing acked
    for (const w of term.writes.splice(0)) w.cb!();
    const acks = ws().sent.filter((f) => f[0] === TerminalOpcode.ACK).map((f) => Number(new TextDecoder().decode(f.subarray(1))));
    expect(acks).toEqual([40 * 1024, 40 * 1024]);
  });

  it('on exit shows the reason in the terminal, marks it exited and does not reconnect', () => {
    const { conn, term, ws, sockets, statuses } = setup();
    ws().open();
    ws().frame(TerminalOpcode.SESSION, session());
    ws().frame(TerminalOpcode.EXIT, JSON.stringify({ code: null, signal: 9, reason: 'namespace ns1 was deleted' }));
    ws().drop(1000);
    expect(conn.status).toBe('exited');
    expect(statuses.at(-1)).toBe('exited');
    expect(term.text()).toContain('[process exited: namespace ns1 was deleted]');
    vi.advanceTimersByTime(120_000);
    expect(sockets).toHaveLength(1);
    conn.input('ls\r'); // nowhere to go
    expect(ws().sent).toHaveLength(1);
  });

  it('reports a refused terminal and a plain exit code', () => {
    const a = setup();
    a.ws().open();
    a.ws().frame(TerminalOpcode.EXIT, JSON.stringify({ code: null, signal: null, reason: 'this server allows at most 6 terminals per lab', error: 'LIMIT_TERMINALS' }));
    expect(a.term.text()).toContain('[terminal closed: this server allows at most 6 terminals per lab]');
    const b = setup();
    b.ws().open();
    b.ws().frame(TerminalOpcode.SESSION, session());
    b.ws().frame(TerminalOpcode.EXIT, JSON.stringify({ code: 3, signal: null, reason: 'exited' }));
    expect(b.term.text()).toContain('[process exited with code 3]');
  });

  it('reattaches with ?session=<id> after a drop, with backoff, and resets before the replay', () => {
    const { conn, term, ws, sockets, statuses } = setup();
    ws().open();
    ws().frame(TerminalOpcode.SESSION, session('s-1'));
    ws().frame(TerminalOpcode.OUTPUT, 'root@ns1:~# ');
    ws().drop(1006);
    expect(conn.status).toBe('reconnecting');
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(250);
    expect(sockets).toHaveLength(2);
    expect(ws().url).toMatch(/\?session=s-1$/);
    ws().drop(1006); // server still down: wait longer
    vi.advanceTimersByTime(499);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
    ws().open();
    expect(ws().ops()).toEqual(['1']);
    const before = term.writes.length;
    ws().frame(TerminalOpcode.SESSION, session('s-1'));
    ws().frame(TerminalOpcode.OUTPUT, 'root@ns1:~# ');
    // Full reset queued before the replayed scrollback, so the screen is not printed twice.
    expect(term.writes[before]!.data).toBe('\x1bc');
    expect(conn.status).toBe('open');
    expect(conn.session).toBe('s-1');
    expect(statuses).toEqual(['open', 'reconnecting', 'reconnecting', 'open']);
  });

  it('gives up when the session is gone on the server', () => {
    const { conn, term, ws } = setup();
    ws().open();
    ws().frame(TerminalOpcode.SESSION, session('s-2'));
    ws().drop(1006);
    vi.advanceTimersByTime(250);
    ws().open();
    ws().frame(TerminalOpcode.EXIT, JSON.stringify({ code: null, signal: null, reason: 'that terminal session has ended; open a new one', error: 'SESSION_NOT_FOUND' }));
    ws().drop(1008);
    expect(conn.status).toBe('exited');
    expect(term.text()).toContain('session has ended');
  });

  it('close() ends the shell for good (code 4000) and cancels a pending reconnect', () => {
    const a = setup();
    a.ws().open();
    a.ws().frame(TerminalOpcode.SESSION, session());
    a.conn.close();
    expect(a.ws().closed).toEqual({ code: 4000, reason: 'closed' });
    const b = setup();
    b.ws().open();
    b.ws().frame(TerminalOpcode.SESSION, session());
    b.ws().drop(1006);
    b.conn.close();
    vi.advanceTimersByTime(60_000);
    expect(b.sockets).toHaveLength(1);
  });

  it('a fresh connection after a drop resends PAUSE if xterm is still behind', () => {
    const { term, ws } = setup();
    ws().open();
    ws().frame(TerminalOpcode.SESSION, session());
    for (let i = 0; i < 10; i++) ws().frame(TerminalOpcode.OUTPUT, new Uint8Array(64 * 1024));
    ws().drop(1006);
    vi.advanceTimersByTime(250);
    ws().open();
    expect(ws().ops()).toEqual(['1', '2']);
    term.drain();
    expect(ws().ops()).toEqual(['1', '2', '3']);
  });
});
