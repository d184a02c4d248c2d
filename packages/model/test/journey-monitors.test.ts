// The neighbour and conntrack monitors' lines, read as what a learner may write into them: parsed
// when they are the kernel's, skipped when not, and a flood capped at MAX_MONITOR_EVENTS.
import { describe, expect, it } from 'vitest';
import { ConntrackReader, MAX_MONITOR_EVENTS, NeighbourReader } from '../src/journey/monitors.ts';

describe('NeighbourReader', () => {
  it('reads a FAILED entry, a resolved one and a MAC a bridge learned, with their UTC stamps', () => {
    const r = new NeighbourReader('ns1');
    r.push('[2026-12-08T01:05:49.001509] 10.9.0.9 dev v0 FAILED \n[2026-12-08T01:05:49.5] 10.9.0.2 dev v0 lladdr 02:00:00:00:00:02 REACHABLE \n');
    r.push('[2026-12-08T01:05:45.613230] dev p-a lladdr aa:09:81:83:56:5d REACHABLE \n[2026-12-08T01:05:45.61] Deleted ff02::16 dev br0 lladdr 33:33:00:00:00:16 NOARP\n');
    const [failed, ok, learned, ...rest] = r.list();
    expect(failed).toMatchObject({ node: 'ns1', ip: '10.9.0.9', dev: 'v0', state: 'FAILED', deleted: false, line: '10.9.0.9 dev v0 FAILED', sec: Date.UTC(2026, 11, 8, 1, 5, 49) / 1000, nsec: 1_509_000 });
    expect(ok).toMatchObject({ ip: '10.9.0.2', mac: '02:00:00:00:00:02', state: 'REACHABLE', nsec: 500_000_000 });
    expect(learned).toMatchObject({ dev: 'p-a', mac: 'aa:09:81:83:56:5d', state: 'REACHABLE' });
    expect(learned!.ip).toBeUndefined();
    expect(rest).toEqual([]);
  });

  it('skips forged and overlong lines, and keeps at most MAX_MONITOR_EVENTS of a 100k-event flood', () => {
    const r = new NeighbourReader('ns1');
    r.push(`not a monitor line\n[x] 10.0.0.1 dev eth0 FAILED\n${'A'.repeat(5000)}\n`);
    expect(r.list()).toEqual([]);
    expect(r.dropped).toBe(1);
    const line = '[2026-12-08T01:05:49.001509] 10.1.5.77 dev eth0 lladdr 02:00:00:00:00:01 PERMANENT\n';
    for (let i = 0; i < 100; i++) r.push(line.repeat(1000));
    expect(r.list()).toHaveLength(MAX_MONITOR_EVENTS);
    expect(r.dropped).toBe(1 + 100_000 - MAX_MONITOR_EVENTS);
  });
});

describe('ConntrackReader', () => {
  it('reads both tuples of a NAT entry', () => {
    const r = new ConntrackReader('r');
    r.push('[1796691971.130202]\t    [NEW] icmp     1 30 src=10.1.0.10 dst=10.9.0.99 type=8 code=0 id=11099 [UNREPLIED] src=10.2.0.10 dst=10.2.0.1 type=0 code=0 id=11099\n');
    r.push('[1796691971.2]\t [UPDATE] tcp      6 60 SYN_RECV src=10.1.0.10 dst=10.9.0.99 sport=4000 dport=80 src=10.2.0.10 dst=10.2.0.1 sport=80 dport=4000\n');
    const [icmp, tcp] = r.list();
    expect(icmp).toMatchObject({ node: 'r', event: 'NEW', protocol: 'icmp', sec: 1796691971, nsec: 130_202_000, original: { src: '10.1.0.10', dst: '10.9.0.99', id: 11099 }, reply: { src: '10.2.0.10', dst: '10.2.0.1', id: 11099 } });
    expect(icmp!.line).toMatch(/^\[NEW\] icmp 1 30 src=10\.1\.0\.10/);
    expect(tcp).toMatchObject({ event: 'UPDATE', original: { sport: 4000, dport: 80 }, reply: { sport: 80, dport: 4000 } });
  });

  it('skips lines with one tuple or bad addresses, and caps a flood', () => {
    const r = new ConntrackReader('r');
    r.push('[1.0] [NEW] icmp 1 30 src=10.1.0.10 dst=10.9.0.99\n[1.0] [NEW] icmp 1 30 src=999.1.1.1.1 dst=x src=1.1.1.1 dst=2.2.2.2\n');
    expect(r.list()).toEqual([]);
    const line = '[1.0] [DESTROY] udp 17 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1\n';
    r.push(line.repeat(MAX_MONITOR_EVENTS + 10));
    expect(r.list()).toHaveLength(MAX_MONITOR_EVENTS);
    expect(r.dropped).toBe(10);
  });
});
