// Capture filters (tcpdump/libpcap BPF expressions) as typed by a learner. This is the cheap first
// gate; the authority is libpcap itself (`tcpdump -d`, run by the driver before any capture). The
// filter is always one argv word after `--`, so it can never be an option or reach a shell; the
// character rule only keeps out what libpcap's lexer would refuse anyway, with a clearer reason.
import { quote } from './display.ts';

export const MAX_CAPTURE_FILTER_LENGTH = 512;

// libpcap's scanner: identifiers and numbers ([A-Za-z0-9] with - _ . inside), addresses (: .), the
// operators + - * / % & | ^ ! < > = and brackets, and "\" to escape a keyword (`ether proto \arp`).
const FILTER_CHARS = /^[A-Za-z0-9 _.:!&|()[\]<>=+\-*/%^\\]$/;

/** null when the filter may go to libpcap, else a reason a learner can act on. Empty = capture everything. */
export function checkCaptureFilter(filter: string): string | null {
  if (typeof filter !== 'string') return 'must be a string';
  if (filter.length > MAX_CAPTURE_FILTER_LENGTH) {
    return `is ${filter.length} characters long; capture filters are at most ${MAX_CAPTURE_FILTER_LENGTH}`;
  }
  for (const ch of filter) {
    if (FILTER_CHARS.test(ch)) continue;
    const cp = ch.codePointAt(0)!;
    const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    if (cp < 0x20 || cp === 0x7f) return `contains a control character (${code}); a capture filter is one line of printable ASCII`;
    if (cp > 0x7f) return `contains the non-ASCII character ${quote(ch)} (${code}); a capture filter is printable ASCII`;
    return `contains ${quote(ch)}, which no tcpdump filter uses; filters look like "icmp", "tcp port 80" or "host 10.0.0.1 and not arp"`;
  }
  if (filter.trimStart().startsWith('-')) return 'must not start with "-": it is a filter expression, not a tcpdump option';
  return null;
}
