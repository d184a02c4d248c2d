// OpenID Connect sign-in against a real provider (oidc-provider on 127.0.0.1), the whole
// authorization code flow driven over HTTP like a browser: nslab's /auth/oidc/start, the
// provider's sign-in and consent pages, the callback, then the session on /auth/me. And the
// hostile cases, each refused with a clear error and no session: a wrong state, a replayed code,
// a wrong nonce, a provider that is not the configured issuer, a forged iss, another client's code
// and another client's ID token, an email domain not admitted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, validateClassroomConfig, validateOidcConfig } from '@nslab/driver';
import { classroomOptionsOf } from '../src/classroom/classroom.ts';
import { openDatabase, migrate, schemaVersion } from '../src/classroom/db.ts';
import { MIGRATIONS } from '../src/classroom/migrations.ts';
import { usernameFrom } from '../src/classroom/oidc-identities.ts';
import { OIDC_COOKIE, OidcLogin } from '../src/classroom/oidc.ts';
import { classroomServer, PASSWORD, SAME_ORIGIN } from './classroom-fixture.ts';
import { Browser, CLIENT_ID, CLIENT_SECRET, freePort, nslabWithOidc, OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, OTHER_REDIRECT, PEOPLE, startProvider, type Hop, type OidcNslab, type TestProvider } from './classroom-oidc-flow.ts';

const START = '/api/v1/auth/oidc/start';
const isCallback = (url: string) => url.includes('/api/v1/auth/oidc/callback');

let idp: TestProvider;
let ports: number[];
/** The main server: students by default, teachers -> instructor. */
let nslab: OidcNslab;
/** Admits school.example emails only. */
let strict: OidcNslab;
/** Configured with the provider's URL spelled differently (localhost): not its issuer. */
let misnamed: OidcNslab;
/** Its token responses pass through a hostile network that can swap the ID token. */
let swapped: OidcNslab;
let swapIdToken: string | null = null;

beforeAll(async () => {
  ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  idp = await startProvider(ports);
  nslab = await nslabWithOidc(ports[0]!, idp.issuer, { groupRoles: { teachers: 'instructor' } });
  strict = await nslabWithOidc(ports[1]!, idp.issuer, { allowedEmailDomains: ['school.example'] });
  misnamed = await nslabWithOidc(ports[2]!, idp.issuer.replace('127.0.0.1', 'localhost'));
  swapped = await nslabWithOidc(ports[3]!, idp.issuer);
  swapped.classroom.oidc!.fetch = async (url, options) => {
    const res = await fetch(url, options as RequestInit);
    if (!swapIdToken || !url.endsWith('/token')) return res;
    const body = (await res.json()) as Record<string, unknown>;
    return new Response(JSON.stringify({ ...body, id_token: swapIdToken }), { status: res.status, headers: { 'content-type': 'application/json' } });
  };
  await nslab.classroom.accounts.create({ username: 'sam', role: 'student', password: PASSWORD });
});

afterAll(async () => {
  for (const s of [nslab, strict, misnamed, swapped]) await s?.close();
  await idp?.close();
});

function sessionSet(hop: Hop): string | undefined {
  return hop.setCookies.find((c) => c.startsWith('nslab_session=') && !c.startsWith('nslab_session=;'));
}

async function me(server: OidcNslab, browser: Browser) {
  const cookie = browser.cookie(server.origin, 'nslab_session');
  const r = await fetch(`${server.origin}/api/v1/auth/me`, { headers: cookie ? { cookie: `nslab_session=${cookie}` } : {} });
  return { status: r.status, body: (await r.json()) as { code?: string; user?: { id: number; username: string; displayName: string; role: string }; classes?: { id: number }[] } };
}

/** The refusal a browser got: a page (its code and message); `field` is in the JSON answer only. */
function errorOf(hop: Hop): { code: string; message: string; field?: string } {
  const m = /<p id="message" data-code="([^"]+)">([^<]*)<\/p>/.exec(hop.body);
  if (!m) return JSON.parse(hop.body);
  const text = (t: string) => t.replace(/&#(\d+);/g, (_x, n: string) => String.fromCharCode(Number(n)));
  return { code: text(m[1]!), message: text(m[2]!) };
}

