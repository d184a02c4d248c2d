// A guided lab's trace step in a real browser, on a real server and kernel: the routing lab with its
// first three steps done. The step shows its trace and question with a one-click "Trace it"; an
// answer without a trace is refused by the server (shown); "Trace it" opens Trace mode and traces;
// a wrong answer is told with the journey's reason, a second answer from the same trace is refused,
// "Trace again" and the right answer pass the step and finish the lab. Screenshots at 1440x900 and
// 1280x720. Runs as root.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureBuilt, launchChromium, openPage, root, web } from './e2e.ts';
import { destroyLab, findSandbox, listLabs } from '@nslab/driver';
import { buildApp, type NslabApp } from '../../server/src/app.ts';

const TOKEN = `t-token-${Math.random().toString(36).slice(2)}`;
const AUTH = { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' };
const LAB = `gtw-${process.pid.toString(36)}`;
const BRIDGE = `gtb-${process.pid.toString(36)}`;
const SHOTS = join(root, '.scratch/guide-trace');

let s: NslabApp;
let browser: Browser;
let page: Page;
let base = '';
const consoleErrors: string[] = [];
const api = (url: string, payload: object) => s.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: AUTH, payload });

const guide = () => page.getByRole('complementary', { name: 'Lab guide' });
const section = () => guide().getByRole('region', { name: 'Trace and explain' });
const progress = () => guide().locator('.guide-progress-text');

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  for (const sb of listLabs()) if (sb.name === LAB || sb.name === BRIDGE) await destroyLab(sb.name);
  s = await buildApp({ token: TOKEN, webRoot: join(web, 'dist') });
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  expect((await api('/catalog/routing/start', { name: LAB })).statusCode).toBe(201);
  for (const step of [1, 2, 3]) expect((await api(`/labs/${LAB}/guide/solve`, { step })).statusCode).toBe(200);
  expect((await api(`/labs/${LAB}/guide/check`, {})).json().current).toMatchObject({ index: 4 });
  browser = await launchChromium();
  page = await openPage(browser, { width: 1440, height: 900 }, consoleErrors);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await s?.app.close();
  if (findSandbox(LAB)) await destroyLab(LAB);
  if (findSandbox(BRIDGE)) await destroyLab(BRIDGE);
});

describe('a trace step in the web guide', () => {
  it('shows the trace and its question; an answer without a trace is refused', async () => {
    await page.goto(`${base}/labs/${LAB}?token=${TOKEN}`);
    await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
    await progress().filter({ hasText: '3 of 4 steps' }).waitFor({ timeout: 15_000 });
    await section().waitFor();
    expect(await section().innerText()).toContain('Trace ns1 → ns2 (ICMP ping)');
    expect(await section().innerText()).toContain('To which node did ns1 send the ping first');
    // No answer form before a trace; the command-line way opens it, and the server refuses.
    expect(await section().getByLabel('Your answer').count()).toBe(0);
    await section().getByRole('button', { name: 'I traced it from the command line' }).click();
    await section().getByLabel('Your answer').selectOption('router');
    await section().getByRole('button', { name: 'Answer' }).click();
    await section().getByText(/trace ns1 → ns2 \(ICMP ping\) first/).waitFor({ timeout: 15_000 });
    expect(await progress().innerText()).toBe('3 of 4 steps');
  });

  it('"Trace it" traces in Trace mode; a wrong answer gets the journey\'s reason; one answer per trace; the right one passes the step', async () => {
    await section().getByRole('button', { name: 'Trace it' }).click();
    const panel = page.getByRole('region', { name: 'Trace a packet' });
    await panel.locator('.trace-outcome').filter({ hasText: 'Delivered to ns2' }).waitFor({ timeout: 20_000 });
    expect(await panel.getByLabel('From').inputValue()).toBe('ns1');
    await section().getByLabel('Your answer').selectOption('ns2');
    await page.screenshot({ path: join(SHOTS, 'guide-trace-question-1440x900.png') });
    await section().getByRole('button', { name: 'Answer' }).click();
    const verdict = section().locator('.guide-trace-verdict');
    await verdict.waitFor({ timeout: 15_000 });
    expect(await verdict.innerText()).toMatch(/^✗ Not quite \(you said ns2\): ns1 sent it to router: .*default via 10\.1\.1\.1/);
    await page.screenshot({ path: join(SHOTS, 'guide-trace-wrong-1440x900.png') });
    // The same trace cannot be used to guess again.
    await section().getByLabel('Your answer').selectOption('router');
    await section().getByRole('button', { name: 'Answer' }).click();
    await section().getByText(/already used to answer step/).waitFor({ timeout: 15_000 });
    // Trace again, and answer from the new journey.
    await section().getByRole('button', { name: 'Trace again' }).click();
    await section().getByRole('button', { name: 'Tracing…' }).waitFor({ state: 'detached', timeout: 20_000 });
    await section().getByLabel('Your answer').selectOption('router');
    await section().getByRole('button', { name: 'Answer' }).click();
    await verdict.filter({ hasText: /^✓ Right: ns1 sent it to router/ }).waitFor({ timeout: 15_000 });
    await progress().filter({ hasText: '4 of 4 steps — all done!' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(SHOTS, 'guide-trace-right-1440x900.png') });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(SHOTS, 'guide-trace-right-1280x720.png') });
    // The verdict is the lab's: a reload shows it again.
    await page.reload();
    await progress().filter({ hasText: '4 of 4 steps — all done!' }).waitFor({ timeout: 15_000 });
    expect(consoleErrors.filter((e) => e.startsWith('page error'))).toEqual([]);
  });
});

