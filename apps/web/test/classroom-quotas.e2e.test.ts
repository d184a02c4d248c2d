// The class page's student quota form in a real browser, on a classroom server with a temporary
// database (server quota: 2 running labs per student). The instructor sees the server's values
// and that instructors can only tighten; raising is refused with the server's message under the
// field it names and changes nothing; a 0 and a non-number are refused on their fields; tightening
// to 1 is saved and shown after a reload. An admin raises the class above the server's; the
// instructor then edits another quota without that raise being sent back (and refused). A student
// never sees the form, and the route refuses them. Screenshots at 1440x900 and 1280x720 in
// .scratch/class-quotas/.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildApp, type NslabApp } from '../../server/src/app.ts';
import { Classroom } from '../../server/src/classroom/classroom.ts';
import { ensureBuilt, launchChromium, root, web } from './e2e.ts';
import { ClassroomPages, shootBothSizes, signIn as signInAs, type Account } from './classroom-browser.ts';

const SHOTS = join(root, '.scratch/class-quotas');
const ADMIN = { username: 'root-admin', password: 'admin pass 12345' };
const INSTRUCTOR = { username: 'ines', password: 'instructor pass 1' };
const STUDENT = { username: 'ada', password: 'ada-password-1' };

let dir = '';
let s: NslabApp;
let classroom: Classroom;
let browser: Browser;
let base = '';
let classId = 0;
// Each page names the refusals it asks for; 401: signed out at first.
const pages = new ClassroomPages(() => browser, /status of 401\b/);
const problems = pages.problems;
const newPage = (allowed?: RegExp) => pages.open(allowed ? { allowed } : {});
const signIn = (page: Page, who: Account) => signInAs(page, base, who);
const shoot = (page: Page, name: string) => shootBothSizes(page, SHOTS, name, { focus: '.cr-quotas' });

const form = (page: Page) => page.getByRole('form', { name: 'Student quotas' });
const input = (page: Page, label: string) => form(page).getByLabel(label, { exact: true });
const fieldError = (page: Page, field: string) => form(page).locator(`.cr-field-error[data-field="${field}"]`);
const classValues = () => (classroom.db.prepare('SELECT labs, namespaces, terminals, captures FROM class_quotas WHERE class_id = ?').get(classId) as object | undefined) ?? null;

async function save(page: Page): Promise<void> {
  await form(page).getByRole('button', { name: 'Save quotas' }).click();
  await form(page).getByRole('button', { name: 'Save quotas' }).waitFor();
}

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'nslab-classroom-quotas-'));
  classroom = Classroom.open({ database: join(dir, 'classroom.db'), quotas: { labs: 2 } });
  await classroom.accounts.create({ username: ADMIN.username, role: 'admin', password: ADMIN.password });
  const ines = (await classroom.accounts.create({ username: INSTRUCTOR.username, role: 'instructor', password: INSTRUCTOR.password, displayName: 'Ines Instructor' })).user;
  const ada = (await classroom.accounts.create({ username: STUDENT.username, role: 'student', password: STUDENT.password, displayName: 'Ada Lovelace' })).user;
  classId = classroom.classes.create('Networks quotas', ines).id;
  classroom.classes.addStudent(classId, ada.id);
  s = await buildApp({ classroom, webRoot: join(web, 'dist') });
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});

