// Durable per-lab data, shared by the CLI and the server: the lab's topology (what a redeploy after
// a reboot rebuilds), canvas positions, and the command log. Under /var/lib/nslab, unlike the
// sandbox records under /run which die with the sandboxes. Writes are atomic (temp + rename) and
// the log is append-only JSON lines, so a crash never leaves a half-written file behind. A full
// disk is a StorageFullError naming what was not saved, and leaves no temp file or torn line.
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { checkNodeName } from '@nslab/model';

export function dataDir(): string {
  return process.env.NSLAB_DATA_DIR ?? '/var/lib/nslab';
}

/** The data disk (or the user's quota on it) is full: `what` was not saved. */
export class StorageFullError extends Error {
  readonly code = 'STORAGE_FULL';
  constructor(
    readonly what: string,
    message = `nslab's data disk is full (${dataDir()}): could not save ${what}`,
  ) {
    super(message);
    this.name = 'StorageFullError';
  }
}

export function isStorageFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return e instanceof StorageFullError || code === 'ENOSPC' || code === 'EDQUOT';
}

/** Run a write; a full disk becomes a StorageFullError saying what was lost, anything else is rethrown. */
function saving<T>(what: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    if (e instanceof StorageFullError) throw e;
    if (isStorageFull(e)) throw new StorageFullError(what);
    throw e;
  }
}

function labDataDir(name: string, create = false): string {
  if (checkNodeName(name)) throw new Error(`bad lab name ${JSON.stringify(name)}`);
  const d = join(dataDir(), 'labs', name);
  if (create) saving(`the data of lab "${name}"`, () => mkdirSync(d, { recursive: true, mode: 0o700 }));
  return d;
}

export function writeFileAtomic(path: string, data: string, what = path): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  saving(what, () => {
    try {
      writeFileSync(tmp, data, { mode: 0o600 });
      renameSync(tmp, path);
    } catch (e) {
      // A temp file left by a failed write would hold space on a disk that is likely full already.
      rmSync(tmp, { force: true });
      throw e;
    }
  });
}

const NEWLINE = 0x0a;

/**
 * Append whole lines or nothing. A line left torn at the end (a crash, an earlier full disk, a
 * writer from an older version) is closed first, so the new records start on a line of their own
 * (a reader skips the fragment); a write that fails part way is cut back off.
 */
function appendLines(path: string, text: string): void {
  const fd = openSync(path, 'a+', 0o600);
  try {
    const size = fstatSync(fd).size;
    let chunk = Buffer.from(text);
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== NEWLINE) chunk = Buffer.concat([Buffer.from([NEWLINE]), chunk]);
    }
    let written = 0;
    try {
      // O_APPEND: each write lands at the end, whoever else appends meanwhile.
      while (written < chunk.length) written += writeSync(fd, chunk, written, chunk.length - written);
    } catch (e) {
      // Only if nobody appended after us: their records must not be cut. Otherwise our fragment
      // stays, ends at the next append's newline, and readers skip it.
      if (written > 0 && fstatSync(fd).size === size + written) ftruncateSync(fd, size);
      throw e;
    }
  } finally {
    closeSync(fd);
  }
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
    writeFileAtomic(join(labDataDir(name, true), 'topology.yaml'), yaml, `the topology of lab "${name}"`);
  },
  loadTopology(name: string): string | null {
    try {
      return readFileSync(join(labDataDir(name), 'topology.yaml'), 'utf8');
    } catch {
      return null;
    }
  },
  savePositions(name: string, positions: Record<string, { x: number; y: number }>): void {
    writeFileAtomic(join(labDataDir(name, true), 'positions.json'), JSON.stringify(positions), `the positions of lab "${name}"`);
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
    const path = join(labDataDir(name, true), 'commands.jsonl');
    saving(`the command log of lab "${name}"`, () => appendLines(path, records.map((r) => JSON.stringify(r)).join('\n') + '\n'));
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
        /* a line torn by a crash or a full disk (closed by the next append), or an empty one */
      }
    }
    return { records, offset: offset + Buffer.byteLength(text.slice(0, end + 1)) };
  },
  /** Which guided lab (labs/<id>) a running lab was started from, and the learner's progress. */
  saveGuide(name: string, guide: { lab: string; passed: string[] }): void {
    writeFileAtomic(join(labDataDir(name, true), 'guide.json'), JSON.stringify(guide), `the guided lab progress of lab "${name}"`);
  },
  loadGuide(name: string): { lab: string; passed: string[] } | null {
    try {
      return JSON.parse(readFileSync(join(labDataDir(name), 'guide.json'), 'utf8')) as { lab: string; passed: string[] };
    } catch {
      return null;
    }
  },
  /** Anything of the lab on disk: a failed create must remove what it wrote, never a saved lab's data. */
  hasData(name: string): boolean {
    try {
      return statSync(labDataDir(name)).isDirectory();
    } catch {
      return false;
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
