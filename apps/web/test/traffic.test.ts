import { describe, expect, it } from 'vitest';
import type { CountersMessage, InterfaceCounters, ServerMessage } from '@nslab/protocol';
import { applyCounters, formatBytesRate, formatPacketRate, linkRate, noTraffic, trafficLevel } from '../src/live/traffic.ts';
import { LabStore, type SocketLike, type Visibility } from '../src/live/lab-store.ts';
import { vethPair } from './fixtures.ts';

const c = (rxBytes: number, rxPackets: number, txBytes: number, txPackets: number): InterfaceCounters => ({ rxBytes, rxPackets, txBytes, txPackets });
const msg = (time: number, full: boolean, nodes: CountersMessage['nodes']): CountersMessage => ({ type: 'counters', time, full, nodes });

describe('rates from counters messages', () => {
  const first = msg(10_000, true, { ns1: { eth0: c(100, 1, 200, 2), lo: c(0, 0, 0, 0) }, ns2: { eth0: c(200, 2, 100, 1) } });

  it('knows no rates from the first sample, only totals', () => {
    const t = applyCounters(noTraffic, first);
    expect(t.ready).toBe(false);
    expect(t.rates.size).toBe(0);
    expect(t.totals.get('ns1')!.get('eth0')).toEqual(c(100, 1, 200, 2));
  });

  it('divides what moved by the time between samples; namespaces left out stood still', () => {
    const a = applyCounters(noTraffic, first);
    const b = applyCounters(a, msg(12_000, false, { ns1: { eth0: c(100 + 196, 1 + 2, 200 + 392, 2 + 4), lo: c(0, 0, 0, 0) } }));
    expect(b.ready).toBe(true);
    expect(b.rates.get('ns1:eth0')).toEqual({ rxBytes: 98, rxPackets: 1, txBytes: 196, txPackets: 2 });
    expect(b.rates.has('ns1:lo')).toBe(false);
    expect(b.rates.has('ns2:eth0')).toBe(false);
    // Totals keep the namespaces the change list left out.
    expect(b.totals.get('ns2')!.get('eth0')).toEqual(c(200, 2, 100, 1));
    // The next still sample clears the rate.
    const still = applyCounters(b, msg(13_000, false, {}));
    expect(still.ready).toBe(true);
    expect(still.rates.size).toBe(0);
    expect(still.totals.get('ns1')!.get('eth0')).toEqual(c(296, 3, 592, 6));
  });

  it('compares a full sample with the one before it', () => {
    const a = applyCounters(noTraffic, first);
    const b = applyCounters(a, msg(11_000, true, { ns2: { eth0: c(1200, 12, 100, 1) } }));
    expect(b.rates.get('ns2:eth0')).toEqual({ rxBytes: 1000, rxPackets: 10, txBytes: 0, txPackets: 0 });
    // A full sample replaces the totals: ns1 is gone from them.
    expect(b.totals.has('ns1')).toBe(false);
  });

  it('gives no rate for an interface made again (counters went down) or a new one', () => {
    const a = applyCounters(noTraffic, first);
    const b = applyCounters(a, msg(11_000, false, { ns1: { eth0: c(10, 1, 10, 1), eth1: c(500, 5, 0, 0) } }));
    expect(b.rates.size).toBe(0);
    expect(b.totals.get('ns1')!.has('lo')).toBe(false);
  });

  it('ignores a change list before any full sample, and samples that do not move forward in time', () => {
    expect(applyCounters(noTraffic, msg(1, false, { ns1: { eth0: c(1, 1, 1, 1) } }))).toBe(noTraffic);
    const a = applyCounters(noTraffic, first);
    const b = applyCounters(a, msg(first.time, false, { ns1: { eth0: c(999, 9, 999, 9) } }));
    expect(b.ready).toBe(false);
    expect(b.rates.size).toBe(0);
  });

  it('keeps names such as __proto__ as plain keys', () => {
    const nodes = JSON.parse('{"__proto__":{"__proto__":{"rxBytes":1,"rxPackets":1,"txBytes":1,"txPackets":1}}}') as CountersMessage['nodes'];
    const a = applyCounters(noTraffic, msg(1000, true, nodes));
    const more = JSON.parse('{"__proto__":{"__proto__":{"rxBytes":3,"rxPackets":2,"txBytes":1,"txPackets":1}}}') as CountersMessage['nodes'];
    const b = applyCounters(a, msg(2000, false, more));
    expect(b.rates.get('__proto__:__proto__')).toEqual({ rxBytes: 2, rxPackets: 1, txBytes: 0, txPackets: 0 });
    expect(({} as Record<string, unknown>).rxBytes).toBeUndefined();
  });

  it('rates a veth pair by its busier end, in levels per decade', () => {
    const rates = new Map([['ns1:eth0', { rxBytes: 98, rxPackets: 1, txBytes: 98, txPackets: 1 }]]);
    expect(linkRate(rates, { node: 'ns1', interface: 'eth0' }, { node: 'ns2', interface: 'eth0' })).toBe(196);
    expect(linkRate(rates, { node: 'ns2', interface: 'eth0' }, { node: 'ns1', interface: 'eth0' })).toBe(196);
    expect(linkRate(rates, { node: 'ns3', interface: 'eth0' }, { node: 'ns2', interface: 'eth0' })).toBe(0);
    expect([0, 0.5, 196, 1e3, 5e4, 2e5, 3e7].map(trafficLevel)).toEqual([0, 1, 1, 2, 3, 4, 5]);
  });

  it('formats rates for people', () => {
    expect(formatBytesRate(0)).toBe('0 B/s');
    expect(formatBytesRate(196)).toBe('196 B/s');
    expect(formatBytesRate(1234)).toBe('1.2 kB/s');
    expect(formatBytesRate(34_000_000)).toBe('34 MB/s');
    expect(formatPacketRate(1)).toBe('1.0 pkt/s');
    expect(formatPacketRate(0)).toBe('0 pkt/s');
    expect(formatPacketRate(123.4)).toBe('123 pkt/s');
  });
});

