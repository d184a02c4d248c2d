// Guided labs in a real browser, on a real server and kernel: the catalog on the home page (a lab
// this kernel cannot run shown disabled, naming what it lacks), starting veth-pair, a failing check
// with its hint, the step turning passed on its own after the kernel changes, and progress that
// survives a reload. Runs as root.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureBuilt, launchChromium, openPage } from './e2e.ts';
import { destroyLab, findSandbox, listLabs } from '@nslab/driver';
import { buildApp, type NslabApp } from '../../server/src/app.ts';

const root = join(import.meta.dirname, '../../..');
const web = join(root, 'apps/web');
const TOKEN = `g-token-${Math.random().toString(36).slice(2)}`;
const AUTH = { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' };
const LAB = `wg-${process.pid.toString(36)}`;
const SHOTS = join(root, '.artifacts/screenshots');
const VETH_TITLE = 'A veth pair between two namespaces';

let s: NslabApp;
let browser: Browser;
let page: Page;
let base = '';
const consoleErrors: string[] = [];


async function exec(argv: string[]): Promise<void> {
  const r = await s.app.inject({ method: 'POST', url: `/api/v1/labs/${LAB}/nodes/host/exec`, headers: AUTH, payload: { argv } });
  expect(r.statusCode, r.body).toBe(200);
  expect(r.json().code, r.body).toBe(0);
}

const guide = () => page.getByRole('complementary', { name: 'Lab guide' });
const stepButton = (n: number) => guide().getByRole('button', { name: new RegExp(`^Step ${n}: `) });
const progress = () => guide().locator('.guide-progress-text');

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  for (const sb of listLabs()) if (sb.name === LAB) await destroyLab(sb.name);
  s = await buildApp({ token: TOKEN, webRoot: join(web, 'dist') });
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  page = await openPage(browser, { width: 1600, height: 1000 }, consoleErrors);
});

afterAll(async () => {
  await browser?.close();
  await s?.app.close();
  if (findSandbox(LAB)) await destroyLab(LAB);
});

