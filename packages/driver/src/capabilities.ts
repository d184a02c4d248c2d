// Which kernel features this machine has, probed for real inside a throwaway sandbox (never on the
// host) and cached per boot and kernel.
import { accessSync, constants, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CAPABILITIES, type Capability } from '@nslab/model';
import { createSandbox, destroySandbox } from './sandbox.ts';
import { CLEAN_ENV, run } from './run.ts';
import { stateDir } from './state-dir.ts';

export interface CapabilityStatus {
  ok: boolean;
  detail: string;
  /**
   * Why a lab cannot use it: the kernel lacks it, or the kernel has it and the lab is not let in
   * (a device's mode). The remedy differs: another kernel or module, or one command on the host.
   */
  cause?: 'kernel' | 'access';
  /** For `access`: what to run on the host, as root, to let labs use it. */
  fix?: string;
}

export type CapabilityReport = Record<Capability, CapabilityStatus>;

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

// The leading version re-probes caches written before reports told kernel from access.
function cacheKey(): string {
  const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return `2 ${release} ${boot}`;
}

export const TUN_DEVICE = '/dev/net/tun';
const TUN_SYSFS = '/sys/class/misc/tun';

/**
 * Why a lab's root could not open the tun device, when the kernel has tun/tap: the device node
 * exists (or sysfs lists the misc device) but is missing or shut to other users. A lab's root is an
 * unprivileged uid on the host, so it needs the "other" read and write bits (Debian's udev gives
 * 0666). null when the kernel has no tun/tap, or nothing about the device explains the failure.
 */
export function tunAccessProblem(kernelMessage: string, dev = TUN_DEVICE, sysfs = TUN_SYSFS): { detail: string; fix?: string } | null {
  const hasNode = existsSync(dev);
  if (!hasNode && !existsSync(sysfs)) return null;
  if (!hasNode) {
    return {
      detail: `present in the kernel (${sysfs} exists), but there is no ${dev} for a lab to open`,
      fix: `mkdir -p ${dev.replace(/\/[^/]*$/, '')} && mknod -m 0666 ${dev} c 10 200`,
    };
  }
  const mode = statSync(dev).mode & 0o777;
  if ((mode & 0o006) !== 0o006) {
    return {
      detail: `present in the kernel, but ${dev} is mode 0${mode.toString(8)}, so a lab's root (an unprivileged user on the host) cannot open it`,
      fix: `chmod 0666 ${dev}`,
    };
  }
  if (/permission denied|operation not permitted/i.test(kernelMessage)) {
    // Mode is fine: something above it refuses (a container's device rules, an LSM).
    return { detail: `present in the kernel and ${dev} is mode 0${mode.toString(8)}, but opening it from a lab is refused (${kernelMessage}); in a container, allow the device (docker: --device ${dev})` };
  }
  return null;
}

/** Whether a device problem with a host-side fix is gone (a stat, no sandbox): the fix was run. */
function accessFixed(cap: Capability, status: CapabilityStatus): boolean {
  return cap === 'tuntap' && !status.ok && status.cause === 'access' && status.fix !== undefined && tunAccessProblem('') === null;
}

export async function probeCapabilities(): Promise<CapabilityReport> {
  const sb = await createSandbox(`probe-${process.pid}-${Date.now().toString(36)}`);
  const report = {} as CapabilityReport;
  try {
    for (const p of PROBES) {
      const r = await run(sb.enter(p.argv), { timeoutMs: 10_000 });
      const msg = r.stderr.trim().split('\n')[0] ?? '';
      const access = r.code !== 0 && p.cap === 'tuntap' ? tunAccessProblem(msg) : null;
      report[p.cap] =
        r.code === 0
          ? { ok: true, detail: CAPABILITY_HELP[p.cap] }
          : access
            ? { ok: false, detail: `${CAPABILITY_HELP[p.cap]}: ${access.detail}`, cause: 'access', ...(access.fix ? { fix: access.fix } : {}) }
            : { ok: false, detail: `${CAPABILITY_HELP[p.cap]}: ${msg}`, cause: 'kernel' };
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
      // A device the admin has opened up since is probed again, not reported shut until a reboot.
      const stale = CAPABILITIES.some((c) => cached.report[c] && accessFixed(c, cached.report[c]));
      if (cached.key === key && CAPABILITIES.every((c) => c in cached.report) && !stale) return cached.report;
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

/**
 * Why a lab needing `missing` cannot run here, in one message: features the kernel lacks (another
 * kernel or module), and features it has but a lab may not use (with the host command that fixes it).
 */
export function missingCapabilitiesMessage(missing: readonly string[], report?: Partial<Record<string, CapabilityStatus>>): string {
  const access = missing.filter((c) => report?.[c]?.cause === 'access');
  const kernel = missing.filter((c) => !access.includes(c));
  const parts: string[] = [];
  if (kernel.length) {
    parts.push(
      `this lab needs kernel features this machine lacks: ${kernel.map((c) => `${c} (${CAPABILITY_HELP[c as Capability] ?? c})`).join(', ')}. Stock Debian/Ubuntu kernels have them`,
    );
  }
  for (const c of access) {
    const r = report![c]!;
    parts.push(`this lab needs ${c} — ${r.detail}${r.fix ? `. Fix, as root on the host: ${r.fix}` : ''}`);
  }
  return `${parts.join('; ')}; run \`nslab doctor\` to see what this machine supports.`;
}

/** Where a lab's commands are looked up (the sandbox runs them with this PATH). */
const TOOL_DIRS = CLEAN_ENV.PATH!.split(':');

/** The commands of `tools` that no directory of a lab's PATH has as an executable. */
export function missingTools(tools: readonly string[]): string[] {
  return tools.filter(
    (t) =>
      !TOOL_DIRS.some((d) => {
        try {
          accessSync(join(d, t), constants.X_OK);
          return statSync(join(d, t)).isFile();
        } catch {
          return false;
        }
      }),
  );
}
