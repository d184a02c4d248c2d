// Publishing an uploaded lab folder in a real browser, on a classroom server with a temporary
// database, a temporary upload store and real labs: the instructor picks a broken folder on the
// class page and sees its problems listed by field, picks a good one, publishes it; a student
// starts their copy from their home page, reads its guide, fails the step, makes the namespace
// and passes it. Screenshots at 1440x900 and 1280x720 in .scratch/class-upload/. Runs as root.
/// <reference types="node" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { destroyLab, execInLab, findSandbox, labStore } from '@nslab/driver';
import { buildApp, type NslabApp } from '../../server/src/app.ts';
import { Classroom } from '../../server/src/classroom/classroom.ts';
import { ensureBuilt, launchChromium, root, web } from './e2e.ts';
import { ClassroomPages, shootBothSizes, signIn as signInAs, type Account } from './classroom-browser.ts';

const SHOTS = join(root, '.scratch/class-upload');
const INSTRUCTOR = { username: 'ines', password: 'instructor pass 1' };
const STUDENT = { username: 'ada', password: 'ada-password-1' };
const TITLE = 'Uploaded: one more namespace';

let dir = '';
let uploads = '';
const envBefore = process.env.NSLAB_UPLOADS_DIR;
let s: NslabApp;
let browser: Browser;
let base = '';
let classId = 0;
let copy = '';
// 401: signed out at first; 400/409: the broken upload's answer, shown on the page on purpose.
const pages = new ClassroomPages(() => browser, /status of (400|401)\b/);
const problems = pages.problems;
const newPage = (allowed?: RegExp) => pages.open(allowed ? { allowed } : {});
const signIn = (page: Page, who: Account) => signInAs(page, base, who);
const shoot = (page: Page, name: string) => shootBothSizes(page, SHOTS, name, { fullPage: true });

/** A lab folder on disk, as an instructor would pick it. */
function folder(name: string, files: Record<string, string>): string {
  const d = join(dir, 'folders', name);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(d, p, '..'), { recursive: true });
    writeFileSync(join(d, p), text);
  }
  return d;
}

const LAB = `title: "${TITLE}"
summary: Add a namespace next to the one given.
requires: [veth]
topology: topology.yaml
steps:
  - id: add-ns
    title: Add namespace up2
    doc: steps/01.md
    checks:
      - namespace: up2
  - id: second
    title: Add namespace up3
    doc: steps/02.md
    checks:
      - namespace: up3
`;

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'nslab-classroom-upload-'));
  uploads = join(dir, 'uploaded-labs');
  process.env.NSLAB_UPLOADS_DIR = uploads;
  const classroom = Classroom.open({ database: join(dir, 'classroom.db') });
  const ines = (await classroom.accounts.create({ username: INSTRUCTOR.username, role: 'instructor', password: INSTRUCTOR.password, displayName: 'Ines Instructor' })).user;
  const ada = (await classroom.accounts.create({ username: STUDENT.username, role: 'student', password: STUDENT.password, displayName: 'Ada Lovelace' })).user;
  classId = classroom.classes.create('Networks upload', ines).id;
  classroom.classes.addStudent(classId, ada.id);
  s = await buildApp({ classroom, webRoot: join(web, 'dist') });
  base = await s.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});

