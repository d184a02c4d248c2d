// A vxlan whose remotes come only from static fdb entries (flannel's way, a hand-built mesh) on the
// real kernel: inspect shows the entries, the exported YAML brings them back in a fresh lab that
// pings like the live one did, and diagnose follows the tunnel to the fdb's remote.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTopology, type ObservedLab } from '@nslab/model';
import type { LiveDiagnosis } from '@nslab/labs';
import { destroyLab, listLabs } from '@nslab/driver';
import { hostNetworkSnapshot, nslab } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'nslab-vxfdb-'));
const ZERO = '00:00:00:00:00:00';

// No `remote` on either vxlan: without the fdb entries neither end knows where to send.
const MESH = `
nodes:
  hostA:
    interfaces:
      eth0: { addresses: [192.168.7.1/24] }
      vx0: { kind: vxlan, id: 77, dev: eth0, local: 192.168.7.1, addresses: [10.77.0.1/24], fdb: [{ mac: "${ZERO}", dst: 192.168.7.2 }] }
  hostB:
    interfaces:
      eth0: { addresses: [192.168.7.2/24] }
      vx0: { kind: vxlan, id: 77, dev: eth0, local: 192.168.7.2, addresses: [10.77.0.2/24], fdb: [{ mac: "${ZERO}", dst: 192.168.7.1 }] }
links:
  - endpoints: ["hostA:eth0", "hostB:eth0"]
`;

async function deploy(lab: string, yaml: string): Promise<void> {
  const file = join(tmp, `${lab}.yaml`);
  writeFileSync(file, yaml);
  const r = await nslab('deploy', file, '--name', lab, '--quiet');
  expect(r.code, r.stderr).toBe(0);
}

async function ping(lab: string, from: string, to: string): Promise<void> {
  const r = await nslab('exec', lab, from, '--', 'ping', '-c', '1', '-W', '2', to);
  expect(r.code, `${lab}: ${from} -> ${to}: ${r.stdout}${r.stderr}`).toBe(0);
}

/** Each vxlan's static fdb entries as `node/iface mac dst`; learned ones (and MACs of interfaces) vary. */
async function staticFdb(lab: string): Promise<string[]> {
  const r = await nslab('inspect', lab, '--json');
  expect(r.code, r.stderr).toBe(0);
  const o = JSON.parse(r.stdout) as ObservedLab;
  return o.nodes.flatMap((n) =>
    n.interfaces
      .filter((i) => i.kind === 'vxlan')
      .flatMap((i) => ((i.details?.fdb ?? []) as { mac: string; dst: string; permanent: boolean }[]).filter((e) => e.permanent).map((e) => `${n.name}/${i.name} ${e.mac} ${e.dst}`)),
  ).sort();
}

const labs = ['t-vxfdb-live', 't-vxfdb-back'];
let before = '';
beforeAll(async () => {
  for (const sb of listLabs()) if (labs.includes(sb.name)) await destroyLab(sb.name);
  before = hostNetworkSnapshot();
});
afterAll(async () => {
  for (const sb of listLabs()) if (labs.includes(sb.name)) await destroyLab(sb.name);
  expect(hostNetworkSnapshot()).toBe(before);
});

describe('vxlan remotes set only through fdb entries, on the real kernel', () => {
  it('survive inspect, export yaml and a fresh deploy, and diagnose follows them', async () => {
    const [live, back] = labs as [string, string];
    await deploy(live, MESH);
    await ping(live, 'hostA', '10.77.0.2');
    const expected = [`hostA/vx0 ${ZERO} 192.168.7.2`, `hostB/vx0 ${ZERO} 192.168.7.1`];
    expect(await staticFdb(live)).toEqual(expected);

    const d = await nslab('diagnose', live, 'hostA', '10.77.0.2', '--json');
    expect(d.stderr).toBe('');
    const diag = JSON.parse(d.stdout) as LiveDiagnosis;
    expect(diag.problem, JSON.stringify(diag.path)).toBeUndefined();
    expect(diag.ok).toBe(true);
    // The walk crossed the tunnel into hostB rather than stopping at hostA's vx0.
    expect(diag.path.some((h) => h.node === 'hostB' && h.interface === 'vx0' && h.direction === 'forward'), JSON.stringify(diag.path)).toBe(true);

    const ex = await nslab('export', live, '--format', 'yaml');
    expect(ex.code, ex.stderr).toBe(0);
    // Only the entries someone added: the MAC hostA learned from the ping is not saved.
    const saved = parseTopology(ex.stdout).topology;
    const fdbOf = (node: string) => saved.nodes.find((n) => n.name === node)?.interfaces.find((i) => i.name === 'vx0')?.vxlan?.fdb;
    expect(fdbOf('hostA')).toEqual([{ mac: ZERO, dst: '192.168.7.2' }]);
    expect(fdbOf('hostB')).toEqual([{ mac: ZERO, dst: '192.168.7.1' }]);
    await destroyLab(live);

    await deploy(back, ex.stdout);
    await ping(back, 'hostA', '10.77.0.2');
    await ping(back, 'hostB', '10.77.0.1');
    expect(await staticFdb(back)).toEqual(expected);
  });
});
