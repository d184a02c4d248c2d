// IPv4/IPv6 addresses and prefixes, parsed strictly: anything accepted here is passed to `ip` as
// one argv word, so there is no "close enough" (no zone ids, no leading zeros, no shorthand v4).

import { quote } from './display.ts';

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  /** 4 bytes for IPv4, 16 for IPv6, network order. */
  bytes: Uint8Array;
}

export interface Cidr extends IpAddress {
  prefix: number;
}

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Parsed bytes, or the reason the text is not an IPv4 address. */
function ipv4(s: string): Uint8Array | string {
  const parts = s.split('.');
  if (parts.length !== 4) return `${quote(s)} is not an IPv4 address: it needs 4 dot-separated numbers`;
  const bytes = new Uint8Array(4);
  for (const [i, p] of parts.entries()) {
    if (!/^[0-9]+$/.test(p)) return `${quote(s)} is not an IPv4 address: ${quote(p)} is not a number`;
    // Some tools read a leading zero as octal (010 = 8), so the same text would mean two addresses.
    if (!DECIMAL.test(p)) return `${quote(s)} is not an IPv4 address: ${quote(p)} has a leading zero`;
    const n = Number(p);
    if (n > 255) return `${quote(s)} is not an IPv4 address: ${p} is more than 255`;
    bytes[i] = n;
  }
  return bytes;
}

