// Layouts in a real browser: what Cytoscape drew in Chromium, read back from the page and judged
// with the same counts as the headless tests (node boxes on top of each other, links through a node
// that is not one of their ends). A 3-node bridge lab built one edit at a time as a learner does,
// a 30-namespace star after Auto-layout, and a tree. Screenshots at 1440x900 and 1280x720.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { EdgeCollection, NodeCollection } from 'cytoscape';
import { observedToTopology, type Edit } from '@nslab/model';
import { deployLab, destroyLab, findSandbox } from '@nslab/driver';
import { buildApp, type NslabApp } from '../../server/src/app.ts';
import { measure, type DrawnEdge, type DrawnNode, type Quality } from '../src/graph/layout-geometry.ts';
import { ensureBuilt, launchChromium, openPage, root } from './e2e.ts';
import { starLab, treeLab } from './graph-labs.ts';

const TOKEN = `lay-token-${Math.random().toString(36).slice(2)}`;
const AUTH = { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' };
const ID = process.pid.toString(36);
const LABS = { bridge: `lay-b-${ID}`, star: `lay-s-${ID}`, tree: `lay-t-${ID}` };
const SHOTS = join(root, '.scratch/screenshots');
const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
];

let s: NslabApp;
let browser: Browser;
let page: Page;
let base = '';
const consoleErrors: string[] = [];

/** What the page drew: node boxes (no labels) with their frames, and links. */
async function drawing(): Promise<{ nodes: DrawnNode[]; edges: DrawnEdge[] }> {
  await page.waitForFunction(() => !window.__nslab_cy!.animated());
  return page.evaluate(() => {
    const cy = window.__nslab_cy!;
    const nodes = (cy.nodes().not('.ghost') as NodeCollection).map((n) => {
      const bb = n.boundingBox({ includeLabels: false, includeOverlays: false });
      const parent = n.parent();
      return { id: n.id(), box: { x1: bb.x1, y1: bb.y1, x2: bb.x2, y2: bb.y2 }, ...(parent.nonempty() ? { parent: parent.first().id() } : {}) };
    });
    const edges = (cy.edges().not('.ghost') as EdgeCollection).map((e) => ({ id: e.id(), source: e.source().id(), target: e.target().id() }));
    return { nodes, edges };
  });
}

async function judged(): Promise<Quality> {
  const d = await drawing();
  return measure(d.nodes, d.edges);
}

async function edit(lab: string, e: Edit): Promise<void> {
  const r = await s.app.inject({ method: 'POST', url: `/api/v1/labs/${lab}/edits`, headers: AUTH, payload: { edit: e } });
  expect(r.statusCode, r.body).toBe(200);
}

async function onCanvas(ids: string[]): Promise<void> {
  await page.waitForFunction((ids) => ids.every((id) => window.__nslab_cy?.getElementById(id).nonempty()), ids, { timeout: 15_000 });
}

async function edgeCount(n: number): Promise<void> {
  await page.waitForFunction((n) => (window.__nslab_cy?.edges().not('.ghost').length ?? 0) >= n, n, { timeout: 15_000 });
}

async function shots(name: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.getByRole('button', { name: 'Fit' }).click();
    await page.waitForFunction(() => !window.__nslab_cy!.animated());
    await page.waitForTimeout(200);
    await page.screenshot({ path: join(SHOTS, `layout-${name}-${size.width}x${size.height}.png`) });
  }
  await page.setViewportSize(SIZES[0]!);
}

async function open(lab: string): Promise<void> {
  await page.goto(`${base}/labs/${lab}`);
  await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
}

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  for (const name of Object.values(LABS)) if (findSandbox(name)) await destroyLab(name);
  await deployLab(LABS.star, { ...observedToTopology(starLab(30)), name: LABS.star }, {});
  await deployLab(LABS.tree, { ...observedToTopology(treeLab()), name: LABS.tree }, {});
  s = await buildApp({ token: TOKEN, webRoot: join(root, 'apps/web/dist') });
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  page = await openPage(browser, SIZES[0]!, consoleErrors);
  await page.goto(`${base}/?token=${TOKEN}`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await s?.app.close();
  for (const name of Object.values(LABS)) if (findSandbox(name)) await destroyLab(name);
});

