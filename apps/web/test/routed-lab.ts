// The routed lab the Trace e2e files start from: its topology, a server holding it with a Chromium
// page beside it, and running a command in one of its nodes through the exec API (as a learner's
// terminal would, minus the terminal).
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { destroyLab, findSandbox, listLabs } from '@nslab/driver';
import { buildApp, type NslabApp } from '../../server/src/app.ts';
import { launchChromium, openPage, web } from './e2e.ts';

/** a (10.1.0.10) – r (forwarding, 10.1.0.1 / 10.2.0.1) – b (10.2.0.10), each end's default route via r. */
export const routedLabYaml = (name: string): string => `
name: ${name}
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.1.0.10/24] }
    routes: [{ to: default, via: 10.1.0.1 }]
  r:
    interfaces:
      eth0: { addresses: [10.1.0.1/24] }
      eth1: { addresses: [10.2.0.1/24] }
    sysctls: { net.ipv4.ip_forward: 1 }
  b:
    interfaces:
      eth0: { addresses: [10.2.0.10/24] }
    routes: [{ to: default, via: 10.2.0.1 }]
links:
  - endpoints: ["a:eth0", "r:eth0"]
  - endpoints: ["r:eth1", "b:eth0"]
`;

/** Runs `argv` in `node` of `lab` and expects it to succeed. */
export async function execOk(s: NslabApp, headers: Record<string, string>, lab: string, node: string, argv: string[]): Promise<void> {
  const r = await s.app.inject({ method: 'POST', url: `/api/v1/labs/${lab}/nodes/${node}/exec`, headers, payload: { argv } });
  expect(r.statusCode, r.body).toBe(200);
  expect(r.json().code, r.body).toBe(0);
}

export interface RoutedLabBrowser {
  s: NslabApp;
  base: string;
  browser: Browser;
  page: Page;
}

/**
 * A token-mode server with the routed lab deployed as `lab` (a stale one of that name destroyed
 * first), and a 1440x900 page whose errors go to `consoleErrors`. What was made is closed again if
 * a later part fails.
 */
export async function openRoutedLab(lab: string, token: string, consoleErrors: string[]): Promise<RoutedLabBrowser> {
  for (const sb of listLabs()) if (sb.name === lab) await destroyLab(sb.name);
  const s = await buildApp({ token, webRoot: join(web, 'dist') });
  let browser: Browser | undefined;
  try {
    const base = await s.app.listen({ host: '127.0.0.1', port: 0 });
    const r = await s.app.inject({ method: 'POST', url: '/api/v1/labs', headers: { authorization: `Bearer ${token}`, host: '127.0.0.1:7070' }, payload: { name: lab, yaml: routedLabYaml(lab) } });
    expect(r.statusCode, r.body).toBe(201);
    browser = await launchChromium();
    const page = await openPage(browser, { width: 1440, height: 900 }, consoleErrors);
    return { s, base, browser, page };
  } catch (e) {
    await closeRoutedLab(lab, { s, browser });
    throw e;
  }
}

export async function closeRoutedLab(lab: string, made: { s?: NslabApp; browser?: Browser }): Promise<void> {
  await made.browser?.close();
  await made.s?.app.close();
  if (findSandbox(lab)) await destroyLab(lab);
}
