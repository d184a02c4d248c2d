// An assignment's open/close window as the forms type it: <input type="datetime-local"> gives a
// local wall-clock time without a zone, and the server wants ISO-8601 with one (INVALID_TIME).
// Pure: `offsetMinutes` is Date#getTimezoneOffset's (minutes to add to local time to get UTC).

/** `2026-12-07T21:30` (local) -> ISO UTC, or a problem naming what is wrong. */
export function localToIso(value: string, offsetMinutes = new Date().getTimezoneOffset()): { iso: string } | { problem: string } {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value.trim());
  if (!m) return { problem: 'is not a date and time' };
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi) + offsetMinutes * 60_000;
  const back = new Date(Date.UTC(y, mo - 1, d, h, mi));
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59) return { problem: 'is not a date and time' };
  return { iso: new Date(utc).toISOString() };
}

/** ISO -> the value a datetime-local input shows (local wall clock, minutes). */
export function isoToLocal(iso: string, offsetMinutes = new Date().getTimezoneOffset()): string {
  const t = Date.parse(iso) - offsetMinutes * 60_000;
  return new Date(t).toISOString().slice(0, 16);
}

/** The window checked before asking the server: closing after opening, closing in the future. */
export function checkWindow(opensAt: string, closesAt: string, now: number): { field: 'opensAt' | 'closesAt'; problem: string } | null {
  if (Date.parse(closesAt) <= Date.parse(opensAt)) return { field: 'closesAt', problem: 'must be after the opening time' };
  if (Date.parse(closesAt) <= now) return { field: 'closesAt', problem: 'is in the past' };
  return null;
}

/** Extending: `hours` more from the later of the current close and now (a closed one reopens). */
export function extendedClose(closesAt: string, hours: number, now: number): string {
  return new Date(Math.max(Date.parse(closesAt), now) + hours * 3_600_000).toISOString();
}
