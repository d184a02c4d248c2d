// Safe edits in a real browser, on a real lab: deleting a configured namespace asks first and undo
// brings back everything it had (checked in the kernel); two tabs on one lab, where the other tab
// already reverted an edit, drop that undo with a note and still undo older edits; shortcuts never
// fire while typing; a lab destroyed elsewhere locks the editor. Screenshots at 1440x900 and
// 1280x720 in .scratch/. Runs as root.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ObservedLab } from '@nslab/model';
import { destroyLab, execInLab, findSandbox, listLabs } from '@nslab/driver';
import { ensureBuilt, launchChromium, openPage, root, web } from './e2e.ts';
import { buildApp, type NslabApp } from '../../server/src/app.ts';

const TOKEN = `es-token-${Math.random().toString(36).slice(2)}`;
const AUTH = { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' };
const LAB = `es-${process.pid.toString(36)}`;
const SHOTS = join(root, '.scratch/shots-edit');
const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
];

// ns1: an address, a veth plugged into br0 in the lab host, a route, forwarding on.
const YAML = `name: ${LAB}
bridges:
  br0: {}
nodes:
  ns1:
    interfaces:
      int0: { addresses: [10.5.1.10/24] }
    routes:
      - { to: 10.9.0.0/16, via: 10.5.1.11 }
    sysctls: { net.ipv4.ip_forward: "1" }
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

async function observed(): Promise<ObservedLab> {
  const r = await s.app.inject({ method: 'GET', url: `/api/v1/labs/${LAB}`, headers: AUTH });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as ObservedLab;
}

async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const nsItem = (p: Page, name: string) => p.getByRole('treeitem', { name: new RegExp(`^${name}( |$)`) });
const hasNode = async (name: string) => (await observed()).nodes.some((n) => n.name === name);

/** ns1 as the kernel has it: what a deletion loses and undo must bring back. */
async function ns1Config(): Promise<unknown> {
  const lab = await observed();
  const ns1 = lab.nodes.find((n) => n.name === 'ns1');
  const host = lab.nodes.find((n) => n.kind === 'host')!;
  const int0 = ns1?.interfaces.find((i) => i.name === 'int0');
  const port = host.interfaces.find((i) => i.name === 'br-int0');
  return {
    exists: !!ns1,
    addresses: int0?.addresses.filter((a) => !a.startsWith('fe80:')) ?? [],
    up: int0?.up ?? null,
    peer: int0?.peer ? { node: int0.peer.node, interface: int0.peer.interface } : null,
    portOf: port?.master ?? null,
    routes: ns1?.routes.filter((r) => r.protocol !== 'kernel').map((r) => `${r.dst} via ${r.via}`) ?? [],
    forwarding: ns1?.sysctls['net.ipv4.ip_forward'] ?? null,
  };
}

async function shoot(p: Page, name: string): Promise<void> {
  for (const size of SIZES) {
    await p.setViewportSize(size);
    await new Promise((r) => setTimeout(r, 250));
    await p.screenshot({ path: join(SHOTS, `${name}-${size.width}x${size.height}.png`) });
  }
  await p.setViewportSize(SIZES[0]!);
}

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  for (const sb of listLabs()) if (sb.name === LAB) await destroyLab(sb.name);
  s = await buildApp({ token: TOKEN, webRoot: join(web, 'dist') });
  const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: AUTH, payload: { name: LAB, yaml: YAML } });
  expect(r.statusCode, r.body).toBe(201);
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  page = await openPage(browser, SIZES[0]!, consoleErrors);
  await page.goto(`${base}/labs/${LAB}?token=${TOKEN}`);
  await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
  await nsItem(page, 'ns1').waitFor();
});

afterAll(async () => {
  await browser?.close();
  await s?.app.close();
  if (findSandbox(LAB)) await destroyLab(LAB);
});

describe('deleting a configured namespace', () => {
  let before: unknown;

  it('asks first, listing what goes with it', async () => {
    before = await ns1Config();
    expect(before).toEqual({
      exists: true,
      addresses: ['10.5.1.10/24'],
      up: true,
      peer: { node: 'host', interface: 'br-int0' },
      portOf: 'br0',
      routes: ['10.9.0.0/16 via 10.5.1.11'],
      forwarding: '1',
    });
    await nsItem(page, 'ns1').click();
    await page.getByRole('button', { name: 'Delete namespace' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete ns1?' });
    await dialog.waitFor();
    const items = await dialog.getByRole('listitem').allInnerTexts();
    expect(items).toEqual([
      'the veth pair int0 ↔ br-int0 in the lab host, a port of br0',
      '10.5.1.10/24 on int0',
      'route 10.9.0.0/16 via 10.5.1.11 dev int0',
      'IPv4 forwarding (on)',
    ]);
    await dialog.getByText('Undo (Ctrl+Z) puts it all back.').waitFor();
    await shoot(page, 'confirm-delete');
    // Cancel keeps everything.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await hasNode('ns1')).toBe(true);
  });

  it('deletes once confirmed; undo brings back its address, veth, bridge port, route and forwarding', async () => {
    await page.getByRole('button', { name: 'Delete namespace' }).click();
    await page.getByRole('dialog', { name: 'Delete ns1?' }).getByRole('button', { name: 'Delete ns1' }).click();
    await waitFor(async () => !(await hasNode('ns1')), 'ns1 gone from the kernel');
    expect((await execInLab(LAB, 'host', ['ip', 'link', 'show', 'br-int0'])).code).not.toBe(0);
    const undo = page.getByRole('button', { name: 'Undo: delete ns1' });
    await undo.waitFor();
    await undo.click();
    await waitFor(async () => JSON.stringify(await ns1Config()) === JSON.stringify(before), 'ns1 back as it was', 15_000);
    // Straight from the kernel too.
    expect((await execInLab(LAB, 'ns1', ['ip', '-br', 'addr', 'show', 'int0'])).stdout).toContain('10.5.1.10/24');
    expect((await execInLab(LAB, 'host', ['ip', '-br', 'link', 'show', 'master', 'br0'])).stdout).toContain('br-int0');
    expect((await execInLab(LAB, 'ns1', ['ping', '-c1', '-W2', '10.5.1.11'])).code).toBe(0);
  });
});

describe('two tabs on one lab', () => {
  it('an undo the other tab already reverted is dropped with a note; the older undo still works', async () => {
    // Tab A adds ns4, then ns5.
    for (const ns of ['ns4', 'ns5']) {
      await page.getByRole('button', { name: '+ Namespace' }).click();
      await page.getByLabel('New namespace').fill(ns);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await nsItem(page, ns).waitFor();
      // The form closes with the server's answer, which may come after the kernel's patch.
      await page.getByLabel('New namespace').waitFor({ state: 'detached' });
    }
    await page.getByRole('button', { name: 'Undo: add ns5' }).waitFor();
    // Tab B (same browser, signed in by the cookie) deletes ns5 again.
    const tabB = await page.context().newPage();
    try {
      await tabB.goto(`${base}/labs/${LAB}`);
      await tabB.getByRole('status').filter({ hasText: 'live' }).waitFor();
      await nsItem(tabB, 'ns5').click();
      await tabB.getByRole('button', { name: 'Delete namespace' }).click();
      await waitFor(async () => !(await hasNode('ns5')), 'ns5 deleted by tab B');
      await nsItem(page, 'ns5').waitFor({ state: 'detached' });
    } finally {
      await tabB.close();
    }
    // Tab A's undo of "add ns5" is stale: dropped, said so, and not in the way.
    await page.getByRole('button', { name: 'Undo: add ns5' }).click();
    const note = page.getByRole('status').filter({ hasText: 'Undo of “add ns5” was dropped' });
    await note.waitFor();
    expect(await note.innerText()).toMatch(/no node named "ns5".*Older undo steps still work/s);
    await shoot(page, 'stale-undo-note');
    expect(await hasNode('ns4')).toBe(true);
    await page.getByRole('button', { name: 'Undo: add ns4' }).click();
    await waitFor(async () => !(await hasNode('ns4')), 'ns4 undone');
    await note.waitFor({ state: 'detached' });
  });
});

describe('keyboard shortcuts', () => {
  it('act while the graph has the keyboard', async () => {
    await page.locator('.canvas').click({ position: { x: 8, y: 8 } });
    await page.keyboard.press('n');
    const field = page.getByLabel('New namespace');
    await field.waitFor();
    await field.press('Escape');
    await field.waitFor({ state: 'detached' });
  });

  it('never fire while typing in a field', async () => {
    const find = page.getByLabel('Find by name or address');
    await find.click();
    await page.keyboard.type('nbc/');
    expect(await find.inputValue()).toBe('nbc/');
    await find.press('Delete');
    expect(await page.getByLabel('New namespace').count()).toBe(0);
    expect(await page.getByRole('button', { name: '⇄ Connect' }).getAttribute('aria-pressed')).toBe('false');
    await find.fill('');
  });

  it('never fire while typing in a terminal', async () => {
    await nsItem(page, 'ns2').click();
    await page.getByRole('button', { name: 'Open terminal' }).click();
    await page.locator('.nslab-dock-tab[data-node="ns2"][data-status="open"]').waitFor({ timeout: 10_000 });
    const screen = page.locator('.nslab-term-pane[data-active="true"] .xterm-rows');
    await waitFor(async () => /root@ns2/.test(await screen.innerText()), 'the ns2 prompt');
    await page.locator('.nslab-term-pane[data-active="true"] .xterm-screen').click();
    await page.keyboard.type('echo nbcf\n');
    await waitFor(async () => /^nbcf\s*$/m.test((await screen.innerText()).replace(/\u00a0/g, ' ')), 'the echo in the terminal');
    expect(await page.getByLabel('New namespace').count()).toBe(0);
    expect(await page.getByRole('button', { name: '⇄ Connect' }).getAttribute('aria-pressed')).toBe('false');
    // The namespace selected before is still there: Delete in the terminal deleted nothing.
    await page.keyboard.press('Delete');
    expect(await hasNode('ns2')).toBe(true);
  });
});

describe('a lab destroyed from elsewhere', () => {
  it('locks the editor: a banner says so and every edit control is disabled', async () => {
    await nsItem(page, 'ns1').click();
    const d = await s.app.inject({ method: 'DELETE', url: `/api/v1/labs/${LAB}`, headers: AUTH });
    expect(d.statusCode, d.body).toBe(200);
    await page.getByRole('alert').filter({ hasText: 'editing is locked' }).waitFor();
    for (const name of ['+ Namespace', '+ Bridge', '⇄ Connect', 'Why can\'t it reach…?']) {
      expect(await page.getByRole('toolbar', { name: 'Lab tools' }).getByRole('button', { name }).isDisabled(), name).toBe(true);
    }
    expect(await page.getByRole('button', { name: /^Undo/ }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Delete namespace' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Add address' }).first().isDisabled()).toBe(true);
    // Keys do nothing either.
    await page.locator('.canvas').click({ position: { x: 8, y: 8 } });
    await page.keyboard.press('n');
    expect(await page.getByLabel('New namespace').count()).toBe(0);
    await nsItem(page, 'ns1').click();
    await page.getByRole('button', { name: 'Delete namespace' }).waitFor();
    await shoot(page, 'locked-editor');
  });

  it('logged no console errors but the refusals asked for', () => {
    // Tab B's deletion answered 200; tab A's stale undo was refused (400) on purpose.
    expect(consoleErrors.filter((e) => !e.includes('400 (Bad Request)'))).toEqual([]);
  });
});
