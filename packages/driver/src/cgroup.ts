// A lab's control groups: processes and memory bounded by the kernel, per lab. nslab only ever
// creates its own groups (`nslab/<lab>`) under the group the server already runs in, one per
// controller on cgroup v1 or one on cgroup v2, and removes only those. It never writes to a group
// it did not create and never moves a process it did not start.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export type Controller = 'pids' | 'memory' | 'freezer';
const WANTED: Controller[] = ['pids', 'memory', 'freezer'];

/** Where this host lets nslab make groups: per controller, the directory of the server's own group. */
export interface CgroupHost {
  version: 1 | 2 | null;
  /** controller -> directory under which `nslab/<lab>` is made. Missing controllers are absent. */
  bases: Partial<Record<Controller, string>>;
  /** Why a controller is missing (for `nslab doctor`). */
  missing: Partial<Record<Controller, string>>;
}

export interface CgroupFiles {
  mountinfo: string;
  selfCgroup: string;
}

interface Mount {
  root: string;
  point: string;
  type: string;
  superOpts: string[];
}

function parseMountinfo(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    out.push({ root: unescape(pre[3] ?? ''), point: unescape(pre[4] ?? ''), type: post[0] ?? '', superOpts: (post[2] ?? '').split(',') });
  }
  return out;
}

/** The directory of group `path` (from /proc/self/cgroup) in a hierarchy mounted at `m`. */
function dirIn(m: Mount, path: string): string | null {
  const root = m.root === '/' ? '' : m.root;
  if (root && path !== root && !path.startsWith(`${root}/`)) return null;
  return join(m.point, path.slice(root.length) || '/');
}

/**
 * Pure: which controllers nslab can use, from /proc/self/mountinfo and /proc/self/cgroup.
 * `subtreeControl(dir)` returns a v2 group's cgroup.subtree_control (a controller nslab may use on
 * v2 must already be delegated there: enabling it would change a group nslab did not create).
 */
export function detectCgroupHost(files: CgroupFiles, subtreeControl: (dir: string) => string | null): CgroupHost {
  const mounts = parseMountinfo(files.mountinfo);
  const lines = files.selfCgroup.split('\n').filter(Boolean).map((l) => {
    const [, , ctrls, path] = /^(\d+):([^:]*):(.*)$/.exec(l) ?? [];
    return { ctrls: (ctrls ?? '').split(',').filter(Boolean), path: path ?? '/' };
  });
  const bases: CgroupHost['bases'] = {};
  const missing: CgroupHost['missing'] = {};
  // cgroup v1: one hierarchy per controller (or a few co-mounted).
  for (const c of WANTED) {
    const m = mounts.find((x) => x.type === 'cgroup' && x.superOpts.includes(c));
    const line = lines.find((l) => l.ctrls.includes(c));
    if (m && line) {
      const dir = dirIn(m, line.path);
      if (dir) bases[c] = dir;
    }
  }
  if (Object.keys(bases).length > 0) {
    for (const c of WANTED) if (!bases[c]) missing[c] = `no cgroup v1 hierarchy with the ${c} controller is mounted`;
    return { version: 1, bases, missing };
  }
  // cgroup v2: one hierarchy; usable controllers are the ones delegated to the server's group.
  const m2 = mounts.find((x) => x.type === 'cgroup2');
  const path2 = files.selfCgroup.split('\n').find((x) => x.startsWith('0::'))?.slice(3) ?? null;
  if (m2 && path2 !== null) {
    const dir = dirIn(m2, path2);
    const enabled = dir ? (subtreeControl(dir) ?? '').split(/\s+/).filter(Boolean) : [];
    for (const c of WANTED) {
      // v2 has no freezer controller: cgroup.freeze is built in.
      const have = c === 'freezer' ? enabled.includes('pids') || enabled.includes('memory') : enabled.includes(c);
      if (dir && have) bases[c] = dir;
      else missing[c] = `cgroup v2: the ${c === 'freezer' ? 'pids or memory' : c} controller is not delegated to nslab's group ${dir ?? path2} (cgroup.subtree_control: "${enabled.join(' ')}")`;
    }
    return { version: Object.keys(bases).length > 0 ? 2 : null, bases, missing };
  }
  for (const c of WANTED) missing[c] = 'no cgroup hierarchy is mounted';
  return { version: null, bases, missing };
}

let cachedHost: CgroupHost | null = null;

