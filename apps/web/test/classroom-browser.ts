// The browser side the classroom e2e files share: a page per account (a context of its own, so
// cookies never mix), every page error and console error collected unless it is a refusal the file
// asks for on purpose, signing in through the form, and screenshots at both sizes that must not
// scroll sideways.
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';

export interface Account {
  username: string;
  password: string;
}

export class ClassroomPages {
  readonly problems: string[] = [];
  private readonly contexts: BrowserContext[] = [];

  /**
   * `browser`: read when a page opens (the file launches it in beforeAll). `allowed`: console errors
   * that are the test's own refusals (e.g. /status of (401|404)\b/: signed out at first, another's lab).
   */
  constructor(
    private readonly browser: () => Browser,
    private readonly allowed: RegExp,
  ) {}

  /** A page for one account; `allowed` replaces the file's refusals for this page alone. */
  async open(opts: { viewport?: { width: number; height: number }; allowed?: RegExp } = {}): Promise<Page> {
    const allowed = opts.allowed ?? this.allowed;
    const context = await this.browser().newContext({ viewport: opts.viewport ?? { width: 1440, height: 900 } });
    this.contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => this.problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !allowed.test(m.text())) this.problems.push(m.text());
    });
    return page;
  }

  async closeAll(): Promise<void> {
    for (const c of this.contexts) await c.close().catch(() => {});
  }
}

/** Signs in on the home page's form and waits for the signed-in page. */
export async function signIn(page: Page, base: string, who: Account): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('Username').fill(who.username);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/**
 * Screenshots `<dir>/<name>-<w>x<h>.png` at 1440x900 and 1280x720 (after scrolling `focus` into
 * view, if given), each checked not to scroll sideways; the page is left at 1440x900.
 */
export async function shootBothSizes(page: Page, dir: string, name: string, opts: { focus?: string; fullPage?: boolean } = {}): Promise<void> {
  for (const [width, height] of [
    [1440, 900],
    [1280, 720],
  ] as const) {
    await page.setViewportSize({ width, height });
    if (opts.focus) await page.locator(opts.focus).scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(dir, `${name}-${width}x${height}.png`), fullPage: opts.fullPage ?? false });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `${name} at ${width}x${height} scrolls sideways`).toBe(true);
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}
