// `nslab trace`: send one probe carrying a unique marker through a lab and watch it. Collectors are
// armed in the namespaces the diagnosis walker predicts (all of them in a small lab), under one
// watchdog per namespace (collector.ts): a capture of
// every interface of the namespace (tcpdump on `any`, cooked v2: interface and direction from the
// kernel, link-layer sender, nanosecond kernel timestamps), a temporary nftables trace table that
// marks only the probe, and `nft monitor` reading what the rules did to it. Then the probe goes, the
// collectors stop, and the model turns what they saw into a journey. Everything runs inside the
// lab's sandbox, bounded and timed; the trace table goes with the collector that reads it, whatever
// ends the trace (see collector.ts), and a trace left by a dead process is swept by the next one.
import { randomBytes } from 'node:crypto';
import {
  armedNodes,
  buildJourney,
  checkIp,
  checkNodeName,
  decodeSll2,
  diagnose,
  HOST,
  LINKTYPE_LINUX_SLL2,
  NftTraceReader,
  NeighbourReader,
  ConntrackReader,
  MAX_MONITOR_EVENTS,
  writePcapng,
  parseIp,
  pcapFormat,
  pcapRecord,
  traceRuleset,
  traceTableName,
  type Diagnosis,
  type Journey,
  type ObservedLab,
  type PcapFormat,
  type PcapRecord,
  type ProbeSpec,
  type Sighting,
} from '@nslab/model';
import { getSandbox, type Sandbox } from '../sandbox.ts';
import { mapLimit, observeLab } from '../observe.ts';
import { run } from '../run.ts';
import { PcapFramer } from '../pcap.ts';
import { Collector, type CollectorCommand } from './collector.ts';
import { removeTraceRecord, staleTrace, takeTraceLock } from './lock.ts';

export class TraceInputError extends Error {
  readonly code = 'INVALID_INPUT';
  constructor(readonly field: 'lab' | 'from' | 'to' | 'protocol' | 'port', readonly rule: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'TraceInputError';
  }
}

export interface TraceRequest {
  from: string;
  to: string;
  protocol?: 'icmp' | 'tcp' | 'udp';
  port?: number;
}

export interface TraceOptions {
  /**
   * The lab as it is now, from a view already kept current (the server's live view, refreshed for
   * the probe's ends); else every namespace is read, which for 300 namespaces is most of a trace.
   */
  observe?: (ends: readonly string[]) => Promise<ObservedLab>;
  /** The diagnosis of the path (the server and CLI read the firewalls for it); else the plain walk. */
  diagnose?: (lab: ObservedLab) => Promise<Diagnosis>;
  /** Labs with at most this many nodes are armed whole (default 12). */
  armAllUpTo?: number;
  /** Called with the merged capture (pcapng: every armed namespace's packets in kernel-clock order). */
  onPcapng?: (pcapng: Buffer) => void;
  /** Called with the stages' times (ms), for the benchmark. */
  onTiming?: (stage: string, ms: number) => void;
}

/** Pcap bytes kept per namespace: a probe and its ARP are a few hundred; a flood is cut here. */
const MAX_CAPTURE_BYTES = 4 * 1024 * 1024;
const MAX_MONITOR_BYTES = 1024 * 1024;
/** ip monitor neigh and conntrack -E: a probe makes a few lines; a learner's flood is cut here. */
const MAX_EVENT_BYTES = 256 * 1024;
/** A neighbour the probe's ARP could not resolve goes FAILED ~3 s after the first request (3 probes, 1 s apart). */
const NEIGH_FAILED_WAIT_MS = 3600;
const SNAPLEN = 512;
const START_TIMEOUT_MS = 5000;
const STEP_TIMEOUT_MS = 5000;
/** After the probe program ends: the last packets reach the collectors. */
const SETTLE_MS = 150;
const STOP_GRACE_MS = 3000;
/** How long the probe may wait for its answer. */
const PROBE_TIMEOUT_MS = 4000;

/** Only the packets a probe can be (or need: ARP), so a busy lab costs the capture little. */
const CAPTURE_FILTER = 'arp or icmp or udp or tcp';

/** One armed namespace: its watchdog and what its collectors said. */
interface Watch {
  node: string;
  c: Collector;
  framer: PcapFramer;
  records: Buffer[];
  header?: Buffer;
  bad?: string;
  reader: NftTraceReader;
  nftBuf: string;
  added: boolean;
  deleted: boolean;
  neigh: NeighbourReader;
  /** Command index of conntrack -E, when it runs here. */
  ctAt?: number;
  ct?: ConntrackReader;
}

