// Access control for a server that runs as root and hands out root shells inside labs.
// - A random token (Jupyter-style); the page URL carries it once, then an HttpOnly SameSite=Strict
//   cookie does. Scripts use `Authorization: Bearer`. `?token=` is accepted on page loads only.
// - WebSocket upgrades and state-changing requests (POST/PUT/PATCH/DELETE) must come from our own
//   origin; a client without an Origin (not a browser) must use the Bearer header. SameSite=Strict
//   is no defence here: a page on another port of 127.0.0.1 is the same *site*, so its requests
//   carry the cookie (cross-site WebSocket hijacking of a root shell, or a form posting to us).
// - While bound to loopback, the Host header must name loopback (DNS rebinding).
// Classroom mode (classroom/guard.ts) keeps the Host and Origin rules (refuseCrossSite) and puts
// accounts where the token was.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import './classroom/principal.ts';

export const COOKIE = 'nslab_token';

export interface AuthOptions {
  token: string;
  /** Bound to a loopback address: enforce a loopback Host header. */
  loopback: boolean;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function tokenMatches(given: string | undefined, token: string): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  // Equal-length digests, so the comparison takes the same time whatever was sent.
  return timingSafeEqual(digest(given), digest(token));
}

function cookieToken(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

export function deny(reply: FastifyReply, status: number, code: string, message: string): void {
  const raw = reply.request.raw;
  if (raw.headers.upgrade) {
    // A refused WebSocket upgrade: @fastify/websocket's own clean-up never runs because we answer
    // before its hook, and nothing reads the paused socket, so it would stay open for good (and
    // hold up server close). Close it once the refusal is written.
    reply.raw.once('finish', () => raw.socket.end(() => raw.socket.destroy()));
  }
  void reply.code(status).header('cache-control', 'no-store').send({ code, message });
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The path to send a browser to after the token exchange: always one of ours. `//evil.com/` (or
 * `/\evil.com/`, which browsers read the same) is another host, and `/.//evil.com/` becomes it once
 * dot segments are removed, so leading slashes are folded into one after normalizing.
 */
export function sameOriginPath(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  // A relative-to-our-origin parse: the path cannot become a host whatever it starts with.
  const url = new URL(`http://x/${rawPath.replace(/^[/\\]+/, '')}`);
  const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
  query.delete('token');
  const search = query.toString();
  return `/${url.pathname.replace(/^[/\\]+/, '')}${search ? `?${search}` : ''}`;
}

export function isPageRequest(req: FastifyRequest): boolean {
  const path = req.url.split('?')[0]!;
  return req.method === 'GET' && !path.startsWith('/api/') && !req.headers.upgrade;
}

/**
 * The rules that hold in both modes, whoever is signed in: a loopback Host while bound to loopback,
 * and WebSocket upgrades and changes only from our own pages. A request without an Origin is not a
 * browser's (they send one on every WebSocket and state-changing request), so no ambient cookie may
 * authorize it: `bearerOk` says whether its Authorization header does. True when refused.
 */
export function refuseCrossSite(req: FastifyRequest, reply: FastifyReply, loopback: boolean, bearerOk: () => boolean, bearerHelp: string): boolean {
  const host = req.headers.host ?? '';
  if (loopback && !LOOPBACK_HOST.test(host)) {
    deny(reply, 403, 'BAD_HOST', 'this server only answers to a loopback host name');
    return true;
  }
  const isUpgrade = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
  if (isUpgrade || MUTATING.has(req.method)) {
    const what = isUpgrade ? 'WebSocket connections' : 'changes';
    const origin = req.headers.origin;
    const fetchSite = req.headers['sec-fetch-site'];
    // Sec-Fetch-Site is the browser's own word; `same-site` is exactly the other-port page.
    if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
      deny(reply, 403, 'BAD_ORIGIN', `${what} must come from this server's own pages`);
      return true;
    }
    if (origin !== undefined) {
      if (origin !== `http://${host}` && origin !== `https://${host}`) {
        deny(reply, 403, 'BAD_ORIGIN', `${what} must come from this server's own pages`);
        return true;
      }
    } else if (!bearerOk()) {
      deny(reply, 401, 'UNAUTHORIZED', bearerHelp);
      return true;
    }
  }
  return false;
}

export function installAuth(app: FastifyInstance, opts: AuthOptions): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req, reply) => {
    const bearer = bearerToken(req);
    const cookie = cookieToken(req);
    if (refuseCrossSite(req, reply, opts.loopback, () => tokenMatches(bearer, opts.token), 'a token is required (Authorization: Bearer <token>)')) return reply;
    if (tokenMatches(bearer, opts.token) || tokenMatches(cookie, opts.token)) {
      // The token holder is the one person this server serves: every route is theirs.
      req.principal = { kind: 'token' };
      return;
    }
    const q = req.url.indexOf('?');
    const query = q < 0 ? undefined : new URLSearchParams(req.url.slice(q + 1)).get('token') ?? undefined;
    if (isPageRequest(req) && tokenMatches(query, opts.token)) {
      // Trade the URL token for a cookie and drop it from the address bar (and from history).
      void reply
        .header('set-cookie', `${COOKIE}=${encodeURIComponent(opts.token)}; HttpOnly; SameSite=Strict; Path=/`)
        .header('cache-control', 'no-store')
        .redirect(sameOriginPath(req.url), 302);
      return reply;
    }
    return deny(reply, 401, 'UNAUTHORIZED', 'a token is required: open the URL the server printed, or send Authorization: Bearer <token>');
  });
}

/** Request URLs for logs, without the token. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&]*/g, '$1[redacted]');
}