class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: unknown[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(d: string) {
    this.sent.push(JSON.parse(d));
  }
  close() {
    this.readyState = 3;
    this.onclose?.({});
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  deliver(m: ServerMessage) {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
}

class FakeVisibility implements Visibility {
  shown = true;
  private listeners = new Set<() => void>();
  visible = () => this.shown;
  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  set(v: boolean) {
    this.shown = v;
    for (const l of this.listeners) l();
  }
  get watchers() {
    return this.listeners.size;
  }
}

describe('LabStore and live counters', () => {
  const make = () => {
    FakeSocket.all = [];
    const vis = new FakeVisibility();
    const store = new LabStore('demo', { origin: 'ws://x', open: (u) => new FakeSocket(u), visibility: vis });
    return { store, vis };
  };
  const ping = (time: number, tx: number): CountersMessage => msg(time, false, { ns1: { eth0: c(tx, tx / 98, tx, tx / 98) } });

  /** The server's snapshot, and the frame that draws it: counters are asked for only then. */
  const drawn = async (ws: FakeSocket) => {
    ws.deliver({ type: 'snapshot', version: 1, stream: 's', seq: 1, lab: vethPair(), positions: {}, log: [] });
    await new Promise((r) => setTimeout(r, 0));
  };

  it('asks for counters once the snapshot is drawn, not with the hello (they would compete with the first drawing)', async () => {
    const { store } = make();
    store.connect();
    const ws = FakeSocket.all[0]!;
    ws.open();
    expect(ws.sent).toEqual([{ type: 'hello', version: 1 }]);
    ws.deliver({ type: 'snapshot', version: 1, stream: 's', seq: 1, lab: vethPair(), positions: {}, log: [] });
    expect(ws.sent).toEqual([{ type: 'hello', version: 1 }]);
    await new Promise((r) => setTimeout(r, 0));
    expect(ws.sent).toEqual([{ type: 'hello', version: 1 }, { type: 'counters', on: true }]);
    // A second snapshot (a resync) does not ask again.
    await drawn(ws);
    expect(ws.sent).toHaveLength(2);
    store.close();
  });

  it('asks for counters after the drawing while visible, stops when hidden, asks again when shown', async () => {
    const { store, vis } = make();
    store.connect();
    const ws = FakeSocket.all[0]!;
    ws.open();
    await drawn(ws);
    expect(ws.sent).toEqual([{ type: 'hello', version: 1 }, { type: 'counters', on: true }]);
    ws.deliver(msg(1000, true, { ns1: { eth0: c(0, 0, 0, 0) } }));
    ws.deliver(ping(2000, 196));
    expect(store.getTraffic().rates.get('ns1:eth0')!.txBytes).toBe(196);
    const seen: boolean[] = [];
    store.subscribeTraffic((t) => seen.push(t.ready));

    vis.set(false);
    expect(ws.sent.at(-1)).toEqual({ type: 'counters', on: false });
    // Stale rates go at once; a sample still in flight is ignored.
    expect(store.getTraffic().rates.size).toBe(0);
    ws.deliver(ping(3000, 392));
    expect(store.getTraffic().time).toBe(0);
    vis.set(false);
    expect(ws.sent).toHaveLength(3);

    vis.set(true);
    expect(ws.sent.at(-1)).toEqual({ type: 'counters', on: true });
    ws.deliver(msg(5000, true, { ns1: { eth0: c(392, 4, 392, 4) } }));
    expect(store.getTraffic()).toMatchObject({ time: 5000, ready: false });
    expect(seen).toEqual([false, false]);
    store.close();
    expect(vis.watchers).toBe(0);
  });

  it('does not ask while hidden, and asks once shown', async () => {
    const { store, vis } = make();
    vis.shown = false;
    store.connect();
    const ws = FakeSocket.all[0]!;
    vis.set(true); // before the socket is open: nothing to send yet
    vis.shown = false;
    ws.open();
    await drawn(ws);
    expect(ws.sent).toEqual([{ type: 'hello', version: 1 }]);
    vis.set(true);
    expect(ws.sent.at(-1)).toEqual({ type: 'counters', on: true });
    store.close();
  });

  it('forgets rates when the socket drops and asks again on the new one', async () => {
    const { store } = make();
    store.connect();
    const ws = FakeSocket.all[0]!;
    ws.open();
    await drawn(ws);
    ws.deliver(msg(1000, false, {}));
    expect(store.getTraffic().time).toBe(0);
    ws.deliver(msg(1000, true, { ns1: { eth0: c(0, 0, 0, 0) } }));
    ws.deliver(ping(2000, 98));
    expect(store.getTraffic().ready).toBe(true);
    ws.close();
    expect(store.getTraffic().ready).toBe(false);
    await new Promise((r) => setTimeout(r, 600));
    const again = FakeSocket.all[1]!;
    again.open();
    // The lab is drawn already: the new socket resumes (no snapshot to wait for) and asks at once.
    expect(again.sent).toEqual([{ type: 'hello', version: 1, lastSeq: 1, stream: 's' }, { type: 'counters', on: true }]);
    store.close();
  });

  it('keeps counters out of the lab state', () => {
    const { store } = make();
    store.connect();
    const ws = FakeSocket.all[0]!;
    ws.open();
    const before = store.getState();
    ws.deliver(msg(1000, true, {}));
    expect(store.getState()).toBe(before);
    store.close();
  });
});
