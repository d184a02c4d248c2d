// Signing out of a provider sign-in in a real browser (Debian's Chromium, the web app served): the
// app's "Sign out" ends the session here, goes to the provider's sign-out page (another site), and
// after "Yes, sign me out" the browser is back on nslab's sign-in page, signed out at both: the
// next sign-in asks for the password at the provider again. Screenshots of the page it comes back
// to in .scratch/oidc-logout/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { validateOidcConfig } from '@nslab/driver';
import { buildApp, type NslabApp } from '../src/app.ts';
import { Classroom } from '../src/classroom/classroom.ts';
import { ensureBuilt, launchChromium, root, web } from '../../web/test/e2e.ts';
import { CLIENT_ID, CLIENT_SECRET, freePort, startProvider, type TestProvider } from './classroom-oidc-flow.ts';

const SHOTS = join(root, '.scratch/oidc-logout');
let idp: TestProvider;
let s: NslabApp;
let dir = '';
let origin = '';
let browser: Browser;

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  idp = await startProvider([port], { issuerHost: 'localhost' });
  dir = mkdtempSync(join(tmpdir(), 'nslab-oidc-logout-'));
  const oidc = validateOidcConfig({ issuer: idp.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, publicUrl: origin, scopes: ['openid', 'email', 'profile', 'groups'], groupRoles: { teachers: 'instructor' } }, 'test.yaml');
  s = await buildApp({ classroom: Classroom.open({ database: join(dir, 'classroom.db'), oidc, signInPerMinute: 10_000 }), webRoot: join(web, 'dist') });
  await s.app.listen({ host: '127.0.0.1', port });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await s?.app.close();
  await idp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('signing out of a provider sign-in in Chromium', () => {
  it("Sign out ends the session here and at the provider, and comes back to nslab's sign-in page", async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${origin}/api/v1/auth/oidc/start?next=/`);
    await page.waitForURL((u) => u.origin === idp.issuer);
    await page.fill('input[name=login]', 'tess');
    await page.fill('input[name=password]', 'any-password');
    await Promise.all([page.waitForURL((u) => u.pathname.includes('/interaction/') || u.origin === origin), page.click('button[type=submit]')]);
    if (new URL(page.url()).origin === idp.issuer) await Promise.all([page.waitForURL((u) => u.origin === origin), page.click('button[type=submit]')]);
    await page.getByRole('button', { name: 'Sign out' }).click();
    // The provider's own sign-out page, on its site.
    await page.waitForURL((u) => u.origin === idp.issuer);
    await page.getByRole('button', { name: 'Yes, sign me out' }).waitFor();
    expect((await context.cookies(origin)).find((c) => c.name === 'nslab_session')).toBeUndefined();
    await Promise.all([page.waitForURL(`${origin}/`), page.getByRole('button', { name: 'Yes, sign me out' }).click()]);
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expect(await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status)).toBe(401);
    for (const [width, height] of [[1440, 900], [1280, 720]] as const) {
      await page.setViewportSize({ width, height });
      await page.waitForTimeout(200);
      await page.screenshot({ path: join(SHOTS, `back-at-sign-in-${width}x${height}.png`) });
    }
    // Signed out at the provider as well: it asks for the password again.
    await page.goto(`${origin}/api/v1/auth/oidc/start?next=/`);
    await page.waitForURL((u) => u.origin === idp.issuer);
    await page.locator('input[name=login]').waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });
});