describe('config: classroom.oidc', () => {
  it('accepts a provider and derives the redirect URL from the public URL', () => {
    const cfg = validateClassroomConfig({ oidc: { issuer: 'https://idp.school.example/realms/lab', clientId: 'nslab', clientSecret: 's3cret', publicUrl: 'https://lab.school.example', allowedEmailDomains: ['School.Example'], groupRoles: { staff: 'instructor', it: 'admin' } } }, 'c.yaml');
    expect(classroomOptionsOf(cfg).oidc).toEqual({
      issuer: 'https://idp.school.example/realms/lab',
      clientId: 'nslab',
      clientSecret: 's3cret',
      redirectUrl: 'https://lab.school.example/api/v1/auth/oidc/callback',
      scopes: ['openid', 'profile', 'email'],
      usernameClaim: 'preferred_username',
      displayNameClaim: 'name',
      defaultRole: 'student',
      allowedEmailDomains: ['school.example'],
      groupsClaim: 'groups',
      groupRoles: { staff: 'instructor', it: 'admin' },
    });
  });

  it('reads the YAML file: the secret from clientSecretFile, groupRoles as a mapping', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nslab-oidc-cfg-'));
    try {
      writeFileSync(join(dir, 'secret'), 'from-a-file\n', { mode: 0o600 });
      writeFileSync(join(dir, 'config.yaml'), [
        'classroom:',
        '  enabled: true',
        '  oidc:',
        '    issuer: https://idp.school.example',
        '    clientId: nslab',
        `    clientSecretFile: ${join(dir, 'secret')}`,
        '    redirectUrl: https://lab.school.example/api/v1/auth/oidc/callback',
        '    groupRoles: { teachers: instructor }',
        '',
      ].join('\n'));
      const cfg = loadConfig(join(dir, 'config.yaml'));
      expect(cfg.classroom.oidc).toMatchObject({ clientSecret: 'from-a-file', redirectUrl: 'https://lab.school.example/api/v1/auth/oidc/callback', groupRoles: { teachers: 'instructor' } });
      writeFileSync(join(dir, 'secret'), '\n');
      expect(() => loadConfig(join(dir, 'config.yaml'))).toThrow(/classroom\.oidc\.clientSecretFile: .*secret is empty/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{ clientId: 'x', publicUrl: 'https://lab.example' }, 'classroom.oidc.issuer', 'is required'],
    [{ issuer: 'http://idp.example', clientId: 'x', publicUrl: 'https://lab.example' }, 'classroom.oidc.issuer', 'https URL (http only on a loopback host)'],
    [{ issuer: 'not a url', clientId: 'x', publicUrl: 'https://lab.example' }, 'classroom.oidc.issuer', 'absolute URL'],
    [{ issuer: 'https://idp.example', publicUrl: 'https://lab.example' }, 'classroom.oidc.clientId', 'is required'],
    [{ issuer: 'https://idp.example', clientId: 'x' }, 'classroom.oidc.publicUrl', 'required unless redirectUrl'],
    [{ issuer: 'https://idp.example', clientId: 'x', publicUrl: 'https://lab.example/nslab' }, 'classroom.oidc.publicUrl', 'must be an origin'],
    [{ issuer: 'https://idp.example', clientId: 'x', redirectUrl: 'https://lab.example/elsewhere' }, 'classroom.oidc.redirectUrl', 'must end in /api/v1/auth/oidc/callback'],
    [{ issuer: 'https://idp.example', clientId: 'x', publicUrl: 'https://lab.example', clientSecret: 'a', clientSecretFile: '/etc/x' }, 'classroom.oidc.clientSecretFile', 'not both'],
    [{ issuer: 'https://idp.example', clientId: 'x', publicUrl: 'https://lab.example', clientSecretFile: '/nonexistent/nslab-secret' }, 'classroom.oidc.clientSecretFile', 'cannot read it'],
    [{ issuer: 'https://idp.example', clientId: 'x', publicUrl: 'https://lab.example', scopes: ['email'] }, 'classroom.oidc.scopes', 'must include openid'],
    [{ issuer: 'https://idp.example', clientId: 'x', publicUrl: 'https://lab.example', defaultRole: 'admin' }, 'classroom.oidc.defaultRole', 'student or instructor'],
    [{ issuer: 'https://idp.example', clientId: 'x', publicUrl: 'https://lab.example', allowedEmailDomains: ['not a domain'] }, 'classroom.oidc.allowedEmailDomains[0]', 'domain name'],
    [{ issuer: 'https://idp.example', clientId: 'x', publicUrl: 'https://lab.example', groupRoles: { staff: 'boss' } }, 'classroom.oidc.groupRoles.staff', 'admin, instructor or student'],
    [{ issuer: 'https://idp.example', clientId: 'x', publicUrl: 'https://lab.example', usernameClaim: 'a b' }, 'classroom.oidc.usernameClaim', 'claim name'],
    [{ issuer: 'https://idp.example', clientId: 'x', publicUrl: 'https://lab.example', clientSecrett: 'typo' }, 'classroom.oidc.clientSecrett', 'unknown setting'],
    ['yes', 'classroom.oidc', 'must be a mapping'],
  ])('refuses %j naming the field', (section, field, rule) => {
    try {
      validateOidcConfig(section, 'c.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).field).toBe(field);
      expect((e as ConfigError).message).toContain(rule);
    }
  });
});

describe('migrations', () => {
  it('apply in order on a database at version 1; version 3 holds the OIDC identities', () => {
    const versions = MIGRATIONS.map((m) => m.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    expect(versions).toContain(3);
    const db = openDatabase(':memory:', MIGRATIONS.filter((m) => m.version === 1));
    expect(schemaVersion(db)).toBe(1);
    migrate(db, MIGRATIONS);
    expect((db.prepare('SELECT version FROM schema_migrations ORDER BY applied_at, version').all() as { version: number }[]).map((r) => r.version)).toEqual(versions);
    const cols = (db.prepare('PRAGMA table_info(oidc_identities)').all() as { name: string }[]).map((c) => c.name);
    expect(cols).toEqual(['issuer', 'subject', 'user_id', 'email', 'created_at', 'last_login_at']);
    db.close();
  });
});

describe('usernames from claims', () => {
  it('folds what the provider says into our alphabet and never takes a name that is taken', () => {
    const taken = new Set(['sam', 'sam-2', 'user']);
    expect(usernameFrom('Zoë Müller', (n) => taken.has(n))).toBe('zoe-muller');
    expect(usernameFrom('sam', (n) => taken.has(n))).toBe('sam-3');
    expect(usernameFrom('../..', (n) => taken.has(n))).toBe('user-2');
    expect(usernameFrom(undefined, () => false)).toBe('user');
    expect(usernameFrom('x'.repeat(80), () => false).length).toBeLessThanOrEqual(27);
  });
});

describe('who may come in, and as what (the config\'s rules on the claims)', () => {
  const login = (extra: Record<string, unknown>) => new OidcLogin(validateOidcConfig({ issuer: 'https://idp.example', clientId: 'x', publicUrl: 'https://lab.example', ...extra }, 'c.yaml'));
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e as { code: string; field?: string; message: string };
    }
    throw new Error('admitted');
  };

  it('email domains: a verified email of an admitted domain only (exact domain, case folded)', () => {
    const o = login({ allowedEmailDomains: ['school.example'] });
    expect(o.admit('i', 's', { email: 'Ann@School.Example', email_verified: true }).email).toBe('ann@school.example');
    // Providers that do not say (email_verified absent) are taken at their word for the domain.
    expect(o.admit('i', 's', { email: 'ann@school.example' }).usernameHint).toBe('ann');
    expect(refusal(() => o.admit('i', 's', { email: 'ann@school.example', email_verified: false }))).toMatchObject({ code: 'OIDC_EMAIL_UNVERIFIED', field: 'email' });
    expect(refusal(() => o.admit('i', 's', { email: 'ann@school.example', email_verified: 'false' }))).toMatchObject({ code: 'OIDC_EMAIL_UNVERIFIED' });
    expect(refusal(() => o.admit('i', 's', { email: 'ann@sub.school.example', email_verified: true }))).toMatchObject({ code: 'OIDC_EMAIL_DOMAIN', field: 'email' });
    expect(refusal(() => o.admit('i', 's', { email: 'ann@school.example.evil.example' }))).toMatchObject({ code: 'OIDC_EMAIL_DOMAIN' });
    expect(refusal(() => o.admit('i', 's', { preferred_username: 'ann' }))).toMatchObject({ code: 'OIDC_EMAIL_REQUIRED', message: expect.stringMatching(/gave none/) });
  });

  it('groups: the highest mapped role wins; no mapped group is the default role; without groupRoles the account keeps its own', () => {
    const o = login({ groupRoles: { staff: 'instructor', 'it-admins': 'admin', pupils: 'student' }, groupsClaim: 'roles' });
    expect(o.admit('i', 's', { roles: ['pupils', 'staff'] }).groupRole).toBe('instructor');
    expect(o.admit('i', 's', { roles: ['staff', 'it-admins'] }).groupRole).toBe('admin');
    expect(o.admit('i', 's', { roles: 'staff' }).groupRole).toBe('instructor');
    expect(o.admit('i', 's', { roles: ['toString', '__proto__'] }).groupRole).toBe('student');
    expect(o.admit('i', 's', { groups: ['staff'] }).groupRole).toBe('student');
    expect(login({ defaultRole: 'instructor' }).admit('i', 's', { groups: ['staff'] }).groupRole).toBeNull();
  });

  it('the username comes from the configured claim, else the email\'s local part', () => {
    expect(login({ usernameClaim: 'upn' }).admit('i', 's', { upn: 'A.Smith', email: 'x@y.example' }).usernameHint).toBe('A.Smith');
    expect(login({}).admit('i', 's', { email: 'b.jones@y.example' }).usernameHint).toBe('b.jones');
    expect(login({}).admit('i', 's', {}).usernameHint).toBeUndefined();
  });
});

