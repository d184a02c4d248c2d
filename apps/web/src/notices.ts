// Messages for a lab screen that is about to open (e.g. an import's warnings), handed over in memory.
const pending = new Map<string, string[]>();

export function addNotices(lab: string, notes: string[]): void {
  if (notes.length > 0) pending.set(lab, [...(pending.get(lab) ?? []), ...notes]);
}

export function takeNotices(lab: string): string[] {
  const n = pending.get(lab) ?? [];
  pending.delete(lab);
  return n;
}
