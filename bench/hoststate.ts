// The real host's network state and the global sysctls Mininet's fixLimits would raise: the bench
// snapshots them before and after, and warns if anything changed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

/** Live network namespaces, from the slab allocator (null if unreadable); used to let the kernel finish reclaiming between runs. */
export function netnsCount(): number | null {
  try {
    const m = /^net_namespace\s+(\d+)/m.exec(readFileSync('/proc/slabinfo', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Wait (up to timeoutMs) until the kernel has reclaimed namespaces down to `target`; returns ms waited. */
export async function settle(target: number | null, timeoutMs = 10_000): Promise<number> {
  const t0 = performance.now();
  if (target === null) {
    await new Promise((r) => setTimeout(r, 1000));
    return performance.now() - t0;
  }
  for (;;) {
    const c = netnsCount();
    if (c === null || c <= target + 2) break;
    if (performance.now() - t0 > timeoutMs) {
      process.stderr.write(`note: ${c} network namespaces still live after ${timeoutMs} ms (was ${target}); continuing\n`);
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  if (performance.now() - t0 > 1000) process.stderr.write(`note: kernel reclaim took ${Math.round(performance.now() - t0)} ms\n`);
  // A short quiet period so the next timed step does not share the CPU with reclaim work.
  await new Promise((r) => setTimeout(r, 100));
  return performance.now() - t0;
}
