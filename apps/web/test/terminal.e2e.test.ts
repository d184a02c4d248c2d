// Real browser, real server, real kernel: Chromium (playwright-core) loads the built web app from a
// listening nslab server, opens a terminal in a namespace of a real lab, types into xterm.js and
// reads what xterm rendered. Runs as root (it deploys a lab).
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureBuilt, launchChromium } from './e2e.ts';
import { destroyLab, findSandbox, listLabs } from '@nslab/driver';
import { buildApp, type NslabApp } from '../../server/src/app.ts';

const root = join(import.meta.dirname, '../../..');
const TOKEN = `wt-token-${Math.random().toString(36).slice(2)}`;
const AUTH = { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' };
const LAB = `wt-${process.pid.toString(36)}`;
const SHOT = join(root, '.artifacts/screenshots/terminal.png');
// Another build of the app may be served instead (NSLAB_E2E_WEBROOT, already built).
const webRoot = process.env.NSLAB_E2E_WEBROOT ?? join(root, 'apps/web/dist');

let s: NslabApp;
let browser: Browser;
let page: Page;
let base = '';

/** The rendered rows of the visible terminal, as a reader sees them. */
async function screen(): Promise<string> {
  const text = await page.locator('.nslab-term-pane[data-active="true"] .xterm-rows').innerText();
  return text.replace(/\u00a0/g, ' ');
}

async function waitForScreen(re: RegExp, timeoutMs = 5000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    last = await screen();
    if (re.test(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${re} on screen:\n${last}`);
}

/** Type a command and wait until it finished: a marker the command echo cannot match. */
async function run(cmd: string, timeoutMs = 5000): Promise<string> {
  const tag = Math.random().toString(36).slice(2, 8);
  await page.keyboard.type(`${cmd}; echo done-"${tag}"\n`);
  const out = await waitForScreen(new RegExp(`^done-${tag}`, 'm'), timeoutMs);
  return out.slice(out.lastIndexOf(cmd));
}

/**
 * Open a terminal the way a user does: double-click the namespace on the graph. When the page has
 * no graph (a page that mounts only the dock), use the store's hook, which the double-click calls.
 */
async function openTerminalOn(node: string): Promise<void> {
  const onGraph = await page
    .waitForFunction((n) => window.__nslab_cy?.getElementById(n).nonempty() ?? false, node, { timeout: 10_000 })
    .then(() => true)
    .catch(() => false);
  if (onGraph) {
    const drawnAt = () =>
      page.evaluate((n) => {
        const cy = window.__nslab_cy!;
        const box = cy.container()!.getBoundingClientRect();
        const r = cy.getElementById(n).renderedPosition();
        const inside = r.x > 10 && r.y > 10 && r.x < box.width - 10 && r.y < box.height - 10;
        return { x: box.left + r.x, y: box.top + r.y, inside };
      }, node);
    let p = await drawnAt();
    if (!p.inside) {
      // The dock took room from the canvas and the node is out of view: the toolbar's Fit brings it back.
      await page.getByRole('button', { name: 'Fit', exact: true }).click();
      await new Promise((r) => setTimeout(r, 400));
      p = await drawnAt();
    }
    await page.mouse.dblclick(p.x, p.y);
  } else {
    console.warn('no graph on the page: opening the terminal through window.__nslab_openTerminal');
    await page.evaluate(([lab, n]) => window.__nslab_openTerminal!(lab!, n!), [LAB, node]);
  }
  await page.locator(`.nslab-dock-tab[data-node="${node}"][aria-selected="true"]`).waitFor({ timeout: 5000 });
}

beforeAll(async () => {
  if (!process.env.NSLAB_E2E_WEBROOT) ensureBuilt();
  for (const sb of listLabs()) if (sb.name === LAB) await destroyLab(sb.name);
  // keepTerminals: the restart test hands shells to the next server, as `nslab serve` does.
  s = await buildApp({ token: TOKEN, webRoot, keepTerminals: true });
  const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: AUTH, payload: { name: LAB, yaml: readFileSync(join(root, 'labs/veth-pair/topology.yaml'), 'utf8') } });
  expect(r.statusCode, r.body).toBe(201);
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  // Tall enough for ~14 terminal rows in the dock's default share (a 2-ping output and its command on one screen).
  page = await browser.newPage({ viewport: { width: 1440, height: 1100 }, permissions: ['clipboard-read', 'clipboard-write'] });
  page.on('pageerror', (e) => console.error('page error:', e));
});

afterAll(async () => {
  await browser?.close();
  await s?.app.close();
  if (findSandbox(LAB)) await destroyLab(LAB);
});

describe('terminal in the browser', () => {
  it('loads the lab page with the dock mounted', async () => {
    // The server trades the URL token for a cookie and redirects; the socket then rides on the cookie.
    await page.goto(`${base}/labs/${LAB}?token=${TOKEN}`);
    expect(page.url()).not.toContain('token=');
    await page.locator('.nslab-dock').waitFor({ state: 'attached', timeout: 10_000 });
  });

  it('opens a shell in ns1, types into xterm.js and reads the rendered screen', async () => {
    await openTerminalOn('ns1');
    await page.locator('.nslab-dock-tab[data-node="ns1"][data-status="open"]').waitFor({ timeout: 10_000 });
    await waitForScreen(/root@ns1[^\n]*#/);
    await page.locator('.nslab-term-pane[data-active="true"] .xterm-screen').click();
    const addr = await run('ip -br addr');
    expect(addr).toContain('veth-01');
    expect(addr).toContain('10.1.5.10/24');
    expect(addr).not.toContain('veth-10');
    const ping = await run('ping -c1 -W1 10.1.5.11');
    expect(ping).toContain('1 received');
    // What was typed shows in the command log (the dock's Commands tab), in its namespace, and can be hidden.
    await page.getByRole('tab', { name: /^Commands/ }).click();
    const typedRow = page.locator('.log-list li', { has: page.locator('.source-terminal') }).filter({ hasText: 'ip netns exec ns1 ip -br addr' });
    await typedRow.first().waitFor({ timeout: 5000 });
    const toggle = page.getByRole('checkbox', { name: 'typed in terminals' });
    await toggle.uncheck();
    await typedRow.first().waitFor({ state: 'detached', timeout: 2000 });
    await toggle.check();
    await typedRow.first().waitFor({ timeout: 2000 });
    // Keyboard focus back in the terminal for what follows.
    await page.getByRole('tab', { name: /^Terminals/ }).click();
    await page.locator('.nslab-term-pane[data-active="true"] .xterm-screen').click();
  });

  it('finds text with Ctrl+Shift+F', async () => {
    await page.keyboard.press('Control+Shift+F');
    const box = page.locator('.nslab-term-pane[data-active="true"] .nslab-term-search input');
    await box.waitFor();
    await box.fill('10.1.5.10');
    await box.press('Enter');
    expect(await box.getAttribute('data-missing')).toBe('false');
    // The match is selected (xterm draws the selection as its own layer).
    expect(await page.locator('.nslab-term-pane[data-active="true"] .xterm-selection div').count()).toBeGreaterThan(0);
    await box.press('Escape');
    await box.waitFor({ state: 'detached' });
  });

  it('copies on selection and pastes with Ctrl+Shift+V', async () => {
    await run('echo copy-me-"42"');
    // Double-click the output word on the rendered screen: xterm selects it, the dock copies it.
    const row = page.locator('.nslab-term-pane[data-active="true"] .xterm-rows > div').filter({ hasText: /^copy-me-42\s*$/ }).last();
    const box = (await row.boundingBox())!;
    await page.mouse.dblclick(box.x + 30, box.y + box.height / 2);
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText()), { timeout: 2000 }).toBe('copy-me-42');
    await page.keyboard.type('echo pasted:');
    await page.keyboard.press('Control+Shift+V');
    await page.keyboard.press('Enter');
    await waitForScreen(/^pasted:copy-me-42\s*$/m);
  });

  it('a second tab keeps the first terminal, and the screenshot shows both', async () => {
    await openTerminalOn('ns2');
    await page.locator('.nslab-dock-tab[data-node="ns2"][data-status="open"]').waitFor({ timeout: 10_000 });
    await waitForScreen(/root@ns2[^\n]*#/);
    const out = await run('ip -br addr show veth-10 && ping -c2 -i0.2 -W1 10.1.5.10');
    expect(out).toContain('10.1.5.11/24');
    expect(out).toContain('2 received');
    // Back on ns1: its screen is as it was left.
    await page.locator('.nslab-dock-tab[data-node="ns1"]').click();
    expect(await screen()).toContain('pasted:copy-me-42');
    // Ctrl-L clears the screen for the screenshot; the command stays visible on top.
    await page.keyboard.press('Control+L');
    await page.keyboard.type('ip -br addr && ping -c1 -W1 10.1.5.11\n');
    await waitForScreen(/1 received[\s\S]*root@ns1[^\n]*#/);
    mkdirSync(join(root, '.artifacts/screenshots'), { recursive: true });
    await page.screenshot({ path: SHOT });
  });

  it('dragging the dock taller resizes the pty; collapse and expand keep the terminal', async () => {
    const size = async () => {
      const out = await run('stty size');
      const m = /^(\d+) (\d+)\s*$/m.exec(out);
      return { rows: Number(m![1]), cols: Number(m![2]) };
    };
    const before = await size();
    const handle = (await page.getByRole('separator', { name: 'Resize the dock' }).boundingBox())!;
    await page.mouse.move(handle.x + 200, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle.x + 200, handle.y - 150, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => (await size()).rows, { timeout: 3000 }).toBeGreaterThan(before.rows + 5);
    expect((await size()).cols).toBe(before.cols);
    await page.getByRole('button', { name: 'Hide terminals' }).click();
    await page.locator('.nslab-dock-panes').waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Show terminals' }).click();
    await page.locator('.nslab-term-pane[data-active="true"] .xterm-screen').click();
    expect(await run('echo still-"here"')).toContain('still-here');
  });

  it('survives a flood: the page stays responsive and Ctrl-C brings the prompt back within 1 s', async () => {
    await page.locator('.nslab-term-pane[data-active="true"] .xterm-screen').click();
    const stats = () =>
      page.evaluate(() => {
        const lab = location.pathname.split('/')[2]!;
        return window.__nslab_terminalStats!(window.__nslab_terminals!(lab).active!)!;
      });
    const before = await stats();
    await page.keyboard.type('cat /dev/urandom | base64\n');
    const lags: number[] = [];
    const end = Date.now() + 2000;
    while (Date.now() < end) {
      const t0 = performance.now();
      await page.evaluate(() => 1);
      lags.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
    const flooded = await screen();
    expect(flooded).toMatch(/[A-Za-z0-9+/]{60,}/);
    const during = await stats();
    const t0 = performance.now();
    await page.keyboard.press('Control+C');
    // The last non-empty rendered row is the prompt again.
    await page.waitForFunction(
      () => {
        const rows = document.querySelector('.nslab-term-pane[data-active="true"] .xterm-rows');
        const lines = (rows?.textContent ? [...rows.children].map((r) => (r.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()) : []).filter(Boolean);
        return /root@ns1[^#]*#$/.test(lines.at(-1) ?? '');
      },
      null,
      { timeout: 1000, polling: 'raf' },
    );
    const ctrlC = performance.now() - t0;
    const backlog = (await stats()).received - during.received;
    const t1 = performance.now();
    await page.evaluate(() => 1);
    const after = performance.now() - t1;
    const rate = (during.received - before.received) / 2 / 1024 / 1024;
    console.log(
      `flood: ${rate.toFixed(1)} MB/s into xterm, ${during.pauses - before.pauses} pauses, ${(during.pending / 1024).toFixed(0)} kB pending at Ctrl-C; ` +
        `page.evaluate max ${Math.max(...lags).toFixed(0)} ms (n=${lags.length}), Ctrl-C to prompt ${ctrlC.toFixed(0)} ms ` +
        `(${(backlog / 1024).toFixed(0)} kB still arrived after Ctrl-C), evaluate after ${after.toFixed(0)} ms`,
    );
    // xterm is never more than the high watermark (plus a frame) behind: flow control pauses the
    // server first. (On this machine xterm usually keeps up and no PAUSE is needed at all.)
    expect(during.pending).toBeLessThan(1024 * 1024);
    expect(rate).toBeGreaterThan(0.5);
    expect(ctrlC).toBeLessThan(1000);
    // Never a stall: a frozen page would take seconds to answer.
    expect(Math.max(...lags)).toBeLessThan(1000);
    // Still a working shell afterwards.
    expect(await run('echo after-"flood"')).toContain('after-flood');
  });

  it('a page reload keeps the tabs: each re-attaches to its shell, state and scrollback included', async () => {
    await page.locator('.nslab-dock-tab[data-node="ns1"]').click();
    await page.locator('.nslab-term-pane[data-active="true"] .xterm-screen').click();
    await run('export RELOADED=still-"mine"');
    const before = s.terminals.count(LAB);
    await page.reload();
    await page.locator('.nslab-dock-tab[data-node="ns1"][data-status="open"]').waitFor({ timeout: 15_000 });
    await page.locator('.nslab-dock-tab[data-node="ns2"][data-status="open"]').waitFor({ timeout: 15_000 });
    // The same shells, not new ones: the server holds as many as before.
    expect(s.terminals.count(LAB)).toBe(before);
    await page.locator('.nslab-dock-tab[data-node="ns1"]').click();
    await waitForScreen(/RELOADED=still/); // the scrollback came back with it
    await page.locator('.nslab-term-pane[data-active="true"] .xterm-screen').click();
    expect(await run('echo "$RELOADED"')).toMatch(/^still-mine\s*$/m);
  });

  it('a server restart keeps the shell: the tab reconnects to the same session with its state', async () => {
    await page.locator('.nslab-dock-tab[data-node="ns1"]').click();
    await page.locator('.nslab-term-pane[data-active="true"] .xterm-screen').click();
    await run('export KEPT=across-"restart"; cd /tmp');
    const port = Number(new URL(base).port);
    // What `nslab serve` does on SIGTERM, then a new server on the same port adopting the shells.
    await s.app.close();
    s = await buildApp({ token: TOKEN, webRoot, keepTerminals: true });
    await s.registry.adoptAll();
    expect(await s.terminals.adopt((lab) => lab === LAB)).toBe(2);
    await s.app.listen({ host: '127.0.0.1', port });
    await page.locator('.nslab-dock-tab[data-node="ns1"][data-status="open"]').waitFor({ timeout: 15_000 });
    expect(await run('echo "$KEPT in $(pwd)"')).toMatch(/^across-restart in \/tmp\s*$/m);
  });

  it('closing a tab ends its shell on the server', async () => {
    expect(s.terminals.count(LAB)).toBe(2);
    await page.locator('.nslab-dock-tab[data-node="ns1"] .nslab-dock-close').click();
    await page.locator('.nslab-dock-tab[data-node="ns1"]').waitFor({ state: 'detached' });
    const end = Date.now() + 3000;
    while (s.terminals.count(LAB) !== 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(s.terminals.count(LAB)).toBe(1);
    // The remaining tab (ns2) is shown.
    await waitForScreen(/root@ns2/);
  });

  it('destroying the lab shows why the shell ended and marks the tab exited', async () => {
    const r = await s.app.inject({ method: 'DELETE', url: `/api/v1/labs/${LAB}`, headers: AUTH });
    expect(r.statusCode, r.body).toBeLessThan(300);
    await page.locator('.nslab-dock-tab[data-node="ns2"][data-status="exited"]').waitFor({ timeout: 10_000 });
    await waitForScreen(new RegExp(`\\[process exited: lab ${LAB} was destroyed\\]`));
  });
});
