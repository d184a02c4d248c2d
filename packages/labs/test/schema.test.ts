// lab.schema.json: a valid draft 2020-12 schema that accepts every lab of the catalog, and refuses
// the same bad documents the parser refuses.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import YAML from 'yaml';
import { TopologyError, parseTopology, planDeploy } from '@nslab/model';
import { catalogIds, loadLab } from '../src/index.ts';
import { labFrom } from './helpers.ts';

const schema = JSON.parse(readFileSync(new URL('../schema/lab.schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const validate = ajv.compile(schema);
const labsDir = fileURLToPath(new URL('../../../labs', import.meta.url));

function schemaErrors(doc: unknown): string[] {
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('lab.schema.json', () => {
  it('is a valid draft 2020-12 schema, closed, with descriptions', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    for (const [name, def] of Object.entries<{ description?: string }>(schema.$defs)) expect(def.description, name).toEqual(expect.any(String));
  });

  const ids = catalogIds(labsDir);
  it('finds the catalog', () => {
    expect(ids).toEqual(expect.arrayContaining(['veth-pair', 'bridge', 'containerlab', 'routing', 'nat', 'docker-bridge', 'vxlan', 'flannel', 'macvlan', 'tuntap', 'promisc', 'vlan']));
  });

  it.each(ids)('accepts labs/%s/lab.yaml, which also parses', (id) => {
    const text = readFileSync(`${labsDir}/${id}/lab.yaml`, 'utf8');
    expect(schemaErrors(YAML.parse(text))).toEqual([]);
    const lab = loadLab(labsDir, id);
    expect(lab.steps.length).toBeGreaterThan(0);
    for (const s of lab.steps) expect(s.markdown.trim(), `${id}/${s.id} doc`).not.toBe('');
    // Every lab lists at least one typical mistake, and every step has a reference solution.
    expect(lab.steps.flatMap((s) => s.mistakes).length, id).toBeGreaterThan(0);
    // A trace step's solution is the trace and the answer its journey calls for (commands optional).
    for (const s of lab.steps) expect(s.solution.length + (s.trace ? 1 : 0), `${id}/${s.id} solution`).toBeGreaterThan(0);
    // The starting topology is valid native YAML and plans (whatever this kernel supports).
    if (lab.topology) expect(planDeploy(parseTopology(lab.topology).topology).length, `${id} topology`).toBeGreaterThan(0);
  });

  const step = (checks: string) => `title: T\nsummary: S\nsteps:\n  - id: a\n    title: A\n    doc: a.md\n    checks:\n${checks}\n`;
  // Each is refused by the schema and by the parser alike.
  const bad: [string, string][] = [
    ['unknown top-level key', 'title: T\nsummary: S\nstep: []\nsteps: [{ id: a, title: A, doc: a.md, checks: [{ namespace: ns1 }] }]'],
    ['no steps', 'title: T\nsummary: S\nsteps: []'],
    ['two check kinds in one check', step('      - { namespace: ns1, ping: { from: ns1, to: 10.0.0.1 } }')],
    ['no check kind', step('      - { absent: true }')],
    ['unknown key in a check body', step('      - { route: { node: ns1, to: default, gateway: 10.0.0.1 } }')],
    ['address without prefix', step('      - { address: { node: ns1, address: 10.0.0.1 } }')],
    ['hostile node name', step('      - { namespace: "a;reboot" }')],
    ['16-byte interface name', step('      - { interface: { node: ns1, name: abcdefghijklmnop } }')],
    ['non-network sysctl', step('      - { sysctl: { node: ns1, key: kernel.panic, value: "1" } }')],
    ['unknown ping expectation', step('      - { ping: { from: ns1, to: 10.0.0.1, expect: maybe } }')],
    ['unknown details key', step('      - { interface: { node: ns1, name: vx0 }, details: { vni: 42 } }')],
    ['hint without text', step('      - check: { namespace: ns1 }\n        hints: [{ when: { namespace: ns2 } }]')],
    ['mistake without expectHint', step('      - { namespace: ns1 }\n    mistakes: [{ title: M, run: [ip netns add ns2] }]')],
    ['trace with an unknown question', 'title: T\nsummary: S\nsteps: [{ id: a, title: A, doc: a.md, trace: { from: ns1, to: ns2, ask: why } }]'],
    ['tcp trace without a port', 'title: T\nsummary: S\nsteps: [{ id: a, title: A, doc: a.md, trace: { from: ns1, to: ns2, protocol: tcp, ask: where-dropped } }]'],
    ['icmp trace with a port', 'title: T\nsummary: S\nsteps: [{ id: a, title: A, doc: a.md, trace: { from: ns1, to: ns2, port: 80, ask: where-dropped } }]'],
    ['step with neither checks nor trace', 'title: T\nsummary: S\nsteps: [{ id: a, title: A, doc: a.md }]'],
    ['unknown capability', 'title: T\nsummary: S\nrequires: [wifi]\nsteps: [{ id: a, title: A, doc: a.md, checks: [{ namespace: ns1 }] }]'],
  ];

  it.each(bad)('rejects %s', (_, text) => {
    expect(schemaErrors(YAML.parse(text))).not.toEqual([]);
    expect(() => labFrom(text, { 'a.md': '# A' })).toThrow(TopologyError);
  });
});
