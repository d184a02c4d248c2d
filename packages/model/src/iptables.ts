// A node's IPv4 firewall as the model keeps it: rules as `iptables` arguments, the form a learner
// types and a tutorial prints (`-t nat -A POSTROUTING -o eth0 -j MASQUERADE`). Read back from
// `iptables-save`, written out as `iptables` lines. A state, not a history: only the commands that
// build a table from empty (new chain, policy, append) are allowed.
import { splitShellWords } from './shell-quote.ts';
import { quote } from './display.ts';

export const IPTABLES_TABLES = ['filter', 'nat', 'mangle', 'raw', 'security'] as const;
const BUILTIN_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);
const POLICIES = new Set(['ACCEPT', 'DROP']);
/** iptables' own limit on chain names (XT_EXTENSION_MAXNAMELEN - 1). */
const MAX_CHAIN = 28;
const CHAIN = /^[A-Za-z0-9_.-]+$/;

/**
 * `iptables-save` output -> rule lines, table by table: new chains, then policies that differ from
 * ACCEPT, then the rules in order. Counters and comments are left out; an empty table gives nothing.
 */
export function rulesFromSave(text: string): string[] {
  const out: string[] = [];
  let table = 'filter';
  let chains: string[] = [];
  let policies: string[] = [];
  let rules: string[] = [];
  const t = () => (table === 'filter' ? '' : `-t ${table} `);
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = line.slice(1);
      chains = [];
      policies = [];
      rules = [];
    } else if (line.startsWith(':')) {
      const [chain, policy] = line.slice(1).split(/\s+/);
      if (chain === undefined) continue;
      if (policy === '-' || !BUILTIN_CHAINS.has(chain)) chains.push(`${t()}-N ${chain}`);
      else if (policy !== undefined && policy !== 'ACCEPT') policies.push(`${t()}-P ${chain} ${policy}`);
    } else if (line.startsWith('-A ')) {
      rules.push(`${t()}${line}`);
    } else if (line === 'COMMIT') {
      out.push(...chains, ...policies, ...rules);
      chains = [];
      policies = [];
      rules = [];
    }
  }
  return out;
}

/** The table a rule line acts on. */
export function ruleTable(args: readonly string[]): string {
  const k = args.findIndex((a) => a === '-t' || a === '--table');
  return k >= 0 ? (args[k + 1] ?? 'filter') : 'filter';
}

/** null when `line` is a rule nslab will keep and replay, else why not (names the rule broken). */
export function checkIptablesRule(line: string): string | null {
  if (typeof line !== 'string') return 'an iptables rule must be a string';
  const ctl = /[\u0000-\u001f\u007f]/.exec(line);
  if (ctl) return `contains a control character (U+${ctl[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}); one rule per line`;
  let args: string[];
  try {
    args = splitShellWords(line);
  } catch (e) {
    return `cannot be split into words: ${(e as Error).message}`;
  }
  let k = 0;
  if (args[0] === '-t' || args[0] === '--table') {
    const table = args[1];
    if (table === undefined || !(IPTABLES_TABLES as readonly string[]).includes(table)) {
      return `table ${quote(table ?? '')} is not one of ${IPTABLES_TABLES.join(', ')}`;
    }
    k = 2;
  }
  const cmd = args[k];
  const chain = args[k + 1];
  const usage = 'an iptables rule starts with [-t TABLE] and then -A CHAIN ... (append a rule), -N CHAIN (a new chain) or -P CHAIN ACCEPT|DROP (a policy): the rules a table holds, not commands that change them';
  if (cmd !== '-A' && cmd !== '-N' && cmd !== '-P') return usage;
  if (chain === undefined || !CHAIN.test(chain) || chain.length > MAX_CHAIN) return `chain name ${quote(chain ?? '')} must be 1-${MAX_CHAIN} letters, digits, "_", "." or "-"`;
  if (args.slice(k + 2).some((a) => a === '-t' || a === '--table')) return 'give the table once, first: -t TABLE -A CHAIN ...';
  if (cmd === '-N') return args.length === k + 2 ? null : '-N takes only the new chain\'s name';
  if (cmd === '-P') {
    if (!BUILTIN_CHAINS.has(chain)) return `a policy is set on a built-in chain (${[...BUILTIN_CHAINS].join(', ')}), not on ${quote(chain)}`;
    if (args.length !== k + 3 || !POLICIES.has(args[k + 2]!)) return '-P CHAIN takes one policy: ACCEPT or DROP';
    return null;
  }
  if (args.length === k + 2) return `-A ${chain} needs a rule after the chain (e.g. -j ACCEPT)`;
  return null;
}

/** Does `argv` (a command line) change iptables rules? The lines a read-back firewall makes redundant. */
export function changesIptables(argv: readonly string[]): boolean {
  const prog = argv[0]?.slice(argv[0].lastIndexOf('/') + 1);
  if (prog === 'iptables-restore' || prog === 'iptables-nft-restore' || prog === 'iptables-legacy-restore') return true;
  if (prog !== 'iptables' && prog !== 'iptables-nft' && prog !== 'iptables-legacy') return false;
  return argv.slice(1).some((a) => /^-[AIDRNXPFE]$/.test(a) || /^--(append|insert|delete|replace|new-chain|delete-chain|policy|flush|rename-chain)$/.test(a));
}