/** A namespace NAT may happen in: it forwards, or its iptables has NAT rules (when they were read). */
function mayNat(n: ObservedLab['nodes'][number] | undefined): boolean {
  if (!n) return false;
  return n.sysctls['net.ipv4.ip_forward'] === '1' || !!n.iptables?.some((r) => /\b(MASQUERADE|SNAT|DNAT)\b|-t nat/.test(r));
}

interface Decoded {
  s: Sighting;
  r: PcapRecord;
}

/** What a namespace's capture saw so far, decoded (nothing when it is not the cooked v2 nslab asked for). */
function decodeWatch(w: Watch, lab: ObservedLab, marker: Buffer, vxlanPorts: Set<number>): Decoded[] {
  const f: PcapFormat | null = w.header ? pcapFormat(w.header) : null;
  if (!f || f.linktype !== LINKTYPE_LINUX_SLL2) return [];
  const node = lab.nodes.find((n) => n.name === w.node);
  const byIndex = new Map((node?.interfaces ?? []).filter((i) => !i.unsafeName).map((i) => [i.ifindex, i.name]));
  const ctx = { node: w.node, ifname: (i: number) => byIndex.get(i), marker, vxlanPorts };
  const out: Decoded[] = [];
  for (const rec of w.records) {
    const r = pcapRecord(rec, f);
    const s = r && decodeSll2(r, ctx);
    if (r && s) out.push({ s, r });
  }
  return out;
}

/** ARP requests a namespace sent (not a bridge's copies) that no reply answered: [node, ip]. */
function unansweredArp(lab: ObservedLab, seen: { node: string; sightings: Decoded[] }[]): [string, string][] {
  const out: [string, string][] = [];
  for (const { node, sightings } of seen) {
    const ifs = lab.nodes.find((n) => n.name === node)?.interfaces ?? [];
    const isPort = (i: string) => { const m = ifs.find((x) => x.name === i)?.master; return !!m && ifs.find((x) => x.name === m)?.kind === 'bridge'; };
    const asked = new Set<string>();
    const answered = new Set<string>();
    for (const { s } of sightings) {
      const a = s.headers.arp;
      if (a?.op === 'request' && s.direction === 'out' && !isPort(s.interface)) asked.add(a.targetIp);
      if (a?.op === 'reply' && s.direction === 'in') answered.add(a.senderIp);
    }
    for (const ip of asked) if (!answered.has(ip)) out.push([node, ip]);
  }
  return out.slice(0, 8);
}

function checkRequest(req: TraceRequest): void {
  if (req.from !== HOST) {
    const why = checkNodeName(req.from);
    if (why) throw new TraceInputError('from', 'node-name', `${JSON.stringify(req.from)} ${why}`);
  }
  if (/^[0-9.]+$/.test(req.to) || req.to.includes(':')) {
    const why = checkIp(req.to);
    if (why) throw new TraceInputError('to', 'ip', why);
    if (parseIp(req.to)?.family !== 4) throw new TraceInputError('to', 'family', `${req.to} is IPv6: nslab traces IPv4 only`);
  } else if (req.to !== HOST) {
    const why = checkNodeName(req.to);
    if (why) throw new TraceInputError('to', 'node-name', `${JSON.stringify(req.to)} is neither a node name nor an IPv4 address: ${why}`);
  }
  const protocol = req.protocol ?? 'icmp';
  if (!['icmp', 'tcp', 'udp'].includes(protocol)) throw new TraceInputError('protocol', 'enum', `${JSON.stringify(protocol)} is not icmp, tcp or udp`);
  if (protocol === 'icmp' && req.port !== undefined) throw new TraceInputError('port', 'unexpected', 'an ICMP probe has no port (use tcp or udp)');
  if (protocol !== 'icmp' && (req.port === undefined || !Number.isInteger(req.port) || req.port < 1 || req.port > 65535)) {
    throw new TraceInputError('port', 'range', `a ${protocol} probe needs a port from 1 to 65535${req.port !== undefined ? `, not ${JSON.stringify(req.port)}` : ''}`);
  }
}

/** argv in a node of the sandbox, contained (whatever it leaves running ends with it). */
function inNode(sb: Sandbox, node: string, argv: string[]): string[] {
  return sb.enterContained(node === HOST ? argv : ['nsenter', `--net=/run/netns/${node}`, '--', ...argv]);
}