function ipv6(s: string): Uint8Array | string {
  const bad = (why: string) => `${quote(s)} is not an IPv6 address: ${why}`;
  if (s.includes('%')) return bad('zone indexes such as %eth0 are not accepted');
  const gap = s.indexOf('::');
  if (gap !== s.lastIndexOf('::')) return bad('"::" may appear only once');
  const splitGroups = (part: string) => (part === '' ? [] : part.split(':'));
  // An embedded IPv4 address may only be the final 32 bits (::ffff:10.0.0.1).
  const words = (groups: string[], v4Last: boolean): number[] | string => {
    const out: number[] = [];
    for (const [i, g] of groups.entries()) {
      if (g.includes('.')) {
        if (!v4Last || i !== groups.length - 1) return bad(`the IPv4 part ${quote(g)} must come last`);
        const v4 = ipv4(g);
        if (typeof v4 === 'string') return bad(`its IPv4 part ${quote(g)} is invalid`);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (HEX_GROUP.test(g)) {
        out.push(parseInt(g, 16));
      } else {
        return bad(g === '' ? 'it has an empty group' : `${quote(g)} is not a group of 1-4 hex digits`);
      }
    }
    return out;
  };
  const head = words(splitGroups(gap < 0 ? s : s.slice(0, gap)), gap < 0);
  if (typeof head === 'string') return head;
  const tail = words(gap < 0 ? [] : splitGroups(s.slice(gap + 2)), true);
  if (typeof tail === 'string') return tail;
  const count = head.length + tail.length;
  if (gap < 0 && count !== 8) return bad(`it has ${count} groups, not 8`);
  if (gap >= 0 && count > 7) return bad('"::" must stand for at least one zero group');

  const full = [...head, ...new Array<number>(8 - count).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  full.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytes;
}

function ipDetailed(s: string): IpAddress | string {
  if (typeof s !== 'string' || s === '') return 'an address must be a non-empty string';
  const r = s.includes(':') ? ipv6(s) : ipv4(s);
  if (typeof r === 'string') return r;
  return { family: r.length === 4 ? 4 : 6, bytes: r };
}

function cidrDetailed(s: string): Cidr | string {
  if (typeof s !== 'string' || s === '') return 'an address must be a non-empty string';
  const slash = s.indexOf('/');
  if (slash < 0) {
    const ip = ipDetailed(s);
    if (typeof ip === 'string') return ip;
    return `${quote(s)} needs a prefix length, e.g. ${s}/${ip.family === 4 ? 24 : 64}`;
  }
  const ip = ipDetailed(s.slice(0, slash));
  if (typeof ip === 'string') return ip;
  const max = ip.family === 4 ? 32 : 128;
  const p = s.slice(slash + 1);
  if (!DECIMAL.test(p) || Number(p) > max) {
    return `${quote(s)} has prefix length ${quote(`/${p}`)}; IPv${ip.family} prefix lengths are whole numbers 0-${max}`;
  }
  return { ...ip, prefix: Number(p) };
}

export function parseIp(s: string): IpAddress | null {
  const r = ipDetailed(s);
  return typeof r === 'string' ? null : r;
}

export function parseCidr(s: string): Cidr | null {
  const r = cidrDetailed(s);
  return typeof r === 'string' ? null : r;
}

/** null when `s` is a single IPv4/IPv6 address without prefix, else why not. */
export function checkIp(s: string): string | null {
  if (typeof s === 'string' && s.includes('/')) return `${quote(s)} must be a single address without a /prefix`;
  const r = ipDetailed(s);
  return typeof r === 'string' ? r : null;
}

/** null when `s` is an address with prefix length (an interface address like 10.1.5.10/24), else why not. */
export function checkCidr(s: string): string | null {
  const r = cidrDetailed(s);
  return typeof r === 'string' ? r : null;
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The network address of a prefix (10.1.5.10/24 -> 10.1.5.0/24). */
export function networkOf(c: Cidr): Cidr {
  return { family: c.family, bytes: maskBytes(c.bytes, c.prefix), prefix: c.prefix };
}

/** True when the address has bits set past the prefix; `ip route` rejects such destinations. */
export function hasHostBits(c: Cidr): boolean {
  return !equalBytes(c.bytes, maskBytes(c.bytes, c.prefix));
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return Array.from(ip.bytes).join('.');
  const words = Array.from({ length: 8 }, (_, i) => (ip.bytes[2 * i]! << 8) | ip.bytes[2 * i + 1]!);
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first one on ties.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c)}/${c.prefix}`;
}

/** Does the prefix `cidr` contain address `ip`? False for unparsable input or mixed families. */
export function cidrContains(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const a = parseIp(ip.split('/')[0]!);
  if (!c || !a || c.family !== a.family) return false;
  return equalBytes(maskBytes(c.bytes, c.prefix), maskBytes(a.bytes, c.prefix));
}

/**
 * Can two interface addresses reach each other without a router? True when each lies inside the
 * other's prefix, which is what both kernels check before they ARP/ND for the peer.
 */
export function sameSubnet(cidrA: string, cidrB: string): boolean {
  return cidrContains(cidrA, cidrB) && cidrContains(cidrB, cidrA);
}

/** fe80::/10: addresses the kernel assigns itself to every IPv6-capable link. */
export function isIpv6LinkLocal(addr: string): boolean {
  const ip = parseIp(addr.split('/')[0]!);
  return ip?.family === 6 && ip.bytes[0] === 0xfe && (ip.bytes[1]! & 0xc0) === 0x80;
}

export function isMulticast(addr: string): boolean {
  const ip = parseIp(addr.split('/')[0]!);
  if (!ip) return false;
  return ip.family === 4 ? ip.bytes[0]! >= 224 && ip.bytes[0]! <= 239 : ip.bytes[0] === 0xff;
}

function isLoopback(c: Cidr): boolean {
  if (c.family === 4) return c.bytes[0] === 127;
  return c.bytes.every((b, i) => b === (i === 15 ? 1 : 0));
}

/**
 * null when `cidr` can be an interface's own address, else why not. The kernel takes all of these
 * without complaint and then does nothing useful with them (`ip addr add 0.0.0.0/0` adds nothing
 * at all), so a learner gets the reason instead. `iface` is the interface it is for: only `lo` may
 * hold loopback addresses. Text that is not an address at all is checkCidr's business (null here).
 */
export function checkHostAddress(cidr: string, iface?: string): string | null {
  const c = parseCidr(cidr);
  if (!c) return null;
  const v4 = c.family === 4;
  const b = c.bytes;
  if (b.every((x) => x === 0)) {
    return `${cidr} is the unspecified address ("any"), which no interface can have; use an address of its own, e.g. ${v4 ? '10.0.0.1/24' : '2001:db8::1/64'}`;
  }
  if (c.prefix === 0) return `${cidr} has prefix length /0, which makes no subnet; use the length of the link's subnet, e.g. /${v4 ? 24 : 64}`;
  if (isMulticast(cidr)) return `${cidr} is a multicast address: interfaces join multicast groups, they are not given them as addresses`;
  if (v4 && b.every((x) => x === 255)) return `${cidr} is the limited broadcast address, which no interface can have`;
  if (isLoopback(c) && iface !== 'lo') return `${cidr} is a loopback address, which only lo can use`;
  if (!v4 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return `${cidr} is an IPv4-mapped IPv6 address, which never appears on a link; give the interface the IPv4 address itself`;
  }
  // /31 and /32 have no network or broadcast address (RFC 3021).
  if (v4 && c.prefix <= 30) {
    const net = networkOf(c);
    if (equalBytes(b, net.bytes)) return `${cidr} is the network address of ${formatCidr(net)}, not an address in it; use one such as ${formatIp({ family: 4, bytes: offset(net.bytes, 1) })}/${c.prefix}`;
    const inverted = b.map((x) => ~x & 0xff);
    if (equalBytes(inverted, maskBytes(inverted, c.prefix))) return `${cidr} is the broadcast address of ${formatCidr(net)}, not an address in it`;
  }
  return null;
}

function offset(bytes: Uint8Array, n: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[out.length - 1] = out[out.length - 1]! + n;
  return out;
}
