// Real browser, real server, real kernel: Chromium (playwright-core) drives the built web app served
// by an in-process nslab server. A lab is created and wired up by hand on the canvas (a veth drawn
// by dragging with the mouse), and every claim is checked where it matters: in the kernel for
// edits, in the page (without reload) for changes made behind its back. Runs as root.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureBuilt, launchChromium, openPage } from './e2e.ts';
import { destroyLab, execInLab, findSandbox, listLabs } from '@nslab/driver';
import { buildApp, type NslabApp } from '../../server/src/app.ts';

const root = join(import.meta.dirname, '../../..');
const web = join(root, 'apps/web');
const TOKEN = `w-token-${Math.random().toString(36).slice(2)}`;
const AUTH = { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' };
const LAB = `w-${process.pid.toString(36)}`;
const SHOTS = join(root, '.artifacts/screenshots');

let s: NslabApp;
let browser: Browser;
let page: Page;
let base = '';
const consoleErrors: string[] = [];


const treeitem = (label: RegExp) => page.getByRole('treeitem', { name: label });
/** A namespace's outline item (its name, then hints such as "lo down"). */
const nsItem = (name: string) => treeitem(new RegExp(`^${name.replace(/[.]/g, '\\.')}( |$)`));

/** Where Cytoscape drew an element, in page coordinates. */
async function drawnAt(id: string): Promise<{ x: number; y: number }> {
  // The canvas may be gliding to show something new: wait until it stands still.
  await page.waitForFunction(() => !window.__nslab_cy!.animated());
  return page.evaluate((id) => {
    const cy = window.__nslab_cy!;
    const box = cy.container()!.getBoundingClientRect();
    const p = cy.getElementById(id).renderedPosition();
    return { x: box.left + p.x, y: box.top + p.y };
  }, id);
}

async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  for (const sb of listLabs()) if (sb.name === LAB) await destroyLab(sb.name);
  s = await buildApp({ token: TOKEN, webRoot: join(web, 'dist') });
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  page = await openPage(browser, { width: 1440, height: 900 }, consoleErrors);
});

afterAll(async () => {
  await browser?.close();
  await s?.app.close();
  for (const name of [LAB, `${LAB}-b`]) if (findSandbox(name)) await destroyLab(name);
});

