// Labs from disk: each folder of labs/ with a lab.yaml.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import type { Lab } from './format.ts';
import { parseLab } from './parse.ts';

/**
 * Parsed labs by folder, each with what the files it was parsed from looked like. Parsing a lab
 * (YAML, its topology, its Markdown) takes 5-45 ms of the event loop, and the server loads a lab
 * for every guide check and every row of the instructor's grid; a stat per file is microseconds.
 */
const parsed = new Map<string, { lab: Lab; files: Map<string, string> }>();

/** What a file looks like now (change time, size, inode), or that it is missing. */
function stamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.ctimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

export function loadLab(dir: string, id: string): Lab {
  const folder = join(dir, id);
  const cached = parsed.get(folder);
  if (cached && [...cached.files].every(([path, was]) => stamp(path) === was)) return structuredClone(cached.lab);
  // Stamped before reading: a file changed while being read is read again next time.
  const files = new Map<string, string>();
  const readStamped = (path: string): string => {
    files.set(path, stamp(path));
    return readFileSync(path, 'utf8');
  };
  const lab = parseLab(id, {
    lab: readStamped(join(folder, 'lab.yaml')),
    read: (p) => {
      // Only files inside the lab folder.
      const full = normalize(join(folder, p));
      if (!full.startsWith(folder + '/')) return null;
      try {
        return readStamped(full);
      } catch {
        return null;
      }
    },
  });
  parsed.set(folder, { lab, files });
  return structuredClone(lab);
}

export function catalogIds(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'lab.yaml')))
    .map((d) => d.name)
    .sort();
}

export function loadCatalog(dir: string): Lab[] {
  return catalogIds(dir).map((id) => loadLab(dir, id));
}
