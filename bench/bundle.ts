// What-if for the memory bench: the same `nslab` CLI/server as one plain-JavaScript file (esbuild,
// the copy tsx already depends on), run by bare `node` instead of `node --import tsx`. Nothing in
// the repository runs this way today; the bench uses it only to show what the tsx runtime costs.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Esbuild {
  build(opts: Record<string, unknown>): Promise<{ errors: unknown[] }>;
}

/** Native add-ons cannot be bundled: they stay imports, resolved through a symlinked node_modules. */
const NATIVE = ['@lydell/node-pty'];

export interface Bundle {
  /** argv (after node) that runs `nslab` from the bundle. */
  main: string;
  dispose(): void;
}

export async function bundleCli(root: string): Promise<Bundle> {
  const req = createRequire(join(root, 'package.json'));
  const esbuildPath = createRequire(req.resolve('tsx/package.json')).resolve('esbuild');
  const esbuild = (await import(pathToFileURL(esbuildPath).href)) as Esbuild;
  const dir = mkdtempSync(join(tmpdir(), 'nslab-bench-bundle-'));
  const external: string[] = [];
  for (const name of NATIVE) {
    for (const from of ['packages/driver', 'apps/server']) {
      try {
        const pkg = createRequire(join(root, from, 'package.json')).resolve(`${name}/package.json`);
        mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
        symlinkSync(dirname(pkg), join(dir, 'node_modules', name));
        external.push(name);
        break;
      } catch {
        /* not a dependency there */
      }
    }
  }
  const main = join(dir, 'main.mjs');
  await esbuild.build({
    entryPoints: [join(root, 'apps/cli/src/main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile: main,
    external,
    logLevel: 'error',
    // CommonJS dependencies call require(); give the ES module one.
    banner: { js: 'import { createRequire as __nslabRequire } from "node:module"; const require = __nslabRequire(import.meta.url);' },
  });
  return { main, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
