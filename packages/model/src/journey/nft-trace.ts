// `nft monitor trace` text -> which rules a traced packet met, per namespace, and the nftables
// trace table nslab loads to mark the probe. The text comes from inside the lab (its root may have
// replaced nft), so lines are length-capped and anything that does not read as a trace line is
// ignored.
import type { NftStep, NftTrace } from './types.ts';

/** Our own tables: `nslab_trace_` + 8 hex digits, commented as nslab's. */
export const TRACE_TABLE_PREFIX = 'nslab_trace_';
export const TRACE_TABLE_COMMENT = 'nslab trace: temporary, removed when the trace ends';
const MAX_LINE = 2048;
const MAX_STEPS = 64;

export function traceTableName(id: string): string {
  if (!/^[0-9a-f]{8}$/.test(id)) throw new Error(`trace id ${JSON.stringify(id)} is not 8 hex digits`);
  return `${TRACE_TABLE_PREFIX}${id}`;
}

export function isTraceTableName(name: string): boolean {
  return /^nslab_trace_[0-9a-f]{8}$/.test(name);
}

/**
 * Byte offsets, from the start of the transport header, where the marker may sit: an ICMP echo
 * (8-byte header, then ping's 16-byte timestamp), UDP and TCP payloads (hping3 sends no TCP
 * options), an ICMP error quoting our echo (8 + 20 + 8 + 16), and a VXLAN carrying an echo
 * (8 UDP + 8 VXLAN + 14 Ethernet + 20 IP + 8 ICMP + 16).
 */
const MARKER_OFFSETS: Record<string, number[]> = {
  icmp: [24, 52],
  udp: [8, 36],
  tcp: [20, 48],
  vxlan: [74],
};

/**
 * The trace table for a probe's marker: its chains run before conntrack and every other table
 * (priority -350) and set nftrace on the probe only, so `nft monitor trace` shows the rules that
 * one packet meets. The name is new for every trace, so no table of the lab's is ever touched.
 */
export function traceRuleset(table: string, marker: string): string {
  if (!isTraceTableName(table)) throw new Error(`${JSON.stringify(table)} is not a trace table name`);
  if (!/^[0-9a-f]{32}$/.test(marker)) throw new Error('the marker must be 16 bytes of hex');
  const offsets = [...new Set(Object.values(MARKER_OFFSETS).flat())].sort((a, b) => a - b);
  const rules = offsets.map((o) => `    @th,${o * 8},128 0x${marker} meta nftrace set 1`).join('\n');
  const chain = (name: string, hook: string) => `  chain ${name} {\n    type filter hook ${hook} priority -350; policy accept;\n${rules}\n  }`;
  return [
    `table inet ${table} {`,
    `  comment "${TRACE_TABLE_COMMENT}"`,
    chain('pre', 'prerouting'),
    chain('out', 'output'),
    '}',
    '',
  ].join('\n');
}

const LINE = /^trace id ([0-9a-f]{1,8}) ([a-z0-9_]+) ([A-Za-z0-9_./\\-]{1,64}) ([A-Za-z0-9_./\\-]{1,64}) (.*)$/;

/**
 * Reads trace lines of one namespace into traces (by trace id, in order). Steps in nslab's own
 * table are left out (they only mark the packet); its `packet:` line gives the headers.
 */
export class NftTraceReader {
  private readonly byId = new Map<string, NftTrace>();
  private readonly hook = new Map<string, { iif?: string; oif?: string }>();
  lines = 0;
  ignored = 0;

  constructor(readonly node: string, readonly maxTraces = 256) {}

  push(raw: string): void {
    this.lines++;
    const line = raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw;
    const m = LINE.exec(line.trimEnd());
    if (!m) {
      this.ignored++;
      return;
    }
    const [, id, family, table, chain, rest] = m as unknown as [string, string, string, string, string, string];
    let t = this.byId.get(id);
    if (!t) {
      if (this.byId.size >= this.maxTraces) {
        this.ignored++;
        return;
      }
      t = { node: this.node, id, steps: [] };
      this.byId.set(id, t);
    }
    if (rest.startsWith('packet: ')) {
      const p = rest.slice(8);
      const iif = /\biif "([^"]{1,15})"/.exec(p)?.[1];
      const oif = /\boif "([^"]{1,15})"/.exec(p)?.[1];
      const src = /\bip saddr (\d{1,3}(?:\.\d{1,3}){3})\b/.exec(p)?.[1];
      const dst = /\bip daddr (\d{1,3}(?:\.\d{1,3}){3})\b/.exec(p)?.[1];
      const ipId = /\bip id (\d{1,5})\b/.exec(p)?.[1];
      // Each hook prints its own packet line: its interfaces go with the steps that follow.
      this.hook.set(id, { ...(iif ? { iif } : {}), ...(oif ? { oif } : {}) });
      if (iif && t.iif === undefined) t.iif = iif;
      if (oif && t.oif === undefined) t.oif = oif;
      if (src && t.src === undefined) t.src = src;
      if (dst && t.dst === undefined) t.dst = dst;
      if (ipId && t.ipId === undefined) t.ipId = Number(ipId);
      return;
    }
    if (isTraceTableName(table)) return;
    if (t.steps.length >= MAX_STEPS) return;
    let step: NftStep | undefined;
    const rule = /^rule (.*) \(verdict ([a-z]+(?: [A-Za-z0-9_.-]+)?)\)$/.exec(rest);
    const policy = /^policy ([a-z]+)$/.exec(rest.trim());
    const verdict = /^verdict ([a-z]+(?: [A-Za-z0-9_.-]+)?)$/.exec(rest.trim());
    if (rule) step = { family, table, chain, rule: rule[1]!, verdict: rule[2]!, policy: false };
    else if (policy) step = { family, table, chain, verdict: policy[1]!, policy: true };
    else if (verdict) step = { family, table, chain, verdict: verdict[1]!, policy: false };
    if (step) t.steps.push({ ...step, ...this.hook.get(id) });
    else this.ignored++;
  }

  traces(): NftTrace[] {
    return [...this.byId.values()];
  }
}

/** The step that threw the packet away (a drop/reject verdict or a DROP policy), if any. */
export function dropStep(t: NftTrace): NftStep | undefined {
  return t.steps.find((s) => s.verdict === 'drop' || s.verdict === 'reject');
}

/** How a step reads to a learner: `ip filter FORWARD: rule "…" drops it`. */
export function describeStep(s: NftStep): string {
  const where = `${s.family} ${s.table} ${s.chain}`;
  const what = s.verdict === 'drop' ? 'drops it' : s.verdict === 'reject' ? 'rejects it' : s.verdict === 'accept' ? 'accepts it' : `says ${s.verdict}`;
  return s.policy ? `chain ${where}: its policy ${what}` : `chain ${where}: rule "${s.rule}" ${what}`;
}
