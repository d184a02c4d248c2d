// Everything of labs/ a learner reads — each guided lab's title, summary, step titles, step pages,
// check titles and hints, and the README paragraph the home page shows for each topology — is
// written for the learner: no notes about where the material came from, no repository paths, no
// developer commands that only work in this checkout.
import { describe, expect, it } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { catalogIds, describeCheck, loadCatalog } from '../src/index.ts';
import { firstParagraph } from '../../../apps/web/src/home/first-paragraph.ts';

const labsDir = join(import.meta.dirname, '../../../labs');

/** Words that belong to authoring notes, not to a learner's page, each with why. */
export const AUTHORING: { pattern: RegExp; why: string }[] = [
  { pattern: /\bseeds?\b|\bseed's\b/i, why: 'refers to the source material the lab was written from' },
  { pattern: /\bpnpm\b/, why: 'a developer command of this repository' },
  { pattern: /\bpackages\/|\bfixtures?\b|\blabs\/[a-z-]+\//, why: 'a repository path' },
  { pattern: /\b\d+-setup-[a-z-]+\.sh\b/, why: "the source material's script names" },
  { pattern: /§/, why: 'a section reference into the source material' },
  { pattern: /\b(TODO|FIXME|XXX)\b/, why: 'an authoring note' },
  { pattern: /\bauthor(ing|ed)?\b/i, why: 'talks about writing the lab' },
  { pattern: /\blab\.yaml\b|\bexpectHint\b|\bmistakes?:/, why: 'the lab format, not the exercise' },
];

interface Text {
  where: string;
  text: string;
}

function learnerTexts(): Text[] {
  const out: Text[] = [];
  for (const lab of loadCatalog(labsDir)) {
    out.push({ where: `${lab.id}: title`, text: lab.title }, { where: `${lab.id}: summary`, text: lab.summary });
    for (const s of lab.steps) {
      out.push({ where: `${lab.id}/${s.id}: title`, text: s.title }, { where: `${lab.id}/${s.id}: page`, text: s.markdown });
      for (const [i, c] of s.checks.entries()) {
        out.push({ where: `${lab.id}/${s.id}: check ${i + 1}`, text: c.title ?? describeCheck(c.check) });
        for (const h of c.hints) out.push({ where: `${lab.id}/${s.id}: check ${i + 1} hint`, text: h.text });
      }
    }
  }
  for (const id of catalogIds(labsDir)) {
    const readme = join(labsDir, id, 'README.md');
    if (existsSync(readme)) out.push({ where: `${id}: README's first paragraph (home page)`, text: firstParagraph(readFileSync(readme, 'utf8')) });
  }
  return out;
}

/** "where: matched text (why)" for each authoring word found. */
export function authoringWords(texts: readonly Text[]): string[] {
  const found: string[] = [];
  for (const t of texts) {
    for (const a of AUTHORING) {
      const m = a.pattern.exec(t.text);
      if (m) found.push(`${t.where}: "${m[0]}" (${a.why})`);
    }
  }
  return found;
}

describe('learner-facing text of labs/', () => {
  it('reads every guided lab and topology README (the test looks at real text)', () => {
    const texts = learnerTexts();
    expect(texts.filter((t) => t.where.endsWith(': page')).length).toBeGreaterThanOrEqual(30);
    expect(texts.filter((t) => t.where.includes('README')).length).toBeGreaterThanOrEqual(3);
    for (const t of texts) expect(t.text.trim(), t.where).not.toBe('');
  });

  it('contains no authoring words', () => {
    expect(authoringWords(learnerTexts())).toEqual([]);
  });

  it('the word list catches the notes it was written for', () => {
    const samples = [
      "The seed's bridge exercise by hand",
      'as in the seed\'s `1-setup-env.sh`',
      'starts empty: `pnpm nslab lab start veth-pair --name v`',
      'pnpm nslab deploy packages/model/test/fixtures/seed-veth-mistake.clab.yaml',
      'Seed 000 §二',
    ];
    const found = authoringWords(samples.map((text, i) => ({ where: `sample ${i}`, text })));
    for (let i = 0; i < samples.length; i++) expect(found.some((f) => f.startsWith(`sample ${i}:`)), samples[i]).toBe(true);
    // And leaves a learner's words alone.
    expect(authoringWords([{ where: 'ok', text: 'Both ends of a veth pair (对端 id: the peer) and the bridge br0; ip netns exec ns1 ping -c1 10.1.5.11' }])).toEqual([]);
  });
});
