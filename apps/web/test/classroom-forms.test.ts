// The pure parts of classroom mode's pages: which mode and session /auth/me says, a refusal placed
// on the field it names, join codes' status and links, which labs a page lists, the one-time
// password CSV, and the classroom routes.
import { describe, expect, it } from 'vitest';
import { ApiError, type LabSummary } from '../src/api.ts';
import { homeLabs, labLabel, labsByStudent } from '../src/classroom/class-labs.ts';
import type { Account, JoinCode, Member } from '../src/classroom/classroom-api.ts';
import { formError, withoutFieldName } from '../src/classroom/form-error.ts';
import { codeFromSearch, codeStatus, joinLink, optionalWhole, relativeTime } from '../src/classroom/join-codes.ts';
import { credentialsCsv } from '../src/classroom/one-time-passwords.ts';
import { sessionFromMe } from '../src/classroom/session-answer.ts';
import { parseRoute } from '../src/router.ts';

const account = (username: string, role: Account['role'], id = 1): Account => ({ id, username, displayName: username.toUpperCase(), role, mustChangePassword: false });

describe('sessionFromMe', () => {
  it('token mode: the token holder is told so; a server without the route answers 404', () => {
    expect(sessionFromMe({ ok: true, me: { mode: 'token' } })).toEqual({ kind: 'token' });
    expect(sessionFromMe({ ok: false, error: new ApiError(404, { code: 'NOT_FOUND', message: 'Route GET:/api/v1/auth/me not found' }) })).toEqual({ kind: 'token' });
  });

  it("a 401 is classroom mode's sign-in only when it does not ask for a token", () => {
    const classroom = new ApiError(401, { code: 'UNAUTHORIZED', message: 'sign in first (POST /api/v1/auth/login, or join a class with its code)' });
    const token = new ApiError(401, { code: 'UNAUTHORIZED', message: 'a token is required: open the URL the server printed, or send Authorization: Bearer <token>' });
    expect(sessionFromMe({ ok: false, error: classroom })).toEqual({ kind: 'signed-out' });
    expect(sessionFromMe({ ok: false, error: token })).toEqual({ kind: 'token' });
  });

  it('signed in: the account and its classes; anything else is the server being unreachable', () => {
    const user = { ...account('ada', 'student'), mustChangePassword: true };
    expect(sessionFromMe({ ok: true, me: { user, classes: [] } })).toEqual({ kind: 'signed-in', user, classes: [] });
    expect(sessionFromMe({ ok: false, error: new ApiError(0, { code: 'NETWORK', message: 'could not reach the nslab server' }) })).toEqual({ kind: 'unreachable', message: 'could not reach the nslab server' });
  });
});

describe('formError', () => {
  it('puts the message on the field the server named, without the field name in front', () => {
    const bad = new ApiError(401, { code: 'BAD_CREDENTIALS', message: 'password: wrong username or password', field: 'password' });
    expect(formError(bad, ['username', 'password'])).toEqual({ field: 'password', message: 'Wrong username or password' });
    const weak = new ApiError(400, { code: 'WEAK_PASSWORD', message: 'newPassword must be at least 8 characters long', field: 'newPassword' });
    expect(formError(weak, ['currentPassword', 'newPassword'])).toEqual({ field: 'newPassword', message: 'Must be at least 8 characters long' });
  });

  it('a field the form does not have, or none, is the whole form\'s', () => {
    const e = new ApiError(409, { code: 'NOT_A_STUDENT', message: 'csv line 2: "ines" is an instructor account, not a student', field: 'csv' });
    expect(formError(e, ['code'])).toEqual({ field: null, message: 'Csv line 2: "ines" is an instructor account, not a student' });
    expect(formError(new Error('boom'), ['code'])).toEqual({ field: null, message: 'boom' });
    expect(formError(new ApiError(0, { code: 'NETWORK', message: 'x' }), [])).toEqual({ field: null, message: expect.stringMatching(/could not reach/i) });
  });

  it("a locked account keeps the server's words (when to try again); the per-address limit says to wait", () => {
    const locked = new ApiError(429, { code: 'LOGIN_LOCKED', message: 'username: too many failed sign-ins for "ada"; try again in 15 minutes', field: 'username' });
    expect(formError(locked, ['username', 'password'])).toEqual({ field: 'username', message: 'Too many failed sign-ins for "ada"; try again in 15 minutes' });
    const limited = new ApiError(429, { code: 'FST_TOO_MANY_REQUESTS', message: 'Rate limit exceeded, retry in 1 minute' });
    expect(formError(limited, ['username'])).toEqual({ field: null, message: expect.stringMatching(/wait a minute/) });
  });

  it('strips only a leading field name', () => {
    expect(withoutFieldName('username "Bob!" may use only letters a-z', 'username')).toBe('"Bob!" may use only letters a-z');
    expect(withoutFieldName('no class has this join code', 'code')).toBe('No class has this join code');
    expect(withoutFieldName('codex: x', 'code')).toBe('Codex: x');
  });
});

