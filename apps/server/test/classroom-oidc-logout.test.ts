// Signing out of a session that came through OpenID Connect, against a real provider
// (oidc-provider on 127.0.0.1) driven over HTTP like a browser: the session ends here at once, and
// the answer sends the browser to the provider's end_session_endpoint (RP-initiated logout) with
// the session's own ID token as id_token_hint and our sign-in page as post_logout_redirect_uri;
// the provider's sign-out page then ends its session (the next sign-in asks for the password again)
// and sends the browser back. The local session ends in every case: a password session, a provider
// without end_session_endpoint, a provider unreachable at sign-out (a restarted server that has not
// fetched its discovery document yet); a sign-out cannot be replayed with the old cookie.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { Classroom } from '../src/classroom/classroom.ts';
import { OidcSessions } from '../src/classroom/oidc-sessions.ts';
import { PASSWORD, SAME_ORIGIN } from './classroom-fixture.ts';
import { Browser, CLIENT_ID, freePort, nslabWithOidc, type Hop, type OidcNslab, type TestProvider, startProvider } from './classroom-oidc-flow.ts';

const START = '/api/v1/auth/oidc/start';

let idp: TestProvider;
let plainIdp: TestProvider;
/** Signs in through `idp` (which has end_session_endpoint). */
let nslab: OidcNslab;
/** Signs in through `plainIdp` (no end_session_endpoint). */
let plain: OidcNslab;

beforeAll(async () => {
  const ports = [await freePort(), await freePort()];
  idp = await startProvider([ports[0]!]);
  plainIdp = await startProvider([ports[1]!], { rpLogout: false });
  nslab = await nslabWithOidc(ports[0]!, idp.issuer);
  plain = await nslabWithOidc(ports[1]!, plainIdp.issuer);
  await nslab.classroom.accounts.create({ username: 'pat', role: 'student', password: PASSWORD });
});

afterAll(async () => {
  for (const s of [nslab, plain]) await s?.close();
  for (const p of [idp, plainIdp]) await p?.close();
});

const cookieHeader = (server: OidcNslab, browser: Browser) => `nslab_session=${browser.cookie(server.origin, 'nslab_session')}`;

async function me(server: OidcNslab, cookie: string): Promise<number> {
  return (await fetch(`${server.origin}/api/v1/auth/me`, { headers: { cookie } })).status;
}

/** POST /auth/logout as the web app does (same origin, the session cookie). */
async function logout(server: OidcNslab, cookie: string): Promise<{ status: number; body: Record<string, unknown> | null; setCookie: string | null }> {
  const r = await fetch(`${server.origin}/api/v1/auth/logout`, { method: 'POST', headers: { cookie, origin: server.origin, 'x-nslab-source': 'ui' } });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null, setCookie: r.headers.get('set-cookie') };
}

const jwtPayload = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
const askedToSignIn = (hop: Hop) => hop.status === 200 && /name="prompt" value="login"/.test(hop.body);
const oidcSessionCount = (server: OidcNslab) => (server.classroom.db.prepare('SELECT count(*) AS n FROM oidc_sessions').get() as { n: number }).n;

