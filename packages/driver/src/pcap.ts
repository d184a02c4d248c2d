// The pcap stream `tcpdump -w -` writes, cut at packet boundaries. Pure. Knowing where each packet
// ends lets a capture stop at a byte cap with a file that still parses, count packets as they pass,
// and skip whole packets (never half of one) when the decoder falls behind.

export const PCAP_GLOBAL_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;
// libpcap's own ceiling for a record (MAXIMUM_SNAPLEN); anything larger means the stream is not pcap.
const MAX_RECORD_BYTES = 262_144;

export class PcapFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PcapFormatError';
  }
}

export interface PcapChunk {
  /** The 24-byte file header, the first time it is complete. */
  header?: Buffer;
  /** Whole records (16-byte header + captured bytes), in order. */
  records: Buffer[];
}

export class PcapFramer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private little: boolean | null = null;
  private headerSeen = false;

  /** Feed bytes as they arrive; returns what became complete. Throws PcapFormatError on a stream that is not pcap. */
  push(chunk: Buffer): PcapChunk {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const out: PcapChunk = { records: [] };
    if (!this.headerSeen) {
      if (this.pendingBytes < PCAP_GLOBAL_HEADER_BYTES) return out;
      const header = this.take(PCAP_GLOBAL_HEADER_BYTES);
      const magic = header.readUInt32LE(0);
      // Microsecond or nanosecond timestamps, either byte order.
      if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) this.little = true;
      else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) this.little = false;
      else throw new PcapFormatError(`not a pcap stream (magic 0x${magic.toString(16)})`);
      this.headerSeen = true;
      out.header = header;
    }
    while (this.pendingBytes >= PCAP_RECORD_HEADER_BYTES) {
      const head = this.peek(PCAP_RECORD_HEADER_BYTES);
      const incl = this.little ? head.readUInt32LE(8) : head.readUInt32BE(8);
      if (incl > MAX_RECORD_BYTES) throw new PcapFormatError(`pcap record of ${incl} bytes exceeds ${MAX_RECORD_BYTES}`);
      const total = PCAP_RECORD_HEADER_BYTES + incl;
      if (this.pendingBytes < total) break;
      out.records.push(this.take(total));
    }
    return out;
  }

  /** Bytes received that do not yet form a whole record. */
  get buffered(): number {
    return this.pendingBytes;
  }

  private peek(n: number): Buffer {
    if (this.pending[0]!.length >= n) return this.pending[0]!.subarray(0, n);
    const all = Buffer.concat(this.pending);
    this.pending = [all];
    return all.subarray(0, n);
  }

  private take(n: number): Buffer {
    const first = this.pending[0]!;
    let out: Buffer;
    if (first.length >= n) {
      // A view, not a copy: small packets arrive many to a chunk.
      out = first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.pending);
      out = all.subarray(0, n);
      this.pending = all.length > n ? [all.subarray(n)] : [];
    }
    this.pendingBytes -= n;
    return out;
  }
}
