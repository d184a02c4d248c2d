// Which labs a page lists in classroom mode. `GET /labs` gives an instructor their own labs and
// their students'; the home page keeps their own, the class page its students'.
import type { LabSummary } from '../api.ts';
import type { Account, Member } from './classroom-api.ts';

/** What a lab is called on screen: the name its owner typed (the kernel's name has a prefix). */
export function labLabel(lab: LabSummary): string {
  return lab.displayName ?? lab.name;
}

/** The home page's labs: the signed-in account's own; an admin also sees labs nobody owns (made with the CLI). */
export function homeLabs(labs: LabSummary[], user: Account | null): LabSummary[] {
  if (!user) return labs;
  return labs.filter((l) => l.owner === user.username || (user.role === 'admin' && l.owner === undefined));
}

/** The labs of a class's students, by student username, in the members' order. */
export function labsByStudent(labs: LabSummary[], members: Member[]): Map<string, LabSummary[]> {
  const out = new Map<string, LabSummary[]>();
  for (const m of members) if (m.role === 'student') out.set(m.username, []);
  for (const l of labs) if (l.owner !== undefined) out.get(l.owner)?.push(l);
  for (const list of out.values()) list.sort((a, b) => labLabel(a).localeCompare(labLabel(b)));
  return out;
}
