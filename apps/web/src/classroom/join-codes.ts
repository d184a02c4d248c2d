// Join codes as the class page shows them: whether one still works, and the link a student opens.
import type { JoinCode } from './classroom-api.ts';

export type CodeStatus = 'active' | 'revoked' | 'expired' | 'used up';

/** The same order of reasons the server checks a code in (classes.ts checkJoinCode). */
export function codeStatus(c: JoinCode, now: number): CodeStatus {
  if (c.revokedAt) return 'revoked';
  if (Date.parse(c.expiresAt) <= now) return 'expired';
  if (c.maxUses !== null && c.uses >= c.maxUses) return 'used up';
  return 'active';
}

/** The page a student opens to join with `code` already filled in. */
export function joinLink(origin: string, code: string): string {
  return `${origin}/join?code=${encodeURIComponent(code)}`;
}

/** The code a join link carries (`?code=`), or ''. */
export function codeFromSearch(search: string): string {
  return (new URLSearchParams(search).get('code') ?? '').slice(0, 32);
}

/** "in 3 days", "in 5 hours", "2 hours ago": when a code stops (or stopped) working. */
export function relativeTime(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  const [n, unit] = abs >= 2 * 86_400_000 ? [Math.round(abs / 86_400_000), 'day'] : abs >= 2 * 3_600_000 ? [Math.round(abs / 3_600_000), 'hour'] : [Math.max(1, Math.round(abs / 60_000)), 'minute'];
  const words = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return ms >= 0 ? `in ${words}` : `${words} ago`;
}

/**
 * The optional whole number of a field ("" = not given), or the reason it is not one. The server
 * checks the range again; this only keeps a typo from becoming a request.
 */
export function optionalWhole(raw: string, min: number, max: number): { value: number | undefined } | { problem: string } {
  const t = raw.trim();
  if (t === '') return { value: undefined };
  if (!/^[0-9]+$/.test(t)) return { problem: 'must be a whole number' };
  const n = Number(t);
  if (n < min || n > max) return { problem: `must be between ${min} and ${max}` };
  return { value: n };
}