describe('sign-in through a real OpenID Connect provider', () => {
  it('GET /auth/oidc says it is set up', async () => {
    const r = await fetch(`${nslab.origin}/api/v1/auth/oidc`);
    expect(await r.json()).toEqual({ enabled: true, issuer: idp.issuer, start: '/api/v1/auth/oidc/start' });
  });

  it('the whole code flow: start -> provider sign-in and consent -> callback -> a session that works', async () => {
    const b = new Browser();
    const end = await b.signIn(`${nslab.origin}${START}?next=/labs/x`, 'alice');
    // The start sent the browser to the provider with PKCE (S256), state and nonce.
    const toProvider = new URL(b.hops[0]!.location!);
    expect(toProvider.origin).toBe(idp.issuer);
    expect(Object.fromEntries(toProvider.searchParams)).toMatchObject({ client_id: CLIENT_ID, response_type: 'code', code_challenge_method: 'S256', redirect_uri: `${nslab.origin}/api/v1/auth/oidc/callback`, scope: 'openid email profile groups' });
    for (const p of ['state', 'nonce', 'code_challenge']) expect(toProvider.searchParams.get(p)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.hops[0]!.setCookies[0]).toMatch(/^nslab_oidc=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Lax; Path=\/api\/v1\/auth\/oidc; Max-Age=600$/);
    // The callback: a cross-site top-level navigation from the provider, answered with the session and a redirect to `next`.
    const callback = b.hops.find((h) => isCallback(h.url))!;
    expect(callback.status).toBe(303);
    expect(callback.location).toBe(`${nslab.origin}/labs/x`);
    expect(sessionSet(callback)).toMatch(/^nslab_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/);
    expect(b.cookie(nslab.origin, OIDC_COOKIE)).toBeUndefined();
    expect(end.url).toBe(`${nslab.origin}/labs/x`);
    const who = await me(nslab, b);
    expect(who.status).toBe(200);
    expect(who.body.user).toMatchObject({ username: 'alice', displayName: 'Alice Liddell', role: 'student' });
    // No password: this account signs in through the provider only.
    const pw = await nslab.s.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { ...SAME_ORIGIN, host: `127.0.0.1:${ports[0]}`, origin: nslab.origin }, payload: { username: 'alice', password: 'any-password' } });
    expect(pw.statusCode).toBe(401);

    // A second sign-in of the same person (issuer + subject) is the same account.
    const again = new Browser();
    await again.signIn(`${nslab.origin}${START}`, 'alice');
    expect((await me(nslab, again)).body.user!.id).toBe(who.body.user!.id);
    expect(nslab.classroom.db.prepare('SELECT COUNT(*) AS n FROM oidc_identities WHERE subject = ?').get('alice')).toEqual({ n: 1 });
    expect(PEOPLE.alice!.preferred_username).toBe('Alice');
  });

  it('a preferred_username that is another account\'s gets a name of its own, never that account', async () => {
    const b = new Browser();
    await b.signIn(`${nslab.origin}${START}`, 'sam');
    const who = await me(nslab, b);
    expect(who.body.user).toMatchObject({ username: 'sam-2', displayName: 'Not Sam', role: 'student' });
    expect(who.body.user!.id).not.toBe(nslab.classroom.accounts.byUsername('sam')!.id);
  });

  it('groups map to roles, at every sign-in: a teacher comes in as an instructor, and back as a student once out of the group', async () => {
    const b = new Browser();
    await b.signIn(`${nslab.origin}${START}`, 'tess');
    expect((await me(nslab, b)).body.user).toMatchObject({ username: 'tess', role: 'instructor' });
    PEOPLE.tess!.groups = [];
    try {
      const later = new Browser();
      await later.signIn(`${nslab.origin}${START}`, 'tess');
      expect((await me(nslab, later)).body.user).toMatchObject({ username: 'tess', role: 'student' });
    } finally {
      PEOPLE.tess!.groups = ['teachers'];
    }
    const again = new Browser();
    await again.signIn(`${nslab.origin}${START}`, 'tess');
    expect((await me(nslab, again)).body.user!.role).toBe('instructor');
  });

  it('a join code at the start: the new account joins that class, without any password', async () => {
    const teacher = nslab.classroom.accounts.byUsername('tess')!;
    const klass = nslab.classroom.classes.create('OIDC class', teacher);
    const code = nslab.classroom.classes.createJoinCode(klass.id, teacher, 3600_000, 5);
    nslab.classroom.db.prepare('DELETE FROM users WHERE username = ?').run('alice');
    const b = new Browser();
    await b.signIn(`${nslab.origin}${START}?joinCode=${code.code.toLowerCase()}`, 'alice');
    const who = await me(nslab, b);
    expect(who.body.classes!.map((x) => x.id)).toEqual([klass.id]);
    expect(nslab.classroom.classes.joinCode(code.code)!.uses).toBe(1);
    // A link on another site cannot make a signed-in person join a class (their labs would show to its instructor).
    const lured = await new Browser().navigate(`${nslab.origin}${START}?joinCode=${code.code}`, { from: 'https://evil.example/page' });
    expect(lured.status).toBe(403);
    expect(errorOf(lured)).toMatchObject({ code: 'BAD_ORIGIN', message: expect.stringMatching(/^joinCode: /) });
    // A wrong code is said at the start, before the trip to the provider.
    const bad = await new Browser().navigate(`${nslab.origin}${START}?joinCode=ZZZZZ-ZZZZZ`);
    expect(bad.status).toBe(400);
    expect(errorOf(bad)).toMatchObject({ code: 'JOIN_CODE_UNKNOWN', message: expect.stringMatching(/^code: /) });
    expect(bad.body).toContain('<a href="/api/v1/auth/oidc/start">Sign in again</a>');
  });

  it('keeps the Host rule on the callback; its top-level cross-site GET is let through', async () => {
    const r = await nslab.s.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/callback?code=x&state=y', headers: { host: 'evil.example', 'sec-fetch-site': 'cross-site' } });
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('BAD_HOST');
    const cross = await nslab.s.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/callback?code=x&state=y', headers: { host: `127.0.0.1:${ports[0]}`, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' } });
    // Past the guard, to the flow check (this client started no flow): a page, for a browser.
    expect(cross.statusCode).toBe(400);
    expect(cross.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(cross.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(errorOf({ body: cross.body } as Hop).code).toBe('OIDC_NO_FLOW');
    // A POST to the callback is no route; a cross-site one is refused before anything.
    const post = await nslab.s.app.inject({ method: 'POST', url: '/api/v1/auth/oidc/callback', headers: { host: `127.0.0.1:${ports[0]}`, origin: 'http://127.0.0.1:9' } });
    expect(post.json().code).toBe('BAD_ORIGIN');
  });
});

