// A lab's sandbox: an anchor process that owns a user namespace (root inside, an unprivileged uid
// range outside), a private mount namespace (its own tmpfs /run, so its own /run/netns) and a
// network namespace (the lab host). Everything the lab creates lives inside; destroying the
// sandbox kills every process in its uid range and lets the kernel reclaim the rest, so cleanup
// never has to guess by name.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { checkNodeName } from '@nslab/model';
import { isAlive, nsInode, pidsWithUidIn, processStartTime } from './proc.ts';
import { runChecked, spawnDetached } from './run.ts';
import { labsDir, slotsDir } from './state-dir.ts';

const UID_RANGE = 65536;
const MAX_SLOTS = 4096;

function uidBase(): number {
  // Far above any real user and the usual /etc/subuid ranges; each lab gets its own 65536 uids so
  // one lab's root cannot signal another lab's processes.
  return Number(process.env.NSLAB_UID_BASE ?? 1_000_000_000);
}

export interface SandboxRecord {
  name: string;
  pid: number;
  startTime: number;
  uid: number;
  slot: number;
  createdAt: string;
  /**
   * false while a deploy is filling the sandbox. A record left unready by a deployer that died
   * (kill -9 mid-deploy) is torn down on sight: a lab is either complete or absent.
   */
  ready: boolean;
  deployer?: { pid: number; startTime: number };
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

  /** argv that runs `argv` as root inside the sandbox, in the lab host's network namespace. */
  enter(argv: readonly string[]): string[] {
    return ['nsenter', '-t', String(this.record.pid), '-U', '-m', '-n', ...argv];
  }

  /** argv that runs `argv` inside the sandbox, directly in namespace `ns` (no `ip netns exec` sysfs remount). */
  enterNetns(ns: string, argv: readonly string[]): string[] {
    const pid = String(this.record.pid);
    return ['nsenter', '-t', pid, '-U', '-m', `--net=/proc/${pid}/root/run/netns/${ns}`, ...argv];
  }

  /** Path, seen from the real host, of the sandbox's /run/netns. */
  netnsDir(): string {
    return `/proc/${this.record.pid}/root/run/netns`;
  }

  /** Every process of this sandbox (anchor, shells, pings, nested namespaces). */
  pids(): number[] {
    return pidsWithUidIn(this.record.uid, this.record.uid + UID_RANGE);
  }
}

function recordPath(name: string): string {
  return join(labsDir(), name, 'sandbox.json');
}

function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, path);
}

function claimSlot(): number {
  const dir = slotsDir();
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
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

function killAll(sb: Sandbox): void {
  for (const pid of sb.pids()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

export async function createSandbox(name: string): Promise<Sandbox> {
  const bad = checkNodeName(name);
  if (bad) throw new SandboxError('INVALID_NAME', `lab name ${JSON.stringify(name)}: ${bad}`);
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
  writeAtomic(join(labsDir(), name, 'deployer.json'), JSON.stringify({ pid: process.pid, startTime: selfStart }));
  let slot = -1;
  let pid = 0;
  try {
    slot = claimSlot();
    const uid = uidBase() + slot * UID_RANGE;
    pid = await spawnDetached([
      'setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups',
      'unshare', '--user', '--mount', '--net', '--propagation', 'private', '--', 'sleep', 'infinity',
    ]);
    const selfUser = nsInode('self', 'user');
    const selfNet = nsInode('self', 'net');
    await waitUntil(() => {
      const u = nsInode(pid, 'user');
      const n = nsInode(pid, 'net');
      return u !== null && n !== null && u !== selfUser && n !== selfNet;
    }, 5000, 'the sandbox anchor to unshare');
    const startTime = processStartTime(pid);
    if (startTime === null) throw new SandboxError('SANDBOX_FAILED', 'the sandbox anchor exited at start');
    const sb = new Sandbox({
      name, pid, startTime, uid, slot, createdAt: new Date().toISOString(), ready: false,
      ...(selfStart !== null ? { deployer: { pid: process.pid, startTime: selfStart } } : {}),
    });
    // Recorded before anything else happens inside, so a deployer killed from here on leaves a
    // record that the next lookup recognises as stale and tears down.
    writeAtomic(recordPath(name), JSON.stringify(sb.record, null, 2));
    // Written by root from outside, so setgroups stays allowed inside (tcpdump drops privileges with it).
    writeFileSync(`/proc/${pid}/uid_map`, `0 ${uid} ${UID_RANGE}\n`);
    writeFileSync(`/proc/${pid}/gid_map`, `0 ${uid} ${UID_RANGE}\n`);

    // Private, size-capped scratch space: the lab gets its own /run (so its own /run/netns), and a
    // learner's root shell cannot fill the host's world-writable directories.
    const tmpfs = (target: string, mode: string, size: string) =>
      runChecked(sb.enter(['mount', '-t', 'tmpfs', '-o', `mode=${mode},size=${size}`, 'nslab', target]), { timeoutMs: 10_000 });
    // Independent steps run side by side: sandbox creation is on every deploy's critical path.
    await Promise.all([
      tmpfs('/run', '0755', '16m').then(() => runChecked(sb.enter(['mkdir', '-p', '/run/netns']), { timeoutMs: 10_000 })),
      tmpfs('/tmp', '1777', '64m'),
      tmpfs('/var/tmp', '1777', '16m'),
      tmpfs('/dev/shm', '1777', '16m'),
      // The lab's own home for root's shells (the host's /root is unreadable from inside anyway).
      tmpfs('/root', '0700', '16m'),
      runChecked(sb.enter(['ip', 'link', 'set', 'dev', 'lo', 'up']), { timeoutMs: 10_000 }),
    ]);
    return sb;
  } catch (e) {
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (slot >= 0) releaseSlot(slot);
    rmSync(join(labsDir(), name), { recursive: true, force: true });
    throw e;
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

/** The running, fully deployed sandbox of a lab, or null. Stale records are cleaned up on sight. */
export function findSandbox(name: string): Sandbox | null {
  if (checkNodeName(name)) return null;
  const rec = readRecord(name);
  const status = statusOf(rec, name);
  if (!rec) {
    if (status === 'stale') rmSync(join(labsDir(), name), { recursive: true, force: true });
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
  writeAtomic(recordPath(sb.name), JSON.stringify(sb.record, null, 2));
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
  if (sb.alive()) {
    // Kill everything in the uid range until nothing is left (a shell may fork while we kill).
    for (let round = 0; round < 100; round++) {
      const pids = sb.pids();
      if (pids.length === 0) break;
      killAll(sb);
      await new Promise((r) => setTimeout(r, round < 10 ? 2 : 20));
    }
    await waitUntil(() => !sb.alive(), 5000, `the anchor of lab "${sb.name}" to exit`);
  }
  removeRecord(sb.name);
}
