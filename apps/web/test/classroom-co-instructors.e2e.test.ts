// Co-instructors on the class page in a real browser (classroom server, temporary database): the
// creator's add form refuses an unknown name and a student account with the server's message
// under the field, adds an instructor, who then opens the class page without the add form or
// Remove buttons (only the creator or an admin manages them); removed, their class page is gone on
// the next load. Screenshots at 1440x900 and 1280x720 in .scratch/class-instructors/.
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

const SHOTS = join(root, '.scratch/class-instructors');
const INES = { username: 'ines', password: 'instructor pass 1' };
const CORA = { username: 'cora', password: 'instructor pass 2' };

let dir = '';
let s: NslabApp;
let browser: Browser;
let base = '';
let classId = 0;
// 400/404: the refusals this test asks for; 401: signed out at first.
const pages = new ClassroomPages(() => browser, /status of (400|401|404)\b/);
const problems = pages.problems;
const newPage = (allowed?: RegExp) => pages.open(allowed ? { allowed } : {});
const signIn = (page: Page, who: Account) => signInAs(page, base, who);
const shoot = (page: Page, name: string) => shootBothSizes(page, SHOTS, name, { focus: '.cr-instructors' });

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'nslab-classroom-instructors-'));
  const classroom = Classroom.open({ database: join(dir, 'classroom.db') });
  const ines = (await classroom.accounts.create({ username: INES.username, role: 'instructor', password: INES.password, displayName: 'Ines Instructor' })).user;
  await classroom.accounts.create({ username: CORA.username, role: 'instructor', password: CORA.password, displayName: 'Cora Co' });
  const ada = (await classroom.accounts.create({ username: 'ada', role: 'student', password: 'ada-password-1', displayName: 'Ada Lovelace' })).user;
  classId = classroom.classes.create('Networks together', ines).id;
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

describe('co-instructors on the class page', () => {
  let ines: Page;
  let cora: Page;
  const add = (page: Page) => page.getByRole('form', { name: 'Add a co-instructor' });
  const fieldError = (page: Page) => add(page).locator('.cr-field-error[data-field="username"]');

  it("the creator's form refuses an unknown name and a student account on the field, then adds cora", async () => {
    ines = await newPage();
    await signIn(ines, INES);
    await ines.goto(`${base}/classes/${classId}`);
    await ines.locator('li[data-instructor="ines"]').getByText('creator').waitFor();
    for (const [name, said] of [['nobody', 'No account "nobody"'], ['ada', '"ada" is a student account; only instructor accounts co-teach']] as const) {
      await add(ines).getByLabel("Co-instructor's username").fill(name);
      await add(ines).getByRole('button', { name: 'Add co-instructor' }).click();
      await fieldError(ines).waitFor();
      expect(await fieldError(ines).innerText()).toBe(said);
    }
    await shoot(ines, 'add-refused');
    await add(ines).getByLabel("Co-instructor's username").fill('cora');
    await add(ines).getByRole('button', { name: 'Add co-instructor' }).click();
    await ines.locator('li[data-instructor="cora"]').waitFor();
    expect(await fieldError(ines).count()).toBe(0);
    await shoot(ines, 'added');
  });

  it('cora opens the class page, sees its students, and manages no instructors', async () => {
    cora = await newPage();
    await signIn(cora, CORA);
    await cora.goto(`${base}/classes/${classId}`);
    await cora.getByRole('heading', { name: 'Networks together' }).waitFor();
    await cora.locator('tr[data-student="ada"]').waitFor();
    await cora.locator('li[data-instructor="cora"]').waitFor();
    expect(await add(cora).count()).toBe(0);
    expect(await cora.locator('.cr-instructors').getByRole('button', { name: 'Remove' }).count()).toBe(0);
  });

  it('removed by the creator, cora no longer has the class', async () => {
    await ines.locator('li[data-instructor="cora"]').getByRole('button', { name: 'Remove' }).click();
    await ines.locator('dialog[open]').getByRole('button', { name: 'Remove instructor' }).click();
    await ines.locator('li[data-instructor="cora"]').waitFor({ state: 'detached' });
    await cora.reload();
    await cora.getByRole('heading', { name: `No class ${classId}` }).waitFor();
  });

  it('no page errors', () => {
    expect(problems).toEqual([]);
  });
});
