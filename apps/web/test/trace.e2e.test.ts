// Trace mode in a real browser, on a real server and kernel: a routed lab (a -> r -> b). A server
// error shown under To; a trace already running (409 TRACE_BUSY) explained. A ping from a to b traced
// from the toolbar, stepped through with the keyboard, then played with space: the router hop shows both MACs
// rewritten and TTL 64 -> 63 highlighted, the route named, the envelope on r's way out, the reply leg.
// Then r drops it (iptables FORWARD DROP): traced from the diagnosis column, the journey ends with the
// ✕ at r and the rule named. Screenshots at 1440x900 and 1280x720 with the graph's width checked.
// Runs as root.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureBuilt, root } from './e2e.ts';
import { closeRoutedLab, execOk, openRoutedLab } from './routed-lab.ts';
import type { NslabApp } from '../../server/src/app.ts';

const TOKEN = `t-token-${Math.random().toString(36).slice(2)}`;
const AUTH = { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' };
const LAB = `tw-${process.pid.toString(36)}`;
const SHOTS = join(root, '.scratch/trace-web');

let s: NslabApp;
let browser: Browser;
let page: Page;
let base = '';
const consoleErrors: string[] = [];

const exec = (node: string, argv: string[]) => execOk(s, AUTH, LAB, node, argv);

const panel = () => page.getByRole('region', { name: 'Trace a packet' });
const hop = () => panel().getByRole('region', { name: 'Hop' });
const current = () => panel().locator('.trace-event[aria-current="step"]');
const cell = (field: string, side: 'in' | 'out') => hop().locator(`tr[data-field="${field}"] td[data-side="${side}"]`);

/** Steps with → until the current event's "at" reads `at`, and its type `type`. */
async function stepTo(at: string, type: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const text = (await current().count()) ? await current().innerText() : '';
    if (text.includes(at) && text.includes(type)) return;
    await page.keyboard.press('ArrowRight');
  }
  throw new Error(`never reached ${at} ${type}`);
}

/** Nodes whose box is not wholly inside the canvas's visible part. */
const nodesOutOfView = () =>
  page.evaluate(() => {
    const cy = window.__nslab_cy!;
    const ext = cy.extent();
    return cy.nodes().filter((n) => {
      const b = n.boundingBox({ includeLabels: true, includeOverlays: false });
      return b.x1 < ext.x1 || b.y1 < ext.y1 || b.x2 > ext.x2 || b.y2 > ext.y2;
    }).map((n) => n.id());
  });

/** The graph's share of the window's width. */
const graphShare = () => page.evaluate(() => document.querySelector('.ws-canvas')!.getBoundingClientRect().width / window.innerWidth);

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  ({ s, base, browser, page } = await openRoutedLab(LAB, TOKEN, consoleErrors));
}, 60_000);

afterAll(() => closeRoutedLab(LAB, { s, browser }));

