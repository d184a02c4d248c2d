// A lab's sandbox. Built so that a learner who is root inside cannot undo it:
//
//   init (real root, pid 1 of the lab's PID namespace, in a private mount namespace M that real root
//   filled: tmpfs /run /run/netns /tmp /var/tmp /dev/shm /root, the lab host's own sysfs, a /proc of
//   the lab's PID namespace, a devpts instance of the lab's own with /dev/ptmx bound to it)
//   anchor (uid range U outside, root inside; user namespace L1 nested in L0, network namespace =
//   the lab host, a mount namespace copied from M)
//
// M belongs to the host's user namespace and the anchor's copy to the lab's, so the kernel locks
// every mount M made: the lab cannot unmount or move them. Every lab process lives in the PID
// namespace whose init is real root's reaper: /proc shows the lab alone, and killing init kills the
// whole lab at once, however fast it forks. The outer user namespace L0 carries the namespace
// counters (/proc/sys/user/max_*) that the lab's root, root only in L1, cannot raise. Processes and
// memory are bounded by cgroups made for the lab (see cgroup.ts). Commands enter with nsenter after
// joining those groups; nothing the lab controls (its paths, its symlinks) is ever resolved by the
// server as real root: reads of the lab's files happen inside, as the lab's root.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { HOST, checkNodeName } from '@nslab/model';
import { firstChild, isAlive, liveUids, nsInode, pidsWithUidIn, pidsWithUidInAsync, processStartTime } from './proc.ts';
import { CommandError, run, runChecked, spawnDetached } from './run.ts';
import { labsDir, slotsDir } from './state-dir.ts';
import { writeFileAtomic } from './lab-store.ts';
import { cgroupPids, createLabCgroups, procsFiles, removeLabCgroups, type LabCgroups } from './cgroup.ts';
import { sandboxLimits, TMPFS_SIZES, userNamespaceSysctls, type SandboxLimits } from './sandbox-limits.ts';

const UID_RANGE = 65536;
const MAX_SLOTS = 4096;

function uidBase(): number {
  // Far above any real user and the usual /etc/subuid ranges; each lab gets its own 65536 uids so
  // one lab's root cannot signal another lab's processes.
  return Number(process.env.NSLAB_UID_BASE ?? 1_000_000_000);
}

// Joins the lab's cgroups, then execs the rest of argv: a process started by the server is in the
// lab's groups before it can fork, so nothing the lab runs escapes its limits. Fixed text, no input.
const JOIN_CGROUPS =
  'my @f; push @f, shift @ARGV while @ARGV && $ARGV[0] ne "--"; shift @ARGV;' +
  'for my $f (@f) { my $h; open($h, ">>", $f) && syswrite($h, "$$\n") && close($h) or die "nslab: cannot join the lab\x27s cgroup $f: $!\n" }' +
  'exec { $ARGV[0] } @ARGV or die "nslab: $ARGV[0]: $!\n";';

// PID 1 of a lab: reaps whatever the lab orphans, so a fork-and-exit loop leaves no zombies behind.
const REAPER = '$0 = "nslab-init"; while (1) { wait() == -1 and sleep 1 }';

export interface ProcessRef {
  pid: number;
  startTime: number;
}

export interface SandboxRecord {
  name: string;
  /** The anchor: the process whose namespaces commands enter. */
  pid: number;
  startTime: number;
  /** PID 1 of the lab's PID namespace: killing it ends every process of the lab. */
  init?: ProcessRef;
  uid: number;
  slot: number;
  createdAt: string;
  /**
   * false while a deploy is filling the sandbox. A record left unready by a deployer that died
   * (kill -9 mid-deploy) is torn down on sight: a lab is either complete or absent.
   */
  ready: boolean;
  deployer?: ProcessRef;
  /** The lab's own cgroups (absent when the host offers none). */
  cgroups?: LabCgroups | null;
  limits?: SandboxLimits;
}