describe('hostile callbacks: refused with a clear error and no session', () => {
  /** A flow stopped at the provider's redirect to the callback: the callback URL, unopened. */
  async function toCallback(server: OidcNslab, login: string): Promise<{ b: Browser; callback: URL }> {
    const b = new Browser();
    const hop = await b.signIn(`${server.origin}${START}`, login, isCallback);
    expect(hop.location && isCallback(hop.location), `stopped at ${hop.url} ${hop.status}`).toBeTruthy();
    return { b, callback: new URL(hop.location!) };
  }

  function refused(hop: Hop, status: number, code: string, message: RegExp) {
    expect(hop.status, hop.body).toBe(status);
    expect(errorOf(hop)).toMatchObject({ code, message: expect.stringMatching(message) });
    expect(sessionSet(hop)).toBeUndefined();
  }

  it('a wrong state', async () => {
    const { b, callback } = await toCallback(nslab, 'alice');
    const forged = new URL(callback);
    forged.searchParams.set('state', 'attacker-state');
    const bad = await b.request('GET', forged.href, { from: idp.issuer });
    refused(bad, 400, 'OIDC_BAD_STATE', /^state: the provider's answer does not belong to the sign-in this browser started/);
    // The spent flow's cookie is cleared with the refusal.
    expect(bad.setCookies).toContain('nslab_oidc=; HttpOnly; SameSite=Lax; Path=/api/v1/auth/oidc; Max-Age=0');
    // The flow is spent: the genuine answer does not work after a forged one.
    refused(await b.request('GET', callback.href, { from: idp.issuer }), 400, 'OIDC_NO_FLOW', /start the sign-in again/);
    expect((await me(nslab, b)).status).toBe(401);
  });

  it('a callback in a browser that started no flow (login CSRF: an attacker\'s code in a victim\'s browser)', async () => {
    const { callback } = await toCallback(nslab, 'mallory');
    const victim = new Browser();
    refused(await victim.request('GET', callback.href, { from: idp.issuer }), 400, 'OIDC_NO_FLOW', /no sign-in waiting/);
    expect((await me(nslab, victim)).status).toBe(401);
  });

  it('a replayed code: the same callback twice, and the old code under a new flow', async () => {
    const { b, callback } = await toCallback(nslab, 'alice');
    const first = await b.request('GET', callback.href, { from: idp.issuer });
    expect(first.status).toBe(303);
    refused(await b.request('GET', callback.href, { from: idp.issuer }), 400, 'OIDC_NO_FLOW', /already finished|start the sign-in again/);
    // A fresh flow (new cookie, new state), the spent code put in its answer: the provider refuses it.
    const thief = new Browser();
    const start = await thief.request('GET', `${nslab.origin}${START}`);
    const replay = new URL(callback);
    replay.searchParams.set('state', new URL(start.location!).searchParams.get('state')!);
    refused(await thief.request('GET', replay.href, { from: idp.issuer }), 400, 'OIDC_CODE_REFUSED', /would not exchange the code \(invalid_grant/);
    expect((await me(nslab, thief)).status).toBe(401);
  });

  it('an expired flow (10 minutes at the provider) and a next that is not ours', async () => {
    const { b, callback } = await toCallback(nslab, 'alice');
    nslab.classroom.oidc!.flows.get(b.cookie(nslab.origin, OIDC_COOKIE)!)!.expiresAt = Date.now() - 1;
    refused(await b.request('GET', callback.href, { from: idp.issuer }), 400, 'OIDC_NO_FLOW', /expired after 10 minutes/);
    // next=//evil.example/x stays a path of this server.
    const b2 = new Browser();
    await b2.request('GET', `${nslab.origin}${START}?next=${encodeURIComponent('//evil.example/x')}`);
    expect(nslab.classroom.oidc!.flows.get(b2.cookie(nslab.origin, OIDC_COOKIE)!)!.next).toBe('/evil.example/x');
  });

  it('a wrong nonce: an ID token minted for another sign-in', async () => {
    const { b, callback } = await toCallback(nslab, 'alice');
    const flow = nslab.classroom.oidc!.flows.get(b.cookie(nslab.origin, OIDC_COOKIE)!)!;
    flow.nonce = client.randomNonce();
    refused(await b.request('GET', callback.href, { from: idp.issuer }), 400, 'OIDC_ID_TOKEN_INVALID', /ID token failed a check: .*unexpected ID Token "nonce" claim value/);
  });

  it('a forged iss in the answer (mix-up: another provider\'s response)', async () => {
    const { b, callback } = await toCallback(nslab, 'alice');
    expect(callback.searchParams.get('iss')).toBe(idp.issuer);
    const forged = new URL(callback);
    forged.searchParams.set('iss', 'https://evil-idp.example');
    refused(await b.request('GET', forged.href, { from: idp.issuer }), 400, 'OIDC_BAD_RESPONSE', /unexpected "iss" \(issuer\) response parameter value/);
  });

  it('a provider that cannot be reached: 502 saying so, and tried again on the next sign-in', async () => {
    const port = await freePort();
    const down = await classroomServer({ oidc: validateOidcConfig({ issuer: `http://127.0.0.1:${port}`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, publicUrl: 'http://127.0.0.1:7070' }, 'c.yaml') });
    try {
      const start = () => down.s.app.inject({ method: 'GET', url: START, headers: { host: '127.0.0.1:7070', accept: 'application/json' } });
      const r = await start();
      expect(r.statusCode).toBe(502);
      expect(r.json()).toMatchObject({ code: 'OIDC_UNAVAILABLE', message: expect.stringContaining(`the sign-in provider at http://127.0.0.1:${port} could not be used`) });
      expect(r.headers['set-cookie']).toBeUndefined();
      // Not remembered as broken: once the provider is up, the next start goes there.
      const late = await startProvider([], { port });
      try {
        const again = await start();
        expect(again.statusCode).toBe(302);
        expect(again.headers.location).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/auth\\?`));
      } finally {
        await late.close();
      }
    } finally {
      await down.close();
    }
  });

  it('a provider that is not the configured issuer is refused at discovery', async () => {
    const hop = await new Browser().navigate(`${misnamed.origin}${START}`);
    refused(hop, 502, 'OIDC_ISSUER_MISMATCH', /calls itself "http:\/\/127\.0\.0\.1:\d+": classroom\.oidc\.issuer must be exactly its issuer/);
  });

  /** A code (and its ID token) issued by `issuer` to a client, with `nonce`, as that client would get them. */
  async function tokensOf(nonce: string, at: { issuer: string; clientId: string; secret: string; redirect: string } = { issuer: idp.issuer, clientId: OTHER_CLIENT_ID, secret: OTHER_CLIENT_SECRET, redirect: OTHER_REDIRECT }): Promise<{ code: string; state: string; idToken: string }> {
    const config = await client.discovery(new URL(at.issuer), at.clientId, at.secret, undefined, { execute: [client.allowInsecureRequests] });
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: at.redirect, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce });
    const hop = await new Browser().signIn(url.href, 'alice', (next) => next.startsWith(at.redirect));
    const back = new URL(hop.location!);
    const code = back.searchParams.get('code')!;
    const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    return { code, state, idToken: tokens.id_token! };
  }

  it("another client's code is refused by the provider", async () => {
    const b = new Browser();
    const start = await b.request('GET', `${nslab.origin}${START}`);
    const state = new URL(start.location!).searchParams.get('state')!;
    const nonce = new URL(start.location!).searchParams.get('nonce')!;
    const { code } = await tokensOf(client.randomNonce());
    const cb = new URL(`${nslab.origin}/api/v1/auth/oidc/callback`);
    cb.search = new URLSearchParams({ code, state, iss: idp.issuer }).toString();
    expect(nonce).toBeTruthy();
    refused(await b.request('GET', cb.href, { from: idp.issuer }), 400, 'OIDC_CODE_REFUSED', /invalid_grant/);
  });

  it("an ID token for another client (same provider, same nonce, swapped into the token response) is refused", async () => {
    const { b, callback } = await toCallback(swapped, 'alice');
    const flow = swapped.classroom.oidc!.flows.get(b.cookie(swapped.origin, OIDC_COOKIE)!)!;
    swapIdToken = (await tokensOf(flow.nonce)).idToken;
    try {
      refused(await b.request('GET', callback.href, { from: idp.issuer }), 400, 'OIDC_ID_TOKEN_INVALID', /unexpected JWT "aud" \(audience\) claim value/);
    } finally {
      swapIdToken = null;
    }
    expect(swapped.classroom.accounts.list()).toEqual([]);
  });

  it('an ID token from another provider (another issuer, for this very client and nonce, swapped in) is refused', async () => {
    const redirect = `${swapped.origin}/api/v1/auth/oidc/callback`;
    const elsewhere = await startProvider([ports[3]!]);
    try {
      const { b, callback } = await toCallback(swapped, 'alice');
      const flow = swapped.classroom.oidc!.flows.get(b.cookie(swapped.origin, OIDC_COOKIE)!)!;
      swapIdToken = (await tokensOf(flow.nonce, { issuer: elsewhere.issuer, clientId: CLIENT_ID, secret: CLIENT_SECRET, redirect })).idToken;
      refused(await b.request('GET', callback.href, { from: idp.issuer }), 400, 'OIDC_ID_TOKEN_INVALID', /unexpected JWT "iss" \(issuer\) claim value/);
    } finally {
      swapIdToken = null;
      await elsewhere.close();
    }
    expect(swapped.classroom.accounts.list()).toEqual([]);
  });

  it('an email domain that is not admitted: no account, no session', async () => {
    const b = new Browser();
    const end = await b.signIn(`${strict.origin}${START}`, 'mallory');
    refused(end, 403, 'OIDC_EMAIL_DOMAIN', /^email: elsewhere\.example is not one of the domains this server admits \(school\.example\)/);
    expect(strict.classroom.accounts.byUsername('mallory')).toBeNull();
    expect((await me(strict, b)).status).toBe(401);
    // Someone of the school comes in.
    const ok = new Browser();
    await ok.signIn(`${strict.origin}${START}`, 'alice');
    expect((await me(strict, ok)).body.user).toMatchObject({ username: 'alice', role: 'student' });
  });

  it('the provider says no (the person cancelled): its error, no session', async () => {
    const b = new Browser();
    const start = await b.request('GET', `${nslab.origin}${START}`);
    const state = new URL(start.location!).searchParams.get('state')!;
    const cb = `${nslab.origin}/api/v1/auth/oidc/callback?error=access_denied&error_description=End-User+aborted+interaction&state=${state}&iss=${encodeURIComponent(idp.issuer)}`;
    refused(await b.request('GET', cb, { from: idp.issuer }), 400, 'OIDC_DENIED', /answered access_denied: End-User aborted interaction/);
    // What the answer says is text on the refusal page, never markup.
    const b2 = new Browser();
    const state2 = new URL((await b2.request('GET', `${nslab.origin}${START}`)).location!).searchParams.get('state')!;
    const hostile = await b2.request('GET', `${nslab.origin}/api/v1/auth/oidc/callback?error=access_denied&error_description=${encodeURIComponent('<script>alert(1)</script>')}&state=${state2}&iss=${encodeURIComponent(idp.issuer)}`, { from: idp.issuer });
    expect(hostile.body).not.toContain('<script>');
    expect(errorOf(hostile).message).toContain('<script>alert(1)</script>');
    // A script (no navigation) gets the JSON answer, with the field.
    const api = await fetch(`${nslab.origin}/api/v1/auth/oidc/start?joinCode=ZZZZZ-ZZZZZ`, { headers: { accept: 'application/json' }, redirect: 'manual' });
    expect(await api.json()).toMatchObject({ code: 'JOIN_CODE_UNKNOWN', field: 'code' });
  });
});
