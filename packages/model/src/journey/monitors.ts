// What the neighbour and conntrack monitors of a trace said, read line by line. `ip -ts -o monitor
// neigh` (run with TZ=UTC0: its stamps are wall-clock local time) reports the ARP cache (an entry
// resolved, or FAILED when nobody answered) and, for bridge ports, the fdb (a MAC learned on a
// port); `conntrack -E -o timestamp` reports NAT's connection entries with both tuples. The lines
// come from the lab (its root can write into the monitors' pipes), so each reader keeps a bounded
// number of events, bounded lines, and skips what does not parse.
import type { ConntrackEvent, ConntrackTuple, NeighbourEvent } from './types.ts';

/** Events kept per namespace and monitor; a flood past this is counted, not kept. */
export const MAX_MONITOR_EVENTS = 2000;
const MAX_LINE = 1024;

abstract class LineReader<T> {
  protected readonly events: T[] = [];
  private buf = '';
  /** Lines past MAX_MONITOR_EVENTS (a flood), or longer than a monitor writes. */
  dropped = 0;
  constructor(readonly node: string) {}
  push(chunk: string): void {
    this.buf += chunk;
    const lines = this.buf.split('\n');
    this.buf = lines.pop()!;
    if (this.buf.length > MAX_LINE) {
      this.buf = '';
      this.dropped++;
    }
    for (const l of lines) {
      if (l.length > MAX_LINE) {
        this.dropped++;
        continue;
      }
      const e = this.parse(l.trimEnd());
      if (!e) continue;
      if (this.events.length >= MAX_MONITOR_EVENTS) this.dropped++;
      else this.events.push(e);
    }
  }
  list(): T[] {
    return this.events;
  }
  protected abstract parse(line: string): T | null;
}

const IPV4 = String.raw`\d{1,3}(?:\.\d{1,3}){3}`;
const NEIGH = new RegExp(String.raw`^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{1,9})\]\s+(Deleted\s+)?(?:(${IPV4})\s+)?dev\s+([^\s]{1,15})(?:\s+lladdr\s+([0-9a-f]{2}(?::[0-9a-f]{2}){5}))?(.*)$`);

export class NeighbourReader extends LineReader<NeighbourEvent> {
  protected parse(line: string): NeighbourEvent | null {
    const m = NEIGH.exec(line);
    if (!m) return null;
    const ms = Date.parse(`${m[1]}Z`);
    if (!Number.isFinite(ms)) return null;
    const states = (m[7] ?? '').match(/\b[A-Z]{3,12}\b/g) ?? [];
    const state = states.at(-1) ?? 'NONE';
    // Multicast and v6 entries are not the probe's (the v6 ones fail the address pattern anyway).
    if (state === 'NOARP') return null;
    const frac = m[2]!.padEnd(9, '0');
    return {
      node: this.node,
      sec: Math.floor(ms / 1000),
      nsec: Number(frac),
      ...(m[4] ? { ip: m[4] } : {}),
      dev: m[5]!,
      ...(m[6] ? { mac: m[6] } : {}),
      state,
      deleted: !!m[3],
      line: line.replace(/^\[[^\]]*\]\s+/, ''),
    };
  }
}

const CT = /^\[(\d{1,12})\.(\d{1,9})\]\s+\[(NEW|UPDATE|DESTROY)\]\s+([a-z0-9]{1,10})\s+\d+\s+(.*)$/;

function tuple(fields: string): ConntrackTuple | null {
  const kv = new Map<string, string>();
  for (const m of fields.matchAll(/\b(src|dst|sport|dport|id|type)=([0-9.]{1,15})/g)) if (!kv.has(m[1]!)) kv.set(m[1]!, m[2]!);
  const src = kv.get('src');
  const dst = kv.get('dst');
  if (!src || !dst || !new RegExp(`^${IPV4}$`).test(src) || !new RegExp(`^${IPV4}$`).test(dst)) return null;
  const num = (k: string) => (kv.has(k) ? { [k]: Number(kv.get(k)) } : {});
  return { src, dst, ...num('sport'), ...num('dport'), ...num('id') };
}

export class ConntrackReader extends LineReader<ConntrackEvent> {
  protected parse(line: string): ConntrackEvent | null {
    const m = CT.exec(line);
    if (!m) return null;
    // The original tuple comes first, the reply tuple after it (from the second src=).
    const rest = m[5]!;
    const second = rest.indexOf('src=', rest.indexOf('src=') + 4);
    if (second < 0) return null;
    const original = tuple(rest.slice(0, second));
    const reply = tuple(rest.slice(second));
    if (!original || !reply) return null;
    return {
      node: this.node,
      sec: Number(m[1]),
      nsec: Number(m[2]!.padEnd(9, '0')),
      event: m[3] as ConntrackEvent['event'],
      protocol: m[4]!,
      original,
      reply,
      line: line.replace(/^\[[^\]]*\]\s+/, '').replace(/\s+/g, ' '),
    };
  }
}

export function tupleText(t: ConntrackTuple): string {
  const port = (p?: number) => (p !== undefined ? `:${p}` : '');
  return `${t.src}${port(t.sport)} -> ${t.dst}${port(t.dport)}${t.id !== undefined ? ` id ${t.id}` : ''}`;
}