describe('the bridge lab\'s flood question', () => {
  it('first frame after an ARP flush: flooded out of the other two ports (named); the next trace: sent by the fdb', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    expect((await api('/catalog/bridge/start', { name: BRIDGE })).statusCode).toBe(201);
    for (const step of [1, 2, 3, 4]) expect((await api(`/labs/${BRIDGE}/guide/solve`, { step })).statusCode).toBe(200);
    expect((await api(`/labs/${BRIDGE}/guide/check`, {})).json().current).toMatchObject({ index: 5 });
    const flush = await s.app.inject({ method: 'POST', url: `/api/v1/labs/${BRIDGE}/nodes/ns1/exec`, headers: AUTH, payload: { argv: ['ip', 'neigh', 'flush', 'all'] } });
    expect(flush.json().code, flush.body).toBe(0);
    await page.goto(`${base}/labs/${BRIDGE}?token=${TOKEN}`);
    await progress().filter({ hasText: '4 of 5 steps' }).waitFor({ timeout: 15_000 });
    await section().getByRole('button', { name: 'Trace it' }).click();
    const panel = page.getByRole('region', { name: 'Trace a packet' });
    await panel.locator('.trace-outcome').filter({ hasText: 'Delivered' }).waitFor({ timeout: 20_000 });
    expect(await panel.locator('.trace-event').first().innerText()).toMatch(/arp request/);
    await section().getByLabel('Yes, flooded').check();
    await section().getByRole('group', { name: 'Out of which ports?' }).getByLabel('br-int1').check();
    await page.screenshot({ path: join(SHOTS, 'guide-flood-question-1440x900.png') });
    await section().getByRole('group', { name: 'Out of which ports?' }).getByLabel('br-int2').check();
    await section().getByRole('button', { name: 'Answer' }).click();
    const verdict = section().locator('.guide-trace-verdict');
    await verdict.waitFor({ timeout: 15_000 });
    expect(await verdict.innerText()).toMatch(/^✓ Right: the first frame \(arp arp request\) was flooded out of br-int1, br-int2: bridge br0 floods a broadcast/);
    await progress().filter({ hasText: '5 of 5 steps — all done!' }).waitFor({ timeout: 15_000 });
    // Again: ns1 knows ns3's MAC now and br0 has learned it: the first frame is the ping, sent by the fdb.
    await section().getByRole('button', { name: 'Trace again' }).click();
    await section().getByRole('button', { name: 'Tracing…' }).waitFor({ state: 'detached', timeout: 20_000 });
    expect(await panel.locator('.trace-event').first().innerText()).toMatch(/icmp echo-request/);
    await section().getByLabel('No, sent out of one port').check();
    await section().getByRole('button', { name: 'Answer' }).click();
    await verdict.filter({ hasText: /^✓ Right: the first frame \(request icmp echo-request\) went out of br-int2 only: bridge br0's fdb/ }).waitFor({ timeout: 15_000 });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(SHOTS, 'guide-flood-right-1280x720.png') });
  }, 120_000);
});
