// `pnpm build` (server half): the CLI and server as one plain-JavaScript file, dist/nslab.mjs, and
// the pty host beside it, dist/pty-host.mjs. Bare `node` then runs the server without the tsx loader
// (its module hooks and esbuild service cost ~50 MB of RSS; the server's goal is 150 MB).
import { createRequire } from 'node:module';
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Esbuild {
  build(opts: Record<string, unknown>): Promise<{ errors: unknown[]; warnings: unknown[]; metafile?: { outputs: Record<string, unknown> } }>;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Native add-ons cannot be bundled: resolved at run time from the root node_modules. */
const EXTERNAL = ['@lydell/node-pty', 'better-sqlite3'];

export async function buildServer(): Promise<string> {
  const req = createRequire(join(root, 'package.json'));
  // The esbuild that tsx already depends on: no second copy to install.
  const esbuildPath = createRequire(req.resolve('tsx/package.json')).resolve('esbuild');
  const esbuild = (await import(pathToFileURL(esbuildPath).href)) as Esbuild;
  const out = join(root, 'dist');
  const result = await esbuild.build({
    entryPoints: { nslab: join(root, 'apps/cli/src/main.ts'), 'pty-host': join(root, 'packages/driver/src/pty-host/main.ts') },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outdir: out,
    outExtension: { '.js': '.mjs' },
    external: EXTERNAL,
    logLevel: 'error',
    // The server and the guided-lab runtime are imported only by the commands that use them; as
    // chunks of their own, `nslab list` or `nslab exec` does not parse them (~2.8 MB) on every call.
    // Chunks sit beside nslab.mjs: the pty host client finds pty-host.mjs next to its own module.
    splitting: true,
    chunkNames: 'chunk-[hash]',
    metafile: true,
    // CommonJS dependencies call require(); give the ES module one.
    banner: { js: 'import { createRequire as __nslabRequire } from "node:module"; const require = __nslabRequire(import.meta.url);' },
  });
  // Chunks of earlier builds (their names change with their content) would pile up.
  const current = new Set(Object.keys(result.metafile?.outputs ?? {}).map((p) => basename(p)));
  for (const f of readdirSync(out)) if (/^chunk-.*\.mjs$/.test(f) && !current.has(f)) rmSync(join(out, f), { force: true });
  return join(out, 'nslab.mjs');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  const main = await buildServer();
  console.log(`built ${main} (+ pty-host.mjs) in ${Math.round(performance.now() - t0)} ms`);
}
