import { describe, expect, it } from 'vitest';
import {
  buildJourney,
  decodeSll2,
  hexBytes,
  NftTraceReader,
  pcapFormat,
  pcapRecord,
  traceRuleset,
  traceTableName,
  type DecodeContext,
  type ObservedInterface,
  type ObservedLab,
  type ObservedNode,
  type Sighting,
} from '../src/index.ts';

const MARKER = '6e736c61627472616365303132333435';
const M = hexBytes(MARKER)!;

// ---------- packets, byte by byte (what tcpdump -y LINUX_SLL2 writes) ----------

const macBytes = (m: string) => m.split(':').map((x) => parseInt(x, 16));
const ipBytes = (ip: string) => ip.split('.').map(Number);

function sll2(proto: number, ifindex: number, ptype: number, srcMac: string, payload: number[]): Uint8Array {
  const h = [proto >> 8, proto & 255, 0, 0, (ifindex >>> 24) & 255, (ifindex >>> 16) & 255, (ifindex >>> 8) & 255, ifindex & 255, 0, 1, ptype, 6, ...macBytes(srcMac), 0, 0];
  return new Uint8Array([...h, ...payload]);
}

function ipv4(src: string, dst: string, ttl: number, id: number, proto: number, body: number[]): number[] {
  const len = 20 + body.length;
  return [0x45, 0, len >> 8, len & 255, id >> 8, id & 255, 0x40, 0, ttl, proto, 0, 0, ...ipBytes(src), ...ipBytes(dst), ...body];
}

function echo(type: 0 | 8, id: number, seq: number, marker = M): number[] {
  return [type, 0, 0, 0, id >> 8, id & 255, seq >> 8, seq & 255, ...new Array(16).fill(7), ...marker, ...marker.slice(0, 8)];
}

function arp(op: 1 | 2, sMac: string, sIp: string, tMac: string, tIp: string): number[] {
  return [0, 1, 8, 0, 6, 4, 0, op, ...macBytes(sMac), ...ipBytes(sIp), ...macBytes(tMac), ...ipBytes(tIp)];
}

// ---------- a small observed lab ----------

function iface(name: string, ifindex: number, mac: string, addresses: string[], extra: Partial<ObservedInterface> = {}): ObservedInterface {
  return { name, ifindex, kind: 'veth', state: 'UP', up: true, carrier: true, mac, mtu: 1500, addresses, promisc: false, ...extra };
}
function node(name: string, interfaces: ObservedInterface[], routes: ObservedNode['routes'] = [], forward = false): ObservedNode {
  return { name, kind: name === 'host' ? 'host' : 'netns', interfaces, routes, neighbours: [], sysctls: { 'net.ipv4.ip_forward': forward ? '1' : '0' } };
}

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const R1 = '02:00:00:00:01:01';
const R2 = '02:00:00:00:01:02';

/** ns1 (10.0.1.10) -- r (10.0.1.1 | 10.0.2.1, forwarding) -- ns2 (10.0.2.10). */
function routedLab(): ObservedLab {
  return {
    name: 'tr-unit',
    nodes: [
      node('host', []),
      node('ns1', [iface('eth0', 2, A, ['10.0.1.10/24'], { peer: { node: 'r', interface: 'eth1', ifindex: 3 } })], [
        { dst: '10.0.1.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link' },
        { dst: 'default', via: '10.0.1.1', dev: 'eth0' },
      ]),
      node('r', [
        iface('eth1', 3, R1, ['10.0.1.1/24'], { peer: { node: 'ns1', interface: 'eth0', ifindex: 2 } }),
        iface('eth2', 4, R2, ['10.0.2.1/24'], { peer: { node: 'ns2', interface: 'eth0', ifindex: 5 } }),
      ], [
        { dst: '10.0.1.0/24', dev: 'eth1', protocol: 'kernel', scope: 'link' },
        { dst: '10.0.2.0/24', dev: 'eth2', protocol: 'kernel', scope: 'link' },
      ], true),
      node('ns2', [iface('eth0', 5, B, ['10.0.2.10/24'], { peer: { node: 'r', interface: 'eth2', ifindex: 4 } })], [
        { dst: '10.0.2.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link' },
        { dst: 'default', via: '10.0.2.1', dev: 'eth0' },
      ]),
    ],
    links: [],
    bridges: [],
  };
}

