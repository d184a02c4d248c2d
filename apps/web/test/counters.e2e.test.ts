// Live counters in a real browser: Chromium on the built app, a real server and kernel. A ping makes
// the veth edges (a direct pair and two bridge ports) wider with their rate written on them and the
// inspector show a non-zero rate; the edges go still after it; a hidden page stops the sampler.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureBuilt, launchChromium, openPage, root, web } from './e2e.ts';
import { destroyLab, execInLab, findSandbox, listLabs } from '@nslab/driver';
import { buildApp, type NslabApp } from '../../server/src/app.ts';
import { counterSamplerPids } from '../../../test/helpers.ts';

const TOKEN = `c-token-${Math.random().toString(36).slice(2)}`;
const AUTH = { authorization: `Bearer ${TOKEN}`, host: '127.0.0.1:7070' };
const LAB = `wc-${process.pid.toString(36)}`;
const SHOTS = join(root, '.artifacts/screenshots');
const YAML = `
name: counters
bridges:
  br0: {}
nodes:
  ns1: { interfaces: { eth0: { addresses: [10.79.0.1/24] } } }
  ns2: { interfaces: { eth0: { addresses: [10.79.0.2/24] } } }
  ns3: { interfaces: { eth0: { addresses: [10.79.1.3/24] } } }
  ns4: { interfaces: { eth0: { addresses: [10.79.1.4/24] } } }
links:
  - endpoints: ["ns1:eth0", "ns2:eth0"]
  - endpoints: ["ns3:eth0", "br0:p3"]
  - endpoints: ["ns4:eth0", "br0:p4"]
`;
const DIRECT = 'veth:ns1:eth0=ns2:eth0';
const PORTS = ['veth:host:p3=ns3:eth0', 'veth:host:p4=ns4:eth0'];
const EDGES = [DIRECT, ...PORTS];

let s: NslabApp;
let browser: Browser;
let page: Page;
let base = '';
const consoleErrors: string[] = [];

const samplers = () => counterSamplerPids(LAB);

const traffic = (ids: string[]) => page.evaluate((ids) => ids.map((id) => Number(window.__nslab_cy!.getElementById(id).data('traffic') ?? 0)), ids);

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  for (const sb of listLabs()) if (sb.name.startsWith('wc-')) await destroyLab(sb.name);
  s = await buildApp({ token: TOKEN, webRoot: join(web, 'dist') });
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: AUTH, payload: { name: LAB, yaml: YAML } });
  expect(r.statusCode, r.body).toBe(201);
  // IPv6 autoconfiguration chatter would make every edge busy for its first seconds: off here.
  for (const node of ['host', 'ns1', 'ns2', 'ns3', 'ns4']) {
    const x = await execInLab(LAB, node, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
    expect(x.code, x.stderr).toBe(0);
  }
  browser = await launchChromium();
  page = await openPage(browser, { width: 1440, height: 900 }, consoleErrors);
});

afterAll(async () => {
  await browser?.close();
  await s?.app.close();
  if (findSandbox(LAB)) await destroyLab(LAB);
});

describe('live counters in a real browser', () => {
  it('starts the sampler only once the page is open and visible', async () => {
    expect(samplers()).toEqual([]);
    await page.goto(`${base}/labs/${LAB}?token=${TOKEN}`);
    await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
    await page.waitForFunction((ids) => ids.every((id) => window.__nslab_cy!.getElementById(id).nonempty()), EDGES);
    const end = Date.now() + 5000;
    while (samplers().length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(samplers()).toHaveLength(1);
    // Idle lab: two samples later every edge is still drawn at rest.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await traffic(EDGES)).toEqual([0, 0, 0]);
  });

  it('widens the edges a ping crosses, writes their rate, and the inspector shows it', async () => {
    const pings = Promise.all([
      execInLab(LAB, 'ns1', ['ping', '-c', '20', '-i', '0.2', '-W', '1', '10.79.0.2']),
      execInLab(LAB, 'ns3', ['ping', '-c', '20', '-i', '0.2', '-W', '1', '-s', '1000', '10.79.1.4']),
    ]);
    await page.waitForFunction((ids) => ids.every((id) => Number(window.__nslab_cy!.getElementById(id).data('traffic') ?? 0) > 0), EDGES, { timeout: 10_000 });
    const drawn = await page.evaluate((ids) => ids.map((id) => {
      const e = window.__nslab_cy!.getElementById(id);
      return { rate: String(e.data('rate')), width: parseFloat(e.renderedStyle('width')) / window.__nslab_cy!.zoom() };
    }), EDGES);
    for (const d of drawn) {
      expect(d.rate).toMatch(/^\d+(\.\d)? (B|kB)\/s$/);
      expect(d.width).toBeGreaterThan(3);
    }
    // Five 1000-byte pings a second both ways over the bridge: kB/s, a level above the small pings.
    expect(drawn[1]!.rate).toMatch(/kB\/s$/);

    await page.getByRole('treeitem', { name: /^ns1:eth0 ↔ ns2:eth0/ }).click();
    const rx = page.locator('[data-counters="eth0"] .rate.moving').first();
    await rx.waitFor({ timeout: 5000 });
    const text = (await rx.textContent())!;
    const pps = Number(/^([\d.]+) pkt\/s/.exec(text)?.[1]);
    expect(pps, text).toBeGreaterThan(0);
    // A rate, in whatever unit the amount of traffic calls for (a busy moment reads kB/s).
    const now = (await page.getByText(/^Traffic now:/).textContent())!;
    const m = /Traffic now: (\d+(?:\.\d)?) (B|kB|MB)\/s/.exec(now);
    expect(m, now).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'counters.png') });
    const results = await pings;
    for (const r of results) expect(r.code, r.stderr).toBe(0);
  });

  it('goes still after the traffic stops', async () => {
    await page.waitForFunction((ids) => ids.every((id) => Number(window.__nslab_cy!.getElementById(id).data('traffic') ?? 0) === 0), EDGES, { timeout: 5000 });
    await page.locator('[data-counters="eth0"] .rate').first().waitFor();
    expect(await page.locator('[data-counters="eth0"] .rate.moving').count()).toBe(0);
  });

  it('stops the sampler while the page is hidden and starts it again when shown', async () => {
    const setHidden = (hidden: boolean) =>
      page.evaluate((hidden) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    let end = Date.now() + 5000;
    while (samplers().length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(samplers()).toEqual([]);
    await setHidden(false);
    end = Date.now() + 5000;
    while (samplers().length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(samplers()).toHaveLength(1);
    expect(consoleErrors).toEqual([]);
  });
});
