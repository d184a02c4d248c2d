// Classroom mode's pages in a real browser, on a real server started in classroom mode with a
// temporary database and real labs: the instructor signs in (a wrong password is refused at the
// password field), makes a class and a join code; two students join with the code in two other
// browser contexts and each starts a lab with the same name; each sees only their own, a student
// opening the other's lab URL gets the not-found page, the instructor's class page lists both
// students' labs; a roster upload shows its one-time passwords once, and a roster student must
// choose a password before anything else. Screenshots at 1440x900 and 1280x720. Runs as root.
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

const SHOTS = join(root, '.scratch/classroom-screens');
const SIZES = [
  [1440, 900],
  [1280, 720],
] as const;
const LAB = `cpe${process.pid.toString(36)}`;
const ADMIN = { username: 'root-admin', password: 'admin pass 12345' };
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
const made: string[] = [];
let joinCode = '';
let classUrl = '';
const studentPages: Page[] = [];
const labOf: string[] = [];

async function newPage(viewport: { width: number; height: number } = { width: 1440, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // The refusals this test asks for on purpose (not signed in yet, a wrong password or join code,
    // a password to change first, another's lab, a bad roster) log their status; nothing else may.
    if (m.type() === 'error' && !/status of (400|401|403|404|409)\b/.test(m.text())) problems.push(m.text());
  });
  return page;
}

