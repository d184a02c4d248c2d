// Export -> deploy gives back the same lab, on the real kernel. For every guided lab this machine
// can run, in its solved state, and for tutorial-style labs built by typing commands into an empty
// lab: the native YAML export deployed as a new lab, and the bash export run in an empty lab's
// shell, read back the same (`inspect` modulo MACs and ifindexes), and every ping check answers the
// same. What export used to lose (vxlan fdb, macvlans moved into namespaces, iptables rules) is in
// these labs, so a loss shows up here as a difference.
import { afterAll, describe, expect, it } from 'vitest';
import { observedToTopology, parseTopology, planDeploy, renderScript, toNativeYaml, isIpv6LinkLocal, type ObservedLab } from '@nslab/model';
import { checkStep, loadCatalog, solveStep, type Lab } from '@nslab/labs';
import { deployLab, destroyLab, execInLab, findSandbox, inspectLab, listLabs } from '@nslab/driver';
import { labExec, labMissing, labsDir, probe, startLab } from '@nslab/labs/runtime';
import { emptyTopology } from '@nslab/model';
import { hostNetworkSnapshot } from './helpers.ts';

const PREFIX = 't-rt-';
const before = hostNetworkSnapshot();

afterAll(async () => {
  for (const sb of listLabs()) if (sb.name.startsWith(PREFIX)) await destroyLab(sb.name);
  expect(hostNetworkSnapshot()).toBe(before);
});

async function fresh(name: string): Promise<void> {
  if (findSandbox(name)) await destroyLab(name);
}

/** What must come back: everything but MACs, ifindexes, counters, neighbours and link-local addresses. */
function comparable(o: ObservedLab): unknown {
  const byName = <T extends { name: string }>(xs: T[]) => [...xs].sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    nodes: byName(o.nodes).map((n) => ({
      name: n.name,
      kind: n.kind,
      sysctls: n.sysctls,
      iptables: n.iptables ?? null,
      routes: n.routes.map((r) => JSON.stringify(r)).sort(),
      interfaces: byName(n.interfaces).map((i) => {
        const d = { ...(i.details ?? {}) };
        // Learned entries come and go with traffic; only the ones someone added must come back.
        if (Array.isArray(d.fdb)) d.fdb = (d.fdb as { mac: string; dst: string; permanent: boolean }[]).filter((e) => e.permanent).map((e) => `${e.mac} ${e.dst}`).sort();
        return {
          name: i.name,
          kind: i.kind,
          up: i.up,
          mtu: i.mtu,
          master: i.master ?? null,
          promisc: i.promisc,
          addresses: i.addresses.filter((a) => !isIpv6LinkLocal(a)).sort(),
          peer: i.peer ? `${i.peer.node}:${i.peer.interface}` : null,
          details: d,
        };
      }),
    })),
    links: o.links.map((l) => [`${l.a.node}:${l.a.interface}`, `${l.b.node}:${l.b.interface}`].sort().join(' ')).sort(),
    bridges: o.bridges.map((b) => ({
      at: `${b.node}:${b.name}`,
      ports: [...b.ports].sort(),
      // Static entries only (a bridge's own addresses are permanent and local, learned ones come with traffic).
      fdb: b.fdb.filter((e) => e.permanent && !e.local).map((e) => `${e.mac} ${e.port}`).sort(),
    })).sort((a, b) => (a.at < b.at ? -1 : 1)),
  };
}

async function read(name: string): Promise<ObservedLab> {
  return inspectLab(name, { firewall: true });
}

/** Each ping the checks know (from, to), answered in `name`: true when a reply came. */
async function pings(name: string, pairs: [string, string][]): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {};
  const lab = await inspectLab(name);
  for (const [from, to] of pairs) {
    const addr = /^[0-9a-f.:]+$/i.test(to) ? to : lab.nodes.find((n) => n.name === to)?.interfaces.flatMap((i) => i.addresses).find((a) => !a.startsWith('127.') && a.includes('.'))?.split('/')[0];
    if (!addr) {
      out[`${from}->${to}`] = false;
      continue;
    }
    const r = await execInLab(name, from, ['ping', '-c', '1', '-W', '1', addr], { timeoutMs: 5_000 });
    out[`${from}->${to}`] = r.code === 0;
  }
  return out;
}

