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
  parseIp,
  pcapFormat,
  pcapRecord,
  traceRuleset,
  traceTableName,
  type Diagnosis,
  type Journey,
  type ObservedLab,
  type PcapFormat,
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
  /** Called with the stages' times (ms), for the benchmark. */
  onTiming?: (stage: string, ms: number) => void;
}

/** Pcap bytes kept per namespace: a probe and its ARP are a few hundred; a flood is cut here. */
const MAX_CAPTURE_BYTES = 4 * 1024 * 1024;
const MAX_MONITOR_BYTES = 1024 * 1024;
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
      const w = { node, framer: new PcapFramer(), records: [] as Buffer[], reader: new NftTraceReader(node), nftBuf: '', added: false, deleted: false } as Watch;
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
      ];
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

    t = performance.now();
    for (const w of watches) {
      if (w.c.ended) warnings.push(`the collectors in ${w.node} ended during the trace (killed?): what they would have seen is missing`);
      else {
        if (w.c.exits.has(0) && !w.c.capped.has(0)) warnings.push(`the capture in ${w.node} ended during the trace (killed?): what it would have seen is missing`);
        if (w.c.exits.has(1) && !w.c.capped.has(1)) warnings.push(`the nft monitor in ${w.node} ended during the trace (killed?): what it would have seen is missing`);
      }
    }
    await Promise.all(watches.map((w) => w.c.finish(STOP_GRACE_MS)));
    lap('stop', t);

    // ---- what they saw ----
    t = performance.now();
    const sightings: Sighting[] = [];
    for (const cap of watches) {
      if (cap.deleted) warnings.push(`the trace table in ${cap.node} was deleted during the trace: its firewall evidence is missing`);
      if (cap.c.capped.has(1)) warnings.push(`the nft monitor in ${cap.node} wrote more than ${MAX_MONITOR_BYTES} bytes: the rest was not read`);
      if (cap.c.bad) warnings.push(`the collectors' pipe in ${cap.node} carried ${cap.c.bad}: the rest was not read`);
      else if (cap.c.truncated) warnings.push(`the collectors in ${cap.node} wrote more than nslab reads: the rest was not read`);
      if (cap.bad) warnings.push(`the capture in ${cap.node} was not pcap (${cap.bad}): the rest was not read`);
      if (cap.c.capped.has(0)) warnings.push(`the capture in ${cap.node} passed ${MAX_CAPTURE_BYTES} bytes (a flood?): the rest was not read`);
      const f: PcapFormat | null = cap.header ? pcapFormat(cap.header) : null;
      if (!f || f.linktype !== LINKTYPE_LINUX_SLL2) {
        if (cap.header) warnings.push(`the capture in ${cap.node} is not in the cooked v2 format nslab asked for`);
        continue;
      }
      const node = lab.nodes.find((n) => n.name === cap.node);
      const byIndex = new Map((node?.interfaces ?? []).filter((i) => !i.unsafeName).map((i) => [i.ifindex, i.name]));
      const ctx = { node: cap.node, ifname: (i: number) => byIndex.get(i), marker, vxlanPorts };
      for (const rec of cap.records) {
        const r = pcapRecord(rec, f);
        const s = r && decodeSll2(r, ctx);
        if (s) sightings.push(s);
      }
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
