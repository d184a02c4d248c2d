// The lab screen as a workspace, in a real browser on a real server and kernel: with the guide, a
// terminal and a capture open (the bridge guided lab), the graph keeps at least half the window at
// 1440x900 and at 1280x720, every node drawn inside the canvas with labels of 10 px or more (read
// from the Cytoscape instance); forms and errors do not push the graph down; pane sizes survive a
// reload; closing a pane gives the graph its room and the lab is fitted again. Runs as root.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureBuilt, launchChromium, root, web } from './e2e.ts';
import { destroyLab, findSandbox, listLabs } from '@nslab/driver';
import { buildApp, type NslabApp } from '../../server/src/app.ts';

const TOKEN = `ws-token-${Math.random().toString(36).slice(2)}`;
const AUTH = { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' };
const LAB = `ws-${process.pid.toString(36)}`;
const SHOTS = join(root, '.artifacts/screenshots');

let s: NslabApp;
let browser: Browser;
let base = '';
const consoleErrors: string[] = [];

interface Measure {
  viewport: { w: number; h: number };
  canvas: { x: number; y: number; w: number; h: number };
  share: number;
  zoom: number;
  /** Nodes drawn (partly) outside the canvas, and the smallest label as drawn, in px. */
  outside: string[];
  minLabelPx: number;
  nodes: number;
  page: { scrollW: number; scrollH: number };
}

async function measure(page: Page): Promise<Measure> {
  return page.evaluate(() => {
    const cy = window.__nslab_cy!;
    const box = document.querySelector('.canvas')!.getBoundingClientRect();
    const outside: string[] = [];
    let minLabelPx = Infinity;
    let nodes = 0;
    cy.nodes().forEach((n) => {
      if (n.hasClass('ghost')) return;
      nodes++;
      const bb = n.renderedBoundingBox({ includeLabels: true });
      if (bb.x1 < -0.5 || bb.y1 < -0.5 || bb.x2 > cy.width() + 0.5 || bb.y2 > cy.height() + 0.5) outside.push(n.id());
      if (String(n.data('label') ?? '') !== '') minLabelPx = Math.min(minLabelPx, parseFloat(n.style('font-size')) * cy.zoom());
    });
    return {
      viewport: { w: innerWidth, h: innerHeight },
      canvas: { x: box.x, y: box.y, w: box.width, h: box.height },
      share: (box.width * box.height) / (innerWidth * innerHeight),
      zoom: cy.zoom(),
      outside,
      minLabelPx,
      nodes,
      page: { scrollW: document.documentElement.scrollWidth, scrollH: document.documentElement.scrollHeight },
    };
  });
}

/** Where a graph node is drawn, in page coordinates. */
async function nodeAt(page: Page, id: string): Promise<{ x: number; y: number }> {
  return page.evaluate((id) => {
    const cy = window.__nslab_cy!;
    const p = cy.getElementById(id).renderedPosition();
    const box = document.querySelector('.canvas')!.getBoundingClientRect();
    return { x: box.x + p.x, y: box.y + p.y };
  }, id);
}

/** Waits until the canvas has not changed size or viewport for a few frames (panes settled, fit done). */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      new Promise<boolean>((resolve) => {
        const cy = window.__nslab_cy;
        if (!cy || cy.nodes().empty()) return resolve(false);
        const snap = () => JSON.stringify([document.querySelector('.canvas')!.getBoundingClientRect(), cy.zoom(), cy.pan()]);
        const a = snap();
        setTimeout(() => resolve(a === snap()), 250);
      }),
    undefined,
    { timeout: 10_000 },
  );
}

async function openWorkspace(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  await page.goto(`${base}/labs/${LAB}?token=${TOKEN}`);
  await page.getByRole('complementary', { name: 'Lab guide' }).waitFor({ timeout: 15_000 });
  await page.waitForFunction(() => (window.__nslab_cy?.nodes('[kind = "netns"]').length ?? 0) >= 2, undefined, { timeout: 15_000 });
  await settled(page);
  return page;
}