/** The lab as exported (yaml, then sh), rebuilt in `copy`, against `original`. */
async function roundTrip(original: string, copy: string, pairs: [string, string][], checks?: (name: string) => Promise<boolean[]>): Promise<void> {
  const live = await read(original);
  const topology = observedToTopology(live);
  const want = comparable(live);
  const wantPings = await pings(original, pairs);
  const wantChecks = checks ? await checks(original) : null;

  // yaml: what `nslab export --format yaml` prints, deployed.
  const yaml = toNativeYaml({ ...topology, name: copy });
  await fresh(copy);
  await deployLab(copy, parseTopology(yaml).topology);
  expect(comparable(await read(copy)), `yaml export of ${original} deployed:\n${yaml}`).toEqual(want);
  expect(await pings(copy, pairs)).toEqual(wantPings);
  if (checks) expect(await checks(copy)).toEqual(wantChecks);
  await destroyLab(copy);

  // sh: what `nslab export --format sh` prints, run as root in an empty lab's shell.
  const script = renderScript(planDeploy(topology));
  await deployLab(copy, emptyTopology(copy));
  const ran = await execInLab(copy, 'host', ['bash', '-c', script], { timeoutMs: 60_000 });
  expect(ran.code, `sh export of ${original}:\n${script}\n${ran.stderr}`).toBe(0);
  expect(comparable(await read(copy)), `sh export of ${original} run:\n${script}`).toEqual(want);
  expect(await pings(copy, pairs)).toEqual(wantPings);
  await destroyLab(copy);
}

function pingPairs(lab: Lab): [string, string][] {
  const out: [string, string][] = [];
  for (const s of lab.steps) {
    for (const c of s.checks) {
      const spec = ('check' in c ? c.check : c) as { ping?: { from: string; to: string } };
      if (spec.ping && !out.some(([f, t]) => f === spec.ping!.from && t === spec.ping!.to)) out.push([spec.ping.from, spec.ping.to]);
    }
  }
  return out;
}

describe('every guided lab, solved, comes back from its export', async () => {
  const catalog = loadCatalog(labsDir());
  const runnable: Lab[] = [];
  const left: string[] = [];
  for (const lab of catalog) {
    const missing = await labMissing(lab);
    if (missing.length) left.push(`${lab.id} (needs ${missing.join(', ')})`);
    else runnable.push(lab);
  }

  it('runs on most of the catalog here (the rest need kernel features this machine lacks)', () => {
    if (left.length) console.log(`round trip not run for: ${left.join('; ')}`);
    expect(runnable.length).toBeGreaterThanOrEqual(catalog.length - 2);
  });

  for (const lab of runnable) {
    it(`${lab.id}: yaml and sh exports of the solved lab deploy to the same state, pings and checks`, async () => {
      const name = `${PREFIX}${lab.id}`.slice(0, 30);
      await fresh(name);
      await startLab(lab.id, name);
      for (const step of lab.steps) await solveStep(step, labExec(name));
      const checks = async (n: string) => {
        const results: boolean[] = [];
        for (const step of lab.steps) {
          // A trace step checks the learner's answer about a journey, not the lab's configuration.
          if (step.trace) continue;
          const r = await checkStep(step, probe(n));
          expect(r.checks.length).toBe(step.checks.length);
          // Neighbours and learned fdb entries are made by traffic, not configuration: not compared.
          r.checks.forEach((c, k) => {
            const spec = step.checks[k]!;
            const kind = Object.keys('check' in spec ? spec.check : spec);
            if (!kind.includes('neighbour') && !kind.includes('fdb')) results.push(c.ok);
          });
        }
        return results;
      };
      await roundTrip(name, `${PREFIX}copy`, pingPairs(lab), checks);
      await destroyLab(name);
    }, 240_000);
  }
});

