import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import YAML from 'yaml';
import { TopologyError, parseTopology } from '../src/index.ts';
import { fixture } from './helpers.ts';

const schema = JSON.parse(readFileSync(new URL('../schema/topology.schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const validate = ajv.compile(schema);

function schemaErrors(text: string): string[] {
  return validate(YAML.parse(text)) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('topology.schema.json', () => {
  it('is a valid draft 2020-12 schema with descriptions', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    for (const [name, def] of Object.entries<{ description?: string }>(schema.$defs)) expect(def.description, name).toEqual(expect.any(String));
  });

  it.each(['veth.yaml', 'bridge.yaml', 'full.yaml', 'keywords.yaml'])('accepts %s', (f) => {
    expect(schemaErrors(fixture(f))).toEqual([]);
  });

  // Each of these is refused by the schema and by the parser alike.
  const bad: [string, string][] = [
    ['unknown key', 'nodes: { ns1: { interfaces: { d: { kind: dummy, adresses: [] } } } }'],
    ['unknown top-level key', 'nodes: {}\nlink: []'],
    ['hostile node name', 'nodes: { "a;reboot": {} }'],
    ['all-digit node name', 'nodes: { "123": {} }'],
    ['16-byte interface name', 'nodes: { ns1: {}, ns2: {} }\nlinks: [{ endpoints: ["ns1:abcdefghijklmnop", "ns2:b"] }]'],
    ['endpoint without colon', 'nodes: { ns1: {} }\nlinks: [{ endpoints: ["ns1-a", "ns1:b"] }]'],
    ['MTU out of range', 'nodes: { ns1: { interfaces: { d: { kind: dummy, mtu: 70000 } } } }'],
    ['key of another kind', 'nodes: { ns1: { interfaces: { b: { kind: bridge, parent: x } } } }'],
    ['vlan id 4095', 'nodes: { ns1: { interfaces: { d: { kind: dummy }, v: { kind: vlan, parent: d, id: 4095 } } } }'],
    ['address without prefix', 'nodes: { ns1: { interfaces: { lo: { addresses: [10.0.0.1] } } } }'],
    ['non-network sysctl', 'nodes: { ns1: { sysctls: { kernel.panic: 1 } } }'],
    ['route without next hop', 'nodes: { ns1: { routes: [{ to: default }] } }'],
    ['newline in exec', 'nodes: { ns1: { exec: ["a\\nb"] } }'],
  ];

  it.each(bad)('rejects %s', (_, text) => {
    expect(schemaErrors(text)).not.toEqual([]);
    expect(() => parseTopology(text)).toThrow(TopologyError);
  });
});
