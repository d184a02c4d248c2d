// Terminals live as long as their lab, in a real browser on a real lab. The server's grace period
// is set to 2 s here: moving around inside the app (lab -> catalog -> back) for longer than that
// must not matter, since the app keeps the connection; only a tab that vanished waits on the grace,
// and a terminal whose shell is gone (grace over, exit) shows why and a Reopen button.
// Screenshots at 1440x900 and 1280x720 in .scratch/. Runs as root.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { destroyLab, findSandbox, listLabs } from '@nslab/driver';
import { ensureBuilt, launchChromium, openPage, root, web } from './e2e.ts';
import { buildApp, type NslabApp } from '../../server/src/app.ts';

const TOKEN = `ts-token-${Math.random().toString(36).slice(2)}`;
const AUTH = { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' };
const LAB = `ts-${process.pid.toString(36)}`;
const GRACE_MS = 2000;
const AWAY_MS = 5000;
const SHOTS = join(root, '.scratch/shots-terminal');

let s: NslabApp;
let browser: Browser;
let page: Page;
let base = '';
const consoleErrors: string[] = [];

const screen = async () => (await page.locator('.nslab-term-pane[data-active="true"] .xterm-rows').innerText()).replace(/\u00a0/g, ' ');

async function waitForScreen(re: RegExp, timeoutMs = 8000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    last = await screen();
    if (re.test(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${re} on screen:\n${last}`);
}

/** The shell's pid, asked of the shell itself. */
async function shellPid(): Promise<number> {
  const tag = Math.random().toString(36).slice(2, 8);
  await page.keyboard.type(`echo pid-${tag}=$$\n`);
  const m = new RegExp(`^pid-${tag}=(\\d+)`, 'm').exec(await waitForScreen(new RegExp(`^pid-${tag}=\\d+`, 'm')));
  return Number(m![1]);
}

const activeTerminal = () => page.evaluate((lab) => window.__nslab_terminals!(lab).active!, LAB);
const sessionOf = (id: string) => page.evaluate((id) => window.__nslab_terminalSession!(id), id);

async function shoot(name: string): Promise<void> {
  for (const size of [{ width: 1440, height: 900 }, { width: 1280, height: 720 }]) {
    await page.setViewportSize(size);
    await new Promise((r) => setTimeout(r, 300));
    await page.screenshot({ path: join(SHOTS, `${name}-${size.width}x${size.height}.png`) });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  for (const sb of listLabs()) if (sb.name === LAB) await destroyLab(sb.name);
  s = await buildApp({ token: TOKEN, webRoot: join(web, 'dist'), terminalGraceMs: GRACE_MS });
  const yaml = readFileSync(join(root, 'labs/veth-pair/topology.yaml'), 'utf8');
  const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: AUTH, payload: { name: LAB, yaml } });
  expect(r.statusCode, r.body).toBe(201);
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  page = await openPage(browser, { width: 1440, height: 900 }, consoleErrors);
  await page.goto(`${base}/labs/${LAB}?token=${TOKEN}`);
  await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await s?.app.close();
  if (findSandbox(LAB)) await destroyLab(LAB);
});

describe('a terminal while the learner moves around the app', () => {
  let id = '';
  let session = '';
  let pid = 0;

  it('opens a shell in ns1 and starts a long-running command', async () => {
    await page.getByRole('treeitem', { name: /^ns1( |$)/ }).click();
    await page.getByRole('button', { name: 'Open terminal' }).click();
    await page.locator('.nslab-dock-tab[data-node="ns1"][data-status="open"]').waitFor({ timeout: 10_000 });
    await waitForScreen(/root@ns1/);
    await page.locator('.nslab-term-pane[data-active="true"] .xterm-screen').click();
    pid = await shellPid();
    await page.keyboard.type('echo before-the-break; sleep 600 &\n');
    await waitForScreen(/^before-the-break/m);
    id = await activeTerminal();
    session = (await sessionOf(id))!.session!;
    expect(session).toMatch(/^[\w-]{10,}$/);
  });

  it(`is still attached after ${AWAY_MS / 1000} s on the catalog, longer than the ${GRACE_MS / 1000} s grace: same shell, scrollback, job`, async () => {
    await page.getByRole('link', { name: 'nslab', exact: true }).click();
    await page.waitForURL(`${base}/`);
    await page.getByRole('heading', { name: 'Labs', exact: true }).waitFor();
    await new Promise((r) => setTimeout(r, AWAY_MS));
    // Back the way a learner goes: the lab's link on the home page.
    await page.getByRole('link', { name: LAB, exact: true }).first().click();
    await page.waitForURL(`**/labs/${LAB}`);
    await page.locator('.nslab-dock-tab[data-node="ns1"][data-status="open"]').waitFor();
    expect(await sessionOf(id)).toEqual({ session, status: 'open' });
    await waitForScreen(/^before-the-break/m);
    await page.locator('.nslab-term-pane[data-active="true"] .xterm-screen').click();
    expect(await shellPid()).toBe(pid);
    await page.keyboard.type('jobs\n');
    await waitForScreen(/Running\s+sleep 600 &/);
  });

  it('an exited shell says so and Reopen starts a new one in the same tab', async () => {
    await page.keyboard.type('exit\n');
    const bar = page.locator('.nslab-term-pane[data-active="true"] .nslab-term-ended');
    await bar.waitFor();
    expect(await bar.innerText()).toMatch(/Shell ended: process exited with code 0\./);
    await shoot('terminal-ended');
    await bar.getByRole('button', { name: 'Reopen a shell in ns1' }).click();
    await bar.waitFor({ state: 'hidden' });
    await page.locator('.nslab-dock-tab[data-node="ns1"][data-status="open"]').waitFor();
    await waitForScreen(/\[a new shell\][\s\S]*root@ns1/);
    // The old output stays above the new shell, in the scrollback.
    expect(await page.evaluate((id) => window.__nslab_terminalText!(id), id)).toMatch(/before-the-break[\s\S]*\[a new shell\]/);
    const again = (await sessionOf(id))!;
    expect(again.status).toBe('open');
    expect(again.session).not.toBe(session);
    session = again.session!;
    pid = await shellPid();
  });

  it('a tab that vanished for longer than the grace comes back ended, with Reopen', async () => {
    // Leaving the app altogether closes the connection: the shell waits the grace period, then ends.
    await page.goto('about:blank');
    await new Promise((r) => setTimeout(r, GRACE_MS + 2000));
    await page.goto(`${base}/labs/${LAB}`);
    const bar = page.locator('.nslab-term-pane[data-active="true"] .nslab-term-ended');
    await bar.waitFor();
    expect(await bar.innerText()).toMatch(/Shell ended: terminal closed: that terminal session has ended/);
    await shoot('terminal-grace-over');
    await bar.getByRole('button', { name: 'Reopen a shell in ns1' }).click();
    await page.locator('.nslab-dock-tab[data-node="ns1"][data-status="open"]').waitFor();
    await page.locator('.nslab-term-pane[data-active="true"] .xterm-screen').click();
    expect(await shellPid()).not.toBe(pid);
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
