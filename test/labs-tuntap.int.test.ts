// The tuntap lab, walked step by step through `nslab lab check` on a machine whose /dev/net/tun labs
// may open: the fix doctor gives for a 0600 device is the one that makes the lab run. The host's own
// device keeps whatever mode it has: the walk runs in a child with a mount namespace of its own,
// where a 0666 node sits over /dev/net/tun (the lab's sandbox inherits that view) and a scratch
// file over the capability cache (so the host's cache never says tuntap works when it does not).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLab } from '@nslab/labs';
import { labsDir } from '@nslab/labs/runtime';
import { stateDir } from '@nslab/driver';

const repo = join(import.meta.dirname, '..');
const LAB = 't-lab-tuntap-open';

interface Walk {
  start: number;
  checks: { code: number; stdout: string }[];
  again: number;
}

function walkWithOpenTun(): Promise<Walk> {
  const script = `(async () => {
    const { runCli } = await import(${JSON.stringify(join(repo, 'apps/cli/src/cli.ts'))});
    const cli = async (...argv) => { let stdout = ''; const code = await runCli(argv, { out: (s) => (stdout += s), err: (s) => (stdout += s) }); return { code, stdout }; };
    await cli('destroy', ${JSON.stringify(LAB)});
    const out = { start: 0, checks: [], again: 0 };
    try {
      const s = await cli('lab', 'start', 'tuntap', '--name', ${JSON.stringify(LAB)});
      out.start = s.code;
      if (s.code !== 0) out.checks.push(s);
      else for (let i = 1; i <= ${loadLab(labsDir(), 'tuntap').steps.length}; i++) {
        await cli('lab', 'solve', ${JSON.stringify(LAB)}, '--step', String(i));
        out.checks.push(await cli('lab', 'check', ${JSON.stringify(LAB)}));
      }
      out.again = (await cli('lab', 'check', ${JSON.stringify(LAB)})).code;
    } finally {
      await cli('destroy', ${JSON.stringify(LAB)});
    }
    process.stdout.write('\\n@@' + JSON.stringify(out));
  })()`;
  const cache = join(stateDir(), 'capabilities.json');
  const bash = [
    'set -e',
    'd=$(mktemp -d)',
    'mount -t tmpfs -o size=64k,mode=0755 nslab-tun-test "$d"',
    'mknod -m 0666 "$d/tun" c 10 200',
    'mount --bind "$d/tun" /dev/net/tun',
    `[ -e ${cache} ] || echo '{}' > ${cache}`,
    'echo "{}" > "$d/caps.json"',
    `mount --bind "$d/caps.json" ${cache}`,
    `cd ${JSON.stringify(repo)}`,
    'exec node --import tsx -e "$NSLAB_TEST_WALK"',
  ].join('; ');
  return new Promise((resolve, reject) => {
    execFile('unshare', ['--mount', '--propagation', 'private', '--', 'bash', '-c', bash], { timeout: 170_000, maxBuffer: 16 << 20, env: { ...process.env, NSLAB_TEST_WALK: script } }, (err, stdout, stderr) => {
      const at = stdout.lastIndexOf('\n@@');
      if (err || at < 0) reject(new Error(`${err?.message ?? 'no result'}\n${stdout}\n${stderr}`));
      else resolve(JSON.parse(stdout.slice(at + 3)) as Walk);
    });
  });
}

describe('the tuntap lab once /dev/net/tun is open to labs', () => {
  it('starts, and `nslab lab check` after each step ends with the lab done', async () => {
    const steps = loadLab(labsDir(), 'tuntap').steps;
    const w = await walkWithOpenTun();
    expect(w.start, JSON.stringify(w.checks)).toBe(0);
    expect(w.checks.map((c) => c.code), w.checks.map((c) => c.stdout).join('\n---\n')).toEqual(steps.map((_, i) => (i === steps.length - 1 ? 0 : 1)));
    w.checks.forEach((c, i) => expect(c.stdout).toContain(`PASS  step ${i + 1}: ${steps[i]!.title}`));
    expect(w.checks.at(-1)!.stdout).toContain(`lab done: all ${steps.length} steps passed`);
    expect(w.again).toBe(0);
  }, 180_000);
});