/** The learner's way: double-click ns1 for a shell, select it, "Capture…" on int0, start. */
async function openTerminalAndCapture(page: Page): Promise<void> {
  const ns1 = await nodeAt(page, 'ns1');
  await page.mouse.dblclick(ns1.x, ns1.y);
  await page.locator('.nslab-dock-tab[data-node="ns1"][data-status="open"]').waitFor({ timeout: 15_000 });
  await settled(page);
  const again = await nodeAt(page, 'ns1');
  await page.mouse.click(again.x, again.y);
  const inspector = page.getByRole('complementary', { name: 'Inspector' });
  await inspector.getByRole('heading', { name: 'ns1' }).waitFor();
  await inspector.locator('[data-capture-target="ns1:int0"]').click();
  await page.getByRole('button', { name: 'Start capture' }).click();
  await page.locator('.capture-state.running').waitFor({ timeout: 15_000 });
  // Back to the terminal, as a learner would to ping: both stay open in the dock.
  await page.getByRole('tab', { name: /^Terminals/ }).click();
  await settled(page);
}

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  for (const sb of listLabs()) if (sb.name === LAB) await destroyLab(sb.name);
  s = await buildApp({ token: TOKEN, webRoot: join(web, 'dist') });
  const r = await s.app.inject({ method: 'POST', url: '/api/v1/catalog/bridge/start', headers: AUTH, payload: { name: LAB } });
  expect(r.statusCode, r.body).toBeLessThan(300);
  // The bridge lab starts empty; its first three steps' solutions build br0, ns1 and ns2 plugged in.
  for (const step of [1, 2, 3]) {
    const sr = await s.app.inject({ method: 'POST', url: `/api/v1/labs/${LAB}/guide/solve`, headers: AUTH, payload: { step } });
    expect(sr.statusCode, sr.body).toBe(200);
  }
  // Placed as a learner might have left them, so this measures the workspace's panes and fitting,
  // not the automatic layout (graph/, tested on its own).
  const pr = await s.app.inject({ method: 'PUT', url: `/api/v1/labs/${LAB}/positions`, headers: AUTH, payload: { positions: { ns1: { x: 0, y: 0 }, 'host:br0': { x: 220, y: 90 }, ns2: { x: 440, y: 0 } } } });
  expect(pr.statusCode, pr.body).toBe(200);
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await s?.app.close();
  if (findSandbox(LAB)) await destroyLab(LAB);
});