/** Remove what a trace whose process died left: its trace table, by its exact name, in each node it armed. */
export async function sweepStaleTrace(lab: string): Promise<boolean> {
  const rec = staleTrace(lab);
  if (!rec) return false;
  const sb = getSandbox(lab);
  if (/^nslab_trace_[0-9a-f]{8}$/.test(rec.table)) {
    await mapLimit(rec.nodes.filter((n) => n === HOST || checkNodeName(n) === null), 8, (n) =>
      run(inNode(sb, n, ['nft', 'delete', 'table', 'inet', rec.table]), { timeoutMs: STEP_TIMEOUT_MS, maxOutput: 4096 }));
  }
  removeTraceRecord(lab);
  return true;
}

function probeArgv(spec: ProbeSpec, markerText: string, target: string): { argv: string[]; input?: string } {
  switch (spec.protocol) {
    case 'icmp':
      // ping repeats the pattern after its 16-byte timestamp: the marker sits at payload offset 16.
      return { argv: ['ping', '-n', '-c', '1', '-W', '2', '-p', spec.marker, target] };
    case 'udp':
      return { argv: ['socat', '-u', 'STDIN', `UDP4-SENDTO:${target}:${spec.port}`], input: markerText };
    case 'tcp':
      // A SYN carrying the marker as its data, with a sequence number of ours: the answer (SYN-ACK
      // or RST) has no payload, but acknowledges that number.
      return { argv: ['hping3', '-n', '-c', '1', '-S', '-p', String(spec.port), '-M', String(spec.tcpSeq), '-d', String(markerText.length), '--sign', markerText, target] };
  }
}

