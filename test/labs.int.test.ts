// Every guided lab on the real kernel: each step's checks fail before its solution and pass after,
// each listed mistake gets the right hint, and a learner who runs `nslab lab check` after each step
// ends with the lab done (exit 0), including labs whose later steps undo what earlier ones checked
// (promisc, macvlan). A trace step's solution traces the lab and answers from its journey, as a
// learner does. Labs this machine cannot run are reported by feature.
import { afterAll, describe, expect, it } from 'vitest';
import { planDeploy } from '@nslab/model';
import { checkStep, loadCatalog, runCommands } from '@nslab/labs';
import { destroyLab, findSandbox, listLabs } from '@nslab/driver';
import { labExec, labMissing, labsDir, probe, solveLabStep, startLab, startingTopology } from '@nslab/labs/runtime';
import { hostNetworkSnapshot, nslab } from './helpers.ts';

const catalog = loadCatalog(labsDir());
const before = hostNetworkSnapshot();

async function fresh(id: string, name: string): Promise<void> {
  if (findSandbox(name)) await destroyLab(name);
  await startLab(id, name);
}

afterAll(async () => {
  for (const sb of listLabs()) if (sb.name.startsWith('t-lab-')) await destroyLab(sb.name);
  expect(hostNetworkSnapshot()).toBe(before);
});

describe('guided lab catalog', () => {
  it('has labs', () => {
    expect(catalog.length).toBeGreaterThanOrEqual(2);
  });

  for (const lab of catalog) {
    // Labs are independent (each its own sandbox and name): three at a time (vitest.config maxConcurrency),
    // most of each is waiting on the kernel, pings and traces.
    it.concurrent(`${lab.id}: every step fails before its solution and passes after; mistakes get their hint`, async () => {
      // Format and plan are valid whatever the kernel.
      expect(planDeploy(startingTopology(lab)).length).toBeGreaterThanOrEqual(0);
      const missing = await labMissing(lab);
      if (missing.length) {
        console.log(`lab ${lab.id}: not runnable on this kernel — needs ${missing.join(', ')}`);
        await expect(startLab(lab.id, `t-lab-${lab.id}`)).rejects.toThrow(new RegExp(missing[0]!));
        return;
      }
      const name = `t-lab-${lab.id}`.slice(0, 40);
      await fresh(lab.id, name);
      const n = lab.steps.length;
      for (const [i, step] of lab.steps.entries()) {
        const before = await checkStep(step, probe(name));
        expect(before.ok, `${lab.id}/${step.id} passes before its solution`).toBe(false);
        await solveLabStep(name, step);
        const after = await checkStep(step, probe(name));
        expect(after.ok, `${lab.id}/${step.id} after its solution: ${JSON.stringify(after.checks.filter((c) => !c.ok))}`).toBe(true);
        // The learner checks after each step: this one passes and is kept; the next is the current one.
        const cli = await nslab('lab', 'check', name);
        const last = i === n - 1;
        expect(cli.code, `${lab.id}/${step.id}: nslab lab check\n${cli.stdout}${cli.stderr}`).toBe(last ? 0 : 1);
        expect(cli.stdout).toContain(`PASS  step ${i + 1}: ${step.title}`);
        for (let k = 0; k < i; k++) expect(cli.stdout).toContain(`done  step ${k + 1}: ${lab.steps[k]!.title} (passed earlier)`);
        expect(cli.stdout).toContain(last ? `lab done: all ${n} steps passed` : `current step: ${i + 2} of ${n} — ${lab.steps[i + 1]!.title}`);
      }
      // Done stays done: checking again looks at nothing, whatever later steps undid.
      const again = await nslab('lab', 'check', name, '--json');
      expect(again.code, again.stdout).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ results: [], passed: lab.steps.map((s) => s.id), current: null, done: true });
      for (const [i, step] of lab.steps.entries()) {
        for (const m of step.mistakes) {
          await fresh(lab.id, name);
          for (const prev of lab.steps.slice(0, i)) await solveLabStep(name, prev);
          await runCommands(m.run, labExec(name));
          const r = await checkStep(step, probe(name));
          expect(r.ok, `${lab.id}/${step.id} mistake "${m.title}" passes`).toBe(false);
          const hints = r.checks.flatMap((c) => c.hints);
          expect(hints.some((h) => h.includes(m.expectHint)), `${lab.id}/${step.id} mistake "${m.title}": hints ${JSON.stringify(hints)}`).toBe(true);
        }
      }
      await destroyLab(name);
    }, 180_000);
  }
});
