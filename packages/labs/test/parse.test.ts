// parseLab: a Lab from lab.yaml, or a TopologyError listing every problem with its field.
import { describe, expect, it } from 'vitest';
import { TopologyError } from '@nslab/model';
import { labFrom, labIssues, pairs } from './helpers.ts';

const files = { 'one.md': '## Goal\nDo it.', 'start.yaml': 'nodes: { ns1: {} }\n' };
const lab = (checks: string, more = '') => `title: T\nsummary: S\nsteps:\n  - id: one\n    title: One\n    doc: one.md\n    checks:\n${checks}\n${more}`;

describe('parseLab', () => {
  it('reads a complete lab: checks (bare and with hints), solution commands, mistakes, topology', () => {
    const l = labFrom(
      `title: T\nsummary: S\nrequires: [veth]\ntopology: start.yaml\nsteps:\n  - id: one\n    title: One\n    doc: one.md\n    checks:\n` +
        `      - namespace: ns1\n` +
        `      - check: { ping: { from: ns1, to: 10.0.0.2 } }\n        title: ns1 reaches ns2\n        hints:\n          - when: { interface: { node: ns1, name: lo }, up: false }\n            text: lo is down\n` +
        `      - interface: { node: hostA, name: vx0 }\n        kind: vxlan\n        details: { id: 42, remote: 192.168.1.2 }\n` +
        `    solution:\n      - ip netns add ns1\n      - { node: ns1, run: "ip link set dev lo up" }\n` +
        `    mistakes:\n      - { title: forgot lo, run: [ip netns add ns1], expectHint: lo is down }\n`,
      files,
    );
    expect(l.requires).toEqual(['veth']);
    expect(l.topology).toContain('ns1');
    const s = l.steps[0]!;
    expect(s.markdown).toContain('Do it');
    expect(s.checks[0]).toEqual({ check: { namespace: 'ns1' }, hints: [] });
    expect(s.checks[1]).toEqual({ check: { ping: { from: 'ns1', to: '10.0.0.2' } }, title: 'ns1 reaches ns2', hints: [{ when: { interface: { node: 'ns1', name: 'lo' }, up: false }, text: 'lo is down' }] });
    expect(s.checks[2]!.check).toEqual({ interface: { node: 'hostA', name: 'vx0' }, kind: 'vxlan', details: { id: 42, remote: '192.168.1.2' } });
    expect(s.solution).toEqual([{ node: 'host', run: 'ip netns add ns1' }, { node: 'ns1', run: 'ip link set dev lo up' }]);
    expect(s.mistakes).toEqual([{ title: 'forgot lo', run: [{ node: 'host', run: 'ip netns add ns1' }], expectHint: 'lo is down' }]);
  });

  it('an omitted topology is an empty lab', () => {
    expect(labFrom(lab('      - namespace: ns1'), files).topology).toBe('');
  });

  it('names the field of an unknown key', () => {
    expect(pairs(labIssues(lab('      - namespace: ns1', '    soluton: []'), files))).toEqual(['lab.steps[0].soluton unknown-key']);
    expect(pairs(labIssues(lab('      - { route: { node: ns1, to: default, gateway: 10.0.0.1 } }'), files))).toEqual(['lab.steps[0].checks[0].route.gateway unknown-key']);
    expect(pairs(labIssues(lab('      - check: { namespace: ns1 }\n        hints: [{ when: { namespace: ns2 }, txt: x }]'), files))).toEqual(['lab.steps[0].checks[0].hints[0].txt unknown-key', 'lab.steps[0].checks[0].hints[0].text required']);
    expect(pairs(labIssues(lab('      - { interface: { node: ns1, name: vx0 }, details: { vni: 42 } }'), files))).toEqual(['lab.steps[0].checks[0].details.vni unknown-key']);
    const [issue] = labIssues(lab('      - namespace: ns1', '    soluton: []'), files);
    expect(issue!.message).toContain('expected one of');
  });

  it('refuses a bad CIDR, a gateway with a prefix, a non-network sysctl', () => {
    expect(pairs(labIssues(lab('      - { address: { node: ns1, address: 10.0.0.300/24 } }'), files))).toEqual(['lab.steps[0].checks[0].address.address cidr']);
    expect(pairs(labIssues(lab('      - { address: { node: ns1, address: 10.0.0.1 } }'), files))).toEqual(['lab.steps[0].checks[0].address.address cidr']);
    expect(pairs(labIssues(lab('      - { route: { node: ns1, to: 10.0.0.0/33 } }'), files))).toEqual(['lab.steps[0].checks[0].route.to cidr']);
    expect(pairs(labIssues(lab('      - { route: { node: ns1, to: default, via: 10.0.0.1/24 } }'), files))).toEqual(['lab.steps[0].checks[0].route.via ip']);
    expect(pairs(labIssues(lab('      - { sysctl: { node: ns1, key: kernel.panic, value: "1" } }'), files))).toEqual(['lab.steps[0].checks[0].sysctl.key sysctl']);
  });

  it('reports a missing doc file and a missing topology file', () => {
    expect(pairs(labIssues(lab('      - namespace: ns1'), {}))).toEqual(['lab.steps[0].doc missing-file']);
    expect(pairs(labIssues(`title: T\nsummary: S\ntopology: nope.yaml\nsteps:\n  - { id: a, title: A, doc: one.md, checks: [{ namespace: ns1 }] }`, files))).toEqual(['lab.topology missing-file']);
  });

  it('reports a duplicate step id', () => {
    const text = `title: T\nsummary: S\nsteps:\n  - { id: a, title: A, doc: one.md, checks: [{ namespace: ns1 }] }\n  - { id: a, title: B, doc: one.md, checks: [{ namespace: ns2 }] }`;
    expect(pairs(labIssues(text, files))).toEqual(['lab.steps[1].id duplicate']);
  });

  it('refuses two check kinds in one check, and none', () => {
    const two = labIssues(lab('      - { namespace: ns1, ping: { from: ns1, to: 10.0.0.1 } }'), files);
    expect(pairs(two)).toEqual(['lab.steps[0].checks[0] check-kind']);
    expect(two[0]!.message).toContain('found namespace, ping');
    expect(pairs(labIssues(lab('      - { check: { up: true } }'), files))).toEqual(['lab.steps[0].checks[0].check check-kind']);
  });

  it('checks names, capabilities, commands and types', () => {
    expect(pairs(labIssues(lab('      - { namespace: "a;reboot" }'), files))).toEqual(['lab.steps[0].checks[0].namespace node-name']);
    expect(pairs(labIssues(lab('      - { interface: { node: ns1, name: abcdefghijklmnop } }'), files))).toEqual(['lab.steps[0].checks[0].interface.name interface-name']);
    expect(pairs(labIssues(lab('      - { interface: { node: ns1, name: eth0 }, up: "yes" }'), files))).toEqual(['lab.steps[0].checks[0].up type']);
    expect(pairs(labIssues(lab('      - { ping: { from: ns1, to: 10.0.0.1, expect: maybe } }'), files))).toEqual(['lab.steps[0].checks[0].ping.expect enum']);
    expect(pairs(labIssues(lab('      - { command: { node: ns1, run: "echo \'unterminated" } }'), files))).toEqual(['lab.steps[0].checks[0].command.run command']);
    expect(pairs(labIssues(lab('      - namespace: ns1', '    solution: ["ip netns add \'x"]'), files))).toEqual(['lab.steps[0].solution[0] command']);
    expect(pairs(labIssues(`title: T\nsummary: S\nrequires: [wifi]\nsteps:\n  - { id: a, title: A, doc: one.md, checks: [{ namespace: ns1 }] }`, files))).toEqual(['lab.requires[0] capability']);
    expect(pairs(labIssues('title: T\nsummary: S\nsteps: []', files))).toEqual(['lab.steps required']);
    expect(pairs(labIssues(lab('      - namespace: ns1'), files, '1234'))).toEqual(['id lab-id']);
  });

  it('collects every issue at once', () => {
    const text = `title: T\nsteps:\n  - { id: a, title: A, doc: gone.md, checks: [{ address: { node: ns1, address: 1.2.3.4 } }] }\n  - { id: a, title: B, doc: one.md, checks: [] }`;
    expect(pairs(labIssues(text, files))).toEqual([
      'lab.summary required',
      'lab.steps[0].doc missing-file',
      'lab.steps[0].checks[0].address.address cidr',
      'lab.steps[1].id duplicate',
      'lab.steps[1].checks required',
    ]);
  });

  it('refuses YAML that is not a mapping, or broken', () => {
    expect(() => labFrom('- a\n- b', files)).toThrow(TopologyError);
    expect(pairs(labIssues('title: [', files))).toEqual(['lab.yaml yaml']);
    expect(pairs(labIssues('title: T\ntitle: U\nsummary: S\nsteps: []', files))).toEqual(['lab.yaml yaml']);
  });
});
