// Predict the next hop, in a real browser on a real server and kernel: a routed lab (a -> r -> b).
// A ping a -> b traced, Predict turned on: the envelope waits for an answer; clicking r on the graph
// is right (with the journey's reason), picking b from the list where the ARP reply goes back to a is
// wrong (named, with the reason), the rest answered from the list, the score at the end. Then r drops
// it (iptables FORWARD DROP): the ✕ stays hidden until "dropped here" is picked, then shows with the
// rule. Screenshots at 1440x900 and 1280x720. Runs as root.
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
const LAB = `tp-${process.pid.toString(36)}`;
const SHOTS = join(root, '.scratch/trace-predict');

let s: NslabApp;
let browser: Browser;
let page: Page;
let base = '';
const consoleErrors: string[] = [];

const exec = (node: string, argv: string[]) => execOk(s, AUTH, LAB, node, argv);

const panel = () => page.getByRole('region', { name: 'Trace a packet' });
const box = () => panel().locator('.predict-box');
const feedback = () => panel().locator('.predict-feedback');
const here = async () => (await box().locator('.predict-question strong').innerText()).trim();

/** Where a graph node is on the page. */
const nodeOnPage = (id: string) =>
  page.evaluate((id) => {
    const cy = window.__nslab_cy!;
    const p = cy.getElementById(id).renderedPosition();
    const r = cy.container()!.getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, id);

async function pick(label: string): Promise<string> {
  const before = (await feedback().count()) ? await feedback().innerText() : '';
  const n = await panel().locator('.trace-position').innerText();
  await box().getByLabel('Where it goes next').selectOption({ label });
  await box().getByRole('button', { name: 'Answer' }).click();
  await expect.poll(async () => `${await panel().locator('.trace-position').innerText()}|${(await feedback().count()) ? await feedback().innerText() : ''}`).not.toBe(`${n}|${before}`);
  return feedback().innerText();
}

/** Steps on (a step that stays in the same place asks nothing) until a question is open or the journey ends. */
async function advance(): Promise<void> {
  for (let i = 0; i < 60; i++) {
    if (await box().count()) return;
    const m = /^step (\d+) \/ (\d+)$/.exec(await panel().locator('.trace-position').innerText());
    if (m && m[1] === m[2]) return;
    await panel().getByRole('button', { name: 'Step', exact: true }).click();
  }
}

async function trace(): Promise<void> {
  await panel().getByLabel('From').selectOption('a');
  await panel().getByLabel('To', { exact: true }).fill('b');
  await panel().getByRole('button', { name: 'Trace', exact: true }).click();
  await panel().locator('.trace-outcome').waitFor({ timeout: 20_000 });
  await panel().getByText('Tracing…').waitFor({ state: 'detached', timeout: 20_000 });
}

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  ({ s, base, browser, page } = await openRoutedLab(LAB, TOKEN, consoleErrors));
}, 60_000);

afterAll(() => closeRoutedLab(LAB, { s, browser }));

