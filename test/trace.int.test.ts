// `nslab trace` on the real kernel: a probe with a marker followed through veth pairs, a bridge, a
// router, NAT and a firewall; each journey checked against what the kernel must have done, and
// after each trace (and after the tracing process is killed mid-trace) no trace table, capture,
// monitor or watchdog is left in the lab.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync, rmSync } from 'node:fs';
import { parseTopology, type Journey } from '@nslab/model';
import { cgroupPids, deployLab, destroyLab, execInLab, getSandbox, inspectLab, listLabs, run, traceLab } from '@nslab/driver';
import { runTrace, traceCmd } from '../apps/cli/src/trace.ts';
import { nslab, PAIR } from './helpers.ts';


/** a and c on bridge br0 with router r; r routes to b. */
const ROUTED = `
bridges:
  br0: {}
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.1.0.10/24] }
    routes: [{ to: default, via: 10.1.0.1 }]
  c:
    interfaces:
      eth0: { addresses: [10.1.0.11/24] }
  r:
    interfaces:
      eth0: { addresses: [10.1.0.1/24] }
      eth1: { addresses: [10.2.0.1/24] }
    sysctls: { net.ipv4.ip_forward: 1 }
  b:
    interfaces:
      eth0: { addresses: [10.2.0.10/24] }
    routes: [{ to: default, via: 10.2.0.1 }]
links:
  - endpoints: ["a:eth0", "br0:p-a"]
  - endpoints: ["c:eth0", "br0:p-c"]
  - endpoints: ["r:eth0", "br0:p-r"]
  - endpoints: ["r:eth1", "b:eth0"]
`;