function ctxFor(lab: ObservedLab, n: string): DecodeContext {
  const nd = lab.nodes.find((x) => x.name === n)!;
  return { node: n, ifname: (i) => nd.interfaces.find((x) => x.ifindex === i)?.name, marker: M, vxlanPorts: new Set([4789]) };
}

let clock = 0;
/** Decode a packet as seen at node/ifindex, stamped on a fake kernel clock (1 µs apart). */
function seen(lab: ObservedLab, n: string, bytes: Uint8Array): Sighting {
  clock += 1000;
  const s = decodeSll2({ sec: 1_700_000_000, nsec: clock, data: bytes, length: bytes.length }, ctxFor(lab, n));
  if (!s) throw new Error('did not decode');
  return s;
}

const OUT = 4;
const HOST = 0;

function routedPing(lab: ObservedLab, o: { id?: number } = {}): Sighting[] {
  const id = o.id ?? 0x1234;
  return [
    seen(lab, 'ns1', sll2(0x0806, 2, OUT, A, arp(1, A, '10.0.1.10', '00:00:00:00:00:00', '10.0.1.1'))),
    seen(lab, 'r', sll2(0x0806, 3, 1, A, arp(1, A, '10.0.1.10', '00:00:00:00:00:00', '10.0.1.1'))),
    seen(lab, 'r', sll2(0x0806, 3, OUT, R1, arp(2, R1, '10.0.1.1', A, '10.0.1.10'))),
    seen(lab, 'ns1', sll2(0x0806, 2, HOST, R1, arp(2, R1, '10.0.1.1', A, '10.0.1.10'))),
    seen(lab, 'ns1', sll2(0x0800, 2, OUT, A, ipv4('10.0.1.10', '10.0.2.10', 64, id, 1, echo(8, 77, 1)))),
    seen(lab, 'r', sll2(0x0800, 3, HOST, A, ipv4('10.0.1.10', '10.0.2.10', 64, id, 1, echo(8, 77, 1)))),
    seen(lab, 'r', sll2(0x0800, 4, OUT, R2, ipv4('10.0.1.10', '10.0.2.10', 63, id, 1, echo(8, 77, 1)))),
    seen(lab, 'ns2', sll2(0x0800, 5, HOST, R2, ipv4('10.0.1.10', '10.0.2.10', 63, id, 1, echo(8, 77, 1)))),
    seen(lab, 'ns2', sll2(0x0800, 5, OUT, B, ipv4('10.0.2.10', '10.0.1.10', 64, 0x999, 1, echo(0, 77, 1)))),
    seen(lab, 'r', sll2(0x0800, 4, HOST, B, ipv4('10.0.2.10', '10.0.1.10', 64, 0x999, 1, echo(0, 77, 1)))),
    seen(lab, 'r', sll2(0x0800, 3, OUT, R1, ipv4('10.0.2.10', '10.0.1.10', 63, 0x999, 1, echo(0, 77, 1)))),
    seen(lab, 'ns1', sll2(0x0800, 2, HOST, R1, ipv4('10.0.2.10', '10.0.1.10', 63, 0x999, 1, echo(0, 77, 1)))),
  ];
}

const probe = { protocol: 'icmp' as const, marker: MARKER };
const input = (lab: ObservedLab, sightings: Sighting[], extra = {}) => ({ lab, from: 'ns1', to: 'ns2', target: '10.0.2.10', probe, sightings, nft: [], armed: ['ns1', 'r', 'ns2'], ...extra });

