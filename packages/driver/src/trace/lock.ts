// One trace at a time per lab, across processes (the server and a CLI may both trace), and a record
// of what a trace armed, so a trace whose process died (SIGKILL, a crash) is cleaned up by the next
// one, or by the server when it starts. The record is real root's, under /run/nslab: the lab never
// sees it.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { labsDir } from '../state-dir.ts';
import { isAlive, processStartTime } from '../proc.ts';

export interface TraceRecord {
  pid: number;
  startTime: number;
  /** The trace table's name, in every armed namespace. */
  table: string;
  nodes: string[];
}

export class TraceBusyError extends Error {
  readonly code = 'TRACE_BUSY';
  constructor(lab: string) {
    super(`lab "${lab}" is already being traced: one trace at a time per lab`);
    this.name = 'TraceBusyError';
  }
}

function path(lab: string): string {
  return join(labsDir(), lab, 'trace.json');
}

/** The record of a trace whose process is gone, if one was left. */
export function staleTrace(lab: string): TraceRecord | null {
  const r = read(lab);
  return r && !isAlive(r.pid, r.startTime) ? r : null;
}

function read(lab: string): TraceRecord | null {
  try {
    const r = JSON.parse(readFileSync(path(lab), 'utf8')) as TraceRecord;
    if (typeof r.pid !== 'number' || typeof r.table !== 'string' || !Array.isArray(r.nodes)) return null;
    return r;
  } catch {
    return null;
  }
}

/** Take the lab's trace lock (O_EXCL create); a lock left by a dead process must be swept first. */
export function takeTraceLock(lab: string, table: string, nodes: string[]): () => void {
  const rec: TraceRecord = { pid: process.pid, startTime: processStartTime(process.pid) ?? 0, table, nodes };
  let fd: number;
  try {
    fd = openSync(path(lab), 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new TraceBusyError(lab);
    throw e;
  }
  writeSync(fd, JSON.stringify(rec));
  closeSync(fd);
  return () => rmSync(path(lab), { force: true });
}

export function removeTraceRecord(lab: string): void {
  rmSync(path(lab), { force: true });
}
