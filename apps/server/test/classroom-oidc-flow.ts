// What the OpenID Connect tests run against: a real provider (oidc-provider, with its development
// sign-in and consent pages) on 127.0.0.1, nslab classroom servers listening on real ports, and a
// small browser (fetch with a cookie jar, following redirects by hand, submitting the provider's
// forms) that goes through the whole authorization code flow.
import { createServer, request as rawRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { validateOidcConfig } from '@nslab/driver';
import { classroomServer, type ClassroomServer } from './classroom-fixture.ts';

/** Claims of a person; their subject is the login typed on the provider's page (oidc-provider's account id). */
export interface Person {
  email?: string;
  email_verified?: boolean;
  preferred_username?: string;
  name?: string;
  groups?: string[];
}

/** The people the provider knows, by the login typed on its sign-in page (their subject). */
export const PEOPLE: Record<string, Person> = {
  alice: { email: 'alice@school.example', email_verified: true, preferred_username: 'Alice', name: 'Alice Liddell', groups: ['class-2b'] },
  tess: { email: 'tess@school.example', email_verified: true, preferred_username: 'tess', name: 'Tess Teacher', groups: ['teachers'] },
  mallory: { email: 'mallory@elsewhere.example', email_verified: true, preferred_username: 'mallory', name: 'Mallory' },
  // Picks the username of an existing password account: gets another one, never that account.
  sam: { email: 'sam2@school.example', email_verified: true, preferred_username: 'sam', name: 'Not Sam' },
};

export const CLIENT_ID = 'nslab-classroom';
export const CLIENT_SECRET = 'nslab-test-secret-0123456789abcdef';
export const OTHER_CLIENT_ID = 'other-app';
export const OTHER_CLIENT_SECRET = 'other-app-secret-0123456789abcdef';
export const OTHER_REDIRECT = 'http://127.0.0.1:1/other-app/callback';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

export interface TestProvider {
  issuer: string;
  provider: Provider;
  close(): Promise<void>;
}

/**
 * oidc-provider on 127.0.0.1 with nslab's client (redirects to each of `nslabPorts`, back to its
 * sign-in page after a logout) and another app's. `rpLogout: false`: no end_session_endpoint.
 */
export async function startProvider(nslabPorts: number[], opts: { issuerHost?: string; port?: number; rpLogout?: boolean } = {}): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  // `localhost` makes the provider another *site* than nslab's 127.0.0.1 for a browser (ports do
  // not make sites), as a school's provider is: the SameSite rules then bite as they would.
  const issuer = `http://${opts.issuerHost ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: nslabPorts.map((p) => `http://127.0.0.1:${p}/api/v1/auth/oidc/callback`), post_logout_redirect_uris: nslabPorts.map((p) => `http://127.0.0.1:${p}/`), token_endpoint_auth_method: 'client_secret_post' },
      { client_id: OTHER_CLIENT_ID, client_secret: OTHER_CLIENT_SECRET, redirect_uris: [OTHER_REDIRECT], token_endpoint_auth_method: 'client_secret_post' },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    cookies: { keys: ['oidc-test-cookie-key'] },
    features: { rpInitiatedLogout: { enabled: opts.rpLogout ?? true } },
    // Said, so the provider does not print a notice for each default it uses.
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    async findAccount(_ctx, id) {
      const person = PEOPLE[id];
      if (!person) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...person }) };
    },
  });
  server.on('request', provider.callback());
  return { issuer, provider, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

export interface OidcNslab extends ClassroomServer {
  origin: string;
}

/** A classroom server listening on `port`, signing in through `issuer` with `extra` settings. */
export async function nslabWithOidc(port: number, issuer: string, extra: Record<string, unknown> = {}): Promise<OidcNslab> {
  const origin = `http://127.0.0.1:${port}`;
  const oidc = validateOidcConfig({ issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, publicUrl: origin, scopes: ['openid', 'email', 'profile', 'groups'], ...extra }, 'test.yaml');
  const c = await classroomServer({ oidc, signInPerMinute: 10_000 });
  await c.s.app.listen({ host: '127.0.0.1', port });
  return { ...c, origin };
}

export { freePort };

function httpRequest(u: URL, method: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; setCookies: string[]; location: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = rawRequest(u, { method, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookies: res.headers['set-cookie'] ?? [], location: res.headers.location, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface Hop {
  url: string;
  status: number;
  location?: string;
  setCookies: string[];
  body: string;
}

/** fetch with a cookie jar (per origin, honouring Path and Max-Age=0), following redirects by hand. */
export class Browser {
  private jar = new Map<string, Map<string, { value: string; path: string }>>();
  /** Every response seen, in order. */
  readonly hops: Hop[] = [];

  cookie(origin: string, name: string): string | undefined {
    return this.jar.get(origin)?.get(name)?.value;
  }

  private store(url: URL, lines: string[]): void {
    const cookies = this.jar.get(url.origin) ?? new Map<string, { value: string; path: string }>();
    this.jar.set(url.origin, cookies);
    for (const line of lines) {
      const [pair, ...attrs] = line.split(';').map((x) => x.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const path = attrs.find((a) => /^path=/i.test(a))?.slice(5) ?? '/';
      const expired = attrs.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now()));
      if (expired || value === '') cookies.delete(name);
      else cookies.set(name, { value, path });
    }
  }

  private header(url: URL): string {
    const cookies = this.jar.get(url.origin);
    if (!cookies) return '';
    return [...cookies].filter(([, c]) => url.pathname.startsWith(c.path)).map(([k, c]) => `${k}=${c.value}`).join('; ');
  }

  /** One request; the cookies it sets are kept. */
  async request(method: 'GET' | 'POST', url: string, opts: { form?: Record<string, string>; from?: string } = {}): Promise<Hop> {
    const u = new URL(url);
    const cookie = this.header(u);
    const headers: Record<string, string> = { accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' };
    // What a browser says on a navigation: where it came from, as Sec-Fetch-Site.
    headers['sec-fetch-site'] = !opts.from ? 'none' : new URL(opts.from).origin === u.origin ? 'same-origin' : 'cross-site';
    if (cookie) headers.cookie = cookie;
    if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      if (opts.from) headers.origin = new URL(opts.from).origin;
    }
    // node:http, not fetch: fetch sets Sec-Fetch-Mode itself (cors), and a browser's navigation says navigate.
    const res = await httpRequest(u, method, headers, opts.form ? new URLSearchParams(opts.form).toString() : undefined);
    const setCookies = res.setCookies;
    this.store(u, setCookies);
    const location = res.location;
    const hop: Hop = { url, status: res.status, setCookies, body: res.body, ...(location ? { location: new URL(location, u).href } : {}) };
    this.hops.push(hop);
    return hop;
  }

  /** GET `url` and follow redirects until a page (or until `stop` says the next URL is not to be opened). */
  async navigate(url: string, opts: { stop?: (next: string) => boolean; from?: string } = {}): Promise<Hop> {
    let hop = await this.request('GET', url, opts.from ? { from: opts.from } : {});
    for (let i = 0; i < 20 && hop.status >= 300 && hop.status < 400 && hop.location; i++) {
      if (opts.stop?.(hop.location)) return hop;
      hop = await this.request('GET', hop.location, { from: hop.url });
    }
    return hop;
  }

  /** Submit the provider's page's form (its action, its hidden fields, and `fields`), then follow redirects. */
  async submit(page: Hop, fields: Record<string, string>, opts: { stop?: (next: string) => boolean } = {}): Promise<Hop> {
    const action = /<form[^>]*action="([^"]+)"/.exec(page.body)?.[1];
    if (!action) throw new Error(`no form on ${page.url} (${page.status}): ${page.body.slice(0, 300)}`);
    const hidden = Object.fromEntries([...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/?>/g)].map((m) => [m[1]!, m[2]!]));
    const target = new URL(action.replace(/&amp;/g, '&'), page.url).href;
    let hop = await this.request('POST', target, { form: { ...hidden, ...fields }, from: page.url });
    for (let i = 0; i < 20 && hop.status >= 300 && hop.status < 400 && hop.location; i++) {
      if (opts.stop?.(hop.location)) return hop;
      hop = await this.request('GET', hop.location, { from: hop.url });
    }
    return hop;
  }

  /**
   * From `start` (nslab's /auth/oidc/start, or a provider authorization URL) through the
   * provider's sign-in and consent pages. With `stop`, returns the hop whose Location is the
   * first URL `stop` accepts (the callback, unopened); else follows it to the end.
   */
  async signIn(start: string, login: string, stop?: (next: string) => boolean): Promise<Hop> {
    const o = stop ? { stop } : {};
    let hop = await this.navigate(start, o);
    for (let i = 0; i < 3 && hop.status === 200 && /name="prompt" value="(login|consent)"/.test(hop.body); i++) {
      const prompt = /name="prompt" value="(login|consent)"/.exec(hop.body)![1];
      hop = await this.submit(hop, prompt === 'login' ? { login, password: 'any-password' } : {}, o);
    }
    return hop;
  }
}
