// Idle stop and return in a real browser, on a classroom server with a short idle time (2.5 s) and
// a real lab: a student leaves their lab with a terminal open, the server stops it (saved); when
// they come back the lab page says plainly that it was stopped and started again, and the terminal
// tab reopens (the same tab, restored with the page: why its shell ended, then a new one). From a browser that never had
// the tab (another context), the terminal opens as a new tab. Screenshots at 1440x900 and 1280x720
// in .scratch/class-feat/. Runs as root.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { destroyLab, findSandbox, labStore } from '@nslab/driver';
import { buildApp, type NslabApp } from '../../server/src/app.ts';
import { Classroom } from '../../server/src/classroom/classroom.ts';
import { ensureBuilt, launchChromium, root, web } from './e2e.ts';

const SHOTS = join(root, '.scratch/class-feat');
const STUDENT = { username: 'idris', password: 'idris-password-1' };
const IDLE_MS = 2500;

let dir = '';
let s: NslabApp;
let browser: Browser;
let base = '';
let lab = '';
const problems: string[] = [];
const contexts: BrowserContext[] = [];

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Signed out at first (401) is expected; nothing else may log an error.
    if (m.type() === 'error' && !/status of 401\b/.test(m.text())) problems.push(m.text());
  });
  // For whoever reads a failing run: what the page asked about the idle stop, and the answers.
  page.on('response', (r) => {
    if (r.url().includes('/idle-stop')) void r.text().then((t) => process.stderr.write(`${new Date().toISOString()} ${r.request().method()} ${r.url()} -> ${r.status()} ${t.slice(0, 300)}\n`), () => {});
  });
  return page;
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('Username').fill(STUDENT.username);
  await page.getByLabel('Password').fill(STUDENT.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

const screen = async (page: Page) => (await page.locator('.nslab-term-pane[data-active="true"] .xterm-rows').innerText()).replace(/\u00a0/g, ' ');

async function waitForScreen(page: Page, re: RegExp, timeoutMs = 10_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    last = await screen(page).catch(() => '');
    if (re.test(last)) return last;
    await page.waitForTimeout(50);
  }
  throw new Error(`timed out waiting for ${re} on screen:\n${last}`);
}

async function type(page: Page, text: string): Promise<void> {
  await page.locator('.nslab-term-pane[data-active="true"] .xterm-screen').click();
  await page.keyboard.type(text);
}

async function shoot(page: Page, name: string): Promise<void> {
  for (const [width, height] of [[1440, 900], [1280, 720]] as const) {
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SHOTS, `${name}-${width}x${height}.png`) });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

async function untilStopped(): Promise<void> {
  const end = Date.now() + 20_000;
  while (!(findSandbox(lab) === null && s.idle!.wasStoppedIdle(lab))) {
    if (Date.now() > end) throw new Error('the lab was not stopped for idleness');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const terminals = (page: Page) => page.evaluate((l) => window.__nslab_terminals!(l).terminals.map((t) => ({ node: t.node, status: t.status })), lab);

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'nslab-classroom-idle-'));
  const classroom = Classroom.open({ database: join(dir, 'classroom.db'), idleStopMs: IDLE_MS, idleSweepMs: 300 });
  await classroom.accounts.create({ username: STUDENT.username, role: 'student', password: STUDENT.password });
  s = await buildApp({ classroom, webRoot: join(web, 'dist') });
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await s?.app.close();
  if (lab) {
    if (findSandbox(lab)) await destroyLab(lab);
    labStore.remove(lab);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a lab stopped while its student was away', () => {
  let page: Page;

  it('the student opens their lab and a terminal, then leaves: the server stops it', async () => {
    page = await newPage();
    await signIn(page);
    const yaml = 'nodes:\n  n1:\n    interfaces:\n      eth0: { addresses: [10.75.0.1/24] }\n  n2:\n    interfaces:\n      eth0: { addresses: [10.75.0.2/24] }\nlinks:\n  - endpoints: ["n1:eth0", "n2:eth0"]\n';
    const r = await page.request.post(`${base}/api/v1/labs`, { data: { name: 'idle-lab', yaml }, headers: { origin: base } });
    expect(r.status(), await r.text()).toBe(201);
    lab = (await r.json()).name;
    await page.goto(`${base}/labs/${lab}`);
    await page.locator('.pill.status-live').waitFor();
    await page.evaluate((l) => window.__nslab_openTerminal!(l, 'n1'), lab);
    await waitForScreen(page, /root@n1:\/# /);
    await type(page, 'echo before-the-stop\n');
    await waitForScreen(page, /^before-the-stop/m);
    // No notice for a lab that was not stopped.
    expect(await page.locator('.idle-notice').count()).toBe(0);
    // Away: the page is gone (its sockets close), the shell waits detached, which is no client.
    await page.goto('about:blank');
    await untilStopped();
    expect(s.classroom!.idleStops.get(lab)?.terminals.map((t) => t.node)).toEqual(['n1']);
  });

  it('back in the same browser tab: the page says it was stopped and started again, and the terminal tab gets a new shell', async () => {
    await page.goto(`${base}/labs/${lab}`);
    const notice = page.locator('.idle-notice[data-phase="restored"]');
    // Starting the lab again is a deploy: slow on a loaded machine.
    await notice.waitFor({ timeout: 45_000 });
    const text = (await notice.innerText()).replace(/\s+/g, ' ');
    expect(text).toMatch(/Your lab was stopped at \d{1,2}:\d\d( [AP]M)? after 1 minute with nobody using it, and it has been started again as you left it/);
    expect(text).toContain('Terminals opened again: n1.');
    expect(findSandbox(lab)).not.toBeNull();
    // The same tab (restored with the page), not a second one: why its old shell ended, then the new one.
    await waitForScreen(page, /that terminal session has ended[\s\S]*\[a new shell\][\s\S]*root@n1:\/# /);
    expect(await terminals(page)).toEqual([{ node: 'n1', status: 'open' }]);
    await type(page, 'ip -br addr show eth0\n');
    await waitForScreen(page, /eth0\S*\s+UP\s+10\.75\.0\.1\/24/);
    await shoot(page, 'idle-restored');
    // Dismissed, it is gone; and a reload does not bring it back (taken once).
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    expect(await page.locator('.idle-notice').count()).toBe(0);
    await page.reload();
    await page.locator('.pill.status-live').waitFor();
    await page.waitForTimeout(500);
    expect(await page.locator('.idle-notice').count()).toBe(0);
  });

  it('from a browser that never had the tab, the terminal comes back as a new tab', async () => {
    await page.context().close();
    await untilStopped();
    const fresh = await newPage();
    await signIn(fresh);
    await fresh.goto(`${base}/labs/${lab}`);
    await fresh.locator('.idle-notice[data-phase="restored"]').waitFor({ timeout: 45_000 });
    await waitForScreen(fresh, /root@n1:\/# /);
    expect(await terminals(fresh)).toEqual([{ node: 'n1', status: 'open' }]);
    await type(fresh, 'echo after-the-stop\n');
    await waitForScreen(fresh, /^after-the-stop/m);
    expect(problems).toEqual([]);
  });
});