/** Two hosts on an underlay, a pod behind each; the VXLAN overlay (VNI 42) is made by the test. */
const UNDERLAY = `
nodes:
  hostA:
    interfaces:
      eth0: { addresses: [192.168.1.1/24] }
  hostB:
    interfaces:
      eth0: { addresses: [192.168.1.2/24] }
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

const mine: string[] = [];
async function deploy(name: string, yaml: string): Promise<string> {
  const full = `tr-int-${name}`;
  if (listLabs().some((l) => l.name === full)) await destroyLab(full);
  await deployLab(full, parseTopology(yaml).topology, { source: 'cli' });
  mine.push(full);
  return full;
}

async function inLab(lab: string, node: string, ...argv: string[]): Promise<void> {
  const r = await execInLab(lab, node, argv, { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`${argv.join(' ')} in ${node}: ${r.stderr}`);
}

const NS = ['host', 'a', 'b', 'c', 'r', 'ns1', 'ns2'];

/** Every process of the lab: its cgroups hold them all (a uid scan misses the nested user namespace's). */
function labPids(lab: string): number[] {
  const sb = getSandbox(lab);
  if (!sb.cgroups) throw new Error('this test needs the lab cgroups to see the lab processes');
  return cgroupPids(sb.cgroups);
}

/** Trace tables and collector processes left in a lab (both must be none). */
async function leftovers(lab: string): Promise<{ tables: string[]; procs: string[] }> {
  const sb = getSandbox(lab);
  const observed = await inspectLab(lab);
  const tables: string[] = [];
  for (const n of observed.nodes.map((x) => x.name).filter((x) => NS.includes(x))) {
    const r = await run(sb.enterNetns(n, ['nft', 'list', 'tables']), { timeoutMs: 5000 });
    for (const t of r.stdout.split('\n')) if (t.includes('nslab_trace')) tables.push(`${n}: ${t}`);
  }
  const procs = labPids(lab).flatMap((p) => {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      return /tcpdump|nft monitor|nslab-trace|monitor neigh|conntrack -E/.test(cmd) || readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'nslab-trace' ? [cmd] : [];
    } catch {
      return [];
    }
  });
  return { tables, procs };
}

async function expectClean(lab: string): Promise<void> {
  // A collector's watchdog may take a moment to be reaped by the lab's init.
  let l = await leftovers(lab);
  for (let i = 0; i < 20 && (l.tables.length || l.procs.length); i++) {
    await new Promise((r) => setTimeout(r, 100));
    l = await leftovers(lab);
  }
  expect(l).toEqual({ tables: [], procs: [] });
}

const where = (j: Journey, leg: string) => j.events.filter((e) => e.leg === leg).map((e) => `${e.at.node}:${e.at.interface} ${e.at.direction}`);

describe('nslab trace on the real kernel', () => {
  let pair: string;
  let routed: string;
  beforeAll(async () => {
    pair = await deploy('pair', PAIR);
    routed = await deploy('routed', ROUTED);
  });
  afterAll(async () => {
    for (const l of mine) await destroyLab(l).catch(() => {});
  });

  it('veth pair: ARP first, then the ping seen twice each way, delivered and replied', async () => {
    const j = await traceLab(pair, { from: 'ns1', to: 'ns2' });
    expect(j.reliable).toBe(true);
    expect(j.events[0]).toMatchObject({ leg: 'arp', type: 'arp request', at: { node: 'ns1', interface: 'eth0', direction: 'out' } });
    expect(where(j, 'request')).toEqual(['ns1:eth0 out', 'ns2:eth0 in']);
    expect(where(j, 'reply')).toEqual(['ns2:eth0 out', 'ns1:eth0 in']);
    expect(j.events.find((e) => e.leg === 'request' && e.at.direction === 'in')!.from).toEqual({ node: 'ns1', interface: 'eth0' });
    expect(j).toMatchObject({ delivered: true, replied: true });
    await expectClean(pair);
  });

  it('bridge: the ARP broadcast is flooded, the ping goes out of the one port the fdb names', async () => {
    const j = await runTrace(routed, { from: 'a', to: 'c' });
    const arpOut = j.events.filter((e) => e.leg === 'arp' && e.type === 'arp request' && e.at.node === 'host' && e.at.direction === 'out');
    expect(arpOut.map((e) => e.at.interface).sort()).toEqual(['p-c', 'p-r']);
    expect(arpOut.every((e) => e.flooded)).toBe(true);
    const out = j.events.filter((e) => e.leg === 'request' && e.at.node === 'host' && e.at.direction === 'out');
    expect(out.map((e) => e.at.interface)).toEqual(['p-c']);
    expect(out[0]!.flooded).toBeUndefined();
    const cMac = (await inspectLab(routed)).nodes.find((n) => n.name === 'c')!.interfaces.find((i) => i.name === 'eth0')!.mac;
    expect(out[0]!.why[0]).toMatchObject({ kind: 'fdb' });
    expect(out[0]!.why[0]!.text).toContain('p-c');
    const fdb = (await inspectLab(routed)).bridges.find((b) => b.name === 'br0')!.fdb.find((f) => f.mac === cMac);
    expect(fdb?.port).toBe('p-c');
    expect(j).toMatchObject({ delivered: true, replied: true, reliable: true });
    await expectClean(routed);
  });

  it('router: MAC rewritten, TTL-1, the route named', async () => {
    const j = await runTrace(routed, { from: 'a', to: 'b' });
    expect(where(j, 'request')).toEqual(['a:eth0 out', 'host:p-a in', 'host:p-r out', 'r:eth0 in', 'r:eth1 out', 'b:eth0 in']);
    const hop = j.events.find((e) => e.leg === 'request' && e.at.node === 'r' && e.at.direction === 'out')!;
    expect(hop.changes.map((c) => c.field).sort()).toEqual(['ethernet.dst', 'ethernet.src', 'ipv4.ttl']);
    expect(hop.changes.find((c) => c.field === 'ipv4.ttl')).toMatchObject({ from: '64', to: '63' });
    expect(hop.why.find((w) => w.kind === 'route')?.detail).toBe('10.2.0.0/24 dev eth1');
    const first = j.events.find((e) => e.leg === 'request')!;
    expect(first.why[0]?.detail).toBe('default via 10.1.0.1 dev eth0');
    expect(j).toMatchObject({ delivered: true, replied: true, reliable: true });
  });

  it('CLI: prints the event list with changes and why, and names the field of a bad argument', async () => {
    const ok = await nslab('trace', routed, 'a', 'b');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/r:eth1 out +r:eth0 +request +icmp echo-request/);
    expect(ok.stdout).toContain('changed: TTL 64 -> 63: r forwarded it');
    expect(ok.stdout).toContain('why: 10.2.0.10 matches route 10.2.0.0/24 dev eth1 (forwarded)');
    const bad = await nslab('trace', routed, 'a', 'b', '--tcp', '99999');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--tcp: port "99999" must be a number from 1 to 65535');
    const unknown = await nslab('trace', routed, 'nope', 'b');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/from: lab "tr-int-routed" has no node "nope".*\[unknown-node\]/);
  });

  it('CLI --pcap FILE: the merged capture of every armed namespace, which tcpdump reads', async () => {
    const file = `/tmp/tr-int-${process.pid}.pcapng`;
    const out: string[] = [];
    try {
      const code = await traceCmd([routed, 'a', 'b', '--pcap', file], { out: (x) => out.push(x), err: (x) => out.push(x) });
      expect(code).toBe(0);
      expect(out.join('')).toMatch(/merged capture \(\d+ bytes, pcapng\) is in /);
      const td = await run(['tcpdump', '-n', '-r', file], { timeoutMs: 10_000 });
      expect(td.code, td.stderr).toBe(0);
      // The request seen at a, at the bridge's ports, at r on both sides and at b: one file.
      expect(td.stdout.match(/10\.1\.0\.10 > 10\.2\.0\.10: ICMP echo request/g)!.length).toBeGreaterThanOrEqual(4);
      expect(readFileSync(file).includes(Buffer.from('r/eth1'))).toBe(true);
    } finally {
      rmSync(file, { force: true });
    }
    await expectClean(routed);
  });

  it('NAT: SNAT and DNAT shown at the router, the reply translated back', async () => {
    await inLab(routed, 'r', 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'eth1', '-j', 'MASQUERADE');
    await inLab(routed, 'r', 'iptables', '-t', 'nat', '-A', 'PREROUTING', '-d', '10.9.0.99', '-j', 'DNAT', '--to-destination', '10.2.0.10');
    try {
      const j = await runTrace(routed, { from: 'a', to: '10.9.0.99' });
      const hop = j.events.find((e) => e.leg === 'request' && e.at.node === 'r' && e.at.direction === 'out')!;
      expect(hop.changes.find((c) => c.kind === 'snat')).toMatchObject({ from: '10.1.0.10', to: '10.2.0.1' });
      expect(hop.changes.find((c) => c.kind === 'dnat')).toMatchObject({ from: '10.9.0.99', to: '10.2.0.10' });
      const back = j.events.find((e) => e.leg === 'reply' && e.at.node === 'r' && e.at.direction === 'out')!;
      expect(back.changes.find((c) => c.kind === 'dnat')).toMatchObject({ from: '10.2.0.1', to: '10.1.0.10' });
      expect(back.changes.find((c) => c.kind === 'snat')).toMatchObject({ from: '10.2.0.10', to: '10.9.0.99' });
      expect(j.events.at(-1)).toMatchObject({ leg: 'reply', at: { node: 'a', direction: 'in' } });
      expect(j).toMatchObject({ delivered: true, replied: true });
      // The nat rules that did it, from the nft trace.
      expect(j.events.flatMap((e) => e.why).some((w) => w.kind === 'nat' && /masquerade/i.test(w.text))).toBe(true);
      // The conntrack entry behind both rewrites (conntrack -E in r, which forwards), both tuples.
      const ct = hop.why.find((w) => w.kind === 'conntrack')!;
      expect(ct.text).toMatch(/^conntrack entry in r \(NEW\): original 10\.1\.0\.10 -> 10\.9\.0\.99 id \d+, reply 10\.2\.0\.10 -> 10\.2\.0\.1 id \d+/);
      expect(ct.detail).toMatch(/^\[NEW\] icmp .*src=10\.1\.0\.10 dst=10\.9\.0\.99 .*src=10\.2\.0\.10 dst=10\.2\.0\.1 /);
      expect(back.why.find((w) => w.kind === 'conntrack')?.text).toMatch(/the reply is translated back by it/);
      expect(j.notes).toBeUndefined();
    } finally {
      await inLab(routed, 'r', 'iptables', '-t', 'nat', '-F');
    }
    await expectClean(routed);
  });

  it('iptables DROP: the journey ends at the rule, the rule named', async () => {
    await inLab(routed, 'r', 'iptables', '-A', 'FORWARD', '-d', '10.2.0.10', '-j', 'DROP');
    try {
      const j = await runTrace(routed, { from: 'a', to: 'b' });
      expect(j.delivered).toBe(false);
      expect(j.drop).toMatchObject({ node: 'r', interface: 'eth0', leg: 'request' });
      const rule = j.drop!.evidence.find((e) => e.kind === 'rule')!;
      expect(rule.node).toBe('r');
      expect(rule.text).toMatch(/filter FORWARD: rule ".*10\.2\.0\.10.*drop" drops it/);
      expect(j.drop!.evidence.find((e) => e.kind === 'diagnosis')?.detail).toBe('filtered');
      expect(where(j, 'request').at(-1)).toBe('r:eth0 in');
    } finally {
      await inLab(routed, 'r', 'iptables', '-F', 'FORWARD');
    }
    await expectClean(routed);
  });

  it('a down link: the journey ends at the last node that saw it, with the diagnosis naming the far end', async () => {
    await inLab(routed, 'b', 'ip', 'link', 'set', 'eth0', 'down');
    try {
      const j = await runTrace(routed, { from: 'a', to: 'b' });
      expect(j.delivered).toBe(false);
      expect(j.drop?.node).toBe('r');
      const d = j.drop!.evidence.find((e) => e.kind === 'diagnosis')!;
      expect(d).toMatchObject({ node: 'b', detail: 'peer-down' });
    } finally {
      await inLab(routed, 'b', 'ip', 'link', 'set', 'eth0', 'up');
    }
  });

  it('lo down: pinging its own address never leaves ns1, and the diagnosis says lo-down', async () => {
    const j = await traceLab(pair, { from: 'ns1', to: '10.1.5.10' });
    expect(j.delivered).toBe(false);
    expect(j.drop).toMatchObject({ node: 'ns1', leg: 'request' });
    expect(j.drop!.evidence.find((e) => e.kind === 'diagnosis')).toMatchObject({ node: 'ns1', detail: 'lo-down' });
    expect(j.events.filter((e) => e.leg === 'request')).toEqual([]);
    await expectClean(pair);
  });

  it('a learner deleting the trace table and flooding during the trace gets an unreliable journey, not a hang', async () => {
    // The learner's own shell loop, in the lab: delete any nslab_trace table it sees, and flood pings.
    const script = 'end=$((SECONDS+6)); ping -f -w 6 10.1.0.1 >/dev/null 2>&1 & while [ $SECONDS -lt $end ]; do for t in $(nft list tables | grep -o "nslab_trace_[0-9a-f]*"); do nft delete table inet $t; done; done';
    const learner = execInLab(routed, 'r', ['bash', '-c', script], { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const j = await runTrace(routed, { from: 'a', to: 'b' });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(j.reliable).toBe(false);
    expect(j.warnings.join('\n')).toMatch(/trace table in r was deleted during the trace|no firewall trace in r/);
    await learner;
    await expectClean(routed);
  });

  it('killing the tracing process mid-trace leaves nothing behind, and the next trace works', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import('@nslab/driver').then((d) => d.traceLab(${JSON.stringify(pair)}, { from: 'ns1', to: '10.1.5.99' }))`], { cwd: process.cwd(), stdio: 'ignore' });
    // A probe nobody answers (ping waits 2 s): wait until its captures run in the lab, then SIGKILL it.
    const until = Date.now() + 20_000;
    while (Date.now() < until && !labPids(pair).some((p) => { try { return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'tcpdump'; } catch { return false; } })) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const comms = () => labPids(pair).map((p) => { try { return readFileSync(`/proc/${p}/comm`, 'utf8').trim(); } catch { return ''; } });
    await new Promise((r) => setTimeout(r, 200));
    expect(comms()).toContain('nslab-trace');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await expectClean(pair);
    const j = await traceLab(pair, { from: 'ns1', to: 'ns2' });
    expect(j).toMatchObject({ delivered: true, replied: true });
    await expectClean(pair);
  });

  it('one watchdog per armed namespace, PID 1 of its own PID namespace, runs every collector; a learner killing one mid-trace gets a warning and the table is still removed', async () => {
    const comm = (p: number) => { try { return readFileSync(`/proc/${p}/comm`, 'utf8').trim(); } catch { return ''; } };
    const ppid = (p: number) => { try { return Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]); } catch { return 0; } };
    const nspid = (p: number) => { try { return readFileSync(`/proc/${p}/status`, 'utf8').match(/^NSpid:\s+(.*)$/m)![1]!.trim().split(/\s+/).at(-1); } catch { return ''; } };
    const ns2 = (await execInLab(pair, 'ns2', ['readlink', '/proc/self/ns/net'], { timeoutMs: 10_000 })).stdout.trim();
    const netOf = (p: number) => { try { return readlinkSync(`/proc/${p}/ns/net`); } catch { return ''; } };
    const trace = traceLab(pair, { from: 'ns1', to: '10.1.5.99' });
    const until = Date.now() + 20_000;
    let seen: { dogs: number[]; kids: Map<number, string[]> } = { dogs: [], kids: new Map() };
    while (Date.now() < until) {
      const pids = labPids(pair);
      const dogs = pids.filter((p) => comm(p) === 'nslab-trace');
      const kids = new Map(dogs.map((d) => [d, pids.filter((p) => ppid(p) === d).map(comm).sort()]));
      seen = { dogs, kids };
      // Armed: the probe (a ping nobody answers, 2 s) is under way.
      if (dogs.length === 3 && [...kids.values()].every((k) => k.includes('tcpdump') && k.includes('nft')) && pids.some((p) => comm(p) === 'ping')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // host, ns1, ns2: three watchdogs (not six), each the parent of its capture and its monitor.
    expect(seen.dogs.length).toBe(3);
    for (const d of seen.dogs) {
      expect(nspid(d)).toBe('1');
      expect(seen.kids.get(d)).toEqual(expect.arrayContaining(['nft', 'tcpdump']));
    }
    // The learner (root in the lab) kills ns2's watchdog outright: it cannot clean up, we do.
    const victim = seen.dogs.find((d) => netOf(d) === ns2)!;
    expect(victim).toBeDefined();
    process.kill(victim, 'SIGKILL');
    const j = await trace;
    expect(j.reliable).toBe(false);
    expect(j.warnings.join('\n')).toMatch(/ended during the trace/);
    await expectClean(pair);
  });

  it("a learner's own nslab_trace_* table of another name is never deleted by a trace", async () => {
    await inLab(pair, 'ns1', 'nft', 'add', 'table', 'inet', 'nslab_trace_0badf00d');
    try {
      const j = await traceLab(pair, { from: 'ns1', to: 'ns2' });
      expect(j).toMatchObject({ delivered: true, replied: true });
      const r = await execInLab(pair, 'ns1', ['nft', 'list', 'tables'], { timeoutMs: 10_000 });
      expect(r.stdout).toContain('nslab_trace_0badf00d');
      expect(r.stdout.match(/nslab_trace_/g)).toHaveLength(1);
    } finally {
      await inLab(pair, 'ns1', 'nft', 'delete', 'table', 'inet', 'nslab_trace_0badf00d');
    }
    await expectClean(pair);
  });

  it('neighbour monitor: an address nobody answers ends the journey with the kernel calling the neighbour FAILED', async () => {
    const j = await traceLab(pair, { from: 'ns1', to: '10.1.5.99' });
    expect(j.delivered).toBe(false);
    const ev = j.drop!.evidence.find((e) => e.kind === 'neighbour')!;
    expect(ev).toMatchObject({ node: 'ns1', text: 'neighbour 10.1.5.99 on ns1 dev eth0 FAILED' });
    expect(ev.detail).toMatch(/^10\.1\.5\.99 dev eth0 +FAILED/);
    await expectClean(pair);
  });

  it('neighbour and fdb monitors: the ARP answer resolves the entry, the bridge learns the source MAC on its port (first frame flooded, then learned)', async () => {
    // Forget what the bridge and its hosts know, so the trace sees it learned (and no neighbour entry
    // of r or c still probing a, whose answer would teach the bridge before the trace).
    for (const n of ['a', 'c', 'r']) await inLab(routed, n, 'ip', 'neigh', 'flush', 'all');
    await inLab(routed, 'host', 'bridge', 'fdb', 'flush', 'dev', 'br0');
    const mac = (await inspectLab(routed)).nodes.find((n) => n.name === 'a')!.interfaces.find((i) => i.name === 'eth0')!.mac!;
    const j = await traceLab(routed, { from: 'a', to: '10.1.0.11' });
    expect(j).toMatchObject({ delivered: true, replied: true });
    const learned = j.events.filter((e) => e.why.some((w) => w.kind === 'fdb' && /learned \S+ on port/.test(w.text)));
    const first = learned.find((e) => e.at.node === 'host' && e.at.interface === 'p-a')!;
    expect(first.at.direction).toBe('in');
    expect(first.why.find((w) => /learned \S+ on port/.test(w.text))).toMatchObject({ text: `bridge br0 learned ${mac} on port p-a from this frame's source MAC` });
    expect(first.why.find((w) => /learned \S+ on port/.test(w.text))!.detail).toContain(`dev p-a lladdr ${mac}`);
    // The frame that taught it was the ARP broadcast, flooded.
    expect(first.leg).toBe('arp');
    expect(j.events.some((e) => e.leg === 'arp' && e.flooded)).toBe(true);
    // a's ARP cache entry for c resolved by the answer.
    const resolved = j.events.find((e) => e.at.node === 'a' && e.type === 'arp reply')!;
    expect(resolved.why.find((w) => w.kind === 'neighbour' && /neighbour 10\.1\.0\.11 on eth0 is now REACHABLE/.test(w.text))).toBeDefined();
    await expectClean(routed);
  });

  it('a learner flooding 100k neighbour events during a trace: the monitor is capped, the journey still comes back', async () => {
    // 100k changes of one entry's MAC in ns1 (each one an event), from the learner's shell.
    const script = 'for i in $(seq 1 50000); do echo "neigh replace 10.1.5.77 lladdr 02:00:00:00:00:01 dev eth0 nud permanent"; echo "neigh replace 10.1.5.77 lladdr 02:00:00:00:00:02 dev eth0 nud permanent"; done | ip -batch -';
    const learner = execInLab(pair, 'ns1', ['bash', '-c', script], { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const j = await traceLab(pair, { from: 'ns1', to: 'ns2' });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(j.reliable).toBe(false);
    expect(j.warnings.join('\n')).toMatch(/the neighbour monitor in ns1 said more than nslab reads/);
    await learner;
    await inLab(pair, 'ns1', 'ip', 'neigh', 'del', '10.1.5.77', 'dev', 'eth0');
    await expectClean(pair);
  });

  it('udp and tcp probes are followed too (the TCP answer matched by its ack)', async () => {
    const u = await traceLab(pair, { from: 'ns1', to: 'ns2', protocol: 'udp', port: 5555 });
    expect(where(u, 'request')).toEqual(['ns1:eth0 out', 'ns2:eth0 in']);
    // Nobody listens: the port-unreachable error quotes the probe and comes back.
    expect(u.events.some((e) => e.leg === 'error' && e.at.node === 'ns1' && e.at.direction === 'in')).toBe(true);
    const t = await traceLab(pair, { from: 'ns1', to: 'ns2', protocol: 'tcp', port: 5555 });
    expect(where(t, 'request')).toEqual(['ns1:eth0 out', 'ns2:eth0 in']);
    expect(t.events.find((e) => e.leg === 'reply')?.type).toBe('tcp RST');
    await expectClean(pair);
  });

  it('VXLAN: the pod frame is wrapped (VNI 42, UDP 4789) on the underlay and unwrapped on the far host', async () => {
    const lab = await deploy('vxlan', UNDERLAY);
    for (const [me, other, pod] of [['hostA', '192.168.1.2', 'veth-a'], ['hostB', '192.168.1.1', 'veth-b']] as const) {
      const local = me === 'hostA' ? '192.168.1.1' : '192.168.1.2';
      await inLab(lab, me, 'ip', 'link', 'add', 'name', 'vxlan42', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'remote', other, 'local', local, 'dev', 'eth0');
      await inLab(lab, me, 'ip', 'link', 'add', 'name', 'br0', 'type', 'bridge');
      await inLab(lab, me, 'ip', 'link', 'set', 'dev', 'vxlan42', 'master', 'br0');
      await inLab(lab, me, 'ip', 'link', 'set', 'dev', pod, 'master', 'br0');
      for (const dev of ['vxlan42', 'br0']) await inLab(lab, me, 'ip', 'link', 'set', 'dev', dev, 'up');
    }
    const j = await traceLab(lab, { from: 'podA', to: 'podB' });
    expect(j).toMatchObject({ delivered: true, replied: true, reliable: true });
    const wrapped = j.events.find((e) => e.leg === 'request' && e.changes.some((c) => c.kind === 'encapsulated'))!;
    expect(wrapped.at).toMatchObject({ node: 'hostA', interface: 'eth0', direction: 'out' });
    expect(wrapped.changes.find((c) => c.kind === 'encapsulated')).toMatchObject({ field: 'vxlan.vni', to: '42' });
    expect(wrapped.changes.find((c) => c.kind === 'encapsulated')!.text).toContain('192.168.1.1 -> 192.168.1.2, UDP 4789');
    const unwrapped = j.events.find((e) => e.leg === 'request' && e.changes.some((c) => c.kind === 'decapsulated'))!;
    expect(unwrapped.at.node).toBe('hostB');
    expect(j.events.indexOf(unwrapped)).toBeGreaterThan(j.events.indexOf(wrapped));
    // The request reaches podB and the reply comes back the same way, wrapped on hostB's underlay.
    expect(where(j, 'request').at(-1)).toBe('podB:eth0 in');
    expect(j.events.some((e) => e.leg === 'reply' && e.at.node === 'hostB' && e.at.interface === 'eth0' && e.at.direction === 'out' && e.changes.some((c) => c.kind === 'encapsulated'))).toBe(true);
    await expectClean(lab);
  });
});
