// The instructor's live view in a real browser, three browser contexts open at once, on a real
// server in classroom mode (temporary database) with real labs: the instructor makes a class and
// publishes the veth-pair guided lab; two students join and start their copies with one click
// (the guide beside it, the lab's displayName as its title); each builds steps through the lab
// API as themselves and runs the guide's check; neither reaches the other's lab (page, REST,
// events WebSocket, terminal watch WebSocket); the instructor's grid shows both progressing live
// (the latency from a check's answer to the grid's cell in the instructor's page is printed); the
// instructor opens a student's lab read-only (editing disabled), watches a student's terminal
// read-only while the student sees the notice, resets a student, and exports the progress.
// Screenshots at 1440x900 and 1280x720 in .scratch/classroom-live-screens/. Runs as root.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { destroyLab, findSandbox } from '@nslab/driver';
import { buildApp, type NslabApp } from '../../server/src/app.ts';
import { Classroom } from '../../server/src/classroom/classroom.ts';
import { ensureBuilt, launchChromium, root, web } from './e2e.ts';

const SHOTS = join(root, '.scratch/classroom-live-screens');
const SIZES = [
  [1440, 900],
  [1280, 720],
] as const;
const INSTRUCTOR = { username: 'ines', password: 'instructor pass 1', displayName: 'Ines Instructor' };
const STUDENTS = [
  { username: 'ada', password: 'ada-password-1', displayName: 'Ada Lovelace' },
  { username: 'alan', password: 'alan-password-1', displayName: 'Alan Turing' },
];

let dir = '';
let s: NslabApp;
let browser: Browser;
let base = '';
const problems: string[] = [];
const contexts: BrowserContext[] = [];
let instructor: Page;
const students: Page[] = [];
const labOf: string[] = [];
let gridUrl = '';
let copyName = '';

async function newPage(viewport = { width: 1440, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Refusals asked for on purpose (not signed in yet, another's lab) log their status; nothing else may.
    if (m.type() === 'error' && !/status of (401|403|404)\b|WebSocket connection to .* failed/.test(m.text())) problems.push(m.text());
  });
  return page;
}

async function shoot(page: Page, name: string): Promise<void> {
  const original = page.viewportSize()!;
  for (const [width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SHOTS, `${name}-${width}x${height}.png`) });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `${name} at ${width}x${height} scrolls sideways`).toBe(true);
  }
  await page.setViewportSize(original);
}

/** A request made by `page` as its signed-in user (same-origin: the session cookie, the page's Origin). */
function call(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return page.evaluate(
    async ([method, path, body]) => {
      const r = await fetch(`/api/v1${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const t = await r.text();
      return { status: r.status, body: t ? JSON.parse(t) : null };
    },
    [method, path, body] as const,
  );
}

/** What a WebSocket at `path` gets from `page`'s context: its first message (text or frame) or how it closed. */
function socketAnswer(page: Page, path: string): Promise<{ first: string | null; code: number }> {
  return page.evaluate(
    (path) =>
      new Promise<{ first: string | null; code: number }>((resolve) => {
        const ws = new WebSocket(`ws://${location.host}${path}`);
        ws.binaryType = 'arraybuffer';
        let first: string | null = null;
        ws.onmessage = (ev) => {
          first ??= typeof ev.data === 'string' ? ev.data : new TextDecoder().decode(ev.data as ArrayBuffer);
          ws.close();
        };
        ws.onclose = (ev) => resolve({ first, code: ev.code });
        setTimeout(() => (ws.close(), resolve({ first, code: -1 })), 5000);
      }),
    path,
  );
}

/** The cell of `student` at `step` in the instructor's grid. */
const cell = (student: string, step: string) => instructor.locator(`tr[data-student="${student}"] td[data-step="${step}"]`);

/**
 * Runs the guide's check as `student` and returns when the instructor's grid (in its own browser)
 * showed `state` in `step`: ms after the check was sent, and after its answer came back (the server
 * pushes the row as it records the check, so the grid may show it before the student's answer).
 */
