// `nslab capture` on the real kernel: decoded lines on stdout, a pcap tcpdump reads back, and bad
// input refused before anything captures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyLab, findSandbox } from '@nslab/driver';
import { nslab } from './helpers.ts';

const root = join(import.meta.dirname, '..');
const LAB = 'c-capcli';
const tmp = mkdtempSync(join(tmpdir(), 'nslab-capcli-'));

beforeAll(async () => {
  if (findSandbox(LAB)) await destroyLab(LAB);
  const d = await nslab('deploy', join(root, 'labs/veth-pair/topology.yaml'), '--name', LAB, '-q');
  expect(d.code, d.stderr).toBe(0);
});

afterAll(async () => {
  if (findSandbox(LAB)) await destroyLab(LAB);
  rmSync(tmp, { recursive: true, force: true });
});

describe('nslab capture', () => {
  it('prints the echo request and reply lines of a ping and writes a pcap tcpdump can read', async () => {
    const pcap = join(tmp, 'ping.pcap');
    let stdout = '';
    let stderr = '';
    const { runCli } = await import('../apps/cli/src/cli.ts');
    const run = runCli(['capture', LAB, 'ns1', 'veth-01', '-f', 'icmp', '-c', '4', '-w', pcap], { out: (s) => (stdout += s), err: (s) => (stderr += s) });
    for (const end = Date.now() + 5000; !stderr.includes('capturing on') && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
    expect(stderr).toContain('capturing on ns1:veth-01 (icmp)');
    const ping = await nslab('exec', LAB, 'ns1', '--', 'ping', '-c', '2', '-i', '0.2', '10.1.5.11');
    expect(ping.code, ping.stderr).toBe(0);
    expect(await run).toBe(0);
    expect(stdout.match(/ICMP echo request/g)).toHaveLength(2);
    expect(stdout.match(/ICMP echo reply/g)).toHaveLength(2);
    expect(stderr).toMatch(/4 packets, written to .*ping\.pcap \(4 packets\)/);
    const read = execFileSync('tcpdump', ['-n', '-r', pcap], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(read.split('\n').filter((l) => l.includes('ICMP echo'))).toHaveLength(4);
  });

  it('refuses a bad filter, a bad count and a missing interface before capturing', async () => {
    const pcap = join(tmp, 'never.pcap');
    const bad = await nslab('capture', LAB, 'ns1', 'veth-01', '-f', 'tcp port', '-w', pcap);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/filter/);
    expect(existsSync(pcap)).toBe(false);
    const hostile = await nslab('capture', LAB, 'ns1', 'veth-01', '-f', '; rm -rf /', '-w', pcap);
    expect(hostile.code).toBe(1);
    expect(hostile.stderr).toMatch(/filter/);
    const count = await nslab('capture', LAB, 'ns1', 'veth-01', '-c', '0');
    expect(count.code).toBe(2);
    expect(count.stderr).toContain('--count must be a whole number');
    const gone = await nslab('capture', LAB, 'ns1', 'nope0', '-c', '1');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/nope0/);
    const usage = await nslab('capture', LAB, 'ns1');
    expect(usage.code).toBe(2);
  });
});