describe('join codes', () => {
  const now = Date.parse('2026-12-07T12:00:00Z');
  const code = (over: Partial<JoinCode>): JoinCode => ({ code: 'K7QF3-M9X2A', classId: 1, createdAt: '2026-12-01T00:00:00Z', expiresAt: '2026-12-08T00:00:00Z', revokedAt: null, maxUses: null, uses: 0, ...over });

  it('says why a code no longer works, in the order the server checks', () => {
    expect(codeStatus(code({}), now)).toBe('active');
    expect(codeStatus(code({ revokedAt: '2026-12-02T00:00:00Z', expiresAt: '2026-12-03T00:00:00Z' }), now)).toBe('revoked');
    expect(codeStatus(code({ expiresAt: '2026-12-07T12:00:00Z' }), now)).toBe('expired');
    expect(codeStatus(code({ maxUses: 2, uses: 2 }), now)).toBe('used up');
    expect(codeStatus(code({ maxUses: 2, uses: 1 }), now)).toBe('active');
  });

  it('a join link carries the code, and reading it back gives the code', () => {
    const link = joinLink('http://127.0.0.1:7070', 'K7QF3-M9X2A');
    expect(link).toBe('http://127.0.0.1:7070/join?code=K7QF3-M9X2A');
    expect(codeFromSearch(new URL(link).search)).toBe('K7QF3-M9X2A');
    expect(codeFromSearch('?x=1')).toBe('');
    expect(codeFromSearch(`?code=${'A'.repeat(100)}`)).toHaveLength(32);
  });

  it('relative times', () => {
    expect(relativeTime('2026-12-14T12:00:00Z', now)).toBe('in 7 days');
    expect(relativeTime('2026-12-07T17:00:00Z', now)).toBe('in 5 hours');
    expect(relativeTime('2026-12-07T12:30:00Z', now)).toBe('in 30 minutes');
    expect(relativeTime('2026-12-07T10:00:00Z', now)).toBe('2 hours ago');
    expect(relativeTime('2026-12-07T11:59:50Z', now)).toBe('1 minute ago');
  });

  it('optional whole numbers for hours and uses', () => {
    expect(optionalWhole('', 1, 10)).toEqual({ value: undefined });
    expect(optionalWhole(' 7 ', 1, 10)).toEqual({ value: 7 });
    expect(optionalWhole('0', 1, 10)).toEqual({ problem: 'must be between 1 and 10' });
    expect(optionalWhole('1.5', 1, 10)).toEqual({ problem: 'must be a whole number' });
    expect(optionalWhole('-3', 1, 10)).toEqual({ problem: 'must be a whole number' });
  });
});

describe('which labs a page lists', () => {
  const lab = (name: string, owner?: string, displayName?: string): LabSummary => ({ name, state: 'running', namespaces: 1, ...(owner ? { owner } : {}), ...(displayName ? { displayName } : {}) });
  const labs = [lab('u2-lab1', 'ines', 'lab1'), lab('u4-lab1', 'sam', 'lab1'), lab('u5-zeta', 'sam', 'zeta'), lab('u5-alpha', 'sam', 'alpha'), lab('u6-lab1', 'olga', 'lab1'), lab('cli-made')];

  it('shows the typed name, the kernel name when there is none', () => {
    expect(labLabel(labs[1]!)).toBe('lab1');
    expect(labLabel(lab('cli-made'))).toBe('cli-made');
  });

  it("home: one's own labs; an admin also those nobody owns; token mode: all", () => {
    expect(homeLabs(labs, account('ines', 'instructor')).map((l) => l.name)).toEqual(['u2-lab1']);
    expect(homeLabs(labs, account('sam', 'student')).map((l) => l.name)).toEqual(['u4-lab1', 'u5-zeta', 'u5-alpha']);
    expect(homeLabs(labs, account('root', 'admin')).map((l) => l.name)).toEqual(['cli-made']);
    expect(homeLabs(labs, null)).toHaveLength(labs.length);
  });

  it("class page: each student's labs, sorted by name, students without labs included, others left out", () => {
    const members: Member[] = [
      { id: 2, username: 'ines', displayName: 'Ines', role: 'instructor', joinedAt: '' },
      { id: 4, username: 'sam', displayName: 'Sam', role: 'student', joinedAt: '' },
      { id: 7, username: 'new', displayName: 'New', role: 'student', joinedAt: '' },
    ];
    const by = labsByStudent(labs, members);
    expect([...by.keys()]).toEqual(['sam', 'new']);
    expect(by.get('sam')!.map((l) => l.displayName)).toEqual(['alpha', 'lab1', 'zeta']);
    expect(by.get('new')).toEqual([]);
  });
});

describe('credentialsCsv', () => {
  it('one line a student, quoted as CSV needs, and a formula-like display name defused', () => {
    const csv = credentialsCsv([
      { username: 'ada', displayName: 'Ada, Countess', password: 'abcDEF234' },
      { username: 'eve', displayName: '=HYPERLINK("http://x")', password: 'zz"zz' },
      { username: 'bob', displayName: '-1', password: '-not-generated' },
    ]);
    expect(csv.split('\n')).toEqual(['username,password,display name', 'ada,abcDEF234,"Ada, Countess"', 'eve,"zz""zz","\'=HYPERLINK(""http://x"")"', "bob,-not-generated,'-1", '']);
  });
});

describe('classroom routes', () => {
  it('join, a class by id, users; anything else stays what it was', () => {
    expect(parseRoute('/join')).toEqual({ screen: 'join' });
    expect(parseRoute('/users/')).toEqual({ screen: 'users' });
    expect(parseRoute('/classes/12')).toEqual({ screen: 'class', id: '12' });
    expect(parseRoute('/classes/012')).toEqual({ screen: 'missing', path: '/classes/012' });
    expect(parseRoute('/classes/abc')).toEqual({ screen: 'missing', path: '/classes/abc' });
    expect(parseRoute('/labs/u4-lab1')).toEqual({ screen: 'lab', name: 'u4-lab1' });
    expect(parseRoute('/')).toEqual({ screen: 'home' });
  });
});
