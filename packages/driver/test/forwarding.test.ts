import { describe, expect, it } from 'vitest';
import { netconfSysctls } from '../src/observe.ts';

describe('netconfSysctls', () => {
  it('reads the forwarding switches from the "all" entries, and rp_filter/proxy_arp for all and where an interface has them on', () => {
    const netconf = [
      { family: 'inet', interface: 'lo', forwarding: true, rp_filter: 'strict' },
      { family: 'inet', interface: 'all', forwarding: true, rp_filter: 'off', proxy_neigh: false },
      { family: 'inet', interface: 'default', forwarding: false, rp_filter: 'loose' },
      { family: 'inet', interface: 'eth0', forwarding: true, rp_filter: 'loose', proxy_neigh: true },
      { family: 'inet', interface: 'eth1', forwarding: true, rp_filter: 'off', proxy_neigh: false },
      { family: 'inet', interface: 'flannel.1', forwarding: true, rp_filter: 'strict' },
      { family: 'inet6', interface: 'all', forwarding: false },
    ];
    expect(netconfSysctls(netconf)).toEqual({
      'net.ipv4.ip_forward': '1',
      'net.ipv4.conf.all.rp_filter': '0',
      'net.ipv4.conf.all.proxy_arp': '0',
      'net.ipv4.conf.eth0.rp_filter': '2',
      'net.ipv4.conf.eth0.proxy_arp': '1',
      'net.ipv6.conf.all.forwarding': '0',
    });
  });

  it('leaves out what it cannot read (IPv6 off, odd values)', () => {
    expect(netconfSysctls([{ family: 'inet', interface: 'all', forwarding: 'yes' }])).toEqual({});
    expect(netconfSysctls([{ family: 'inet', interface: 'all', forwarding: false, rp_filter: 'sideways' }])).toEqual({ 'net.ipv4.ip_forward': '0' });
  });
});
