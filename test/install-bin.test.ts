// The `nslab` launcher scripts/install-bin.sh writes: from any directory it runs the checkout's
// bundle while the bundle is at least as new as every source the bundle is built from, and the
// sources otherwise (so it never runs older code than the checkout). Checked on a stand-in checkout
// whose "bundle" and "tsx" only say which one ran.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'nslab-installbin-'));
const root = join(tmp, "check out's");
const bin = join(tmp, 'bin', 'nslab');

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(path: string, text: string, mtime: number, mode = 0o644): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  chmodSync(join(root, path), mode);
  utimesSync(join(root, path), mtime, mtime);
}

function nslab(...args: string[]): string {
  const r = spawnSync(bin, args, { cwd: tmp, encoding: 'utf8', env: { PATH: process.env.PATH! } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

describe('the nslab launcher', () => {
  it('runs the bundle while it is current, the sources when a bundled source is newer; tests and the web app do not count', () => {
    const t0 = 1_700_000_000;
    file('apps/cli/src/main.ts', '', t0);
    file('packages/driver/src/lab.ts', '', t0);
    file('dist/nslab.mjs', "console.log('bundle', process.argv.slice(2).join(' '))", t0 + 10);
    file('node_modules/.bin/tsx', '#!/bin/sh\necho sources "$@"\n', t0, 0o755);
    mkdirSync(join(root, 'scripts'), { recursive: true });
    copyFileSync(join(repo, 'scripts/install-bin.sh'), join(root, 'scripts/install-bin.sh'));
    mkdirSync(dirname(bin), { recursive: true });
    const inst = spawnSync('bash', [join(root, 'scripts/install-bin.sh'), bin], { encoding: 'utf8' });
    expect(inst.status, inst.stderr).toBe(0);

    expect(nslab('list', '--json')).toBe('bundle list --json');
    // Not part of the bundle: a newer test or web file changes nothing.
    file('packages/driver/test/x.int.test.ts', '', t0 + 20);
    file('apps/web/src/api.ts', '', t0 + 20);
    expect(nslab('list')).toBe('bundle list');
    // A newer source of the bundle: the sources run (main.ts through tsx), with the same arguments.
    file('packages/driver/src/lab.ts', '', t0 + 20);
    expect(nslab('exec', 'a b', 'host')).toBe(`sources ${join(root, 'apps/cli/src/main.ts')} exec a b host`);
    // Rebuilt: the bundle again.
    file('dist/nslab.mjs', "console.log('bundle', process.argv.slice(2).join(' '))", t0 + 30);
    expect(nslab('list')).toBe('bundle list');
    rmSync(join(root, 'dist/nslab.mjs'));
    expect(nslab('list')).toMatch(/^sources .*main\.ts list$/);
  });
});
