import { describe, expect, it } from 'vitest';
import { checkInterfaceName } from '@nslab/model';
import { displayName, nextName, proposeVethNames } from '../src/names.ts';
import { firstParagraph } from '../src/home/catalog.ts';
import { outlineItems } from '../src/outline/Outline.tsx';
import { endpoints, vethEdits } from '../src/panels/ConnectForm.tsx';
import { resolve } from '../src/selection.ts';
import { bridgeLab, vethPair } from './fixtures.ts';

const bytes = (s: string) => new TextEncoder().encode(s).length;

describe('proposeVethNames', () => {
  const none = new Set<string>();
  it('names both ends after the two nodes', () => {
    expect(proposeVethNames('ns1', 'ns2', none, none)).toEqual({ a: 'veth-ns1-ns2', b: 'veth-ns2-ns1' });
  });

  it.each([
    ['server1', 'server2'],
    ['a-very-long-namespace-name', 'b'],
    ['x', 'another-very-long-name'],
    ['alpha.beta_gamma', 'delta-epsilon-zeta'],
  ])('fits IFNAMSIZ and stays valid for %s / %s', (a, b) => {
    const p = proposeVethNames(a, b, none, none);
    for (const n of [p.a, p.b]) {
      expect(bytes(n)).toBeLessThanOrEqual(15);
      expect(checkInterfaceName(n)).toBeNull();
    }
    expect(p.a).not.toBe(p.b);
  });

  it('avoids names already taken, and gives a same-node pair two names', () => {
    expect(proposeVethNames('ns1', 'ns2', new Set(['veth-ns1-ns2']), none).a).toBe('veth-ns1-ns22');
    const self = proposeVethNames('ns1', 'ns1', none, none, true);
    expect(self.a).not.toBe(self.b);
  });

  it('drops characters an interface name cannot have (hand-made node names)', () => {
    const p = proposeVethNames('ns\u0430', 'a b', none, none);
    expect(checkInterfaceName(p.a)).toBeNull();
    expect(checkInterfaceName(p.b)).toBeNull();
  });
});

describe('small pure helpers', () => {
  it('escapes what is not printable ASCII', () => {
    expect(displayName('ns1')).toBe('ns1');
    expect(displayName('a\nb\u0430')).toBe('a\\nb\\u0430');
  });

  it('finds the next free name', () => {
    expect(nextName('ns', new Set(['ns1', 'ns2']))).toBe('ns3');
    expect(nextName('br', new Set(), 0)).toBe('br0');
  });

  it('reads a README first paragraph for the catalog', () => {
    expect(firstParagraph('# bridge\n\nThe bridge `br0`\nlives here.\n\n    code')).toBe('The bridge br0 lives here.');
  });

  it('lists outline items with stable ids matching the graph', () => {
    const items = outlineItems(bridgeLab());
    expect(items.map((i) => [i.group, i.id])).toEqual([
      ['nodes', 'host'],
      ['nodes', 'ns1'],
      ['nodes', 'ns2'],
      ['bridges', 'host:br0'],
      ['links', 'veth:host:br-int0=ns1:int0'],
      ['links', 'veth:host:br-int1=ns2:int1'],
    ]);
    expect(outlineItems(vethPair()).find((i) => i.id === 'ns1')?.hint).toBe('lo down');
    for (const i of items) expect(resolve(bridgeLab(), i.id)).not.toBeNull();
  });

  it('turns a drop on a bridge into add-veth with the bridge end as b', () => {
    const ends = endpoints(bridgeLab());
    const br = ends.find((e) => e.id === 'host:br0')!;
    const ns1 = ends.find((e) => e.id === 'ns1')!;
    expect(vethEdits(br, ns1, 'veth-br0-ns1', 'veth-ns1-br0')).toEqual([
      { kind: 'add-veth', a: { node: 'ns1', interface: 'veth-ns1-br0' }, b: { node: 'host', interface: 'veth-br0-ns1' }, bridge: 'br0' },
    ]);
    expect(vethEdits(br, br, 'x', 'y')).toEqual([
      { kind: 'add-veth', a: { node: 'host', interface: 'x' }, b: { node: 'host', interface: 'y' }, bridge: 'br0' },
      { kind: 'set-link', node: 'host', interface: 'x', master: 'br0' },
    ]);
  });
});
