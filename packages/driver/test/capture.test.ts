import { describe, expect, it } from 'vitest';
import { tcpdumpMessage } from '../src/capture.ts';

describe('tcpdumpMessage', () => {
  it("keeps tcpdump's own words and drops its chatter", () => {
    expect(tcpdumpMessage("tcpdump: can't parse filter expression: syntax error\n")).toBe("can't parse filter expression: syntax error");
    expect(tcpdumpMessage('tcpdump: veth1: No such device exists\n(No such device exists)\n')).toBe('veth1: No such device exists');
    expect(
      tcpdumpMessage(
        'tcpdump: listening on veth1, link-type EN10MB (Ethernet), snapshot length 262144 bytes\ntcpdump: pcap_loop: The interface disappeared\n0 packets captured\n0 packets received by filter\n0 packets dropped by kernel\n',
      ),
    ).toBe('pcap_loop: The interface disappeared');
    expect(tcpdumpMessage('')).toBe('');
  });
});
