// Bytes a collector captured -> headers. The capture is tcpdump's pcap in Linux "cooked v2" form
// (one capture per namespace on `any`: the kernel says which interface and which direction). Every
// byte comes from a lab whose root may forge anything, so each read is bounds-checked and a packet
// that does not parse is skipped, never thrown on: the worst a forged packet can do is be ignored.
import type { ArpHeader, Direction, Headers, Sighting } from './types.ts';

export const LINKTYPE_LINUX_SLL2 = 276;
const SLL2_HEADER = 20;
/** A VXLAN inside a VXLAN inside...: deeper than this is not followed. */
const MAX_DEPTH = 3;

export interface PcapFormat {
  little: boolean;
  nano: boolean;
  linktype: number;
}

/** The 24-byte pcap file header, or null when it is not one. */
export function pcapFormat(h: Uint8Array): PcapFormat | null {
  if (h.length < 24) return null;
  const v = view(h);
  const le = v.getUint32(0, true);
  let little: boolean;
  let nano: boolean;
  if (le === 0xa1b2c3d4 || le === 0xa1b23c4d) [little, nano] = [true, le === 0xa1b23c4d];
  else if (le === 0xd4c3b2a1 || le === 0x4d3cb2a1) [little, nano] = [false, le === 0x4d3cb2a1];
  else return null;
  return { little, nano, linktype: v.getUint32(20, little) & 0x0fffffff };
}

export interface PcapRecord {
  sec: number;
  nsec: number;
  data: Uint8Array;
  length: number;
}

/** One record (16-byte header + captured bytes), or null when it is cut short. */
export function pcapRecord(rec: Uint8Array, f: PcapFormat): PcapRecord | null {
  if (rec.length < 16) return null;
  const v = view(rec);
  const sec = v.getUint32(0, f.little);
  const frac = v.getUint32(4, f.little);
  const incl = v.getUint32(8, f.little);
  const orig = v.getUint32(12, f.little);
  if (incl > rec.length - 16) return null;
  if (f.nano ? frac >= 1e9 : frac >= 1e6) return null;
  return { sec, nsec: f.nano ? frac : frac * 1000, data: rec.subarray(16, 16 + incl), length: orig };
}

export interface DecodeContext {
  node: string;
  /** The node's interface name for an ifindex (undefined: not one nslab knows, the sighting is skipped). */
  ifname(ifindex: number): string | undefined;
  /** The probe's marker bytes. */
  marker: Uint8Array;
  /** UDP ports that carry VXLAN (4789, 8472 and the lab's own). */
  vxlanPorts: ReadonlySet<number>;
}

const PACKET_TYPES = ['host', 'broadcast', 'multicast', 'otherhost', 'outgoing'] as const;

/** A cooked-v2 record -> a sighting, or null when it is not something nslab reads. */
export function decodeSll2(r: PcapRecord, ctx: DecodeContext): Sighting | null {
  const d = r.data;
  if (d.length < SLL2_HEADER) return null;
  const v = view(d);
  const proto = v.getUint16(0);
  const ifindex = v.getUint32(4);
  const hatype = v.getUint16(8);
  const ptype = d[10]!;
  const alen = Math.min(d[11]!, 8);
  const iface = ctx.ifname(ifindex);
  if (iface === undefined) return null;
  const packetType = ptype < PACKET_TYPES.length ? PACKET_TYPES[ptype]! : 'other';
  const direction: Direction = ptype === 4 ? 'out' : 'in';
  const headers: Headers = {};
  // ARPHRD_ETHER: the address is the sender's MAC.
  if (hatype === 1 && alen === 6) headers.ethernet = { src: mac(d, 12), type: proto };
  if (hatype === 772) {
    // loopback: no link layer to speak of
  }
  decodeL3(proto, d.subarray(SLL2_HEADER), headers, ctx, 0);
  return {
    node: ctx.node,
    interface: iface,
    direction,
    packetType,
    sec: r.sec,
    nsec: r.nsec,
    headers,
    marked: indexOf(d, ctx.marker) >= 0,
    length: r.length,
  };
}

/** Network layer and up, for EtherType `proto`, into `h`. */
function decodeL3(proto: number, b: Uint8Array, h: Headers, ctx: DecodeContext, depth: number): void {
  if (proto === 0x8100 || proto === 0x88a8) {
    if (b.length < 4) return;
    const v = view(b);
    h.vlan = { id: v.getUint16(0) & 0x0fff };
    if (h.ethernet) h.ethernet.type = v.getUint16(2);
    decodeL3(v.getUint16(2), b.subarray(4), h, ctx, depth);
    return;
  }
  if (proto === 0x0806) {
    const arp = decodeArp(b);
    if (arp) h.arp = arp;
    return;
  }
  if (proto === 0x0800) decodeIpv4(b, h, ctx, depth);
}

