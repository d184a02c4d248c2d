// Pure helpers of the "why can't A reach B?" view: the form's input rules (the server's), the graph
// elements a diagnosis points at, which fix commands may be run through the exec API, and when a
// shown diagnosis no longer describes the lab.
import type { Diagnosis, ObservedLab } from '@nslab/model';
import { checkIp, checkNodeName } from '../checks.ts';
import { elementOfIface } from '../selection.ts';

/** What GET /labs/:lab/diagnose answers: the walk plus the real ping. */
export interface LiveDiagnosis extends Diagnosis {
  ping: { ok: boolean; output: string; address?: string };
}

/** The server's rule for `from`: a node name, or "host". */
export function checkFrom(from: string): string | null {
  if (from === 'host') return null;
  const why = checkNodeName(from);
  return why && `The name ${why}.`;
}

/** The server's rule for `to`: digits and dots (or a colon or slash) are an address, anything else a node name. */
export function checkTarget(to: string): string | null {
  if (to === '') return 'Say where to: a node name or an IP address.';
  if (/^[0-9.]+$/.test(to) || to.includes(':') || to.includes('/')) {
    const why = checkIp(to);
    return why && `Not an IP address: ${why}.`;
  }
  if (to === 'host') return null;
  const why = checkNodeName(to);
  return why && `Neither a node name nor an IP address: the name ${why}.`;
}

/** 'unexplained': the walk found no break, yet the real ping got no reply — never shown as a tick. */
export type Verdict = 'ok' | 'broken' | 'unknown' | 'unexplained';

export function verdictOf(d: Diagnosis | LiveDiagnosis): Verdict {
  if (!d.problem) return 'ping' in d && d.ping.address && !d.ping.ok ? 'unexplained' : 'ok';
  return d.problem.cause === 'not-followed' ? 'unknown' : 'broken';
}

/** Does the real ping say what the walk says? (An unknown walk leaves it to the ping.) */
export function pingAgrees(d: LiveDiagnosis): boolean | null {
  if (!d.ping.address) return null;
  const v = verdictOf(d);
  if (v === 'unknown') return null;
  if (v === 'unexplained') return false;
  return (v === 'ok') === d.ping.ok;
}

/** The graph element showing a place of the walk: the veth edge or bridge of an interface, else its node. */
export function elementOf(lab: ObservedLab, node: string, iface?: string): string | null {
  if (!lab.nodes.some((n) => n.name === node)) return null;
  return iface === undefined ? node : elementOfIface(lab, node, iface);
}

export interface Highlight {
  /** Every element the walk went through. */
  path: string[];
  /** Where it broke (or, for an unknown verdict, where it had to stop). */
  broken: string[];
  verdict: Verdict;
  /** The namespace whose down lo the walk blamed. */
  loDown?: string;
}

export function highlightOf(lab: ObservedLab, d: Diagnosis): Highlight {
  const path = new Set<string>();
  for (const h of d.path) {
    const id = elementOf(lab, h.node, h.interface);
    if (id) path.add(id);
  }
  const p = d.problem;
  const at = p ? elementOf(lab, p.node, p.interface) : null;
  return { path: [...path].filter((id) => id !== at), broken: at ? [at] : [], verdict: verdictOf(d), ...(p?.cause === 'lo-down' ? { loDown: p.node } : {}) };
}

// The fix commands come from the model with names it checked, but they still go to the exec API as
// argv: only these programs, only plain words (no quoting, no shell syntax), or no Apply button.
const WORD = /^[A-Za-z0-9_.:/@=+,-]+$/;
const PROGRAMS = new Set(['ip', 'sysctl', 'iptables']);

/** A fix command as argv for the lab host, or null when it is not one nslab runs for you. */
export function fixArgv(command: string): string[] | null {
  const words = command.trim().split(/ +/);
  if (words.length === 0 || !words.every((w) => WORD.test(w))) return null;
  // `ip netns exec NS prog ...`: the program that runs is the one after the namespace.
  const prog = words[0] === 'ip' && words[1] === 'netns' && words[2] === 'exec' ? words[4] : words[0];
  if (!prog || !PROGRAMS.has(prog)) return null;
  if (words[0] === 'ip' && words[1] === 'netns' && words[2] === 'exec' && checkNodeName(words[3] ?? '') !== null) return null;
  return words;
}

/** All the fix's commands as argv, or null when any of them is not runnable through the API. */
export function fixPlan(commands: readonly string[]): string[][] | null {
  if (commands.length === 0) return null;
  const out: string[][] = [];
  for (const c of commands) {
    const argv = fixArgv(c);
    if (!argv) return null;
    out.push(argv);
  }
  return out;
}

/**
 * What the walk reads, as one string: a diagnosis is stale when this changes. Neighbour entries
 * and counters are left out — the walk's own ping changes them, and would make every result stale.
 */
export function walkSignature(lab: ObservedLab): string {
  return JSON.stringify([
    lab.nodes.map((n) => [
      n.name,
      n.sysctls['net.ipv4.ip_forward'] ?? '',
      n.interfaces.map((i) => [i.name, i.kind, i.up, i.carrier, i.addresses, i.master ?? '', i.peer?.node ?? '', i.peer?.interface ?? '', i.details ?? {}]),
      n.routes,
      n.iptables ?? [],
    ]),
    lab.bridges.map((b) => [b.node, b.name, b.ports]),
  ]);
}

/** Names the "to" field can offer: other nodes, then their IPv4 addresses. */
export function targetSuggestions(lab: ObservedLab, from: string): string[] {
  const nodes = lab.nodes.filter((n) => n.name !== from && !n.unsafeName).map((n) => n.name);
  const addrs = lab.nodes.flatMap((n) => n.interfaces.flatMap((i) => i.addresses.filter((a) => !a.includes(':') && !a.startsWith('127.')).map((a) => a.split('/')[0]!)));
  return [...nodes, ...new Set(addrs)];
}
