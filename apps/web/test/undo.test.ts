import { describe, expect, it } from 'vitest';
import type { Edit } from '@nslab/model';
import { inverseOf } from '../src/edit/undo.ts';
import { Editor } from '../src/edit/editor.ts';
import { bridgeLab, vethPair } from './fixtures.ts';

describe('inverseOf', () => {
  const lab = vethPair();
  it.each<[Edit, Edit[]]>([
    [{ kind: 'add-node', name: 'ns3' }, [{ kind: 'remove-node', name: 'ns3' }]],
    [{ kind: 'remove-node', name: 'ns2' }, [{ kind: 'add-node', name: 'ns2' }]],
    [{ kind: 'add-bridge', name: 'br0' }, [{ kind: 'remove-link', node: 'host', interface: 'br0' }]],
    [
      { kind: 'add-veth', a: { node: 'ns1', interface: 'a' }, b: { node: 'ns2', interface: 'b' } },
      [{ kind: 'remove-link', node: 'ns1', interface: 'a' }],
    ],
    [
      { kind: 'add-address', node: 'ns1', interface: 'veth-01', address: '10.9.0.1/24' },
      [{ kind: 'remove-address', node: 'ns1', interface: 'veth-01', address: '10.9.0.1/24' }],
    ],
    [
      { kind: 'remove-address', node: 'ns1', interface: 'veth-01', address: '10.1.5.10/24' },
      [{ kind: 'add-address', node: 'ns1', interface: 'veth-01', address: '10.1.5.10/24' }],
    ],
    [
      { kind: 'set-link', node: 'ns1', interface: 'veth-01', mtu: 9000, up: true },
      [{ kind: 'set-link', node: 'ns1', interface: 'veth-01', mtu: 1500 }],
    ],
    [
      { kind: 'add-route', node: 'ns1', route: { to: 'default', via: '10.1.5.1' } },
      [{ kind: 'remove-route', node: 'ns1', route: { to: 'default', via: '10.1.5.1' } }],
    ],
    [
      { kind: 'remove-route', node: 'ns1', route: { to: '10.1.5.0/24' } },
      [{ kind: 'add-route', node: 'ns1', route: { to: '10.1.5.0/24', dev: 'veth-01' } }],
    ],
    [
      { kind: 'set-sysctl', node: 'ns1', key: 'net.ipv4.ip_forward', value: '1' },
      [{ kind: 'set-sysctl', node: 'ns1', key: 'net.ipv4.ip_forward', value: '0' }],
    ],
  ])('%j', (edit, inverse) => {
    expect(inverseOf(edit, lab)?.edits).toEqual(inverse);
  });

  it('recreates a deleted veth with its names, addresses and bridge port', () => {
    expect(inverseOf({ kind: 'remove-link', node: 'ns1', interface: 'int0' }, bridgeLab())?.edits).toEqual([
      { kind: 'add-veth', a: { node: 'ns1', interface: 'int0' }, b: { node: 'host', interface: 'br-int0' }, bridge: 'br0' },
      { kind: 'add-address', node: 'ns1', interface: 'int0', address: '10.5.1.10/24' },
    ]);
  });

  it('recreates a deleted bridge and plugs its ports back', () => {
    expect(inverseOf({ kind: 'remove-link', node: 'host', interface: 'br0' }, bridgeLab())?.edits).toEqual([
      { kind: 'add-bridge', node: 'host', name: 'br0' },
      { kind: 'set-link', node: 'host', interface: 'br-int0', master: 'br0' },
      { kind: 'set-link', node: 'host', interface: 'br-int1', master: 'br0' },
    ]);
  });

  it('has nothing to undo for a no-op or an unknown interface', () => {
    expect(inverseOf({ kind: 'set-link', node: 'ns1', interface: 'veth-01', up: true }, lab)).toBeNull();
    expect(inverseOf({ kind: 'remove-link', node: 'ns1', interface: 'nope' }, lab)).toBeNull();
  });
});

describe('Editor', () => {
  it('records the inverse of each successful edit and runs it on undo', async () => {
    const sent: Edit[] = [];
    const editor = new Editor('demo', () => vethPair(), async (_lab, e) => {
      sent.push(e);
      return { commands: [], effects: [] };
    });
    await editor.run({ kind: 'add-node', name: 'ns3' });
    expect(editor.getState().undo.map((u) => u.label)).toEqual(['delete ns3']);
    await editor.undo();
    expect(sent).toEqual([{ kind: 'add-node', name: 'ns3' }, { kind: 'remove-node', name: 'ns3' }]);
    expect(editor.getState().undo).toEqual([]);
  });

  it('undo right after an edit whose answer is still on its way undoes that edit', async () => {
    // The kernel's patch (the node gone from the page) may come before the HTTP answer.
    const sent: Edit[] = [];
    let answer: () => void = () => {};
    const editor = new Editor('demo', () => vethPair(), async (_lab, e) => {
      sent.push(e);
      if (e.kind === 'remove-node') await new Promise<void>((r) => (answer = r));
      return { commands: [], effects: [] };
    });
    await editor.run({ kind: 'add-node', name: 'ns3' });
    const removing = editor.run({ kind: 'remove-node', name: 'ns1' });
    const undone = editor.undo();
    await Promise.resolve();
    answer();
    await removing;
    await undone;
    expect(sent.at(-1)).toEqual({ kind: 'add-node', name: 'ns1' });
    expect(editor.getState().undo.map((u) => u.label)).toEqual(['delete ns3']);
  });

  it('records nothing for an edit the server refused', async () => {
    const editor = new Editor('demo', () => vethPair(), async () => {
      throw new Error('refused');
    });
    await expect(editor.run({ kind: 'add-node', name: 'ns3' })).rejects.toThrow('refused');
    expect(editor.getState()).toEqual({ undo: [], busy: 0 });
  });
});
