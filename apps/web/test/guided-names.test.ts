// The veth dialog in a guided lab proposes the names the guide's steps expect (the current step's
// first), and opened from one element picks the other end the step names.
import { describe, expect, it } from 'vitest';
import type { GuideStep } from '../src/api.ts';
import { guidedOtherEnd, guidedVethNames } from '../src/guide/expected-names.ts';
import type { GuideState } from '../src/guide/guide-state.ts';

const s = (id: string, veths: GuideStep['veths'] = []): GuideStep => ({ id, title: id.toUpperCase(), markdown: '', checks: [], veths });
const none = () => new Set<string>();

// The veth-pair lab as the server sends it.
const vethPair: GuideState = {
  steps: [s('namespaces'), s('veth', [{ step: 'veth', a: { node: 'ns1', name: 'veth-01' }, b: { node: 'ns2', name: 'veth-10' } }]), s('addresses'), s('loopback')],
  passed: new Set(['namespaces']),
  current: 'veth',
};

// The bridge lab: pairs from a namespace to a port of br0 in the lab host.
const bridge: GuideState = {
  steps: [
    s('bridge'),
    s('ports', [
      { step: 'ports', a: { node: 'ns1', name: 'int0' }, b: { node: 'host', name: 'br-int0', bridge: 'br0' } },
      { step: 'ports', a: { node: 'ns2', name: 'int1' }, b: { node: 'host', name: 'br-int1', bridge: 'br0' } },
    ]),
    s('learning', [{ step: 'learning', a: { node: 'ns3', name: 'int2' }, b: { node: 'host', name: 'br-int2', bridge: 'br0' } }]),
  ],
  passed: new Set(['bridge']),
  current: 'ports',
};

describe('guidedVethNames', () => {
  it('proposes the step\'s names in the direction drawn', () => {
    expect(guidedVethNames(vethPair, { node: 'ns1' }, { node: 'ns2' }, none)).toEqual({ a: 'veth-01', b: 'veth-10', step: 2, title: 'VETH' });
    expect(guidedVethNames(vethPair, { node: 'ns2' }, { node: 'ns1' }, none)).toMatchObject({ a: 'veth-10', b: 'veth-01' });
  });

  it('nothing for places no step joins, for a plain lab, or once the names exist', () => {
    expect(guidedVethNames(vethPair, { node: 'ns1' }, { node: 'host' }, none)).toBeNull();
    expect(guidedVethNames(null, { node: 'ns1' }, { node: 'ns2' }, none)).toBeNull();
    const made = (n: string) => new Set(n === 'ns1' ? ['lo', 'veth-01'] : ['lo']);
    expect(guidedVethNames(vethPair, { node: 'ns1' }, { node: 'ns2' }, made)).toBeNull();
  });

  it('a namespace to the bridge gets the port name; the current step before a later one', () => {
    expect(guidedVethNames(bridge, { node: 'ns1' }, { node: 'host', bridge: 'br0' }, none)).toMatchObject({ a: 'int0', b: 'br-int0', step: 2 });
    expect(guidedVethNames(bridge, { node: 'host', bridge: 'br0' }, { node: 'ns3' }, none)).toMatchObject({ a: 'br-int2', b: 'int2', step: 3 });
    // To the lab host itself rather than the bridge: still the step's names (the port can be plugged in later).
    expect(guidedVethNames(bridge, { node: 'ns2' }, { node: 'host' }, none)).toMatchObject({ a: 'int1', b: 'br-int1' });
  });

  it('a passed step\'s pair comes back after it was deleted', () => {
    const later = { ...vethPair, passed: new Set(['namespaces', 'veth']), current: 'addresses' };
    expect(guidedVethNames(later, { node: 'ns1' }, { node: 'ns2' }, none)).toMatchObject({ a: 'veth-01', step: 2 });
  });
});

describe('guidedOtherEnd', () => {
  const ends = [
    { id: 'host', node: 'host' },
    { id: 'ns1', node: 'ns1' },
    { id: 'ns2', node: 'ns2' },
    { id: 'br:host:br0', node: 'host', bridge: 'br0' },
  ];
  it('opened from ns1 in veth-pair: ns2', () => {
    expect(guidedOtherEnd(vethPair, { node: 'ns1' }, ends.filter((e) => e.id !== 'ns1'), none)?.id).toBe('ns2');
  });
  it('opened from ns2 in the bridge lab: the bridge, not the bare lab host', () => {
    expect(guidedOtherEnd(bridge, { node: 'ns2' }, ends.filter((e) => e.id !== 'ns2'), none)?.id).toBe('br:host:br0');
  });
  it('nothing expected from there: undefined (the dialog keeps its own default)', () => {
    expect(guidedOtherEnd(vethPair, { node: 'host' }, ends.filter((e) => e.id !== 'host'), none)).toBeUndefined();
  });
});
