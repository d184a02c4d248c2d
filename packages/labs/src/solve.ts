// Applying a lab's reference solution: each command split into argv (no shell) and run in its node
// through the same exec path a learner's actions take.
import { splitShellWords } from '@nslab/model';
import type { SolutionCommand, Step } from './format.ts';
import type { ExecResult } from './check.ts';

export type Exec = (node: string, argv: string[]) => Promise<ExecResult>;

export class SolutionError extends Error {
  readonly code = 'SOLUTION_FAILED';
  constructor(readonly command: SolutionCommand, readonly result: ExecResult) {
    super(`${command.node}: ${command.run}: ${(result.stderr || result.stdout).trim().split('\n')[0] ?? `exit ${result.code}`}`);
  }
}

export async function runCommands(cmds: readonly SolutionCommand[], exec: Exec): Promise<void> {
  for (const c of cmds) {
    const r = await exec(c.node, splitShellWords(c.run));
    if (r.code !== 0) throw new SolutionError(c, r);
  }
}

export function solveStep(step: Step, exec: Exec): Promise<void> {
  return runCommands(step.solution, exec);
}