async function checkAndSee(student: number, step: string, state: string): Promise<{ sent: number; answered: number }> {
  const who = STUDENTS[student]!.username;
  // The instructor's page notes when the cell turns, in the same wall clock as the student's page.
  await instructor.evaluate(
    ([who, step, state]) => {
      const w = window as unknown as { __seen?: number };
      delete w.__seen;
      const seen = () => document.querySelector(`tr[data-student="${who}"] td[data-step="${step}"]`)?.getAttribute('data-state') === state;
      const mo = new MutationObserver(() => {
        if (seen()) {
          w.__seen = Date.now();
          mo.disconnect();
        }
      });
      mo.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    },
    [who, step, state] as const,
  );
  const r = await students[student]!.evaluate(async (lab) => {
    const sent = Date.now();
    const res = await fetch(`/api/v1/labs/${encodeURIComponent(lab)}/guide/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    return { status: res.status, body: await res.text(), sent, answered: Date.now() };
  }, labOf[student]!);
  expect(r.status, r.body).toBe(200);
  await instructor.waitForFunction(() => (window as unknown as { __seen?: number }).__seen !== undefined, undefined, { timeout: 10_000 });
  const seen = await instructor.evaluate(() => (window as unknown as { __seen: number }).__seen);
  expect(await cell(who, step).getAttribute('data-state')).toBe(state);
  return { sent: seen - r.sent, answered: seen - r.answered };
}

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'nslab-classroom-live-'));
  const classroom = Classroom.open({ database: join(dir, 'classroom.db') });
  await classroom.accounts.create({ username: INSTRUCTOR.username, role: 'instructor', displayName: INSTRUCTOR.displayName, password: INSTRUCTOR.password });
  s = await buildApp({ classroom, webRoot: join(web, 'dist') });
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await s?.app.close();
  for (const name of labOf) if (findSandbox(name)) await destroyLab(name);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the instructor's live view, with two students", () => {
  let joinCode = '';

  it('the instructor makes a class, a join code, and publishes the veth-pair lab for a window', async () => {
    instructor = await newPage();
    await instructor.goto(`${base}/`);
    await instructor.getByLabel('Username').fill(INSTRUCTOR.username);
    await instructor.getByLabel('Password').fill(INSTRUCTOR.password);
    await instructor.getByRole('button', { name: 'Sign in' }).click();
    await instructor.getByLabel('New class').fill('Networks live');
    await instructor.getByRole('button', { name: 'Create class' }).click();
    await instructor.getByRole('heading', { level: 1, name: 'Networks live' }).waitFor();
    await instructor.getByRole('button', { name: 'New join code' }).click();
    await instructor.locator('.cr-codes .cr-code').first().waitFor();
    joinCode = (await instructor.locator('.cr-codes .cr-code').first().textContent())!;

    await instructor.getByRole('button', { name: 'Publish a lab' }).click();
    const form = instructor.getByRole('form', { name: 'Publish an assignment' });
    await form.getByLabel('Guided lab').locator('option[value="veth-pair"]').waitFor({ state: 'attached' });
    await form.getByLabel('Guided lab').selectOption('veth-pair');
    // A window closing before it opens is said at its field, before any request.
    const opens = await form.getByLabel('Opens').inputValue();
    await form.getByLabel('Closes').fill(opens.replace(/T\d\d:\d\d$/, 'T00:00'));
    await form.locator('.cr-field-error[data-field="closesAt"]').waitFor();
    expect(await form.getByRole('button', { name: 'Publish' }).isDisabled()).toBe(true);
    await shoot(instructor, 'publish-form');
    const week = new Date(Date.now() + 7 * 86_400_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await form.getByLabel('Closes').fill(week);
    await form.getByRole('button', { name: 'Publish' }).click();
    const row = instructor.locator('.cr-assignments tbody tr').first();
    await row.waitFor();
    expect(await row.locator('th a').textContent()).toBe('A veth pair between two namespaces');
    expect(await row.locator('.pill').textContent()).toBe('open');
    expect(await row.locator('td').nth(1).textContent()).toMatch(/^closes in (7 days|6 days)$/);
    // Extend by a day: the server moves the window and the row says so.
    await row.getByRole('button', { name: '+1 day' }).click();
    await instructor.waitForFunction(() => /closes in 8 days|closes in 7 days/.test(document.querySelector('.cr-assignments tbody tr td:nth-child(3)')?.textContent ?? ''));
    await shoot(instructor, 'class-assignments');
    await row.getByRole('link', { name: 'Grid' }).click();
    await instructor.waitForURL(/\/classes\/\d+\/assignments\/\d+$/);
    gridUrl = instructor.url();
    await instructor.locator('[data-live="live"]').waitFor();
  });

  it('two students join and start their own copies with one click: the guide beside it, the lab named as typed', async () => {
    for (const st of STUDENTS) {
      const page = await newPage();
      students.push(page);
      await page.goto(`${base}/join?code=${encodeURIComponent(joinCode)}`);
      await page.getByLabel(/Your name/).fill(st.displayName);
      await page.getByLabel('Username').fill(st.username);
      await page.getByLabel('Password').fill(st.password);
      await page.getByRole('button', { name: 'Join and sign in' }).click();
      const card = page.locator('.cr-my-assignment').first();
      await card.waitFor();
      expect(await card.locator('.cr-assignment-title').textContent()).toBe('A veth pair between two namespaces');
      if (students.length === 1) await shoot(page, 'student-home');
      await card.getByRole('button', { name: 'Start' }).click();
      await page.waitForURL(/\/labs\/u\d+-veth-pair-a\d+$/);
      const name = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
      labOf.push(name);
      copyName = name.replace(/^u\d+-/, '');
      await page.getByRole('complementary', { name: 'Lab guide' }).waitFor();
      expect(await page.locator('h1.lab-name').textContent()).toBe(copyName);
      expect(await page.title()).toBe(`${copyName} · nslab`);
    }
    expect(labOf[0]).not.toBe(labOf[1]);
    // The grid got both starts live: each row has its lab, every step idle.
    for (const st of STUDENTS) {
      await instructor.locator(`tr[data-student="${st.username}"] th a`).waitFor();
      expect(await cell(st.username, 'namespaces').getAttribute('data-state')).toBe('idle');
    }
  });

  it("neither student reaches the other's lab: page, REST, events socket, terminal sockets", async () => {
    const [ada, alan] = students as [Page, Page];
    // Their own pages go home, so the web guide's auto-check does not run while they build.
    for (const p of students) await p.goto(`${base}/`);
    await ada.goto(`${base}/labs/${encodeURIComponent(labOf[1]!)}`);
    await ada.getByRole('heading', { name: `Nothing at lab "${labOf[1]}"` }).waitFor();
    for (const [path, method] of [
      [`/labs/${labOf[1]}`, 'GET'],
      [`/labs/${labOf[1]}/guide`, 'GET'],
      [`/labs/${labOf[1]}/terminals`, 'GET'],
      [`/labs/${labOf[1]}/nodes`, 'POST'],
    ] as const) {
      const r = await call(ada, method, path, method === 'POST' ? { name: 'x1' } : undefined);
      expect(r, `${method} ${path}`).toEqual({ status: 404, body: { code: 'LAB_NOT_FOUND', message: `no lab named "${labOf[1]}"` } });
    }
    // The assignment routes of the class are the instructor's.
    const classPath = new URL(gridUrl).pathname;
    expect((await call(alan, 'GET', `${classPath}/grid`)).status).toBe(403);
    for (const path of [`/api/v1/labs/${labOf[1]}/events`, `/api/v1/labs/${labOf[1]}/terminals/nope/watch`, `/api/v1/labs/${labOf[1]}/nodes/host/terminal`, `${'/api/v1' + classPath}/live`]) {
      const a = await socketAnswer(ada, path);
      // Refused before any frame: no snapshot, no session, no grid.
      expect(a.first, path).toBeNull();
      expect(a.code, path).not.toBe(-1);
    }
    await ada.goto(`${base}/`);
  });

  it("the grid shows both students' steps live as they check (latency printed)", async () => {
    const [ada, alan] = students as [Page, Page];
    const latencies: { sent: number; answered: number }[] = [];
    const lab = (i: number) => `/labs/${encodeURIComponent(labOf[i]!)}`;
    // Ada: step 1 (two namespaces), then step 2 (the veth pair).
    for (const n of ['ns1', 'ns2']) expect((await call(ada, 'POST', `${lab(0)}/nodes`, { name: n })).status).toBe(201);
    latencies.push(await checkAndSee(0, 'namespaces', 'done'));
    expect((await call(ada, 'POST', `${lab(0)}/links`, { a: { node: 'ns1', interface: 'veth-01' }, b: { node: 'ns2', interface: 'veth-10' } })).status).toBe(201);
    latencies.push(await checkAndSee(0, 'veth', 'done'));
    // Alan: only ns1, then checks: failing, naming the check that fails.
    expect((await call(alan, 'POST', `${lab(1)}/nodes`, { name: 'ns1' })).status).toBe(201);
    latencies.push(await checkAndSee(1, 'namespaces', 'failing'));
    expect(await cell('alan', 'namespaces').getAttribute('title')).toMatch(/failing: .*ns2/);
    expect(await cell('alan', 'namespaces').locator('.cr-cell-text').textContent()).toMatch(/ns2/);
    expect((await call(alan, 'POST', `${lab(1)}/nodes`, { name: 'ns2' })).status).toBe(201);
    latencies.push(await checkAndSee(1, 'namespaces', 'done'));
    // Ada's row did not move meanwhile: a check goes on to the next open step, which fails (no addresses yet).
    expect(await cell('ada', 'veth').getAttribute('data-state')).toBe('done');
    expect(await cell('ada', 'addresses').getAttribute('data-state')).toBe('failing');
    expect(await cell('ada', 'loopback').getAttribute('data-state')).toBe('idle');
    console.log(
      `grid update seen in the instructor's browser, ms after the check was sent (its answer): ${latencies.map((l) => `${l.sent} (${l.answered >= 0 ? '+' : ''}${l.answered})`).join(', ')}; max after sending ${Math.max(...latencies.map((l) => l.sent))}`,
    );
    // Pushed by the socket, not by a reload: well under the page's 30 s of anything periodic.
    expect(Math.max(...latencies.map((l) => l.answered))).toBeLessThan(5000);
    expect(await instructor.locator('.cr-grid-summary').textContent()).toMatch(/^2 of 2 started · 0 finished · 0 stuck/);
    await shoot(instructor, 'grid');
  });

  it("the instructor watches Ada's terminal read-only; Ada's terminal says she is watched", async () => {
    const ada = students[0]!;
    await ada.goto(`${base}/labs/${encodeURIComponent(labOf[0]!)}`);
    await ada.waitForFunction(() => (window.__nslab_cy?.getElementById('ns1').nonempty() ?? false), undefined, { timeout: 20_000 });
    await ada.evaluate((lab) => window.__nslab_openTerminal!(lab, 'ns1'), labOf[0]!);
    const adaTerm = ada.locator('.nslab-term-pane[data-active="true"]');
    await adaTerm.locator('.xterm-screen').click();
    await ada.waitForFunction(() => /root@ns1/.test(document.querySelector('.nslab-term-pane[data-active="true"] .xterm-rows')?.textContent ?? ''), undefined, { timeout: 10_000 });
    await ada.keyboard.type('echo hello-from-$((6*7))\n');
    await ada.waitForFunction(() => /hello-from-42/.test(document.querySelector('.nslab-term-pane[data-active="true"] .xterm-rows')?.textContent ?? ''));

    // Alan has no terminal open: said so, nothing to attach to.
    await instructor.locator('tr[data-student="alan"]').getByRole('button', { name: 'Watch terminal' }).click();
    await instructor.locator('.cr-watch').getByText('Alan Turing has no terminal open in this lab.', { exact: false }).waitFor();
    expect(await instructor.locator('.cr-watch .cr-watch-term').count()).toBe(0);
    await instructor.locator('tr[data-student="ada"]').getByRole('button', { name: 'Watch terminal' }).click();
    const watch = instructor.locator('.cr-watch');
    // The heading names the namespace once the student's terminal list has answered.
    await expect.poll(() => watch.locator('h2').textContent(), { timeout: 10_000 }).toBe("Ada Lovelace's terminal in ns1");
    await watch.locator('.cr-readonly-pill', { hasText: 'read-only' }).waitFor();
    await instructor.waitForFunction(() => /hello-from-42/.test(document.querySelector('.cr-watch .xterm-rows')?.textContent ?? ''), undefined, { timeout: 10_000 });
    await ada.waitForFunction(() => /instructor .*is watching this terminal \(read-only\)/.test(document.querySelector('.nslab-term-pane[data-active="true"] .xterm-rows')?.textContent ?? ''), undefined, { timeout: 10_000 });
    // Live: what Ada types next shows up; what the instructor types goes nowhere.
    await ada.keyboard.type('echo again-$((40+2))\n');
    await instructor.waitForFunction(() => /again-42/.test(document.querySelector('.cr-watch .xterm-rows')?.textContent ?? ''));
    await watch.locator('.xterm-screen').click();
    await instructor.keyboard.type('echo typed-by-instructor\n');
    await instructor.waitForTimeout(500);
    expect(await ada.locator('.nslab-term-pane[data-active="true"] .xterm-rows').textContent()).not.toContain('typed-by-instructor');
    await watch.scrollIntoViewIfNeeded();
    await shoot(instructor, 'watched-terminal');
    await shoot(ada, 'student-watched');
    await watch.getByRole('button', { name: 'Stop watching' }).click();
    await ada.waitForFunction(() => /stopped watching/.test(document.querySelector('.nslab-term-pane[data-active="true"] .xterm-rows')?.textContent ?? ''), undefined, { timeout: 10_000 });
  });

  it("a student's lab opens read-only for the instructor: the notice, editing disabled, the guide's progress", async () => {
    const t0 = Date.now();
    await instructor.locator('tr[data-student="ada"] th a').click();
    await instructor.waitForURL(`${base}/labs/${labOf[0]}`);
    await instructor.waitForFunction(() => (window.__nslab_cy?.getElementById('ns2').nonempty() ?? false), undefined, { timeout: 20_000 });
    console.log(`read-only lab shown ${Date.now() - t0} ms after the click`);
    expect(await instructor.locator('h1.lab-name').textContent()).toBe(copyName);
    expect(await instructor.locator('.cr-readonly').textContent()).toContain('Read-only');
    expect(await instructor.getByRole('button', { name: /Namespace/ }).first().isDisabled()).toBe(true);
    const guidePanel = instructor.getByRole('complementary', { name: 'Lab guide' });
    await guidePanel.waitFor();
    // The student runs the checks; the instructor reads them (no Check that the server would refuse).
    await guidePanel.getByText('Read-only: the student runs the checks.').first().waitFor();
    expect(await guidePanel.getByRole('button', { name: 'Check', exact: true }).count()).toBe(0);
    // Selecting a namespace shows its panel with every control disabled.
    const at = await instructor.evaluate(() => {
      const cy = window.__nslab_cy!;
      const box = cy.container()!.getBoundingClientRect();
      const r = cy.getElementById('ns1').renderedPosition();
      return { x: box.left + r.x, y: box.top + r.y };
    });
    await instructor.mouse.click(at.x, at.y);
    const lock = instructor.locator('fieldset.edit-lock').first();
    await lock.waitFor();
    // A disabled <fieldset> disables every control inside it (Playwright's isDisabled ignores fieldsets).
    expect(await lock.evaluate((f) => (f as HTMLFieldSetElement).disabled)).toBe(true);
    expect(await lock.locator('button').first().isDisabled()).toBe(true);
    await shoot(instructor, 'lab-read-only');
    // And the server agrees.
    expect((await call(instructor, 'POST', `/labs/${encodeURIComponent(labOf[0]!)}/nodes`, { name: 'x1' })).body.code).toBe('READ_ONLY');
  });

  it("reset (after a confirmation) starts Alan's row over; the export has both students", async () => {
    await instructor.goto(gridUrl);
    await instructor.locator('[data-live="live"]').waitFor();
    expect(await cell('alan', 'namespaces').getAttribute('data-state')).toBe('done');
    await instructor.locator('tr[data-student="alan"]').getByRole('button', { name: 'Reset' }).click();
    const dialog = instructor.getByRole('dialog');
    expect(await dialog.textContent()).toContain("Reset Alan Turing's lab?");
    await dialog.getByRole('button', { name: 'Reset lab' }).click();
    await instructor.waitForFunction(() => document.querySelector('tr[data-student="alan"] td[data-step="namespaces"]')?.getAttribute('data-state') === 'idle', undefined, { timeout: 30_000 });
    expect((await call(students[1]!, 'GET', `/labs/${encodeURIComponent(labOf[1]!)}`)).body.nodes.map((n: { name: string }) => n.name)).not.toContain('ns1');
    const csvHref = (await instructor.getByRole('link', { name: 'Export CSV' }).getAttribute('href'))!;
    const csv = await instructor.evaluate(async (h) => (await fetch(h)).text(), csvHref);
    expect(csv.split('\n')[0]).toBe('assignment,lab,username,display_name,lab_name,started_at,step,state,failing_check,since,attempts,hints_shown');
    expect(csv).toMatch(/\nveth-pair|,ada,Ada Lovelace,/);
    expect(csv).toContain(',alan,Alan Turing,');
    const json = await instructor.evaluate(async (h) => (await fetch(h)).json(), (await instructor.getByRole('link', { name: 'Export JSON' }).getAttribute('href'))!);
    // Every check is kept, Alan's from before the reset too.
    const alans = json.checks.filter((c: { username: string; step: string }) => c.username === 'alan' && c.step === 'namespaces');
    expect(alans.map((c: { ok: boolean }) => c.ok)).toEqual([false, true]);
  });

  it('with a school sign-in set up, the sign-in and join pages offer it (the join code carried along)', async () => {
    // This server has no provider configured (the flow itself is tested against a real one on the
    // server side): the page's question is answered as a configured server answers it.
    const page = await newPage({ width: 1280, height: 720 });
    await page.route('**/api/v1/auth/oidc', (r) => r.fulfill({ json: { enabled: true, issuer: 'https://idp.school.example', start: '/api/v1/auth/oidc/start' } }));
    await page.goto(`${base}/`);
    const button = page.getByRole('link', { name: 'Sign in with your school account' });
    await button.waitFor();
    expect(await button.getAttribute('href')).toBe('/api/v1/auth/oidc/start');
    await shoot(page, 'sign-in-school');
    await page.goto(`${base}/join?code=${encodeURIComponent(joinCode)}`);
    await button.waitFor();
    expect(await button.getAttribute('href')).toBe(`/api/v1/auth/oidc/start?joinCode=${encodeURIComponent(joinCode)}`);
    await shoot(page, 'join-school');
    // Not set up (the real answer of this server): no button.
    await page.unroute('**/api/v1/auth/oidc');
    const other = await newPage({ width: 1280, height: 720 });
    await other.goto(`${base}/`);
    await other.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await other.evaluate(async () => (await fetch('/api/v1/auth/oidc')).json())).toEqual({ enabled: false });
    expect(await other.getByRole('link', { name: 'Sign in with your school account' }).count()).toBe(0);
  });

  it('no page errors and no console errors beyond the expected refusals', () => {
    expect(problems).toEqual([]);
  });
});
