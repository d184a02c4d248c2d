import { readFileSync } from 'node:fs';
import type { Issue } from '../src/index.ts';
import { TopologyError, parseTopology } from '../src/index.ts';

export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

/** The issues parseTopology throws for `text`; fails the test when it does not throw. */
export function issuesOf(text: string, opts: Parameters<typeof parseTopology>[1] = {}): Issue[] {
  try {
    parseTopology(text, opts);
  } catch (e) {
    if (e instanceof TopologyError) return e.issues;
    throw e;
  }
  throw new Error(`expected a TopologyError for:\n${text}`);
}

/** `field rule` pairs, which is what most assertions care about. */
export function pairs(issues: Issue[]): string[] {
  return issues.map((i) => `${i.field} ${i.rule}`);
}

/** `field rule: message` lines of the issues parseTopology throws for `text`. */
export function issueLines(text: string): string[] {
  return issuesOf(text).map((i) => `${i.field} ${i.rule}: ${i.message}`);
}
