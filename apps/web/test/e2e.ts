// Shared by the browser tests: a production build of the app that is never older than its sources,
// and Debian's Chromium the way this machine can run it (never a downloaded browser).
/// <reference types="node" />
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const root = join(import.meta.dirname, '../../..');
export const web = join(root, 'apps/web');

function newestMtime(dir: string): number {
  let t = 0;
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, f.name);
    t = Math.max(t, f.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds the app when dist is missing or older than its sources. */
export function ensureBuilt(): void {
  const index = join(web, 'dist/index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(join(web, 'src'))) return;
  // NODE_ENV=production: vitest sets it to 'test', which would make Vite build React's development bundle.
  execFileSync('pnpm', ['-C', 'apps/web', 'run', 'build'], { cwd: root, stdio: 'pipe', env: { ...process.env, NODE_ENV: 'production' } });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page in a fresh context that records console errors and uncaught exceptions in `errors`. */
export async function openPage(browser: Browser, viewport: { width: number; height: number }, errors: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') {
      errors.push(m.text());
      // Which resource, for whoever reads a failing run ("404" alone does not say).
      if (m.location().url) process.stderr.write(`browser console error: ${m.text()} at ${m.location().url}\n`);
    }
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  // What a refused request said, for whoever reads a failing run.
  page.on('response', (r) => {
    if (r.status() >= 400) void r.text().then((t) => process.stderr.write(`browser request ${r.request().method()} ${r.url()} -> ${r.status()}: ${t.slice(0, 300)}\n`), () => {});
  });
  return page;
}