describe('layouts in Chromium', () => {
  it('adding br0, ns1, ns2 one at a time and plugging both into br0 draws no chain through ns1', async () => {
    const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: AUTH, payload: { name: LABS.bridge } });
    expect(r.statusCode, r.body).toBe(201);
    await open(LABS.bridge);
    await edit(LABS.bridge, { kind: 'add-bridge', name: 'br0' });
    await onCanvas(['host:br0']);
    for (const ns of ['ns1', 'ns2']) {
      await edit(LABS.bridge, { kind: 'add-node', name: ns });
      await onCanvas([ns]);
    }
    let n = 0;
    for (const ns of ['ns1', 'ns2']) {
      await edit(LABS.bridge, { kind: 'add-veth', a: { node: ns, interface: 'eth0' }, b: { node: 'host', interface: `p-${ns}` }, bridge: 'br0' });
      await edgeCount(++n);
      await page.waitForFunction((ns) => window.__nslab_cy!.edges().some((e) => [e.data('source') as string, e.data('target') as string].sort().join() === ['host:br0', ns].sort().join()), ns);
    }
    const q = await judged();
    expect(q.overlaps).toEqual([]);
    expect(q.crossings).toEqual([]);
    await shots('bridge3');
  });

  it('draws a 30-namespace star after Auto-layout with no overlaps and no link through a node', async () => {
    await open(LABS.star);
    await onCanvas(['host:br0', 'h1', 'h30']);
    await edgeCount(30);
    const first = await judged(); // the automatic layout of a lab opened with no positions
    expect(first.overlaps).toEqual([]);
    expect(first.crossings).toEqual([]);
    await page.getByRole('button', { name: 'Auto-layout' }).click();
    const q = await judged();
    expect(q.overlaps).toEqual([]);
    expect(q.crossings).toEqual([]);
    expect(q.edgeCrossings).toBe(0);
    await shots('star30');
    // Zoomed out to fit 30 namespaces, labels are below readable size; the one under the pointer shows at >= 10 px.
    await page.waitForTimeout(300);
    await page.waitForFunction(() => !window.__nslab_cy!.animated());
    const at = await page.evaluate(() => {
      const cy = window.__nslab_cy!;
      const box = cy.container()!.getBoundingClientRect();
      const p = cy.getElementById('h7').renderedPosition();
      return { x: box.left + p.x, y: box.top + p.y, zoom: cy.zoom() };
    });
    expect(at.zoom).toBeLessThan(0.9);
    await page.mouse.move(at.x - 30, at.y - 30);
    await page.mouse.move(at.x, at.y, { steps: 5 });
    await page.waitForFunction(() => window.__nslab_cy!.getElementById('h7').hasClass('hover'));
    const px = await page.evaluate(() => {
      const cy = window.__nslab_cy!;
      const e = cy.getElementById('h7').connectedEdges().first();
      return { edge: e.numericStyle('font-size') * cy.zoom(), node: cy.getElementById('h7').numericStyle('font-size') * cy.zoom(), lit: e.hasClass('hover') };
    });
    expect(px.lit).toBe(true);
    expect(px.edge).toBeGreaterThanOrEqual(10);
    expect(px.node).toBeGreaterThanOrEqual(11);
    await page.screenshot({ path: join(SHOTS, 'layout-star30-hover-1440x900.png') });
    await page.mouse.move(5, 5);
  });

  it('draws a tree (a bridge, routers, a bridge inside a router, leaves) with no overlaps and no link through a node', async () => {
    await open(LABS.tree);
    await onCanvas(['host:br0', 'r1:br1', 'l11', 'l33']);
    await edgeCount(12);
    await page.getByRole('button', { name: 'Auto-layout' }).click();
    const q = await judged();
    expect(q.overlaps).toEqual([]);
    expect(q.crossings).toEqual([]);
    await shots('tree');
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
