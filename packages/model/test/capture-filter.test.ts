import { describe, expect, it } from 'vitest';
import { checkCaptureFilter, MAX_CAPTURE_FILTER_LENGTH } from '../src/index.ts';

describe('checkCaptureFilter', () => {
  it.each([
    '',
    'icmp',
    'tcp port 80',
    'host 10.0.0.1 and not arp',
    'icmp6 or (udp and dst port 4789)',
    'ether proto \\arp',
    'tcp[tcpflags] & (tcp-syn|tcp-ack) != 0',
    'ip[2:2] > 576',
    'ether host 02:00:00:00:00:01',
    'net fe80::/10',
  ])('passes %j to libpcap', (f) => {
    expect(checkCaptureFilter(f)).toBeNull();
  });

  it.each([
    ['; rm -rf /', /";"/],
    ['$(reboot)', /"\$"/],
    ['`id`', /"`"/],
    ["icmp' or '1", /"'"/],
    ['icmp\nudp', /control character \(U\+000A\)/],
    ['icmp\u0000', /control character/],
    ['h\u043est 1.2.3.4', /non-ASCII.*U\+043E/],
    ['-w /etc/x', /must not start with "-"/],
    ['  --version', /must not start with "-"/],
    ['x'.repeat(MAX_CAPTURE_FILTER_LENGTH + 1), /at most 512/],
  ])('refuses %j', (f, why) => {
    expect(checkCaptureFilter(f)).toMatch(why);
  });

  it('names the rule for shell-looking input', () => {
    expect(checkCaptureFilter('icmp; reboot')).toMatch(/no tcpdump filter uses/);
  });
});