async function shoot(page: Page, name: string): Promise<void> {
  const original = page.viewportSize()!;
  for (const [width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(100);
    await page.screenshot({ path: join(SHOTS, `${name}-${width}x${height}.png`) });
    // Nothing wider than the window (a page that scrolls sideways at 1280 is broken).
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `${name} at ${width}x${height} scrolls sideways`).toBe(true);
  }
  await page.setViewportSize(original);
}

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'nslab-classroom-e2e-'));
  const classroom = Classroom.open({ database: join(dir, 'classroom.db') });
  // The first instructor, as `nslab user add --instructor` makes one (with a password of their own).
  await classroom.accounts.create({ username: ADMIN.username, role: 'admin', password: ADMIN.password });
  await classroom.accounts.create({ username: INSTRUCTOR.username, role: 'instructor', displayName: INSTRUCTOR.displayName, password: INSTRUCTOR.password });
  s = await buildApp({ classroom, webRoot: join(web, 'dist') });
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await s?.app.close();
  for (const name of made) if (findSandbox(name)) await destroyLab(name);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('classroom mode in the browser', () => {
  let instructor: Page;

  it('an unauthenticated visit gets the sign-in page; a wrong password is refused at the password field', async () => {
    instructor = await newPage();
    await instructor.goto(`${base}/`);
    await instructor.getByRole('heading', { name: 'Sign in' }).waitFor();
    // Not token mode's "open the URL with the token".
    expect(await instructor.getByText(/token/i).count()).toBe(0);
    await shoot(instructor, 'sign-in');
    await signIn(instructor, INSTRUCTOR.username, 'not the password');
    const error = instructor.locator('.cr-field-error[data-field="password"]');
    await error.waitFor();
    expect(await error.textContent()).toBe('Wrong username or password');
    expect(await instructor.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
    expect(await instructor.getByLabel('Password').getAttribute('aria-describedby')).toBe(await error.getAttribute('id'));
    await shoot(instructor, 'sign-in-error');
  });

  it('the instructor signs in, sees who they are, makes a class and a join code', async () => {
    await instructor.getByLabel('Password').fill(INSTRUCTOR.password);
    await instructor.getByRole('button', { name: 'Sign in' }).click();
    const account = instructor.getByLabel('Your account');
    await account.waitFor();
    expect(await account.textContent()).toContain(INSTRUCTOR.displayName);
    expect(await account.locator('.cr-role').textContent()).toBe('instructor');
    await instructor.getByLabel('New class').fill('Networks e2e');
    await instructor.getByRole('button', { name: 'Create class' }).click();
    await instructor.getByRole('heading', { level: 1, name: 'Networks e2e' }).waitFor();
    classUrl = instructor.url();
    expect(classUrl).toMatch(/\/classes\/\d+$/);
    // A bad number is said at its field before any request.
    await instructor.getByLabel('Max students').fill('0');
    expect(await instructor.locator('.cr-field-error[data-field="maxUses"]').textContent()).toMatch(/between 1 and 10000/);
    expect(await instructor.getByRole('button', { name: 'New join code' }).isDisabled()).toBe(true);
    await instructor.getByLabel('Max students').fill('5');
    await instructor.getByRole('button', { name: 'New join code' }).click();
    const code = instructor.locator('.cr-codes .cr-code').first();
    await code.waitFor();
    joinCode = (await code.textContent())!;
    expect(joinCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    const row = instructor.locator(`tr[data-code="${joinCode}"]`);
    expect(await row.locator('.pill').textContent()).toBe('active');
    expect((await row.locator('td.num').textContent())!.replace(/\s/g, '')).toBe('0/5');
  });

  it('two students join with the code in two other browsers; a wrong code is refused at the code field', async () => {
    for (const [i, st] of STUDENTS.entries()) {
      const page = await newPage();
      studentPages.push(page);
      if (i === 0) {
        await page.goto(`${base}/join`);
        await page.getByRole('heading', { name: 'Join a class' }).waitFor();
        await page.getByLabel('Join code').fill('ZZZZZ-ZZZZZ');
        await page.getByLabel(/Your name/).fill(st.displayName);
        await page.getByLabel('Username').fill(st.username);
        await page.getByLabel('Password').fill(st.password);
        await page.getByRole('button', { name: 'Join and sign in' }).click();
        const err = page.locator('.cr-field-error[data-field="code"]');
        await err.waitFor();
        expect(await err.textContent()).toMatch(/^No class has this join code/);
        await shoot(page, 'join-error');
        await page.getByLabel('Join code').fill(joinCode);
      } else {
        // The join link the class page copies: the code is filled in.
        await page.goto(`${base}/join?code=${encodeURIComponent(joinCode)}`);
        await page.getByRole('heading', { name: 'Join a class' }).waitFor();
        expect(await page.getByLabel('Join code').inputValue()).toBe(joinCode);
        await page.getByLabel(/Your name/).fill(st.displayName);
        await page.getByLabel('Username').fill(st.username);
        await page.getByLabel('Password').fill(st.password);
        await shoot(page, 'join');
      }
      await page.getByRole('button', { name: 'Join and sign in' }).click();
      const account = page.getByLabel('Your account');
      await account.waitFor();
      expect(await account.textContent()).toContain(st.displayName);
      expect(await account.locator('.cr-role').textContent()).toBe('student');
      expect(new URL(page.url()).pathname).toBe('/');
      expect(await page.locator('.cr-class-name').allTextContents()).toEqual(['Networks e2e']);
    }
  });

  it('each student starts a lab with the same name and sees only their own', async () => {
    for (const page of studentPages) {
      await page.locator('form.empty-lab').getByLabel('Lab name').fill(LAB);
      await page.getByRole('button', { name: 'Create empty lab' }).click();
      await page.waitForURL(/\/labs\/u\d+-/);
      const kernelName = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
      made.push(kernelName);
      labOf.push(kernelName);
      await page.waitForFunction(() => (window.__nslab_cy?.nodes().length ?? 0) >= 1, undefined, { timeout: 20_000 });
    }
    expect(labOf[0]).not.toBe(labOf[1]);
    expect(labOf.every((n) => n.endsWith(`-${LAB}`))).toBe(true);
    for (const [i, page] of studentPages.entries()) {
      await page.goto(`${base}/`);
      const rows = page.locator('.labs-table tbody tr');
      await rows.first().waitFor();
      expect(await rows.count()).toBe(1);
      expect(await rows.locator('.lab-link').textContent()).toBe(LAB);
      expect(await rows.locator('.lab-link').getAttribute('href')).toBe(`/labs/${labOf[i]}`);
    }
    await shoot(studentPages[0]!, 'home-student');
  });

  it("a student opening the other's lab URL gets the not-found page (the REST answer is a missing lab's)", async () => {
    const [a] = studentPages;
    await a!.goto(`${base}/labs/${encodeURIComponent(labOf[1]!)}`);
    await a!.getByRole('heading', { name: `Nothing at lab "${labOf[1]}"` }).waitFor();
    expect(await a!.locator('.canvas').count()).toBe(0);
    const answer = await a!.evaluate(async (name) => {
      const r = await fetch(`/api/v1/labs/${encodeURIComponent(name)}`);
      return { status: r.status, body: await r.json() };
    }, labOf[1]!);
    expect(answer).toEqual({ status: 404, body: { code: 'LAB_NOT_FOUND', message: `no lab named "${labOf[1]}"` } });
    // Their own still opens.
    await a!.goto(`${base}/labs/${encodeURIComponent(labOf[0]!)}`);
    await a!.waitForFunction(() => (window.__nslab_cy?.nodes().length ?? 0) >= 1, undefined, { timeout: 20_000 });
  });

  it("the instructor's class page lists both students, each with their lab linked; home lists the class", async () => {
    await instructor.goto(classUrl);
    for (const [i, st] of STUDENTS.entries()) {
      const row = instructor.locator(`tr[data-student="${st.username}"]`);
      await row.waitFor();
      expect(await row.locator('th').textContent()).toBe(st.displayName);
      const link = row.locator('.cr-lab-links a');
      await link.waitFor();
      expect(await link.textContent()).toBe(LAB);
      expect(await link.getAttribute('href')).toBe(`/labs/${labOf[i]}`);
    }
    expect((await instructor.locator(`tr[data-code="${joinCode}"] td.num`).textContent())!.replace(/\s/g, '')).toBe('2/5');
    await shoot(instructor, 'class');
    // A student's lab opens for the instructor (read-only on the server: changes are 403 READ_ONLY).
    await instructor.locator(`tr[data-student="${STUDENTS[1]!.username}"] .cr-lab-links a`).click();
    await instructor.waitForURL(`${base}/labs/${labOf[1]}`);
    await instructor.waitForFunction(() => (window.__nslab_cy?.nodes().length ?? 0) >= 1, undefined, { timeout: 20_000 });
    const write = await instructor.evaluate(async (name) => (await fetch(`/api/v1/labs/${encodeURIComponent(name)}/nodes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x1"}' })).status, labOf[1]!);
    expect(write).toBe(403);
    expect(await instructor.locator('.cr-readonly').textContent()).toBe(`Read-only: ${STUDENTS[1]!.username}'s lab ${LAB}. Only the student changes it.`);
    await shoot(instructor, 'lab-read-only');
    await instructor.goto(`${base}/`);
    await instructor.locator('.cr-class-name').first().waitFor();
    expect(await instructor.locator('.cr-class-name').allTextContents()).toEqual(['Networks e2e']);
    // The instructor's own labs only: the students' are on the class page.
    expect(await instructor.locator('.labs-table').count()).toBe(0);
    await shoot(instructor, 'home-instructor');
  });

  it('a roster upload shows the one-time passwords once; a roster student must choose a password first', async () => {
    await instructor.goto(classUrl);
    await instructor.getByLabel(/or paste it/).fill('username,password,display name\nrosa\nrolf,,Rolf Roster\n');
    await instructor.getByRole('button', { name: 'Add students' }).click();
    const panel = instructor.locator('.cr-once');
    await panel.waitFor();
    expect(await panel.textContent()).toContain('Shown once: copy them now.');
    const secrets = panel.locator('.cr-secret');
    expect(await secrets.count()).toBe(2);
    const rosaPassword = (await panel.locator('.cr-secret[data-username="rosa"]').textContent())!;
    expect(rosaPassword).toMatch(/^[A-Za-z0-9]{12,}$/);
    expect(await instructor.getByRole('status').filter({ hasText: 'accounts made' }).textContent()).toContain('2 accounts made');
    await shoot(instructor, 'roster-once');
    // Gone once the page is left: the server kept only hashes.
    await instructor.reload();
    await instructor.locator('tr[data-student="rosa"]').waitFor();
    expect(await instructor.locator('.cr-once').count()).toBe(0);
    expect(await instructor.getByText(rosaPassword).count()).toBe(0);
    // A bad roster is refused naming its line, at the CSV field.
    await instructor.getByLabel(/or paste it/).fill('ines\n');
    await instructor.getByRole('button', { name: 'Add students' }).click();
    const csvError = instructor.locator('.cr-field-error[data-field="csv"]');
    await csvError.waitFor();
    expect(await csvError.textContent()).toBe('Line 1: "ines" is an instructor account, not a student');

    const rosa = await newPage({ width: 1280, height: 720 });
    await rosa.goto(`${base}/`);
    await signIn(rosa, 'rosa', rosaPassword);
    await rosa.getByRole('heading', { name: 'Choose your password' }).waitFor();
    await rosa.getByLabel('Password you were given').fill('not it at all');
    await rosa.getByLabel('New password', { exact: true }).fill('rosa-own-password');
    await rosa.getByLabel('New password again').fill('rosa-own-password');
    await rosa.getByRole('button', { name: 'Save my password' }).click();
    const wrong = rosa.locator('.cr-field-error[data-field="currentPassword"]');
    await wrong.waitFor();
    expect(await wrong.textContent()).toBe('That is not your current password');
    await shoot(rosa, 'change-password');
    // Every other route is refused until then (403 PASSWORD_CHANGE_REQUIRED).
    expect(await rosa.evaluate(async () => (await fetch('/api/v1/labs')).status)).toBe(403);
    await rosa.getByLabel('Password you were given').fill(rosaPassword);
    await rosa.getByRole('button', { name: 'Save my password' }).click();
    await rosa.getByLabel('Your account').waitFor();
    expect(await rosa.locator('.cr-class-name').allTextContents()).toEqual(['Networks e2e']);
    // Sign out: the sign-in page again, and the session is gone on the server too.
    await rosa.getByRole('button', { name: 'Sign out' }).click();
    await rosa.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await rosa.evaluate(async () => (await fetch('/api/v1/auth/me')).status)).toBe(401);
  });

  it('a revoked join code is marked so and refused at the join form\'s code field', async () => {
    await instructor.goto(classUrl);
    await instructor.getByLabel('Valid for (hours)').fill('2');
    await instructor.getByRole('button', { name: 'New join code' }).click();
    await instructor.locator('.cr-codes tbody tr').nth(1).waitFor();
    // Newest first.
    const code = (await instructor.locator('.cr-codes .cr-code').first().textContent())!;
    expect(code).not.toBe(joinCode);
    const row = instructor.locator(`tr[data-code="${code}"]`);
    expect(await row.locator('td').nth(1).textContent()).toMatch(/^in (2 hours|1\d\d minutes)$/);
    await row.getByRole('button', { name: 'Revoke' }).click();
    await instructor.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await row.locator('.pill', { hasText: 'revoked' }).waitFor();
    expect(await row.getByRole('button').count()).toBe(0);
    const late = await newPage({ width: 1280, height: 720 });
    await late.goto(`${base}/join?code=${encodeURIComponent(code)}`);
    await late.getByLabel('Username').fill('late');
    await late.getByLabel('Password').fill('late-password-1');
    await late.getByRole('button', { name: 'Join and sign in' }).click();
    const err = late.locator('.cr-field-error[data-field="code"]');
    await err.waitFor();
    expect(await err.textContent()).toMatch(/^This join code was revoked on .*; ask your instructor for a new one$/);
  });

  it("the admin's users page: every account, a new instructor and a reset password, each shown once", async () => {
    const admin = await newPage();
    await admin.goto(`${base}/users`);
    await signIn(admin, ADMIN.username, ADMIN.password);
    await admin.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await admin.locator('tr[data-username="rosa"]').waitFor();
    const names = await admin.locator('.cr-users tbody th').allTextContents();
    expect(names).toEqual(expect.arrayContaining(['root-admin', 'ines', 'ada', 'alan', 'rosa', 'rolf']));
    // A taken username is refused at the username field.
    await admin.getByLabel('Username').fill('ines');
    await admin.getByRole('button', { name: 'Add instructor' }).click();
    const taken = admin.locator('.cr-field-error[data-field="username"]');
    await taken.waitFor();
    expect(await taken.textContent()).toBe('"ines" is taken: choose another');
    await admin.getByLabel('Username').fill('ivo');
    await admin.getByLabel(/Display name/).fill('Ivo Second');
    await admin.getByRole('button', { name: 'Add instructor' }).click();
    const once = admin.locator('.cr-once');
    await once.waitFor();
    expect(await once.locator('.cr-secret[data-username="ivo"]').textContent()).toMatch(/^[A-Za-z0-9]{12,}$/);
    expect(await admin.locator('tr[data-username="ivo"] .cr-role').textContent()).toBe('instructor');
    await shoot(admin, 'users');
    await admin.getByRole('button', { name: 'I have copied them' }).click();
    expect(await admin.locator('.cr-once').count()).toBe(0);
    await admin.locator('tr[data-username="ada"]').getByRole('button', { name: 'Reset password' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Reset password' }).click();
    const fresh = (await admin.locator('.cr-once .cr-secret[data-username="ada"]').textContent())!;
    expect(fresh).toMatch(/^[A-Za-z0-9]{12,}$/);
    // Ada is signed out everywhere: her page goes back to sign-in at its next request.
    const ada = studentPages[0]!;
    await ada.goto(`${base}/`);
    await ada.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('no page errors and no console errors beyond the expected refusals', () => {
    expect(problems).toEqual([]);
  });
});
