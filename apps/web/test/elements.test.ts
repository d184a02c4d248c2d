import { describe, expect, it } from 'vitest';
import { diffElements, labElements, type EdgeData, type ElementDef, type NodeData } from '../src/graph/elements.ts';
import { bridgeLab, iface, lo, node, vethPair } from './fixtures.ts';

const byId = (els: ElementDef[], id: string) => els.find((e) => e.data.id === id);
const edges = (els: ElementDef[]) => els.filter((e) => e.group === 'edges');

describe('labElements', () => {
  it('draws a veth pair as one edge labelled at both ends with name and addresses', () => {
    const els = labElements(vethPair());
    const [e] = edges(els);
    expect(edges(els)).toHaveLength(1);
    const d = e!.data as EdgeData;
    expect(d.id).toBe('veth:ns1:veth-01=ns2:veth-10');
    expect([d.source, d.target]).toEqual(['ns1', 'ns2']);
    expect(d.sourceLabel).toBe('veth-01\n10.1.5.10/24');
    expect(d.targetLabel).toBe('veth-10\n10.1.5.11/24');
    expect(e!.classes.split(' ')).toContain('up');
  });

  it('makes the lab host a distinct node; a down lo is a quiet mark, loud only where it matters', () => {
    const els = labElements(vethPair());
    expect(byId(els, 'host')!.classes).toBe('host');
    expect((byId(els, 'host')!.data as NodeData).label).toMatch(/^lab host/);
    const ns1 = byId(els, 'ns1')!;
    // Every fresh namespace has lo down: no badge, a faint mark.
    expect(ns1.classes.split(' ')).toEqual(['lo-down-quiet', 'netns']);
    expect((ns1.data as NodeData).label).toBe('ns1');
    const loud = byId(labElements(vethPair(), {}, new Set(['ns1'])), 'ns1')!;
    expect(loud.classes.split(' ')).toEqual(['lo-down', 'netns']);
    expect((loud.data as NodeData).label).toBe('ns1\nlo down');
    expect(byId(labElements(vethPair(), {}, new Set(['ns1'])), 'ns2')!.classes.split(' ')).toEqual(['lo-down-quiet', 'netns']);
  });

  it('draws bridge ports as edges from the namespace to the bridge, the bridge inside the host frame', () => {
    const els = labElements(bridgeLab());
    const br = byId(els, 'host:br0')!;
    expect(br.classes).toBe('bridge up');
    expect((br.data as NodeData).parent).toBe('host');
    const e = edges(els).map((x) => x.data as EdgeData);
    expect(e.map((d) => [d.source, d.target]).sort()).toEqual([['host:br0', 'ns1'], ['host:br0', 'ns2']]);
    expect(e[0]!.sourceLabel).toBe('br-int0');
    expect(e[0]!.targetLabel).toBe('int0\n10.5.1.10/24');
    expect(edges(els).every((x) => x.classes.includes('port'))).toBe(true);
    // Interfaces drawn as edges or bridges are not repeated as badges on the host.
    expect((byId(els, 'host')!.data as NodeData).label).toBe('lab host');
  });

  it('colours by state: admin down beats no carrier', () => {
    const lab = vethPair();
    lab.nodes[1]!.interfaces[1]!.up = false;
    expect(edges(labElements(lab))[0]!.classes).toBe('down veth');
    lab.nodes[1]!.interfaces[1]!.up = true;
    lab.nodes[2]!.interfaces[1]!.carrier = false;
    expect(edges(labElements(lab))[0]!.classes).toBe('no-carrier veth');
    expect((edges(labElements(lab))[0]!.data as EdgeData).targetLabel).toBe('veth-10 ✕no carrier\n10.1.5.11/24');
  });

  it('shows other interface kinds as badges on their node', () => {
    const lab = vethPair();
    lab.nodes[1]!.interfaces.push(iface('vx0', { kind: 'vxlan' }), iface('tap0', { kind: 'tap', carrier: false }));
    expect((byId(labElements(lab), 'ns1')!.data as NodeData).label).toBe('ns1\nvx0 vxlan · tap0 tap no-carrier');
    expect((byId(labElements(lab, {}, new Set(['ns1'])), 'ns1')!.data as NodeData).label).toBe('ns1\nlo down · vx0 vxlan · tap0 tap no-carrier');
  });

  it('shows hand-made unsafe names escaped and marked', () => {
    const lab = vethPair();
    lab.nodes.push(node('ns\u0430', [lo(), iface('e\u00a0x', { kind: 'dummy', unsafeName: true })], { unsafeName: true }));
    const el = byId(labElements(lab), 'ns\u0430')!;
    expect(el.classes.split(' ')).toContain('unsafe');
    expect((el.data as NodeData).label).toBe('⚠ ns\\u0430\n⚠ e\\u00a0x dummy');
  });

  it('places elements at their saved positions, and leaves the rest unplaced', () => {
    const els = labElements(bridgeLab(), { ns1: { x: 10, y: 20 }, 'host:br0': { x: 5, y: 6 } });
    expect(byId(els, 'ns1')!.position).toEqual({ x: 10, y: 20 });
    expect(byId(els, 'host:br0')!.position).toEqual({ x: 5, y: 6 });
    expect(byId(els, 'ns2')!.position).toBeUndefined();
  });
});

describe('diffElements', () => {
  it('finds added, removed and changed elements and never carries positions in changes', () => {
    const a = labElements(vethPair(), { ns1: { x: 1, y: 1 } });
    const lab = vethPair();
    lab.nodes[1]!.interfaces[0] = lo(true); // lo up in ns1
    lab.nodes.push(node('ns3', [lo(false)]));
    lab.nodes = lab.nodes.filter((n) => n.name !== 'ns2');
    lab.links = [];
    const b = labElements(lab, { ns1: { x: 500, y: 500 } });
    const d = diffElements(a, b);
    expect(d.added.map((e) => e.data.id)).toEqual(['ns3']);
    expect(d.removed.sort()).toEqual(['ns2', 'veth:ns1:veth-01=ns2:veth-10']);
    expect(d.changed.map((e) => e.data.id)).toEqual(['ns1']);
    expect(d.changed[0]!.position).toBeUndefined();
    expect(d.changed[0]!.classes).toBe('netns');
  });

  it('reports nothing for an identical lab, even with moved positions', () => {
    expect(diffElements(labElements(bridgeLab()), labElements(bridgeLab(), { ns1: { x: 9, y: 9 } }))).toEqual({ added: [], removed: [], changed: [] });
  });

  it('replaces an edge whose end moved to a bridge (veth plugged in)', () => {
    const lab = bridgeLab();
    lab.nodes[0]!.interfaces[2]!.master = undefined;
    const before = labElements(lab);
    const after = labElements(bridgeLab());
    const d = diffElements(before, after);
    expect(d.removed).toEqual(['veth:host:br-int0=ns1:int0']);
    expect(d.added.map((e) => e.data.id)).toEqual(['veth:host:br-int0=ns1:int0']);
    expect((d.added[0]!.data as EdgeData).source).toBe('host:br0');
  });
});
