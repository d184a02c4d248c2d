// Packet capture in a real browser, on a real server and kernel: from the inspector of a veth pair
// (one end chosen), a bad filter is refused inline (by the page's own rule, then by libpcap via the
// server), a capture starts, a ping run through the exec API shows its echo request and reply in
// the panel, Pause holds the view while lines keep coming, the pcap downloads and tcpdump reads it,
// Stop ends it with its reason. Runs as root.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureBuilt, launchChromium, root, web } from './e2e.ts';
import { destroyLab, findSandbox, listLabs } from '@nslab/driver';
import { buildApp, type NslabApp } from '../../server/src/app.ts';

const TOKEN = `c-token-${Math.random().toString(36).slice(2)}`;
const AUTH = { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' };
const LAB = `wc-${process.pid.toString(36)}`;
const SHOTS = join(root, '.artifacts/screenshots');
const tmp = mkdtempSync(join(tmpdir(), 'nslab-cap-e2e-'));

const TOPOLOGY = `
name: ${LAB}
nodes:
  ns1:
    interfaces:
      veth1: { addresses: [10.93.0.1/24] }
  ns2:
    interfaces:
      veth2: { addresses: [10.93.0.2/24] }
links:
  - endpoints: ["ns1:veth1", "ns2:veth2"]
`;

let s: NslabApp;
let browser: Browser;
let page: Page;
let base = '';
const pageErrors: string[] = [];

async function ping(count: number): Promise<void> {
  const r = await s.app.inject({ method: 'POST', url: `/api/v1/labs/${LAB}/nodes/ns1/exec`, headers: AUTH, payload: { argv: ['ping', '-c', String(count), '-i', '0.2', '10.93.0.2'] } });
  expect(r.statusCode, r.body).toBe(200);
  expect(r.json().code, r.body).toBe(0);
}

const dock = () => page.getByRole('region', { name: 'Packet captures' });
const lineTexts = () => page.locator('.capture-pane .capture-line').allInnerTexts();

async function waitForLines(pred: (lines: string[]) => boolean, what: string): Promise<string[]> {
  const end = Date.now() + 10_000;
  let lines: string[] = [];
  while (Date.now() < end) {
    lines = await lineTexts();
    if (pred(lines)) return lines;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; lines: ${JSON.stringify(lines.slice(-6))}`);
}

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  for (const sb of listLabs()) if (sb.name === LAB) await destroyLab(sb.name);
  s = await buildApp({ token: TOKEN, webRoot: join(web, 'dist') });
  const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: AUTH, payload: { name: LAB, yaml: TOPOLOGY } });
  expect(r.statusCode, r.body).toBe(201);
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
});

afterAll(async () => {
  await browser?.close();
  await s?.app.close();
  if (findSandbox(LAB)) await destroyLab(LAB);
  rmSync(tmp, { recursive: true, force: true });
});

describe('capture in the browser', () => {
  it('opens the start form from one end of a veth pair', async () => {
    await page.goto(`${base}/labs/${LAB}?token=${TOKEN}`);
    await page.getByRole('treeitem', { name: /^ns1:veth1 ↔ ns2:veth2/ }).click();
    const inspector = page.getByRole('complementary', { name: 'Inspector' });
    await inspector.getByRole('heading', { name: 'veth pair' }).waitFor();
    // One button per end: this one captures on ns1's side.
    expect(await inspector.locator('[data-capture-target]').evaluateAll((els) => els.map((e) => e.getAttribute('data-capture-target')))).toEqual(['ns1:veth1', 'ns2:veth2']);
    await inspector.locator('[data-capture-target="ns1:veth1"]').click();
    await dock().getByText('Capture on ns1:veth1 with tcpdump').waitFor();
  });

  it('refuses bad filters inline: the page\'s own rule, then libpcap through the server', async () => {
    const filter = dock().getByLabel('Filter');
    await filter.fill('icmp; reboot');
    await dock().getByRole('alert').filter({ hasText: 'which no tcpdump filter uses' }).waitFor();
    expect(await dock().getByRole('button', { name: 'Start capture' }).isDisabled()).toBe(true);
    await filter.fill('tcp port');
    await dock().getByRole('button', { name: 'Start capture' }).click();
    await dock().getByRole('alert').filter({ hasText: "can't parse filter expression: syntax error" }).waitFor();
    expect(await filter.getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: join(SHOTS, 'capture-filter-error.png') });
    expect((await s.app.inject({ method: 'GET', url: `/api/v1/labs/${LAB}/captures`, headers: AUTH })).json().captures).toEqual([]);
  });

  it('captures a ping: echo request and reply lines appear live', async () => {
    await dock().getByLabel('Filter').fill('icmp');
    await dock().getByRole('button', { name: 'Start capture' }).click();
    await dock().locator('.capture-pane[data-state="running"]').waitFor();
    await dock().getByText('No packets yet').waitFor();
    await ping(2);
    const lines = await waitForLines((l) => l.filter((x) => x.includes('ICMP echo reply')).length === 2, 'two echo replies');
    expect(lines.filter((l) => /10\.93\.0\.1 > 10\.93\.0\.2: ICMP echo request/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => /10\.93\.0\.2 > 10\.93\.0\.1: ICMP echo reply/.test(l))).toHaveLength(2);
    // Numbered from 1 as the server numbers them.
    expect(await page.locator('.capture-pane .capture-line').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.n))).toEqual(['1', '2', '3', '4']);
    await dock().locator('.capture-counts[data-packets="4"]').waitFor();
    await page.screenshot({ path: join(SHOTS, 'capture.png') });
  });

  it('Pause holds the view while lines keep arriving; Resume shows them', async () => {
    await dock().getByRole('button', { name: 'Pause' }).click();
    await ping(1);
    // The server counted them; the view did not move.
    await dock().locator('.capture-counts[data-packets="6"]').waitFor();
    expect(await lineTexts()).toHaveLength(4);
    await dock().getByRole('button', { name: 'Resume' }).click();
    await waitForLines((l) => l.length === 6, 'six lines after resuming');
  });

  it('downloads a pcap that tcpdump reads', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), dock().getByRole('link', { name: 'Download .pcap' }).click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^${LAB}-ns1-veth1-\\d{8}T\\d{6}\\.pcap$`));
    const file = join(tmp, 'download.pcap');
    await download.saveAs(file);
    const read = execFileSync('tcpdump', ['-r', file, '-n'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n');
    expect(read).toHaveLength(6);
    expect(read.filter((l) => l.includes('ICMP echo request'))).toHaveLength(3);
    expect(read.filter((l) => l.includes('ICMP echo reply'))).toHaveLength(3);
  });

  it('Clear empties the view, Stop ends the capture with its reason, Close discards it', async () => {
    await dock().getByRole('button', { name: 'Clear' }).click();
    await waitForLines((l) => l.length === 0, 'an empty view');
    await dock().getByRole('button', { name: 'Stop' }).click();
    await dock().locator('.capture-pane[data-state="stopped"]').waitFor();
    await dock().getByText('Stopped by the user.').waitFor();
    await dock().getByText('Cleared. New lines appear here').waitFor();
    expect(await dock().getByRole('button', { name: 'Stop' }).count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'capture-stopped.png') });
    await dock().getByRole('button', { name: /^Close capture ns1:veth1/ }).click();
    await dock().waitFor({ state: 'detached' });
    const end = Date.now() + 5000;
    let left: unknown[] = [1];
    while (left.length && Date.now() < end) {
      left = (await s.app.inject({ method: 'GET', url: `/api/v1/labs/${LAB}/captures`, headers: AUTH })).json().captures;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(left).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
