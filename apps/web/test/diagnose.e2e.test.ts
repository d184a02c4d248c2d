// "Why can't A reach B?" in a real browser, on a real server and kernel: a bridge lab with one
// bridge port left down is diagnosed from the namespace inspector (cause, fix, the real ping, the
// broken veth lit on the graph), fixed with Apply fix, then broken and fixed again behind the
// page's back — the result is checked again on its own each time. Runs as root.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureBuilt, launchChromium, openPage, root, web } from './e2e.ts';
import { destroyLab, execInLab, findSandbox, listLabs } from '@nslab/driver';
import { buildApp, type NslabApp } from '../../server/src/app.ts';

const TOKEN = `d-token-${Math.random().toString(36).slice(2)}`;
const AUTH = { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' };
const LAB = `wd-${process.pid.toString(36)}`;
const SHOTS = join(root, '.artifacts/screenshots');
const PORT_EDGE = 'veth:host:br-int1=ns2:int1';
const NS1_EDGE = 'veth:host:br-int0=ns1:int0';

const TOPOLOGY = `
name: ${LAB}
bridges:
  br0: {}
nodes:
  ns1:
    interfaces:
      int0: { addresses: [10.5.1.10/24] }
  ns2:
    interfaces:
      int1: { addresses: [10.5.1.11/24] }
links:
  - endpoints: ["ns1:int0", "br0:br-int0"]
  - endpoints: ["ns2:int1", "br0:br-int1"]
`;

let s: NslabApp;
let browser: Browser;
let page: Page;
let base = '';
const consoleErrors: string[] = [];

async function exec(node: string, argv: string[]): Promise<void> {
  const r = await s.app.inject({ method: 'POST', url: `/api/v1/labs/${LAB}/nodes/${node}/exec`, headers: AUTH, payload: { argv } });
  expect(r.statusCode, r.body).toBe(200);
  expect(r.json().code, r.body).toBe(0);
}

/** Graph elements carrying a class, read from the Cytoscape instance. */
const withClass = (cls: string) => page.evaluate((c) => window.__nslab_cy!.elements(`.${c}`).map((e) => e.id()).sort(), cls);

const panel = () => page.getByRole('region', { name: "Why can't it reach?" });
const verdict = () => panel().locator('.diag-verdict');

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  for (const sb of listLabs()) if (sb.name === LAB) await destroyLab(sb.name);
  s = await buildApp({ token: TOKEN, webRoot: join(web, 'dist') });
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: AUTH, payload: { name: LAB, yaml: TOPOLOGY } });
  expect(r.statusCode, r.body).toBe(201);
  await exec('host', ['ip', 'link', 'set', 'dev', 'br-int1', 'down']);
  browser = await launchChromium();
  page = await openPage(browser, { width: 1440, height: 900 }, consoleErrors);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await s?.app.close();
  if (findSandbox(LAB)) await destroyLab(LAB);
});