afterAll(async () => {
  await pages.closeAll();
  await browser?.close();
  await s?.app.close();
  if (copy) {
    if (findSandbox(copy)) await destroyLab(copy);
    labStore.remove(copy);
  }
  if (envBefore === undefined) delete process.env.NSLAB_UPLOADS_DIR;
  else process.env.NSLAB_UPLOADS_DIR = envBefore;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an uploaded lab folder, published and passed', () => {
  let instructor: Page;

  it('a broken folder: its problems are listed by field, nothing is kept', async () => {
    instructor = await newPage();
    await signIn(instructor, INSTRUCTOR);
    await instructor.goto(`${base}/classes/${classId}`);
    await instructor.getByRole('button', { name: 'Upload a lab' }).click();
    const broken = folder('Broken Lab', {
      'lab.yaml': LAB.replace('namespace: up3', 'namespace: "1"').replace('doc: steps/02.md', 'doc: steps/missing.md'),
      'topology.yaml': 'nodes:\n  up1: {}\n',
      'steps/01.md': '# Add up2\n',
      '.DS_Store': 'junk',
    });
    await instructor.locator('#upload-folder').setInputFiles(broken);
    const form = instructor.getByRole('form', { name: 'Upload a lab folder' });
    await form.getByText('hidden files left out: .DS_Store').waitFor();
    expect(await form.getByLabel('Name').inputValue()).toBe('broken-lab');
    await form.getByRole('button', { name: 'Upload' }).click();
    const list = instructor.getByRole('list', { name: 'Problems in the lab folder' });
    await list.waitFor();
    const fields = await list.locator('li').evaluateAll((lis) => lis.map((li) => `${li.getAttribute('data-field')} ${li.getAttribute('data-rule')}`));
    expect(fields).toEqual(expect.arrayContaining(['lab.steps[1].doc missing-file', 'lab.steps[1].checks[0].namespace node-name']));
    expect(await list.innerText()).toContain('no file steps/missing.md in the lab folder');
    expect(existsSync(uploads) ? readdirSync(uploads) : []).toEqual([]);
    await shoot(instructor, 'upload-problems');
  });

  it('a good folder is uploaded, offered in the publish form, and published', async () => {
    const good = folder('one-more-ns', { 'lab.yaml': LAB, 'topology.yaml': 'nodes:\n  up1: {}\n', 'steps/01.md': '# Add up2\n\n```\nip netns add up2\n```\n', 'steps/02.md': '# Add up3\n' });
    await instructor.locator('#upload-folder').setInputFiles(good);
    const form = instructor.getByRole('form', { name: 'Upload a lab folder' });
    expect(await form.getByLabel('Name').inputValue()).toBe('one-more-ns');
    await form.getByRole('button', { name: 'Upload' }).click();
    const publish = instructor.getByRole('form', { name: 'Publish an assignment' });
    await publish.waitFor();
    const chosen = await publish.getByLabel('Guided lab').evaluate((sel: HTMLSelectElement) => sel.selectedOptions[0]?.textContent);
    expect(chosen).toBe(`${TITLE} (uploaded)`);
    const listed = instructor.locator('.cr-uploads li');
    await listed.first().waitFor();
    expect(await listed.count()).toBe(1);
    await shoot(instructor, 'upload-publish');
    await publish.getByRole('button', { name: 'Publish' }).click();
    const row = instructor.locator('table.cr-assignments tbody tr').first();
    await row.getByText(TITLE).waitFor();
    expect(await row.innerText()).toContain('uploaded');
    // Published: its upload cannot be deleted now.
    expect(await listed.first().getByRole('button', { name: 'Delete' }).isDisabled()).toBe(true);
    await shoot(instructor, 'upload-published');
  });

  it('a student starts their copy, reads its guide, fails the step, then passes it', async () => {
    const student = await newPage();
    await signIn(student, STUDENT);
    const card = student.locator('.cr-my-assignments li').filter({ hasText: TITLE });
    await card.getByRole('button', { name: 'Start' }).click();
    await student.waitForURL(/\/labs\/u\d+-one-more-ns-a\d+$/, { timeout: 60_000 });
    copy = decodeURIComponent(new URL(student.url()).pathname.split('/').pop()!);
    const guide = student.getByRole('complementary', { name: 'Lab guide' });
    await guide.waitFor({ timeout: 45_000 }).catch(async (e) => {
      throw new Error(`${(e as Error).message}\npage problems: ${problems.join('\n')}`);
    });
    const progress = guide.locator('.guide-progress-text');
    expect(await progress.innerText()).toBe('0 of 2 steps');
    const body = guide.getByRole('region', { name: /^Step 1: / });
    await body.getByText('ip netns add up2').first().waitFor();
    await body.getByRole('button', { name: 'Check', exact: true }).click();
    await body.getByRole('list', { name: 'Checks of step 1' }).locator('li.fail').first().waitFor();
    const ran = await execInLab(copy, 'host', ['ip', 'netns', 'add', 'up2']);
    expect(ran.code).toBe(0);
    await body.getByRole('button', { name: 'Check', exact: true }).click().catch(() => {});
    await progress.filter({ hasText: '1 of 2 steps' }).waitFor({ timeout: 20_000 });
    expect(problems).toEqual([]);
  });
});
