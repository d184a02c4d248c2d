// `nslab trace <lab> <from> <to> [--icmp | --tcp PORT | --udp PORT] [--json] [--pcap FILE]`: one
// probe with a unique marker, followed through the lab on the real kernel, printed as an event list
// (time, at, from, type) with what changed at each hop and why it went there; --pcap writes the
// merged capture (pcapng, one interface per node/interface) to FILE.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { walk } from '@nslab/labs';
import { recordGuideTrace } from '@nslab/labs/runtime';
import { execInLab, traceLab, TraceInputError, type TraceRequest } from '@nslab/driver';
import type { Headers, Journey, JourneyEvent } from '@nslab/model';

export class TraceUsageError extends Error {}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

function port(v: string, flag: string): number {
  if (!/^[0-9]{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new TraceUsageError(`${flag}: port ${JSON.stringify(v)} must be a number from 1 to 65535`);
  return Number(v);
}

/** Parses the arguments into a request (the lab's name first). */
export function traceRequest(args: string[]): { lab: string; req: TraceRequest; json: boolean; pcap?: string } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { icmp: { type: 'boolean' }, tcp: { type: 'string' }, udp: { type: 'string' }, json: { type: 'boolean' }, pcap: { type: 'string' } },
  });
  const [lab, from, to, extra] = positionals;
  if (!lab) throw new TraceUsageError('missing lab name');
  if (!from) throw new TraceUsageError('missing from (a node)');
  if (!to) throw new TraceUsageError('missing to (a node or an address)');
  if (extra !== undefined) throw new TraceUsageError(`unexpected argument ${JSON.stringify(extra)}`);
  const chosen = [values.icmp && 'icmp', values.tcp !== undefined && 'tcp', values.udp !== undefined && 'udp'].filter(Boolean);
  if (chosen.length > 1) throw new TraceUsageError(`choose one of --icmp, --tcp PORT, --udp PORT (not ${chosen.map((c) => `--${c}`).join(' and ')})`);
  const req: TraceRequest = values.tcp !== undefined
    ? { from, to, protocol: 'tcp', port: port(values.tcp, '--tcp') }
    : values.udp !== undefined
      ? { from, to, protocol: 'udp', port: port(values.udp, '--udp') }
      : { from, to, protocol: 'icmp' };
  if (values.pcap !== undefined && values.pcap.trim() === '') throw new TraceUsageError('--pcap: needs a file name');
  return { lab, req, json: !!values.json, ...(values.pcap !== undefined ? { pcap: values.pcap } : {}) };
}

export async function runTrace(lab: string, req: TraceRequest, onPcapng?: (b: Buffer) => void): Promise<Journey> {
  return traceLab(lab, req, {
    ...(onPcapng ? { onPcapng } : {}),
    // The walk reads the firewalls and NAT rules of the nodes on the way, as `nslab diagnose` does.
    diagnose: (observed) => walk({ exec: (node, argv) => execInLab(lab, node, argv, { timeoutMs: 15_000 }) }, observed, req.from, req.to),
  });
}

export async function traceCmd(args: string[], io: Io): Promise<number> {
  const { lab, req, json, pcap } = traceRequest(args);
  let j: Journey;
  let capture: Buffer | undefined;
  try {
    j = await runTrace(lab, req, pcap !== undefined ? (b) => (capture = b) : undefined);
  } catch (e) {
    if (e instanceof TraceInputError) {
      io.err(`nslab: ${e.message} [${e.rule}]\n`);
      return 2;
    }
    throw e;
  }
  // A guided lab's trace steps are answered from the learner's own traces, this one included.
  try {
    recordGuideTrace(lab, j);
  } catch (e) {
    io.err(`nslab: warning: the trace was not recorded for the lab's guide: ${(e as Error).message}\n`);
  }
  if (pcap !== undefined && capture) {
    writeFileSync(pcap, capture);
    io.err(`nslab: the merged capture (${capture.length} bytes, pcapng) is in ${pcap}\n`);
  }
  io.out(json ? JSON.stringify(j, null, 2) + '\n' : formatJourney(j));
  return j.delivered && j.replied && j.reliable ? 0 : 1;
}

