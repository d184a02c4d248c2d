// loadLab keeps parsed labs, but never serves one whose files changed, and never shares one object.
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLab } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'nslab-load-cache-'));
cpSync(join(import.meta.dirname, '../../../labs/routing'), join(dir, 'routing'), { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadLab', () => {
  it('gives each caller its own copy', () => {
    const a = loadLab(dir, 'routing');
    const count = a.steps.length;
    a.steps[0]!.title = 'changed by a caller';
    a.steps.pop();
    const b = loadLab(dir, 'routing');
    expect(b.steps[0]!.title).not.toBe('changed by a caller');
    expect(b.steps).toHaveLength(count);
  });

  it('reads a lab again when one of its files changed, even within the same second and size', () => {
    const first = loadLab(dir, 'routing');
    const doc = join(dir, 'routing/steps/01-addresses.md');
    const text = readFileSync(doc, 'utf8');
    // Same length, same mtime: only the change time and content differ.
    const swapped = text.replace('ns1', 'NS1');
    expect(swapped.length).toBe(text.length);
    const { mtime } = statSync(doc);
    writeFileSync(doc, swapped);
    utimesSync(doc, mtime, mtime);
    expect(loadLab(dir, 'routing').steps[0]!.markdown).toContain('NS1');
    expect(first.steps[0]!.markdown).not.toContain('NS1');
    // lab.yaml too: a step's title.
    const yaml = join(dir, 'routing/lab.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('title: Addresses on both links', 'title: Addresses on both LINKS'));
    expect(loadLab(dir, 'routing').steps[0]!.title).toContain('LINKS');
  });

  it('a lab that failed to load (a file it names is missing) loads once the file is there', () => {
    const yaml = join(dir, 'routing/lab.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('doc: steps/02-gateways.md', 'doc: steps/02-later.md'));
    expect(() => loadLab(dir, 'routing')).toThrow();
    writeFileSync(join(dir, 'routing/steps/02-later.md'), '# Later\n\nwritten after the first load\n');
    expect(loadLab(dir, 'routing').steps[1]!.markdown).toContain('written after the first load');
  });
});
