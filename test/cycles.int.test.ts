// 100 deploy/destroy cycles must leak nothing: no processes, no records, no uid slots, no fds,
// no change to the host's network.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTopology } from '@nslab/model';
import { deployLab, destroyLab, execInLab, listLabs, stateDir } from '@nslab/driver';
import { isAlive } from '../packages/driver/src/proc.ts';
import { hostNetworkSnapshot } from './helpers.ts';

const root = join(import.meta.dirname, '..');

function countProcesses(): number {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
}

describe('deploy/destroy cycles', () => {
  it('100 cycles of the bridge lab leak nothing', async () => {
    const topology = parseTopology(readFileSync(join(root, 'labs/bridge/topology.yaml'), 'utf8')).topology;
    const net = hostNetworkSnapshot();
    const fds = readdirSync('/proc/self/fd').length;
    const procs = countProcesses();
    const started = performance.now();
    // Every cycle's anchor and lab init, by pid and start time: each must be gone after its destroy.
    const made: { pid: number; startTime: number }[] = [];
    for (let i = 0; i < 100; i++) {
      const { sandbox } = await deployLab('t-cycle', topology);
      made.push({ pid: sandbox.record.pid, startTime: sandbox.record.startTime });
      if (sandbox.record.init) made.push(sandbox.record.init);
      if (i % 25 === 0) {
        // Now and then prove the lab is real, not just created.
        const p = await execInLab('t-cycle', 'ns1', ['ping', '-c1', '-W1', '10.5.1.11']);
        expect(p.code, p.stdout).toBe(0);
      }
      await destroyLab('t-cycle');
      expect(sandbox.pids()).toEqual([]);
    }
    const perCycle = (performance.now() - started) / 100;
    console.log(`deploy+destroy cycle of labs/bridge: ${perCycle.toFixed(1)} ms`);
    expect(listLabs().map((s) => s.name)).not.toContain('t-cycle');
    // Slot files record the pid that claimed them: none of ours may remain.
    const slotsDir = join(stateDir(), 'slots');
    const ours = readdirSync(slotsDir).filter((f) => readFileSync(join(slotsDir, f), 'utf8') === String(process.pid));
    expect(ours).toEqual([]);
    expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(fds);
    // A killed init lingers until the host's own init has reaped the namespace's outside parents (seconds
    // on some hosts); it must be gone then.
    const deadline = Date.now() + 15_000;
    let alive = made;
    while ((alive = alive.filter((p) => isAlive(p.pid, p.startTime))).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive).toEqual([]);
    // Other test files deploy labs beside this one, so the machine-wide count only has to catch a gross
    // leak: 100 cycles leaking even two processes each would be 200.
    expect(countProcesses()).toBeLessThan(procs + 120);
    expect(hostNetworkSnapshot()).toBe(net);
  }, 300_000);
});
