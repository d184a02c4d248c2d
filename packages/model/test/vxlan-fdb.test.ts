// A vxlan's static fdb entries: read, checked, planned, exported in all three formats and carried
// over from an observed lab, so a lab whose remotes live only in the fdb comes back as it was.
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  observedToTopology,
  parseTopology,
  planDeploy,
  render,
  renderScript,
  toClabYaml,
  toNativeYaml,
  type ObservedLab,
  type Topology,
} from '../src/index.ts';
import { issueLines } from './helpers.ts';

const ZERO = '00:00:00:00:00:00';
const yaml = (fdb: string) => `
nodes:
  hostA:
    interfaces:
      eth0: { addresses: [192.168.7.1/24] }
      vx0: { kind: vxlan, id: 77, dev: eth0, local: 192.168.7.1, fdb: ${fdb} }
  hostB:
    interfaces:
      eth0: { addresses: [192.168.7.2/24] }
links:
  - endpoints: ["hostA:eth0", "hostB:eth0"]
`;
const MESH = yaml(`[{ mac: "${ZERO}", dst: 192.168.7.2 }, { mac: "${ZERO}", dst: 192.168.7.3 }]`);
const topo = (): Topology => parseTopology(MESH).topology;
const issuesOf = issueLines;

describe('vxlan fdb entries', () => {
  it('are read into the vxlan spec', () => {
    const vx = topo().nodes.find((n) => n.name === 'hostA')!.interfaces.find((i) => i.name === 'vx0')!;
    expect(vx.vxlan!.fdb).toEqual([{ mac: ZERO, dst: '192.168.7.2' }, { mac: ZERO, dst: '192.168.7.3' }]);
  });

  it('are refused with the field and the rule when malformed', () => {
    expect(issuesOf(yaml('[{ mac: "00:00:00:00:00", dst: 192.168.7.2 }]'))).toEqual([
      'nodes.hostA.interfaces.vx0.fdb[0].mac mac: mac "00:00:00:00:00" must be six hex byte pairs separated by ":", e.g. 00:00:00:00:00:00',
    ]);
    expect(issuesOf(yaml(`[{ mac: "${ZERO}", dst: 192.168.7.300 }]`))[0]).toMatch(/^nodes\.hostA\.interfaces\.vx0\.fdb\[0\]\.dst ip: /);
    expect(issuesOf(yaml(`[{ mac: "${ZERO}" }]`))).toEqual([
      "nodes.hostA.interfaces.vx0.fdb[0].dst required: an fdb entry needs `dst`: the remote VTEP's IPv4 or IPv6 address",
    ]);
    expect(issuesOf(yaml('[{ dst: 192.168.7.2 }]'))[0]).toMatch(/^nodes\.hostA\.interfaces\.vx0\.fdb\[0\]\.mac required: /);
    expect(issuesOf(yaml(`[{ mac: "${ZERO}", dst: "2001:db8::2" }]`))).toEqual([
      'nodes.hostA.interfaces.vx0.fdb[0].dst family: dst 2001:db8::2 is not the same IP family as local/remote/group',
    ]);
    expect(issuesOf(yaml('[{ mac: "02:00:00:00:00:01", dst: 239.1.1.1 }]'))[0]).toMatch(/^nodes\.hostA\.interfaces\.vx0\.fdb\[0\]\.dst ip: dst 239\.1\.1\.1 is a multicast address/);
    expect(issuesOf(yaml(`[{ mac: "${ZERO}", dst: 192.168.7.2, via: eth0 }]`))[0]).toMatch(/^nodes\.hostA\.interfaces\.vx0\.fdb\[0\]\.via unknown-key: /);
    expect(issuesOf(yaml('192.168.7.2'))[0]).toMatch(/^nodes\.hostA\.interfaces\.vx0\.fdb type: expected a list/);
  });

  it('are appended in the vxlan\'s namespace once it exists, keyword before every name', () => {
    const ops = planDeploy(topo());
    const argvs = ops.map((op) => render(op).argv);
    const fdb = argvs.filter((a) => a[0] === 'bridge');
    expect(fdb).toEqual([
      ['bridge', '-n', 'hostA', 'fdb', 'append', ZERO, 'dev', 'vx0', 'dst', '192.168.7.2'],
      ['bridge', '-n', 'hostA', 'fdb', 'append', ZERO, 'dev', 'vx0', 'dst', '192.168.7.3'],
    ]);
    const made = argvs.findIndex((a) => a.includes('vxlan') && a.includes('add'));
    expect(made).toBeGreaterThanOrEqual(0);
    expect(argvs.indexOf(fdb[0]!)).toBeGreaterThan(made);
  });

  it('round-trip through the native YAML export', () => {
    const text = toNativeYaml(topo());
    expect(text).toContain(`        fdb:\n          - {mac: "${ZERO}", dst: 192.168.7.2}\n          - {mac: "${ZERO}", dst: 192.168.7.3}\n`);
    expect(parseTopology(text).topology).toEqual(topo());
  });

  it('are exec lines of the containerlab export and lines of the sh script', () => {
    const clab = YAML.parse(toClabYaml(topo())) as { topology: { nodes: Record<string, { exec?: string[] }> } };
    expect(clab.topology.nodes.hostA!.exec).toEqual(expect.arrayContaining([
      `bridge fdb append ${ZERO} dev vx0 dst 192.168.7.2`,
      `bridge fdb append ${ZERO} dev vx0 dst 192.168.7.3`,
    ]));
    const sh = renderScript(planDeploy(topo()));
    expect(sh).toContain(`\nbridge -n hostA fdb append ${ZERO} dev vx0 dst 192.168.7.2\n`);
    expect(sh).toContain(`\nbridge -n hostA fdb append ${ZERO} dev vx0 dst 192.168.7.3\n`);
  });

  it('are carried from an observed lab: static ones only, and not the one `remote` makes', () => {
    const vx = (details: Record<string, unknown>) => ({
      name: 'vx0', ifindex: 3, kind: 'vxlan', state: 'UNKNOWN', up: true, carrier: true, mac: '02:00:00:00:00:03', mtu: 1450, addresses: [], promisc: false,
      details: { id: 77, dstport: 4789, ...details },
    });
    const lab = (details: Record<string, unknown>): ObservedLab => ({
      name: 'l', links: [], bridges: [],
      nodes: [{ name: 'a', kind: 'netns', routes: [], neighbours: [], sysctls: {}, interfaces: [vx(details)] }],
    });
    const fdbOf = (o: ObservedLab) => observedToTopology(o).nodes.find((n) => n.name === 'a')!.interfaces[0]!.vxlan!.fdb;
    expect(fdbOf(lab({ fdb: [
      { mac: ZERO, dst: '192.168.7.2', permanent: true },
      { mac: '02:11:22:33:44:55', dst: '192.168.7.2', permanent: false },
      { mac: '02:11:22:33:44:66', dst: '192.168.7.3', permanent: true },
    ] }))).toEqual([{ mac: ZERO, dst: '192.168.7.2' }, { mac: '02:11:22:33:44:66', dst: '192.168.7.3' }]);
    expect(fdbOf(lab({ remote: '192.168.7.2', fdb: [{ mac: ZERO, dst: '192.168.7.2', permanent: true }] }))).toBeUndefined();
  });

  it('are described by topology.schema.json', () => {
    const schema = JSON.parse(readFileSync(new URL('../schema/topology.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(schema);
    expect(validate(YAML.parse(MESH)), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(YAML.parse(yaml('[{ mac: "00:00:00:00:00", dst: 192.168.7.2 }]')))).toBe(false);
    expect(validate(YAML.parse(yaml(`[{ mac: "${ZERO}" }]`)))).toBe(false);
  });
});