describe('signing out of a provider sign-in', () => {
  it('ends the session here and sends the browser to the provider, which ends its own and comes back to the sign-in page', async () => {
    const browser = new Browser();
    const first = await browser.signIn(`${nslab.origin}${START}`, 'alice');
    expect(first.url).toBe(`${nslab.origin}/`);
    // Signed in at the provider: a second sign-in goes straight through, no password asked.
    const again = await browser.navigate(`${nslab.origin}${START}`);
    expect(askedToSignIn(again)).toBe(false);
    expect(again.url).toBe(`${nslab.origin}/`);
    const cookie = cookieHeader(nslab, browser);
    expect(await me(nslab, cookie)).toBe(200);
    expect(oidcSessionCount(nslab)).toBe(2);

    const out = await logout(nslab, cookie);
    expect(out.status).toBe(200);
    expect(out.setCookie).toMatch(/^nslab_session=; .*Max-Age=0/);
    // Ours is over before the browser even goes to the provider.
    expect(await me(nslab, cookie)).toBe(401);
    expect(oidcSessionCount(nslab)).toBe(1);
    const to = new URL(String(out.body!.providerLogout));
    const meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as { end_session_endpoint: string };
    expect(`${to.origin}${to.pathname}`).toBe(meta.end_session_endpoint);
    expect(to.searchParams.get('post_logout_redirect_uri')).toBe(`${nslab.origin}/`);
    const hint = jwtPayload(to.searchParams.get('id_token_hint')!);
    expect(hint).toMatchObject({ iss: idp.issuer, sub: 'alice', aud: CLIENT_ID });

    // The provider's page asks; yes ends its session and sends the browser back to our sign-in page.
    const ask = await browser.navigate(to.href, { from: `${nslab.origin}/` });
    expect(ask.status).toBe(200);
    expect(ask.body).toMatch(/Do you want to sign-out/);
    const back = await browser.submit(ask, { logout: 'yes' }, { stop: (next) => next.startsWith(nslab.origin) });
    expect(back.location).toBe(`${nslab.origin}/`);
    // Signed out at the provider: the next sign-in asks for the password again.
    const next = await browser.navigate(`${nslab.origin}${START}`);
    expect(askedToSignIn(next)).toBe(true);
  });

  it('the old cookie cannot sign out again or be used: 401', async () => {
    const browser = new Browser();
    await browser.signIn(`${nslab.origin}${START}`, 'alice');
    const cookie = cookieHeader(nslab, browser);
    expect((await logout(nslab, cookie)).status).toBe(200);
    const replay = await logout(nslab, cookie);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(replay.body).not.toHaveProperty('providerLogout');
  });

  it('a password session on the same server just ends (204, nothing to follow)', async () => {
    const r = await nslab.s.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: SAME_ORIGIN, payload: { username: 'pat', password: PASSWORD } });
    const cookie = String(r.headers['set-cookie']).split(';')[0]!;
    const out = await nslab.s.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { ...SAME_ORIGIN, cookie } });
    expect(out.statusCode).toBe(204);
    expect(out.body).toBe('');
    expect((await nslab.s.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { ...SAME_ORIGIN, cookie } })).statusCode).toBe(401);
  });

  it('a provider without end_session_endpoint: the session ends here (204)', async () => {
    const browser = new Browser();
    const hop = await browser.signIn(`${plain.origin}${START}`, 'alice');
    expect(hop.url).toBe(`${plain.origin}/`);
    const cookie = cookieHeader(plain, browser);
    expect(await me(plain, cookie)).toBe(200);
    const out = await logout(plain, cookie);
    expect(out).toMatchObject({ status: 204, body: null });
    expect(await me(plain, cookie)).toBe(401);
    expect(oidcSessionCount(plain)).toBe(0);
  });

  it('a provider unreachable at sign-out (a restarted server): the session still ends here (204)', async () => {
    const browser = new Browser();
    await browser.signIn(`${nslab.origin}${START}`, 'tess');
    const cookie = cookieHeader(nslab, browser);
    const id = decodeURIComponent(browser.cookie(nslab.origin, 'nslab_session')!);
    expect(new OidcSessions(nslab.classroom.db).of(id)).toMatchObject({ issuer: idp.issuer });
    // A new server on the same database, whose first request to the provider fails.
    const restarted = Classroom.open({ database: nslab.classroom.db.name, oidc: nslab.classroom.oidc!.cfg });
    restarted.oidc!.fetch = async () => {
      throw new TypeError('fetch failed');
    };
    const s = await buildApp({ classroom: restarted });
    try {
      const out = await s.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { ...SAME_ORIGIN, cookie } });
      expect(out.statusCode).toBe(204);
      expect(String(out.headers['set-cookie'])).toMatch(/^nslab_session=; .*Max-Age=0/);
      expect((await s.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { ...SAME_ORIGIN, cookie } })).statusCode).toBe(401);
      expect(new OidcSessions(restarted.db).of(id)).toBeNull();
    } finally {
      await s.app.close();
    }
  });
});
