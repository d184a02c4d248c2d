// Durable per-lab data, shared by the CLI and the server: the lab's topology (what a redeploy after
// a reboot rebuilds), canvas positions, and the command log. Under /var/lib/nslab, unlike the
// sandbox records under /run which die with the sandboxes. Writes are atomic (temp + rename) and
// the log is append-only JSON lines, so a crash never leaves a half-written file behind.
import { appendFileSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { checkNodeName } from '@nslab/model';

export function dataDir(): string {
  return process.env.NSLAB_DATA_DIR ?? '/var/lib/nslab';
}

function labDataDir(name: string, create = false): string {
  if (checkNodeName(name)) throw new Error(`bad lab name ${JSON.stringify(name)}`);
  const d = join(dataDir(), 'labs', name);
  if (create) mkdirSync(d, { recursive: true, mode: 0o700 });
  return d;
}

export function writeFileAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, path);
}

export interface LogRecord {
  time: string;
  source: string;
  line: string;
  ok: boolean;
  error?: string;
}

export const labStore = {
  saveTopology(name: string, yaml: string): void {
    writeFileAtomic(join(labDataDir(name, true), 'topology.yaml'), yaml);
  },
  loadTopology(name: string): string | null {
    try {
      return readFileSync(join(labDataDir(name), 'topology.yaml'), 'utf8');
    } catch {
      return null;
    }
  },
  savePositions(name: string, positions: Record<string, { x: number; y: number }>): void {
    writeFileAtomic(join(labDataDir(name, true), 'positions.json'), JSON.stringify(positions));
  },
  loadPositions(name: string): Record<string, { x: number; y: number }> {
    try {
      return JSON.parse(readFileSync(join(labDataDir(name), 'positions.json'), 'utf8')) as Record<string, { x: number; y: number }>;
    } catch {
      return {};
    }
  },
  /** Reading never creates the lab's folder: a destroyed lab must leave nothing behind. */
  logPath(name: string): string {
    return join(labDataDir(name), 'commands.jsonl');
  },
  appendLog(name: string, records: LogRecord[]): void {
    if (records.length === 0) return;
    appendFileSync(join(labDataDir(name, true), 'commands.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n', { mode: 0o600 });
  },
  /** Records appended after byte `offset`; returns the new offset. Ignores a torn last line. */
  readLogFrom(name: string, offset: number): { records: LogRecord[]; offset: number } {
    const path = labStore.logPath(name);
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      return { records: [], offset };
    }
    if (size <= offset) return { records: [], offset: size < offset ? 0 : offset };
    const buf = Buffer.alloc(size - offset);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, offset);
    } finally {
      closeSync(fd);
    }
    const text = buf.toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return { records: [], offset };
    const records: LogRecord[] = [];
    for (const l of text.slice(0, end).split('\n')) {
      try {
        records.push(JSON.parse(l) as LogRecord);
      } catch {
        /* a line torn by a crash */
      }
    }
    return { records, offset: offset + Buffer.byteLength(text.slice(0, end + 1)) };
  },
  /** Which guided lab (labs/<id>) a running lab was started from, and the learner's progress. */
  saveGuide(name: string, guide: { lab: string; passed: string[] }): void {
    writeFileAtomic(join(labDataDir(name, true), 'guide.json'), JSON.stringify(guide));
  },
  loadGuide(name: string): { lab: string; passed: string[] } | null {
    try {
      return JSON.parse(readFileSync(join(labDataDir(name), 'guide.json'), 'utf8')) as { lab: string; passed: string[] };
    } catch {
      return null;
    }
  },
  listSaved(): string[] {
    try {
      return readdirSync(join(dataDir(), 'labs')).filter((n) => !checkNodeName(n)).sort();
    } catch {
      return [];
    }
  },
  remove(name: string): void {
    rmSync(labDataDir(name), { recursive: true, force: true });
  },
};