describe("why can't A reach B, in a real browser", () => {
  it('opens from the namespace inspector with the selected node as the source, and checks the target as you type', async () => {
    await page.goto(`${base}/labs/${LAB}?token=${TOKEN}`);
    await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
    await page.getByRole('treeitem', { name: /^ns1( |$)/ }).click();
    const inspector = page.getByRole('complementary', { name: 'Inspector' });
    await inspector.getByRole('heading', { name: 'ns1' }).waitFor();
    await inspector.getByRole('button', { name: "Why can't it reach…?" }).click();
    await panel().waitFor();
    expect(await panel().getByLabel('From').inputValue()).toBe('ns1');
    const to = panel().getByLabel('To', { exact: true });
    await to.fill('10.5.1.300');
    await panel().getByText(/^Not an IP address: .*300/).waitFor();
    expect(await panel().getByRole('button', { name: 'Diagnose' }).isDisabled()).toBe(true);
    await to.fill('ns 2');
    await panel().getByText(/^Neither a node name nor an IP address: the name contains a space/).waitFor();
    expect(await to.getAttribute('aria-invalid')).toBe('true');
  });

  it('names the broken hop with its cause and fix, agrees with the real ping, and lights the broken veth on the graph', async () => {
    await panel().getByLabel('To', { exact: true }).fill('ns2');
    await panel().getByRole('button', { name: 'Diagnose' }).click();
    await verdict().filter({ hasText: 'Broken at' }).waitFor({ timeout: 15_000 });
    expect(await verdict().innerText()).toBe('✗ Broken at lab host · br-int1 (interface-down)');
    expect(await panel().locator('.diag-cause').innerText()).toBe('bridge port br-int1 is DOWN: frames stop at br0');
    expect(await panel().getByRole('list', { name: 'Fix commands' }).locator('code').allInnerTexts()).toEqual(['ip link set dev br-int1 up']);
    await panel().getByRole('button', { name: 'Copy: ip link set dev br-int1 up' }).waitFor();
    const ping = await panel().locator('.diag-ping').innerText();
    expect(ping).toContain('Real ping ns1 → 10.5.1.11: no reply — agrees with the walk.');
    // The path there, with the broken hop marked.
    const broken = panel().locator('.diag-hop.broken');
    expect(await broken.count()).toBe(1);
    expect(await broken.innerText()).toContain('bridge port br-int1');

    expect(await withClass('diag-broken')).toEqual([PORT_EDGE]);
    const path = await withClass('diag-path');
    expect(path).toEqual(expect.arrayContaining(['ns1', NS1_EDGE, 'host:br0']));
    expect(path).not.toContain(PORT_EDGE);
    await page.screenshot({ path: join(SHOTS, 'diagnose-broken.png') });
  });

  it('Apply fix runs the command in the lab host, and the check passes', async () => {
    await panel().getByRole('button', { name: 'Apply fix' }).click();
    // The result is out of date at once (dimmed, highlight gone), then checked again.
    await panel().getByText('The lab changed since this was checked; checking again…').waitFor();
    expect(await withClass('diag-broken')).toEqual([]);
    await verdict().filter({ hasText: '✓' }).waitFor({ timeout: 15_000 });
    await panel().locator('.diag-stale').waitFor({ state: 'detached' });
    expect(await verdict().innerText()).toBe('✓ ns1 reaches ns2 (10.5.1.11, int1 in ns2) and the reply comes back.');
    await panel().locator('.diag-ping').getByText('Real ping ns1 → 10.5.1.11: replies — agrees with the walk.').waitFor();
    // The kernel has it, and the command log says who ran it.
    const link = await execInLab(LAB, 'host', ['ip', '-br', 'link', 'show', 'dev', 'br-int1'], { timeoutMs: 5000 });
    expect(link.stdout).toMatch(/\bUP\b/);
    // Deploying brought the port up once already; Apply fix is the second time.
    await page.waitForFunction(() => [...document.querySelectorAll('.log-list .line')].filter((l) => (l as HTMLElement).innerText === 'ip link set dev br-int1 up').length === 2);
    // Nothing broken any more; the whole path there and back is lit.
    await page.waitForFunction(() => window.__nslab_cy!.elements('.diag-broken').length === 0);
    expect(await withClass('diag-path')).toEqual(expect.arrayContaining(['ns1', 'ns2', NS1_EDGE, PORT_EDGE, 'host:br0']));
    await page.screenshot({ path: join(SHOTS, 'diagnose-fixed.png') });
  });

  it('checks again on its own when the lab changes behind its back, and passes once fixed by hand', async () => {
    await exec('ns1', ['ip', 'link', 'set', 'dev', 'int0', 'down']);
    await verdict().filter({ hasText: 'Broken at ns1 · int0' }).waitFor({ timeout: 15_000 });
    expect(await panel().locator('.diag-cause').innerText()).toBe('int0 is still DOWN in ns1, and the routes through it went away with it');
    await page.waitForFunction((id) => window.__nslab_cy!.getElementById(id).hasClass('diag-broken'), NS1_EDGE);
    expect(await withClass('diag-broken')).toEqual([NS1_EDGE]);
    // Fixed in a terminal (here: the exec API), not with the button.
    await exec('ns1', ['ip', 'link', 'set', 'dev', 'int0', 'up']);
    await verdict().filter({ hasText: '✓' }).waitFor({ timeout: 15_000 });
    await page.waitForFunction(() => window.__nslab_cy!.elements('.diag-broken').length === 0);
  });

  it('opens from the toolbar too, takes an address, and clears the graph when dismissed', async () => {
    await panel().getByRole('button', { name: 'Close the diagnosis' }).click();
    await panel().waitFor({ state: 'detached' });
    expect(await withClass('diag-path')).toEqual([]);
    await page.keyboard.press('Escape'); // nothing selected
    await page.getByRole('toolbar', { name: 'Lab tools' }).getByRole('button', { name: "Why can't it reach…?" }).click();
    await panel().waitFor();
    expect(await panel().getByLabel('From').inputValue()).toBe('ns1');
    await panel().getByLabel('From').selectOption('ns2');
    await panel().getByLabel('To', { exact: true }).fill('10.5.1.10');
    await panel().getByLabel('To', { exact: true }).press('Enter');
    await verdict().filter({ hasText: '✓ ns2 reaches 10.5.1.10' }).waitFor({ timeout: 15_000 }).catch(async (e) => {
      await page.screenshot({ path: '/tmp/diag-toolbar.png' });
      throw new Error(`${(e as Error).message}\nverdict: ${await verdict().innerText().catch(() => '-')}\nto: ${await panel().getByLabel('To', { exact: true }).inputValue()}`);
    });
    expect((await withClass('diag-path')).length).toBeGreaterThan(3);
    await panel().getByLabel('To', { exact: true }).press('Escape');
    await panel().waitFor({ state: 'detached' });
    expect(await withClass('diag-path')).toEqual([]);
  });

  it('names the filter rule that drops the ping and deletes it with Apply fix; a drop the walk cannot see reads "unexplained", never a tick', async () => {
    await exec('ns2', ['iptables', '-A', 'INPUT', '-p', 'icmp', '-j', 'DROP']);
    await page.getByRole('toolbar', { name: 'Lab tools' }).getByRole('button', { name: "Why can't it reach…?" }).click();
    await panel().waitFor();
    await panel().getByLabel('From').selectOption('ns1');
    await panel().getByLabel('To', { exact: true }).fill('ns2');
    await panel().getByRole('button', { name: 'Diagnose' }).click();
    await verdict().filter({ hasText: 'Broken at' }).waitFor({ timeout: 15_000 });
    expect(await verdict().innerText()).toBe('✗ Broken at ns2 · int1 (filtered)');
    expect(await panel().locator('.diag-cause').innerText()).toBe("ns2's firewall drops the ping from 10.5.1.10 to 10.5.1.11 in its INPUT chain: rule -A INPUT -p icmp -j DROP");
    expect(await panel().getByRole('list', { name: 'Fix commands' }).locator('code').allInnerTexts()).toEqual(['ip netns exec ns2 iptables -D INPUT -p icmp -j DROP']);
    expect(await panel().locator('.diag-ping').innerText()).toContain('no reply — agrees with the walk.');
    await page.screenshot({ path: join(SHOTS, 'diagnose-filtered.png') });
    await panel().getByRole('button', { name: 'Apply fix' }).click();
    await verdict().filter({ hasText: '✓ ns1 reaches ns2' }).waitFor({ timeout: 15_000 });

    // The raw table is not walked: the real ping fails and the headline says so.
    await exec('ns2', ['iptables', '-t', 'raw', '-A', 'PREROUTING', '-p', 'icmp', '-j', 'DROP']);
    await verdict().filter({ hasText: 'Unexplained' }).waitFor({ timeout: 15_000 });
    expect(await verdict().innerText()).toBe('? Unexplained: the walk finds no break from ns1 to ns2 (10.5.1.11, int1 in ns2), but the real ping gets no reply.');
    expect(await verdict().innerText()).not.toContain('✓');
    await page.screenshot({ path: join(SHOTS, 'diagnose-unexplained.png') });
    await exec('ns2', ['iptables', '-t', 'raw', '-D', 'PREROUTING', '-p', 'icmp', '-j', 'DROP']);
    await verdict().filter({ hasText: '✓' }).waitFor({ timeout: 15_000 });
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
