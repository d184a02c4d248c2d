// The lab engine on the real kernel, through the CLI: sandboxes, deploy, observe, exec, destroy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ObservedLab } from '@nslab/model';
import { getSandbox, listLabs, destroyLab, detectCapabilities, stateDir } from '@nslab/driver';
import { hostNetworkSnapshot, nslab } from './helpers.ts';

const root = join(import.meta.dirname, '..');
const lab = (name: string) => join(root, 'labs', name, 'topology.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'nslab-test-'));
function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

async function inspect(name: string): Promise<ObservedLab> {
  const r = await nslab('inspect', name, '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ObservedLab;
}

let before = '';
beforeAll(async () => {
  for (const sb of listLabs()) if (sb.name.startsWith('t-')) await destroyLab(sb.name);
  before = hostNetworkSnapshot();
});
afterAll(async () => {
  for (const sb of listLabs()) if (sb.name.startsWith('t-')) await destroyLab(sb.name);
  // The whole suite must leave the real host's network exactly as it found it.
  expect(hostNetworkSnapshot()).toBe(before);
});

describe('veth-pair lab (seed 000 §三)', () => {
  it('deploys, pings the peer, and shows the lo gotcha', async () => {
    const d = await nslab('deploy', lab('veth-pair'), '--name', 't-veth');
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout.trim()).toBe('t-veth');
    // Every step is echoed as a command a learner could type, keywords before names.
    // Each end gets its own ifindex, as a pair made in one place and moved would.
    expect(d.stderr).toContain('+ ip link add name veth-01 index 2 netns ns1 type veth peer name veth-10 index 3 netns ns2');
    expect(d.stderr).toContain('+ ip -n ns1 addr add 10.1.5.10/24 dev veth-01');

    const peer = await nslab('exec', 't-veth', 'ns1', '--', 'ping', '-c1', '-W1', '10.1.5.11');
    expect(peer.code, peer.stdout + peer.stderr).toBe(0);
    expect(peer.stdout).toContain('1 received');

    const own = await nslab('exec', 't-veth', 'ns1', '--', 'ping', '-c1', '-W1', '10.1.5.10');
    expect(own.code).not.toBe(0);
    const up = await nslab('exec', 't-veth', 'ns1', '--', 'ip', 'link', 'set', 'dev', 'lo', 'up');
    expect(up.code, up.stderr).toBe(0);
    const own2 = await nslab('exec', 't-veth', 'ns1', '--', 'ping', '-c1', '-W1', '10.1.5.10');
    expect(own2.code, own2.stdout).toBe(0);
  });

  it('inspect shows namespaces, addresses and the veth peers across namespaces', async () => {
    const o = await inspect('t-veth');
    expect(o.nodes.map((n) => n.name)).toEqual(['host', 'ns1', 'ns2']);
    const ns1 = o.nodes.find((n) => n.name === 'ns1')!;
    const v = ns1.interfaces.find((i) => i.name === 'veth-01')!;
    expect(v.kind).toBe('veth');
    expect(v.up).toBe(true);
    expect(v.addresses).toContain('10.1.5.10/24');
    expect(v.peer).toMatchObject({ node: 'ns2', interface: 'veth-10' });
    expect(v.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(ns1.interfaces.find((i) => i.name === 'lo')!.up).toBe(true); // raised by hand in the test above
    expect(o.links).toEqual([{ a: { node: 'ns1', interface: 'veth-01' }, b: { node: 'ns2', interface: 'veth-10' } }]);
    // The counters moved with the pings.
    expect(v.stats!.txPackets).toBeGreaterThan(0);
  });

  it('keeps the lab inside its sandbox', async () => {
    const list = await nslab('exec', 't-veth', 'host', '--', 'ip', 'netns', 'list');
    expect(list.stdout.split('\n').map((l) => l.split(' ')[0]).filter(Boolean).sort()).toEqual(['ns1', 'ns2']);
    expect(hostNetworkSnapshot()).toBe(before);
    const touch = await nslab('exec', 't-veth', 'host', '--', 'touch', '/etc/nslab-escape');
    expect(touch.code).not.toBe(0);
    expect(existsSync('/etc/nslab-escape')).toBe(false);
    const escape = await nslab('exec', 't-veth', 'ns1', '--', 'nsenter', '-t', '1', '-n', 'ip', 'link');
    expect(escape.code).not.toBe(0);
    // Its root is an unprivileged uid outside.
    const sb = getSandbox('t-veth');
    expect(sb.record.uid).toBeGreaterThanOrEqual(100000);
  });

  it('exports the live lab as YAML, containerlab and a script', async () => {
    const y = await nslab('export', 't-veth', '--format', 'yaml');
    expect(y.code, y.stderr).toBe(0);
    expect(y.stdout).toContain('ns1:veth-01');
    expect(y.stdout).toContain('10.1.5.10/24');
    const c = await nslab('export', 't-veth', '--format', 'clab');
    expect(c.stdout).toContain('kind: linux');
    const s = await nslab('export', 't-veth', '--format', 'sh');
    expect(s.stdout).toContain('ip netns add ns1');
    expect(s.stdout).toContain('ip -n ns1 link set dev lo up');
    // The exported YAML deploys again into an equal lab.
    const again = await nslab('deploy', file('again.yaml', y.stdout), '--name', 't-again', '-q');
    expect(again.code, again.stderr).toBe(0);
    const o = await inspect('t-again');
    expect(o.links).toEqual([{ a: { node: 'ns1', interface: 'veth-01' }, b: { node: 'ns2', interface: 'veth-10' } }]);
    expect((await nslab('destroy', 't-again')).code).toBe(0);
  });

  it('destroy leaves nothing behind', async () => {
    const sb = getSandbox('t-veth');
    const r = await nslab('destroy', 't-veth');
    expect(r.code, r.stderr).toBe(0);
    expect(sb.pids()).toEqual([]);
    expect(existsSync(join(stateDir(), 'labs', 't-veth'))).toBe(false);
    expect((await nslab('list', '--json')).stdout).not.toContain('t-veth');
    expect((await nslab('exec', 't-veth', 'ns1', '--', 'true')).code).toBe(1);
  });
});

describe('bridge lab (seed 000 §四)', () => {
  it('pings through br0 and the fdb learns both MACs', async () => {
    expect((await nslab('deploy', lab('bridge'), '--name', 't-br', '-q')).code).toBe(0);
    const p1 = await nslab('exec', 't-br', 'ns1', '--', 'ping', '-c2', '-W1', '10.5.1.11');
    expect(p1.code, p1.stdout).toBe(0);
    const p2 = await nslab('exec', 't-br', 'ns2', '--', 'ping', '-c1', '-W1', '10.5.1.10');
    expect(p2.code, p2.stdout).toBe(0);
    const o = await inspect('t-br');
    const br0 = o.bridges.find((b) => b.name === 'br0')!;
    expect(br0.node).toBe('host');
    expect(br0.ports.sort()).toEqual(['br-int0', 'br-int1']);
    const mac = (node: string, iface: string) =>
      o.nodes.find((n) => n.name === node)!.interfaces.find((i) => i.name === iface)!.mac;
    const learned = br0.fdb.filter((f) => !f.permanent).map((f) => `${f.mac}@${f.port}`);
    expect(learned).toContain(`${mac('ns1', 'int0')}@br-int0`);
    expect(learned).toContain(`${mac('ns2', 'int1')}@br-int1`);
    // Host-side ends resolve to their namespace peers.
    expect(o.links).toContainEqual({ a: { node: 'host', interface: 'br-int0' }, b: { node: 'ns1', interface: 'int0' } });
    // brctl reads sysfs: works because exec enters the namespace like `ip netns exec`.
    const brctl = await nslab('exec', 't-br', 'host', '--', 'brctl', 'show', 'br0');
    expect(brctl.stdout).toContain('br-int0');
  });

  it('sees seed recipes typed by hand in the lab host', async () => {
    // Seed 001's bridge recipe, verbatim abbreviations included, typed into the lab host shell.
    const recipe = [
      'ip netns a ns3', 'ip netns a ns4',
      'ip l a br1 type bridge', 'ip l s br1 up',
      'ip l a veth1 type veth peer name br-veth1', 'ip l a veth2 type veth peer name br-veth2',
      'ip l s veth1 netns ns3', 'ip l s br-veth1 master br1', 'ip l s br-veth1 up',
      'ip l s veth2 netns ns4', 'ip l s br-veth2 master br1', 'ip l s br-veth2 up',
      'ip netns exec ns3 ip a a 10.1.0.1/24 dev veth1', 'ip netns exec ns3 ip l s veth1 up',
      'ip netns exec ns4 ip a a 10.1.0.2/24 dev veth2', 'ip netns exec ns4 ip l s veth2 up',
    ].join(' && ');
    const r = await nslab('exec', 't-br', 'host', '--', 'bash', '-c', recipe);
    expect(r.code, r.stderr).toBe(0);
    const ping = await nslab('exec', 't-br', 'ns3', '--', 'ping', '-c1', '-W1', '10.1.0.2');
    expect(ping.code, ping.stdout).toBe(0);
    const o = await inspect('t-br');
    expect(o.nodes.map((n) => n.name)).toEqual(['host', 'ns1', 'ns2', 'ns3', 'ns4']);
    expect(o.nodes.find((n) => n.name === 'ns3')!.interfaces.find((i) => i.name === 'veth1')!.addresses.filter((a) => !a.startsWith('fe80:'))).toEqual(['10.1.0.1/24']);
    expect(o.links).toContainEqual({ a: { node: 'host', interface: 'br-veth1' }, b: { node: 'ns3', interface: 'veth1' } });
    expect(o.bridges.find((b) => b.name === 'br1')!.ports.sort()).toEqual(['br-veth1', 'br-veth2']);
  });

  it('observes hand-made hostile names as valid JSON and marks them unsafe', async () => {
    const r = await nslab('exec', 't-br', 'host', '--', 'bash', '-c',
      "ip netns add $'evil\\x1bname' && ip netns add 123 && ip link add name $'e\\x1b[1m' type veth peer name plain0");
    expect(r.code, r.stderr).toBe(0);
    const o = await inspect('t-br');
    const evil = o.nodes.find((n) => n.name === 'evil\u001bname')!;
    expect(evil.unsafeName).toBe(true);
    expect(o.nodes.find((n) => n.name === '123')!.unsafeName).toBe(true);
    const host = o.nodes.find((n) => n.name === 'host')!;
    expect(host.interfaces.find((i) => i.name === 'e\u001b[1m')!.unsafeName).toBe(true);
    expect(host.interfaces.find((i) => i.name === 'plain0')!.peer).toMatchObject({ node: 'host', interface: 'e\u001b[1m' });
    // Such names are never fed back into a command.
    expect((await nslab('exec', 't-br', '123', '--', 'true')).code).toBe(1);
    expect((await nslab('destroy', 't-br')).code).toBe(0);
  });
});

describe('sandbox isolation and lifecycle', () => {
  it('runs two labs with identical names side by side', async () => {
    expect((await nslab('deploy', lab('veth-pair'), '--name', 't-a', '-q')).code).toBe(0);
    expect((await nslab('deploy', lab('veth-pair'), '--name', 't-b', '-q')).code).toBe(0);
    for (const name of ['t-a', 't-b']) {
      const p = await nslab('exec', name, 'ns2', '--', 'ping', '-c1', '-W1', '10.1.5.10');
      expect(p.code, p.stdout).toBe(0);
    }
    const dup = await nslab('deploy', lab('veth-pair'), '--name', 't-a', '-q');
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already exists');
    expect((await nslab('destroy', 't-a')).code).toBe(0);
    // Destroying one leaves the twin untouched.
    expect((await nslab('exec', 't-b', 'ns2', '--', 'ping', '-c1', '-W1', '10.1.5.10')).code).toBe(0);
    expect((await nslab('destroy', 't-b')).code).toBe(0);
  });

  it('accepts names iproute2 would read as keywords', async () => {
    const f = file('keywords.yaml', `
nodes:
  dev: { interfaces: { ma: { addresses: [10.9.0.1/24] }, up: {} } }
  link: { interfaces: { type: { addresses: [10.9.0.2/24] }, mtu: { mtu: 1400 } } }
bridges:
  master: {}
links:
  - endpoints: ["dev:ma", "link:type"]
  - endpoints: ["dev:up", "master:name"]
  - endpoints: ["link:mtu", "master:netns"]
`);
    const d = await nslab('deploy', f, '--name', 't-kw', '-q');
    expect(d.code, d.stderr).toBe(0);
    const p = await nslab('exec', 't-kw', 'dev', '--', 'ping', '-c1', '-W1', '10.9.0.2');
    expect(p.code, p.stdout).toBe(0);
    const o = await inspect('t-kw');
    expect(o.nodes.find((n) => n.name === 'link')!.interfaces.find((i) => i.name === 'mtu')!.mtu).toBe(1400);
    expect(o.bridges.find((b) => b.name === 'master')!.ports.sort()).toEqual(['name', 'netns']);
    expect((await nslab('destroy', 't-kw')).code).toBe(0);
  });

  it('a failed deploy reports the step and the kernel message, and leaves nothing', async () => {
    const labsBefore = readdirSync(join(stateDir(), 'labs')).sort();
    const f = file('bad-route.yaml', `
nodes:
  ns1:
    interfaces: { v1: { addresses: [10.7.0.1/24] } }
    routes: [{ to: 10.8.0.0/16, via: 192.168.77.1 }]
  ns2: { interfaces: { v2: {} } }
links:
  - endpoints: ["ns1:v1", "ns2:v2"]
`);
    const d = await nslab('deploy', f, '--name', 't-fail', '-q');
    expect(d.code).toBe(1);
    expect(d.stderr).toContain('ip -n ns1 route add 10.8.0.0/16 via 192.168.77.1');
    expect(d.stderr).toMatch(/Nexthop has invalid gateway|Network is unreachable/);
    expect(readdirSync(join(stateDir(), 'labs')).sort()).toEqual(labsBefore);
    expect(listLabs().map((s) => s.name)).not.toContain('t-fail');
  });

  it('rejects hostile input before anything touches the kernel', async () => {
    const labsBefore = readdirSync(join(stateDir(), 'labs')).sort();
    const f = file('hostile.yaml', `
nodes:
  "a;reboot": { interfaces: { "$(id)": { addresses: [10.0.0.1/33] } } }
  "../../etc": {}
links:
  - endpoints: ["a;reboot:$(id)", "nowhere:-x"]
`);
    const d = await nslab('deploy', f, '--name', 't-hostile');
    expect(d.code).toBe(1);
    expect(d.stderr).toContain('nothing was changed');
    expect(d.stderr).toContain('nodes["a;reboot"]: node name "a;reboot" contains ";"');
    expect(d.stderr).toContain('nodes["../../etc"]');
    expect(d.stderr).toContain('[unknown-node]');
    expect(d.stderr).toContain('/33');
    expect(d.stdout).toBe('');
    expect(d.stderr).not.toContain('+ ip');
    expect(readdirSync(join(stateDir(), 'labs')).sort()).toEqual(labsBefore);
  });

  it('a sandbox outlives the CLI process that made it', async () => {
    const run = promisify(execFile);
    const cli = join(root, 'apps/cli/src/main.ts');
    const tsx = join(root, 'node_modules/.bin/tsx');
    const { stdout } = await run(tsx, [cli, 'deploy', lab('veth-pair'), '--name', 't-cli', '-q']);
    expect(stdout.trim()).toBe('t-cli');
    // That process has exited; the lab is still there and usable.
    const p = await nslab('exec', 't-cli', 'ns1', '--', 'ping', '-c1', '-W1', '10.1.5.11');
    expect(p.code, p.stdout).toBe(0);
    const { stdout: listed } = await run(tsx, [cli, 'list', '--json']);
    expect(JSON.parse(listed).map((l: { name: string }) => l.name)).toContain('t-cli');
    await run(tsx, [cli, 'destroy', 't-cli']);
    expect(listLabs().map((s) => s.name)).not.toContain('t-cli');
  });

  it('refuses a lab that needs a kernel feature this machine lacks, naming it', async () => {
    const caps = await detectCapabilities();
    expect(caps.veth.ok && caps.bridge.ok && caps.vxlan.ok).toBe(true);
    const f = file('vlan.yaml', `
nodes:
  ns1:
    interfaces:
      eth0: {}
      eth0.10: { kind: vlan, parent: eth0, id: 10, addresses: [10.10.0.1/24] }
  ns2: { interfaces: { eth0: {} } }
links:
  - endpoints: ["ns1:eth0", "ns2:eth0"]
`);
    const d = await nslab('deploy', f, '--name', 't-vlan', '-q');
    if (caps.vlan.ok) {
      expect(d.code, d.stderr).toBe(0);
      const o = await inspect('t-vlan');
      expect(o.nodes.find((n) => n.name === 'ns1')!.interfaces.find((i) => i.name === 'eth0.10')!.kind).toBe('vlan');
      await nslab('destroy', 't-vlan');
    } else {
      expect(d.code).toBe(1);
      expect(d.stderr).toContain('vlan');
      expect(d.stderr).toContain('8021q');
      expect(listLabs().map((s) => s.name)).not.toContain('t-vlan');
    }
    const doctor = await nslab('doctor');
    expect(doctor.stdout).toMatch(/ok\s+veth/);
    expect(doctor.stdout).toMatch(caps.vlan.ok ? /ok\s+vlan/ : /MISSING\s+vlan/);
  });
});

describe('containerlab import (seed 000 §二)', () => {
  it('deploys the seed clab file: namespaces, veth, exec lines after the links', async () => {
    const d = await nslab('deploy', join(root, 'labs/containerlab/topology.clab.yml'), '--name', 't-clab');
    expect(d.code, d.stderr).toBe(0);
    expect(d.stderr).toMatch(/warning: .*image/);
    expect(d.stderr).toContain('+ ip netns exec server1 ip addr add 10.1.5.10/24 dev net0');
    const p = await nslab('exec', 't-clab', 'server1', '--', 'ping', '-c1', '-W1', '10.1.5.11');
    expect(p.code, p.stdout).toBe(0);
    // The seed's next step: find the peer with ethtool -S (peer_ifindex).
    const e = await nslab('exec', 't-clab', 'server2', '--', 'ethtool', '-S', 'net0');
    const o = await inspect('t-clab');
    const s1 = o.nodes.find((n) => n.name === 'server1')!.interfaces.find((i) => i.name === 'net0')!;
    expect(e.stdout).toMatch(new RegExp(`peer_ifindex: ${s1.ifindex}\\b`));
    expect((await nslab('destroy', 't-clab')).code).toBe(0);
  });

  it('explains the seed mistake: links indented under nodes', async () => {
    const f = join(root, 'packages/model/test/fixtures/seed-veth-mistake.clab.yaml');
    const d = await nslab('deploy', f, '--name', 't-mistake');
    expect(d.code).toBe(1);
    expect(d.stderr).toContain('topology.nodes.links');
    expect(d.stderr).toMatch(/indented under .?nodes/);
    expect(listLabs().map((s) => s.name)).not.toContain('t-mistake');
  });
});

describe('a deployer killed mid-deploy', () => {
  it('leaves a lab that is absent, not half there', async () => {
    const { spawn } = await import('node:child_process');
    // node --import tsx (not the tsx wrapper) so the child we kill is the deployer itself.
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/fixtures/half-deploy.ts'), 't-half'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    const anchor = await new Promise<number>((resolve) => child.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))));
    expect(existsSync(`/proc/${anchor}`)).toBe(true);
    // While the deployer lives, the half-built lab is neither listed nor can its name be taken.
    expect(listLabs().map((s) => s.name)).not.toContain('t-half');
    expect((await nslab('deploy', lab('veth-pair'), '--name', 't-half', '-q')).stderr).toContain('already exists');
    child.kill('SIGKILL');
    await exited;
    // The next look finds the deployer dead and tears the sandbox down.
    expect(listLabs().map((s) => s.name)).not.toContain('t-half');
    await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(`/proc/${anchor}`) && readFileSync(`/proc/${anchor}/status`, 'utf8').includes('State:\tZ') === false).toBe(false);
    expect(existsSync(join(stateDir(), 'labs', 't-half'))).toBe(false);
    const d = await nslab('deploy', lab('veth-pair'), '--name', 't-half', '-q');
    expect(d.code, d.stderr).toBe(0);
    expect((await nslab('destroy', 't-half')).code).toBe(0);
  });
});

describe('many namespaces at once', () => {
  it('a failure inside a fanned-out namespace batch names the exact step and kernel message', async () => {
    const nodes = Array.from({ length: 12 }, (_, i) =>
      `  n${i}:\n    interfaces: { eth0: { addresses: [10.3.${i}.1/24] } }\n` + (i === 7 ? '    routes: [{ to: 10.200.0.0/16, via: 192.168.250.1 }]\n' : ''));
    const links = Array.from({ length: 12 }, (_, i) => `  - endpoints: ["n${i}:eth0", "br0:p${i}"]`);
    const f = file('fan.yaml', `bridges:\n  br0: {}\nnodes:\n${nodes.join('')}links:\n${links.join('\n')}\n`);
    const d = await nslab('deploy', f, '--name', 't-fan', '-q');
    expect(d.code).toBe(1);
    expect(d.stderr).toContain('ip -n n7 route add 10.200.0.0/16 via 192.168.250.1');
    expect(d.stderr).toMatch(/Nexthop has invalid gateway|unreachable/i);
    expect(listLabs().map((s) => s.name)).not.toContain('t-fan');
    // The same shape without the bad route deploys and every namespace is configured.
    const ok = file('fan-ok.yaml', readFileSync(f, 'utf8').replace('    routes: [{ to: 10.200.0.0/16, via: 192.168.250.1 }]\n', ''));
    expect((await nslab('deploy', ok, '--name', 't-fan', '-q')).code).toBe(0);
    const o = await inspect('t-fan');
    for (let i = 0; i < 12; i++) {
      const eth0 = o.nodes.find((n) => n.name === `n${i}`)!.interfaces.find((x) => x.name === 'eth0')!;
      expect(eth0.addresses).toContain(`10.3.${i}.1/24`);
      expect(eth0.up).toBe(true);
    }
    expect((await nslab('exec', 't-fan', 'n0', '--', 'ip', 'route', 'get', '10.3.0.1')).code).toBe(0);
    expect((await nslab('destroy', 't-fan')).code).toBe(0);
  });
});
