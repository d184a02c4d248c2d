// The real host's network state and the global sysctls Mininet's fixLimits would raise: the bench
// snapshots them before and after, and warns if anything changed.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const SYSCTLS = [
  'fs/file-max',
  'kernel/pty/max',
  'net/core/wmem_max',
  'net/core/rmem_max',
  'net/core/netdev_max_backlog',
  'net/ipv4/tcp_rmem',
  'net/ipv4/tcp_wmem',
  'net/ipv4/neigh/default/gc_thresh1',
  'net/ipv4/neigh/default/gc_thresh2',
  'net/ipv4/neigh/default/gc_thresh3',
  'net/ipv4/route/max_size',
];

function cmd(argv: string[]): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

export interface HostSnapshot {
  links: string;
  other: string;
}

export function hostSnapshot(): HostSnapshot {
  const sysctls = SYSCTLS.map((k) => {
    try {
      return `${k}=${readFileSync(`/proc/sys/${k}`, 'utf8').trim()}`;
    } catch {
      return `${k}=?`;
    }
  });
  return {
    links: cmd(['ip', '-br', 'link']),
    other: [cmd(['ip', 'netns', 'list']), cmd(['ip', '-br', 'addr']), cmd(['ip', 'route']), ...sysctls].join('\n'),
  };
}

/** Human-readable differences, empty if none. */
export function diffSnapshots(before: HostSnapshot, after: HostSnapshot): string[] {
  const out: string[] = [];
  for (const key of ['links', 'other'] as const) {
    const a = new Set(before[key].split('\n'));
    const b = new Set(after[key].split('\n'));
    for (const l of a) if (!b.has(l)) out.push(`- ${l}`);
    for (const l of b) if (!a.has(l)) out.push(`+ ${l}`);
  }
  return out;
}

/** Kernel threads running network-namespace teardown right now (a kworker's name ends in "+netns" while it runs cleanup_net). */
function netnsCleanupRunning(): boolean {
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').includes('+netns')) return true;
    } catch {
      /* exited */
    }
  }
  return false;
}

/**
 * Let the kernel finish tearing down the namespaces of the previous run (it does so in a work
 * queue after the last process is gone) before timing the next one: waits until no netns cleanup
 * has run for 100 ms (at most timeoutMs). Returns how long that took.
 */
export async function settle(timeoutMs = 15_000): Promise<number> {
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 50));
  let quiet = 0;
  while (quiet < 5) {
    if (performance.now() - t0 > timeoutMs) {
      process.stderr.write(`note: network-namespace cleanup still running after ${timeoutMs} ms; continuing\n`);
      break;
    }
    quiet = netnsCleanupRunning() ? 0 : quiet + 1;
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - t0;
}
