// The veth-pair guided lab finished with the mouse only — toolbar, canvas drag, dialog and inspector
// clicks, form fields filled, nothing typed in a terminal — until the guide shows every step done.
// On the way: the veth dialog proposes the names the step expects, a command block opens the
// terminal it is typed in, and the labs' Chinese renders with real glyphs (the CJK font setup.sh
// installs), not boxes. Screenshots at 1440x900 and 1280x720. Real server, kernel and Chromium; root.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium, openPage, root } from './e2e.ts';
import { destroyLab, execInLab, findSandbox, listLabs } from '@nslab/driver';
import { buildApp, type NslabApp } from '../../server/src/app.ts';

const TOKEN = `gm-token-${Math.random().toString(36).slice(2)}`;
const LAB = `g13m-${process.pid.toString(36)}`;
const BRIDGE_LAB = `g13b-${process.pid.toString(36)}`;
const AUTH = { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' };
const SHOTS = join(root, '.artifacts/screenshots');
const VETH_TITLE = 'A veth pair between two namespaces';
const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
];

let s: NslabApp;
let dist = '';
let browser: Browser;
let page: Page;
let base = '';
const consoleErrors: string[] = [];

const guide = () => page.getByRole('complementary', { name: 'Lab guide' });
const progress = () => guide().locator('.guide-progress-text');
const stepBody = (n: number) => guide().getByRole('region', { name: new RegExp(`^Step ${n}: `) });
const inspector = () => page.getByRole('complementary', { name: 'Inspector' });

async function waitForProgress(done: number): Promise<void> {
  await progress().filter({ hasText: `${done} of 5 steps` }).waitFor({ timeout: 20_000 });
}

/** Where Cytoscape drew a node, in page coordinates, once the canvas stands still. */
async function drawnAt(id: string): Promise<{ x: number; y: number }> {
  await page.waitForFunction((id) => !!window.__nslab_cy?.getElementById(id).nonempty() && !window.__nslab_cy.animated(), id);
  return page.evaluate((id) => {
    const cy = window.__nslab_cy!;
    const box = cy.container()!.getBoundingClientRect();
    const p = cy.getElementById(id).renderedPosition();
    return { x: box.left + p.x, y: box.top + p.y };
  }, id);
}

/** Screenshots at both sizes, `show` scrolled into view at each. */
async function shoot(name: string, show?: Locator): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.waitForTimeout(250);
    await show?.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `${name}-${size.width}x${size.height}.png`) });
  }
  await page.setViewportSize(SIZES[0]!);
}

beforeAll(async () => {
  // A build of its own: a build of apps/web/dist running meanwhile (another test, a developer)
  // would swap the hashed assets under the page.
  dist = mkdtempSync(join(tmpdir(), 'nslab-web-'));
  execFileSync('pnpm', ['-C', 'apps/web', 'exec', 'vite', 'build', '--outDir', dist, '--emptyOutDir', '--logLevel', 'error'], { cwd: root, stdio: 'pipe', env: { ...process.env, NODE_ENV: 'production' } });
  mkdirSync(SHOTS, { recursive: true });
  for (const sb of listLabs()) if (sb.name === LAB || sb.name === BRIDGE_LAB) await destroyLab(sb.name);
  s = await buildApp({ token: TOKEN, webRoot: dist });
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  page = await openPage(browser, SIZES[0]!, consoleErrors);
});

afterAll(async () => {
  await browser?.close();
  await s?.app.close();
  for (const name of [LAB, BRIDGE_LAB]) if (findSandbox(name)) await destroyLab(name);
  if (dist) rmSync(dist, { recursive: true, force: true });
});

