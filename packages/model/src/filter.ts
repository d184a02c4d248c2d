// The iptables filter table as the diagnosis walk meets it: one ping (or a VXLAN's UDP) through
// one chain of one node. Rules are the model's lines (`-A INPUT -p icmp -j DROP`, see
// iptables.ts). Matches nslab cannot judge (`-m limit`, `-m string`...) are taken both ways, so
// the answer is every verdict the chain could reach; the walk calls a drop certain only when no
// way through accepts it.
import { cidrContains } from './cidr.ts';
import { splitShellWords } from './shell-quote.ts';
import { ruleTable } from './iptables.ts';

export interface Packet {
  src: string;
  dst: string;
  proto: 'icmp' | 'udp';
  /** ICMP: echo-request (8) or echo-reply (0). */
  icmpType?: 'echo-request' | 'echo-reply';
  dport?: number;
  /** Conntrack's view: the request is NEW, its reply ESTABLISHED. */
  state: 'NEW' | 'ESTABLISHED';
  in?: string;
  out?: string;
}

export interface FilterVerdict {
  verdict: 'ACCEPT' | 'DROP' | 'REJECT';
  /** The rule that decided, as written (`-A INPUT -p icmp -j DROP`); absent for a chain's policy. */
  rule?: string;
  /** The built-in chain whose policy decided, when no rule did. */
  policy?: string;
}

export interface FilterResult {
  /** Every verdict some way through the chain reaches (one, unless a match could not be judged). */
  verdicts: FilterVerdict[];
  /** Matches that could not be judged, as written. */
  unknown: string[];
}

interface Rule {
  chain: string;
  text: string;
  words: string[];
}

interface Table {
  policies: Map<string, string>;
  rules: Rule[];
}

/** The filter table of a node's rules. */
function filterTable(rules: readonly string[]): Table {
  const t: Table = { policies: new Map(), rules: [] };
  for (const text of rules) {
    let words: string[];
    try {
      words = splitShellWords(text);
    } catch {
      continue;
    }
    if (ruleTable(words) !== 'filter') continue;
    const k = words[0] === '-t' || words[0] === '--table' ? 2 : 0;
    if (words[k] === '-P') t.policies.set(words[k + 1]!, words[k + 2]!);
    else if (words[k] === '-A') t.rules.push({ chain: words[k + 1]!, text, words: words.slice(k + 2) });
  }
  return t;
}

type Match = 'yes' | 'no' | 'unknown';

const ICMP_TYPES: Record<string, string> = { '8': 'echo-request', '0': 'echo-reply', 'echo-request': 'echo-request', 'echo-reply': 'echo-reply', ping: 'echo-request', pong: 'echo-reply', any: 'any' };

