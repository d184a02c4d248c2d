// A probe's journey through a lab: what the collectors saw (sightings), and what nslab makes of
// them (events, hops with what changed and why). Plain data: the server sends a Journey as JSON and
// the web draws it (its schema is in @nslab/protocol, held to these types by a compile-time check).

export type ProbeProtocol = 'icmp' | 'tcp' | 'udp';

export interface ProbeSpec {
  protocol: ProbeProtocol;
  /** Destination port for tcp/udp. */
  port?: number;
  /** The probe's unique payload pattern, hex (16 bytes = 32 hex digits). */
  marker: string;
  /** TCP: the SYN's sequence number (its replies carry no payload, so they are matched by ack). */
  tcpSeq?: number;
}

export interface EthernetHeader {
  src: string;
  /** Absent when the capture did not carry it (cooked captures keep the sender's MAC only). */
  dst?: string;
  /** The destination MAC was not captured but follows from where the frame was delivered. */
  dstInferred?: boolean;
  /** EtherType, e.g. 0x0800 IPv4, 0x0806 ARP. */
  type: number;
}

export interface ArpHeader {
  op: 'request' | 'reply' | 'other';
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export interface Ipv4Header {
  src: string;
  dst: string;
  ttl: number;
  id: number;
  /** IANA protocol number: 1 icmp, 6 tcp, 17 udp. */
  protocol: number;
  length: number;
}

export interface IcmpHeader {
  type: number;
  code: number;
  /** Words like "echo-request", "destination-unreachable (port)". */
  name: string;
  id?: number;
  seq?: number;
}

export interface PortsHeader {
  src: number;
  dst: number;
}

export interface TcpHeader extends PortsHeader {
  flags: string;
  seq: number;
  ack: number;
}

/** Decoded headers, outermost first. `inner` is what a VXLAN carries; `quoted` what an ICMP error quotes. */
export interface Headers {
  ethernet?: EthernetHeader;
  vlan?: { id: number };
  arp?: ArpHeader;
  ipv4?: Ipv4Header;
  icmp?: IcmpHeader;
  udp?: PortsHeader;
  tcp?: TcpHeader;
  vxlan?: { vni: number };
  inner?: Headers;
  quoted?: Headers;
}

export type Direction = 'in' | 'out';

/** One packet seen at one interface of one node, on the kernel's clock. */
export interface Sighting {
  node: string;
  interface: string;
  direction: Direction;
  /** The kernel's packet type: host, broadcast, multicast, otherhost (not for us), outgoing. */
  packetType: 'host' | 'broadcast' | 'multicast' | 'otherhost' | 'outgoing' | 'other';
  /** Kernel timestamp: seconds and nanoseconds since the epoch. */
  sec: number;
  nsec: number;
  headers: Headers;
  /** The probe's marker is in the packet (anywhere: payload, VXLAN inner packet, ICMP error quote). */
  marked: boolean;
  /** Bytes on the wire. */
  length: number;
}

/** One `nft monitor trace` packet: every rule it met in one namespace, in order. */
export interface NftTrace {
  node: string;
  id: string;
  /** Hook family and chain kinds as nft names them: the first line's table and chain. */
  iif?: string;
  oif?: string;
  ipId?: number;
  src?: string;
  dst?: string;
  steps: NftStep[];
}

export interface NftStep {
  family: string;
  table: string;
  chain: string;
  /** The rule as nft prints it (absent for a chain's policy). */
  rule?: string;
  /** accept, drop, continue, jump X, return, reject, queue... (nft's word). */
  verdict: string;
  policy: boolean;
  /** The interfaces of the hook this step ran in (from the packet line nft printed for it). */
  iif?: string;
  oif?: string;
}

/** One line of `ip monitor neigh`: an ARP cache entry (with `ip`), or a bridge fdb entry (without). */
export interface NeighbourEvent {
  node: string;
  /** When the monitor read it (wall clock, the captures' clock, microseconds). */
  sec: number;
  nsec: number;
  ip?: string;
  dev: string;
  mac?: string;
  /** REACHABLE, STALE, FAILED, PERMANENT... (the kernel's NUD state; NONE when it said none). */
  state: string;
  deleted: boolean;
  /** The monitor's line without its stamp. */
  line: string;
}

export interface ConntrackTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  /** ICMP id. */
  id?: number;
}

/** One `conntrack -E` event: a connection entry's original and reply tuples. */
export interface ConntrackEvent {
  node: string;
  sec: number;
  nsec: number;
  event: 'NEW' | 'UPDATE' | 'DESTROY';
  protocol: string;
  original: ConntrackTuple;
  reply: ConntrackTuple;
  line: string;
}

// ---------- the journey ----------

export type Leg = 'arp' | 'request' | 'reply' | 'error';

export type ChangeKind = 'mac-rewrite' | 'ttl' | 'snat' | 'dnat' | 'port-snat' | 'port-dnat' | 'encapsulated' | 'decapsulated' | 'vlan';

export interface Change {
  kind: ChangeKind;
  /** header.field, e.g. "ipv4.src", "ethernet.src", "ipv4.ttl". */
  field: string;
  from: string;
  to: string;
  text: string;
}

export type WhyKind = 'route' | 'fdb' | 'flood' | 'rule' | 'nat' | 'conntrack' | 'neighbour' | 'local' | 'sent' | 'wire';

export interface Why {
  kind: WhyKind;
  text: string;
  /** The route (`dst via gw dev if`), fdb entry, nft rule or conntrack entry that decided, as the kernel shows it. */
  detail?: string;
}

export interface JourneyEvent {
  /** Nanoseconds since the journey's first sighting. */
  t: number;
  leg: Leg;
  /** What kind of packet: "arp request", "icmp echo-request", "tcp SYN", "udp", "icmp destination-unreachable"... */
  type: string;
  at: { node: string; interface: string; direction: Direction };
  /** Where it was just before (the node that sent it across a wire, or this node's way in). */
  from?: { node: string; interface: string };
  headers: Headers;
  /** What differs from this packet's previous sighting on the same leg. */
  changes: Change[];
  why: Why[];
  /** This copy is one of several a bridge sent out (flooded). */
  flooded?: boolean;
}

export interface Evidence {
  kind: 'rule' | 'icmp-error' | 'neighbour' | 'diagnosis' | 'probe' | 'no-sighting';
  text: string;
  node?: string;
  detail?: string;
}

export interface JourneyDrop {
  /** Where it was last seen (or the source, when it never left). */
  node: string;
  interface?: string;
  leg: 'request' | 'reply';
  evidence: Evidence[];
}

export interface Journey {
  lab: string;
  from: string;
  to: string;
  /** The address the probe was sent to. */
  target?: string;
  probe: ProbeSpec;
  /** Wall-clock time of the first sighting (ISO 8601). */
  startedAt?: string;
  events: JourneyEvent[];
  /** The request reached the target node. */
  delivered: boolean;
  /** A reply came back to the source. */
  replied: boolean;
  drop?: JourneyDrop;
  /** Namespaces whose collectors were armed. */
  armed: string[];
  /** false when something in the lab interfered (forged marker packets, a collector or trace table gone, output cut). */
  reliable: boolean;
  warnings: string[];
  /** What nslab could not watch here, said rather than failed (e.g. conntrack events not available). */
  notes?: string[];
  /** Names the merged capture of this trace (GET /labs/:lab/trace/:id/pcapng) while the server keeps it. */
  id?: string;
  /** The diagnosis walker's words for the same path (its problem, if any). */
  diagnosis?: { ok: boolean; problem?: { node: string; interface?: string; cause: string; message: string } };
}
