// Validation primitives. Each check returns null when the value is fine, else a reason a learner
// can act on. Names end up as single argv words for `ip`, so the rules are about what the kernel
// and iproute2 accept *unambiguously*, not merely what they tolerate.
import { quote } from './display.ts';

export * from './cidr.ts';

/** Node names with a fixed meaning; the caller decides where each is allowed. */
export const RESERVED_NODE_NAMES: readonly string[] = ['host'];

/** Linux IFNAMSIZ is 16 including the terminating NUL. */
export const MAX_INTERFACE_NAME_BYTES = 15;
export const MAX_NODE_NAME_BYTES = 64;

// Cyrillic and Greek letters that render like Latin ones; named in the reason so the user is not
// left staring at a name that looks fine.
const LOOKALIKES = /[\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u03bf\u039f\u03b1\u0391]/u;

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  if (cp < 0x20 || cp === 0x7f) return `a control character (${code})`;
  if (cp > 0x7f) {
    const looks = LOOKALIKES.test(ch) ? ', which looks like a Latin letter' : '';
    return `the non-ASCII character ${quote(ch)} (${code})${looks}`;
  }
  if (ch === ' ') return 'a space';
  return quote(ch);
}

function firstBadChar(s: string, allowed: RegExp): string | undefined {
  for (const ch of s) if (!allowed.test(ch)) return ch;
  return undefined;
}

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** Namespace/node names (also the lab name): they become `ip -n NAME` and a file under /run/netns. */
export function checkNodeName(name: string): string | null {
  if (typeof name !== 'string') return 'must be a string';
  if (name === '') return 'must not be empty';
  const bad = firstBadChar(name, /[A-Za-z0-9_.-]/);
  if (bad !== undefined) return `contains ${describeChar(bad)}; node names use only ASCII letters, digits, "_", "." and "-"`;
  if (name === '.' || name === '..') return `${quote(name)} is a directory reference, not a name`;
  if (byteLength(name) > MAX_NODE_NAME_BYTES) return `is ${byteLength(name)} bytes long; node names are at most ${MAX_NODE_NAME_BYTES} bytes`;
  if (name.startsWith('-')) return 'must not start with "-": commands would read it as an option';
  if (!/^[A-Za-z0-9]/.test(name)) return 'must start with a letter or digit';
  if (/^[0-9]+$/.test(name)) {
    return 'must not be all digits: iproute2 reads `ip -n 1` as the network namespace of process 1, not a namespace named "1"';
  }
  return null;
}

/**
 * Lab names: node-name rules, and not `host`, which inside every lab names its lab host
 * (`nslab exec LAB host`, `ip` lines of the lab host), so a lab of that name reads ambiguously.
 */
export function checkLabName(name: string): string | null {
  const why = checkNodeName(name);
  if (why) return why;
  if (RESERVED_NODE_NAMES.includes(name)) return `is reserved: ${quote(name)} is the name of the lab host inside every lab; choose another lab name`;
  return null;
}

/** Interface names: the kernel's dev_valid_name() rules plus a conservative character set. */
export function checkInterfaceName(name: string): string | null {
  if (typeof name !== 'string') return 'must be a string';
  if (name === '') return 'must not be empty';
  const bad = firstBadChar(name, /[A-Za-z0-9_.-]/);
  if (bad !== undefined) return `contains ${describeChar(bad)}; interface names use only ASCII letters, digits, "_", "." and "-"`;
  if (name === '.' || name === '..') return `${quote(name)} is a directory reference, not a name (the kernel refuses it)`;
  const bytes = byteLength(name);
  if (bytes > MAX_INTERFACE_NAME_BYTES) {
    return `is ${bytes} bytes long; the kernel limits interface names to ${MAX_INTERFACE_NAME_BYTES} bytes (IFNAMSIZ)`;
  }
  if (name.startsWith('-')) return 'must not start with "-": commands would read it as an option';
  if (name.startsWith('.')) return 'must not start with "."';
  return null;
}

