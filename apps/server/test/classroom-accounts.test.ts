// Classroom mode without labs: the database, passwords, sessions, join codes, rosters, sign-in
// limits, and the hostile cases (fixation, token-mode cookies, revoked and expired codes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, schemaVersion, migrate, DatabaseVersionError } from '../src/classroom/db.ts';
import { MIGRATIONS } from '../src/classroom/migrations.ts';
import { hashPassword, verifyPassword } from '../src/classroom/passwords.ts';
import { LoginThrottle } from '../src/classroom/login-throttle.ts';
import { parseRoster } from '../src/classroom/roster.ts';
import type { FastifyRequest } from 'fastify';
import { COOKIE as TOKEN_COOKIE } from '../src/auth.ts';
import { sessionCookie } from '../src/classroom/sessions.ts';
import { cast, classroomServer, cookieOf, login, PASSWORD, SAME_ORIGIN, type Cast, type ClassroomServer } from './classroom-fixture.ts';
import { TOKEN } from './helpers.ts';

describe('database', () => {
  it('applies the numbered migrations once, records them, and refuses a newer schema', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nslab-db-'));
    const path = join(dir, 'c.db');
    try {
      const db = openDatabase(path);
      expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
      expect((db.prepare('SELECT version, name FROM schema_migrations').all() as { version: number }[]).map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      // Run again: nothing new, nothing fails.
      migrate(db, MIGRATIONS);
      expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '2099-01-01T00:00:00.000Z')").run();
      db.close();
      expect(() => openDatabase(path)).toThrow(DatabaseVersionError);
      expect(statSync(path).mode & 0o077).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses no SQLite-only constructs in its schema', () => {
    for (const m of MIGRATIONS) expect(m.sql).not.toMatch(/AUTOINCREMENT|WITHOUT ROWID|INSERT OR|strftime|datetime\(|julianday|PRAGMA/i);
  });
});

describe('passwords', () => {
  it('hashes with scrypt N=2^15, parameters stored with the hash, salted', async () => {
    const h = await hashPassword('hunter22hunter');
    expect(h).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await hashPassword('hunter22hunter')).not.toBe(h);
    expect(await verifyPassword('hunter22hunter', h)).toBe(true);
    expect(await verifyPassword('hunter22hunteR', h)).toBe(false);
    expect(await verifyPassword('x', null)).toBe(false);
    expect(await verifyPassword('x', 'scrypt$40$8$1$AAAA$AAAA')).toBe(false);
  });

  it('throttles an account after its failures, whatever else happens, until the window moves on', () => {
    let t = 0;
    const th = new LoginThrottle({ maxFailures: 3, windowMs: 1000 }, () => t);
    for (let i = 0; i < 3; i++) th.failed('sam');
    expect(th.blockedFor('sam')).toBe(1000);
    expect(th.blockedFor('olga')).toBe(0);
    t = 999;
    expect(th.blockedFor('sam')).toBe(1);
    t = 1000;
    expect(th.blockedFor('sam')).toBe(0);
  });
});

describe('roster CSV', () => {
  it('reads username[,password[,display name]] with an optional header and quotes', () => {
    const rows = parseRoster('username,password,display name\nAlice\n"bob","s3cret-pass","Bob, Jr."\r\n\ncarol,,Carol C\n');
    expect(rows).toEqual([
      { line: 2, username: 'alice' },
      { line: 3, username: 'bob', password: 's3cret-pass', displayName: 'Bob, Jr.' },
      { line: 5, username: 'carol', displayName: 'Carol C' },
    ]);
  });

  it('names the line and the rule of a bad row, on the csv field', () => {
    const bad = (csv: string) => {
      try {
        parseRoster(csv);
      } catch (e) {
        return e as { field: string; message: string };
      }
      throw new Error('no error');
    };
    expect(bad('alice\nbad name!')).toMatchObject({ field: 'csv', message: expect.stringMatching(/csv line 2: username "bad name!" may use only/) });
    expect(bad('alice\nbob,short')).toMatchObject({ field: 'csv', message: expect.stringMatching(/csv line 2: password must be at least 8/) });
    expect(bad('alice\nALICE')).toMatchObject({ message: expect.stringMatching(/line 2: username "alice" is also on line 1/) });
    expect(bad('username\n')).toMatchObject({ message: expect.stringMatching(/no students in it/) });
  });
});

