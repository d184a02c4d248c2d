import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CaptureServerMessage } from '@nslab/protocol';
import { CaptureViewer, type ViewerTransport } from '../src/capture-viewer.ts';
import { captureCommandLine } from '../src/captures.ts';

class FakeSocket implements ViewerTransport {
  bufferedAmount = 0;
  open = true;
  frames: CaptureServerMessage[] = [];
  closed: number | null = null;
  send(text: string): void {
    this.frames.push(JSON.parse(text) as CaptureServerMessage);
  }
  close(code: number): void {
    this.closed = code;
    this.open = false;
  }
  lines(): { n: number; text: string }[] {
    return this.frames.flatMap((f) => (f.type === 'lines' ? f.lines.map((text, i) => ({ n: f.first + i, text })) : []));
  }
}

const numbered = (from: number, count: number) => Array.from({ length: count }, (_, i) => `line ${from + i}`);

afterEach(() => vi.useRealTimers());

describe('CaptureViewer', () => {
  it('batches lines in order with their numbers', async () => {
    vi.useFakeTimers();
    const s = new FakeSocket();
    const v = new CaptureViewer(s, { maxQueue: 100, maxBatch: 4 });
    v.push(1, numbered(1, 3));
    v.push(4, numbered(4, 7));
    expect(s.frames).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(20);
    expect(s.frames.length).toBe(3);
    expect(s.lines().map((l) => l.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(s.lines().every((l) => l.text === `line ${l.n}`)).toBe(true);
    expect(v.dropped).toBe(0);
  });

  it('holds lines while the socket is full and drops (and counts) the oldest when the queue overflows', async () => {
    vi.useFakeTimers();
    const s = new FakeSocket();
    s.bufferedAmount = 10 << 20;
    const v = new CaptureViewer(s, { maxQueue: 50 });
    v.push(1, numbered(1, 30));
    v.push(31, numbered(31, 40));
    await vi.advanceTimersByTimeAsync(100);
    expect(s.frames).toHaveLength(0);
    expect(v.queued).toBe(50);
    expect(v.dropped).toBe(20);
    // Drains: the newest 50 arrive, numbered so the client sees the gap before them.
    s.bufferedAmount = 0;
    await vi.advanceTimersByTimeAsync(20);
    v.push(71, numbered(71, 5));
    await vi.advanceTimersByTimeAsync(20);
    const ns = s.lines().map((l) => l.n);
    expect(ns).toEqual(Array.from({ length: 55 }, (_, i) => i + 21));
    expect(s.lines().every((l) => l.text === `line ${l.n}`)).toBe(true);
    const last = s.frames.at(-1)!;
    expect(last.type === 'lines' && last.dropped).toBe(20);
  });

  it('keeps only the newest lines of a push larger than the queue', async () => {
    vi.useFakeTimers();
    const s = new FakeSocket();
    const v = new CaptureViewer(s, { maxQueue: 10, maxBatch: 3 });
    v.push(1, numbered(1, 25));
    await vi.advanceTimersByTimeAsync(20);
    expect(s.lines().map((l) => l.n)).toEqual(Array.from({ length: 10 }, (_, i) => i + 16));
    expect(v.dropped).toBe(15);
  });

  it('counts lines it joined too late for, and ignores repeats', async () => {
    vi.useFakeTimers();
    const s = new FakeSocket();
    const v = new CaptureViewer(s, { maxQueue: 100 });
    v.push(11, numbered(11, 5));
    v.push(13, numbered(13, 5));
    await vi.advanceTimersByTimeAsync(20);
    expect(s.lines().map((l) => l.n)).toEqual([11, 12, 13, 14, 15, 16, 17]);
    expect(v.dropped).toBe(10);
  });

  it('finishes with the remaining lines, then the last message, then closes', async () => {
    vi.useFakeTimers();
    const s = new FakeSocket();
    const v = new CaptureViewer(s, { maxQueue: 100 });
    v.push(1, numbered(1, 3));
    v.finish({ type: 'error', code: 'X', message: 'done' });
    v.push(4, numbered(4, 1));
    await vi.advanceTimersByTimeAsync(5);
    expect(s.frames.map((f) => f.type)).toEqual(['lines', 'error']);
    expect(s.lines()).toHaveLength(3);
    expect(s.closed).toBe(1000);
  });

  it('gives up on a client that stopped reading after the capture ended', async () => {
    vi.useFakeTimers();
    const s = new FakeSocket();
    s.bufferedAmount = 10 << 20;
    const v = new CaptureViewer(s, { maxQueue: 100 });
    v.push(1, numbered(1, 10));
    v.finish({ type: 'status', capture: {} as never, dropped: 0 });
    await vi.advanceTimersByTimeAsync(11_000);
    expect(s.closed).toBe(1000);
    const last = s.frames.at(-1)!;
    expect(last.type === 'status' && last.dropped).toBe(10);
  });
});


describe('captureCommandLine', () => {
  it('is the tcpdump a learner would type, quoted for a shell', () => {
    expect(captureCommandLine('ns1', 'veth1', 'icmp or arp', false)).toBe("ip netns exec ns1 tcpdump -i veth1 -n -l 'icmp or arp'");
    expect(captureCommandLine('host', 'br0', '', true)).toBe('tcpdump -i br0 -n -l -e');
  });
});
