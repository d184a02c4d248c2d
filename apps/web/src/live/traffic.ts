// Pure: live counters messages -> per-interface rates. The server sends a full sample first, then
// only the namespaces whose counters changed; a namespace left out stood still, so its rates are 0.
import type { CountersMessage, InterfaceCounters } from '@nslab/protocol';

/** Per second, over the last sampling interval. */
export interface InterfaceRates {
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

export interface Traffic {
  /** Server time of the last sample (0: none yet). */
  time: number;
  /** node -> interface -> counters, as of `time`. */
  totals: ReadonlyMap<string, ReadonlyMap<string, InterfaceCounters>>;
  /** By "node:interface": only interfaces that moved in the last interval; missing means 0. */
  rates: ReadonlyMap<string, InterfaceRates>;
  /** Two samples arrived: `rates` says something (before that nothing is known). */
  ready: boolean;
}

export const noTraffic: Traffic = Object.freeze({ time: 0, totals: new Map(), rates: new Map(), ready: false });

export const rateKey = (node: string, iface: string) => `${node}:${iface}`;

function toMap(ifaces: Record<string, InterfaceCounters>): Map<string, InterfaceCounters> {
  return new Map(Object.entries(ifaces));
}

const FIELDS = ['rxBytes', 'rxPackets', 'txBytes', 'txPackets'] as const;

/** The state after one counters message. */
export function applyCounters(t: Traffic, m: CountersMessage): Traffic {
  // A change list means nothing without the sample it changes.
  if (!m.full && t.time === 0) return t;
  const totals = new Map(m.full ? [] : t.totals);
  for (const [node, ifaces] of Object.entries(m.nodes)) totals.set(node, toMap(ifaces));
  const dt = (m.time - t.time) / 1000;
  if (t.time === 0 || dt <= 0) return { time: m.time, totals, rates: new Map(), ready: false };
  const rates = new Map<string, InterfaceRates>();
  // Only namespaces in the message can have moved.
  for (const [node, ifaces] of Object.entries(m.nodes)) {
    const before = t.totals.get(node);
    if (!before) continue;
    for (const [name, now] of Object.entries(ifaces)) {
      const prev = before.get(name);
      if (!prev) continue;
      const d = FIELDS.map((f) => now[f] - prev[f]);
      // Smaller than before: the interface was deleted and made again; no rate for this interval.
      if (d.some((x) => x < 0) || d.every((x) => x === 0)) continue;
      rates.set(rateKey(node, name), { rxBytes: d[0]! / dt, rxPackets: d[1]! / dt, txBytes: d[2]! / dt, txPackets: d[3]! / dt });
    }
  }
  return { time: m.time, totals, rates, ready: true };
}

/** Bytes per second through a veth pair, both directions: the busier of its two ends' views. */
export function linkRate(rates: ReadonlyMap<string, InterfaceRates>, a: { node: string; interface: string }, b: { node: string; interface: string }): number {
  const through = (e: { node: string; interface: string }) => {
    const r = rates.get(rateKey(e.node, e.interface));
    return r ? r.rxBytes + r.txBytes : 0;
  };
  return Math.max(through(a), through(b));
}

/** 0 for a still link, then 1..5 per decade from under 1 kB/s to 1 MB/s and more: the edge's width. */
export function trafficLevel(bytesPerSecond: number): number {
  if (!(bytesPerSecond > 0)) return 0;
  if (bytesPerSecond < 1e3) return 1;
  if (bytesPerSecond < 1e4) return 2;
  if (bytesPerSecond < 1e5) return 3;
  if (bytesPerSecond < 1e6) return 4;
  return 5;
}

/** "196 B/s", "1.2 kB/s", "34 MB/s": two significant digits are plenty for something that moves. */
export function formatBytesRate(bps: number): string {
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s'];
  let v = bps;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  const text = v >= 10 || u === 0 ? String(Math.round(v)) : v.toFixed(1);
  return `${text} ${units[u]}`;
}

/** Packets per second: whole numbers, with one decimal below 10 (a ping is 1/s). */
export function formatPacketRate(pps: number): string {
  return `${pps >= 10 || pps === 0 ? Math.round(pps) : pps.toFixed(1)} pkt/s`;
}