function ms(ns: number): string {
  return (ns / 1e6).toFixed(3).padStart(8);
}

/** The headers of one sighting, outermost first, on one line. */
export function headerLine(h: Headers): string {
  const out: string[] = [];
  if (h.ethernet) out.push(`eth ${h.ethernet.src} > ${h.ethernet.dst ?? '?'}`);
  if (h.vlan) out.push(`vlan ${h.vlan.id}`);
  if (h.arp) out.push(h.arp.op === 'request' ? `arp who-has ${h.arp.targetIp} tell ${h.arp.senderIp}` : `arp ${h.arp.senderIp} is-at ${h.arp.senderMac}`);
  if (h.ipv4) out.push(`ip ${h.ipv4.src} > ${h.ipv4.dst} ttl ${h.ipv4.ttl} id ${h.ipv4.id}`);
  if (h.icmp) out.push(`icmp ${h.icmp.name}${h.icmp.id !== undefined ? ` id ${h.icmp.id} seq ${h.icmp.seq}` : ''}`);
  if (h.udp) out.push(`udp ${h.udp.src} > ${h.udp.dst}`);
  if (h.tcp) out.push(`tcp ${h.tcp.src} > ${h.tcp.dst} [${h.tcp.flags}] seq ${h.tcp.seq}`);
  if (h.vxlan) out.push(`vxlan vni ${h.vxlan.vni}`);
  if (h.inner) out.push(`[ ${headerLine(h.inner)} ]`);
  if (h.quoted) out.push(`quoting [ ${headerLine(h.quoted)} ]`);
  return out.join(' | ');
}

function eventLines(e: JourneyEvent): string[] {
  const at = `${e.at.node}:${e.at.interface} ${e.at.direction === 'in' ? 'in ' : 'out'}`;
  const from = e.from ? `${e.from.node}:${e.from.interface}` : '-';
  const lines = [`${ms(e.t)}  ${at.padEnd(24)} ${from.padEnd(20)} ${e.leg.padEnd(7)} ${e.type}${e.flooded ? ' (flooded)' : ''}`];
  lines.push(`${' '.repeat(10)}${headerLine(e.headers)}`);
  for (const c of e.changes) lines.push(`${' '.repeat(10)}changed: ${c.text}`);
  for (const w of e.why) lines.push(`${' '.repeat(10)}why: ${w.text}`);
  return lines;
}

export function formatJourney(j: Journey): string {
  const out: string[] = [];
  const proto = j.probe.protocol === 'icmp' ? 'ping' : `${j.probe.protocol} port ${j.probe.port}`;
  out.push(`trace ${j.from} -> ${j.to}${j.target && j.target !== j.to ? ` (${j.target})` : ''}: one ${proto}, armed in ${j.armed.join(', ')}`);
  out.push('');
  out.push(`${'ms'.padStart(8)}  ${'at'.padEnd(24)} ${'from'.padEnd(20)} ${'leg'.padEnd(7)} type`);
  for (const e of j.events) out.push(...eventLines(e));
  if (!j.events.length) out.push('  (no packet of the probe was seen)');
  out.push('');
  if (j.delivered && j.replied) out.push(`delivered, and the reply came back to ${j.from}`);
  if (j.drop) {
    out.push(`✗ the ${j.drop.leg} ${j.drop.leg === 'request' ? 'was not delivered' : 'did not come back'}: last seen at ${j.drop.node}${j.drop.interface ? `:${j.drop.interface}` : ''}`);
    for (const e of j.drop.evidence) out.push(`  ${e.kind}: ${e.text.split('\n').join('\n    ')}`);
  }
  if (!j.reliable) {
    out.push('', 'this journey is not reliable:');
    for (const w of j.warnings) out.push(`  ${w}`);
  } else if (j.warnings.length) {
    for (const w of j.warnings) out.push(`note: ${w}`);
  }
  return out.join('\n') + '\n';
}