describe('classroom mode over HTTP', () => {
  let c: ClassroomServer;
  let people: Cast;
  beforeAll(async () => {
    c = await classroomServer({ loginThrottle: { maxFailures: 5 } });
    people = await cast(c);
  });
  afterAll(async () => {
    await c.close();
  });
  const req = (method: 'GET' | 'POST' | 'DELETE', url: string, cookie = '', payload?: object) =>
    c.s.app.inject({ method, url: `/api/v1${url}`, headers: { ...SAME_ORIGIN, ...(cookie ? { cookie } : {}) }, ...(payload ? { payload } : {}) });

  it('signs in with an HttpOnly SameSite=Strict cookie, stores only a hash of the session id', async () => {
    const r = await req('POST', '/auth/login', '', { username: 'SAM', password: PASSWORD });
    expect(r.statusCode).toBe(200);
    const set = String(r.headers['set-cookie']);
    expect(set).toMatch(/^nslab_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/);
    const id = cookieOf(r).split('=')[1]!;
    const rows = c.classroom.db.prepare('SELECT id_hash FROM sessions').all() as { id_hash: string }[];
    expect(rows.some((x) => x.id_hash === id)).toBe(false);
    const me = await req('GET', '/auth/me', cookieOf(r));
    expect(me.json()).toMatchObject({ user: { username: 'sam', role: 'student' }, classes: [{ id: people.classId, role: 'student' }] });
    // Over https (or with secureCookies: true behind a TLS proxy) the cookie is Secure.
    expect(sessionCookie({ protocol: 'https' } as FastifyRequest, 'id', 60, 'auto')).toMatch(/; Secure$/);
    expect(sessionCookie({ protocol: 'http' } as FastifyRequest, 'id', 60, true)).toMatch(/; Secure$/);
    expect(sessionCookie({ protocol: 'http' } as FastifyRequest, 'id', 60, 'auto')).not.toMatch(/Secure/);
  });

  it('a wrong password names no account; sign-out ends the session', async () => {
    const r = await req('POST', '/auth/login', '', { username: 'sam', password: 'wrong-password' });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ code: 'BAD_CREDENTIALS', field: 'password' });
    const u = await req('POST', '/auth/login', '', { username: 'nobody-here', password: 'wrong-password' });
    expect(u.json().message).toBe(r.json().message);
    const cookie = await login(c.s.app, 'olga', PASSWORD);
    expect((await req('POST', '/auth/logout', cookie)).statusCode).toBe(204);
    expect((await req('GET', '/auth/me', cookie)).statusCode).toBe(401);
  });

  it('session fixation: a cookie set before sign-in is never the session', async () => {
    const planted = 'nslab_session=attacker-chosen-value-0123456789';
    expect((await req('GET', '/auth/me', planted)).statusCode).toBe(401);
    const r = await c.s.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { ...SAME_ORIGIN, cookie: planted }, payload: { username: 'sam', password: PASSWORD } });
    expect(cookieOf(r)).not.toBe(planted);
    expect((await req('GET', '/auth/me', planted)).statusCode).toBe(401);
    expect((await req('GET', '/auth/me', cookieOf(r))).statusCode).toBe(200);
  });

  it("token mode's cookie and Bearer mean nothing in classroom mode", async () => {
    for (const headers of [{ cookie: `${TOKEN_COOKIE}=${TOKEN}` }, { authorization: `Bearer ${TOKEN}` }]) {
      const r = await c.s.app.inject({ method: 'GET', url: '/api/v1/labs', headers: { host: SAME_ORIGIN.host, ...headers } });
      expect(r.statusCode).toBe(401);
      expect(r.json().code).toBe('UNAUTHORIZED');
    }
    const page = await c.s.app.inject({ method: 'GET', url: `/?token=${TOKEN}`, headers: { host: SAME_ORIGIN.host } });
    expect(page.headers['set-cookie']).toBeUndefined();
  });

  it('keeps the Host and Origin rules: a cross-site change or a foreign Host is refused even when signed in', async () => {
    const cross = await c.s.app.inject({ method: 'POST', url: '/api/v1/classes', headers: { host: SAME_ORIGIN.host, origin: 'http://127.0.0.1:9999', cookie: people.cookie.instructor }, payload: { name: 'x' } });
    expect(cross.statusCode).toBe(403);
    expect(cross.json().code).toBe('BAD_ORIGIN');
    const site = await c.s.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { ...SAME_ORIGIN, 'sec-fetch-site': 'same-site' }, payload: { username: 'sam', password: PASSWORD } });
    expect(site.json().code).toBe('BAD_ORIGIN');
    const host = await c.s.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { host: 'evil.example:7070', cookie: people.cookie.sameStudent } });
    expect(host.json().code).toBe('BAD_HOST');
    // No Origin (not a browser): the ambient cookie does not authorize a change; the Bearer session does.
    const noOrigin = await c.s.app.inject({ method: 'POST', url: '/api/v1/classes', headers: { host: SAME_ORIGIN.host, cookie: people.cookie.instructor }, payload: { name: 'Scripted' } });
    expect(noOrigin.statusCode).toBe(401);
    const bearer = await c.s.app.inject({ method: 'POST', url: '/api/v1/classes', headers: { host: SAME_ORIGIN.host, authorization: `Bearer ${people.cookie.instructor.split('=')[1]}` }, payload: { name: 'Scripted' } });
    expect(bearer.statusCode).toBe(201);
    const csp = await req('GET', '/auth/me', people.cookie.sameStudent);
    expect(csp.headers['content-security-policy']).toMatch(/default-src 'self'/);
  });

  it('join codes: a student joins with code + name + password and is signed in; revoked, expired, used-up and unknown codes are refused on the code field', async () => {
    const made = await req('POST', `/classes/${people.classId}/join-codes`, people.cookie.instructor, { maxUses: 1 });
    expect(made.statusCode).toBe(201);
    const code = made.json().code as string;
    expect(code).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    const joined = await req('POST', '/auth/join', '', { code: code.toLowerCase().replace('-', ' '), username: 'jo', password: 'jo-password-1', displayName: 'Jo Learner' });
    expect(joined.statusCode).toBe(201);
    expect(joined.json()).toMatchObject({ user: { username: 'jo', displayName: 'Jo Learner', role: 'student' }, class: { id: people.classId } });
    expect((await req('GET', '/auth/me', cookieOf(joined))).json().classes).toMatchObject([{ id: people.classId, role: 'student' }]);

    const usedUp = await req('POST', '/auth/join', '', { code, username: 'jo2', password: 'jo-password-2' });
    expect(usedUp.json()).toMatchObject({ code: 'JOIN_CODE_USED_UP', field: 'code' });
    expect(c.classroom.accounts.byUsername('jo2')).toBeNull();

    const second = (await req('POST', `/classes/${people.classId}/join-codes`, people.cookie.instructor, {})).json().code as string;
    const revoked = await req('DELETE', `/classes/${people.classId}/join-codes/${second}`, people.cookie.instructor);
    expect(revoked.json().revokedAt).toEqual(expect.any(String));
    const r1 = await req('POST', '/auth/join', '', { code: second, username: 'jo3', password: 'jo-password-3' });
    expect(r1.statusCode).toBe(400);
    expect(r1.json()).toMatchObject({ code: 'JOIN_CODE_REVOKED', field: 'code', message: expect.stringMatching(/^code: this join code was revoked/) });

    const third = c.classroom.classes.createJoinCode(people.classId, c.classroom.accounts.byUsername('ines')!, 1, null);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const r2 = await req('POST', '/auth/join', '', { code: third.code, username: 'jo4', password: 'jo-password-4' });
    expect(r2.json()).toMatchObject({ code: 'JOIN_CODE_EXPIRED', field: 'code', message: expect.stringMatching(/expired on .*ask your instructor/) });

    const r3 = await req('POST', '/auth/join', '', { code: 'ZZZZZ-ZZZZZ', username: 'jo5', password: 'jo-password-5' });
    expect(r3.json()).toMatchObject({ code: 'JOIN_CODE_UNKNOWN', field: 'code' });
    const r4 = await req('POST', '/auth/join', '', { code: 'ZZZZZ-ZZZZZ', username: 'jo5' });
    expect(r4.json()).toMatchObject({ code: 'BAD_REQUEST', field: 'password' });
    // Another instructor cannot revoke this class's codes (nor learn that the class exists).
    const other = await req('DELETE', `/classes/${people.classId}/join-codes/${code}`, people.cookie.otherInstructor);
    expect(other.statusCode).toBe(404);
    expect(other.json().code).toBe('CLASS_NOT_FOUND');
  });

  it('bad input names the field and the rule', async () => {
    const weak = await req('POST', '/auth/join', '', { code: 'ZZZZZ-ZZZZZ', username: 'x', password: 'short' });
    expect(weak.json()).toMatchObject({ code: 'JOIN_CODE_UNKNOWN', field: 'code' });
    const code = (await req('POST', `/classes/${people.classId}/join-codes`, people.cookie.instructor, {})).json().code as string;
    expect((await req('POST', '/auth/join', '', { code, username: 'x', password: 'short' })).json()).toMatchObject({ code: 'WEAK_PASSWORD', field: 'password', message: 'password must be at least 8 characters long' });
    expect((await req('POST', '/auth/join', '', { code, username: 'Bad Name', password: 'long-enough-1' })).json()).toMatchObject({ code: 'INVALID_USERNAME', field: 'username' });
    expect((await req('POST', '/auth/join', '', { code, username: 'sam', password: 'long-enough-1' })).json()).toMatchObject({ code: 'USERNAME_TAKEN', field: 'username' });
    expect((await req('POST', `/classes/${people.classId}/join-codes`, people.cookie.instructor, { validHours: 0 })).json()).toMatchObject({ code: 'BAD_REQUEST', field: 'validHours' });
    expect((await req('POST', '/classes', people.cookie.instructor, { name: 'x', extra: 1 })).json()).toMatchObject({ code: 'BAD_REQUEST', message: 'unknown field "extra"' });
  });

  it('roster: accounts made in one go, generated one-time passwords returned once and to be changed first', async () => {
    const r = await req('POST', `/classes/${people.classId}/roster`, people.cookie.instructor, { csv: 'username,password\nrita\nraj,raj-own-password\nolga\n' });
    expect(r.statusCode).toBe(201);
    const students = r.json().students as { username: string; password?: string; created: boolean; mustChangePassword: boolean }[];
    expect(students.map((s) => [s.username, s.created, Boolean(s.password), s.mustChangePassword])).toEqual([
      ['rita', true, true, true],
      ['raj', true, false, false],
      ['olga', false, false, false],
    ]);
    expect(r.headers['cache-control']).toBe('no-store');
    const rita = await login(c.s.app, 'rita', students[0]!.password!);
    const blocked = await req('GET', '/labs', rita);
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().code).toBe('PASSWORD_CHANGE_REQUIRED');
    const changed = await req('POST', '/auth/password', rita, { currentPassword: students[0]!.password!, newPassword: 'rita-own-password' });
    expect(changed.json().user.mustChangePassword).toBe(false);
    expect((await req('GET', '/labs', rita)).statusCode).toBe(200);
    expect((await req('GET', `/classes/${people.classId}`, people.cookie.instructor)).json().members.map((m: { username: string }) => m.username)).toEqual(expect.arrayContaining(['rita', 'raj', 'olga', 'sam', 'ines']));
    // All or nothing: a bad row leaves no account.
    const bad = await req('POST', `/classes/${people.classId}/roster`, people.cookie.instructor, { csv: 'newbie\nines\n' });
    expect(bad.json()).toMatchObject({ code: 'NOT_A_STUDENT', field: 'csv', message: expect.stringMatching(/line 2: "ines" is an instructor account/) });
    expect(c.classroom.accounts.byUsername('newbie')).toBeNull();
  });

  it('login brute force: the account is locked out with 429 after its failures, even for the right password; others are not', async () => {
    const victim = (await c.classroom.accounts.create({ username: 'victim', role: 'student', password: PASSWORD })).user;
    for (let i = 0; i < 5; i++) expect((await req('POST', '/auth/login', '', { username: 'victim', password: `guess-${i}-xxxx` })).statusCode).toBe(401);
    const locked = await req('POST', '/auth/login', '', { username: 'victim', password: PASSWORD });
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ code: 'LOGIN_LOCKED', field: 'username' });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(victim.id).toBeGreaterThan(0);
    expect((await req('POST', '/auth/login', '', { username: 'raj', password: 'raj-own-password' })).statusCode).toBe(200);
  });
});

describe('sign-in rate limit per client', () => {
  it('one address spraying names gets 429 after signInPerMinute attempts', async () => {
    const c = await classroomServer({ signInPerMinute: 4 });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await c.s.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: SAME_ORIGIN, payload: { username: `name${i}`, password: 'some-password' } });
        codes.push(r.statusCode);
        if (r.statusCode === 429) expect(r.json()).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/from this address/) });
      }
      expect(codes).toEqual([401, 401, 401, 401, 429, 429]);
    } finally {
      await c.close();
    }
  });
});
