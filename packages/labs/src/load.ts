// Labs from disk: each folder of labs/ with a lab.yaml.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import type { Lab } from './format.ts';
import { parseLab } from './parse.ts';

export function loadLab(dir: string, id: string): Lab {
  const folder = join(dir, id);
  return parseLab(id, {
    lab: readFileSync(join(folder, 'lab.yaml'), 'utf8'),
    read: (p) => {
      // Only files inside the lab folder.
      const full = normalize(join(folder, p));
      if (!full.startsWith(folder + '/')) return null;
      try {
        return readFileSync(full, 'utf8');
      } catch {
        return null;
      }
    },
  });
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