describe('guided labs in a real browser', () => {
  it('lists the catalog on the home page; a lab this kernel cannot run is disabled and says why', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/api/v1/catalog', headers: AUTH });
    const catalog = r.json().labs as { id: string; title: string; missing: string[]; blocked: { capability: string; fix?: string }[]; steps: unknown[] }[];
    await page.goto(`${base}/?token=${TOKEN}`);
    const section = page.getByRole('region', { name: 'Guided labs' });
    await section.waitFor();
    for (const lab of catalog) await section.getByRole('heading', { name: lab.title, exact: true }).waitFor();

    const veth = section.getByRole('listitem').filter({ has: page.getByRole('heading', { name: VETH_TITLE }) });
    expect(await veth.innerText()).toContain('5 steps');
    expect(await veth.getByRole('button', { name: `Start ${VETH_TITLE}` }).isDisabled()).toBe(false);

    // This machine's kernel lacks 802.1Q and bridge VLAN filtering: vlan is shown, but cannot start.
    const vlanLab = catalog.find((l) => l.id === 'vlan')!;
    expect(vlanLab.missing.length, 'this kernel was expected to lack the vlan lab\'s features').toBeGreaterThan(0);
    const vlan = section.getByRole('listitem').filter({ has: page.getByRole('heading', { name: vlanLab.title }) });
    expect(await vlan.getByRole('button', { name: `Start ${vlanLab.title}` }).isDisabled()).toBe(true);
    const text = await vlan.locator('.guided-missing').innerText();
    expect(text).toContain("this machine's kernel lacks");
    for (const f of vlanLab.missing) expect(text).toContain(`(${f})`);
    if (vlanLab.missing.includes('vlan')) expect(text).toContain('802.1Q VLAN (vlan)');
    // A feature the kernel has but labs may not use (a /dev/net/tun of mode 0600) says so, with the fix.
    for (const lab of catalog) {
      for (const b of lab.blocked) {
        const card = section.getByRole('listitem').filter({ has: page.getByRole('heading', { name: lab.title }) });
        const why = await card.locator('.guided-missing').innerText();
        // Its sentence is the device's, not "the kernel lacks".
        expect(why).toMatch(new RegExp(`\\(${b.capability}\\): present in the kernel`));
        if (b.fix) expect(why).toContain(`on the server, as root: ${b.fix}`);
      }
    }
    await section.scrollIntoViewIfNeeded();
    await section.screenshot({ path: join(SHOTS, 'home-catalog.png') });
  });

  it('checks the name, starts veth-pair under it and opens the lab with its guide', async () => {
    const veth = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: VETH_TITLE }) });
    const input = veth.getByLabel(`Lab name for ${VETH_TITLE}`);
    expect(await input.inputValue()).toBe('veth-pair');
    await input.fill('bad name!');
    expect(await veth.getByRole('button', { name: `Start ${VETH_TITLE}` }).isDisabled()).toBe(true);
    await input.fill(LAB);
    await veth.getByRole('button', { name: `Start ${VETH_TITLE}` }).click();
    await page.waitForURL(`**/labs/${LAB}`, { timeout: 30_000 });
    await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
    await guide().waitFor();
    expect(await progress().innerText()).toBe('0 of 5 steps');
    expect(await stepButton(1).getAttribute('aria-expanded')).toBe('true');
    // The step's Markdown: a heading, inline code and a command block with its copy button.
    const body = guide().getByRole('region', { name: /^Step 1: / });
    await body.getByRole('heading', { name: 'Goal' }).waitFor();
    await body.locator('code', { hasText: 'ns1' }).first().waitFor();
    await body.getByRole('button', { name: 'Copy code block' }).waitFor();
    await body.getByRole('button', { name: 'Copy line: ip netns add ns1' }).waitFor({ state: 'attached' });
    await body.getByRole('button', { name: 'Copy code block' }).click();
    await body.getByRole('button', { name: 'Copy code block' }).filter({ hasText: 'Copied' }).waitFor();
  });

  it('fails step 1 on Check, with the hint', async () => {
    const body = guide().getByRole('region', { name: /^Step 1: / });
    await body.getByRole('button', { name: 'Check', exact: true }).click();
    const checks = body.getByRole('list', { name: 'Checks of step 1' });
    await checks.locator('li.fail').first().waitFor();
    expect(await checks.locator('.check-hints').first().innerText()).toContain('ip netns add ns1');
    expect(await progress().innerText()).toBe('0 of 5 steps');
  });

  it('turns step 1 passed on its own after the namespaces appear in the kernel', async () => {
    await exec(['ip', 'netns', 'add', 'ns1']);
    await exec(['ip', 'netns', 'add', 'ns2']);
    // No click: the kernel's patch schedules a re-check.
    await progress().filter({ hasText: '1 of 5 steps' }).waitFor({ timeout: 15_000 });
    await stepButton(1).filter({ hasText: '(passed)' }).waitFor();
    // The step being read passed: the next one opens by itself; step 1 still shows its checks.
    await guide().getByRole('region', { name: /^Step 2: / }).waitFor();
    await stepButton(1).click();
    const body = guide().getByRole('region', { name: /^Step 1: / });
    expect(await body.locator('li.fail').count()).toBe(0);
    expect(await body.locator('li.ok').count()).toBe(2);
    await guide().getByText(/Last auto-check: .* \(step 1\)/).waitFor();
    await body.getByText(/Passed · auto-checked at/).waitFor();
  });

  it('keeps progress across a reload, and opens the next step', async () => {
    await page.reload();
    await guide().waitFor();
    expect(await progress().innerText()).toBe('1 of 5 steps');
    await stepButton(1).filter({ hasText: '(passed)' }).waitFor();
    expect(await stepButton(2).getAttribute('aria-expanded')).toBe('true');
    // Keyboard: the accordion headers are buttons.
    await stepButton(2).focus();
    await page.keyboard.press('Enter');
    expect(await stepButton(2).getAttribute('aria-expanded')).toBe('false');
    await page.keyboard.press('Enter');
    const body = guide().getByRole('region', { name: /^Step 2: / });
    await body.getByRole('button', { name: 'Check', exact: true }).click();
    await body.locator('.check-hints, li.fail').first().waitFor();
    await guide().evaluate((el) => el.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, 'guide.png') });
  });

  it('hides and shows the panel', async () => {
    await guide().getByRole('button', { name: 'Hide ▸' }).click();
    const toggle = guide().getByRole('button', { name: /Guide · 1\/5/ });
    await toggle.click();
    await progress().waitFor();
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