function decodeArp(b: Uint8Array): ArpHeader | null {
  // Ethernet/IPv4 ARP only: hardware 1, protocol 0x0800, lengths 6 and 4.
  if (b.length < 28) return null;
  const v = view(b);
  if (v.getUint16(0) !== 1 || v.getUint16(2) !== 0x0800 || b[4] !== 6 || b[5] !== 4) return null;
  const op = v.getUint16(6);
  return {
    op: op === 1 ? 'request' : op === 2 ? 'reply' : 'other',
    senderMac: mac(b, 8),
    senderIp: ip4(b, 14),
    targetMac: mac(b, 18),
    targetIp: ip4(b, 24),
  };
}

function decodeIpv4(b: Uint8Array, h: Headers, ctx: DecodeContext, depth: number): void {
  if (b.length < 20 || b[0]! >> 4 !== 4) return;
  const ihl = (b[0]! & 0x0f) * 4;
  if (ihl < 20 || b.length < ihl) return;
  const v = view(b);
  const protocol = b[9]!;
  h.ipv4 = { src: ip4(b, 12), dst: ip4(b, 16), ttl: b[8]!, id: v.getUint16(4), protocol, length: v.getUint16(2) };
  // A later fragment carries no transport header.
  if ((v.getUint16(6) & 0x1fff) !== 0) return;
  const t = b.subarray(ihl);
  if (protocol === 1 && t.length >= 8) {
    const type = t[0]!;
    const code = t[1]!;
    const tv = view(t);
    h.icmp = { type, code, name: icmpName(type, code) };
    if (type === 0 || type === 8) {
      h.icmp.id = tv.getUint16(4);
      h.icmp.seq = tv.getUint16(6);
    } else if ((type === 3 || type === 11 || type === 12 || type === 5) && depth < MAX_DEPTH) {
      const quoted: Headers = {};
      decodeIpv4(t.subarray(8), quoted, ctx, depth + 1);
      if (quoted.ipv4) h.quoted = quoted;
    }
  } else if (protocol === 17 && t.length >= 8) {
    const tv = view(t);
    h.udp = { src: tv.getUint16(0), dst: tv.getUint16(2) };
    // VXLAN: flags byte with the I bit, then the VNI, then an Ethernet frame.
    if (ctx.vxlanPorts.has(h.udp.dst) && t.length >= 16 + 14 && (t[8]! & 0x08) !== 0 && depth < MAX_DEPTH) {
      const vni = (t[12]! << 16) | (t[13]! << 8) | t[14]!;
      h.vxlan = { vni };
      const frame = t.subarray(16);
      const inner: Headers = { ethernet: { dst: mac(frame, 0), src: mac(frame, 6), type: view(frame).getUint16(12) } };
      decodeL3(inner.ethernet!.type, frame.subarray(14), inner, ctx, depth + 1);
      h.inner = inner;
    }
  } else if (protocol === 6 && t.length >= 20) {
    const tv = view(t);
    const f = t[13]!;
    const flags = [[0x02, 'S'], [0x10, '.'], [0x01, 'F'], [0x04, 'R'], [0x08, 'P']]
      .filter(([bit]) => (f & (bit as number)) !== 0)
      .map(([, c]) => c)
      .join('');
    h.tcp = { src: tv.getUint16(0), dst: tv.getUint16(2), seq: tv.getUint32(4), ack: tv.getUint32(8), flags };
  }
}

const ICMP_TYPES: Record<number, string> = {
  0: 'echo-reply',
  3: 'destination-unreachable',
  5: 'redirect',
  8: 'echo-request',
  11: 'time-exceeded',
  12: 'parameter-problem',
};
const UNREACH_CODES: Record<number, string> = {
  0: 'net', 1: 'host', 2: 'protocol', 3: 'port', 4: 'fragmentation-needed', 9: 'net-prohibited', 10: 'host-prohibited', 13: 'admin-prohibited',
};

export function icmpName(type: number, code: number): string {
  const t = ICMP_TYPES[type] ?? `type-${type}`;
  if (type === 3) return `${t} (${UNREACH_CODES[code] ?? `code ${code}`})`;
  return t;
}

// ---------- bytes ----------

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function mac(b: Uint8Array, at: number): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(hex2(b[at + i] ?? 0));
  return out.join(':');
}

function ip4(b: Uint8Array, at: number): string {
  return `${b[at] ?? 0}.${b[at + 1] ?? 0}.${b[at + 2] ?? 0}.${b[at + 3] ?? 0}`;
}

/** First index of `needle` in `hay`, or -1 (needles are 16 bytes, packets a few hundred). */
export function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0 || needle.length > hay.length) return -1;
  const first = needle[0]!;
  outer: for (let i = 0; i <= hay.length - needle.length; i++) {
    if (hay[i] !== first) continue;
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Hex (an even number of digits) -> bytes; null when it is not hex. */
export function hexBytes(hex: string): Uint8Array | null {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