describe('decoding cooked captures', () => {
  const lab = routedLab();
  it('reads direction, interface, MAC, IP and ICMP fields and finds the marker', () => {
    const s = seen(lab, 'r', sll2(0x0800, 4, OUT, R2, ipv4('10.0.1.10', '10.0.2.10', 63, 42, 1, echo(8, 77, 3))));
    expect(s).toMatchObject({ node: 'r', interface: 'eth2', direction: 'out', packetType: 'outgoing', marked: true });
    expect(s.headers.ethernet).toEqual({ src: R2, type: 0x0800 });
    expect(s.headers.ipv4).toMatchObject({ src: '10.0.1.10', dst: '10.0.2.10', ttl: 63, id: 42, protocol: 1 });
    expect(s.headers.icmp).toMatchObject({ type: 8, name: 'echo-request', id: 77, seq: 3 });
  });

  it('reads a VXLAN packet with the VNI and the packet inside it', () => {
    const inner = [...macBytes(B), ...macBytes(A), 8, 0, ...ipv4('192.168.0.1', '192.168.0.2', 64, 5, 1, echo(8, 1, 1))];
    const udp = [0x30, 0x39, 0x12, 0xb5, 0, 8 + 8 + inner.length, 0, 0, 0x08, 0, 0, 0, 0, 0, 42, 0, ...inner];
    const s = seen(lab, 'r', sll2(0x0800, 4, OUT, R2, ipv4('10.0.2.1', '10.0.2.10', 64, 6, 17, udp)));
    expect(s.headers.vxlan).toEqual({ vni: 42 });
    expect(s.headers.inner?.ipv4).toMatchObject({ src: '192.168.0.1', dst: '192.168.0.2' });
    expect(s.headers.inner?.ethernet).toMatchObject({ src: A, dst: B });
    expect(s.marked).toBe(true);
  });

  it('never throws on cut or random bytes, and skips unknown interfaces', () => {
    const full = sll2(0x0800, 4, OUT, R2, ipv4('10.0.1.10', '10.0.2.10', 63, 42, 1, echo(8, 77, 3)));
    for (let n = 0; n <= full.length; n++) {
      const cut = full.subarray(0, n);
      expect(() => decodeSll2({ sec: 1, nsec: 0, data: cut, length: n }, ctxFor(lab, 'r'))).not.toThrow();
    }
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
    for (let k = 0; k < 2000; k++) {
      const junk = new Uint8Array(1 + (rnd() % 200)).map(() => rnd());
      // Half of them on a real interface with an IPv4 EtherType, so the IP decoder sees garbage too.
      if (k % 2 === 0 && junk.length > 20) junk.set([8, 0, 0, 0, 0, 0, 0, 4], 0);
      expect(() => decodeSll2({ sec: 1, nsec: 0, data: junk, length: junk.length }, ctxFor(lab, 'r'))).not.toThrow();
    }
    expect(decodeSll2({ sec: 1, nsec: 0, data: sll2(0x0800, 99, 0, A, []), length: 20 }, ctxFor(lab, 'r'))).toBeNull();
  });

  it('reads pcap headers and refuses records that claim more bytes than they have', () => {
    const h = new Uint8Array(24);
    new DataView(h.buffer).setUint32(0, 0xa1b23c4d, true);
    new DataView(h.buffer).setUint32(20, 276, true);
    const f = pcapFormat(h)!;
    expect(f).toEqual({ little: true, nano: true, linktype: 276 });
    expect(pcapFormat(new Uint8Array(24))).toBeNull();
    const rec = new Uint8Array(16 + 4);
    const v = new DataView(rec.buffer);
    v.setUint32(0, 10, true);
    v.setUint32(4, 500, true);
    v.setUint32(8, 4, true);
    v.setUint32(12, 4, true);
    expect(pcapRecord(rec, f)).toMatchObject({ sec: 10, nsec: 500 });
    v.setUint32(8, 1_000_000, true);
    expect(pcapRecord(rec, f)).toBeNull();
  });
});

