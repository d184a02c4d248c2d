// `nslab diagnose` on the real kernel: each broken state is built in a lab, the diagnosis must name
// the right cause and hop, and after typing its fix commands in the lab host the real ping works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitShellWords } from '@nslab/model';
import type { LiveDiagnosis } from '@nslab/labs';
import { destroyLab, listLabs } from '@nslab/driver';
import { hostNetworkSnapshot, nslab, PAIR } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'nslab-diag-'));
let n = 0;

const BRIDGE = `
bridges:
  br0: {}
nodes:
  ns1:
    interfaces:
      int0: { addresses: [10.5.1.10/24] }
  ns2:
    interfaces:
      int1: { addresses: [10.5.1.11/24] }
links:
  - endpoints: ["ns1:int0", "br0:br-int0"]
  - endpoints: ["ns2:int1", "br0:br-int1"]
`;
const ROUTER = `
nodes:
  ns1:
    interfaces:
      eth0: { addresses: [10.1.1.10/24] }
    routes:
      - { to: default, via: 10.1.1.1 }
  router:
    interfaces:
      eth1: { addresses: [10.1.1.1/24] }
      eth2: { addresses: [10.1.2.1/24] }
    sysctls: { net.ipv4.ip_forward: "1" }
  ns2:
    interfaces:
      eth0: { addresses: [10.1.2.10/24] }
    routes:
      - { to: default, via: 10.1.2.1 }
links:
  - endpoints: ["ns1:eth0", "router:eth1"]
  - endpoints: ["router:eth2", "ns2:eth0"]
`;
const TWO_ROUTERS = `
nodes:
  ns1:
    interfaces:
      eth0: { addresses: [10.1.1.10/24] }
    routes:
      - { to: default, via: 10.1.1.1 }
  r1:
    interfaces:
      eth1: { addresses: [10.1.1.1/24] }
      eth2: { addresses: [10.1.2.1/24] }
    routes:
      - { to: 10.1.3.0/24, via: 10.1.2.2 }
    sysctls: { net.ipv4.ip_forward: "1" }
  r2:
    interfaces:
      eth1: { addresses: [10.1.2.2/24] }
      eth2: { addresses: [10.1.3.1/24] }
    routes:
      - { to: 10.1.1.0/24, via: 10.1.2.1 }
    sysctls: { net.ipv4.ip_forward: "1" }
  ns2:
    interfaces:
      eth0: { addresses: [10.1.3.10/24] }
    routes:
      - { to: default, via: 10.1.3.1 }
links:
  - endpoints: ["ns1:eth0", "r1:eth1"]
  - endpoints: ["r1:eth2", "r2:eth1"]
  - endpoints: ["r2:eth2", "ns2:eth0"]
`;
const NAT = `
bridges:
  br0: { addresses: [10.10.0.1/24] }
nodes:
  host:
    interfaces:
      uplink: { addresses: [203.0.113.1/24] }
    sysctls: { net.ipv4.ip_forward: "1" }
  app1:
    interfaces:
      eth0: { addresses: [10.10.0.2/24] }
    routes:
      - { to: default, via: 10.10.0.1 }
  internet:
    interfaces:
      eth0: { addresses: [203.0.113.2/24] }
links:
  - endpoints: ["app1:eth0", "br0:veth-app1"]
  - endpoints: ["internet:eth0", "host:uplink"]
`;

// labs/vxlan, built: a pod on each of two hosts, one L2 network over VXLAN 42 on the underlay.
const overlay = (idB = 42) => `
nodes:
  hostA:
    interfaces:
      eth0: { addresses: [192.168.1.1/24] }
      br0: { kind: bridge }
      vxlan42: { kind: vxlan, id: 42, dev: eth0, local: 192.168.1.1, remote: 192.168.1.2, dstport: 4789, master: br0 }
      veth-a: { master: br0 }
  hostB:
    interfaces:
      eth0: { addresses: [192.168.1.2/24] }
      br0: { kind: bridge }
      vxlan42: { kind: vxlan, id: ${idB}, dev: eth0, local: 192.168.1.2, remote: 192.168.1.1, dstport: 4789, master: br0 }
      veth-b: { master: br0 }
  podA:
    interfaces:
      eth0: { addresses: [10.0.0.1/24] }
  podB:
    interfaces:
      eth0: { addresses: [10.0.0.2/24] }
links:
  - endpoints: ["hostA:eth0", "hostB:eth0"]
  - endpoints: ["podA:eth0", "hostA:veth-a"]
  - endpoints: ["podB:eth0", "hostB:veth-b"]
`;
// labs/macvlan, built: two macvlans on the lab host's eth0, whose other end is the "lan".
const MACVLAN = `
nodes:
  host:
    interfaces:
      mv1: { kind: macvlan, parent: eth0, mode: bridge }
  lan:
    interfaces:
      eth0: { addresses: [192.168.50.1/24] }
links:
  - endpoints: ["lan:eth0", "host:eth0"]
`;