export function cgroupHost(): CgroupHost {
  if (process.env.NSLAB_NO_CGROUPS === '1') {
    return { version: null, bases: {}, missing: { pids: 'turned off (NSLAB_NO_CGROUPS=1)', memory: 'turned off (NSLAB_NO_CGROUPS=1)', freezer: 'turned off (NSLAB_NO_CGROUPS=1)' } };
  }
  cachedHost ??= detectCgroupHost(
    { mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'), selfCgroup: readFileSync('/proc/self/cgroup', 'utf8') },
    (dir) => {
      try {
        return readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8');
      } catch {
        return null;
      }
    },
  );
  return cachedHost;
}

/** A lab's own groups: the directories nslab made, and how to join them. */
export interface LabCgroups {
  version: 1 | 2;
  /** controller -> the lab's group directory. On v2 every controller maps to the same directory. */
  dirs: Partial<Record<Controller, string>>;
}

export interface CgroupLimits {
  processes: number;
  memoryBytes: number;
}

function uniqueDirs(cg: LabCgroups, except: Controller[] = []): string[] {
  const skip = new Set(except.map((c) => cg.dirs[c]));
  // On v2 one directory carries every controller: it cannot be left out for one of them.
  return [...new Set(Object.values(cg.dirs))].filter((d) => cg.version === 2 || !skip.has(d));
}

/** The cgroup.procs files a process writes its pid to, to join the lab's groups. */
export function procsFiles(cg: LabCgroups, except: Controller[] = []): string[] {
  return uniqueDirs(cg, except).map((d) => join(d, 'cgroup.procs'));
}

function ensureDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/** Make `nslab/<group>` under each usable controller and set its limits. Null when the host has none. */
export function createLabCgroups(group: string, limits: CgroupLimits, host: CgroupHost = cgroupHost()): LabCgroups | null {
  if (host.version === null) return null;
  const cg: LabCgroups = { version: host.version, dirs: {} };
  try {
    for (const [c, base] of Object.entries(host.bases) as [Controller, string][]) {
      const parent = join(base, 'nslab');
      ensureDir(parent);
      if (host.version === 2) {
        // Our own group: controllers for its children are ours to enable.
        const want = (['pids', 'memory'] as const).filter((x) => host.bases[x]).map((x) => `+${x}`).join(' ');
        if (want) writeFileSync(join(parent, 'cgroup.subtree_control'), want);
      }
      const dir = join(parent, group);
      // A group of the same name left by a crash: it must be empty to be reused (rmdir fails otherwise).
      if (existsSync(dir)) rmdirSync(dir);
      ensureDir(dir);
      cg.dirs[c] = dir;
    }
    if (cg.dirs.pids) writeFileSync(join(cg.dirs.pids, 'pids.max'), String(limits.processes));
    if (cg.dirs.memory) {
      if (cg.version === 1) writeFileSync(join(cg.dirs.memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      else writeFileSync(join(cg.dirs.memory, 'memory.max'), String(limits.memoryBytes));
    }
    return cg;
  } catch (e) {
    removeLabCgroups(cg);
    throw e;
  }
}

/** Remove the lab's groups; true when all are gone (they must be empty: the lab's processes dead). */
export function removeLabCgroups(cg: LabCgroups): boolean {
  let ok = true;
  for (const d of uniqueDirs(cg)) {
    try {
      rmdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') ok = false;
    }
  }
  return ok;
}

/** How often the lab ran into each limit (pids: forks refused; memory: allocations over the limit). */
export interface LimitHits {
  processes: number;
  memory: number;
}

function readNumber(file: string, key?: string): number {
  try {
    const text = readFileSync(file, 'utf8');
    if (!key) return Number(text.trim()) || 0;
    const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function readLimitHits(cg: LabCgroups): LimitHits {
  const processes = cg.dirs.pids ? readNumber(join(cg.dirs.pids, 'pids.events'), 'max') : 0;
  let memory = 0;
  if (cg.dirs.memory) {
    memory = cg.version === 1 ? readNumber(join(cg.dirs.memory, 'memory.failcnt')) : readNumber(join(cg.dirs.memory, 'memory.events'), 'max');
  }
  return { processes, memory };
}

/** Pids in the lab's groups (what the lab is running, as the kernel counts it). */
export function cgroupPids(cg: LabCgroups): number[] {
  const out = new Set<number>();
  for (const f of procsFiles(cg)) {
    try {
      for (const l of readFileSync(f, 'utf8').split('\n')) if (l) out.add(Number(l));
    } catch {
      /* gone */
    }
  }
  return [...out];
}