export async function traceLab(name: string, req: TraceRequest, opts: TraceOptions = {}): Promise<Journey> {
  const why = checkNodeName(name);
  if (why) throw new TraceInputError('lab', 'lab-name', `${JSON.stringify(name)} ${why}`);
  checkRequest(req);
  const t0 = performance.now();
  const lap = (stage: string, since: number) => opts.onTiming?.(stage, performance.now() - since);
  const sb = getSandbox(name);
  await sweepStaleTrace(name);

  let t = performance.now();
  const lab = opts.observe ? await opts.observe([req.from, req.to]) : await observeLab(sb);
  lap('observe', t);
  const fromNode = lab.nodes.find((n) => n.name === req.from && !n.unsafeName);
  if (!fromNode) throw new TraceInputError('from', 'unknown-node', `lab "${name}" has no node "${req.from}" (nodes: ${lab.nodes.filter((n) => !n.unsafeName).map((n) => n.name).join(', ')})`);
  if (!parseIp(req.to) && !lab.nodes.some((n) => n.name === req.to && !n.unsafeName)) {
    throw new TraceInputError('to', 'unknown-node', `lab "${name}" has no node "${req.to}", and it is not an IP address`);
  }
  t = performance.now();
  const diagnosis = opts.diagnose ? await opts.diagnose(lab) : diagnose(lab, req.from, req.to);
  lap('diagnose', t);
  const target = diagnosis.target?.address ?? (parseIp(req.to) ? req.to : undefined);
  if (!target) throw new TraceInputError('to', 'no-address', `${req.to} has no IPv4 address to send the probe to`);
  const armed = armedNodes(lab, diagnosis, req.from, opts.armAllUpTo);

  const table = traceTableName(randomBytes(4).toString('hex'));
  const markerText = randomBytes(8).toString('hex');
  const protocol = req.protocol ?? 'icmp';
  const spec: ProbeSpec = {
    protocol,
    ...(req.port !== undefined ? { port: req.port } : {}),
    marker: Buffer.from(markerText, 'ascii').toString('hex'),
    ...(protocol === 'tcp' ? { tcpSeq: randomBytes(4).readUInt32BE(0) } : {}),
  };
  const marker = Buffer.from(markerText, 'ascii');
  const vxlanPorts = new Set([4789, 8472]);
  for (const n of lab.nodes) for (const i of n.interfaces) if (i.kind === 'vxlan' && typeof i.details?.dstport === 'number') vxlanPorts.add(i.details.dstport);

  const release = takeTraceLock(name, table, armed);
  const warnings: string[] = [];
  const ruleset = traceRuleset(table, spec.marker);
  const watches: Watch[] = [];
  try {
    t = performance.now();
    // One watchdog per namespace runs its collectors (collector.ts): the capture first (it loads the
    // trace table once the capture listens), nft monitor (its table's creation proves it listens).
    for (const node of armed) {
      const w = { node, framer: new PcapFramer(), records: [] as Buffer[], reader: new NftTraceReader(node), nftBuf: '', added: false, deleted: false, neigh: new NeighbourReader(node) } as Watch;
      const commands: CollectorCommand[] = [
        {
          argv: ['tcpdump', '-Z', 'tcpdump', '-p', '-n', '-i', 'any', '-y', 'LINUX_SLL2', '--immediate-mode', '-U', '-B', '1024', '-s', String(SNAPLEN), '--time-stamp-precision=nano', '-w', '-', '--', CAPTURE_FILTER],
          maxBytes: MAX_CAPTURE_BYTES,
          onData: (b) => {
            if (w.bad) return;
            try {
              const chunk = w.framer.push(b);
              if (chunk.header) w.header = chunk.header;
              w.records.push(...chunk.records);
            } catch (e) {
              w.bad = (e as Error).message;
            }
          },
        },
        {
          argv: ['nft', 'monitor'],
          maxBytes: MAX_MONITOR_BYTES,
          onData: (b) => {
            w.nftBuf += b.toString('utf8');
            const lines = w.nftBuf.split('\n');
            w.nftBuf = lines.pop()!.slice(-4096);
            for (const l of lines) {
              if (l.startsWith('trace id ')) w.reader.push(l);
              else if (l.startsWith(`add table inet ${table}`)) w.added = true;
              else if (l.startsWith(`delete table inet ${table}`)) w.deleted = true;
            }
          },
        },
        {
          // ARP entries resolved or FAILED, and (for bridge ports) MACs learned: its stamps are
          // local time, so it runs in UTC.
          argv: ['env', 'TZ=UTC0', 'ip', '-ts', '-o', 'monitor', 'neigh'],
          maxBytes: MAX_EVENT_BYTES,
          onData: (b) => w.neigh.push(b.toString('utf8')),
        },
      ];
      if (mayNat(lab.nodes.find((n) => n.name === node))) {
        const ct = new ConntrackReader(node);
        w.ct = ct;
        w.ctAt = commands.length;
        commands.push({ argv: ['conntrack', '-E', '-o', 'timestamp'], maxBytes: MAX_EVENT_BYTES, onData: (b) => ct.push(b.toString('utf8')) });
      }
      w.c = new Collector(sb, node, commands, { ruleset, cleanup: ['nft', 'delete', 'table', 'inet', table] });
      watches.push(w);
    }
    // Per namespace: the capture listening (the trace fails without it), then the trace table loaded.
    const loads = await Promise.all(watches.map(async (w) => {
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([w.c.loaded, new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), START_TIMEOUT_MS)))]);
      clearTimeout(timer);
      if (r === null || r === 'timeout' || w.c.exits.has(0)) {
        const said = w.c.stderr(0).trim().split('\n').at(-1) || w.c.chainStderr.trim().split('\n').at(-1);
        throw new Error(`the capture in ${w.node} did not start: ${said || (r === 'timeout' ? 'no answer in 5 s' : 'tcpdump exited')}`);
      }
      return r;
    }));
    loads.forEach((r, k) => {
      if (r.code !== 0) warnings.push(`no firewall trace in ${armed[k]}: nft said ${(r.output.trim().split('\n')[0] ?? '').slice(0, 200) || `exit ${r.code}`}`);
    });
    lap('armed', t);
    t = performance.now();
    // The monitor printing our table's creation proves it was listening before the probe.
    const until = Date.now() + 1000;
    while (watches.some((w, k) => loads[k]!.code === 0 && !w.added) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    lap('nft', t);

    t = performance.now();
    const p = probeArgv(spec, markerText, target);
    const probe = await run(inNode(sb, req.from, p.argv), { timeoutMs: PROBE_TIMEOUT_MS, maxOutput: 64 * 1024, ...(p.input !== undefined ? { input: p.input } : {}) });
    lap('probe', t);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    if (probe.code !== 0) {
      // An ARP nobody answered: wait (bounded) for the kernel to call the neighbour FAILED, the drop's evidence.
      const waitFor = unansweredArp(lab, watches.map((w) => ({ node: w.node, sightings: decodeWatch(w, lab, marker, vxlanPorts) })));
      const until = t + NEIGH_FAILED_WAIT_MS;
      const failed = () => waitFor.every(([n, ip]) => watches.some((w) => w.node === n && w.neigh.list().some((e) => e.ip === ip && e.state === 'FAILED')));
      while (waitFor.length && !failed() && performance.now() < until) await new Promise((r) => setTimeout(r, 25));
    }

    t = performance.now();
    for (const w of watches) {
      if (w.c.ended) warnings.push(`the collectors in ${w.node} ended during the trace (killed?): what they would have seen is missing`);
      else {
        if (w.c.exits.has(0) && !w.c.capped.has(0)) warnings.push(`the capture in ${w.node} ended during the trace (killed?): what it would have seen is missing`);
        if (w.c.exits.has(1) && !w.c.capped.has(1)) warnings.push(`the nft monitor in ${w.node} ended during the trace (killed?): what it would have seen is missing`);
        if (w.c.exits.has(2) && !w.c.capped.has(2)) warnings.push(`the neighbour monitor in ${w.node} ended during the trace (killed?): what it would have seen is missing`);
      }
    }
    await Promise.all(watches.map((w) => w.c.finish(STOP_GRACE_MS)));
    lap('stop', t);

    // ---- what they saw ----
    t = performance.now();
    const notes: string[] = [];
    for (const w of watches) {
      if (w.c.capped.has(2) || w.neigh.dropped > 0) warnings.push(`the neighbour monitor in ${w.node} said more than nslab reads (${MAX_EVENT_BYTES} bytes, ${MAX_MONITOR_EVENTS} events; a flood?): the rest was not read`);
      if (w.ctAt === undefined || !w.ct) continue;
      const said = w.c.stderr(w.ctAt).trim().split('\n')[0]?.slice(0, 200) ?? '';
      const st = w.c.exits.get(w.ctAt);
      // conntrack -E ends by itself only when it cannot listen (not installed, refused in this user namespace).
      if (st !== undefined && w.ct.list().length === 0 && !w.c.capped.has(w.ctAt)) {
        notes.push(`conntrack events are not available in ${w.node}: ${st >> 8 === 127 ? 'the conntrack command is not installed (Debian package conntrack)' : `conntrack said ${JSON.stringify(said || `exit ${st >> 8}`)}`}; NAT is shown from the packets only`);
      } else if (w.c.capped.has(w.ctAt) || w.ct.dropped > 0) {
        warnings.push(`conntrack in ${w.node} said more than nslab reads (${MAX_EVENT_BYTES} bytes, ${MAX_MONITOR_EVENTS} events; a flood?): the rest was not read`);
      }
    }
    const sightings: Sighting[] = [];
    const seenRecords: Decoded[] = [];
    for (const cap of watches) {
      if (cap.deleted) warnings.push(`the trace table in ${cap.node} was deleted during the trace: its firewall evidence is missing`);
      if (cap.c.capped.has(1)) warnings.push(`the nft monitor in ${cap.node} wrote more than ${MAX_MONITOR_BYTES} bytes: the rest was not read`);
      if (cap.c.bad) warnings.push(`the collectors' pipe in ${cap.node} carried ${cap.c.bad}: the rest was not read`);
      else if (cap.c.truncated) warnings.push(`the collectors in ${cap.node} wrote more than nslab reads: the rest was not read`);
      if (cap.bad) warnings.push(`the capture in ${cap.node} was not pcap (${cap.bad}): the rest was not read`);
      if (cap.c.capped.has(0)) warnings.push(`the capture in ${cap.node} passed ${MAX_CAPTURE_BYTES} bytes (a flood?): the rest was not read`);
      if (cap.header && pcapFormat(cap.header)?.linktype !== LINKTYPE_LINUX_SLL2) warnings.push(`the capture in ${cap.node} is not in the cooked v2 format nslab asked for`);
      for (const x of decodeWatch(cap, lab, marker, vxlanPorts)) {
        sightings.push(x.s);
        seenRecords.push(x);
      }
    }
    if (opts.onPcapng) {
      opts.onPcapng(writePcapng(seenRecords.map(({ s, r }) => ({ node: s.node, interface: s.interface, sec: r.sec, nsec: r.nsec, data: r.data, length: r.length })), SNAPLEN));
    }
    const journey = buildJourney({
      lab,
      from: req.from,
      to: req.to,
      target,
      probe: spec,
      sightings,
      nft: watches.flatMap((m) => m.reader.traces()),
      diagnosis,
      probeOk: probe.code === 0,
      probeOutput: (probe.stdout + probe.stderr).slice(0, 2000),
      armed,
      warnings,
      neighbours: watches.flatMap((w) => w.neigh.list()),
      conntrack: watches.flatMap((w) => w.ct?.list() ?? []),
      notes,
    });
    lap('journey', t);
    opts.onTiming?.('total', performance.now() - t0);
    return journey;
  } finally {
    await Promise.all(watches.map((w) => w.c.finish(STOP_GRACE_MS)));
    // A watchdog that had to be killed did not remove its table: remove it here, by its name.
    const leftover = watches.filter((w) => !w.c.done).map((w) => w.node);
    await mapLimit(leftover, 8, (node) => run(inNode(sb, node, ['nft', 'delete', 'table', 'inet', table]), { timeoutMs: STEP_TIMEOUT_MS, maxOutput: 4096 }));
    release();
  }
}
