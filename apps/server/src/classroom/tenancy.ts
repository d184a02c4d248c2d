// What the lab routes ask about ownership, in both modes: the kernel name of a new lab, recording
// who made it, and which labs a request may list. Token mode: one person owns everything, names
// are used as typed. Whether a request may touch an existing :lab is not here: the access hook
// decides that before any handler runs (guard.ts).
import type { FastifyRequest } from 'fastify';
import type { LabSummary } from '../registry.ts';
import type { LabOwners } from './ownership.ts';
import { userOf } from './principal.ts';

export interface ListedLab extends LabSummary {
  /** Classroom mode: the name its owner typed (the kernel name has the owner's prefix). */
  displayName?: string;
  /** Classroom mode: the owner's username; absent for a lab nobody owns (made with the CLI). */
  owner?: string;
}

export interface LabTenancy {
  /** The kernel name for a new lab the request calls `name` (already checked as a lab name). */
  newLabName(req: FastifyRequest, name: string, field: string): string;
  /** `kernelName` was just made for this request, from `name`. */
  created(req: FastifyRequest, kernelName: string, name: string): void;
  /** `kernelName` is gone for good (destroyed, not kept). */
  removed(kernelName: string): void;
  /** The labs of `all` this request may see. */
  visible(req: FastifyRequest, all: LabSummary[]): ListedLab[];
}

export const TOKEN_TENANCY: LabTenancy = {
  newLabName: (_req, name) => name,
  created: () => {},
  removed: () => {},
  visible: (_req, all) => all,
};

export function classroomTenancy(owners: LabOwners): LabTenancy {
  return {
    newLabName(req, name, field) {
      const user = userOf(req);
      // The access hook lets no anonymous request reach a route that makes labs.
      if (!user) throw new Error('classroom: a lab made without a signed-in user');
      return owners.kernelName(user, name, field);
    },
    created(req, kernelName, name) {
      const user = userOf(req);
      if (user) owners.record(kernelName, user, name);
    },
    removed: (kernelName) => owners.forget(kernelName),
    visible(req, all) {
      const user = userOf(req);
      if (!user) return [];
      const mine = owners.visibleTo(user);
      const out: ListedLab[] = [];
      for (const lab of all) {
        const o = mine.get(lab.name);
        if (o) out.push({ ...lab, displayName: o.displayName, owner: o.owner });
        else if (user.role === 'admin') out.push(lab);
      }
      return out;
    },
  };
}
