// "Why can't A reach B?" on a live lab: observe, read the firewall (filter and NAT) of the nodes on
// the way, walk, then run the real ping so the learner sees whether they agree.
// Pure over a probe (observe + exec), like check.ts.
import { checkIptablesRule, diagnose, nftSuspects, parseIp, rulesFromSave, type Diagnosis, type NatTables, type ObservedLab } from '@nslab/model';
import type { LabProbe } from './check.ts';

export interface LiveDiagnosis extends Diagnosis {
  ping: {
    ok: boolean;
    output: string;
    /** The address pinged, when there was one. */
    address?: string;
  };
}

/**
 * The walk over an observed lab, with the NAT tables of the routers it crossed read through the
 * probe (the one walker behind `nslab diagnose`, the API and the ping checks' hints).
 */
export async function walk(probe: Pick<LabProbe, 'exec'>, lab: ObservedLab, from: string, to: string): Promise<Diagnosis> {
  let d = diagnose(lab, from, to);
  // The firewall of every node the packet meets, read now (rules change with no event): filter
  // rules for the walk, NAT rules for the routers. A walk that gets further meets new nodes.
  const read = new Map<string, string[]>();
  const suspects: string[] = [];
  for (let round = 0; round < 4; round++) {
    const met = [...new Set(d.path.map((h) => h.node))].filter((n) => !read.has(n) && lab.nodes.some((x) => x.name === n && !x.unsafeName));
    if (met.length === 0) break;
    // Reads only: every node's two at once (a check's answer waits for the slowest, not the sum).
    const rules = await Promise.all(
      met.map((n) => Promise.all([probe.exec(n, ['iptables-save']).catch(() => undefined), probe.exec(n, ['nft', '-j', 'list', 'ruleset']).catch(() => undefined)])),
    );
    met.forEach((n, k) => {
      const [r, nft] = rules[k]!;
      read.set(n, r && r.code === 0 ? rulesFromSave(r.stdout).filter((rule) => checkIptablesRule(rule) === null) : []);
      if (nft && nft.code === 0) suspects.push(...nftSuspects(nft.stdout, n === 'host' ? 'the lab host' : n));
    });
    lab = { ...lab, nodes: lab.nodes.map((n) => (read.has(n.name) ? { ...n, iptables: read.get(n.name)! } : n)) };
    const nat: NatTables = {};
    for (const [n, rules] of read) nat[n] = rules.filter((r) => r.startsWith('-t nat ')).map((r) => r.slice('-t nat '.length)).join('\n');
    d = diagnose(lab, from, to, nat);
  }
  return suspects.length ? { ...d, uncertain: [...(d.uncertain ?? []), ...suspects] } : d;
}

export async function diagnoseLive(probe: LabProbe, from: string, to: string): Promise<LiveDiagnosis> {
  const d = await walk(probe, await probe.observe(), from, to);
  const address = d.target?.address ?? (parseIp(to) ? to : undefined);
  if (!address) return { ...d, ping: { ok: false, output: `${to} has no address to ping` } };
  const argv = ['ping', '-c', '1', '-W', '1', address];
  const once = async () => {
    try {
      return await probe.exec(from, argv);
    } catch (e) {
      return { code: null, stdout: '', stderr: (e as Error).message };
    }
  };
  let r = await once();
  // A neighbour entry still pending from an earlier failure can hold the first echo past 1 s.
  if (r.code !== 0 && d.ok) r = await once();
  return { ...d, ping: { ok: r.code === 0, output: (r.stdout + r.stderr).trim(), address } };
}