async function diagnose(lab: string, from: string, to: string): Promise<{ code: number; d: LiveDiagnosis }> {
  const r = await nslab('diagnose', lab, from, to, '--json');
  expect(r.stderr).toBe('');
  return { code: r.code, d: JSON.parse(r.stdout) as LiveDiagnosis };
}

interface Case {
  yaml: string;
  /** Commands typed in the lab host to break it. */
  breakIt?: string[];
  /** Commands run after breaking it whose failure is expected (a first ping that leaves an ARP entry). */
  thenTry?: string[];
  from: string;
  to: string;
  cause: string;
  node: string;
  iface?: string;
  fix: string[];
}

async function run(c: Case): Promise<void> {
  const lab = `t-diag-${++n}`;
  const file = join(tmp, `${lab}.yaml`);
  writeFileSync(file, c.yaml);
  const dep = await nslab('deploy', file, '--name', lab, '--quiet');
  expect(dep.code, dep.stderr).toBe(0);
  try {
    for (const line of c.breakIt ?? []) {
      const r = await nslab('exec', lab, 'host', '--', ...splitShellWords(line));
      expect(r.code, `${line}: ${r.stderr}`).toBe(0);
    }
    for (const line of c.thenTry ?? []) await nslab('exec', lab, 'host', '--', ...splitShellWords(line));
    const before = await diagnose(lab, c.from, c.to);
    expect(before.d.ok, JSON.stringify(before.d.path)).toBe(false);
    expect(before.d.ping.ok).toBe(false); // the real ping agrees
    expect(before.code).toBe(1);
    const p = before.d.problem!;
    expect({ cause: p.cause, node: p.node, iface: p.interface }).toEqual({ cause: c.cause, node: c.node, iface: c.iface });
    // The hop the walk stopped at is where the problem is, or the routing hop that found it.
    expect(before.d.path[p.hop]).toBeDefined();
    expect(p.fix).toEqual(c.fix);
    for (const line of p.fix) {
      const r = await nslab('exec', lab, 'host', '--', ...splitShellWords(line));
      expect(r.code, `${line}: ${r.stderr}`).toBe(0);
    }
    const after = await diagnose(lab, c.from, c.to);
    expect(after.d.problem).toBeUndefined();
    expect(after.d.ping.ok, after.d.ping.output).toBe(true);
    expect(after.code).toBe(0);
  } finally {
    await destroyLab(lab);
  }
}

let before = '';
beforeAll(async () => {
  for (const sb of listLabs()) if (sb.name.startsWith('t-diag-')) await destroyLab(sb.name);
  before = hostNetworkSnapshot();
});
afterAll(async () => {
  for (const sb of listLabs()) if (sb.name.startsWith('t-diag-')) await destroyLab(sb.name);
  expect(hostNetworkSnapshot()).toBe(before);
});

