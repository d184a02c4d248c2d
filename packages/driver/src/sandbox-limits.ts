// What one lab may use, and which kernel mechanism holds each limit on this host.
import { cgroupHost, type CgroupHost } from './cgroup.ts';

export interface SandboxLimits {
  /** Processes and threads alive at once (zombies included). */
  processes: number;
  /** Memory of the lab's processes, page cache and tmpfs files included (bytes). */
  memoryBytes: number;
  /** Pseudo-terminals the lab may open by hand (its own devpts instance); the server's terminals are not counted. */
  ptys: number;
  /** Network namespaces the lab may create. */
  namespaces: number;
  /** Links (interfaces) the API may create in one lab. */
  links: number;
}

export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  processes: 1024,
  memoryBytes: 512 * 1024 * 1024,
  ptys: 64,
  namespaces: 500,
  links: 2000,
});

let configured: SandboxLimits = { ...DEFAULT_SANDBOX_LIMITS };

/** Set the limits new sandboxes get (from the `limits` section of the config). */
export function configureSandboxLimits(l: Partial<SandboxLimits>): SandboxLimits {
  configured = { ...DEFAULT_SANDBOX_LIMITS, ...l };
  return configured;
}

export function sandboxLimits(): SandboxLimits {
  return { ...configured };
}

/** Bytes given to the lab's scratch tmpfs mounts; their pages are charged to its memory limit too. */
export const TMPFS_SIZES: Record<string, string> = {
  '/run': '16m',
  '/run/netns': '1m',
  '/tmp': '64m',
  '/var/tmp': '16m',
  '/dev/shm': '16m',
  '/root': '16m',
};

/**
 * User-namespace counters (/proc/sys/user/max_*) set in the lab's outer user namespace, which the
 * lab's root cannot change (it is root only in the inner one). Net namespaces get a margin: the
 * kernel frees a deleted one asynchronously, so a delete + add in a row briefly counts twice.
 */
export function userNamespaceSysctls(l: SandboxLimits): Record<string, number> {
  return {
    'user.max_net_namespaces': l.namespaces + 16,
    'user.max_mnt_namespaces': l.processes,
    'user.max_pid_namespaces': 256,
    'user.max_user_namespaces': 64,
    'user.max_ipc_namespaces': 64,
    'user.max_uts_namespaces': 64,
    'user.max_cgroup_namespaces': 64,
    'user.max_time_namespaces': 64,
    'user.max_inotify_instances': 256,
    'user.max_inotify_watches': 16384,
  };
}

export interface LimitReport {
  limit: keyof SandboxLimits;
  value: number;
  /** The mechanism that holds it on this host, in words. */
  heldBy: string;
  /** Kernel-enforced (true) or only an API cap / partial bound (false). */
  kernel: boolean;
}

/** For `nslab doctor`: each limit, its value and what holds it here. */
export function describeLimits(l: SandboxLimits = sandboxLimits(), host: CgroupHost = cgroupHost()): LimitReport[] {
  const v = host.version;
  const pids = host.bases.pids
    ? { heldBy: `cgroup v${v} pids controller (pids.max in ${host.bases.pids.replace(/\/$/, "")}/nslab/<lab>)`, kernel: true }
    : { heldBy: `RLIMIT_NPROC on every lab process (${host.missing.pids ?? 'no pids controller'})`, kernel: true };
  const mem = host.bases.memory
    ? { heldBy: `cgroup v${v} memory controller (${v === 1 ? 'memory.limit_in_bytes' : 'memory.max'} in ${host.bases.memory}/nslab/<lab>); tmpfs and shm pages are charged to it`, kernel: true }
    : { heldBy: `only the size caps of the lab's own tmpfs mounts (${Object.values(TMPFS_SIZES).join(' + ')}); ${host.missing.memory ?? 'no memory controller'}`, kernel: false };
  return [
    { limit: 'processes', value: l.processes, ...pids },
    { limit: 'memoryBytes', value: l.memoryBytes, ...mem },
    { limit: 'ptys', value: l.ptys, heldBy: "the lab's own devpts instance (max=); lab ptys never take the host's reserved ptys (kernel.pty.reserve)", kernel: true },
    { limit: 'namespaces', value: l.namespaces, heldBy: "user.max_net_namespaces in the lab's outer user namespace (the lab cannot raise it)", kernel: true },
    { limit: 'links', value: l.links, heldBy: `the server's API cap; links made by hand in a shell are bounded by ${host.bases.memory ? 'the memory limit (interfaces are kernel memory charged to the lab)' : 'nothing on this host beyond the kernel'}`, kernel: false },
  ];
}
