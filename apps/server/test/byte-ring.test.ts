import { describe, expect, it } from 'vitest';
import { ByteRing } from '../src/byte-ring.ts';

describe('ByteRing', () => {
  it('keeps the last capacity bytes in order, across wrap-arounds and any chunk size', () => {
    const cap = 10;
    let all = '';
    const r = new ByteRing(cap);
    const chunks = ['ab', 'cdefg', 'hijklm', 'n', '', 'opqrstuvwxyz0123', '45', '6789ABCDE'];
    for (const c of chunks) {
      r.push(Buffer.from(c));
      all += c;
      expect(r.contents().toString()).toBe(all.slice(-cap));
      expect(r.length).toBe(Math.min(cap, all.length));
    }
  });

  it('starts empty', () => {
    expect(new ByteRing(4).contents()).toHaveLength(0);
  });
});