describe('Predict the next hop, in a real browser', () => {
  it('a routed ping: the envelope waits for each answer; a click on the graph is right, a wrong pick is named with the reason; a score at the end', async () => {
    await page.goto(`${base}/labs/${LAB}?token=${TOKEN}`);
    await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
    await page.getByRole('toolbar', { name: 'Lab tools' }).getByRole('button', { name: 'Trace', exact: true }).click();
    await panel().waitFor();
    await trace();
    expect(await panel().locator('.trace-outcome').innerText()).toContain('Delivered to b');
    expect(await panel().locator('.trace-event').count()).toBeGreaterThan(4);

    await panel().getByLabel('Predict the next hop').check();
    // Nothing of the path is shown before it is predicted: no event rows, Step and To the end locked.
    await box().waitFor();
    expect(await panel().locator('.trace-event').count()).toBe(0);
    expect(await panel().getByRole('button', { name: 'Step', exact: true }).isDisabled()).toBe(true);
    expect(await panel().getByRole('button', { name: 'To the end' }).isDisabled()).toBe(true);
    expect(await here()).toBe('a');
    await page.screenshot({ path: join(SHOTS, 'predict-question-1440x900.png') });

    // A click on r on the graph answers: right (the first frame is a's ARP for its gateway).
    const r = await nodeOnPage('r');
    await page.mouse.click(r.x, r.y);
    await feedback().waitFor();
    expect(await feedback().innerText()).toMatch(/^✓ Right: r — a needs the MAC address of 10\.1\.0\.1/);
    expect(await panel().locator('.trace-position').innerText()).toMatch(/^step 1 \//);
    expect(await panel().locator('.trace-event').count()).toBe(1);

    // r answers the ARP: it goes back to a. Saying b is wrong, and the verdict names where and why.
    await advance();
    expect(await here()).toBe('r');
    const wrong = await pick('b');
    expect(wrong).toMatch(/^✗ No: it went to a, not b — r answers: 10\.1\.0\.1 is at /);
    await page.screenshot({ path: join(SHOTS, 'predict-wrong-1440x900.png') });

    // The rest from the list: from a the packet goes to r; from r the request goes on to b.
    const verdicts = [wrong];
    for (let i = 0; i < 20 && (await advance(), await box().count()); i++) {
      const at = await here();
      verdicts.push(await pick(at === 'a' ? 'r' : at === 'b' ? 'r' : 'b'));
    }
    expect(await box().count()).toBe(0);
    expect(verdicts.some((v) => /^✓ Right: b — .*matches route 10\.2\.0\.0\/24 dev eth1/.test(v))).toBe(true);
    const right = 1 + verdicts.filter((v) => v.startsWith('✓')).length;
    const score = panel().locator('.predict-score');
    expect(await score.innerText()).toBe(`Score: ${right} / ${verdicts.length + 1} right`);
    const n = await panel().locator('.trace-event').count();
    expect(await panel().locator('.trace-position').innerText()).toBe(`step ${n} / ${n}`);
    await page.screenshot({ path: join(SHOTS, 'predict-score-1440x900.png') });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(SHOTS, 'predict-score-1280x720.png') });
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('a drop: the ✕ waits until "dropped here" is picked, then shows with the rule', async () => {
    await exec('r', ['iptables', '-A', 'FORWARD', '-d', '10.2.0.10', '-j', 'DROP']);
    await trace();
    expect(await panel().locator('.trace-outcome').innerText()).toContain('Dropped at r');
    await panel().getByLabel('Predict the next hop').check();
    let last = '';
    for (let i = 0; i < 20 && (await advance(), await box().count()); i++) {
      expect(await page.locator('.trace-layer .trace-drop').count()).toBe(0);
      expect(await panel().locator('.trace-event.dropped').count()).toBe(0);
      const at = await here();
      const n = await panel().locator('.trace-position').innerText();
      const total = Number(n.split(' / ')[1] ?? 0);
      // At r on the journey's last sighting the question is whether it goes on at all.
      last = await pick(at === 'a' ? 'r' : n === `step ${total} / ${total}` ? 'dropped here' : 'a');
    }
    expect(last).toMatch(/^✓ Right: it was dropped here — .*drop/);
    await page.locator('.trace-layer .trace-drop').waitFor();
    expect(await page.locator('.trace-layer .trace-drop').getAttribute('data-at')).toBe('r');
    expect(await panel().locator('.trace-drop-evidence li[data-kind="rule"]').innerText()).toMatch(/10\.2\.0\.10.*drop/);
    await panel().locator('.predict-score').waitFor();
    await page.screenshot({ path: join(SHOTS, 'predict-drop-1440x900.png') });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(SHOTS, 'predict-drop-1280x720.png') });
    expect(consoleErrors.filter((e) => e.startsWith('page error'))).toEqual([]);
  });
});