describe('the lab workspace keeps the graph readable', () => {
  const shares: Record<string, number> = {};

  for (const [w, h] of [
    [1440, 900],
    [1280, 720],
  ] as const) {
    it(`at ${w}x${h} with the guide, a terminal and a capture open: the graph has half the window, every node in view with labels >= 10 px`, async () => {
      const context = await browser.newContext({ viewport: { width: w, height: h } });
      try {
        const page = await openWorkspace(context);
        await openTerminalAndCapture(page);
        await page.getByRole('complementary', { name: 'Lab guide' }).getByRole('progressbar', { includeHidden: true }).or(page.locator('.guide-progress')).first().waitFor();
        const m = await measure(page);
        await page.screenshot({ path: join(SHOTS, `workspace-${w}x${h}.png`) });
        shares[`${w}x${h}`] = m.share;
        process.stdout.write(`workspace ${w}x${h}: canvas ${Math.round(m.canvas.w)}x${Math.round(m.canvas.h)} = ${(m.share * 100).toFixed(1)}% of the window, zoom ${m.zoom.toFixed(2)}, smallest node label ${m.minLabelPx.toFixed(1)} px\n`);
        expect(m.nodes).toBeGreaterThanOrEqual(3);
        expect(m.share).toBeGreaterThanOrEqual(0.5);
        expect(m.outside).toEqual([]);
        expect(m.minLabelPx).toBeGreaterThanOrEqual(10);
        // No stray page scrollbar: the page is exactly the window.
        expect(m.page).toEqual({ scrollW: w, scrollH: h });

        // A guide step's diagram and commands fit the pane: nothing scrolls sideways.
        const wide = await page.evaluate(() => [...document.querySelectorAll<HTMLElement>('.guide-panel pre')].filter((p) => p.scrollWidth > p.clientWidth + 1).length);
        expect(wide).toBe(0);

        // The add form opens as a popover: the top bar and the graph do not move.
        const top = (await page.locator('.topbar').boundingBox())!;
        await page.getByRole('button', { name: '+ Namespace' }).click();
        await page.locator('.add-form').waitFor();
        expect((await page.locator('.topbar').boundingBox())!.height).toBe(top.height);
        expect((await measure(page)).canvas).toEqual(m.canvas);
        await page.screenshot({ path: join(SHOTS, `workspace-${w}x${h}-add-form.png`) });
        await page.getByRole('button', { name: 'Cancel' }).click();
        expect(top.height).toBeLessThanOrEqual(48);
      } finally {
        await context.close();
      }
    });
  }

  it('remembers pane sizes across a reload, and re-fits the graph on load', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const page = await openWorkspace(context);
      const side = () => page.locator('#side').boundingBox();
      const dock = () => page.locator('#dock').boundingBox();
      const before = { side: (await side())!, dock: (await dock())! };
      // Drag the side pane 50 px narrower and the dock 60 px taller, by their separators.
      const sepV = (await page.locator('.ws-sep-v').nth(1).boundingBox())!;
      await page.mouse.move(sepV.x + sepV.width / 2, sepV.y + 200);
      await page.mouse.down();
      await page.mouse.move(sepV.x + sepV.width / 2 + 50, sepV.y + 200, { steps: 6 });
      await page.mouse.up();
      const sepH = (await page.getByRole('separator', { name: 'Resize the dock' }).boundingBox())!;
      await page.mouse.move(sepH.x + 200, sepH.y + sepH.height / 2);
      await page.mouse.down();
      await page.mouse.move(sepH.x + 200, sepH.y + sepH.height / 2 - 60, { steps: 6 });
      await page.mouse.up();
      await settled(page);
      const after = { side: (await side())!, dock: (await dock())! };
      expect(after.side.width).toBeLessThan(before.side.width - 35);
      expect(after.dock.height).toBeGreaterThan(before.dock.height + 40);

      await page.reload();
      await page.getByRole('complementary', { name: 'Lab guide' }).waitFor({ timeout: 15_000 });
      await settled(page);
      const reloaded = { side: (await side())!, dock: (await dock())! };
      expect(Math.abs(reloaded.side.width - after.side.width)).toBeLessThanOrEqual(2);
      expect(Math.abs(reloaded.dock.height - after.dock.height)).toBeLessThanOrEqual(2);
      // After a reload a small lab is drawn to fit, at a readable size (was 0.35 zoom, 3-4 px text).
      const m = await measure(page);
      expect(m.outside).toEqual([]);
      expect(m.minLabelPx).toBeGreaterThanOrEqual(10);
    } finally {
      await context.close();
    }
  });

  it('closing a pane gives the graph its room, fits the lab again, and stays closed after a reload', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const page = await openWorkspace(context);
      const open = await measure(page);
      const zoomBefore = open.zoom;
      await page.getByRole('button', { name: 'Side panel pane' }).click();
      await settled(page);
      const closed = await measure(page);
      // The side pane leaves a strip; the graph takes the rest.
      expect(closed.canvas.w).toBeGreaterThan(open.canvas.w + 200);
      expect(closed.outside).toEqual([]);
      expect(closed.minLabelPx).toBeGreaterThanOrEqual(10);
      await page.getByRole('button', { name: 'Show Guide · Inspector' }).waitFor();

      await page.getByRole('button', { name: 'Dock pane' }).click();
      await settled(page);
      const noDock = await measure(page);
      expect(noDock.canvas.h).toBeGreaterThan(closed.canvas.h + 80);
      expect(noDock.outside).toEqual([]);
      // Fitted to the bigger box, not left at the old zoom in a corner (nor past the cap for small labs).
      expect(noDock.zoom).toBeGreaterThanOrEqual(Math.min(zoomBefore, 1.3) - 0.01);

      await page.reload();
      await page.getByRole('button', { name: 'Show Guide · Inspector' }).waitFor({ timeout: 15_000 });
      await settled(page);
      const reloaded = await measure(page);
      expect(Math.abs(reloaded.canvas.w - noDock.canvas.w)).toBeLessThanOrEqual(2);
      expect(Math.abs(reloaded.canvas.h - noDock.canvas.h)).toBeLessThanOrEqual(2);
      await page.getByRole('button', { name: 'Show Guide · Inspector' }).click();
      await page.getByRole('complementary', { name: 'Inspector' }).waitFor();
      await page.getByRole('button', { name: 'Dock pane' }).click();
      await page.locator('.bottom-dock-body').waitFor();
    } finally {
      await context.close();
    }
  });

  it('"/" on the graph opens a closed outline and puts the cursor in its search box', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const page = await openWorkspace(context);
      // At 1280 px with a guide the outline starts closed.
      await page.getByRole('button', { name: 'Show Outline' }).waitFor();
      await page.locator('.canvas-wrap').press('/');
      await page.waitForFunction(() => document.activeElement?.id === 'outline-search');
      expect(await page.locator('#outline-search').isVisible()).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
    expect(Object.keys(shares).length).toBeGreaterThan(0);
  });
});
