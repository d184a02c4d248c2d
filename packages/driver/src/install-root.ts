// Where nslab is installed (the workspace root: labs/, apps/web/dist, dist/). Found by walking up
// from this module, so it is the same whether it runs from source (tsx) or from the bundle in dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function installRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`nslab: no pnpm-workspace.yaml above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}
