// Reading /proc: process identity (pid + start time, against pid reuse) and uid ownership.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/** Start time in clock ticks since boot (field 22 of /proc/PID/stat), or null if the pid is gone. */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: parse after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return null;
    return Number(rest[19]);
  } catch {
    return null;
  }
}

export function isAlive(pid: number, startTime: number): boolean {
  return processStartTime(pid) === startTime;
}

export function nsInode(pid: number | 'self', ns: 'user' | 'net' | 'mnt'): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/${ns}`);
  } catch {
    return null;
  }
}

/** Pids whose real uid lies in [lo, hi): every process of a sandbox, even ones in nested user namespaces. */
export function pidsWithUidIn(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const m = /^Uid:\s+(\d+)/m.exec(status);
      const state = /^State:\s+(\S)/m.exec(status)?.[1];
      if (m && state !== 'Z') {
        const uid = Number(m[1]);
        if (uid >= lo && uid < hi) out.push(Number(entry));
      }
    } catch {
      /* exited while we looked */
    }
  }
  return out;
}

/** Pids in session `sid` (a terminal's shell and everything it started, whatever their process group). */
export function pidsInSession(sid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields after comm: state ppid pgrp session ...
      if (Number(rest[3]) === sid && rest[0] !== 'Z') out.push(Number(entry));
    } catch {
      /* exited */
    }
  }
  return out;
}

/** The first child of `pid` (e.g. the process `unshare --fork` or `nsenter -p` started), or null. */
export function firstChild(pid: number): number | null {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length > 0 ? Number(kids[0]) : null;
  } catch {
    return null;
  }
}

/**
 * Uids of every live process (a zombie can do nothing), read without blocking the event loop: a
 * host with many labs at their process caps has tens of thousands of /proc entries.
 */
export async function liveUids(): Promise<number[]> {
  const entries = (await readdir('/proc')).filter((e) => /^\d+$/.test(e));
  const out: number[] = [];
  for (let i = 0; i < entries.length; i += 256) {
    const batch = await Promise.all(entries.slice(i, i + 256).map((e) => readFile(`/proc/${e}/status`, 'utf8').catch(() => '')));
    for (const status of batch) {
      const m = /^Uid:\s+(\d+)/m.exec(status);
      if (m && /^State:\s+(\S)/m.exec(status)?.[1] !== 'Z') out.push(Number(m[1]));
    }
  }
  return out;
}

/** Pids whose real uid lies in [lo, hi), without blocking the event loop. */
export async function pidsWithUidInAsync(lo: number, hi: number): Promise<number[]> {
  const entries = (await readdir('/proc')).filter((e) => /^\d+$/.test(e));
  const out: number[] = [];
  for (let i = 0; i < entries.length; i += 256) {
    const slice = entries.slice(i, i + 256);
    const batch = await Promise.all(slice.map((e) => readFile(`/proc/${e}/status`, 'utf8').catch(() => '')));
    batch.forEach((status, k) => {
      const m = /^Uid:\s+(\d+)/m.exec(status);
      const state = /^State:\s+(\S)/m.exec(status)?.[1];
      if (m && state !== 'Z' && Number(m[1]) >= lo && Number(m[1]) < hi) out.push(Number(slice[k]));
    });
  }
  return out;
}
