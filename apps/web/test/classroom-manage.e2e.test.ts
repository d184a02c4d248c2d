// Managing a class in a real browser, on a classroom server with a temporary database and real
// labs. The instructor, in a student's lab (read-only), double-clicks a namespace: no terminal is
// opened (the server would refuse it), the student's own shell there is watched read-only
// instead. Then on the class page: delete an assignment (the student's copy destroyed), disable
// a student (their page falls back to sign-in, their lab stops) and enable them, remove them
// from the class, delete the class; the admin deletes the account on the users page. A student
// gets none of these pages or routes. Screenshots at 1440x900 and 1280x720 in
// .scratch/class-feat/. Runs as root.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { destroyLab, findSandbox, labStore } from '@nslab/driver';
import { buildApp, type NslabApp } from '../../server/src/app.ts';
import { Classroom } from '../../server/src/classroom/classroom.ts';
import { ensureBuilt, launchChromium, root, web } from './e2e.ts';
import { ClassroomPages, shootBothSizes, signIn as signInAs, type Account } from './classroom-browser.ts';

const SHOTS = join(root, '.scratch/class-feat');
const ADMIN = { username: 'root-admin', password: 'admin pass 12345' };
const INSTRUCTOR = { username: 'ines', password: 'instructor pass 1' };
const STUDENT = { username: 'ada', password: 'ada-password-1', displayName: 'Ada Lovelace' };

let dir = '';
let s: NslabApp;
let browser: Browser;
let base = '';
let classId = 0;
let assignmentId = 0;
let own = '';
let copy = '';
// Signed out (401) is expected at first and once disabled; a 403 would mean the page tried
// something the server refuses (a terminal in a read-only lab): never.
const pages = new ClassroomPages(() => browser, /status of (401|404)\b/);
const problems = pages.problems;
const newPage = (allowed?: RegExp) => pages.open(allowed ? { allowed } : {});
const signIn = (page: Page, who: Account) => signInAs(page, base, who);
const shoot = (page: Page, name: string) => shootBothSizes(page, SHOTS, name, {});

/** Click the confirm dialog's button. */
async function confirmWith(page: Page, label: string): Promise<void> {
  await page.locator('dialog[open]').getByRole('button', { name: label }).click();
}

const xterm = async (page: Page, sel: string) => (await page.locator(`${sel} .xterm-rows`).innerText()).replace(/\u00a0/g, ' ');

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'nslab-classroom-manage-'));
  const classroom = Classroom.open({ database: join(dir, 'classroom.db') });
  await classroom.accounts.create({ username: ADMIN.username, role: 'admin', password: ADMIN.password });
  const ines = (await classroom.accounts.create({ username: INSTRUCTOR.username, role: 'instructor', password: INSTRUCTOR.password, displayName: 'Ines Instructor' })).user;
  const ada = (await classroom.accounts.create({ username: STUDENT.username, role: 'student', password: STUDENT.password, displayName: STUDENT.displayName })).user;
  classId = classroom.classes.create('Networks manage', ines).id;
  classroom.classes.addStudent(classId, ada.id);
  assignmentId = classroom.assignments.create(classId, 'veth-pair', new Date(Date.now() - 60_000).toISOString(), new Date(Date.now() + 3600_000).toISOString(), ines).id;
  s = await buildApp({ classroom, webRoot: join(web, 'dist') });
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});

