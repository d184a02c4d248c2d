// The capture panel's pure parts: lines with gaps and a cap, and the stream client against a fake socket.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CaptureInfo } from '@nslab/protocol';
import { CaptureLines } from '../src/capture/capture-lines.ts';
import { CaptureStream, type CaptureSocket, type StreamStatus } from '../src/capture/capture-connection.ts';

const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `l${from + i}`);

describe('CaptureLines', () => {
  it('keeps lines in order, marks what was missed, and skips repeats', () => {
    const c = new CaptureLines();
    c.push(1, lines(1, 3));
    c.push(7, lines(7, 2)); // 4..6 missed
    c.push(5, lines(5, 5)); // a reconnect replaying 5..9: only 9 is new
    expect(c.all()).toEqual([
      { kind: 'line', n: 1, text: 'l1' },
      { kind: 'line', n: 2, text: 'l2' },
      { kind: 'line', n: 3, text: 'l3' },
      { kind: 'gap', missed: 3 },
      { kind: 'line', n: 7, text: 'l7' },
      { kind: 'line', n: 8, text: 'l8' },
      { kind: 'line', n: 9, text: 'l9' },
    ]);
    expect(c.missed).toBe(3);
    expect(c.received).toBe(6);
  });

  it('keeps only the newest entries and tells a view when it fell behind the trim', () => {
    const c = new CaptureLines(10);
    c.push(1, lines(1, 4));
    const mark = c.mark;
    c.push(5, lines(5, 3));
    expect(c.since(mark).map((e) => (e.kind === 'line' ? e.n : 0))).toEqual([5, 6, 7]);
    expect(c.stale(mark)).toBe(false);
    c.push(8, lines(8, 20));
    expect(c.size).toBe(10);
    expect(c.stale(mark)).toBe(true);
    expect(c.all().map((e) => (e.kind === 'line' ? e.n : 0))).toEqual([18, 19, 20, 21, 22, 23, 24, 25, 26, 27]);
  });

  it('clears the view but keeps counting', () => {
    const c = new CaptureLines();
    c.push(1, lines(1, 2));
    const epoch = c.epoch;
    c.clear();
    expect(c.size).toBe(0);
    expect(c.epoch).not.toBe(epoch);
    c.push(3, lines(3, 1));
    expect(c.all()).toEqual([{ kind: 'line', n: 3, text: 'l3' }]);
  });
});

class FakeSocket implements CaptureSocket {
  readyState = 1;
  closed: number | null = null;
  onmessage: CaptureSocket['onmessage'] = null;
  onclose: CaptureSocket['onclose'] = null;
  onerror: CaptureSocket['onerror'] = null;
  constructor(readonly url: string) {}
  close(code?: number): void {
    this.closed = code ?? 1005;
  }
  deliver(m: object): void {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

const info = (state: 'running' | 'stopped'): CaptureInfo =>
  ({ id: 'x', lab: 'l', node: 'ns1', interface: 'veth1', filter: '', linkHeader: false, state, startedAt: '', packets: 1, bytes: 100, lines: 1, undecoded: 0, kernelDropped: 0, limits: { maxBytes: 1, maxDurationMs: 1 } }) as CaptureInfo;

afterEach(() => vi.useRealTimers());

describe('CaptureStream', () => {
  function setup() {
    const sockets: FakeSocket[] = [];
    const got: { lines: [number, string[]][]; statuses: StreamStatus[]; dropped: number[] } = { lines: [], statuses: [], dropped: [] };
    const stream = new CaptureStream('/events', (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    }, {
      onLines: (first, l) => got.lines.push([first, l]),
      onStatus: (_i, d) => got.dropped.push(d),
      onStream: (s) => got.statuses.push(s),
    });
    return { sockets, got, stream };
  }

  it('passes lines and status on, and ends with the capture', () => {
    const { sockets, got } = setup();
    sockets[0]!.deliver({ type: 'status', capture: info('running'), dropped: 0 });
    sockets[0]!.deliver({ type: 'lines', first: 1, lines: ['a', 'b'], dropped: 0 });
    sockets[0]!.deliver({ type: 'status', capture: info('stopped'), dropped: 2 });
    sockets[0]!.drop(1000);
    expect(got.lines).toEqual([[1, ['a', 'b']]]);
    expect(got.dropped).toEqual([0, 2]);
    expect(got.statuses).toEqual(['connecting', 'live', 'ended', 'ended']);
    expect(sockets).toHaveLength(1);
  });

  it('reopens a stream that drops while the capture runs', async () => {
    vi.useFakeTimers();
    const { sockets, got, stream } = setup();
    sockets[0]!.deliver({ type: 'status', capture: info('running'), dropped: 0 });
    sockets[0]!.drop();
    expect(got.statuses.at(-1)).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(2000);
    expect(sockets).toHaveLength(2);
    stream.close();
    expect(sockets[1]!.closed).toBe(1000);
  });

  it('stops on a server error (capture gone)', () => {
    const { sockets, got } = setup();
    sockets[0]!.deliver({ type: 'error', code: 'CAPTURE_NOT_FOUND', message: 'gone' });
    sockets[0]!.drop(1008);
    expect(got.statuses.at(-1)).toBe('ended');
    expect(sockets).toHaveLength(1);
  });
});
