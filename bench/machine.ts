// Machine and process facts for bench reports: CPU busy share, load, a process's memory from /proc.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Share of CPU time not idle over `ms` (all cores), from /proc/stat. */
export async function cpuBusy(ms: number): Promise<number> {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3]! + (f[4] ?? 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  return b.total === a.total ? 0 : 1 - (b.idle - a.idle) / (b.total - a.total);
}

/** Wait (up to `maxMs`) until the machine is below `threshold` busy; returns how long it waited. */
export async function waitQuiet(threshold = 0.25, maxMs = 30_000): Promise<number> {
  const t0 = performance.now();
  let busy = await cpuBusy(250);
  while (busy > threshold && performance.now() - t0 < maxMs) busy = await cpuBusy(500);
  return Math.max(0, performance.now() - t0 - 250);
}

export interface ProcMemory {
  /** Resident set size now, bytes (VmRSS). */
  rss: number;
  /** Peak resident set size since the process started, bytes (VmHWM). */
  hwm: number;
}

/** VmRSS and VmHWM of a process, from /proc/PID/status; null when it is gone. */
export function procMemory(pid: number): ProcMemory | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Direct children of a process (scan of /proc/* /stat; the parent pid is field 4). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // comm may contain spaces and parentheses: the fields after the last ')' are fixed.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) === pid) out.push(Number(e));
    } catch {
      /* exited */
    }
  }
  return out;
}

/** Summed VmRSS of a process's direct children (the server's `ip monitor` helpers), and how many. */
export function childrenRss(pid: number): { count: number; rss: number } {
  let rss = 0;
  let count = 0;
  for (const c of childPids(pid)) {
    const m = procMemory(c);
    if (m && Number.isFinite(m.rss)) {
      rss += m.rss;
      count++;
    }
  }
  return { count, rss };
}

function totalJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** CPU time of this process and its waited-for children (utime + stime + cutime + cstime), in the same ticks as /proc/stat. */
function selfJiffies(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14-17 of stat; `rest` starts at field 3.
  return Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
}

/**
 * Measures, over a stretch of the bench, the share of the whole machine's CPU that went to other
 * processes (everything busy minus this process and its children).
 */
export function otherWorkMeter(): () => number {
  const a = totalJiffies();
  const s = selfJiffies();
  return () => {
    const b = totalJiffies();
    const total = b.total - a.total;
    if (total <= 0) return 0;
    return Math.max(0, (b.busy - a.busy - (selfJiffies() - s)) / total);
  };
}

/** Clock ticks per second of /proc/PID/stat times. */
export const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime of one process, in seconds; null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return null;
  }
}
