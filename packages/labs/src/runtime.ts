// Guided labs on a live sandbox (start, check, solve), shared by the CLI and the server. Kept out
// of the package index so the browser can import the pure parts without the driver.
import { join } from 'node:path';
import { emptyTopology, parseTopology, requiredCapabilities, type Topology } from '@nslab/model';
import { checkLab, type LabProbe, type StepResult } from './check.ts';
import type { Lab } from './format.ts';
import { catalogIds, loadLab } from './load.ts';
import { runCommands, solveStep } from './solve.ts';
import { deployLab, detectCapabilities, execInLab, inspectLab, installRoot, labStore, missingCapabilities, MissingCapabilityError } from '@nslab/driver';

export function labsDir(): string {
  return process.env.NSLAB_LABS_DIR ?? join(installRoot(), 'labs');
}

export function startingTopology(lab: Lab): Topology {
  const t = lab.topology.trim() ? parseTopology(lab.topology).topology : emptyTopology();
  t.requires = [...new Set([...t.requires, ...lab.requires])];
  return t;
}

/** Capabilities the lab needs that this kernel lacks (empty = runnable). */
export async function labMissing(lab: Lab): Promise<string[]> {
  return missingCapabilities(await detectCapabilities(), requiredCapabilities(startingTopology(lab)));
}

export function probe(name: string): LabProbe {
  return {
    observe: () => inspectLab(name),
    exec: (node, argv) => execInLab(name, node, argv, { timeoutMs: 15_000 }),
  };
}

export const labExec = (name: string) => (node: string, argv: string[]) => execInLab(name, node, argv, { timeoutMs: 30_000, logAs: 'lab' });

export async function startLab(id: string, name: string): Promise<Lab> {
  const lab = loadLab(labsDir(), id);
  const missing = await labMissing(lab);
  if (missing.length) throw new MissingCapabilityError(missing);
  await deployLab(name, startingTopology(lab), { source: 'lab' });
  labStore.saveGuide(name, { lab: id, passed: [] });
  return lab;
}

export function guideOf(name: string): Lab {
  const g = labStore.loadGuide(name);
  if (!g) throw new Error(`lab "${name}" was not started from the catalog (nslab lab start <lab> --name ${name})`);
  return loadLab(labsDir(), g.lab);
}

export async function checkRunning(name: string, step?: number): Promise<StepResult[]> {
  const lab = guideOf(name);
  if (step !== undefined && (step < 1 || step > lab.steps.length)) throw new Error(`--step must be 1-${lab.steps.length}`);
  const results = await checkLab(lab, probe(name), step === undefined ? undefined : step - 1);
  const g = labStore.loadGuide(name)!;
  const passed = new Set(g.passed);
  for (const r of results) if (r.ok) passed.add(r.step);
  labStore.saveGuide(name, { lab: g.lab, passed: [...passed] });
  return results;
}

export async function solveRunning(name: string, step?: number): Promise<string[]> {
  const lab = guideOf(name);
  const steps = step === undefined ? lab.steps : [lab.steps[step - 1]].filter((s) => s !== undefined);
  if (steps.length === 0) throw new Error(`--step must be 1-${lab.steps.length}`);
  for (const s of steps) await solveStep(s, labExec(name));
  return steps.map((s) => s.id);
}

export { catalogIds, loadLab, runCommands };
