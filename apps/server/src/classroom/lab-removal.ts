// Removing students' labs for good when what they belong to goes (an assignment, a class, an
// account): each one's terminals end saying why, the lab is destroyed (running or only saved),
// and it is forgotten (owner row, idle-stop row).
import { findSandbox, labStore } from '@nslab/driver';
import type { LabRegistry } from '../registry.ts';
import type { TerminalManager } from '../terminals.ts';
import type { LabOwners } from './ownership.ts';

export interface LabRemoval {
  registry: LabRegistry;
  terminals: TerminalManager;
  owners: LabOwners;
}

/** Destroy every lab of `names` (running or saved; missing ones are skipped); returns those removed. */
export async function removeLabs(deps: LabRemoval, names: Iterable<string>, reason: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of names) {
    deps.terminals.closeLab(name, reason);
    if (findSandbox(name) || labStore.hasData(name)) {
      await deps.registry.destroy(name, false);
      removed.push(name);
    }
    deps.owners.forget(name);
  }
  return removed;
}

/** Stop (keeping them saved) every running lab of `names`; returns those stopped. */
export async function stopLabs(deps: LabRemoval, names: Iterable<string>, reason: string): Promise<string[]> {
  const stopped: string[] = [];
  for (const name of names) {
    if (!findSandbox(name)) continue;
    deps.terminals.closeLab(name, reason);
    await deps.registry.destroy(name, true);
    stopped.push(name);
  }
  return stopped;
}
