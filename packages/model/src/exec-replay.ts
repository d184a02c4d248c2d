// Which deploy-time exec lines a running lab's saved topology keeps. The saved topology is the
// kernel's state read back (observedToTopology), so an exec line that set something the model
// holds — an address, a route, a link setting, an interface, ip_forward — is already in it.
// Replaying that line on the next deploy would do it twice (`ip addr add` answers "Address already
// assigned"), and would undo a learner's later change of it. Such lines are left out; every other
// line (ip6tables, tc, ethtool, a shell) is kept and runs again after the links exist; iptables
// lines too when the node's tables were not read.
import type { NodeSpec } from './topology.ts';
import { splitShellWords } from './shell-quote.ts';
import { changesIptables } from './iptables.ts';

/** The sysctls an observation reads (ip_forward sets net.ipv4.conf.all.forwarding too). */
const MODELLED_SYSCTLS = new Set(['net.ipv4.ip_forward', 'net.ipv4.conf.all.forwarding', 'net.ipv6.conf.all.forwarding']);
/** rp_filter and proxy_arp are read back for "all" and each interface (`ip netconf`). */
const READ_PER_INTERFACE = /^net\.ipv4\.conf\.[A-Za-z0-9_-]{1,15}\.(rp_filter|proxy_arp)$/;
/** `ip link set` settings an InterfaceSpec holds, with how many values follow each. */
const MODELLED_LINK_SETTINGS = new Map([['up', 0], ['down', 0], ['mtu', 1], ['address', 1], ['master', 1], ['nomaster', 0], ['promisc', 1]]);
/** Route types other than unicast, written before the destination. */
const ROUTE_TYPES = new Set(['local', 'broadcast', 'multicast', 'throw', 'unreachable', 'prohibit', 'blackhole', 'nat', 'anycast']);

/** The lines of `exec` to keep in a saved topology whose node (as saved) is `node`. */
export function execToReplay(exec: readonly string[], node: NodeSpec): string[] {
  return exec.filter((line) => !capturedByModel(line, node));
}

/** True when `line` sets something `node` (read back from the kernel) already holds. */
export function capturedByModel(line: string, node: NodeSpec): boolean {
  let argv: string[];
  try {
    argv = splitShellWords(line);
  } catch {
    return false;
  }
  const has = (iface: string | undefined) => iface !== undefined && node.interfaces.some((i) => i.name === iface);
  const [cmd, ...rest] = argv;
  if (cmd === undefined) return false;
  const prog = cmd.slice(cmd.lastIndexOf('/') + 1);
  if (prog === 'sysctl') return sysctlKeys(rest)?.every((k) => MODELLED_SYSCTLS.has(k) || READ_PER_INTERFACE.test(k)) ?? false;
  // A node whose tables were read back holds every IPv4 rule it has (or no longer has).
  if (node.iptables !== undefined && changesIptables(argv)) return true;
  if (prog !== 'ip') return false;

  const args = withoutFamily(rest);
  if (!args || args.length < 2) return false;
  const [object, verb, ...tail] = args as [string, string, ...string[]];
  // iproute2 takes any prefix of an object or verb (`ip a a`, `ip r add`, `ip l s`).
  if (isPrefix(object, 'address') && (isPrefix(verb, 'add') || isPrefix(verb, 'replace') || isPrefix(verb, 'change'))) {
    return has(valueAfter(tail, 'dev'));
  }
  if (isPrefix(object, 'route') && (isPrefix(verb, 'add') || isPrefix(verb, 'replace') || isPrefix(verb, 'change'))) {
    // The main table is read back (what the kernel makes itself aside); other tables and route
    // types (blackhole, ...) are not.
    const table = valueAfter(tail, 'table');
    if ((table !== undefined && table !== 'main' && table !== '254') || (tail[0] !== undefined && ROUTE_TYPES.has(tail[0]))) return false;
    const dev = valueAfter(tail, 'dev');
    return dev === undefined || dev === 'lo' || has(dev);
  }
  if ((isPrefix(object, 'neighbour') || object === 'neigh') && (isPrefix(verb, 'add') || isPrefix(verb, 'replace'))) {
    // Only permanent entries are read back.
    return tail.includes('permanent') && has(valueAfter(tail, 'dev'));
  }
  if (isPrefix(object, 'link') && isPrefix(verb, 'set')) {
    let dev: string | undefined;
    for (let k = 0; k < tail.length; ) {
      const word = tail[k]!;
      if (word === 'dev' && dev === undefined) {
        dev = tail[k + 1];
        k += 2;
        continue;
      }
      const values = MODELLED_LINK_SETTINGS.get(word);
      if (values !== undefined) {
        k += 1 + values;
        continue;
      }
      if (dev !== undefined || k !== 0) return false;
      dev = word;
      k++;
    }
    return has(dev);
  }
  if (isPrefix(object, 'link') && verb === 'add') {
    // Replaying the creation of an interface the model recreates fails with "File exists".
    return has(tail[0] === 'name' ? tail[1] : tail[0]);
  }
  return false;
}

/** `ip` arguments after the address-family options, or undefined when another option is used. */
function withoutFamily(args: string[]): string[] | undefined {
  let k = 0;
  while (k < args.length && args[k]!.startsWith('-')) {
    const opt = args[k]!;
    if (opt === '-4' || opt === '-6') k++;
    else if (opt === '-f' || opt === '-family') k += 2;
    else return undefined;
  }
  return args.slice(k);
}

/** Keys set by `sysctl [-w] k=v...`; undefined for any other use of sysctl. */
function sysctlKeys(args: string[]): string[] | undefined {
  const settings = args.filter((a) => a !== '-w' && a !== '-q');
  if (settings.length === 0 || settings.some((a) => a.startsWith('-') || !a.includes('='))) return undefined;
  return settings.map((a) => a.slice(0, a.indexOf('=')).replace(/\//g, '.'));
}

function valueAfter(args: readonly string[], word: string): string | undefined {
  const k = args.indexOf(word);
  return k >= 0 ? args[k + 1] : undefined;
}

function isPrefix(word: string, full: string): boolean {
  return word.length > 0 && full.startsWith(word);
}