afterAll(async () => {
  await pages.closeAll();
  await browser?.close();
  await s?.app.close();
  for (const name of [own, copy]) {
    if (!name) continue;
    if (findSandbox(name)) await destroyLab(name);
    labStore.remove(name);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('managing a class', () => {
  let student: Page;
  let instructor: Page;

  it('the student has a lab with a terminal open, and a copy of the assignment', async () => {
    // The student's sign-in while disabled is refused with a 403 on purpose.
    student = await newPage(/status of (401|403|404)\b/);
    await signIn(student, STUDENT);
    const r = await student.request.post(`${base}/api/v1/labs`, { data: { name: 'own', yaml: 'nodes:\n  n1: {}\n  n2: {}\n' }, headers: { origin: base } });
    expect(r.status(), await r.text()).toBe(201);
    own = (await r.json()).name;
    const a = await student.request.post(`${base}/api/v1/assignments/${assignmentId}/start`, { data: {}, headers: { origin: base } });
    expect(a.status(), await a.text()).toBe(201);
    copy = (await a.json()).name;
    await student.goto(`${base}/labs/${own}`);
    await student.locator('.pill.status-live').waitFor();
    await student.evaluate((l) => window.__nslab_openTerminal!(l, 'n1'), own);
    await student.waitForFunction(() => /root@n1/.test(document.querySelector('.nslab-term-pane[data-active="true"] .xterm-rows')?.textContent ?? ''), undefined, { timeout: 10_000 });
    await student.locator('.nslab-term-pane[data-active="true"] .xterm-screen').click();
    await student.keyboard.type('echo ada-$((40+2))-here\n');
    await student.waitForFunction(() => /ada-42-here/.test(document.querySelector('.nslab-term-pane[data-active="true"] .xterm-rows')?.textContent?.replace(/\u00a0/g, ' ') ?? ''), undefined, { timeout: 10_000 });
    // A student has no classroom management: the users page is not there, the routes refuse.
    const del = await student.request.delete(`${base}/api/v1/classes/${classId}`, { data: {}, headers: { origin: base } });
    expect(del.status()).toBe(403);
  });

  it("the instructor double-clicks a namespace in the student's lab: no terminal opens, the student's shell is watched read-only", async () => {
    instructor = await newPage();
    await signIn(instructor, INSTRUCTOR);
    await instructor.goto(`${base}/labs/${own}`);
    await instructor.locator('.pill.status-live').waitFor();
    await instructor.waitForFunction(() => window.__nslab_cy?.getElementById('n1').nonempty());
    const p = await instructor.evaluate(() => {
      const cy = window.__nslab_cy!;
      const box = cy.container()!.getBoundingClientRect();
      const r = cy.getElementById('n1').renderedPosition();
      return { x: box.left + r.x, y: box.top + r.y };
    });
    await instructor.mouse.dblclick(p.x, p.y);
    const panel = instructor.locator('.lab-watch .cr-watch');
    await panel.waitFor();
    await panel.getByRole('heading', { name: "ada's terminal in n1" }).waitFor();
    await instructor.waitForFunction(() => /ada-42-here/.test(document.querySelector('.lab-watch .xterm-rows')?.textContent ?? ''), undefined, { timeout: 10_000 });
    expect(await xterm(instructor, '.lab-watch')).toContain('ada-42-here');
    expect(await instructor.evaluate((l) => window.__nslab_terminals!(l).terminals.length, own)).toBe(0);
    // The student is told.
    await student.waitForFunction(() => /is watching this terminal/.test(document.querySelector('.nslab-term-pane[data-active="true"] .xterm-rows')?.textContent ?? ''), undefined, { timeout: 10_000 });
    await shoot(instructor, 'instructor-watch');
    await panel.getByRole('button', { name: 'Stop watching' }).click();
    expect(await instructor.locator('.lab-watch').count()).toBe(0);
  });

  it('deleting the assignment destroys the student\'s copy', async () => {
    await instructor.goto(`${base}/classes/${classId}`);
    const row = instructor.locator(`tr[data-assignment="${assignmentId}"]`);
    await row.waitFor();
    await instructor.locator('tr[data-student="ada"]').waitFor();
    await shoot(instructor, 'class-manage');
    await row.getByRole('button', { name: 'Delete' }).click();
    await instructor.locator('dialog[open]').waitFor();
    await shoot(instructor, 'class-delete-assignment-confirm');
    await confirmWith(instructor, 'Delete assignment');
    await row.waitFor({ state: 'detached' });
    expect(findSandbox(copy)).toBeNull();
    expect(labStore.hasData(copy)).toBe(false);
  });

  it("disabling the student signs them out and stops their lab; enabling lets them back", async () => {
    const row = instructor.locator('tr[data-student="ada"]');
    await row.getByRole('button', { name: 'Disable' }).click();
    await confirmWith(instructor, 'Disable');
    await row.getByText('disabled', { exact: true }).waitFor();
    expect(findSandbox(own)).toBeNull();
    expect(labStore.loadTopology(own)).not.toBeNull();
    await student.reload();
    await student.getByRole('button', { name: 'Sign in' }).waitFor();
    await student.getByLabel('Username').fill(STUDENT.username);
    await student.getByLabel('Password').fill(STUDENT.password);
    await student.getByRole('button', { name: 'Sign in' }).click();
    await student.getByText(/is disabled; ask your instructor/).waitFor();
    await shoot(instructor, 'class-student-disabled');
    await row.getByRole('button', { name: 'Enable' }).click();
    await row.getByRole('button', { name: 'Disable' }).waitFor();
    await student.getByLabel('Username').fill(STUDENT.username);
    await student.getByLabel('Password').fill(STUDENT.password);
    await student.getByRole('button', { name: 'Sign in' }).click();
    // Signed in again, on the lab page they were on (it has no sign-out button: the lab's own top bar).
    await student.getByRole('button', { name: 'Sign in' }).waitFor({ state: 'detached' });
    await student.locator('.lab-screen').waitFor();
  });

  it('removing the student empties the class; deleting the class goes home', async () => {
    await instructor.locator('tr[data-student="ada"]').getByRole('button', { name: 'Remove' }).click();
    await confirmWith(instructor, 'Remove');
    await instructor.locator('tr[data-student="ada"]').waitFor({ state: 'detached' });
    await instructor.getByText('No students yet').waitFor();
    await instructor.getByRole('button', { name: 'Delete class' }).click();
    await confirmWith(instructor, 'Delete class');
    await instructor.waitForURL(`${base}/`);
    expect(s.classroom!.classes.get(classId)).toBeNull();
    // The student's own lab stays theirs.
    expect(labStore.loadTopology(own)).not.toBeNull();
  });

  it('the admin deletes the student\'s account on the users page: their labs go with it', async () => {
    const admin = await newPage();
    await signIn(admin, ADMIN);
    await admin.goto(`${base}/users`);
    const row = admin.locator('tr[data-username="ada"]');
    await row.waitFor();
    await shoot(admin, 'users-manage');
    await row.getByRole('button', { name: 'Delete' }).click();
    await confirmWith(admin, 'Delete account');
    await row.waitFor({ state: 'detached' });
    expect(s.classroom!.accounts.byUsername('ada')).toBeNull();
    expect(labStore.hasData(own)).toBe(false);
    // The student's page, asked again, is the sign-in page.
    await student.reload();
    await student.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(problems).toEqual([]);
  });
});
