// Shared by the labs unit tests: an in-memory lab folder and issue extraction.
import { TopologyError, type Issue } from '@nslab/model';
import { parseLab, type Lab } from '../src/index.ts';

/** A lab folder in memory: lab.yaml plus other files by path. */
export function labFrom(yaml: string, files: Record<string, string> = {}, id = 'test-lab'): Lab {
  return parseLab(id, { lab: yaml, read: (p) => files[p] ?? null });
}

/** The issues parseLab throws; fails the test when it does not throw. */
export function labIssues(yaml: string, files: Record<string, string> = {}, id = 'test-lab'): Issue[] {
  try {
    labFrom(yaml, files, id);
  } catch (e) {
    if (e instanceof TopologyError) return e.issues;
    throw e;
  }
  throw new Error(`expected a TopologyError for:\n${yaml}`);
}

export const pairs = (issues: Issue[]) => issues.map((i) => `${i.field} ${i.rule}`);

