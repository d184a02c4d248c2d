import { describe, expect, it } from 'vitest';
import { parseIpJsonDocuments, sanitizeIpJson } from '../src/ip-json.ts';

describe('ip -j output with hand-made names', () => {
  it('escapes raw control bytes that iproute2 prints inside strings', () => {
    const raw = '[{"ifname":"e\u001b[1m","ifindex":3}]\n[{"name":"ns\u0007x"}]\n';
    expect(() => JSON.parse(raw.split('\n')[0]!)).toThrow();
    const docs = parseIpJsonDocuments(raw) as { ifname?: string; name?: string }[][];
    expect(docs).toHaveLength(2);
    expect(docs[0]![0]!.ifname).toBe('e\u001b[1m');
    expect(docs[1]![0]!.name).toBe('ns\u0007x');
  });

  it('leaves ordinary JSON and its escapes alone', () => {
    const ok = '[{"a":"tab\\there","b":"q\\"uote"}]';
    expect(sanitizeIpJson(ok)).toBe(ok);
    expect(parseIpJsonDocuments(ok + '\n\n[]\n')).toEqual([[{ a: 'tab\there', b: 'q"uote' }], []]);
  });
});
