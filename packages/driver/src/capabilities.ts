// Which kernel features this machine has, probed for real inside a throwaway sandbox (never on the
// host) and cached per boot and kernel.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CAPABILITIES, type Capability } from '@nslab/model';
import { createSandbox, destroySandbox } from './sandbox.ts';
import { run } from './run.ts';
import { stateDir } from './state-dir.ts';

export type CapabilityReport = Record<Capability, { ok: boolean; detail: string }>;

interface Probe {
  cap: Capability;
  argv: string[];
}

// Order matters: later probes stack on the veth created first.
const PROBES: Probe[] = [
  { cap: 'veth', argv: ['ip', 'link', 'add', 'name', 'p-veth0', 'type', 'veth', 'peer', 'name', 'p-veth1'] },
  { cap: 'bridge', argv: ['ip', 'link', 'add', 'name', 'p-br0', 'type', 'bridge'] },
  { cap: 'bridge_vlan_filtering', argv: ['ip', 'link', 'add', 'name', 'p-br1', 'type', 'bridge', 'vlan_filtering', '1'] },
  { cap: 'vlan', argv: ['ip', 'link', 'add', 'name', 'p-vlan', 'link', 'p-veth0', 'type', 'vlan', 'id', '10'] },
  { cap: 'vxlan', argv: ['ip', 'link', 'add', 'name', 'p-vx', 'type', 'vxlan', 'id', '42', 'dstport', '4789'] },
  { cap: 'macvlan', argv: ['ip', 'link', 'add', 'name', 'p-mv', 'link', 'p-veth0', 'type', 'macvlan', 'mode', 'bridge'] },
  { cap: 'ipvlan', argv: ['ip', 'link', 'add', 'name', 'p-ipv', 'link', 'p-veth0', 'type', 'ipvlan', 'mode', 'l2'] },
  { cap: 'dummy', argv: ['ip', 'link', 'add', 'name', 'p-dummy', 'type', 'dummy'] },
  { cap: 'tuntap', argv: ['ip', 'tuntap', 'add', 'dev', 'p-tap', 'mode', 'tap'] },
  { cap: 'netem', argv: ['tc', 'qdisc', 'add', 'dev', 'p-veth1', 'root', 'netem', 'delay', '1ms'] },
  { cap: 'nat', argv: ['iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'p-veth0', '-j', 'MASQUERADE'] },
];

export const CAPABILITY_HELP: Record<Capability, string> = {
  veth: 'virtual ethernet pairs (CONFIG_VETH)',
  bridge: 'Linux bridges (CONFIG_BRIDGE)',
  bridge_vlan_filtering: 'bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)',
  vlan: '802.1Q VLAN sub-interfaces (CONFIG_VLAN_8021Q, module 8021q)',
  vxlan: 'VXLAN tunnels (CONFIG_VXLAN)',
  macvlan: 'macvlan interfaces (CONFIG_MACVLAN)',
  ipvlan: 'ipvlan interfaces (CONFIG_IPVLAN)',
  dummy: 'dummy interfaces (CONFIG_DUMMY)',
  tuntap: 'tun/tap devices (CONFIG_TUN)',
  netem: 'netem delay/loss emulation (CONFIG_NET_SCH_NETEM)',
  nat: 'iptables NAT (CONFIG_NF_NAT, iptables)',
};

function cacheKey(): string {
  const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return `${release} ${boot}`;
}

export async function probeCapabilities(): Promise<CapabilityReport> {
  const sb = await createSandbox(`probe-${process.pid}-${Date.now().toString(36)}`);
  const report = {} as CapabilityReport;
  try {
    for (const p of PROBES) {
      const r = await run(sb.enter(p.argv), { timeoutMs: 10_000 });
      const msg = r.stderr.trim().split('\n')[0] ?? '';
      report[p.cap] = { ok: r.code === 0, detail: r.code === 0 ? CAPABILITY_HELP[p.cap] : `${CAPABILITY_HELP[p.cap]}: ${msg}` };
    }
  } finally {
    await destroySandbox(sb);
  }
  return report;
}

/** Probed once per boot and kernel; `refresh` forces a new probe. */
export async function detectCapabilities(refresh = false): Promise<CapabilityReport> {
  const file = join(stateDir(), 'capabilities.json');
  const key = cacheKey();
  if (!refresh) {
    try {
      const cached = JSON.parse(readFileSync(file, 'utf8')) as { key: string; report: CapabilityReport };
      if (cached.key === key && CAPABILITIES.every((c) => c in cached.report)) return cached.report;
    } catch {
      /* no cache yet */
    }
  }
  const report = await probeCapabilities();
  writeFileSync(file, JSON.stringify({ key, report }, null, 2), { mode: 0o600 });
  return report;
}

export function missingCapabilities(report: CapabilityReport, needed: readonly Capability[]): Capability[] {
  return needed.filter((c) => !report[c]?.ok);
}
