// "Why can't A reach B?" on a live lab: observe, read NAT tables of the routers on the way (only
// when the walk crossed one), walk, then run the real ping so the learner sees whether they agree.
// Pure over a probe (observe + exec), like check.ts.
import { diagnose, parseIp, type Diagnosis, type NatTables, type ObservedLab } from '@nslab/model';
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
  // NAT only matters across routers: read iptables-save -t nat in the forwarding nodes the walk crossed.
  const crossed = [...new Set(d.path.filter((h) => h.what.endsWith('(forwarded)')).map((h) => h.node))];
  const routers = crossed.filter((n) => lab.nodes.some((x) => x.name === n && !x.unsafeName && x.sysctls['net.ipv4.ip_forward'] === '1'));
  if (routers.length) {
    const nat: NatTables = {};
    for (const n of routers) {
      const r = await probe.exec(n, ['iptables-save', '-t', 'nat']).catch(() => undefined);
      if (r && r.code === 0) nat[n] = r.stdout;
    }
    d = diagnose(lab, from, to, nat);
  }
  return d;
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