/** Tutorials as learners paste them into an empty lab's lab-host shell. */
const TUTORIALS: { id: string; script: string; pings: [string, string][] }[] = [
  {
    id: 'bridge-seed',
    // The seed's 1-setup-env.sh shape: a bridge, three namespaces, lo up in each.
    script: `
ip link add br0 type bridge && ip link set br0 up
for i in 1 2 3; do
  ip netns add ns$i
  ip link add veth$i type veth peer name eth0 netns ns$i
  ip link set veth$i master br0 up
  ip -n ns$i addr add 10.0.0.$i/24 dev eth0
  ip -n ns$i link set eth0 up
  ip -n ns$i link set lo up
done
`,
    pings: [['ns1', '10.0.0.2'], ['ns3', '10.0.0.1'], ['ns2', '10.0.0.2']],
  },
  {
    id: 'router-nat',
    // A router with masquerade, a port forward and a FORWARD policy that only lets replies back.
    script: `
ip netns add client && ip netns add router && ip netns add server
ip link add c0 netns client type veth peer name r0 netns router
ip link add s0 netns server type veth peer name r1 netns router
ip -n client addr add 192.168.1.10/24 dev c0 && ip -n client link set c0 up
ip -n router addr add 192.168.1.1/24 dev r0 && ip -n router link set r0 up
ip -n router addr add 203.0.113.1/24 dev r1 && ip -n router link set r1 up
ip -n server addr add 203.0.113.20/24 dev s0 && ip -n server link set s0 up
ip -n client route add default via 192.168.1.1
ip netns exec router sysctl -w net.ipv4.ip_forward=1
ip netns exec router sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.r0.proxy_arp=1
ip netns exec router iptables -t nat -A POSTROUTING -s 192.168.1.0/24 -o r1 -j MASQUERADE
ip netns exec router iptables -t nat -A PREROUTING -i r1 -p tcp --dport 8080 -j DNAT --to-destination 192.168.1.10:80
ip netns exec router iptables -N FWD_IN
ip netns exec router iptables -P FORWARD DROP
ip netns exec router iptables -A FORWARD -i r0 -o r1 -j ACCEPT
ip netns exec router iptables -A FORWARD -m state --state RELATED,ESTABLISHED -m comment --comment "replies back" -j FWD_IN
ip netns exec router iptables -A FWD_IN -j ACCEPT
ip netns exec server iptables -A INPUT -p icmp --icmp-type echo-request -s 192.168.1.0/24 -j DROP
`,
    // The server answers the router's masqueraded address, never the client's own (dropped there).
    pings: [['client', '203.0.113.20'], ['server', '192.168.1.10'], ['router', '203.0.113.20']],
  },
  {
    id: 'vxlan-fdb',
    // Two "hosts" joined by an underlay, a vxlan whose only remote is in its fdb (flannel's way).
    script: `
ip netns add h1 && ip netns add h2
ip link add u1 netns h1 type veth peer name u2 netns h2
ip -n h1 addr add 172.16.0.1/24 dev u1 && ip -n h1 link set u1 up
ip -n h2 addr add 172.16.0.2/24 dev u2 && ip -n h2 link set u2 up
ip -n h1 link add vx0 type vxlan id 42 dev u1 local 172.16.0.1 dstport 4789
ip -n h2 link add vx0 type vxlan id 42 dev u2 local 172.16.0.2 dstport 4789
bridge -n h1 fdb append 00:00:00:00:00:00 dev vx0 dst 172.16.0.2
bridge -n h2 fdb append 00:00:00:00:00:00 dev vx0 dst 172.16.0.1
ip -n h1 addr add 10.244.0.1/24 dev vx0 && ip -n h1 link set vx0 up
ip -n h2 addr add 10.244.0.2/24 dev vx0 && ip -n h2 link set vx0 up
`,
    pings: [['h1', '10.244.0.2'], ['h2', '10.244.0.1']],
  },
  {
    id: 'macvlan-moved',
    // Macvlans made on the lab host's "physical" eth0 and moved into namespaces, one of them vepa.
    script: `
ip netns add lan && ip netns add a && ip netns add b
ip link add eth0 type veth peer name eth0 netns lan
ip link set eth0 up && ip -n lan link set eth0 up && ip -n lan addr add 192.168.60.1/24 dev eth0
ip link add mva link eth0 type macvlan mode bridge && ip link set mva netns a
ip link add mvb link eth0 type macvlan mode vepa && ip link set mvb netns b
ip -n a addr add 192.168.60.11/24 dev mva && ip -n a link set mva up
ip -n b addr add 192.168.60.12/24 dev mvb && ip -n b link set mvb up
ip -n a route add default via 192.168.60.1
`,
    pings: [['a', '192.168.60.1'], ['b', '192.168.60.1'], ['a', '192.168.60.12']],
  },
];

describe('tutorial-style labs typed into an empty lab come back from their export', () => {
  for (const t of TUTORIALS) {
    it(`${t.id}: yaml and sh exports deploy to the same state and pings`, async () => {
      const name = `${PREFIX}${t.id}`;
      await fresh(name);
      await deployLab(name, emptyTopology(name));
      const r = await execInLab(name, 'host', ['bash', '-ec', t.script], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      const live = await read(name);
      // The things export used to lose are really there to lose.
      if (t.id === 'router-nat') expect(live.nodes.find((n) => n.name === 'router')!.iptables).toContain('-P FORWARD DROP');
      if (t.id === 'router-nat') expect(live.nodes.find((n) => n.name === 'router')!.sysctls).toMatchObject({ 'net.ipv4.conf.all.rp_filter': '2', 'net.ipv4.conf.r0.proxy_arp': '1' });
      if (t.id === 'macvlan-moved') expect(live.nodes.find((n) => n.name === 'b')!.interfaces.find((i) => i.name === 'mvb')!.details).toMatchObject({ parent: 'eth0', parentNode: 'host', mode: 'vepa' });
      if (t.id === 'vxlan-fdb') expect(JSON.stringify(live.nodes.find((n) => n.name === 'h1')!.interfaces.find((i) => i.name === 'vx0')!.details)).toContain('172.16.0.2');
      await roundTrip(name, `${PREFIX}copy`, t.pings);
      await destroyLab(name);
    }, 120_000);
  }
});