describe('nft trace lines', () => {
  it('keeps the rules other tables applied, with the hook interfaces, and ignores our own table and garbage', () => {
    const r = new NftTraceReader('r');
    const t = 'trace id 1a2b3c4d';
    for (const l of [
      `${t} inet nslab_trace_0badf00d pre packet: iif "eth1" ether saddr ${A} ip saddr 10.0.1.10 ip daddr 10.0.2.10 ip ttl 64 ip id 4660 ip protocol icmp`,
      `${t} inet nslab_trace_0badf00d pre rule @th,192,128 0x${MARKER} meta nftrace set 1 (verdict continue)`,
      `${t} ip filter FORWARD packet: iif "eth1" oif "eth2" ip saddr 10.0.1.10 ip daddr 10.0.2.10 ip id 4660`,
      `${t} ip filter FORWARD rule ip saddr 10.0.1.10 counter packets 0 bytes 0 drop (verdict drop)`,
      'random junk',
      'trace id zzzz not a line',
      `trace id 1 ip filter ${'x'.repeat(5000)}`,
    ]) r.push(l);
    const [trace] = r.traces();
    expect(trace).toMatchObject({ node: 'r', iif: 'eth1', src: '10.0.1.10', ipId: 4660 });
    expect(trace!.steps).toEqual([{ family: 'ip', table: 'filter', chain: 'FORWARD', rule: 'ip saddr 10.0.1.10 counter packets 0 bytes 0 drop', verdict: 'drop', policy: false, iif: 'eth1', oif: 'eth2' }]);
    expect(r.ignored).toBe(3);
  });

  it('caps how many traces it keeps', () => {
    const r = new NftTraceReader('x', 10);
    for (let i = 0; i < 10_000; i++) r.push(`trace id ${i.toString(16)} ip filter INPUT policy accept`);
    expect(r.traces()).toHaveLength(10);
  });

  it('writes a trace table of its own name that only marks the probe', () => {
    const text = traceRuleset(traceTableName('0badf00d'), MARKER);
    expect(text).toContain('table inet nslab_trace_0badf00d {');
    expect(text).toContain('comment "nslab trace');
    expect(text).toContain(`@th,192,128 0x${MARKER} meta nftrace set 1`);
    expect(() => traceRuleset('filter', MARKER)).toThrow();
    expect(() => traceRuleset(traceTableName('0badf00d'), 'nothex";flush ruleset')).toThrow();
    expect(() => traceTableName('../x')).toThrow();
  });
});