describe('the topology graph in a real browser', () => {
  it('signs in with the URL token and lists the catalog on the home page', async () => {
    await page.goto(`${base}/?token=${TOKEN}`);
    expect(page.url()).not.toContain('token=');
    await page.getByRole('heading', { name: 'Labs', exact: true }).waitFor();
    for (const lab of ['bridge', 'veth-pair', 'veth']) await page.getByRole('heading', { name: new RegExp(`^${lab} `) }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'home.png') });
  });

  it('creates an empty lab from the home page and opens it', async () => {
    await page.getByLabel('Lab name', { exact: true }).fill(LAB);
    await page.getByRole('button', { name: 'Create empty lab' }).click();
    await page.waitForURL(`**/labs/${LAB}`);
    await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
    await nsItem('lab host').waitFor();
  });

  it('adds two namespaces from the palette; they appear when the kernel has them', async () => {
    for (const ns of ['ns1', 'ns2']) {
      await page.getByRole('button', { name: '+ Namespace' }).click();
      await expect(page.getByLabel('New namespace').inputValue()).resolves.toBe(ns);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await nsItem(ns).waitFor();
      // The form closes with the server's answer, which may come after the kernel's patch.
      await page.getByLabel('New namespace').waitFor({ state: 'detached' });
    }
    expect(await page.evaluate(() => window.__nslab_cy!.nodes().map((n) => n.id()).sort())).toEqual(['host', 'ns1', 'ns2']);
  });

  it('creates a veth pair by dragging from ns1 to ns2 on the canvas', async () => {
    await page.getByRole('button', { name: '⇄ Connect' }).click();
    const a = await drawnAt('ns1');
    const b = await drawnAt('ns2');
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 20, { steps: 8 });
    await page.mouse.move(b.x, b.y, { steps: 8 });
    await page.mouse.up();
    const dialog = page.getByRole('dialog', { name: 'New veth pair' });
    await dialog.waitFor();
    const names = dialog.getByLabel('Interface name');
    expect(await names.nth(0).inputValue()).toBe('veth-ns1-ns2');
    expect(await names.nth(1).inputValue()).toBe('veth-ns2-ns1');
    await dialog.getByRole('button', { name: 'Create veth pair' }).click();
    await treeitem(/^ns1:veth-ns1-ns2 ↔ ns2:veth-ns2-ns1/).waitFor();
    await page.keyboard.press('Escape'); // leave connect mode
    // The pair appears with its first patch, DOWN; the patches bringing both ends up follow it.
    await page.waitForFunction(() => window.__nslab_cy!.edges().some((e) => e.data('sourceLabel') === 'veth-ns1-ns2' && e.data('targetLabel') === 'veth-ns2-ns1'));
    const edge = await page.evaluate(() => window.__nslab_cy!.edges().map((e) => e.data()));
    expect(edge).toHaveLength(1);
    expect(edge[0]).toMatchObject({ source: 'ns1', target: 'ns2', sourceLabel: 'veth-ns1-ns2', targetLabel: 'veth-ns2-ns1' });
  });

  it('sets addresses and link state in the side panel, and the kernel pings', async () => {
    await treeitem(/^ns1:veth-ns1-ns2 ↔ ns2:veth-ns2-ns1/).click();
    const panel = page.getByRole('complementary', { name: 'Inspector' });
    await panel.getByRole('heading', { name: 'veth pair' }).waitFor();
    // CIDR checked as you type, before anything is sent.
    const first = panel.getByLabel('New address for veth-ns1-ns2 (CIDR)');
    await first.fill('10.1.5.300/24');
    await panel.getByText('300 is more than 255').waitFor();
    expect(await panel.getByRole('button', { name: 'Add address' }).first().isDisabled()).toBe(true);
    await first.fill('10.1.5.10/24');
    await first.press('Enter');
    const second = panel.getByLabel('New address for veth-ns2-ns1 (CIDR)');
    await second.fill('10.1.5.11/24');
    await second.press('Enter');
    await panel.getByRole('list', { name: 'Addresses of veth-ns1-ns2' }).getByText('10.1.5.10/24').waitFor();
    await panel.getByRole('list', { name: 'Addresses of veth-ns2-ns1' }).getByText('10.1.5.11/24').waitFor();

    // Down, then up again: the pill follows the kernel each time.
    await panel.getByRole('button', { name: 'Bring down veth-ns1-ns2' }).click();
    await panel.getByRole('button', { name: 'Bring up veth-ns1-ns2' }).click();
    await panel.getByRole('button', { name: 'Bring down veth-ns1-ns2' }).waitFor();
    await waitFor(async () => (await page.evaluate(() => window.__nslab_cy!.edges()[0]!.hasClass('up'))) === true, 'the edge to turn up');
    const label = await page.evaluate(() => window.__nslab_cy!.edges()[0]!.data('sourceLabel') as string);
    expect(label).toBe('veth-ns1-ns2\n10.1.5.10/24');
    await page.screenshot({ path: join(SHOTS, 'side-panel.png') });

    const ping = await execInLab(LAB, 'ns1', ['ping', '-c1', '-W2', '10.1.5.11'], { timeoutMs: 10_000 });
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
  });

  it('shows a change made behind its back (ip link add through the exec API) without reload', async () => {
    const r = await s.app.inject({
      method: 'POST',
      url: `/api/v1/labs/${LAB}/nodes/host/exec`,
      headers: AUTH,
      payload: { argv: ['ip', 'link', 'add', 'br9', 'type', 'bridge'] },
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().code).toBe(0);
    await treeitem(/^br9/).waitFor();
    await waitFor(() => page.evaluate(() => window.__nslab_cy!.getElementById('host:br9').nonempty()), 'br9 on the canvas');
    // The hand-typed command is in the log like any other.
    await page.locator('.log-list').getByText('ip link add br9 type bridge').waitFor();
  });

  it('shows the lab graph, the namespace inspector and the command log', async () => {
    await page.getByRole('button', { name: 'Fit' }).click();
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SHOTS, 'lab-graph.png') });
    await nsItem('ns1').click();
    const panel = page.getByRole('complementary', { name: 'Inspector' });
    await panel.getByRole('heading', { name: 'ns1' }).waitFor();
    await panel.getByRole('cell', { name: '10.1.5.0/24', exact: true }).first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'namespace-panel.png') });
    await page.locator('.command-log').screenshot({ path: join(SHOTS, 'command-log.png') });
    const lines = await page.locator('.log-list .line').allInnerTexts();
    expect(lines).toContain('ip netns add ns1');
    expect(lines.some((l) => l.includes('ip -n ns1 addr add 10.1.5.10/24 dev veth-ns1-ns2'))).toBe(true);
  });

  it('explains a refused edit next to the form that caused it, with the kernel\'s words', async () => {
    const panel = page.getByRole('complementary', { name: 'Inspector' });
    const errorsBefore = consoleErrors.length;
    // 10.1.5.0/24 already has a kernel route in ns1 with the same metric: a second one is refused before running.
    await panel.getByLabel('To', { exact: true }).fill('10.1.5.0/24');
    await panel.getByLabel('Dev', { exact: true }).selectOption('veth-ns1-ns2');
    await panel.getByRole('button', { name: 'Add route' }).click();
    const alert = panel.locator('.route-form').getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/already has a route to 10\.1\.5\.0\/24/);
    // A gateway the kernel cannot reach: refused by the kernel itself, its message shown as is.
    await panel.getByLabel('To', { exact: true }).fill('10.9.0.0/24');
    await panel.getByLabel('Via', { exact: true }).fill('10.77.0.1');
    await panel.getByLabel('Dev', { exact: true }).selectOption('');
    await panel.getByRole('button', { name: 'Add route' }).click();
    await alert.getByText('The kernel refused the command').waitFor();
    expect(await alert.innerText()).toMatch(/Kernel:/);
    await page.screenshot({ path: join(SHOTS, 'error.png') });
    const failed = page.locator('.log-list li.failed');
    await failed.first().waitFor();
    expect(await failed.first().innerText()).toContain('ip -n ns1 route add 10.9.0.0/24 via 10.77.0.1');
    // Chromium reports every 4xx response on the console; these two were asked for, nothing else was logged.
    const logged = consoleErrors.splice(errorsBefore);
    expect(logged).toEqual([
      'Failed to load resource: the server responded with a status of 400 (Bad Request)',
      'Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)',
    ]);
  });

  it('finds a namespace by name: highlighted on the canvas, Enter selects it', async () => {
    await page.keyboard.press('Escape');
    // Single keys work while the graph has the keyboard (not while typing, see shortcuts.ts).
    await page.locator('.canvas-wrap').press('/');
    await page.keyboard.type('ns2');
    await waitFor(() => page.evaluate(() => window.__nslab_cy!.getElementById('ns2').hasClass('match')), 'ns2 highlighted');
    expect(await page.evaluate(() => window.__nslab_cy!.getElementById('ns1').hasClass('match'))).toBe(false);
    await page.keyboard.press('Enter');
    await page.getByRole('complementary', { name: 'Inspector' }).getByRole('heading', { name: 'ns2' }).waitFor();
    await page.getByLabel('Find by name or address').fill('');
  });

  it('saves a dragged position on the server', async () => {
    const before = await drawnAt('ns2');
    await page.mouse.move(before.x, before.y);
    await page.mouse.down();
    await page.mouse.move(before.x + 40, before.y + 90, { steps: 6 });
    await page.mouse.up();
    const moved = await page.evaluate(() => window.__nslab_cy!.getElementById('ns2').position());
    const lab = await s.registry.get(LAB);
    await waitFor(() => lab.positions.ns2?.x === Math.round(moved.x) && lab.positions.ns2?.y === Math.round(moved.y), 'the position on the server');
  });

  it('walks the outline with the keyboard', async () => {
    await nsItem('lab host').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.getByRole('complementary', { name: 'Inspector' }).getByRole('heading', { name: 'ns1' }).waitFor();
    expect(await page.evaluate(() => window.__nslab_cy!.getElementById('ns1').hasClass('sel'))).toBe(true);
  });

  it('deletes a namespace with the Delete key; it vanishes with its veth; undo brings it back', async () => {
    await nsItem('ns2').click();
    await page.locator('.canvas').click({ position: { x: 5, y: 5 } }); // focus leaves the outline; selection cleared
    await nsItem('ns2').click();
    await page.keyboard.press('Delete');
    // ns2 has an address and a veth: deleting asks first.
    await page.getByRole('dialog', { name: 'Delete ns2?' }).getByRole('button', { name: 'Delete ns2' }).click();
    await nsItem('ns2').waitFor({ state: 'detached' });
    await treeitem(/veth-ns1-ns2/).waitFor({ state: 'detached' });
    expect(await page.evaluate(() => window.__nslab_cy!.getElementById('ns2').empty())).toBe(true);
    const gone = await execInLab(LAB, 'host', ['ip', 'netns', 'list']);
    expect(gone.stdout).not.toMatch(/\bns2\b/);

    await page.keyboard.press('Control+z');
    await nsItem('ns2').waitFor();
  });

  it('says so when the lab is destroyed from another tab', async () => {
    const other = `${LAB}-b`;
    const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: AUTH, payload: { name: other } });
    expect(r.statusCode, r.body).toBe(201);
    let tab: Page | undefined;
    try {
      tab = await page.context().newPage(); // same context: signed in by the cookie
      tab.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      await tab.goto(`${base}/labs/${other}`);
      await tab.getByRole('status').filter({ hasText: 'live' }).waitFor();
      // As another tab would: through the API (the server then tells every client).
      const d = await s.app.inject({ method: 'DELETE', url: `/api/v1/labs/${other}`, headers: AUTH });
      expect(d.statusCode, d.body).toBe(200);
      await tab.getByRole('alert').filter({ hasText: 'This lab was destroyed' }).waitFor();
    } finally {
      await tab?.close();
      if (findSandbox(other)) await destroyLab(other);
    }
  });

  it('destroys the lab from the home page after confirming', async () => {
    await page.getByRole('link', { name: 'nslab' }).click();
    await page.waitForURL(`${base}/`);
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: LAB, exact: true }) });
    await row.getByRole('button', { name: 'Destroy' }).click();
    const dialog = page.getByRole('dialog', { name: `Destroy ${LAB}?` });
    await dialog.getByRole('button', { name: `Destroy ${LAB}` }).click();
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    expect(findSandbox(LAB)).toBeNull();
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