export class SandboxError extends Error {
  constructor(
    readonly code: 'LAB_EXISTS' | 'LAB_NOT_FOUND' | 'LAB_GONE' | 'INVALID_NAME' | 'NO_SLOT' | 'SANDBOX_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}

export class Sandbox {
  constructor(readonly record: SandboxRecord) {}

  get name(): string {
    return this.record.name;
  }
  get pid(): number {
    return this.record.pid;
  }

  alive(): boolean {
    return isAlive(this.record.pid, this.record.startTime);
  }

  /** What a process started by the server runs first: join the lab's groups (and the rlimit fallback). */
  private joinPrefix(): string[] {
    const out: string[] = [];
    const cg = this.record.cgroups;
    if (cg) out.push('perl', '-e', JOIN_CGROUPS, ...procsFiles(cg), '--');
    if (!cg?.dirs.pids) {
      const n = this.record.limits?.processes;
      if (n) out.push('prlimit', `--nproc=${n}:${n}`, '--');
    }
    return out;
  }

  /** argv that runs `argv` as root inside the sandbox, in the lab host's network namespace. */
  enter(argv: readonly string[]): string[] {
    const legacy = !this.record.init;
    return [...this.joinPrefix(), 'nsenter', '-t', String(this.record.pid), '-U', '-m', '-n', ...(legacy ? [] : ['-p', '-C']), '--', ...argv];
  }

  /**
   * argv that runs `argv` inside the sandbox, directly in namespace `ns` (no `ip netns exec` sysfs
   * remount). The namespace file is opened inside the sandbox, by the lab's root: a path the lab
   * controls is never resolved by the server.
   */
  enterNetns(ns: string, argv: readonly string[]): string[] {
    if (ns === HOST) return this.enter(argv);
    return this.enter(['nsenter', `--net=/run/netns/${ns}`, '--', ...argv]);
  }

  /**
   * argv for a one-off command whose every process ends with it: it runs as PID 1 of a PID
   * namespace of its own, so a timeout (or its end) kills what it started in the background too
   * (setsid included) and frees its pipes.
   */
  enterContained(argv: readonly string[]): string[] {
    if (!this.record.init) return this.enter(argv);
    return this.enter(['unshare', '--pid', '--fork', '--kill-child', '--', ...argv]);
  }

  /**
   * The lab's /run as the server may read it: through init's root, in the mount namespace real root
   * built. There every component is real root's (the lab cannot chroot init, move that mount or put a
   * symlink in the path); only names inside the tmpfs are the lab's, so open them without following.
   */
  runDirFromHost(): string {
    return `/proc/${this.record.init?.pid ?? this.record.pid}/root/run`;
  }

  /** Every process of this sandbox outside the kernel's view of its PID namespace (uid range). */
  pids(): number[] {
    return pidsWithUidIn(this.record.uid, this.record.uid + UID_RANGE);
  }

  /** The lab's cgroups, if the host gave it any. */
  get cgroups(): LabCgroups | null {
    return this.record.cgroups ?? null;
  }

  get limits(): SandboxLimits {
    return this.record.limits ?? sandboxLimits();
  }
}

function recordPath(name: string): string {
  return join(labsDir(), name, 'sandbox.json');
}

async function claimSlot(): Promise<number> {
  const dir = slotsDir();
  // A slot is reused only when nothing with its uids is left (a process of an old lab must never
  // be able to signal the next lab on the same uids).
  const base = uidBase();
  const busy = new Set((await liveUids()).filter((u) => u >= base).map((u) => Math.floor((u - base) / UID_RANGE)));
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    if (busy.has(slot)) continue;
    try {
      // O_EXCL create is the lock: two CLIs deploying at once never share a uid range.
      const fd = openSync(join(dir, String(slot)), 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return slot;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new SandboxError('NO_SLOT', `all ${MAX_SLOTS} sandbox slots are in use`);
}

function releaseSlot(slot: number): void {
  rmSync(join(slotsDir(), String(slot)), { force: true });
}

async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new SandboxError('SANDBOX_FAILED', `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function kill(ref: ProcessRef | undefined): void {
  if (!ref || !isAlive(ref.pid, ref.startTime)) return;
  try {
    process.kill(ref.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

function killAll(sb: Sandbox): void {
  // init first: the kernel then kills the whole PID namespace at once. What else the lab runs is
  // in its cgroups; only a record from before PID namespaces needs the scan of every process.
  kill(sb.record.init);
  const pids = sb.record.init ? (sb.cgroups ? cgroupPids(sb.cgroups) : []) : sb.pids();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

async function waitForChild(parent: number, what: string): Promise<ProcessRef> {
  let child: number | null = null;
  await waitUntil(() => (child = firstChild(parent)) !== null, 5000, what);
  const startTime = processStartTime(child!);
  if (startTime === null) throw new SandboxError('SANDBOX_FAILED', `${what} exited at start`);
  return { pid: child!, startTime };
}

async function waitUnshared(pid: number, ns: 'user' | 'mnt', from: string | null, what: string): Promise<void> {
  await waitUntil(() => {
    const n = nsInode(pid, ns);
    return n !== null && n !== from;
  }, 5000, what);
}

/** uid_map/gid_map for `pid`, written by a process inside `writerPid`'s user namespace (the parent of pid's). */
async function writeMaps(pid: number, map: string, writerPid: number | null): Promise<void> {
  if (writerPid === null) {
    writeFileSync(`/proc/${pid}/uid_map`, map);
    writeFileSync(`/proc/${pid}/gid_map`, map);
    return;
  }
  // Only a process in the parent user namespace may write a nested one's maps; dd writes it in one
  // write(2). The target must have finished exec'ing (its /proc files belong to root for a moment
  // while the exec switches credentials), so a refusal is retried briefly.
  await waitUntil(() => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
    } catch {
      return false;
    }
  }, 5000, 'the lab user namespace holder to start');
  await Promise.all(['uid_map', 'gid_map'].map(async (f) => {
    for (let attempt = 0; ; attempt++) {
      const r = await run(['nsenter', '-t', String(writerPid), '-U', '--', 'dd', `of=/proc/${pid}/${f}`, 'bs=4096', 'status=none'], { input: map, timeoutMs: 10_000 });
      if (r.code === 0) return;
      if (attempt >= 5) throw new CommandError(r);
      await new Promise((res) => setTimeout(res, 5 * (attempt + 1)));
    }
  }));
}

/**
 * What real root mounts in M, in order: the lab's scratch tmpfs (owned by the lab's root, size-capped),
 * /proc of the lab's PID namespace, and a devpts instance of the lab's own (capped; /dev/ptmx bound
 * to it, so the lab's ptys never come from the host's pool). The lab host's sysfs is mounted apart,
 * from inside its network namespace.
 */
export function labFstab(uid: number, limits: SandboxLimits): string {
  const owned = `uid=${uid},gid=${uid}`;
  const mode: Record<string, string> = { '/run': '0755', '/run/netns': '0755', '/tmp': '1777', '/var/tmp': '1777', '/dev/shm': '1777', '/root': '0700' };
  const lines = Object.entries(TMPFS_SIZES).map(([target, size]) =>
    `nslab ${target} tmpfs mode=${mode[target]},size=${size},${owned}${target === '/run/netns' ? ',X-mount.mkdir' : ''} 0 0`);
  lines.push(
    'nslab /proc proc nosuid,nodev,noexec 0 0',
    `nslab /dev/pts devpts newinstance,ptmxmode=0666,mode=0620,gid=${uid + 5},max=${limits.ptys} 0 0`,
    '/dev/pts/ptmx /dev/ptmx none bind 0 0',
  );
  return lines.join('\n') + '\n';
}

export async function createSandbox(name: string, limits: SandboxLimits = sandboxLimits()): Promise<Sandbox> {
  const bad = checkNodeName(name);
  if (bad) throw new SandboxError('INVALID_NAME', `lab name ${JSON.stringify(name)}: ${bad}`);
  if (name === HOST) throw new SandboxError('INVALID_NAME', `lab name "${HOST}": reserved (it names the lab host inside every lab)`);
  try {
    mkdirSync(join(labsDir(), name), { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      if (recordStatus(name) !== 'stale') throw new SandboxError('LAB_EXISTS', `a lab named "${name}" already exists`);
      // A stale record (its anchor died, e.g. after a crash): kill what is left, reclaim the name.
      findSandbox(name);
      removeRecord(name);
      mkdirSync(join(labsDir(), name), { mode: 0o700 });
    } else throw e;
  }
  const selfStart = processStartTime(process.pid);
  writeFileAtomic(join(labsDir(), name, 'deployer.json'), JSON.stringify({ pid: process.pid, startTime: selfStart }));
  let slot = -1;
  const helpers: number[] = [];
  let record: SandboxRecord | null = null;
  let cgroups: LabCgroups | null = null;
  try {
    slot = await claimSlot();
    const uid = uidBase() + slot * UID_RANGE;
    cgroups = createLabCgroups(`${name}.${slot}`, { processes: limits.processes, memoryBytes: limits.memoryBytes });
    const selfUser = nsInode('self', 'user');
    // NSLAB_TRACE_SANDBOX=1: each phase's time on stderr (the deploy bench's profile uses it).
    const t0 = performance.now();
    let tPrev = t0;
    const phase = process.env.NSLAB_TRACE_SANDBOX === '1'
      ? (label: string) => {
          const now = performance.now();
          process.stderr.write(`sandbox ${name}: ${label} ${(now - tPrev).toFixed(1)} ms\n`);
          tPrev = now;
        }
      : () => {};

    // L0: the outer user namespace, as the lab's uid range; its counters are the lab's namespace limits.
    // init: real root, a private mount namespace M and the lab's PID namespace.
    const [outer, initParent] = await Promise.all([
      spawnDetached(['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'unshare', '--user', '--', 'sleep', 'infinity']),
      spawnDetached(['unshare', '--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', '--', 'perl', '-e', REAPER]),
    ]);
    helpers.push(outer, initParent);
    phase('spawn outer + init');
    await waitUnshared(outer, 'user', selfUser, 'the outer user namespace');
    await writeMaps(outer, `0 ${uid} ${UID_RANGE}\n`, null);
    phase('outer maps');
    // Independent steps run side by side: sandbox creation is on every deploy's critical path.
    // The counters only need to be in place before the lab runs anything (awaited before the anchor).
    const sysctls = runChecked(['nsenter', '-t', String(outer), '-U', '--', 'sysctl', '-q', '-e', '-w',
      ...Object.entries(userNamespaceSysctls(limits)).map(([k, v]) => `${k}=${v}`)], { timeoutMs: 10_000 });
    // Mounts in M, made by real root and locked once the anchor copies M into the lab's user
    // namespace. One `mount -a`, forked into the lab's PID namespace (for its /proc), as soon as init
    // is there; the lab host's sysfs once its network namespace exists.
    const fstab = join(labsDir(), name, 'fstab');
    writeFileSync(fstab, labFstab(uid, limits), { mode: 0o600 });
    // init is real root and outside the lab's uids: noted at once, so a deployer killed before the
    // record exists does not leave it behind (the next lookup kills it; see findSandbox).
    const initReady = waitForChild(initParent, 'the sandbox init').then((init) => {
      writeFileAtomic(join(labsDir(), name, 'pending.json'), JSON.stringify({ init, slot, uid }));
      return init;
    });
    const mounts = initReady.then((init) =>
      runChecked(['nsenter', '-t', String(init.pid), '-m', '-p', '--', 'mount', '-a', '-n', '-T', fstab], { timeoutMs: 10_000 }));
    // L1 + the lab host's network namespace, made by the lab's root in L0 so L0 counts them.
    const inner = await spawnDetached(['nsenter', '-t', String(outer), '-U', '--', 'unshare', '--user', '--net', '--', 'sleep', 'infinity']);
    helpers.push(inner);
    // It starts in the host's namespaces (nsenter, then unshare): only once it runs `sleep` are the
    // lab user namespace and the lab host's network namespace both there.
    const outerUser = nsInode(outer, 'user');
    await waitUntil(() => {
      try {
        return readFileSync(`/proc/${inner}/comm`, 'utf8').trim() === 'sleep' && ![outerUser, selfUser].includes(nsInode(inner, 'user'));
      } catch {
        return false;
      }
    }, 5000, 'the lab user namespace');
    phase('spawn inner');
    const [init] = await Promise.all([
      initReady,
      mounts,
      sysctls,
      writeMaps(inner, `0 0 ${UID_RANGE}\n`, outer),
      initReady.then((i) => runChecked(['nsenter', '-t', String(i.pid), '-m', `--net=/proc/${inner}/ns/net`, '--',
        'mount', '-n', '-t', 'sysfs', '-o', 'nosuid,nodev,noexec', 'nslab', '/sys'], { timeoutMs: 10_000 })),
      runChecked(['nsenter', `--net=/proc/${inner}/ns/net`, '--', 'ip', 'link', 'set', 'dev', 'lo', 'up'], { timeoutMs: 10_000 }),
    ]);
    phase('inner maps + mounts + lo');
    // The anchor: joins M, the PID namespace, L1 and the lab host, then copies M into a mount
    // namespace of the lab's own (this copy is where the locks come from).
    const anchorParent = await spawnDetached([
      // Not in the memory group: when the lab fills its memory the OOM killer takes its shells,
      // never the process everything enters through (it holds no memory worth taking).
      ...(cgroups ? ['perl', '-e', JOIN_CGROUPS, ...procsFiles(cgroups, ['memory']), '--'] : []),
      ...(cgroups?.dirs.pids ? [] : ['prlimit', `--nproc=${limits.processes}:${limits.processes}`, '--']),
      'nsenter', '-t', String(init.pid), '-m', '-p', `--user=/proc/${inner}/ns/user`, `--net=/proc/${inner}/ns/net`, '--',
      // Its own cgroup namespace too: /proc/self/cgroup inside shows "/", not the host's layout.
      'unshare', '--mount', '--cgroup', '--', 'sleep', 'infinity',
    ]);
    helpers.push(anchorParent);
    const anchor = await waitForChild(anchorParent, 'the sandbox anchor');
    await waitUnshared(anchor.pid, 'mnt', nsInode(init.pid, 'mnt'), 'the anchor to unshare');
    phase('anchor');
    record = {
      name, pid: anchor.pid, startTime: processStartTime(anchor.pid) ?? anchor.startTime, init, uid, slot,
      createdAt: new Date().toISOString(), ready: false, cgroups, limits,
      ...(selfStart !== null ? { deployer: { pid: process.pid, startTime: selfStart } } : {}),
    };
    const sb = new Sandbox(record);
    // Recorded before anything else happens inside, so a deployer killed from here on leaves a
    // record that the next lookup recognises as stale and tears down.
    writeFileAtomic(recordPath(name), JSON.stringify(sb.record, null, 2));
    // The anchor holds L1 and the lab host now; the helpers that made them go (L0 lives on as L1's parent).
    for (const h of [outer, inner]) {
      try {
        process.kill(h, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    return sb;
  } catch (e) {
    for (const h of helpers) {
      try {
        process.kill(h, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (record) await reap(new Sandbox(record)).catch(() => {});
    else if (cgroups) {
      await waitUntil(() => cgroupPids(cgroups!).length === 0, 5000, 'the failed sandbox to exit').catch(() => {});
      removeLabCgroups(cgroups);
    }
    if (slot >= 0) releaseSlot(slot);
    rmSync(join(labsDir(), name), { recursive: true, force: true });
    throw e;
  }
}

/** Kill every process of a sandbox and wait until none is left; then remove its cgroups. */
async function reap(sb: Sandbox): Promise<void> {
  killAll(sb);
  // The PID namespace dies with init; processes the server started (nsenter parents outside it)
  // exit when their child does. Cheap checks while that happens (the anchor, the lab's cgroups),
  // then one full look for anything left with the lab's uids; killed again until none is left.
  const end = Date.now() + 10_000;
  for (let round = 0; ; round++) {
    const inGroups = sb.cgroups ? cgroupPids(sb.cgroups) : [];
    if (inGroups.length === 0 && !sb.alive()) {
      const left = await pidsWithUidInAsync(sb.record.uid, sb.record.uid + UID_RANGE);
      if (left.length === 0) break;
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    if (Date.now() > end) throw new SandboxError('SANDBOX_FAILED', `lab "${sb.name}": ${inGroups.length} processes would not die`);
    if (round % 10 === 9) killAll(sb);
    await new Promise((r) => setTimeout(r, round < 20 ? 2 : 20));
  }
  if (sb.cgroups && !removeLabCgroups(sb.cgroups)) {
    // v1 can lag a moment behind the last exit.
    await waitUntil(() => removeLabCgroups(sb.cgroups!), 5000, `lab "${sb.name}"'s cgroups to empty`);
  }
}

function readRecord(name: string): SandboxRecord | null {
  try {
    return JSON.parse(readFileSync(recordPath(name), 'utf8')) as SandboxRecord;
  } catch {
    return null;
  }
}

function removeRecord(name: string): void {
  const rec = readRecord(name);
  if (rec) releaseSlot(rec.slot);
  rmSync(join(labsDir(), name), { recursive: true, force: true });
}

type RecordStatus = 'ready' | 'deploying' | 'stale';

function statusOf(rec: SandboxRecord | null, name: string): RecordStatus {
  if (!rec) {
    // No record yet: a deploy is starting its sandbox, unless the deployer is gone.
    try {
      const d = JSON.parse(readFileSync(join(labsDir(), name, 'deployer.json'), 'utf8')) as { pid: number; startTime: number };
      return isAlive(d.pid, d.startTime) ? 'deploying' : 'stale';
    } catch {
      return 'stale';
    }
  }
  if (!isAlive(rec.pid, rec.startTime)) return 'stale';
  if (rec.ready) return 'ready';
  return rec.deployer && isAlive(rec.deployer.pid, rec.deployer.startTime) ? 'deploying' : 'stale';
}

function recordStatus(name: string): RecordStatus {
  return statusOf(readRecord(name), name);
}

/** What a deploy that died before writing its record had started: init, and the lab's uids. */
function killPending(name: string): void {
  try {
    const p = JSON.parse(readFileSync(join(labsDir(), name, 'pending.json'), 'utf8')) as { init: ProcessRef; slot: number; uid: number };
    kill(p.init);
    for (const pid of pidsWithUidIn(p.uid, p.uid + UID_RANGE)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    releaseSlot(p.slot);
  } catch {
    /* nothing was started */
  }
}

/** The running, fully deployed sandbox of a lab, or null. Stale records are cleaned up on sight. */
export function findSandbox(name: string): Sandbox | null {
  if (checkNodeName(name)) return null;
  const rec = readRecord(name);
  const status = statusOf(rec, name);
  if (!rec) {
    if (status === 'stale') {
      killPending(name);
      rmSync(join(labsDir(), name), { recursive: true, force: true });
    }
    return null;
  }
  const sb = new Sandbox(rec);
  if (status === 'stale') {
    // Anchor gone (reboot, kill), or a deploy died half way: nothing of it may survive.
    killAll(sb);
    removeRecord(name);
    return null;
  }
  return status === 'ready' ? sb : null;
}

/** Mark a deployed sandbox complete; only then do listings and lookups see it. */
export function markReady(sb: Sandbox): void {
  sb.record.ready = true;
  delete sb.record.deployer;
  writeFileAtomic(recordPath(sb.name), JSON.stringify(sb.record, null, 2));
}

export function getSandbox(name: string): Sandbox {
  const sb = findSandbox(name);
  if (!sb) throw new SandboxError('LAB_NOT_FOUND', `no running lab named "${name}"`);
  return sb;
}

export function listSandboxes(): Sandbox[] {
  const out: Sandbox[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(labsDir());
  } catch {
    return out;
  }
  for (const n of names.sort()) {
    const sb = findSandbox(n);
    if (sb) out.push(sb);
  }
  return out;
}

export async function destroySandbox(sb: Sandbox): Promise<void> {
  await reap(sb);
  removeRecord(sb.name);
}
