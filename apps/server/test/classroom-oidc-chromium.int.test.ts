// OpenID Connect sign-in in a real browser (Debian's Chromium): the provider on another site
// (localhost) than nslab (127.0.0.1), as a school's is, so the cookie rules are the browser's own:
// the flow cookie (SameSite=Lax) must come back on the provider's cross-site redirect to the
// callback, and the session cookie (SameSite=Strict) must then work for the app's own requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, root } from '../../web/test/e2e.ts';
import { freePort, nslabWithOidc, startProvider, type OidcNslab, type TestProvider } from './classroom-oidc-flow.ts';

let idp: TestProvider;
let nslab: OidcNslab;
let browser: Browser;

beforeAll(async () => {
  const port = await freePort();
  idp = await startProvider([port], { issuerHost: 'localhost' });
  nslab = await nslabWithOidc(port, idp.issuer, { groupRoles: { teachers: 'instructor' } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await nslab?.close();
  await idp?.close();
});

async function throughProvider(page: Page, login: string): Promise<void> {
  await page.waitForURL((u) => u.origin === idp.issuer);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any-password');
  await Promise.all([page.waitForURL((u) => u.pathname.includes('/interaction/') || u.origin === nslab.origin), page.click('button[type=submit]')]);
  if (new URL(page.url()).origin === idp.issuer) {
    // The consent page.
    await Promise.all([page.waitForURL((u) => u.origin === nslab.origin), page.click('button[type=submit]')]);
  }
}

describe('OpenID Connect sign-in in Chromium', () => {
  it('signs in through the provider on another site; the session works for the page and survives a reload', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    await page.goto(`${nslab.origin}/api/v1/auth/oidc/start?next=/`);
    await throughProvider(page, 'tess');
    expect(page.url()).toBe(`${nslab.origin}/`);
    const cookies = await context.cookies(nslab.origin);
    expect(cookies.find((c) => c.name === 'nslab_oidc')).toBeUndefined();
    expect(cookies.find((c) => c.name === 'nslab_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    const me = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).json());
    expect(me.user).toMatchObject({ username: 'tess', displayName: 'Tess Teacher', role: 'instructor' });
    // A change from the page (same origin) works with the session: the instructor makes a class.
    const made = await page.evaluate(async () => (await fetch('/api/v1/classes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Chromium class' }) })).status);
    expect(made).toBe(201);
    await page.reload();
    expect((await page.evaluate(async () => (await fetch('/api/v1/auth/me')).json())).user.username).toBe('tess');
    await context.close();
  });

  it('a callback opened in a browser that started no flow shows the refusal page, and no session', async () => {
    mkdirSync(join(root, '.scratch'), { recursive: true });
    for (const viewport of [{ width: 1440, height: 900 }, { width: 1280, height: 720 }]) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      const res = await page.goto(`${nslab.origin}/api/v1/auth/oidc/callback?code=stolen&state=whatever&iss=${encodeURIComponent(idp.issuer)}`);
      expect(res!.status()).toBe(400);
      await expect(page.locator('h1').textContent()).resolves.toBe('Sign-in did not work');
      await expect(page.locator('#message').getAttribute('data-code')).resolves.toBe('OIDC_NO_FLOW');
      await expect(page.getByRole('link', { name: 'Sign in again' }).getAttribute('href')).resolves.toBe('/api/v1/auth/oidc/start');
      await page.screenshot({ path: join(root, `.scratch/oidc-refusal-${viewport.width}.png`) });
      expect((await context.cookies(nslab.origin)).find((c) => c.name === 'nslab_session')).toBeUndefined();
      await context.close();
    }
  });
});