afterAll(async () => {
  await pages.closeAll();
  await browser?.close();
  await s?.app.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the class quota form', () => {
  let instructor: Page;

  it("shows the server's values and says instructors can only tighten", async () => {
    // The refusals below are 400/403 answers on purpose.
    instructor = await newPage(/status of (400|401|403)\b/);
    await signIn(instructor, INSTRUCTOR);
    await instructor.goto(`${base}/classes/${classId}`);
    await form(instructor).waitFor();
    await expect(instructor.locator('.cr-quotas').innerText()).resolves.toMatch(/Instructors can only tighten: at most the server's value; only an admin gives a class more\./);
    expect(await input(instructor, 'Running labs').inputValue()).toBe('');
    expect(await input(instructor, 'Running labs').getAttribute('placeholder')).toBe('2');
    await expect(form(instructor).innerText()).resolves.toMatch(/server: 2[\s\S]*server: 100[\s\S]*server: 20[\s\S]*server: 4/);
  });

  it("an instructor raising a quota gets the server's refusal on that field, and nothing changes", async () => {
    await input(instructor, 'Running labs').fill('5');
    await save(instructor);
    await fieldError(instructor, 'labs').waitFor();
    expect(await fieldError(instructor, 'labs').innerText()).toBe("At most 2 (the server's quota); only an admin gives a class more");
    expect(await input(instructor, 'Running labs').getAttribute('aria-invalid')).toBe('true');
    expect(classValues()).toBeNull();
    await shoot(instructor, 'quota-raise-refused');
  });

  it('a 0 is refused by the server on its field, a non-number before sending', async () => {
    await input(instructor, 'Running labs').fill('');
    await input(instructor, 'Terminals').fill('0');
    await save(instructor);
    await fieldError(instructor, 'terminals').waitFor();
    expect(await fieldError(instructor, 'terminals').innerText()).toMatch(/^Must be a whole number from 1 to 10000/);
    expect(await fieldError(instructor, 'labs').count()).toBe(0);
    await input(instructor, 'Terminals').fill('');
    await input(instructor, 'Captures').fill('1; drop');
    await save(instructor);
    expect(await fieldError(instructor, 'captures').innerText()).toBe("Must be a whole number, or empty for the server's value.");
    expect(classValues()).toBeNull();
  });

  it('tightening to 1 lab is saved and shown after a reload', async () => {
    await input(instructor, 'Captures').fill('');
    await input(instructor, 'Running labs').fill('1');
    await save(instructor);
    await form(instructor).getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(classValues()).toEqual({ labs: 1, namespaces: null, terminals: null, captures: null });
    expect(s.quotas!.limitsFor(classroom.accounts.byUsername(STUDENT.username)!.id).labs).toBe(1);
    await instructor.reload();
    await form(instructor).waitFor();
    expect(await input(instructor, 'Running labs').inputValue()).toBe('1');
    await shoot(instructor, 'quota-saved');
  });

  it("an admin raises the class above the server's; the instructor edits another quota without sending that back", async () => {
    const admin = await newPage(/status of 401\b/);
    await signIn(admin, ADMIN);
    await admin.goto(`${base}/classes/${classId}`);
    await form(admin).waitFor();
    await expect(admin.locator('.cr-quotas').innerText()).resolves.toMatch(/As an admin you may also go above the server's values/);
    await input(admin, 'Running labs').fill('3');
    await save(admin);
    await form(admin).getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(classValues()).toMatchObject({ labs: 3 });
    await instructor.reload();
    await form(instructor).waitFor();
    expect(await input(instructor, 'Running labs').inputValue()).toBe('3');
    await expect(form(instructor).innerText()).resolves.toMatch(/server: 2 \(raised by an admin\)/);
    await input(instructor, 'Terminals').fill('5');
    await save(instructor);
    await form(instructor).getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(classValues()).toEqual({ labs: 3, namespaces: null, terminals: 5, captures: null });
  });

  it('a student never sees the form, and the route refuses them', async () => {
    const student = await newPage(/status of (401|403)\b/);
    await signIn(student, STUDENT);
    await student.goto(`${base}/classes/${classId}`);
    await student.getByText('This class could not be loaded').waitFor();
    expect(await student.locator('.cr-quotas').count()).toBe(0);
    expect(await student.getByText('Student quotas').count()).toBe(0);
    const put = await student.request.put(`${base}/api/v1/classes/${classId}/quotas`, { data: { labs: 50 }, headers: { origin: base } });
    expect(put.status()).toBe(403);
    expect(classValues()).toMatchObject({ labs: 3 });
  });

  it('no page errors', () => {
    expect(problems).toEqual([]);
  });
});
