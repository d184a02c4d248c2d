// The OpenID Connect sign-in routes (classroom mode): /auth/oidc says whether it is set up,
// /auth/oidc/start sends the browser to the provider, /auth/oidc/callback is where the provider
// sends it back. Both of the last two are top-level GET navigations (page requests): the callback
// arrives from the provider's site, so its flow cookie is SameSite=Lax (a Strict one would not be
// sent), and it changes nothing a cross-site page could use: the flow it finishes is the one this
// browser started (its cookie, its state), and it only ever signs in that browser.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { sameOriginPath } from '../auth.ts';
import { ApiError, toErrorBody } from '../errors.ts';
import type { User } from './accounts.ts';
import type { Classroom } from './classroom.ts';
import { OidcIdentities } from './oidc-identities.ts';
import { FLOW_TTL_MS, OIDC_COOKIE, OIDC_PATH, type OidcLogin } from './oidc.ts';
import { OidcSessions } from './oidc-sessions.ts';
import { readCookie } from './sessions.ts';

const StartQuery = Type.Object(
  {
    joinCode: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'a class join code: the account joins that class' })),
    next: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'a path of this server to open once signed in (default: /)' })),
  },
  { additionalProperties: false },
);
// What providers send back: code, state, iss (RFC 9207), session_state, or error + description.
const CallbackQuery = Type.Object(
  {
    code: Type.Optional(Type.String({ maxLength: 4096 })),
    state: Type.Optional(Type.String({ maxLength: 512 })),
    iss: Type.Optional(Type.String({ maxLength: 2048 })),
    session_state: Type.Optional(Type.String({ maxLength: 1024 })),
    error: Type.Optional(Type.String({ maxLength: 256 })),
    error_description: Type.Optional(Type.String({ maxLength: 2048 })),
    error_uri: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: false },
);

function flowCookie(req: FastifyRequest, value: string, maxAgeS: number, secure: 'auto' | boolean): string {
  const isSecure = secure === true || (secure === 'auto' && req.protocol === 'https');
  return `${OIDC_COOKIE}=${value}; HttpOnly; SameSite=Lax; Path=${OIDC_PATH}; Max-Age=${maxAgeS}${isSecure ? '; Secure' : ''}`;
}

const escapeHtml = (t: string) => t.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * A refusal as a page, for a browser that navigated here (from the provider, or from our sign-in
 * page): the same code and message as the JSON answer, and a way to start again.
 */
