// Mininet: `mn --topo single,N --switch lxbr --controller none --test none`, which builds the lab
// and tears it down in one run. Only ever run inside a throwaway network + mount namespace
// (bench/mininet.sh), never on the real host.
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLEAN_ENV, run } from '../packages/driver/src/index.ts';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'mininet.sh');

export interface MininetTiming {
  /** Wall clock of the whole run: unshare, Python start-up, build, teardown. */
  totalMs: number;
  /** Mininet's own "completed in X seconds" (build + teardown, without interpreter start-up). */
  reportedMs: number | null;
}

/** Why Mininet cannot run here, or null if it can. */
export function mininetUnavailable(): string | null {
  const found = (prog: string) =>
    CLEAN_ENV.PATH!.split(':').some((d) => {
      try {
        accessSync(join(d, prog), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  for (const prog of ['mn', 'mnexec', 'brctl', 'unshare']) {
    if (!found(prog)) return `\`${prog}\` not found (install with \`apt-get install -y mininet\`)`;
  }
  return null;
}

export async function runMininet(n: number): Promise<MininetTiming> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`bad host count ${n}`);
  const t0 = performance.now();
  const r = await run(['unshare', '--net', '--mount', '--propagation', 'private', '--', 'bash', SCRIPT, String(n)], {
    timeoutMs: 300_000,
  });
  const totalMs = performance.now() - t0;
  if (r.code !== 0) {
    const tail = (r.stderr + r.stdout).trim().split('\n').slice(-3).join(' / ');
    throw new Error(`mn exited with ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''}: ${tail}`);
  }
  const m = /completed in ([\d.]+) seconds/.exec(r.stderr + r.stdout);
  return { totalMs, reportedMs: m ? Number(m[1]) * 1000 : null };
}