function ifaceMatches(pattern: string, name: string | undefined): boolean {
  if (name === undefined) return false;
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

function addrMatches(spec: string, ip: string): boolean {
  return spec.split(',').some((s) => cidrContains(s.includes('/') ? s : `${s}/32`, ip));
}

/** Does the rule's match part take the packet? Returns the target (and its argument) too. */
function judge(words: string[], p: Packet): { match: Match; target?: string; unknown: string[]; goto: boolean } {
  let match: Match = 'yes';
  const unknown: string[] = [];
  let target: string | undefined;
  let goto = false;
  const and = (m: Match) => {
    if (match === 'no' || m === 'yes') return;
    match = m === 'no' ? 'no' : 'unknown';
  };
  for (let k = 0; k < words.length; ) {
    let neg = false;
    if (words[k] === '!') {
      neg = true;
      k++;
    }
    const opt = words[k]!;
    const val = words[k + 1];
    const flip = (b: boolean): Match => ((b !== neg) ? 'yes' : 'no');
    switch (opt) {
      case '-s': case '--source': and(flip(val !== undefined && addrMatches(val, p.src))); k += 2; continue;
      case '-d': case '--destination': and(flip(val !== undefined && addrMatches(val, p.dst))); k += 2; continue;
      case '-i': case '--in-interface': and(flip(val !== undefined && ifaceMatches(val, p.in))); k += 2; continue;
      case '-o': case '--out-interface': and(flip(val !== undefined && ifaceMatches(val, p.out))); k += 2; continue;
      case '-p': case '--protocol': {
        const proto = val === '1' ? 'icmp' : val === '17' ? 'udp' : val;
        and(flip(proto === 'all' || proto === '0' || proto === p.proto));
        k += 2;
        continue;
      }
      case '--icmp-type': {
        const want = ICMP_TYPES[(val ?? '').split('/')[0]!];
        if (want === undefined) {
          unknown.push(`--icmp-type ${val}`);
          and('unknown');
        } else {
          and(flip(p.proto === 'icmp' && (want === 'any' || want === p.icmpType)));
        }
        k += 2;
        continue;
      }
      case '--dport': case '--destination-port': {
        const [lo, hi] = (val ?? '').split(':').map(Number);
        and(flip(p.dport !== undefined && p.dport >= lo! && p.dport <= (hi ?? lo)!));
        k += 2;
        continue;
      }
      case '--state': case '--ctstate':
        and(flip((val ?? '').split(',').includes(p.state)));
        k += 2;
        continue;
      case '-m': case '--match':
        // The module's options follow and are judged one by one.
        k += 2;
        continue;
      case '--comment':
        k += 2;
        continue;
      case '-j': case '--jump': case '-g': case '--goto':
        target = val;
        goto = opt === '-g' || opt === '--goto';
        // Target options (--reject-with, --log-prefix...) do not change the match.
        k = words.length;
        continue;
      default: {
        // An option nslab does not judge, with whatever values follow it.
        let e = k + 1;
        while (e < words.length && !words[e]!.startsWith('-') && words[e] !== '!') e++;
        unknown.push(words.slice(neg ? k - 1 : k, e).join(' '));
        and('unknown');
        k = e;
      }
    }
  }
  return { match, ...(target !== undefined ? { target } : {}), unknown, goto };
}

const BUILTIN = new Set(['INPUT', 'FORWARD', 'OUTPUT']);
/** Beyond this many unjudgeable rules on one way, the rest is taken as "could go either way". */
const MAX_BRANCHES = 64;

/** Every verdict `p` can get in the built-in `chain` of the filter table made of `rules`. */
export function filterPacket(rules: readonly string[] | undefined, chain: 'INPUT' | 'FORWARD' | 'OUTPUT', p: Packet): FilterResult {
  const t = filterTable(rules ?? []);
  const verdicts: FilterVerdict[] = [];
  const unknown = new Set<string>();
  let branches = 0;
  const add = (v: FilterVerdict) => {
    if (!verdicts.some((x) => x.verdict === v.verdict && x.rule === v.rule && x.policy === v.policy)) verdicts.push(v);
  };
  // Walks `name` from rule `from`; returns false when the way ended in a verdict, true on RETURN or the chain's end.
  const run = (name: string, from: number, depth: number): void => {
    const chainRules = t.rules.filter((r) => r.chain === name);
    for (let k = from; k < chainRules.length; k++) {
      const r = chainRules[k]!;
      const j = judge(r.words, p);
      j.unknown.forEach((u) => unknown.add(u));
      if (j.match === 'no' || j.target === undefined) continue;
      if (j.match === 'unknown') {
        // Both ways: as if it did not match (go on here), and as if it did (below).
        if (++branches > MAX_BRANCHES) {
          add({ verdict: 'ACCEPT' });
          add({ verdict: 'DROP', rule: r.text });
          return;
        }
        const taken = takeTarget(r, j.target, j.goto, depth);
        if (taken === 'continue') continue;
        run(name, k + 1, depth);
        return;
      }
      const taken = takeTarget(r, j.target, j.goto, depth);
      if (taken === 'continue') continue;
      return;
    }
    if (depth === 0) add({ verdict: (t.policies.get(name) ?? 'ACCEPT') === 'DROP' ? 'DROP' : 'ACCEPT', policy: name });
    else returns.push(true);
  };
  // A user chain that ran to its end (or RETURN) goes on in the caller: kept as a stack of "returned" marks.
  const returns: boolean[] = [];
  const takeTarget = (r: Rule, target: string, goto: boolean, depth: number): 'continue' | 'done' => {
    switch (target) {
      case 'ACCEPT': add({ verdict: 'ACCEPT', rule: r.text }); return 'done';
      case 'DROP': add({ verdict: 'DROP', rule: r.text }); return 'done';
      case 'REJECT': add({ verdict: 'REJECT', rule: r.text }); return 'done';
      case 'RETURN':
        if (depth === 0) {
          add({ verdict: (t.policies.get(r.chain) ?? 'ACCEPT') === 'DROP' ? 'DROP' : 'ACCEPT', policy: r.chain });
          return 'done';
        }
        returns.push(true);
        return 'done';
      default: {
        if (!t.rules.some((x) => x.chain === target) || BUILTIN.has(target) || depth > 8) return 'continue'; // LOG, an empty chain...
        const before = returns.length;
        run(target, 0, depth + 1);
        const back = returns.length > before;
        returns.length = before;
        // A goto does not come back: its end is the caller's caller's business (the policy, at the top).
        if (back && goto && depth === 0) {
          add({ verdict: (t.policies.get(r.chain) ?? 'ACCEPT') === 'DROP' ? 'DROP' : 'ACCEPT', policy: r.chain });
          return 'done';
        }
        return back ? 'continue' : 'done';
      }
    }
  };
  run(chain, 0, 0);
  return { verdicts, unknown: [...unknown] };
}
