// The userland commands guided labs run, and the Debian package of each: a fresh machine has the
// kernel features but not necessarily socat or tcpdump, and "socat: not found" in a failed check
// tells a learner nothing. Pure (the browser uses it too); finding them on disk is the runtime's.
import { splitShellWords } from '@nslab/model';
import type { Check, Lab } from './format.ts';

/**
 * Commands nslab itself runs (the driver, a lab's shells): wherever nslab works they are there, so
 * a lab uses them without declaring them. scripts/setup.sh installs their packages.
 */
export const BASE_TOOLS: Readonly<Record<string, string>> = Object.freeze({
  ip: 'iproute2',
  bridge: 'iproute2',
  tc: 'iproute2',
  bash: 'bash',
  cat: 'coreutils',
  sleep: 'coreutils',
  timeout: 'coreutils',
  // The diagnosis reads each node's own nftables tables on the path.
  nft: 'nftables',
});

/** Commands a lab declares in its `tools` when a check, hint, solution or mistake runs them. */
export const LAB_TOOLS: Readonly<Record<string, string>> = Object.freeze({
  arping: 'arping',
  brctl: 'bridge-utils',
  ethtool: 'ethtool',
  iptables: 'iptables',
  'iptables-save': 'iptables',
  ping: 'iputils-ping',
  socat: 'socat',
  sysctl: 'procps',
  tcpdump: 'tcpdump',
  tracepath: 'iputils-tracepath',
});

/** Every command a lab may name in `tools`, with its Debian package. */
export const KNOWN_TOOLS: Readonly<Record<string, string>> = Object.freeze({ ...BASE_TOOLS, ...LAB_TOOLS });

export function toolPackage(tool: string): string | undefined {
  return Object.hasOwn(KNOWN_TOOLS, tool) ? KNOWN_TOOLS[tool] : undefined;
}

/** What a check kind runs by itself, whatever the lab file says (so it need not be declared). */
function impliedBy(c: Check): string[] {
  if ('ping' in c) return ['ping'];
  if ('iptables' in c) return ['iptables-save'];
  if ('sysctl' in c) return ['sysctl'];
  return [];
}

/**
 * The commands beyond nslab's own that the lab runs: those it declares and those its check kinds
 * run (a `ping` check runs ping), sorted.
 */
export function labTools(lab: Lab): string[] {
  const out = new Set(lab.tools);
  for (const s of lab.steps) {
    for (const spec of s.checks) {
      for (const t of impliedBy(spec.check)) out.add(t);
      for (const h of spec.hints) for (const t of impliedBy(h.when)) out.add(t);
    }
  }
  return [...out].filter((t) => !Object.hasOwn(BASE_TOOLS, t)).sort();
}

const KEYWORDS = new Set(['!', '{', '}', 'if', 'then', 'else', 'elif', 'fi', 'while', 'until', 'do', 'done', 'time']);
const BUILTINS = new Set([
  ':', '.', 'source', 'echo', 'printf', 'read', 'kill', 'wait', 'cd', 'true', 'false', 'test', '[', '[[', 'set', 'unset',
  'export', 'local', 'trap', 'break', 'continue', 'return', 'exit', 'shift', 'let', 'eval',
]);

/**
 * A shell script cut into simple commands, each as words: quotes respected, split at unquoted
 * `;` `&` `|` newlines and parentheses (so `<(cmd)` and `$(cmd)` are commands of their own),
 * redirections dropped. Enough for the short `bash -c` lines lab checks use, not a shell parser.
 */
export function shellCommands(script: string): string[][] {
  const out: string[][] = [];
  let words: string[] = [];
  let word: string | null = null;
  let dropNext = false;
  const endWord = () => {
    if (word === null) return;
    if (dropNext) dropNext = false;
    else if (/^\d*(>>?|<)$/.test(word)) dropNext = true; // `> file`, `3< <(...)`: the target is the next word
    else if (!/^\d*(>>?|<)\S/.test(word)) words.push(word); // >/dev/null, 2>&1, <&3: target glued on
    word = null;
  };
  const endCommand = () => {
    endWord();
    if (words.length) out.push(words);
    words = [];
    dropNext = false;
  };
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    if (ch === "'") {
      const end = script.indexOf("'", i + 1);
      word = (word ?? '') + script.slice(i + 1, end < 0 ? script.length : end);
      i = end < 0 ? script.length : end;
    } else if (ch === '"') {
      let j = i + 1;
      let text = '';
      while (j < script.length && script[j] !== '"') {
        if (script[j] === '\\' && j + 1 < script.length) j++;
        text += script[j];
        j++;
      }
      word = (word ?? '') + text;
      i = j;
    } else if (ch === '\\' && i + 1 < script.length) {
      word = (word ?? '') + script[++i];
    } else if (ch === ' ' || ch === '\t') {
      endWord();
    } else if (';&|\n()'.includes(ch)) {
      // `<(` and `$(` start a command: whatever came before the `<`/`$` is a word of its own.
      if (ch === '(' && word !== null && /[<$]$/.test(word)) word = word.slice(0, -1) || null;
      if (ch === '&' && word !== null && /[<>]$/.test(word)) {
        word += ch; // 2>&1, <&3: a redirection, not a background command
        continue;
      }
      endCommand();
    } else {
      word = (word ?? '') + ch;
    }
  }
  endCommand();
  return out;
}

/**
 * The commands a lab command line runs, through the wrappers labs use: `ip netns exec NS cmd`,
 * `timeout [opts] N cmd`, `exec cmd`, and `bash -c 'script'` (each command of the script). Shell
 * keywords and builtins are not commands. Best effort: what the catalog test holds labs to.
 */
export function commandNames(line: string): string[] {
  const out: string[] = [];
  const visit = (words: string[]): void => {
    let i = 0;
    while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!) || KEYWORDS.has(words[i]!))) i++;
    const cmd = words[i];
    if (cmd === undefined || cmd === 'for' || cmd === 'case' || BUILTINS.has(cmd)) return;
    const rest = words.slice(i + 1);
    if (cmd === 'exec') return visit(rest);
    out.push(cmd);
    if (cmd === 'ip' && rest[0] === 'netns' && rest[1] === 'exec') return visit(rest.slice(3));
    if (cmd === 'timeout') {
      let j = 0;
      while (j < rest.length && rest[j]!.startsWith('-')) j += /^-[sk]$|^--(signal|kill-after)$/.test(rest[j]!) ? 2 : 1;
      return visit(rest.slice(j + 1));
    }
    if ((cmd === 'bash' || cmd === 'sh') && rest.includes('-c')) {
      const script = rest[rest.indexOf('-c') + 1];
      if (script !== undefined) for (const c of shellCommands(script)) visit(c);
    }
  };
  visit(splitShellWords(line));
  return [...new Set(out)];
}