/** A unicast Ethernet address in the colon form iproute2 prints. */
export function checkMac(mac: string): string | null {
  if (typeof mac !== 'string' || !/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(mac)) {
    return 'must be six hex byte pairs separated by ":", e.g. 02:00:00:00:00:01';
  }
  const first = parseInt(mac.slice(0, 2), 16);
  if (first & 1) return `${mac} is a multicast address (lowest bit of the first byte set); an interface needs a unicast MAC such as 02:00:00:00:00:01`;
  if (/^(00:){5}00$/.test(mac)) return '00:00:00:00:00:00 is not a usable interface address';
  return null;
}

export const MIN_MTU = 68;
export const MAX_MTU = 65535;

export function checkMtu(n: number): string | null {
  if (typeof n !== 'number' || !Number.isInteger(n)) return 'MTU must be a whole number';
  if (n < MIN_MTU || n > MAX_MTU) return `MTU ${n} is outside ${MIN_MTU}-${MAX_MTU} (68 is the smallest IPv4 allows)`;
  return null;
}

/** Edit distance where swapping two neighbouring letters counts as one edit (`mtu` vs `mut`). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

// Rows for boundedDistance, grown as needed: it runs once per candidate of every did-you-mean.
let rows: Int32Array[] = [new Int32Array(16), new Int32Array(16), new Int32Array(16)];

/**
 * editDistance(a, b) when it is at most `limit`, else limit + 1. A shared prefix and suffix are
 * skipped, only the diagonal band that can stay within `limit` is computed, and it stops once a
 * whole row is past it: a did-you-mean over hundreds of names costs microseconds each.
 */
export function boundedDistance(a: string, b: string, limit: number): number {
  const over = limit + 1;
  if (Math.abs(a.length - b.length) > limit) return over;
  let start = 0;
  while (start < a.length && start < b.length && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) [endA, endB] = [endA - 1, endB - 1];
  const n = endA - start;
  const m = endB - start;
  if (n === 0 || m === 0) return Math.min(Math.max(n, m), over);
  if (rows[0]!.length < m + 1) rows = [new Int32Array(2 * m + 2), new Int32Array(2 * m + 2), new Int32Array(2 * m + 2)];
  let prev2 = rows[0]!;
  let prev = rows[1]!;
  let cur = rows[2]!;
  for (let j = 0; j <= m; j++) prev[j] = j <= limit ? j : over;
  prev2.fill(over, 0, m + 1);
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - limit);
    const hi = Math.min(m, i + limit);
    // Cells just outside the band may hold an older row's values: they count as "too far".
    cur[lo - 1] = lo === 1 && i <= limit ? i : over;
    if (hi < m) cur[hi + 1] = over;
    const ca = a.charCodeAt(start + i - 1);
    const caPrev = i > 1 ? a.charCodeAt(start + i - 2) : -1;
    let rowMin = cur[lo - 1]!;
    for (let j = lo; j <= hi; j++) {
      const cb = b.charCodeAt(start + j - 1);
      let v = prev[j - 1]! + (ca === cb ? 0 : 1);
      const del = prev[j]! + 1;
      if (del < v) v = del;
      const ins = cur[j - 1]! + 1;
      if (ins < v) v = ins;
      if (j > 1 && ca === b.charCodeAt(start + j - 2) && caPrev === cb) {
        const swap = prev2[j - 2]! + 1;
        if (swap < v) v = swap;
      }
      if (v > over) v = over;
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return over;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return Math.min(prev[m]!, over);
}

/**
 * The closest candidate, if it is close enough to be a plausible typo: at most 2 edits, and at
 * most a third of the word's length so short words are not "corrected" into unrelated ones.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  if (typeof word !== 'string' || word === '') return undefined;
  const limit = Math.max(1, Math.min(2, Math.floor(word.length / 3)));
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const dist = boundedDistance(w, c.toLowerCase(), limit);
    if (dist <= limit && dist < bestDistance) [best, bestDistance] = [c, dist];
  }
  return best;
}

/** " (did you mean "addresses"?)" or "". */
export function didYouMeanSuffix(word: string, candidates: Iterable<string>): string {
  const s = didYouMean(word, candidates);
  return s === undefined ? '' : ` (did you mean ${quote(s)}?)`;
}
