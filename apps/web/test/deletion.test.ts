import { describe, expect, it } from 'vitest';
import { needsConfirmation, summarizeDeletion } from '../src/edit/deletion.ts';
import { bridgeLab, iface, lo, node } from './fixtures.ts';

describe('summarizeDeletion', () => {
  it('a namespace with an address, a bridged veth and a route: all of it listed, and undo brings it back', () => {
    const lab = bridgeLab();
    lab.nodes[1]!.routes.push({ dst: 'default', via: '10.5.1.1', dev: 'int0' }, { dst: '10.5.1.0/24', dev: 'int0', protocol: 'kernel', scope: 'link' });
    lab.nodes[1]!.sysctls['net.ipv4.ip_forward'] = '1';
    const s = summarizeDeletion(lab, { kind: 'remove-node', name: 'ns1' }, 2);
    expect(s.title).toBe('Delete ns1?');
    expect(s.action).toBe('Delete ns1');
    expect(s.items).toEqual([
      'the veth pair int0 ↔ br-int0 in the lab host, a port of br0',
      '10.5.1.10/24 on int0',
      'route default via 10.5.1.1 dev int0',
      'IPv4 forwarding (on)',
      '2 open terminals (the shell ends)',
    ]);
    expect(s.undo).toBe('Undo (Ctrl+Z) puts it all back.');
    expect(needsConfirmation(s)).toBe(true);
  });

  it('an empty namespace or bridge goes without a question', () => {
    const lab = bridgeLab();
    lab.nodes.push(node('ns9', [lo(false)]));
    lab.nodes[0]!.interfaces.push(iface('br9', { kind: 'bridge' }));
    expect(needsConfirmation(summarizeDeletion(lab, { kind: 'remove-node', name: 'ns9' }))).toBe(false);
    expect(needsConfirmation(summarizeDeletion(lab, { kind: 'remove-link', node: 'host', interface: 'br9' }))).toBe(false);
  });

  it('a bridge with ports: its ports are named, and they stay', () => {
    const s = summarizeDeletion(bridgeLab(), { kind: 'remove-link', node: 'host', interface: 'br0' });
    expect(s.title).toBe('Delete bridge br0?');
    expect(s.items).toEqual(['its ports br-int0, br-int1 (unplugged, not deleted)']);
  });

  it('a veth pair: the configuration of both ends', () => {
    const s = summarizeDeletion(bridgeLab(), { kind: 'remove-link', node: 'ns1', interface: 'int0' });
    expect(s.action).toBe('Delete veth pair ns1:int0 ↔ host:br-int0');
    expect(s.items).toEqual(['10.5.1.10/24 on int0 in ns1', 'br-int0 in the lab host as a port of br0']);
  });

  it('says what undo cannot bring back, from the model\'s plan', () => {
    const lab = bridgeLab();
    lab.nodes[1]!.interfaces.push(iface('dm0', { kind: 'dummy', addresses: ['192.168.9.1/24'] }));
    const s = summarizeDeletion(lab, { kind: 'remove-node', name: 'ns1' });
    expect(s.items).toContain('the dummy interface dm0');
    expect(s.undo).toBe("Undo (Ctrl+Z) puts back the rest, but: cannot recreate dm0 in ns1: nslab's edits do not make dummy interfaces.");
  });
});
