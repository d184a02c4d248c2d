// A trace's captures as one pcapng file (the format Wireshark and tcpdump read): every armed
// namespace's packets merged in kernel-clock order, one Interface Description Block per node and
// interface named `node/interface` (`ns1/eth0`), the packets kept in the cooked v2 link layer they
// were captured in (it carries the direction and the interface), Enhanced Packet Blocks stamped in
// nanoseconds (if_tsresol 9). Layout per the pcapng spec (draft-ietf-opsawg-pcapng): little-endian,
// every block and option padded to 32 bits.

export const LINKTYPE_LINUX_SLL2_NG = 276;

export interface PcapngPacket {
  node: string;
  interface: string;
  sec: number;
  nsec: number;
  /** The captured bytes (a cooked v2 header and the packet). */
  data: Uint8Array;
  /** Bytes on the wire. */
  length: number;
}

function option(code: number, value: Uint8Array): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const b = Buffer.alloc(4 + value.length + pad);
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(value.length, 2);
  b.set(value, 4);
  return b;
}

// Made when a file is written, not when the module loads: the model is imported by the web app,
// where Buffer does not exist.
const endOfOptions = (): Buffer => Buffer.alloc(4);

function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length;
  const b = Buffer.alloc(total);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(total, 4);
  body.copy(b, 8);
  b.writeUInt32LE(total, total - 4);
  return b;
}

function sectionHeader(): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt32LE(0x1a2b3c4d, 0); // byte-order magic
  fixed.writeUInt16LE(1, 4); // major
  fixed.writeUInt16LE(0, 6); // minor
  fixed.writeBigInt64LE(-1n, 8); // section length: not given
  return block(0x0a0d0d0a, Buffer.concat([fixed, option(4, Buffer.from('nslab trace')), endOfOptions()]));
}

function interfaceDescription(name: string, snaplen: number): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16LE(LINKTYPE_LINUX_SLL2_NG, 0);
  fixed.writeUInt32LE(snaplen, 4);
  // if_name (2), if_tsresol (9) = 10^-9: timestamps count nanoseconds.
  return block(0x00000001, Buffer.concat([fixed, option(2, Buffer.from(name, 'utf8')), option(9, Buffer.from([9])), endOfOptions()]));
}

function enhancedPacket(ifId: number, p: PcapngPacket): Buffer {
  const ts = BigInt(p.sec) * 1_000_000_000n + BigInt(p.nsec);
  const pad = (4 - (p.data.length % 4)) % 4;
  const body = Buffer.alloc(20 + p.data.length + pad);
  body.writeUInt32LE(ifId, 0);
  body.writeUInt32LE(Number(ts >> 32n), 4);
  body.writeUInt32LE(Number(ts & 0xffffffffn), 8);
  body.writeUInt32LE(p.data.length, 12);
  body.writeUInt32LE(Math.max(p.length, p.data.length), 16);
  body.set(p.data, 20);
  return block(0x00000006, body);
}

/** One pcapng: packets merged on the kernel clock (a tie keeps the order given), an interface block per node/interface. */
export function writePcapng(packets: readonly PcapngPacket[], snaplen = 512): Buffer {
  const sorted = packets.map((p, i) => ({ p, i })).sort((a, b) => a.p.sec - b.p.sec || a.p.nsec - b.p.nsec || a.i - b.i);
  const ids = new Map<string, number>();
  const idbs: Buffer[] = [];
  for (const { p } of sorted) {
    const name = `${p.node}/${p.interface}`;
    if (ids.has(name)) continue;
    ids.set(name, ids.size);
    idbs.push(interfaceDescription(name, snaplen));
  }
  return Buffer.concat([sectionHeader(), ...idbs, ...sorted.map(({ p }) => enhancedPacket(ids.get(`${p.node}/${p.interface}`)!, p))]);
}