describe('a journey', () => {
  it('through a router: ARP first, MAC rewritten, TTL-1, the route named, delivered and replied', () => {
    const lab = routedLab();
    const j = buildJourney(input(lab, routedPing(lab)));
    expect(j.reliable).toBe(true);
    expect(j.delivered).toBe(true);
    expect(j.replied).toBe(true);
    expect(j.drop).toBeUndefined();
    expect(j.events[0]!.type).toBe('arp request');
    expect(j.events.map((e) => `${e.leg} ${e.at.node}:${e.at.interface} ${e.at.direction}`)).toEqual([
      'arp ns1:eth0 out', 'arp r:eth1 in', 'arp r:eth1 out', 'arp ns1:eth0 in',
      'request ns1:eth0 out', 'request r:eth1 in', 'request r:eth2 out', 'request ns2:eth0 in',
      'reply ns2:eth0 out', 'reply r:eth2 in', 'reply r:eth1 out', 'reply ns1:eth0 in',
    ]);
    const atRouter = j.events[6]!;
    expect(atRouter.changes.map((c) => c.kind).sort()).toEqual(['mac-rewrite', 'mac-rewrite', 'ttl']);
    expect(atRouter.changes.find((c) => c.field === 'ipv4.ttl')).toMatchObject({ from: '64', to: '63' });
    expect(atRouter.changes.find((c) => c.field === 'ethernet.src')).toMatchObject({ from: A, to: R2 });
    expect(atRouter.why[0]).toMatchObject({ kind: 'route', detail: '10.0.2.0/24 dev eth2' });
    expect(atRouter.from).toEqual({ node: 'r', interface: 'eth1' });
    expect(j.events[5]!.from).toEqual({ node: 'ns1', interface: 'eth0' });
    expect(j.events[4]!.why[0]).toMatchObject({ kind: 'route', detail: 'default via 10.0.1.1 dev eth0' });
    // The destination MAC nobody captured follows from where the frame was delivered.
    expect(j.events[4]!.headers.ethernet).toMatchObject({ dst: R1, dstInferred: true });
    expect(j.events[7]!.why[0]).toMatchObject({ kind: 'local' });
    expect(j.events.every((e, k) => k === 0 || e.t >= j.events[k - 1]!.t)).toBe(true);
  });

  it('sets aside forged marker packets and says the journey is unreliable', () => {
    const lab = routedLab();
    const forged = [
      // Before the probe left, and with the wrong IP ID later on.
      seen(lab, 'ns2', sll2(0x0800, 5, OUT, B, ipv4('10.0.2.10', '10.0.1.10', 64, 1, 1, echo(8, 1, 1)))),
      ...routedPing(lab),
      seen(lab, 'r', sll2(0x0800, 4, OUT, R2, ipv4('6.6.6.6', '10.0.2.10', 9, 0x4321, 1, echo(8, 1, 1)))),
      // The same place twice with the probe's own ID.
      seen(lab, 'r', sll2(0x0800, 4, OUT, R2, ipv4('10.0.1.10', '10.0.2.10', 63, 0x1234, 1, echo(8, 77, 1)))),
    ];
    const j = buildJourney(input(lab, forged));
    expect(j.reliable).toBe(false);
    expect(j.warnings.join()).toMatch(/3 packets carrying the probe's marker were not the probe/);
    expect(j.events.filter((e) => e.leg === 'request')).toHaveLength(4);
    expect(j.delivered).toBe(true);
  });

  it('survives a flood of sightings: cut, bounded, unreliable', () => {
    const lab = routedLab();
    const one = seen(lab, 'r', sll2(0x0800, 4, OUT, R2, ipv4('10.0.1.10', '10.0.2.10', 63, 7, 1, echo(8, 77, 1))));
    const flood = Array.from({ length: 50_000 }, (_, i) => ({ ...one, nsec: i }));
    const j = buildJourney(input(lab, [...routedPing(lab), ...flood]));
    expect(j.reliable).toBe(false);
    expect(j.events.length).toBeLessThanOrEqual(400);
    expect(j.warnings.join()).toMatch(/more than the 20000/);
  });

  it('ends at the rule that dropped it, naming the rule, with the diagnosis beside it', () => {
    const lab = routedLab();
    const upToRouter = routedPing(lab).slice(0, 6);
    const r = new NftTraceReader('r');
    r.push('trace id 00000001 ip filter FORWARD packet: iif "eth1" oif "eth2" ip saddr 10.0.1.10 ip daddr 10.0.2.10 ip id 4660');
    r.push('trace id 00000001 ip filter FORWARD rule ip daddr 10.0.2.10 counter packets 0 bytes 0 drop (verdict drop)');
    const j = buildJourney(input(lab, upToRouter, {
      nft: r.traces(),
      probeOk: false,
      probeOutput: '1 packets transmitted, 0 received, 100% packet loss',
      diagnosis: { from: 'ns1', to: 'ns2', ok: false, path: [], problem: { hop: 0, node: 'r', cause: 'filtered', message: "r's firewall drops the ping", fix: [] } },
    }));
    expect(j.delivered).toBe(false);
    expect(j.drop).toMatchObject({ node: 'r', interface: 'eth1', leg: 'request' });
    const rule = j.drop!.evidence.find((e) => e.kind === 'rule')!;
    expect(rule.text).toMatch(/ip filter FORWARD: rule "ip daddr 10.0.2.10 counter packets 0 bytes 0 drop" drops it/);
    expect(j.drop!.evidence.map((e) => e.kind)).toEqual(['rule', 'probe', 'diagnosis']);
    expect(j.diagnosis?.problem?.cause).toBe('filtered');
  });

  it('shows SNAT at a router and the reply translated back', () => {
    const lab = routedLab();
    const id = 0x1234;
    const s = [
      seen(lab, 'ns1', sll2(0x0800, 2, OUT, A, ipv4('10.0.1.10', '10.0.2.10', 64, id, 1, echo(8, 77, 1)))),
      seen(lab, 'r', sll2(0x0800, 3, HOST, A, ipv4('10.0.1.10', '10.0.2.10', 64, id, 1, echo(8, 77, 1)))),
      seen(lab, 'r', sll2(0x0800, 4, OUT, R2, ipv4('10.0.2.1', '10.0.2.10', 63, id, 1, echo(8, 77, 1)))),
      seen(lab, 'ns2', sll2(0x0800, 5, HOST, R2, ipv4('10.0.2.1', '10.0.2.10', 63, id, 1, echo(8, 77, 1)))),
      seen(lab, 'ns2', sll2(0x0800, 5, OUT, B, ipv4('10.0.2.10', '10.0.2.1', 64, 9, 1, echo(0, 77, 1)))),
      seen(lab, 'r', sll2(0x0800, 4, HOST, B, ipv4('10.0.2.10', '10.0.2.1', 64, 9, 1, echo(0, 77, 1)))),
      seen(lab, 'r', sll2(0x0800, 3, OUT, R1, ipv4('10.0.2.10', '10.0.1.10', 63, 9, 1, echo(0, 77, 1)))),
      seen(lab, 'ns1', sll2(0x0800, 2, HOST, R1, ipv4('10.0.2.10', '10.0.1.10', 63, 9, 1, echo(0, 77, 1)))),
    ];
    const j = buildJourney(input(lab, s));
    expect(j.events[2]!.changes.find((c) => c.kind === 'snat')).toMatchObject({ from: '10.0.1.10', to: '10.0.2.1' });
    expect(j.events[6]!.changes.find((c) => c.kind === 'dnat')).toMatchObject({ from: '10.0.2.1', to: '10.0.1.10' });
    expect(j.replied).toBe(true);
  });

  it('with no sighting at all, ends at the source with what the probe said', () => {
    const lab = routedLab();
    const j = buildJourney(input(lab, [], { probeOk: false, probeOutput: 'ping: connect: Network is unreachable' }));
    expect(j.events).toEqual([]);
    expect(j.drop).toMatchObject({ node: 'ns1', leg: 'request' });
    expect(j.drop!.evidence.map((e) => e.kind)).toEqual(['no-sighting', 'probe']);
  });
});

describe('where a frame came from', () => {
  const H = '02:00:00:00:00:40';
  const L = '02:00:00:00:00:41';
  const MV0 = '02:00:00:00:00:50';
  const MV1 = '02:00:00:00:00:51';
  /** host: eth0 (a veth to lan) carries mv0 (host) and mv1 (moved to ns1), both macvlans in bridge mode. */
  const macvlanLab = (): ObservedLab => ({
    name: 'mv-unit',
    nodes: [
      node('host', [
        iface('eth0', 2, H, [], { peer: { node: 'lan', interface: 'eth0', ifindex: 9 } }),
        iface('mv0', 3, MV0, ['192.168.50.10/24'], { kind: 'macvlan', details: { parent: 'eth0', mode: 'bridge' } }),
      ], [{ dst: '192.168.50.0/24', dev: 'mv0', protocol: 'kernel', scope: 'link' }]),
      node('lan', [iface('eth0', 9, L, [], { peer: { node: 'host', interface: 'eth0', ifindex: 2 } })]),
      node('ns1', [iface('mv1', 7, MV1, ['192.168.50.11/24'], { kind: 'macvlan', details: { parent: 'eth0', parentNode: 'host', mode: 'bridge' } })], [
        { dst: '192.168.50.0/24', dev: 'mv1', protocol: 'kernel', scope: 'link' },
      ]),
    ],
    links: [],
    bridges: [],
  });

  it('a frame one macvlan hands another inside their parent came from that macvlan, not over the wire', () => {
    const lab = macvlanLab();
    const ping = ipv4('192.168.50.10', '192.168.50.11', 64, 0x4242, 1, echo(8, 5, 1));
    const sightings = [
      seen(lab, 'host', sll2(0x0800, 3, OUT, MV0, ping)),
      seen(lab, 'host', sll2(0x0800, 2, HOST, MV0, ping)),
      seen(lab, 'ns1', sll2(0x0800, 7, HOST, MV0, ping)),
    ];
    const j = buildJourney({ ...input(lab, sightings), from: 'host', to: 'ns1', target: '192.168.50.11', armed: ['host', 'ns1'] });
    const onParent = j.events.find((e) => e.at.node === 'host' && e.at.interface === 'eth0' && e.at.direction === 'in')!;
    expect(onParent.from).toEqual({ node: 'host', interface: 'mv0' });
    // A frame from lan over the wire still comes from lan's end.
    const fromLan = ipv4('192.168.50.99', '192.168.50.10', 64, 0x4243, 1, echo(8, 6, 1));
    const k = buildJourney({ ...input(lab, [seen(lab, 'lan', sll2(0x0800, 9, OUT, L, fromLan)), seen(lab, 'host', sll2(0x0800, 2, HOST, L, fromLan))]), from: 'lan', to: 'host', target: '192.168.50.10', armed: ['lan', 'host'] });
    expect(k.events.find((e) => e.at.node === 'host')!.from).toEqual({ node: 'lan', interface: 'eth0' });
  });
});
