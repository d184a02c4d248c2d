// Names as the page shows and proposes them. Pure.
import { checkInterfaceName, MAX_INTERFACE_NAME_BYTES } from './checks.ts';

/**
 * A name as text a learner can read: printable ASCII as is, anything else escaped, so a name made
 * by hand with a control byte or a look-alike letter is visibly odd instead of silently wrong.
 */
export function displayName(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x20 && cp < 0x7f && ch !== '\\') out += ch;
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else out += cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  }
  return out;
}

const PREFIX = 'veth-';

/** Shortens a and b so `veth-a-b` fits IFNAMSIZ, sharing the room fairly. */
function fit(a: string, b: string): [string, string] {
  const room = MAX_INTERFACE_NAME_BYTES - PREFIX.length - 1;
  if (a.length + b.length <= room) return [a, b];
  const half = Math.floor(room / 2);
  if (a.length <= half) return [a, b.slice(0, room - a.length)];
  if (b.length <= half) return [a.slice(0, room - b.length), b];
  return [a.slice(0, room - half), b.slice(0, half)];
}

/** Makes `base` unique among `taken` by replacing its tail with a number, staying within 15 bytes. */
function unique(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; i < 1000; i++) {
    const suffix = String(i);
    const name = base.slice(0, MAX_INTERFACE_NAME_BYTES - suffix.length) + suffix;
    if (!taken.has(name)) return name;
  }
  return base;
}

/** Interface names for a new veth pair between nodes (or a node and a bridge) `a` and `b`. */
export function proposeVethNames(
  a: string,
  b: string,
  takenA: ReadonlySet<string>,
  takenB: ReadonlySet<string>,
  sameNode = false,
): { a: string; b: string } {
  // Node names may be hand-made: keep only characters an interface name allows.
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '') || 'x';
  const [fa, fb] = fit(clean(a), clean(b));
  const nameA = unique(`${PREFIX}${fa}-${fb}`.slice(0, MAX_INTERFACE_NAME_BYTES), takenA);
  const takenForB = sameNode ? new Set([...takenB, nameA]) : takenB;
  const nameB = unique(`${PREFIX}${fb}-${fa}`.slice(0, MAX_INTERFACE_NAME_BYTES), takenForB);
  const ok = (n: string) => checkInterfaceName(n) === null;
  return { a: ok(nameA) ? nameA : unique('veth0', takenA), b: ok(nameB) ? nameB : unique('veth1', takenForB) };
}

/** A free name `prefix<N>` among `taken` (ns1, ns2..., br0, br1...). */
export function nextName(prefix: string, taken: ReadonlySet<string>, start = 1): string {
  for (let i = start; ; i++) if (!taken.has(`${prefix}${i}`)) return `${prefix}${i}`;
}