// Each case deploys a lab of its own (t-diag-<n>): three at a time (vitest.config maxConcurrency).
describe.concurrent('nslab diagnose on the real kernel: cause, hop, fix, then the ping works', () => {
  it('lo down when pinging your own address', () =>
    run({ yaml: PAIR, from: 'ns1', to: '10.1.5.10', cause: 'lo-down', node: 'ns1', iface: 'lo', fix: ['ip -n ns1 link set dev lo up'] }));

  it('no address on the target', () =>
    run({
      yaml: PAIR, breakIt: ['ip -n ns2 addr flush dev eth0'], from: 'ns1', to: '10.1.5.11',
      cause: 'no-address', node: 'ns2', iface: 'eth0', fix: ['ip -n ns2 addr add 10.1.5.11/24 dev eth0'],
    }));

  it('no address on the source', () =>
    run({
      yaml: PAIR, breakIt: ['ip -n ns1 addr flush dev eth0'], from: 'ns1', to: 'ns2',
      cause: 'no-address', node: 'ns1', iface: 'eth0', fix: ['ip -n ns1 addr add 10.1.5.1/24 dev eth0'],
    }));

  it('address in a different subnet', () =>
    run({
      yaml: PAIR, breakIt: ['ip -n ns2 addr flush dev eth0', 'ip -n ns2 addr add 10.1.6.11/24 dev eth0'], from: 'ns1', to: 'ns2',
      cause: 'different-subnet', node: 'ns2', iface: 'eth0', fix: ['ip -n ns2 addr del 10.1.6.11/24 dev eth0', 'ip -n ns2 addr add 10.1.5.1/24 dev eth0'],
    }));

  it('same network, different prefix length', () =>
    run({
      yaml: PAIR, breakIt: ['ip -n ns2 addr flush dev eth0', 'ip -n ns2 addr add 10.1.5.130/25 dev eth0'], from: 'ns1', to: '10.1.5.130',
      cause: 'different-subnet', node: 'ns2', iface: 'eth0', fix: ['ip -n ns2 addr del 10.1.5.130/25 dev eth0', 'ip -n ns2 addr add 10.1.5.130/24 dev eth0'],
    }));

  it('own interface down', () =>
    run({ yaml: PAIR, breakIt: ['ip -n ns1 link set dev eth0 down'], from: 'ns1', to: 'ns2', cause: 'interface-down', node: 'ns1', iface: 'eth0', fix: ['ip -n ns1 link set dev eth0 up'] }));

  it('veth peer down', () =>
    run({ yaml: PAIR, breakIt: ['ip -n ns2 link set dev eth0 down'], from: 'ns1', to: '10.1.5.11', cause: 'peer-down', node: 'ns2', iface: 'eth0', fix: ['ip -n ns2 link set dev eth0 up'] }));

  it('bridge port not attached', () =>
    run({ yaml: BRIDGE, breakIt: ['ip link set dev br-int1 nomaster'], from: 'ns1', to: 'ns2', cause: 'port-not-attached', node: 'host', iface: 'br-int1', fix: ['ip link set dev br-int1 master br0'] }));

  it('bridge down', () =>
    run({ yaml: BRIDGE, breakIt: ['ip link set dev br0 down'], from: 'ns1', to: 'ns2', cause: 'bridge-down', node: 'host', iface: 'br0', fix: ['ip link set dev br0 up'] }));

  it('target interface down behind a bridge', () =>
    run({ yaml: BRIDGE, breakIt: ['ip -n ns2 link set dev int1 down'], from: 'ns1', to: 'ns2', cause: 'interface-down', node: 'ns2', iface: 'int1', fix: ['ip -n ns2 link set dev int1 up'] }));

  it('no default gateway', () =>
    run({ yaml: ROUTER, breakIt: ['ip -n ns1 route del default'], from: 'ns1', to: 'ns2', cause: 'no-default-gateway', node: 'ns1', iface: 'eth0', fix: ['ip -n ns1 route add default via 10.1.1.1'] }));

  it('ip_forward off on the router', () =>
    run({ yaml: ROUTER, breakIt: ['ip netns exec router sysctl -w net.ipv4.ip_forward=0'], from: 'ns1', to: 'ns2', cause: 'ip-forward-off', node: 'router', iface: undefined, fix: ['ip netns exec router sysctl -w net.ipv4.ip_forward=1'] }));

  it('missing return route (the reply has no way back)', () =>
    run({ yaml: ROUTER, breakIt: ['ip -n ns2 route del default'], from: 'ns1', to: 'ns2', cause: 'no-return-route', node: 'ns2', iface: 'eth0', fix: ['ip -n ns2 route add default via 10.1.2.1'] }));

  it('no route onward on a router', () =>
    run({ yaml: TWO_ROUTERS, breakIt: ['ip -n r1 route del 10.1.3.0/24'], from: 'ns1', to: 'ns2', cause: 'no-route', node: 'r1', iface: 'eth2', fix: ['ip -n r1 route add 10.1.3.0/24 via 10.1.2.2'] }));

  it('no route back on a router', () =>
    run({ yaml: TWO_ROUTERS, breakIt: ['ip -n r2 route del 10.1.1.0/24'], from: 'ns1', to: 'ns2', cause: 'no-return-route', node: 'r2', iface: 'eth1', fix: ['ip -n r2 route add 10.1.1.0/24 via 10.1.2.1'] }));

  it('missing NAT from a private network to the outside', () =>
    run({ yaml: NAT, from: 'app1', to: 'internet', cause: 'missing-nat', node: 'host', iface: 'uplink', fix: ['iptables -t nat -A POSTROUTING -s 10.10.0.0/24 -o uplink -j MASQUERADE'] }));

  it('a DROP rule in the target\'s INPUT chain is named, and deleting it makes the ping work', () =>
    run({ yaml: ROUTER, breakIt: ['ip netns exec ns2 iptables -A INPUT -p icmp --icmp-type echo-request -j DROP'], from: 'ns1', to: 'ns2', cause: 'filtered', node: 'ns2', iface: 'eth0', fix: ['ip netns exec ns2 iptables -D INPUT -p icmp -m icmp --icmp-type 8 -j DROP'] }));

  it('a router whose FORWARD policy is DROP lets the ping out but not the reply back: the ESTABLISHED rule fixes it', () =>
    run({
      yaml: ROUTER, breakIt: ['ip netns exec router iptables -P FORWARD DROP', 'ip netns exec router iptables -A FORWARD -i eth1 -o eth2 -j ACCEPT'], from: 'ns1', to: 'ns2',
      cause: 'filtered', node: 'router', iface: 'eth1', fix: ['ip netns exec router iptables -I FORWARD -m state --state ESTABLISHED,RELATED -j ACCEPT'],
    }));

  it('a drop the walk cannot see (raw table) is "unexplained", never a tick', async () => {
    const lab = `t-diag-${++n}`;
    const file = join(tmp, `${lab}.yaml`);
    writeFileSync(file, ROUTER);
    expect((await nslab('deploy', file, '--name', lab, '--quiet')).code).toBe(0);
    try {
      expect((await nslab('exec', lab, 'ns2', '--', 'iptables', '-t', 'raw', '-A', 'PREROUTING', '-p', 'icmp', '-j', 'DROP')).code).toBe(0);
      const { d, code } = await diagnose(lab, 'ns1', 'ns2');
      expect(d.problem).toBeUndefined();
      expect(d.ping.ok).toBe(false);
      expect(code).toBe(1);
      const text = await nslab('diagnose', lab, 'ns1', 'ns2');
      expect(text.stdout).toContain('unexplained: the walk finds no break from ns1 to ns2, but the real ping gets no reply');
      expect(text.stdout).not.toContain('no problem found');
    } finally {
      await destroyLab(lab);
    }
  });

  it('ARP incomplete: the gateway address belongs to nobody', () =>
    run({
      yaml: ROUTER, breakIt: ['ip -n ns1 route replace default via 10.1.1.99'], thenTry: ['ip netns exec ns1 ping -c1 -W1 -q 10.1.2.10'], from: 'ns1', to: 'ns2',
      cause: 'arp-incomplete', node: 'ns1', iface: 'eth0', fix: ['ip -n ns1 route replace default via 10.1.1.1'],
    }));

  it('VXLAN: a break in the underlay is found through the tunnel, and fixing it makes the overlay ping work', () =>
    run({ yaml: overlay(), breakIt: ['ip -n hostB link set dev eth0 down'], from: 'podA', to: 'podB', cause: 'peer-down', node: 'hostB', iface: 'eth0', fix: ['ip -n hostB link set dev eth0 up'] }));

  it('VXLAN: a far end with another VNI is named, with no command to type; the real ping agrees', async () => {
    const lab = `t-diag-${++n}`;
    const file = join(tmp, `${lab}.yaml`);
    writeFileSync(file, overlay(43));
    const dep = await nslab('deploy', file, '--name', lab, '--quiet');
    expect(dep.code, dep.stderr).toBe(0);
    try {
      const { d } = await diagnose(lab, 'podA', 'podB');
      expect(d.problem).toMatchObject({ cause: 'vxlan-mismatch', node: 'hostA', interface: 'vxlan42', fix: [] });
      expect(d.problem!.message).toContain('vxlan42 has VNI 43, not 42');
      expect(d.ping.ok).toBe(false);
    } finally {
      await destroyLab(lab);
    }
  });

  it('macvlan: the walk stops and says so instead of blaming the wire; the real ping decides', async () => {
    const lab = `t-diag-${++n}`;
    const file = join(tmp, `${lab}.yaml`);
    writeFileSync(file, MACVLAN);
    const dep = await nslab('deploy', file, '--name', lab, '--quiet');
    expect(dep.code, dep.stderr).toBe(0);
    try {
      // Moved into a namespace, the macvlan's parent is no longer visible: what the walk sees in labs/macvlan.
      for (const line of ['ip netns add ns1', 'ip link set dev mv1 netns ns1', 'ip -n ns1 addr add 192.168.50.11/24 dev mv1', 'ip -n ns1 link set dev mv1 up']) {
        const r = await nslab('exec', lab, 'host', '--', ...splitShellWords(line));
        expect(r.code, `${line}: ${r.stderr}`).toBe(0);
      }
      const into = await diagnose(lab, 'lan', '192.168.50.11');
      expect(into.d.problem).toMatchObject({ cause: 'not-followed', node: 'ns1', interface: 'mv1', fix: [] });
      expect(into.d.ping.ok, into.d.ping.output).toBe(true); // it works: the walk was right not to blame anything
      const out = await diagnose(lab, 'ns1', '192.168.50.1');
      expect(out.d.problem).toMatchObject({ cause: 'not-followed', node: 'ns1', interface: 'mv1' });
      expect(out.d.ping.ok, out.d.ping.output).toBe(true);
    } finally {
      await destroyLab(lab);
    }
  });
});