describe('Trace mode, in a real browser', () => {
  it('opens from the toolbar in the dock; a namespace the lab does not have is refused under To', async () => {
    await page.goto(`${base}/labs/${LAB}?token=${TOKEN}`);
    await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
    await page.getByRole('toolbar', { name: 'Lab tools' }).getByRole('button', { name: 'Trace', exact: true }).click();
    await panel().waitFor();
    expect(await page.getByRole('tab', { name: /^Trace/ }).getAttribute('aria-selected')).toBe('true');
    await panel().getByLabel('From').selectOption('a');
    const to = panel().getByLabel('To', { exact: true });
    await to.fill('10.2.0.300');
    await panel().locator('.field-hint[data-field="to"]').filter({ hasText: /^Not an IP address/ }).waitFor();
    expect(await panel().getByRole('button', { name: 'Trace', exact: true }).isDisabled()).toBe(true);
    await to.fill('ghost');
    await panel().getByRole('button', { name: 'Trace', exact: true }).click();
    // The server's answer, next to the field it names.
    await panel().locator('.field-hint[data-field="to"]').filter({ hasText: 'has no node "ghost"' }).waitFor({ timeout: 15_000 });
    expect(await to.getAttribute('aria-invalid')).toBe('true');
  });

  it('a trace already running (the API, another tab) is explained, with Try again', async () => {
    await panel().getByLabel('To', { exact: true }).fill('b');
    const other = s.app.inject({ method: 'POST', url: `/api/v1/labs/${LAB}/trace`, headers: AUTH, payload: { from: 'b', to: 'a' } });
    await page.waitForTimeout(150);
    await panel().getByRole('button', { name: 'Trace', exact: true }).click();
    await panel().locator('.trace-error.busy').filter({ hasText: 'already being traced' }).waitFor({ timeout: 15_000 });
    await panel().getByRole('button', { name: 'Try again' }).waitFor();
    expect((await other).statusCode).toBe(200);
    // That trace filled the neighbour caches: emptied, so the next journey starts with its ARP.
    for (const node of ['a', 'r', 'b']) await exec(node, ['ip', 'neigh', 'flush', 'all']);
  });

  it('traces a ping a -> b: busy while it runs, then the journey with both legs and the ARP first', async () => {
    await panel().getByLabel('To', { exact: true }).fill('b');
    await panel().getByRole('button', { name: 'Trace', exact: true }).click();
    await panel().locator('.trace-busy').filter({ hasText: 'Tracing a → b' }).waitFor();
    expect(await panel().getByRole('button', { name: 'Tracing…' }).isDisabled()).toBe(true);
    await panel().locator('.trace-outcome').filter({ hasText: 'Delivered to b' }).waitFor({ timeout: 20_000 });
    expect(await panel().locator('.trace-outcome').innerText()).toContain('the reply came back');
    const types = await panel().locator('.trace-event').allInnerTexts();
    expect(types[0]).toMatch(/ARP\s+arp request/);
    expect(types.some((t) => /reply\s+icmp echo-reply/.test(t))).toBe(true);
    expect(types.some((t) => /request\s+icmp echo-request/.test(t))).toBe(true);
    expect(await panel().locator('.trace-unreliable').count()).toBe(0);
    // The merged capture: a pcapng file (section header block first), served with the page's own credentials.
    const href = await panel().getByRole('link', { name: 'Download pcapng' }).getAttribute('href');
    expect(href).toMatch(new RegExp(`/labs/${LAB}/trace/[^/]+/pcapng$`));
    const file = await page.evaluate(async (u) => {
      const r = await fetch(u);
      return { status: r.status, head: [...new Uint8Array(await r.arrayBuffer()).slice(0, 4)] };
    }, href!);
    expect(file).toEqual({ status: 200, head: [0x0a, 0x0d, 0x0d, 0x0a] });
    // The dock grew for the journey: the graph above it was fitted again.
    await expect.poll(nodesOutOfView, { timeout: 5_000 }).toEqual([]);
  });

  it('steps to the router with the keyboard: both MACs rewritten and TTL 64 -> 63 highlighted, the route named, the envelope on the way out', async () => {
    await panel().locator('.trace-journey').focus();
    await stepTo('r:eth1 out', 'echo-request');
    expect(await hop().locator('h3').textContent()).toMatch(/^r\s+request/);
    expect(await cell('ipv4.ttl', 'in').innerText()).toBe('64');
    expect(await cell('ipv4.ttl', 'out').textContent()).toBe('63 (was 64)');
    expect(await hop().locator('tr.changed').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-field')).sort())).toEqual(['ethernet.dst', 'ethernet.src', 'ipv4.ttl']);
    expect(await cell('ipv4.src', 'out').getAttribute('class')).not.toContain('changed');
    const macIn = await cell('ethernet.src', 'in').innerText();
    const macOut = (await cell('ethernet.src', 'out').innerText()).split(' ')[0];
    expect(macOut).not.toBe(macIn);
    expect(await hop().getByRole('list', { name: 'Why' }).innerText()).toContain('matches route 10.2.0.0/24 dev eth1');
    expect(await hop().getByRole('list', { name: 'What changed' }).innerText()).toMatch(/TTL 64 -> 63/);
    // The envelope sits on r's eth1 wire, over the graph.
    expect(await page.locator('.trace-layer .trace-envelope').first().getAttribute('data-at')).toBe('r:eth1');
    await page.screenshot({ path: join(SHOTS, 'trace-router-1440x900.png') });
    expect(await graphShare()).toBeGreaterThanOrEqual(0.5);

    // Back goes back; the "why" link selects r in the inspector.
    await page.keyboard.press('ArrowLeft');
    expect(await current().innerText()).not.toContain('r:eth1 out');
    await page.keyboard.press('ArrowRight');
    await hop().getByRole('button', { name: 'show r in the inspector' }).click();
    await page.getByRole('complementary', { name: 'Inspector' }).getByRole('heading', { name: 'r', exact: true }).waitFor();
    // The route that decided is marked among r's routes.
    const marked = page.getByRole('complementary', { name: 'Inspector' }).locator('tr.why-focus');
    await marked.waitFor({ timeout: 5_000 });
    expect(await marked.getAttribute('data-route')).toBe('10.2.0.0/24 dev eth1');

    // The reply leg, stepped to as well: translated back through r.
    await panel().locator('.trace-journey').focus();
    await stepTo('a:eth0 in', 'echo-reply');
    expect(await hop().locator('h3').textContent()).toMatch(/^a\s+reply/);

    // Space plays from the start at the chosen speed, to the last event, and stops there.
    await panel().getByLabel('Speed').selectOption('4');
    await panel().locator('.trace-journey').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press(' ');
    await panel().getByRole('button', { name: 'Pause' }).waitFor();
    const n = await panel().locator('.trace-event').count();
    await panel().locator('.trace-position').filter({ hasText: `step ${n} / ${n}` }).waitFor({ timeout: 20_000 });
    await panel().getByRole('button', { name: 'Play' }).waitFor();
  });

  it('fits 1280x720 with the graph keeping half the width, every node still in view', async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    // The window shrank under a fitted graph: it is fitted again, not cut off at the right (b was).
    await expect.poll(nodesOutOfView, { timeout: 5_000 }).toEqual([]);
    await panel().locator('.trace-journey').focus();
    await page.keyboard.press('Home');
    await stepTo('r:eth1 out', 'echo-request');
    await page.waitForTimeout(800);
    await page.screenshot({ path: join(SHOTS, 'trace-router-1280x720.png') });
    expect(await graphShare()).toBeGreaterThanOrEqual(0.5);
    expect(await cell('ipv4.ttl', 'out').isVisible()).toBe(true);
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('an iptables DROP at r, traced from the diagnosis: the journey ends with the ✕ at r and the rule named', async () => {
    await exec('r', ['iptables', '-A', 'FORWARD', '-d', '10.2.0.10', '-j', 'DROP']);
    await page.getByRole('treeitem', { name: /^a( |$)/ }).click().catch(async () => {
      await page.getByRole('button', { name: 'Show Outline' }).click();
      await page.getByRole('treeitem', { name: /^a( |$)/ }).click();
    });
    const inspector = page.getByRole('complementary', { name: 'Inspector' });
    await inspector.getByRole('heading', { name: 'a', exact: true }).waitFor();
    await inspector.getByRole('button', { name: "Why can't it reach…?" }).click();
    const diag = page.getByRole('region', { name: "Why can't it reach?" });
    await diag.getByLabel('To', { exact: true }).fill('b');
    await diag.getByRole('button', { name: 'Diagnose' }).click();
    await diag.getByRole('button', { name: /^Trace this packet \(a → b\)/ }).click({ timeout: 20_000 });
    await panel().waitFor();
    expect(await panel().getByLabel('From').inputValue()).toBe('a');
    expect(await panel().getByLabel('To', { exact: true }).inputValue()).toBe('b');
    await diag.getByRole('button', { name: 'Close the diagnosis' }).click();
    await panel().getByRole('button', { name: 'Trace', exact: true }).click();
    await panel().locator('.trace-outcome').filter({ hasText: 'Dropped at r' }).waitFor({ timeout: 20_000 });
    await panel().locator('.trace-journey').focus();
    await page.keyboard.press('End');
    await page.locator('.trace-layer .trace-drop').waitFor();
    expect(await page.locator('.trace-layer .trace-drop').getAttribute('data-at')).toBe('r');
    const evidence = hop().locator('.trace-drop-evidence');
    expect(await evidence.locator('h4').innerText()).toMatch(/Dropped at r · eth0 \(request\)/);
    expect(await evidence.locator('li[data-kind="rule"]').innerText()).toMatch(/filter FORWARD: rule ".*10\.2\.0\.10.*drop" drops it/);
    expect(await panel().locator('.trace-event.dropped').innerText()).toContain('dropped');
    await page.waitForTimeout(800);
    await page.screenshot({ path: join(SHOTS, 'trace-drop-1440x900.png') });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.waitForTimeout(800);
    await page.screenshot({ path: join(SHOTS, 'trace-drop-1280x720.png') });
    expect(await graphShare()).toBeGreaterThanOrEqual(0.5);
    expect(consoleErrors.filter((e) => e.startsWith('page error'))).toEqual([]);
  });
});
