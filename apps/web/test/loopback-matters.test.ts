import { describe, expect, it } from 'vitest';
import type { ObservedLab } from '@nslab/model';
import { loopbackMatters } from '../src/lab/loopback-matters.ts';
import type { GuideState } from '../src/guide/guide-state.ts';

const lab = {
  name: 'l', links: [], bridges: [],
  nodes: ['ns1', 'ns2', 'ns3'].map((name, k) => ({
    name, kind: 'netns', routes: [], neighbours: [], sysctls: {},
    interfaces: [{ name: 'eth0', ifindex: 2, kind: 'veth', state: 'UP', up: true, carrier: true, mac: '', mtu: 1500, addresses: [`10.0.0.${k + 1}/24`], promisc: false }],
  })),
} as ObservedLab;

const guide = (current: string | null): GuideState => ({
  passed: new Set(),
  current,
  steps: [
    { id: 'wire', title: '', markdown: '', checks: [], pings: [{ from: 'ns1', to: '10.0.0.2' }] },
    { id: 'loopback', title: '', markdown: '', checks: [], pings: [{ from: 'ns1', to: '10.0.0.1' }, { from: 'ns2', to: '10.0.0.3' }], loopback: ['ns3'] },
  ],
});

describe('where a down lo matters', () => {
  it('nowhere by default, nor in a step that pings another namespace', () => {
    expect([...loopbackMatters(lab, null)]).toEqual([]);
    expect([...loopbackMatters(lab, guide('wire'))]).toEqual([]);
  });
  it('in the step whose checks name a lo or ping a namespace\'s own address, and where a diagnosis blamed it', () => {
    expect([...loopbackMatters(lab, guide('loopback'))].sort()).toEqual(['ns1', 'ns3']);
    expect([...loopbackMatters(lab, guide('wire'), 'ns2')]).toEqual(['ns2']);
    expect([...loopbackMatters(lab, guide(null))]).toEqual([]);
  });
});
