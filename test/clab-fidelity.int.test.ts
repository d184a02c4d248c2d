// containerlab labs on the real kernel, as containerlab would run them: they survive stop/start
// and a reboot (their exec'd addresses are not added twice), a failing image-specific exec line is
// reported per node and the lab kept, and the two ends of a veth have ifindexes of their own, each
// naming the other as its peer (the seed's `ethtool -S net0` lesson).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTopology, type ObservedLab } from '@nslab/model';
import { destroyLab, execInLab, findSandbox, labStore, listLabs } from '@nslab/driver';
import { buildApp, type NslabApp } from '../apps/server/src/app.ts';
import { AUTH, TOKEN } from '../apps/server/test/helpers.ts';
import { hostNetworkSnapshot, nslab } from './helpers.ts';

const root = join(import.meta.dirname, '..');
const seedClab = readFileSync(join(root, 'labs/containerlab/topology.clab.yml'), 'utf8');
const PREFIX = 'cf-';

/** Two hosts routed through r1; every address, route and ip_forward set by exec lines (one folded). */
const routedClab = `
name: routed
topology:
  nodes:
    h1:
      kind: linux
      image: alpine
      exec:
        - ip addr add 10.1.1.2/24 dev eth1
        - ip route add default via 10.1.1.1
    r1:
      kind: linux
      image: frrouting/frr
      exec:
        - >
          ip addr add 10.1.1.1/24
          dev eth1
        - ip addr add 10.2.2.1/24 dev eth2
        - sysctl -w net.ipv4.ip_forward=1
    h2:
      kind: linux
      image: alpine
      exec:
        - ip addr add \${H2_ADDR:=10.2.2.2/24} dev eth1
        - ip route add default via 10.2.2.1
  links:
    - endpoints: ["h1:eth1", "r1:eth1"]
    - endpoints: ["r1:eth2", "h2:eth1"]
`;

/** The seed, with an image-specific line on each node that a plain namespace cannot run. */
const apkClab = `
name: apk
topology:
  nodes:
    server1:
      kind: linux
      image: alpine
      exec:
        - apk add iproute2
        - ip addr add 10.1.5.10/24 dev net0
    server2:
      kind: linux
      image: alpine
      exec:
        - ip addr add 10.1.5.11/24 dev net0
        - apk add tcpdump
  links:
    - endpoints: ["server1:net0", "server2:net0"]
`;

let s: NslabApp | undefined;
let before = '';
const tmp = mkdtempSync(join(tmpdir(), 'nslab-clab-'));

const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
  s!.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload ? { payload } : {}) });

async function cleanup(): Promise<void> {
  for (const sb of listLabs()) if (sb.name.startsWith(PREFIX)) await destroyLab(sb.name);
  for (const name of ['cf-seed', 'cf-routed', 'cf-apk', 'cf-apk-cli', 'cf-ifindex']) labStore.remove(name);
}

beforeAll(async () => {
  await cleanup();
  before = hostNetworkSnapshot();
  s = await buildApp({ token: TOKEN });
});

afterAll(async () => {
  await s?.app.close();
  await cleanup();
  expect(hostNetworkSnapshot()).toBe(before);
});

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ping(lab: string, node: string, to: string): Promise<void> {
  const r = await execInLab(lab, node, ['ping', '-c1', '-W2', to]);
  expect(r.code, `${lab}: ${node} -> ${to}\n${r.stdout}${r.stderr}`).toBe(0);
}

interface Started {
  commands: string[];
  execFailures: { node: string; command: string; message: string }[];
}

async function create(name: string, yaml: string): Promise<Started> {
  const r = await api('POST', '/labs', { name, yaml, format: 'clab' });
  expect(r.statusCode, r.body).toBe(201);
  return r.json() as Started;
}

/** Stop (keep the saved topology), then start: the UI's Stop and Start buttons. */
async function stopStart(name: string): Promise<Started> {
  const stop = await api('DELETE', `/labs/${name}?keep=true`);
  expect(stop.statusCode, stop.body).toBe(200);
  expect(findSandbox(name)).toBeNull();
  const start = await api('POST', `/labs/${name}/start`);
  expect(start.statusCode, start.body).toBe(201);
  return start.json() as Started;
}

/** The saved topology once it follows the kernel: the exec'd address read back into the model. */
async function savedFollows(name: string, address: string): Promise<string> {
  const holds = () => {
    const yaml = labStore.loadTopology(name);
    if (yaml === null) return false;
    try {
      return parseTopology(yaml).topology.nodes.some((n) => n.interfaces.some((i) => i.addresses.includes(address)));
    } catch {
      return false;
    }
  };
  await until(holds, `the saved topology of ${name} to hold ${address}`);
  return labStore.loadTopology(name)!;
}

