import { describe, expect, it } from 'vitest';
import { PcapFormatError, PcapFramer } from '../src/pcap.ts';

function header(little = true): Buffer {
  const b = Buffer.alloc(24);
  if (little) {
    b.writeUInt32LE(0xa1b2c3d4, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeUInt32LE(262144, 16);
    b.writeUInt32LE(1, 20);
  } else {
    b.writeUInt32BE(0xa1b2c3d4, 0);
    b.writeUInt32BE(1, 20);
  }
  return b;
}

function record(len: number, fill: number, little = true): Buffer {
  const b = Buffer.alloc(16 + len, fill);
  const w = (v: number, o: number) => (little ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  w(1700000000, 0);
  w(fill, 4);
  w(len, 8);
  w(len, 12);
  return b;
}

describe('PcapFramer', () => {
  it('cuts a stream into the file header and whole records, however it is chunked', () => {
    const stream = Buffer.concat([header(), record(60, 1), record(98, 2), record(1514, 3)]);
    for (const size of [1, 7, 16, 24, 40, 100, stream.length]) {
      const f = new PcapFramer();
      let head: Buffer | undefined;
      const recs: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) {
        const out = f.push(stream.subarray(i, i + size));
        if (out.header) {
          expect(head).toBeUndefined();
          head = out.header;
        }
        recs.push(...out.records);
      }
      expect(head?.length, `chunk ${size}`).toBe(24);
      expect(recs.map((r) => r.length), `chunk ${size}`).toEqual([76, 114, 1530]);
      expect(recs.map((r) => r[20])).toEqual([1, 2, 3]);
      expect(f.buffered).toBe(0);
      expect(Buffer.concat([head!, ...recs]).equals(stream)).toBe(true);
    }
  });

  it('holds a partial record until it is complete', () => {
    const f = new PcapFramer();
    const rec = record(100, 9);
    expect(f.push(Buffer.concat([header(), rec.subarray(0, 50)])).records).toEqual([]);
    expect(f.buffered).toBe(50);
    expect(f.push(rec.subarray(50)).records).toHaveLength(1);
  });

  it('reads big-endian files', () => {
    const f = new PcapFramer();
    const out = f.push(Buffer.concat([header(false), record(60, 4, false)]));
    expect(out.header).toBeDefined();
    expect(out.records).toHaveLength(1);
  });

  it('refuses a stream that is not pcap', () => {
    expect(() => new PcapFramer().push(Buffer.from('tcpdump: syntax error in filter expression\n'))).toThrow(PcapFormatError);
    const f = new PcapFramer();
    const bogus = record(10, 0);
    bogus.writeUInt32LE(10_000_000, 8);
    expect(() => f.push(Buffer.concat([header(), bogus]))).toThrow(/exceeds/);
  });
});