export function refusalPage(code: string, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign-in did not work · nslab</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2328}code{background:#eef1f4;padding:0 .3em;border-radius:3px}</style></head>
<body><main><h1>Sign-in did not work</h1>
<p id="message" data-code="${escapeHtml(code)}">${escapeHtml(message)}</p>
<p><code>${escapeHtml(code)}</code></p>
<p><a href="${OIDC_PATH}/start">Sign in again</a> · <a href="/">nslab</a></p></main></body></html>
`;
}

/** A browser's page load (a top-level navigation), not a script's call. */
function isNavigation(req: FastifyRequest): boolean {
  const mode = req.headers['sec-fetch-mode'];
  if (mode !== undefined) return mode === 'navigate';
  const accept = req.headers.accept ?? '';
  return accept.includes('text/html') && !accept.includes('application/json');
}

export async function oidcRoutes(app: FastifyInstance, opts: { classroom: Classroom; startSession: (req: FastifyRequest, reply: FastifyReply, user: User) => string }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const c = opts.classroom;
  const identities = new OidcIdentities(c.db, c.accounts);
  const oidcSessions = new OidcSessions(c.db);
  const perClient = { rateLimit: { max: c.signInPerMinute, timeWindow: '1 minute', keyGenerator: (req: FastifyRequest) => `signin|${req.ip}` } };
  // These routes are opened by browsers, not called by scripts: a refusal is a page for them.
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toErrorBody(err);
    if (status >= 500 && status !== 502) req.log.error({ err }, 'request failed');
    if (isNavigation(req) && req.routeOptions.url !== OIDC_PATH) {
      return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(refusalPage(body.code, body.message));
    }
    return reply.code(status).send(body);
  });
  const configured = (): OidcLogin => {
    if (!c.oidc) throw new ApiError(404, 'OIDC_NOT_CONFIGURED', 'this server has no OpenID Connect sign-in (classroom.oidc in the config file): sign in with a username and password');
    return c.oidc;
  };

  r.get('/auth/oidc', { schema: { summary: 'Whether sign-in through the school\'s OpenID Connect provider is set up' }, config: { access: 'public' } }, async () =>
    c.oidc ? { enabled: true, issuer: c.oidc.cfg.issuer, start: `${OIDC_PATH}/start` } : { enabled: false });

  r.get('/auth/oidc/start', { schema: { summary: 'Sign in through the OpenID Connect provider: redirects the browser there', querystring: StartQuery }, config: { access: 'public', ...perClient } }, async (req, reply) => {
    const oidc = configured();
    if (req.query.joinCode !== undefined) {
      // Joining a class shows the account's labs to its instructor: a link on another site must
      // not do it for someone already signed in at the provider (it would come straight back
      // here). A browser says where a navigation comes from; only our own pages (or a typed
      // address) may carry a join code.
      const site = req.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new ApiError(403, 'BAD_ORIGIN', "joinCode: a class join code works from this server's own join page only", 'joinCode');
      // A wrong join code is said now, before the trip to the provider.
      c.classes.checkJoinCode(req.query.joinCode);
    }
    const next = req.query.next === undefined ? '/' : sameOriginPath(req.query.next);
    const { url, flowId } = await oidc.start({ next, ...(req.query.joinCode !== undefined ? { joinCode: req.query.joinCode } : {}) });
    return reply
      .header('set-cookie', flowCookie(req, flowId, Math.floor(FLOW_TTL_MS / 1000), c.secureCookies))
      .header('cache-control', 'no-store')
      .redirect(url.href, 302);
  });

  r.get('/auth/oidc/callback', { schema: { summary: 'Where the OpenID Connect provider sends the browser back: signs it in and opens the app', querystring: CallbackQuery }, config: { access: 'public', ...perClient } }, async (req, reply) => {
    const oidc = configured();
    // The flow is spent whatever happens next: the cookie goes too.
    void reply.header('set-cookie', flowCookie(req, '', 0, c.secureCookies)).header('cache-control', 'no-store');
    const q = req.url.indexOf('?');
    const { person, flow, idToken } = await oidc.finish(readCookie(req, OIDC_COOKIE), new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1)));
    const user = c.db.transaction((): User => {
      const known = identities.find(person.issuer, person.subject);
      let u: User;
      if (known) {
        identities.touch(person.issuer, person.subject, person.email);
        if (person.groupRole) identities.setRole(known.userId, person.groupRole);
        u = c.accounts.byId(known.userId)!;
      } else {
        u = identities.createUser(person.issuer, person.subject, { usernameHint: person.usernameHint, displayName: person.displayName, role: person.groupRole ?? oidc.cfg.defaultRole, email: person.email });
      }
      if (flow.joinCode !== undefined) {
        if (u.role !== 'student') throw new ApiError(403, 'FORBIDDEN', `joinCode: only student accounts join classes with a code, and ${u.username} is an ${u.role}`, 'joinCode');
        // Checked again and counted in this transaction: the code may have been revoked, expired or
        // used up while the person was at the provider; then no account is made.
        c.classes.addStudent(c.classes.useJoinCode(flow.joinCode), u.id);
      }
      return u;
    })();
    // Fastify appends a second set-cookie: the flow's clearing and the session both go out.
    const sessionId = opts.startSession(req, reply, user);
    // Kept for signing out at the provider too (RP-initiated logout).
    oidcSessions.remember(sessionId, { issuer: person.issuer, idToken });
    return reply.redirect(flow.next, 303);
  });
}