describe('stop, then start', () => {
  it('the bundled containerlab lab comes back with its addresses once, and pings', async () => {
    const created = await create('cf-seed', seedClab);
    expect(created.execFailures ?? []).toEqual([]);
    await ping('cf-seed', 'server1', '10.1.5.11');
    await savedFollows('cf-seed', '10.1.5.10/24');

    for (let round = 1; round <= 2; round++) {
      const started = await stopStart('cf-seed');
      expect(started.execFailures, `round ${round}`).toEqual([]);
      expect(started.commands.filter((c) => c.includes('10.1.5.10/24')), `round ${round}`).toEqual(['ip -n server1 addr add 10.1.5.10/24 dev net0']);
      await ping('cf-seed', 'server1', '10.1.5.11');
      await ping('cf-seed', 'server2', '10.1.5.10');
      // lo is up, as in a container: a node reaches its own address.
      await ping('cf-seed', 'server1', '10.1.5.10');
      // The exec line's address is the model's now; replaying the line would add it a second time.
      expect(await savedFollows('cf-seed', '10.1.5.10/24')).not.toContain('ip addr add 10.1.5.10/24');
    }
  });

  it('an import with exec: addresses, routes and ip_forward comes back after stop/start and after a reboot', async () => {
    const created = await create('cf-routed', routedClab);
    expect(created.execFailures ?? []).toEqual([]);
    await ping('cf-routed', 'h1', '10.2.2.2');
    await savedFollows('cf-routed', '10.2.2.2/24');

    const started = await stopStart('cf-routed');
    expect(started.execFailures).toEqual([]);
    await ping('cf-routed', 'h1', '10.2.2.2');
    await ping('cf-routed', 'h2', '10.1.1.2');

    // A reboot: the server stops, every process of the sandbox dies at once; the lab is redeployed
    // from what was saved.
    await savedFollows('cf-routed', '10.2.2.2/24');
    await s!.app.close();
    s = undefined;
    for (const pid of findSandbox('cf-routed')!.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await until(() => findSandbox('cf-routed') === null, 'the sandbox to be gone');
    s = await buildApp({ token: TOKEN });
    await s.registry.adoptAll();
    const again = await api('POST', '/labs/cf-routed/start');
    expect(again.statusCode, again.body).toBe(201);
    expect((again.json() as Started).execFailures).toEqual([]);
    await ping('cf-routed', 'h1', '10.2.2.2');
  });
});

describe('a failing exec line', () => {
  it('is reported per node and the lab is kept (API)', async () => {
    const created = await create('cf-apk', apkClab);
    expect(created.execFailures).toEqual([
      { node: 'server1', command: 'apk add iproute2', message: expect.stringContaining('apk') },
      { node: 'server2', command: 'apk add tcpdump', message: expect.stringContaining('apk') },
    ]);
    expect(findSandbox('cf-apk')).not.toBeNull();
    // The lines after the failing one still ran.
    await ping('cf-apk', 'server1', '10.1.5.11');
    const log = (await api('GET', '/labs/cf-apk/log')).json().entries as { line: string; ok: boolean; error?: string }[];
    expect(log.find((e) => e.line === 'ip netns exec server1 apk add iproute2')).toMatchObject({ ok: false, error: expect.stringContaining('apk') });
    expect(log.find((e) => e.line === 'ip netns exec server1 ip addr add 10.1.5.10/24 dev net0')).toMatchObject({ ok: true });
  });

  it('is reported per node and the lab is kept (CLI)', async () => {
    const file = join(tmp, 'apk.clab.yml');
    writeFileSync(file, apkClab);
    const d = await nslab('deploy', file, '--name', 'cf-apk-cli', '-q');
    expect(d.code, d.stderr).toBe(0);
    expect(d.stderr).toMatch(/^warning: exec in server1 failed: apk add iproute2: .*apk/m);
    expect(d.stderr).toMatch(/^warning: exec in server2 failed: apk add tcpdump: .*apk/m);
    await ping('cf-apk-cli', 'server2', '10.1.5.10');
  });
});

describe('veth ifindexes', () => {
  const ifindexOf = (o: ObservedLab, node: string, iface: string) => o.nodes.find((n) => n.name === node)!.interfaces.find((i) => i.name === iface)!.ifindex;
  async function peerIfindex(lab: string, node: string, iface: string): Promise<number> {
    const r = await execInLab(lab, node, ['ethtool', '-S', iface]);
    expect(r.code, r.stderr).toBe(0);
    const m = /peer_ifindex: (\d+)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    return Number(m![1]);
  }
  async function linkIndex(lab: string, node: string, iface: string): Promise<number> {
    const r = await execInLab(lab, node, ['ip', '-j', '-d', 'link', 'show', 'dev', iface]);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { link_index: number }[])[0]!.link_index;
  }

  it('differ between the ends, and each end names the other as its peer (deploy and a link added later)', async () => {
    await create('cf-ifindex', seedClab);
    const added = await api('POST', '/labs/cf-ifindex/links', { a: { node: 'server1', interface: 'v1' }, b: { node: 'server2', interface: 'v2' } });
    expect(added.statusCode, added.body).toBe(201);
    const o = (await api('GET', '/labs/cf-ifindex')).json() as ObservedLab;
    for (const [a, b] of [['net0', 'net0'], ['v1', 'v2']] as const) {
      const i1 = ifindexOf(o, 'server1', a);
      const i2 = ifindexOf(o, 'server2', b);
      expect(i1, `server1:${a} vs server2:${b}`).not.toBe(i2);
      expect(await peerIfindex('cf-ifindex', 'server1', a)).toBe(i2);
      expect(await peerIfindex('cf-ifindex', 'server2', b)).toBe(i1);
      expect(await linkIndex('cf-ifindex', 'server1', a)).toBe(i2);
      expect(await linkIndex('cf-ifindex', 'server2', b)).toBe(i1);
    }
    // Every interface of the lab keeps an index of its own.
    const all = o.nodes.flatMap((n) => n.interfaces.filter((i) => i.kind === 'veth').map((i) => i.ifindex));
    expect(new Set(all).size).toBe(all.length);
  });
});
