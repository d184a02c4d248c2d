// The counter sampler on the real kernel: one process per sandbox answers with every namespace's
// counters, they move on a ping and stay flat when idle, hand-made entries in /run/netns cannot
// break or stall it, and the process never outlives its lab or its owner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTopology } from '@nslab/model';
import { CounterSampler, deployLab, destroyLab, execInLab, findSandbox, getSandbox, listLabs, type LabCounters } from '@nslab/driver';
import { hostNetworkSnapshot } from '../../../test/helpers.ts';

const LAB = `ctr-${process.pid.toString(36)}`;
const YAML = `
name: counters
nodes:
  ns1:
    interfaces:
      eth0: { addresses: [10.77.0.1/24] }
  ns2:
    interfaces:
      eth0: { addresses: [10.77.0.2/24] }
links:
  - endpoints: ["ns1:eth0", "ns2:eth0"]
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gone = (pid: number) => !existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(safeRead(`/proc/${pid}/status`));
function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
async function waitGone(pid: number, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (gone(pid)) return true;
    await sleep(20);
  }
  return gone(pid);
}
const eth0 = (c: LabCounters, node: string) => c.get(node)?.get('eth0');

async function ok(node: string, argv: string[]): Promise<void> {
  const r = await execInLab(LAB, node, argv);
  expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
}

let before = '';
beforeAll(async () => {
  for (const sb of listLabs()) if (sb.name.startsWith('ctr-')) await destroyLab(sb.name);
  before = hostNetworkSnapshot();
  await deployLab(LAB, parseTopology(YAML).topology, { source: 'cli' });
  // IPv6 autoconfiguration (DAD, router solicitations, MLD) would move the counters for a few
  // seconds after link-up: this test turns IPv6 off in both namespaces rather than waiting.
  for (const ns of ['ns1', 'ns2']) await ok(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
  await sleep(300);
});

afterAll(async () => {
  for (const sb of listLabs()) if (sb.name.startsWith('ctr-')) await destroyLab(sb.name);
  expect(hostNetworkSnapshot()).toBe(before);
});

describe('live counters sampler', () => {
  it('starts no process until the first sample', () => {
    const s = new CounterSampler(getSandbox(LAB));
    expect(s.pid).toBeUndefined();
    s.close();
  });

  it('moves on a ping and stays flat when idle, one process for every sample', async () => {
    const s = new CounterSampler(getSandbox(LAB));
    try {
      const a = await s.sample();
      const pid = s.pid!;
      expect(pid).toBeGreaterThan(0);
      expect([...a.nodes.keys()].sort()).toEqual(['host', 'ns1', 'ns2']);
      expect(a.nodes.get('host')!.has('lo')).toBe(true);
      expect(eth0(a.nodes, 'ns1')).toBeDefined();

      await sleep(1500);
      const b = await s.sample();
      expect(b.time - a.time).toBeGreaterThanOrEqual(1400);
      expect(eth0(b.nodes, 'ns1')).toEqual(eth0(a.nodes, 'ns1'));
      expect(eth0(b.nodes, 'ns2')).toEqual(eth0(a.nodes, 'ns2'));

      await ok('ns1', ['ping', '-c', '3', '-i', '0.2', '-W', '1', '10.77.0.2']);
      const c = await s.sample();
      expect(s.pid).toBe(pid);
      const [b1, c1, b2, c2] = [eth0(b.nodes, 'ns1')!, eth0(c.nodes, 'ns1')!, eth0(b.nodes, 'ns2')!, eth0(c.nodes, 'ns2')!];
      // Three echo requests out of ns1 and into ns2 (plus ARP), three replies the other way.
      expect(c1.txPackets - b1.txPackets).toBeGreaterThanOrEqual(3);
      expect(c1.rxPackets - b1.rxPackets).toBeGreaterThanOrEqual(3);
      expect(c2.rxPackets - b2.rxPackets).toBe(c1.txPackets - b1.txPackets);
      expect(c1.txBytes - b1.txBytes).toBeGreaterThanOrEqual(3 * 98);
      expect(c2.rxBytes - b2.rxBytes).toBe(c1.txBytes - b1.txBytes);
    } finally {
      s.close();
    }
  });

  it('survives hostile entries in /run/netns and odd interface names', async () => {
    for (const argv of [
      ['mkfifo', '/run/netns/fifo1'],
      ['mkdir', '/run/netns/dir1'],
      ['ln', '-s', '/proc/self/ns/net', '/run/netns/link1'],
      ['touch', '/run/netns/123', '/run/netns/plain', '/run/netns/bad\nN evil', '/run/netns/-opt'],
    ]) await ok('host', argv);
    // (a veth pair: this machine's kernel may lack the dummy driver)
    await ok('ns2', ['ip', 'link', 'add', 'name', 'd\u00fcm\u0001', 'type', 'veth', 'peer', 'name', 'odd-peer']);
    const s = new CounterSampler(getSandbox(LAB));
    try {
      const t = performance.now();
      const a = await s.sample();
      expect(performance.now() - t).toBeLessThan(5000);
      expect([...a.nodes.keys()].sort()).toEqual(['host', 'ns1', 'ns2']);
      expect(a.nodes.get('ns2')!.has('d\u00fcm\u0001')).toBe(true);
    } finally {
      s.close();
      for (const p of ['fifo1', 'dir1', 'link1', '123', 'plain', 'bad\nN evil', '-opt']) await ok('host', ['rm', '-rf', '--', `/run/netns/${p}`]);
      await ok('ns2', ['ip', 'link', 'del', 'dev', 'd\u00fcm\u0001']);
    }
  });

  it('stops on close', async () => {
    const s = new CounterSampler(getSandbox(LAB));
    await s.sample();
    const pid = s.pid!;
    expect(gone(pid)).toBe(false);
    s.close();
    expect(await waitGone(pid)).toBe(true);
    await expect(s.sample()).rejects.toThrow(/closed/);
  });

  it('ends when the process that started it dies', async () => {
    const driver = join(import.meta.dirname, '../src/index.ts');
    const code = `import { CounterSampler, getSandbox } from ${JSON.stringify(driver)};
      const s = new CounterSampler(getSandbox(${JSON.stringify(LAB)}));
      await s.sample();
      process.stdout.write(String(s.pid) + '\\n');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      child.once('exit', () => reject(new Error('helper exited early')));
    });
    expect(gone(pid)).toBe(false);
    child.kill('SIGKILL');
    // Its stdin (our pipe) closes with the owner: the sampler reads end-of-file and exits.
    expect(await waitGone(pid)).toBe(true);
  });

  it('dies with its sandbox', async () => {
    const s = new CounterSampler(getSandbox(LAB));
    await s.sample();
    const pid = s.pid!;
    await destroyLab(LAB);
    expect(findSandbox(LAB)).toBeNull();
    expect(await waitGone(pid)).toBe(true);
    await expect(s.sample()).rejects.toThrow(/gone/);
    s.close();
  });
});
