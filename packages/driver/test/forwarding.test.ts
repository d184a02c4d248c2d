import { describe, expect, it } from 'vitest';
import { forwardingSysctls } from '../src/observe.ts';

describe('forwardingSysctls', () => {
  it('reads the two forwarding switches from the "all" netconf entries only', () => {
    const netconf = [
      { family: 'inet', interface: 'lo', forwarding: true },
      { family: 'inet', interface: 'all', forwarding: true, rp_filter: 'off' },
      { family: 'inet', interface: 'default', forwarding: false },
      { family: 'inet6', interface: 'all', forwarding: false },
    ];
    expect(forwardingSysctls(netconf)).toEqual({ 'net.ipv4.ip_forward': '1', 'net.ipv6.conf.all.forwarding': '0' });
  });

  it('leaves out what it cannot read (IPv6 off, odd values)', () => {
    expect(forwardingSysctls([{ family: 'inet', interface: 'all', forwarding: 'yes' }])).toEqual({});
    expect(forwardingSysctls([{ family: 'inet', interface: 'all', forwarding: false }])).toEqual({ 'net.ipv4.ip_forward': '0' });
  });
});