describe('the veth-pair guided lab with the mouse only', () => {
  it('home: no developer command lines; starts the guided lab from its card', async () => {
    await page.goto(`${base}/?token=${TOKEN}`);
    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: VETH_TITLE }) });
    await card.waitFor();
    const text = await page.locator('body').innerText();
    expect(text).not.toMatch(/pnpm|nslab (lab|deploy|exec) |\bseed\b|labs\/[a-z-]+\//i);
    await shoot('home');
    await card.getByLabel(`Lab name for ${VETH_TITLE}`).fill(LAB);
    await card.getByRole('button', { name: `Start ${VETH_TITLE}` }).click();
    await page.waitForURL(`**/labs/${LAB}`, { timeout: 30_000 });
    await guide().waitFor();
    await waitForProgress(0);
  });

  it('a command block says it is typed in the lab host and opens that terminal in one click', async () => {
    const body = stepBody(1);
    await body.getByText('in the lab host', { exact: true }).first().waitFor();
    await body.getByRole('button', { name: 'Open a terminal in the lab host' }).first().click();
    await page.waitForFunction((lab) => window.__nslab_terminals!(lab).terminals.some((t) => t.node === 'host' && t.status === 'open'), LAB, { timeout: 15_000 });
    // A second click goes to that terminal rather than opening another.
    await body.getByRole('button', { name: 'Go to the terminal in the lab host' }).first().click();
    expect(await page.evaluate((lab) => window.__nslab_terminals!(lab).terminals.length, LAB)).toBe(1);
    await shoot('guide-terminal-buttons', body.locator('.md-code').first());
  });

  it('step 1: two namespaces from the toolbar', async () => {
    for (const ns of ['ns1', 'ns2']) {
      await page.getByRole('button', { name: '+ Namespace' }).click();
      expect(await page.getByRole('textbox', { name: 'New namespace' }).inputValue()).toBe(ns);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await drawnAt(ns);
      // The form closes when the server's answer arrives, which can be after the kernel's event drew
      // the node: clicking + Namespace before that would close the still-open form instead.
      await page.getByRole('textbox', { name: 'New namespace' }).waitFor({ state: 'detached' });
    }
    await waitForProgress(1);
  });

  it('step 2: dragging ns1 to ns2 proposes veth-01 and veth-10, as the step expects', async () => {
    await stepBody(2).waitFor();
    await page.getByRole('button', { name: /Connect/ }).first().click();
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
    expect(await names.nth(0).inputValue()).toBe('veth-01');
    expect(await names.nth(1).inputValue()).toBe('veth-10');
    expect(await dialog.getByRole('note').innerText()).toContain('step 2');
    await shoot('connect-dialog-guided');
    await dialog.getByRole('button', { name: 'Create veth pair' }).click();
    await page.keyboard.press('Escape'); // leave connect mode
    await waitForProgress(2);
  });

  it('step 3: addresses in the inspector, after clicking the pair on the canvas', async () => {
    await page.waitForFunction(() => (window.__nslab_cy?.edges().length ?? 0) === 1 && !window.__nslab_cy!.animated());
    // lo is down in both, as in every fresh namespace: a faint mark, not a warning, until the step about it.
    const loClasses = () => page.evaluate(() => ['ns1', 'ns2'].map((n) => window.__nslab_cy!.getElementById(n).classes().filter((c) => c.startsWith('lo-down')).join(' ')));
    expect(await loClasses()).toEqual(['lo-down-quiet', 'lo-down-quiet']);
    const mid = await page.evaluate(() => {
      const cy = window.__nslab_cy!;
      const box = cy.container()!.getBoundingClientRect();
      const p = cy.edges()[0]!.renderedMidpoint();
      return { x: box.left + p.x, y: box.top + p.y };
    });
    await page.mouse.click(mid.x, mid.y);
    await inspector().getByRole('heading', { name: 'veth pair' }).waitFor();
    // No address yet, yet a few packets: the kernel's IPv6 link-local chatter, said so beside the counters.
    const note = inspector().locator('.link-local-note').first();
    await note.waitFor({ timeout: 20_000 });
    expect(await note.getAttribute('title')).toContain('IPv6 link-local');
    await shoot('veth-pair-link-local', note);
    for (const [iface, cidr] of [['veth-01', '10.1.5.10/24'], ['veth-10', '10.1.5.11/24']] as const) {
      const field = inspector().getByLabel(`New address for ${iface} (CIDR)`);
      await field.fill(cidr);
      await field.locator('xpath=..').getByRole('button', { name: 'Add address' }).click();
      await inspector().getByRole('list', { name: `Addresses of ${iface}` }).getByText(cidr).waitFor();
    }
    await waitForProgress(3);
    // Both ends have addresses of their own now: the note is gone.
    await inspector().locator('.link-local-note').first().waitFor({ state: 'detached' });
  });

  it('step 4: lo up in both namespaces from the inspector', async () => {
    // The step about loopback pings each namespace's own address: there lo down is the point.
    await page.waitForFunction(() => ['ns1', 'ns2'].every((n) => window.__nslab_cy!.getElementById(n).hasClass('lo-down')));
    expect(await page.evaluate(() => window.__nslab_cy!.getElementById('ns1').data('label'))).toBe('ns1\nlo down');
    for (const ns of ['ns1', 'ns2']) {
      const p = await drawnAt(ns);
      await page.mouse.click(p.x, p.y);
      await inspector().getByRole('heading', { name: ns, exact: true }).waitFor();
      await inspector().getByRole('button', { name: 'Bring up lo' }).click();
      await inspector().getByRole('button', { name: 'Bring down lo' }).waitFor();
    }
    await waitForProgress(4);
    // The kernel agrees: the pair works and each namespace reaches its own address.
    const ping = await execInLab(LAB, 'ns1', ['ping', '-c1', '-W2', '10.1.5.10'], { timeoutMs: 10_000 });
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
  });

  it('step 5: "Trace it" from the guide, the journey, then the answer picked with the mouse; the guide shows every step done', async () => {
    const section = guide().getByRole('region', { name: 'Trace and explain' });
    await section.getByRole('button', { name: 'Trace it' }).click();
    const panel = page.getByRole('region', { name: 'Trace a packet' });
    await panel.locator('.trace-outcome').filter({ hasText: /Delivered/ }).waitFor({ timeout: 20_000 });
    await section.getByLabel('Your answer').selectOption('ns2');
    await section.getByRole('button', { name: 'Answer' }).click();
    await section.locator('.guide-trace-verdict.ok').waitFor({ timeout: 15_000 });
    await progress().filter({ hasText: '5 of 5 steps — all done!' }).waitFor({ timeout: 20_000 });
    expect(await guide().locator('.guide-step.passed').count()).toBe(5);
    // Nothing was typed in a terminal: every command in the lab's log came from the page (or deploy).
    const r = await s.app.inject({ method: 'GET', url: `/api/v1/labs/${LAB}/log`, headers: AUTH });
    expect(r.statusCode, r.body).toBe(200);
    const sources = new Set((r.json().entries as { source: string }[]).map((e) => e.source));
    expect([...sources].filter((x) => x === 'terminal' || x === 'cli' || x === 'api')).toEqual([]);
    expect(sources.has('ui')).toBe(true);
  });

  it('the Chinese term in step 2 renders with real glyphs, not boxes', async () => {
    await guide().getByRole('button', { name: /^Step 2: / }).click();
    const para = stepBody(2).getByText(/对端 id/);
    await para.waitFor();
    await para.scrollIntoViewIfNeeded();
    // Draw two CJK characters and a code point no font has (drawn as the .notdef box) in the
    // paragraph's own font: without a CJK font both characters come out as that same box.
    const r = await para.evaluate((el) => {
      const font = getComputedStyle(el).font;
      const draw = (ch: string) => {
        const c = document.createElement('canvas');
        c.width = 48;
        c.height = 48;
        const g = c.getContext('2d')!;
        g.font = font.replace(/\d+(\.\d+)?px/, '32px');
        g.fillStyle = '#000';
        g.textBaseline = 'top';
        g.fillText(ch, 4, 4);
        const d = g.getImageData(0, 0, 48, 48).data;
        let ink = 0;
        let sig = '';
        for (let i = 3; i < d.length; i += 4) {
          ink += d[i]! > 0 ? 1 : 0;
          sig += d[i]! > 127 ? '1' : '0';
        }
        return { ink, sig, width: g.measureText(ch).width };
      };
      const a = draw('对');
      const b = draw('端');
      const tofu = draw('\u{10FFFD}');
      return { font, a: { ink: a.ink, width: a.width }, b: { ink: b.ink, width: b.width }, tofuInk: tofu.ink, aIsB: a.sig === b.sig, aIsTofu: a.sig === tofu.sig, bIsTofu: b.sig === tofu.sig };
    });
    expect(r.a.width, r.font).toBeGreaterThan(0);
    expect(r.b.width).toBeGreaterThan(0);
    expect(r.a.ink).toBeGreaterThan(20);
    expect(r.b.ink).toBeGreaterThan(20);
    expect(r.aIsB, 'two different CJK characters drew the same shape (a missing-glyph box)').toBe(false);
    expect(r.aIsTofu).toBe(false);
    expect(r.bIsTofu).toBe(false);
    await para.screenshot({ path: join(SHOTS, 'guide-cjk.png') });
  });

  it("a bridge's MAC table says whose each MAC is (namespace · interface)", async () => {
    const yaml = readFileSync(join(root, 'labs/bridge/topology.yaml'), 'utf8');
    const made = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: AUTH, payload: { name: BRIDGE_LAB, yaml } });
    expect(made.statusCode, made.body).toBe(201);
    const ping = await execInLab(BRIDGE_LAB, 'ns1', ['ping', '-c1', '-W2', '10.5.1.11'], { timeoutMs: 10_000 });
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
    await page.goto(`${base}/labs/${BRIDGE_LAB}`);
    const p = await drawnAt('host:br0');
    await page.mouse.click(p.x, p.y);
    await inspector().getByRole('heading', { name: 'br0' }).waitFor();
    const table = inspector().getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'Belongs to' }) });
    // ns1's int0 sent the echo, ns2's int1 answered: both learned, each named.
    await table.getByRole('cell', { name: 'ns1 · int0' }).waitFor({ timeout: 15_000 });
    await table.getByRole('cell', { name: 'ns2 · int1' }).waitFor({ timeout: 15_000 });
    await shoot('bridge-fdb-owners', table);
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
