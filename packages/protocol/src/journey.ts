// A probe's journey (POST /api/v1/labs/:lab/trace) as the server sends it and the web draws it:
// TypeBox schemas (the route's request and response schema, and the OpenAPI document), held to the
// model's types in both directions by the checks at the end, so neither can drift.
import { Type, type Static } from 'typebox';
import type { Journey as ModelJourney } from '@nslab/model';

const Opt = Type.Optional;
const Str = Type.String();
const Int = Type.Integer();

export const TraceBody = Type.Object(
  {
    from: Type.String({ minLength: 1, maxLength: 64, description: 'a node name, or "host"' }),
    to: Type.String({ minLength: 1, maxLength: 64, description: 'a node name or an IPv4 address' }),
    protocol: Opt(Type.Union([Type.Literal('icmp'), Type.Literal('tcp'), Type.Literal('udp')], { description: 'icmp (the default), tcp or udp' })),
    port: Opt(Type.Integer({ description: 'the destination port of a tcp or udp probe (1-65535)' })),
  },
  { additionalProperties: false },
);
export type TraceBody = Static<typeof TraceBody>;

const Ethernet = Type.Object({ src: Str, dst: Opt(Str), dstInferred: Opt(Type.Boolean()), type: Int });
const Arp = Type.Object({ op: Type.Union([Type.Literal('request'), Type.Literal('reply'), Type.Literal('other')]), senderMac: Str, senderIp: Str, targetMac: Str, targetIp: Str });
const Ipv4 = Type.Object({ src: Str, dst: Str, ttl: Int, id: Int, protocol: Int, length: Int });
const Icmp = Type.Object({ type: Int, code: Int, name: Str, id: Opt(Int), seq: Opt(Int) });
const Ports = Type.Object({ src: Int, dst: Int });
const Tcp = Type.Object({ src: Int, dst: Int, flags: Str, seq: Int, ack: Int });

const HeaderFields = {
  ethernet: Opt(Ethernet),
  vlan: Opt(Type.Object({ id: Int })),
  arp: Opt(Arp),
  ipv4: Opt(Ipv4),
  icmp: Opt(Icmp),
  udp: Opt(Ports),
  tcp: Opt(Tcp),
  vxlan: Opt(Type.Object({ vni: Int })),
};
// One level of nesting each (a VXLAN's packet, an ICMP error's quote): what nslab decodes.
const InnerHeaders = Type.Object({ ...HeaderFields, inner: Opt(Type.Object(HeaderFields)), quoted: Opt(Type.Object(HeaderFields)) });
export const JourneyHeaders = Type.Object({ ...HeaderFields, inner: Opt(InnerHeaders), quoted: Opt(InnerHeaders) }, { description: 'decoded headers, outermost first' });

const Direction = Type.Union([Type.Literal('in'), Type.Literal('out')]);
const Leg = Type.Union([Type.Literal('arp'), Type.Literal('request'), Type.Literal('reply'), Type.Literal('error')]);
const Place = Type.Object({ node: Str, interface: Str });

export const JourneyChange = Type.Object({
  kind: Type.Union([
    Type.Literal('mac-rewrite'), Type.Literal('ttl'), Type.Literal('snat'), Type.Literal('dnat'), Type.Literal('port-snat'),
    Type.Literal('port-dnat'), Type.Literal('encapsulated'), Type.Literal('decapsulated'), Type.Literal('vlan'),
  ]),
  field: Type.String({ description: 'header.field, e.g. ipv4.src' }),
  from: Str,
  to: Str,
  text: Str,
});

export const JourneyWhy = Type.Object({
  kind: Type.Union([Type.Literal('route'), Type.Literal('fdb'), Type.Literal('flood'), Type.Literal('rule'), Type.Literal('nat'), Type.Literal('conntrack'), Type.Literal('neighbour'), Type.Literal('local'), Type.Literal('sent'), Type.Literal('wire')]),
  text: Str,
  detail: Opt(Type.String({ description: 'the route, fdb entry, rule or conntrack entry as the kernel shows it' })),
});

export const JourneyEvent = Type.Object({
  t: Type.Number({ description: 'nanoseconds since the first sighting (kernel clock)' }),
  leg: Leg,
  type: Str,
  at: Type.Object({ node: Str, interface: Str, direction: Direction }),
  from: Opt(Place),
  headers: JourneyHeaders,
  changes: Type.Array(JourneyChange),
  why: Type.Array(JourneyWhy),
  flooded: Opt(Type.Boolean()),
});

export const JourneyEvidence = Type.Object({
  kind: Type.Union([Type.Literal('rule'), Type.Literal('icmp-error'), Type.Literal('neighbour'), Type.Literal('diagnosis'), Type.Literal('probe'), Type.Literal('no-sighting')]),
  text: Str,
  node: Opt(Str),
  detail: Opt(Str),
});

export const Journey = Type.Object({
  lab: Str,
  from: Str,
  to: Str,
  target: Opt(Str),
  probe: Type.Object({
    protocol: Type.Union([Type.Literal('icmp'), Type.Literal('tcp'), Type.Literal('udp')]),
    port: Opt(Int),
    marker: Type.String({ description: "the probe's payload pattern, hex" }),
    tcpSeq: Opt(Int),
  }),
  startedAt: Opt(Str),
  events: Type.Array(JourneyEvent),
  delivered: Type.Boolean(),
  replied: Type.Boolean(),
  drop: Opt(Type.Object({ node: Str, interface: Opt(Str), leg: Type.Union([Type.Literal('request'), Type.Literal('reply')]), evidence: Type.Array(JourneyEvidence) })),
  armed: Type.Array(Str),
  reliable: Type.Boolean({ description: 'false when something in the lab interfered (see warnings)' }),
  warnings: Type.Array(Str),
  notes: Opt(Type.Array(Str, { description: 'what nslab could not watch in this lab (e.g. conntrack events not available), said instead of failing' })),
  id: Opt(Type.String({ description: 'names the merged capture: GET /labs/:lab/trace/:id/pcapng, kept for the last few traces of the lab' })),
  diagnosis: Opt(Type.Object({ ok: Type.Boolean(), problem: Opt(Type.Object({ node: Str, interface: Opt(Str), cause: Str, message: Str })) })),
});
export type Journey = Static<typeof Journey>;

// The schema and the model's type describe the same JSON (a compile error here means one drifted).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameJourney: Same<Journey, ModelJourney> = true;
void sameJourney;
