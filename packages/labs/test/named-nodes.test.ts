// The namespaces a step names: what a check reads fresh (the server's live probe reads only these).
import { describe, expect, it } from 'vitest';
import type { ObservedLab } from '@nslab/model';
import { checkNodes, checkStep, stepNodes, type Check, type LabProbe, type Step } from '../src/index.ts';

const step = (checks: Step['checks']): Step => ({ id: 's', title: 'S', markdown: '', checks, solution: [], mistakes: [] });

describe('namespaces a step names', () => {
  it('names the node of every check kind, the lab host where a kind defaults to it', () => {
    const cases: [Check, string[]][] = [
      [{ namespace: 'a' }, ['a']],
      [{ interface: { node: 'a', name: 'eth0' }, up: true }, ['a']],
      [{ address: { node: 'a', address: '10.0.0.1/24' } }, ['a']],
      [{ peer: { a: { node: 'a', interface: 'x' }, b: { node: 'b', interface: 'y' } } }, ['a', 'b']],
      [{ bridgePort: { bridge: 'br0', port: 'p' } }, ['host']],
      [{ bridgePort: { node: 'sw', bridge: 'br0', port: 'p' } }, ['sw']],
      [{ fdb: { bridge: 'br0', macOf: { node: 'a', name: 'eth0' } } }, ['host', 'a']],
      [{ neighbour: { node: 'a', address: '10.0.0.2' } }, ['a']],
      [{ route: { node: 'a', to: 'default' } }, ['a']],
      [{ sysctl: { node: 'r', key: 'net.ipv4.ip_forward', value: '1' } }, ['r']],
      [{ ping: { from: 'a', to: '10.0.0.2' } }, ['a']],
      [{ iptables: { contains: 'DROP' } }, ['host']],
      [{ iptables: { node: 'fw', contains: 'DROP' } }, ['fw']],
      [{ command: { node: 'a', run: 'true' } }, ['a']],
    ];
    for (const [c, want] of cases) expect(checkNodes(c), JSON.stringify(c)).toEqual(want);
  });

  it("a step's nodes include its hints' conditions, each once", () => {
    const s = step([
      { check: { address: { node: 'router', interface: 'eth1', address: '10.1.1.1/24' } }, hints: [{ when: { sysctl: { node: 'ns1', key: 'k', value: '1' } }, text: 't' }] },
      { check: { ping: { from: 'ns1', to: '10.1.1.1' } }, hints: [] },
      { check: { iptables: { contains: 'x' } }, hints: [{ when: { namespace: 'ns9' }, text: 'u' }] },
    ]);
    expect(stepNodes(s)).toEqual(['router', 'ns1', 'host', 'ns9']);
  });

  it('a check asks the probe for exactly the nodes its step names', async () => {
    const lab: ObservedLab = { name: 't', nodes: [], links: [], bridges: [] };
    const asked: (readonly string[] | undefined)[] = [];
    const probe: LabProbe = {
      observe: async (nodes) => {
        asked.push(nodes);
        return lab;
      },
      exec: async () => ({ code: 1, stdout: '', stderr: '' }),
    };
    const r = await checkStep(step([{ check: { namespace: 'ns1' }, hints: [{ when: { namespace: 'ns2' }, text: 'h' }] }]), probe);
    expect(r.ok).toBe(false);
    expect(asked).toEqual([['ns1', 'ns2']]);
  });
});
